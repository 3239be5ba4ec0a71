import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { regionOf } from "./props";

/** RDS and Aurora rules (AWS Foundational Security Best Practices RDS.2–RDS.11, CIS 2.3). */

const instanceType = "aws:rds/instance:Instance";
const clusterType = "aws:rds/cluster:Cluster";
const clusterInstanceType = "aws:rds/clusterInstance:ClusterInstance";

/** An RDS read replica (`replicateSourceDb`) takes its engine, master user and backups from its source. */
const isReplica = (props: Record<string, unknown>) => typeof props.replicateSourceDb === "string" && props.replicateSourceDb !== "";

/** The region a KMS key ARN names; undefined for a key id or alias, which name a key of the caller's region. */
const keyRegion = (kmsKeyId: string) => /^arn:aws[\w-]*:kms:([a-z0-9-]+):/.exec(kmsKeyId)?.[1];

function rdsPolicy(name: string, description: string, types: readonly string[], check: (props: Record<string, unknown>, config: Record<string, unknown>, region: string | undefined) => string | undefined, configSchema?: ResourceValidationPolicy["configSchema"]): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        configSchema: configSchema ?? { properties: { enabled: { type: "boolean", default: true } } },
        validateResource: (args, reportViolation) => {
            if (!types.includes(args.type)) return;
            const config = args.getConfig<Record<string, unknown>>();
            if (config.enabled === false) return;
            const problem = check(args.props, config, regionOf(args));
            if (problem !== undefined) reportViolation(`${args.type.split(":").pop()} "${args.name}" ${problem}`);
        },
    };
}

export const rdsEncryption = rdsPolicy("keel-rds-encryption", "Databases encrypt storage at rest with a customer-managed KMS key (a cross-region replica with a key of its own region).", [instanceType, clusterType], (props, _config, region) => {
    if (isReplica(props)) {
        if (typeof props.kmsKeyId !== "string" || props.kmsKeyId === "") return "is a replica without a KMS key of its region (kmsKeyId)";
        const keyIn = keyRegion(props.kmsKeyId);
        return keyIn !== undefined && region !== undefined && keyIn !== region ? `is a replica in ${region} with a KMS key of ${keyIn} (kmsKeyId): it needs a key of its own region` : undefined;
    }
    if (props.storageEncrypted !== true) return "does not encrypt its storage";
    return typeof props.kmsKeyId === "string" && props.kmsKeyId !== "" ? undefined : "encrypts with the AWS-managed aws/rds key instead of a customer-managed key";
});

export const rdsNotPublic = rdsPolicy("keel-rds-not-public", "Databases are never publicly accessible.", [instanceType, clusterInstanceType], (props) =>
    props.publiclyAccessible === true ? "is publicly accessible" : undefined);

export const rdsBackupRetention = rdsPolicy(
    "keel-rds-backup-retention",
    "Primary databases keep automated backups at least the environment's minimum (production 30 days, staging 7).",
    [instanceType, clusterType],
    (props, config) => {
        if (isReplica(props)) return undefined;
        const minimum = typeof config.minimumDays === "number" ? config.minimumDays : 1;
        const days = typeof props.backupRetentionPeriod === "number" ? props.backupRetentionPeriod : 0;
        return days < minimum ? `keeps backups ${days} days; at least ${minimum} required` : undefined;
    },
    { properties: { minimumDays: { type: "integer", default: 1 } } },
);

export const rdsDeletionProtection = rdsPolicy("keel-rds-deletion-protection", "Where required (production), databases have deletion protection.", [instanceType, clusterType], (props, config) =>
    config.required === true && props.deletionProtection !== true ? "has no deletion protection" : undefined,
{ properties: { required: { type: "boolean", default: false } } });

export const rdsMultiAz = rdsPolicy("keel-rds-multi-az", "Where required (production), primary database instances are Multi-AZ.", [instanceType], (props, config) =>
    config.required === true && !isReplica(props) && props.multiAz !== true ? "is not Multi-AZ" : undefined,
{ properties: { required: { type: "boolean", default: false } } });

export const rdsIamAuthentication = rdsPolicy("keel-rds-iam-authentication", "Databases accept IAM authentication, so people and services need no long-lived passwords.", [instanceType, clusterType], (props) =>
    isReplica(props) || props.iamDatabaseAuthenticationEnabled === true ? undefined : "does not enable IAM database authentication");

export const rdsPerformanceInsights = rdsPolicy("keel-rds-performance-insights", "Where required, database instances run Performance Insights.", [instanceType, clusterInstanceType], (props, config) =>
    config.required === true && props.performanceInsightsEnabled !== true ? "does not enable Performance Insights" : undefined,
{ properties: { required: { type: "boolean", default: false } } });

export const rdsCrossRegion: StackValidationPolicy = {
    name: "keel-rds-cross-region",
    description: "Where required (production), databases run in two regions: the primary and its DR replica (or, after a failover, the promoted DR database).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { required: { type: "boolean", default: false } } },
    validateStack: (args, reportViolation) => {
        if (!args.getConfig<{ required?: boolean }>().required) return;
        const databases = args.resources.filter((r) => r.type === instanceType || r.type === clusterType);
        const regions = new Set(databases.map(regionOf).filter((r) => r !== undefined));
        if (databases.length > 0 && regions.size < 2) reportViolation(`every database is in ${[...regions].join(", ") || "one region"}: a DR replica in another region is required`);
    },
};

export const databasePolicies = [rdsEncryption, rdsNotPublic, rdsBackupRetention, rdsDeletionProtection, rdsMultiAz, rdsIamAuthentication, rdsPerformanceInsights, rdsCrossRegion];
