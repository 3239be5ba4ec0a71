import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { regionOf } from "./props";

/**
 * S3 rules. With `@pulumi/aws` v7 a bucket's settings live in separate resources
 * (BucketVersioning, BucketServerSideEncryptionConfiguration, ...), so these are stack
 * policies over the dependency graph: each setting resource is matched to the bucket it
 * configures through its `bucket` property dependency (under the Pulumi engine) or, in a
 * plan record, its dependency on the bucket (the one in its own region).
 */

const bucketType = "aws:s3/bucket:Bucket";
export const bucketSettingTypes = {
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    logging: "aws:s3/bucketLogging:BucketLogging",
    replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
} as const;
type Setting = keyof typeof bucketSettingTypes;

export interface BucketView {
    readonly bucket: PolicyResource;
    readonly settings: Partial<Record<Setting, PolicyResource>>;
}

/**
 * The bucket a setting resource configures. Besides its own bucket, a replication
 * configuration depends on its destination (in the other region) and a logging
 * configuration on its target log bucket (`excluded`).
 */
function configuredBucket(setting: PolicyResource, excluded: ReadonlySet<string>): PolicyResource | undefined {
    const declared = setting.propertyDependencies?.bucket?.filter((r) => r.type === bucketType) ?? [];
    if (declared.length === 1) return declared[0];
    const candidates = setting.dependencies.filter((r) => r.type === bucketType && !excluded.has(r.urn));
    if (candidates.length <= 1) return candidates[0];
    const local = candidates.filter((b) => regionOf(b) === regionOf(setting));
    return local.length === 1 ? local[0] : undefined;
}

/** Every bucket of the stack with the setting resources that configure it. */
export function bucketViews(resources: readonly PolicyResource[]): BucketView[] {
    const views = new Map(resources.filter((r) => r.type === bucketType).map((bucket) => [bucket.urn, { bucket, settings: {} as Partial<Record<Setting, PolicyResource>> }]));
    const attach = (settings: Setting[], excluded: ReadonlySet<string>) => {
        for (const setting of settings) {
            for (const resource of resources.filter((r) => r.type === bucketSettingTypes[setting])) {
                const bucket = configuredBucket(resource, excluded);
                const view = bucket && views.get(bucket.urn);
                if (view) view.settings[setting] = resource;
            }
        }
    };
    const allSettings = Object.keys(bucketSettingTypes) as Setting[];
    attach(allSettings.filter((s) => s !== "logging"), new Set());
    attach(["logging"], new Set([...views.values()].filter(isLogTarget).map((v) => v.bucket.urn)));
    return [...views.values()];
}

type Statement = { Effect?: string; Principal?: unknown; Action?: string | string[]; Condition?: Record<string, Record<string, unknown>> };
function statements(policy: unknown): Statement[] {
    if (typeof policy !== "string") return [];
    try {
        const parsed = JSON.parse(policy) as { Statement?: Statement | Statement[] };
        return [parsed.Statement ?? []].flat();
    } catch {
        return [];
    }
}

/** A bucket that receives S3 server access logs (its policy admits the log delivery service). */
function isLogTarget(view: BucketView): boolean {
    return statements(view.settings.policy?.props.policy).some(
        (s) => s.Effect === "Allow" && JSON.stringify(s.Principal ?? "").includes("logging.s3.amazonaws.com"),
    );
}

function bucketPolicy(
    name: string,
    description: string,
    check: (view: BucketView, config: Record<string, unknown>) => string | undefined,
    configSchema: StackValidationPolicy["configSchema"] = { properties: { exemptBuckets: { type: "array", items: { type: "string" }, default: [] } } },
): StackValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        configSchema,
        validateStack: (args, reportViolation) => {
            const config = args.getConfig<Record<string, unknown>>();
            const exempt = Array.isArray(config.exemptBuckets) ? config.exemptBuckets : [];
            for (const view of bucketViews(args.resources)) {
                if (exempt.includes(view.bucket.name)) continue;
                const problem = check(view, config);
                if (problem !== undefined) reportViolation(`S3 bucket "${view.bucket.name}" ${problem}`, view.bucket.urn);
            }
        },
    };
}

export const s3Encryption = bucketPolicy(
    "keel-s3-kms-encryption",
    "S3 buckets encrypt by default with SSE-KMS and a customer-managed key (S3 Bucket Keys on). `exemptBuckets` lists buckets AWS requires to use SSE-S3 (load balancer access logs).",
    ({ settings }) => {
        const rules = settings.encryption?.props.rules;
        const rule = Array.isArray(rules) ? (rules[0] as Record<string, Record<string, unknown> | undefined>) : undefined;
        const byDefault = rule?.applyServerSideEncryptionByDefault;
        if (!byDefault) return "has no default encryption configuration";
        if (byDefault.sseAlgorithm !== "aws:kms" && byDefault.sseAlgorithm !== "aws:kms:dsse") return `encrypts with ${String(byDefault.sseAlgorithm)}, not SSE-KMS`;
        if (!byDefault.kmsMasterKeyId) return "uses the AWS-managed aws/s3 key instead of a customer-managed key";
        return undefined;
    },
);

export const s3PublicAccessBlock = bucketPolicy(
    "keel-s3-public-access-block",
    "S3 buckets block public ACLs and policies with all four public access block settings.",
    ({ settings }) => {
        const props = settings.publicAccessBlock?.props;
        if (!props) return "has no public access block";
        const off = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].filter((flag) => props[flag] !== true);
        return off.length > 0 ? `does not set ${off.join(", ")} in its public access block` : undefined;
    },
);

export const s3Versioning = bucketPolicy("keel-s3-versioning", "S3 buckets are versioned, so overwritten and deleted objects can be recovered.", ({ settings }) => {
    const status = (settings.versioning?.props.versioningConfiguration as Record<string, unknown> | undefined)?.status;
    return status === "Enabled" ? undefined : `is not versioned (status ${String(status ?? "unset")})`;
});

export const s3AclsDisabled = bucketPolicy("keel-s3-acls-disabled", "S3 buckets disable ACLs (object ownership BucketOwnerEnforced): access is decided by policies alone.", ({ settings }) => {
    const rule = settings.ownership?.props.rule as Record<string, unknown> | undefined;
    return rule?.objectOwnership === "BucketOwnerEnforced" ? undefined : `does not enforce bucket-owner object ownership (${String(rule?.objectOwnership ?? "no ownership controls")})`;
});

export const s3TlsOnly = bucketPolicy("keel-s3-tls-only", "S3 bucket policies deny every request made without TLS (aws:SecureTransport false).", ({ settings }) => {
    const deniesPlaintext = statements(settings.policy?.props.policy).some((s) => s.Effect === "Deny" && String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false");
    return deniesPlaintext ? undefined : "has no bucket policy statement denying requests without TLS";
});

const infrequentAccess = ["STANDARD_IA", "ONEZONE_IA"];
export const s3Lifecycle = bucketPolicy(
    "keel-s3-lifecycle",
    "S3 buckets have lifecycle rules that expire objects (current or noncurrent versions) and never move them to an infrequent-access class before day 30.",
    ({ settings }) => {
        const rules = settings.lifecycle?.props.rules;
        if (!Array.isArray(rules) || rules.length === 0) return "has no lifecycle rules";
        for (const rule of rules as Record<string, unknown>[]) {
            if (rule.status !== "Enabled") continue;
            if (rule.expiration === undefined && rule.noncurrentVersionExpiration === undefined) return `has a lifecycle rule (${String(rule.id)}) that expires nothing`;
            for (const t of (Array.isArray(rule.transitions) ? rule.transitions : []) as Record<string, unknown>[]) {
                if (infrequentAccess.includes(String(t.storageClass)) && typeof t.days === "number" && t.days < 30) {
                    return `moves objects to ${String(t.storageClass)} on day ${t.days} (rule ${String(rule.id)}); S3 requires 30 days`;
                }
            }
        }
        return undefined;
    },
);

export const s3AccessLogging = bucketPolicy(
    "keel-s3-access-logging",
    "S3 buckets send server access logs to a log bucket (log buckets themselves excepted).",
    (view) => (view.settings.logging !== undefined || isLogTarget(view) ? undefined : "has no server access logging"),
);

export const s3Replication: StackValidationPolicy = {
    name: "keel-s3-replication",
    description: "Where required (production), every backup bucket replicates to a bucket in another region (3-2-1: the off-site copy).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { requireReplication: { type: "boolean", default: false } } },
    validateStack: (args, reportViolation) => {
        if (!args.getConfig<{ requireReplication?: boolean }>().requireReplication) return;
        for (const component of args.resources.filter((r) => r.type === "keel:backup:BackupBucket")) {
            const replications = args.resources.filter((r) => r.type === bucketSettingTypes.replication && r.parent?.urn === component.urn);
            const offSite = replications.some((replication) => replication.dependencies.some((d) => d.type === bucketType && regionOf(d) !== regionOf(replication)));
            if (!offSite) reportViolation(`backup bucket "${component.name}" has no replication to another region`, component.urn);
        }
    },
};

export const storagePolicies = [s3Encryption, s3PublicAccessBlock, s3Versioning, s3AclsDisabled, s3TlsOnly, s3Lifecycle, s3AccessLogging, s3Replication];
