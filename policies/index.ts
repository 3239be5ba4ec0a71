// The Keel policy pack as the Pulumi CLI loads it: `pulumi preview --policy-pack policies`.
// The same policy objects run offline through policies/offline.ts.
import { PolicyPack } from "@pulumi/policy";
import { keelPolicies } from "./rules";

new PolicyPack("keel", {
    description: "Keel's guardrails from the operations guides: tagging, regions, protection of stateful resources.",
    policies: keelPolicies,
});
