import type { ResourceValidationPolicy } from "@pulumi/policy";
import { statefulAwsTypes } from "./resource-types";

export const protectStatefulResources: ResourceValidationPolicy = {
    name: "keel-protect-stateful-resources",
    description: "Where required (production), stateful resources — databases, buckets, KMS keys, backup vaults, secrets — are protected from deletion.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            requireProtect: { type: "boolean", default: false },
        },
    },
    validateResource: (args, reportViolation) => {
        if (!statefulAwsTypes.has(args.type)) return;
        const { requireProtect = false } = args.getConfig<{ requireProtect?: boolean }>();
        if (requireProtect && !args.opts.protect) {
            reportViolation(`${args.type} "${args.name}" holds state but is not protected: set protect (and retainOnDelete) on it.`);
        }
    },
};
