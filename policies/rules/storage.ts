import type { PolicyResource } from "@pulumi/policy";
import { resourcePolicy, setting, stackPolicy, type StackViolation } from "./policy";
import { isTrue, list, object, regionOf } from "./props";
import { byParent, dayCount, globMatches, isAwsManagedKey, physicalNames, policyStatements, stringsOf, type PolicyStatement } from "./storage-helpers";
import { whenKnown } from "./preview";

/**
 * S3 rules. With `@pulumi/aws` v7 a bucket's settings live in separate resources
 * (BucketVersioning, BucketServerSideEncryptionConfiguration, ...), so these are stack
 * policies over the dependency graph: each setting resource is matched to the bucket it
 * configures by its `bucket` name, its `bucket` property dependency (under the Pulumi engine)
 * or, in a plan record, its dependency on the bucket (the one in its own region).
 */

const bucketType = "aws:s3/bucket:Bucket";
export const backupBucketComponentType = "keel:backup:BackupBucket";
export const bucketSettingTypes = {
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    policy: "aws:s3/bucketPolicy:BucketPolicy",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    logging: "aws:s3/bucketLogging:BucketLogging",
    replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    objectLock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
} as const;
type Setting = keyof typeof bucketSettingTypes;

export interface BucketView {
    readonly bucket: PolicyResource;
    /** Every setting resource of each kind that configures the bucket (S3 keeps one; a second one would fight the first). */
    readonly settings: Partial<Record<Setting, PolicyResource[]>>;
}

/** The bucket a physical bucket name names, when exactly one of the stack's buckets can have it. */
type BucketNamed = (name: unknown) => PolicyResource | undefined;

function bucketsByName(buckets: readonly PolicyResource[]): BucketNamed {
    const lookup = physicalNames(buckets, "bucket");
    return (name) => {
        const matches = typeof name === "string" ? lookup(name) : [];
        return matches.length === 1 ? matches[0] : undefined;
    };
}

/**
 * The bucket a setting resource configures. Besides its own bucket, a replication
 * configuration depends on its destination (in the other region) and a logging
 * configuration on its target log bucket (`excluded`).
 */
function configuredBucket(setting: PolicyResource, bucketNamed: BucketNamed, excluded: ReadonlySet<string>): PolicyResource | undefined {
    const declared = setting.propertyDependencies?.bucket?.filter((r) => r.type === bucketType) ?? [];
    if (declared.length === 1) return declared[0];
    const byName = bucketNamed(whenKnown(() => setting.props.bucket, undefined));
    if (byName) return byName;
    const candidates = setting.dependencies.filter((r) => r.type === bucketType && !excluded.has(r.urn));
    if (candidates.length <= 1) return candidates[0];
    const local = candidates.filter((b) => regionOf(b) === regionOf(setting));
    return local.length === 1 ? local[0] : undefined;
}

/** The stack's buckets: each with its settings, looked up by physical name or by the component they belong to. */
export interface Buckets {
    readonly views: readonly BucketView[];
    readonly named: BucketNamed;
    /** The views of a component's own buckets (a backup bucket's source and replica). */
    readonly of: (component: PolicyResource) => BucketView[];
    /** Every child resource of a component. */
    readonly children: (component: PolicyResource) => PolicyResource[];
}

/** Every bucket of the stack with the setting resources that configure it. */
export function stackBuckets(resources: readonly PolicyResource[]): Buckets {
    const buckets = resources.filter((r) => r.type === bucketType);
    const named = bucketsByName(buckets);
    const views = new Map(buckets.map((bucket) => [bucket.urn, { bucket, settings: {} as Partial<Record<Setting, PolicyResource[]>> }]));
    const typeToSetting = new Map<string, Setting>(Object.entries(bucketSettingTypes).map(([setting, type]) => [type, setting as Setting]));
    const settingResources = resources.filter((r) => typeToSetting.has(r.type));
    const attach = (which: (setting: Setting) => boolean, excluded: ReadonlySet<string>) => {
        for (const resource of settingResources) {
            const setting = typeToSetting.get(resource.type)!;
            if (!which(setting)) continue;
            const bucket = configuredBucket(resource, named, excluded);
            const view = bucket && views.get(bucket.urn);
            if (view) view.settings[setting] = [...(view.settings[setting] ?? []), resource];
        }
    };
    attach((s) => s !== "logging", new Set());
    attach((s) => s === "logging", new Set([...views.values()].filter(isLogTarget).map((v) => v.bucket.urn)));
    const all = [...views.values()];
    const bucketParents = byParent(all.map((v) => v.bucket));
    return { views: all, named, of: (component) => bucketParents(component).map((b) => views.get(b.urn)!), children: byParent(resources) };
}

const settingsOf = (view: BucketView, setting: Setting): PolicyResource[] => view.settings[setting] ?? [];

/** A bucket that receives S3 server access logs (its policy admits the log delivery service). */
function isLogTarget(view: BucketView): boolean {
    return settingsOf(view, "policy").some((policy) => whenKnown(() => policyStatements(policy.props.policy), []).some(
        (s) => s.Effect === "Allow" && JSON.stringify(s.Principal ?? "").includes("logging.s3.amazonaws.com"),
    ));
}

/** Whether the bucket belongs to a component of one of these types (an exemption names the component, never a bucket name another bucket could take). */
const inComponentOf = (bucket: PolicyResource, types: unknown): boolean => Array.isArray(types) && bucket.parent !== undefined && types.includes(bucket.parent.type);

/**
 * A stack policy judging every bucket; `exempt` judges the buckets of the components
 * `exemptComponentTypes` names (by default `exemptByDefault`, none unless given; without
 * `exempt` their buckets are not judged).
 */
function bucketPolicy(
    name: string,
    description: string,
    check: (view: BucketView) => string | undefined,
    options: { exemptByDefault?: readonly string[]; exempt?: (view: BucketView) => string | undefined } = {},
) {
    return stackPolicy({
        name,
        description,
        config: { exemptComponentTypes: setting.strings(options.exemptByDefault ?? []) },
        check: function* ({ resources }, { exemptComponentTypes }) {
            for (const view of stackBuckets(resources).views) {
                const judge = inComponentOf(view.bucket, exemptComponentTypes) ? options.exempt : check;
                const problem = judge && whenKnown(() => judge(view), undefined);
                if (problem !== undefined) yield [`S3 bucket "${view.bucket.name}" ${problem}`, view.bucket.urn];
            }
        },
    });
}

/** Why a bucket's default encryption is not SSE-KMS with a customer-managed key (`sseS3` also accepts SSE-S3). */
function encryptionProblem(view: BucketView, sseS3: boolean): string | undefined {
    const configurations = settingsOf(view, "encryption");
    if (configurations.length === 0) return "has no default encryption configuration";
    for (const configuration of configurations) {
        const rules = list(configuration.props.rules);
        if (rules.length === 0) return "has no default encryption configuration";
        for (const rule of rules) {
            const byDefault = object(rule.applyServerSideEncryptionByDefault);
            const algorithm = byDefault.sseAlgorithm;
            if (algorithm === undefined) return "has no default encryption configuration";
            if (sseS3 && algorithm === "AES256") continue;
            if (algorithm !== "aws:kms" && algorithm !== "aws:kms:dsse") return `encrypts with ${String(algorithm)}, not SSE-KMS`;
            if (!byDefault.kmsMasterKeyId) return "uses the AWS-managed aws/s3 key instead of a customer-managed key";
            if (isAwsManagedKey(byDefault.kmsMasterKeyId)) return `uses the AWS-managed key ${String(byDefault.kmsMasterKeyId)} instead of a customer-managed key`;
        }
    }
    return undefined;
}

/** The ALB access-log bucket component: Elastic Load Balancing delivers access logs to SSE-S3 buckets only. */
export const albLogBucketComponentType = "keel:traffic:AlbLogBucket";

export const s3Encryption = bucketPolicy(
    "keel-s3-kms-encryption",
    "S3 buckets encrypt by default with SSE-KMS and a customer-managed key, never the AWS-managed aws/s3 key. The buckets of the components `exemptComponentTypes` names (the ALB log bucket: ELB delivers logs to SSE-S3 buckets only) may use SSE-S3 instead, never no encryption.",
    (view) => encryptionProblem(view, false),
    { exemptByDefault: [albLogBucketComponentType], exempt: (view) => encryptionProblem(view, true) },
);

export const s3PublicAccessBlock = bucketPolicy("keel-s3-public-access-block", "S3 buckets block public ACLs and policies with all four public access block settings.", (view) => {
    const blocks = settingsOf(view, "publicAccessBlock");
    if (blocks.length === 0) return "has no public access block";
    const off = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].filter((flag) => blocks.some((b) => b.props[flag] !== true));
    return off.length > 0 ? `does not set ${off.join(", ")} in its public access block` : undefined;
});

export const s3Versioning = bucketPolicy("keel-s3-versioning", "S3 buckets are versioned, so overwritten and deleted objects can be recovered.", (view) => {
    const statuses = settingsOf(view, "versioning").map((v) => object(v.props.versioningConfiguration).status);
    const off = statuses.length === 0 ? undefined : statuses.find((s) => s !== "Enabled");
    return statuses.length > 0 && off === undefined ? undefined : `is not versioned (status ${String(off ?? "unset")})`;
});

export const s3AclsDisabled = bucketPolicy("keel-s3-acls-disabled", "S3 buckets disable ACLs (object ownership BucketOwnerEnforced): access is decided by policies alone.", (view) => {
    const ownerships = settingsOf(view, "ownership").map((o) => object(o.props.rule).objectOwnership);
    const off = ownerships.find((o) => o !== "BucketOwnerEnforced");
    return ownerships.length > 0 && off === undefined ? undefined : `does not enforce bucket-owner object ownership (${String(off ?? "no ownership controls")})`;
});

// ---- TLS only ----

const everyone = (principal: unknown): boolean => {
    if (principal === "*") return true;
    if (Array.isArray(principal)) return principal.includes("*");
    const aws = object(principal).AWS;
    return aws === "*" || (Array.isArray(aws) && aws.includes("*"));
};

/** Whether a condition block is exactly `Bool` (or `BoolIfExists`) `aws:SecureTransport` false: any other condition would narrow the deny. */
function onlyWithoutTls(condition: unknown): boolean {
    const operators = Object.entries(object(condition));
    if (operators.length !== 1) return false;
    const [operator, keys] = operators[0];
    const entries = Object.entries(object(keys));
    if (!["Bool", "BoolIfExists"].includes(operator) || entries.length !== 1) return false;
    const [key, value] = entries[0];
    const values = [value].flat();
    return key.toLowerCase() === "aws:securetransport" && values.length > 0 && values.every((v) => String(v).toLowerCase() === "false");
}

/** Object keys a deny must reach to cover every object: the empty key, a one-character key and a nested one. */
const sampleKeys = ["", "a", "daily/2025-01-01/app.dump"];
const withAwsPartition = (arn: string) => arn.replace(/^arn:[^:]*:/, "arn:aws:");

/** What a statement's Resource covers of the bucket: the bucket itself (ListBucket, its settings) and every object. */
function coverage(statement: PolicyStatement, bucketName: string | undefined): { bucket: boolean; objects: boolean } {
    const patterns = stringsOf(statement.Resource).map(withAwsPartition);
    const matchesAll = (targets: string[]) => patterns.some((p) => targets.every((t) => globMatches(p, t)));
    if (bucketName === undefined) {
        return { bucket: patterns.some((p) => p === "*" || !p.includes("/")), objects: patterns.some((p) => p === "*" || p.endsWith("/*") || p.endsWith(":::*")) };
    }
    const arn = `arn:aws:s3:::${bucketName}`;
    return { bucket: matchesAll([arn]), objects: matchesAll(sampleKeys.map((key) => `${arn}/${key}`)) };
}

/** Why a bucket policy does not deny every request without TLS, or undefined when it does. */
export function tlsDenyProblem(document: unknown, bucketName: string | undefined): string | undefined {
    const statements = policyStatements(document).filter((s) => s.Effect === "Deny" && JSON.stringify(s.Condition ?? {}).toLowerCase().includes("aws:securetransport"));
    const denies = statements.filter((s) => s.NotPrincipal === undefined && s.NotAction === undefined && s.NotResource === undefined && onlyWithoutTls(s.Condition));
    if (denies.length === 0 && statements.length > 0) return "narrows its TLS deny (a further condition, a true SecureTransport, NotPrincipal, NotAction or NotResource): it must deny every request with aws:SecureTransport false alone";
    if (denies.length === 0) return "has no bucket policy statement denying requests without TLS (aws:SecureTransport false)";
    const full = denies.filter((s) => everyone(s.Principal) && stringsOf(s.Action).some((a) => ["s3:*", "*"].includes(a.toLowerCase())));
    if (full.length === 0) return "denies requests without TLS only to some principals or actions: the deny must cover s3:* for every principal (\"*\")";
    const covered = full.map((s) => coverage(s, bucketName));
    if (!covered.some((c) => c.bucket)) return "does not deny requests without TLS on the bucket itself (its ARN must be a Resource of the deny)";
    if (!covered.some((c) => c.objects)) return "does not deny requests without TLS on every object (the Resource must include the bucket's ARN followed by /*)";
    return undefined;
}

export const s3TlsOnly = bucketPolicy(
    "keel-s3-tls-only",
    "S3 bucket policies deny every request made without TLS: Deny, Principal \"*\", Action s3:*, on the bucket and all its objects, under aws:SecureTransport false alone (AWS S3 security best practices; FSBP S3.5).",
    (view) => {
        const policies = settingsOf(view, "policy");
        if (policies.length === 0) return "has no bucket policy statement denying requests without TLS (aws:SecureTransport false)";
        for (const policy of policies) {
            const name = policy.props.bucket;
            const problem = tlsDenyProblem(policy.props.policy, typeof name === "string" ? name : undefined);
            if (problem !== undefined) return problem;
        }
        return undefined;
    },
);

const infrequentAccess = ["STANDARD_IA", "ONEZONE_IA"];
/** Lifecycle rule fields the provider has taken both as an object and as a one-element list. */
const one = (value: unknown): Record<string, unknown> => object(Array.isArray(value) ? value[0] : value);

export const s3Lifecycle = bucketPolicy(
    "keel-s3-lifecycle",
    "S3 buckets have lifecycle rules that expire objects (current or noncurrent versions) and never move them to an infrequent-access class before day 30.",
    (view) => {
        const configurations = settingsOf(view, "lifecycle");
        const rules = configurations.flatMap((c) => list(c.props.rules));
        if (rules.length === 0) return "has no lifecycle rules";
        for (const rule of rules) {
            if (rule.status !== "Enabled") continue;
            if (rule.expiration === undefined && rule.noncurrentVersionExpiration === undefined) return `has a lifecycle rule (${String(rule.id)}) that expires nothing`;
            for (const t of list(rule.transitions)) {
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
    (view) => (settingsOf(view, "logging").length > 0 || isLogTarget(view) ? undefined : "has no server access logging"),
);

// ---- backup buckets: the off-site copy, write-once, retention ----

const backupBucketsOf = (resources: readonly PolicyResource[]) => resources.filter((r) => r.type === backupBucketComponentType);
/** The views of a component's own buckets (the source and its replica). */

/** Whether a replication or lifecycle rule's filter takes every object (no prefix, no tag, no size limit). */
function takesEveryObject(rule: Record<string, unknown>): boolean {
    const filter = one(rule.filter);
    const and = one(filter.and);
    const prefixes = [rule.prefix, filter.prefix, and.prefix].filter((p) => p !== undefined && p !== "");
    const tags = [filter.tag, ...Object.keys(object(and.tags))].filter((t) => t !== undefined);
    const sizes = [filter.objectSizeGreaterThan, filter.objectSizeLessThan, and.objectSizeGreaterThan, and.objectSizeLessThan].filter((s) => s !== undefined);
    return prefixes.length === 0 && tags.length === 0 && sizes.length === 0;
}

/** Why a replication rule does not copy every object of `source` to a bucket in another region, or undefined when it does. */
function replicationRuleProblem(rule: Record<string, unknown>, replication: PolicyResource, source: BucketView | undefined, bucketNamed: BucketNamed): string | undefined {
    const id = `rule "${String(rule.id ?? "(no id)")}"`;
    if (rule.status !== "Enabled") return `${id} is ${String(rule.status ?? "not enabled")}`;
    if (!takesEveryObject(rule)) return `${id} replicates only part of the bucket (a prefix, tag or size filter)`;
    const sourceUsesKms = source !== undefined && settingsOf(source, "encryption").some((e) => list(e.props.rules).some((r) => String(object(r.applyServerSideEncryptionByDefault).sseAlgorithm).startsWith("aws:kms")));
    const kmsObjects = one(one(rule.sourceSelectionCriteria).sseKmsEncryptedObjects).status;
    if (sourceUsesKms && kmsObjects !== "Enabled") return `${id} skips SSE-KMS encrypted objects (sourceSelectionCriteria.sseKmsEncryptedObjects is not Enabled), which is every object of this bucket`;
    const sourceRegion = source ? regionOf(source.bucket) : regionOf(replication);
    const destinationArn = one(rule.destination).bucket;
    const named = typeof destinationArn === "string" ? bucketNamed(destinationArn.replace(/^arn:[^:]*:s3:::/, "")) : undefined;
    if (named !== undefined) {
        return named.urn === source?.bucket.urn || regionOf(named) === sourceRegion ? `${id} replicates to "${named.name}" in the same region (${String(sourceRegion)})` : undefined;
    }
    const elsewhere = replication.dependencies.some((d) => d.type === bucketType && d.urn !== source?.bucket.urn && regionOf(d) !== sourceRegion);
    return elsewhere ? undefined : `${id} replicates to ${String(destinationArn ?? "an unknown bucket")}, not a bucket of the stack in another region`;
}

export const s3Replication = stackPolicy({
    name: "keel-s3-replication",
    description: "Where required (production), every backup bucket replicates every object (SSE-KMS ones included) to a bucket of the stack in another region with an enabled rule (3-2-1: the off-site copy; S3 replicates SSE-KMS objects only when asked to).",
    config: { requireReplication: setting.switch(false) },
    check: function* ({ resources }) {
        const buckets = stackBuckets(resources);
        for (const component of backupBucketsOf(resources)) {
            const own = buckets.of(component);
            const replications = [...new Set([...own.flatMap((v) => settingsOf(v, "replication")), ...buckets.children(component).filter((r) => r.type === bucketSettingTypes.replication)])];
            const problems = replications.flatMap((replication) => {
                const source = own.find((v) => settingsOf(v, "replication").includes(replication));
                const rules = whenKnown(() => list(replication.props.rules), undefined);
                if (rules === undefined) return [undefined];
                if (rules.length === 0) return [`"${replication.name}" has no rules`];
                return rules.map((rule) => whenKnown(() => replicationRuleProblem(rule, replication, source, buckets.named), undefined));
            });
            if (problems.some((p) => p === undefined)) continue;
            const why = problems.length > 0 ? `: ${problems.join("; ")}` : "";
            yield [`backup bucket "${component.name}" has no replication to another region${why}`, component.urn];
        }
    },
});

const lockStrength = ["GOVERNANCE", "COMPLIANCE"];

/** Why a bucket is not write-once for at least `days` in at least `mode`, or undefined when it is. */
function objectLockProblem(view: BucketView, mode: string, days: number): string | undefined {
    const props = view.bucket.props;
    if (!isTrue(props.objectLockEnabled) && object(props.objectLockConfiguration).objectLockEnabled !== "Enabled") return "does not enable Object Lock (objectLockEnabled)";
    const locks = settingsOf(view, "objectLock");
    if (locks.length === 0) return "has no Object Lock configuration: new objects get no default retention";
    for (const lock of locks) {
        const retention = one(one(lock.props.rule).defaultRetention);
        const kept = typeof retention.days === "number" ? retention.days : typeof retention.years === "number" ? retention.years * 365 : undefined;
        if (kept === undefined) return "has no default retention in its Object Lock configuration";
        if (kept < days) return `locks new objects ${dayCount(kept)}; at least ${days} required`;
        if (lockStrength.indexOf(String(retention.mode)) < lockStrength.indexOf(mode)) return `locks new objects in ${String(retention.mode)} mode; ${mode} required`;
    }
    return undefined;
}

export const s3ObjectLock = stackPolicy({
    name: "keel-s3-object-lock",
    description: "The backup buckets `components` names (production: database-dumps) and their replicas are write-once: Object Lock enabled, with a default retention of at least `minimumDays` in at least `mode` (ransomware and operator mistakes cannot delete what is locked).",
    config: { components: setting.strings([]), minimumDays: setting.integer(1), mode: setting.text("GOVERNANCE", lockStrength) },
    check: function* ({ resources }, { components, minimumDays, mode }) {
        const buckets = stackBuckets(resources);
        // A plan without the bucket (a partial plan, or one that deletes it, which protect refuses) has nothing to judge.
        for (const component of backupBucketsOf(resources).filter((c) => components.includes(c.name))) {
            for (const view of buckets.of(component)) {
                const problem = whenKnown(() => objectLockProblem(view, mode, minimumDays), undefined);
                if (problem !== undefined) yield [`S3 bucket "${view.bucket.name}" of backup bucket "${component.name}" ${problem}`, view.bucket.urn];
            }
        }
    },
});

/** A tier's minimums, per key prefix of a backup bucket: days current objects and noncurrent versions are kept. */
type TierMinimums = Record<string, Record<string, { days?: number; noncurrentDays?: number }>>;

/** The prefix a lifecycle rule governs ("" for every object). */
const rulePrefix = (rule: Record<string, unknown>): string => {
    const filter = one(rule.filter);
    const prefix = [filter.prefix, one(filter.and).prefix, rule.prefix].find((p) => typeof p === "string");
    return typeof prefix === "string" ? prefix : "";
};
const overlaps = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);

/** Why one lifecycle rule deletes backup data sooner than the environment keeps it, or undefined. */
function retentionProblem(rule: Record<string, unknown>, tiers: Record<string, { days?: number; noncurrentDays?: number }>, minimumDays: number, noncurrentMinimumDays: number): string | undefined {
    if (rule.status !== "Enabled") return undefined;
    const prefix = rulePrefix(rule);
    const governed = Object.entries(tiers).filter(([tierPrefix]) => overlaps(prefix, tierPrefix));
    const least = (key: "days" | "noncurrentDays", floor: number) => governed.reduce<[number, string]>(
        ([days, why], [tierPrefix, tier]) => (typeof tier[key] === "number" && tier[key] > days ? [tier[key], ` (tier "${tierPrefix}")`] : [days, why]),
        [floor, ""],
    );
    const where = `lifecycle rule "${String(rule.id ?? "(no id)")}" (prefix "${prefix}")`;
    const expiration = one(rule.expiration);
    if (typeof expiration.date === "string") return `${where} expires every object on ${expiration.date}, whatever its age`;
    const [days, tier] = least("days", minimumDays);
    if (typeof expiration.days === "number" && expiration.days < days) return `${where} expires objects after ${dayCount(expiration.days)}; they are kept at least ${days}${tier}`;
    const [noncurrentDays, noncurrentTier] = least("noncurrentDays", noncurrentMinimumDays);
    const noncurrent = one(rule.noncurrentVersionExpiration).noncurrentDays;
    if (typeof noncurrent === "number" && noncurrent < noncurrentDays) return `${where} removes overwritten and deleted versions after ${dayCount(noncurrent)}; they are kept at least ${noncurrentDays}${noncurrentTier}`;
    return undefined;
}

/** The components whose buckets hold logs: S3 server access logs and ALB access logs. */
const logBucketComponentTypes = ["keel:backup:LogBucket", albLogBucketComponentType];

/** The lifecycle configurations of a component's buckets, and those made under it. */
const lifecyclesOf = (buckets: Buckets, component: PolicyResource) => [...new Set([
    ...buckets.of(component).flatMap((v) => settingsOf(v, "lifecycle")),
    ...buckets.children(component).filter((r) => r.type === bucketSettingTypes.lifecycle),
])];

export const backupBucketRetention = stackPolicy({
    name: "keel-backup-bucket-retention",
    description: "Lifecycle rules of backup buckets (and their replicas) keep objects at least the environment's minimum: `minimumDays` and `noncurrentMinimumDays` everywhere, and per component and key prefix `tiers` (production dumps: daily/ 7, weekly/ 90, monthly/ 365 days); a rule expiring on a date is refused, and so is a force-destroyable backup bucket. Log buckets (S3 and ALB access logs) keep logs at least `logMinimumDays`.",
    config: {
        minimumDays: setting.integer(1),
        noncurrentMinimumDays: setting.integer(1),
        tiers: setting.record<TierMinimums>({}),
        logMinimumDays: setting.integer(1),
    },
    check: function* ({ resources }, { minimumDays, noncurrentMinimumDays, tiers, logMinimumDays }) {
        const buckets = stackBuckets(resources);
        const judge = function* (component: PolicyResource, kind: string, check: (rule: Record<string, unknown>) => string | undefined): Generator<StackViolation> {
            for (const configuration of lifecyclesOf(buckets, component)) {
                for (const rule of whenKnown(() => list(configuration.props.rules), [])) {
                    const problem = whenKnown(() => check(rule), undefined);
                    if (problem !== undefined) yield [`${kind} "${component.name}": "${configuration.name}" ${problem}`, configuration.urn];
                }
            }
        };
        for (const component of backupBucketsOf(resources)) {
            yield* judge(component, "backup bucket", (rule) => retentionProblem(rule, tiers[component.name] ?? {}, minimumDays, noncurrentMinimumDays));
            for (const { bucket } of buckets.of(component)) {
                if (whenKnown(() => isTrue(bucket.props.forceDestroy), false)) yield [`backup bucket "${component.name}": S3 bucket "${bucket.name}" can be deleted with every backup in it (forceDestroy true)`, bucket.urn];
            }
        }
        // Logs: current objects only (the log buckets keep overwritten versions a day).
        for (const component of resources.filter((r) => logBucketComponentTypes.includes(r.type))) {
            yield* judge(component, "log bucket", (rule) => retentionProblem(rule, {}, logMinimumDays, 0));
        }
    },
});

// ---- customer-managed keys wherever data rests ----

type KeyReader = (props: Record<string, unknown>) => [string, unknown][];
const field = (...names: string[]): KeyReader => (props) => names.map((n) => [n, props[n]]);

/** Where each type names the KMS key of its data. */
const keyFields: Record<string, KeyReader> = {
    "aws:rds/instance:Instance": field("kmsKeyId", "performanceInsightsKmsKeyId", "masterUserSecretKmsKeyId"),
    "aws:rds/cluster:Cluster": field("kmsKeyId", "performanceInsightsKmsKeyId", "masterUserSecretKmsKeyId"),
    "aws:rds/clusterInstance:ClusterInstance": field("performanceInsightsKmsKeyId"),
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": field("kmsKeyId"),
    "aws:secretsmanager/secret:Secret": field("kmsKeyId"),
    "aws:sns/topic:Topic": field("kmsMasterKeyId"),
    "aws:sqs/queue:Queue": field("kmsMasterKeyId"),
    "aws:cloudwatch/logGroup:LogGroup": field("kmsKeyId"),
    "aws:ebs/volume:Volume": field("kmsKeyId"),
    "aws:ebs/defaultKmsKey:DefaultKmsKey": field("keyArn"),
    "aws:efs/fileSystem:FileSystem": field("kmsKeyId"),
    "aws:ssm/parameter:Parameter": field("keyId"),
    "aws:kinesis/stream:Stream": field("kmsKeyId"),
    "aws:cloudtrail/trail:Trail": field("kmsKeyId"),
    "aws:backup/vault:Vault": field("kmsKeyArn"),
    "aws:dynamodb/table:Table": (p) => [["serverSideEncryption.kmsKeyArn", one(p.serverSideEncryption).kmsKeyArn]],
    "aws:eks/cluster:Cluster": (p) => [p.encryptionConfig ?? []].flat().map((c) => ["encryptionConfig.provider.keyArn", one(object(c).provider).keyArn]),
    "aws:ec2/launchTemplate:LaunchTemplate": (p) => list(p.blockDeviceMappings).map((m) => ["blockDeviceMappings.ebs.kmsKeyId", one(m.ebs).kmsKeyId]),
    [bucketSettingTypes.encryption]: (p) => list(p.rules).map((r) => ["applyServerSideEncryptionByDefault.kmsMasterKeyId", object(r.applyServerSideEncryptionByDefault).kmsMasterKeyId]),
    [bucketSettingTypes.replication]: (p) => list(p.rules).map((r) => ["destination.encryptionConfiguration.replicaKmsKeyId", one(one(r.destination).encryptionConfiguration).replicaKmsKeyId]),
};

/** Types left unencrypted or on an AWS-managed key when they name no key, where Keel always gives one. */
const keyRequiredByDefault = ["aws:secretsmanager/secret:Secret", "aws:sns/topic:Topic", "aws:backup/vault:Vault"];

/** Why a customer-managed key would stop decrypting what it protects, or lose it sooner than the environment allows. */
function keyUsabilityProblem(props: Record<string, unknown>, minimumDeletionWindowDays: number): string | undefined {
    if (props.isEnabled === false || props.isEnabled === "false") return "is disabled (isEnabled false): everything encrypted under it becomes unreadable";
    const window = props.deletionWindowInDays;
    return typeof window === "number" && window < minimumDeletionWindowDays
        ? `would be deleted ${dayCount(window)} after a deletion is scheduled; at least ${minimumDeletionWindowDays} required to notice and cancel it (data under a deleted key is lost)`
        : undefined;
}

export const customerManagedKeys = resourcePolicy({
    name: "keel-customer-managed-keys",
    description: "Data at rest is never encrypted with an AWS-managed key (alias/aws/*: S3, RDS, Secrets Manager, SNS, SQS, CloudWatch Logs, EBS, EFS, Backup, EKS, ...): only a customer-managed key's policy can be limited, audited and revoked by the account. The types `requireKeyFor` lists must name a key at all. Customer-managed keys stay enabled, with a deletion window of at least `minimumDeletionWindowDays`.",
    types: ["aws:kms/key:Key", ...Object.keys(keyFields)],
    config: { requireKeyFor: setting.strings(keyRequiredByDefault), minimumDeletionWindowDays: setting.integer(7) },
    check: function* (resource, { requireKeyFor, minimumDeletionWindowDays }) {
        if (resource.type === "aws:kms/key:Key") {
            const problem = keyUsabilityProblem(resource.props, minimumDeletionWindowDays);
            if (problem !== undefined) yield `KMS key "${resource.name}" ${problem}`;
            return;
        }
        const short = `${resource.type.split(":").pop()} "${resource.name}"`;
        const keys = keyFields[resource.type](resource.props);
        for (const [path, key] of keys) {
            if (isAwsManagedKey(key)) yield `${short} encrypts with the AWS-managed key ${String(key)} (${path}): use a customer-managed key, whose policy the account controls`;
        }
        if (requireKeyFor.includes(resource.type) && !keys.some(([, key]) => typeof key === "string" && key !== "")) {
            yield `${short} names no KMS key (${keys.map(([path]) => path).join(", ")}): it would be unencrypted or use an AWS-managed key; a customer-managed key is required`;
        }
    },
});

export const storagePolicies = [s3Encryption, s3PublicAccessBlock, s3Versioning, s3AclsDisabled, s3TlsOnly, s3Lifecycle, s3AccessLogging, s3Replication, s3ObjectLock, backupBucketRetention, customerManagedKeys];
