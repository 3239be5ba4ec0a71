import type { Policies } from "@pulumi/policy";
import { alertingPolicies } from "./alerting";
import { backupPolicies } from "./backup";
import { cachePolicies } from "./cache";
import { cdnPolicies } from "./cdn";
import { changeFreeze, changeFreezeOverride } from "./change-freeze";
import { changeWindow, changeWindowOverride } from "./change-windows";
import { computePolicies } from "./compute";
import { costPolicies } from "./cost";
import { drReadiness } from "./readiness";
import { databasePolicies } from "./database";
import { edgePolicies } from "./edge";
import { identityPolicies } from "./identity";
import { kubernetesPolicies } from "./kubernetes";
import { monitoringPolicies } from "./monitoring";
import { networkPolicies } from "./network";
import { protectStatefulResources } from "./protection";
import { allowedRegions } from "./regions";
import { resourcePolicyPolicies } from "./resource-policies";
import { secretPolicies } from "./secrets";
import { storagePolicies } from "./storage";
import { requiredTags } from "./tagging";
import { workloadPolicies } from "./workloads";

/** Every policy of the Keel pack, shared by `pulumi ... --policy-pack policies` and the offline runner. */
export const keelPolicies: Policies = [
    requiredTags,
    allowedRegions,
    protectStatefulResources,
    ...networkPolicies,
    ...storagePolicies,
    ...backupPolicies,
    ...databasePolicies,
    ...cachePolicies,
    ...computePolicies,
    ...edgePolicies,
    ...cdnPolicies,
    ...kubernetesPolicies,
    ...workloadPolicies,
    ...monitoringPolicies,
    ...alertingPolicies,
    ...identityPolicies,
    ...resourcePolicyPolicies,
    ...secretPolicies,
    ...costPolicies,
    drReadiness,
    changeFreeze,
    changeFreezeOverride,
    changeWindow,
    changeWindowOverride,
];
