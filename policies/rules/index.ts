import type { Policies } from "@pulumi/policy";
import { protectStatefulResources } from "./protection";
import { allowedRegions } from "./regions";
import { requiredTags } from "./tagging";

/** Every policy of the Keel pack, shared by `pulumi ... --policy-pack policies` and the offline runner. */
export const keelPolicies: Policies = [requiredTags, allowedRegions, protectStatefulResources];
