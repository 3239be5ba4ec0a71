import { resourcePolicy, setting } from "./policy";
import { statefulAwsTypes } from "./resource-types";

export const protectStatefulResources = resourcePolicy({
    name: "keel-protect-stateful-resources",
    description: "Where required (production), stateful resources — databases, buckets, KMS keys, backup vaults, secrets — are protected from deletion.",
    types: statefulAwsTypes,
    config: { requireProtect: setting.switch(false) },
    check: function* (resource) {
        if (!resource.opts.protect) {
            yield `${resource.type} "${resource.name}" holds state but is not protected: set protect (and retainOnDelete) on it.`;
        }
    },
});
