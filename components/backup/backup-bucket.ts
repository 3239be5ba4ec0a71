import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumedBy } from "../iam";
import { customerManagedKey } from "../kms";
import { mergeFindings, requireValid, type Findings } from "./findings";
import { createHardenedBucket, type AccessLogTarget, type ObjectLockSpec } from "./hardened-bucket";
import { compileLifecycleRules, validateTiers, type LifecycleTier } from "./lifecycle";
import { publicOutputs } from "../outputs";

export interface BackupBucketReplicationArgs {
    /** Provider of the DR region, where the replica bucket and its KMS key live. */
    readonly provider: aws.Provider;
    /** Server access logs of the replica, to a log bucket in the DR region. */
    readonly accessLogs?: AccessLogTarget;
    /** Replication Time Control: S3's SLA to replicate 99.99 % of objects within 15 minutes. Default true. */
    readonly replicationTimeControl?: boolean;
}

export interface BackupBucketArgs {
    /** Lifecycle tiers by key prefix (components/backup/tiers.ts has the guides'); at least one. */
    readonly tiers: readonly LifecycleTier[];
    /** Days superseded or deleted versions are kept, where a tier does not say. Default 30. */
    readonly noncurrentVersionExpireAfterDays?: number;
    /** Days before incomplete multipart uploads are aborted. Default 7. */
    readonly abortIncompleteMultipartUploadDays?: number;
    /** Object Lock (WORM) default retention; enabled at creation only. Default: off. */
    readonly objectLock?: ObjectLockSpec;
    /** Server access logs, to a log bucket in the same region. Default: off. */
    readonly accessLogs?: AccessLogTarget;
    /** A replica in the DR region (3-2-1: the off-site copy). Default: none. */
    readonly replication?: BackupBucketReplicationArgs;
    /** Allow deleting the bucket with objects in it. Default false. */
    readonly forceDestroy?: boolean;
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Findings on a backup bucket's settings: its tiers, and Object Lock against them. */
export function validateBackupBucket(args: BackupBucketArgs): Findings {
    const lock = args.objectLock;
    const lockFindings: Findings = {
        errors: lock && !(Number.isInteger(lock.days) && lock.days >= 1) ? [`object lock: days must be a whole number of at least 1, got ${lock.days}`] : [],
        warnings: lock
            ? args.tiers
                  .filter((t) => t.expireAfterDays !== undefined && t.expireAfterDays < lock.days)
                  .map((t) => `tier "${t.name}" expires objects on day ${t.expireAfterDays}, but Object Lock keeps every version ${lock.days} days: storage is billed until the lock ends`)
            : [],
    };
    return mergeFindings(validateTiers(args.tiers), lockFindings);
}

/**
 * A backup bucket: versioned, SSE-KMS with its own customer-managed key (rotation on,
 * S3 Bucket Keys), every public access blocked, ACLs disabled, TLS-only, lifecycle tiers
 * compiled from data, access logging, optional Object Lock and an optional replica in the
 * DR region — with its own KMS key there, the same hardening and tiers, fed by a
 * least-privilege replication role with delete-marker replication, Replication Time
 * Control and replication metrics.
 *
 * Stateful children (keys, buckets) take `retainOnDelete` from this component's options;
 * `protect` is inherited from them by Pulumi.
 */
export class BackupBucket extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly kmsKeyArn: pulumi.Output<string>;
    public readonly replicaBucketName: pulumi.Output<string | undefined>;
    public readonly replicaBucketArn: pulumi.Output<string | undefined>;
    public readonly replicaKmsKeyArn: pulumi.Output<string | undefined>;
    public readonly replicationRoleArn: pulumi.Output<string | undefined>;

    constructor(name: string, args: BackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        // Refuse what S3 would refuse before anything is registered.
        const warnings = requireValid(`BackupBucket ${name}`, validateBackupBucket(args));
        super("keel:backup:BackupBucket", name, args, opts);
        for (const warning of warnings) void pulumi.log.warn(warning, this);

        const rules = compileLifecycleRules(args.tiers, {
            noncurrentVersionExpireAfterDays: args.noncurrentVersionExpireAfterDays ?? 30,
            abortIncompleteMultipartUploadDays: args.abortIncompleteMultipartUploadDays ?? 7,
        });
        const forceDestroy = args.forceDestroy ?? false;
        const retainOnDelete = opts?.retainOnDelete;
        const key = (keyName: string, provider?: aws.Provider) =>
            customerManagedKey(keyName, { description: `Keel backup bucket ${name}`, tags: args.tags }, { parent: this, retainOnDelete, ...(provider ? { provider } : {}) });

        const sourceKey = key(`${name}-key`);
        const source = createHardenedBucket(name, {
            parent: this,
            kmsKey: sourceKey,
            lifecycleRules: rules,
            accessLogs: args.accessLogs && { prefix: name, ...args.accessLogs },
            objectLock: args.objectLock,
            forceDestroy,
            retainOnDelete,
            tags: args.tags,
        });

        const replication = args.replication && this.replicate(name, source, sourceKey, {
            ...args.replication,
            rules,
            objectLock: args.objectLock,
            forceDestroy,
            retainOnDelete,
            tags: args.tags,
            replicaKey: key(`${name}-replica-key`, args.replication.provider),
        });

        this.bucketName = source.bucket.bucket;
        this.bucketArn = source.bucket.arn;
        this.kmsKeyArn = sourceKey.arn;
        this.replicaBucketName = pulumi.output(replication?.bucket.bucket);
        this.replicaBucketArn = pulumi.output(replication?.bucket.arn);
        this.replicaKmsKeyArn = pulumi.output(replication?.key.arn);
        this.replicationRoleArn = pulumi.output(replication?.role.arn);
        this.registerOutputs(publicOutputs(this));
    }

    private replicate(
        name: string,
        source: ReturnType<typeof createHardenedBucket>,
        sourceKey: aws.kms.Key,
        args: BackupBucketReplicationArgs & {
            rules: aws.types.input.s3.BucketLifecycleConfigurationRule[];
            objectLock?: ObjectLockSpec;
            forceDestroy: boolean;
            retainOnDelete?: boolean;
            tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
            replicaKey: aws.kms.Key;
        },
    ) {
        // Lifecycle expirations are not replicated (S3 does not replicate lifecycle actions),
        // so the replica carries the same tiers.
        const replica = createHardenedBucket(`${name}-replica`, {
            parent: this,
            provider: args.provider,
            kmsKey: args.replicaKey,
            lifecycleRules: args.rules,
            accessLogs: args.accessLogs && { prefix: `${name}-replica`, ...args.accessLogs },
            objectLock: args.objectLock,
            forceDestroy: args.forceDestroy,
            retainOnDelete: args.retainOnDelete,
            tags: args.tags,
        });

        const sourceRegion = aws.getRegionOutput({}, { parent: this }).region;
        const replicaRegion = aws.getRegionOutput({}, { parent: this, provider: args.provider }).region;
        const role = new aws.iam.Role(`${name}-replication`, {
            assumeRolePolicy: assumedBy("s3.amazonaws.com"),
            tags: args.tags,
        }, { parent: this });
        const permissions = pulumi
            .all([source.bucket.arn, replica.bucket.arn, sourceKey.arn, args.replicaKey.arn, sourceRegion, replicaRegion])
            .apply(([sourceArn, replicaArn, sourceKeyArn, replicaKeyArn, fromRegion, toRegion]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    { Sid: "ReadReplicationConfiguration", Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: sourceArn },
                    {
                        Sid: "ReadSourceVersions",
                        Effect: "Allow",
                        Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"],
                        Resource: `${sourceArn}/*`,
                    },
                    { Sid: "WriteReplicas", Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: `${replicaArn}/*` },
                    {
                        Sid: "DecryptSource",
                        Effect: "Allow",
                        Action: "kms:Decrypt",
                        Resource: sourceKeyArn,
                        Condition: { StringEquals: { "kms:ViaService": `s3.${fromRegion}.amazonaws.com` } },
                    },
                    {
                        Sid: "EncryptReplicas",
                        Effect: "Allow",
                        Action: ["kms:Encrypt", "kms:GenerateDataKey"],
                        Resource: replicaKeyArn,
                        Condition: { StringEquals: { "kms:ViaService": `s3.${toRegion}.amazonaws.com` } },
                    },
                ],
            }));
        const rolePolicy = new aws.iam.RolePolicy(`${name}-replication`, { role: role.id, policy: permissions }, { parent: this });

        const timeControl = args.replicationTimeControl ?? true;
        // Replication starts once the configuration is put: the role's permissions must already
        // be attached (an IAM role without its policy replicates nothing), and S3 refuses the
        // configuration unless both buckets are versioned.
        new aws.s3.BucketReplicationConfig(`${name}-replication`, {
            bucket: source.bucket.id,
            role: role.arn,
            rules: [{
                id: "replicate-to-dr",
                status: "Enabled",
                filter: {},
                deleteMarkerReplication: { status: "Enabled" },
                sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
                destination: {
                    bucket: replica.bucket.arn,
                    storageClass: "STANDARD",
                    encryptionConfiguration: { replicaKmsKeyId: args.replicaKey.arn },
                    ...(timeControl ? { replicationTime: { status: "Enabled", time: { minutes: 15 } } } : {}),
                    metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
                },
            }],
        }, { parent: this, dependsOn: [rolePolicy, source.versioning, replica.versioning] });

        return { bucket: replica.bucket, key: args.replicaKey, role };
    }
}
