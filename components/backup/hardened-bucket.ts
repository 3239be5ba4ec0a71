import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The hardening every Keel bucket gets, whoever owns it: versioning, SSE-KMS by default
 * (SSE-S3 for the few writers that cannot use KMS),
 * all four public access blocks, bucket-owner-enforced ownership (no ACLs), a policy that
 * refuses plaintext transport and uploads asking for another encryption, lifecycle rules,
 * server access logging and optional Object Lock.
 */

export interface ObjectLockSpec {
    /** GOVERNANCE: privileged users may shorten retention; COMPLIANCE: nobody can, not even root. */
    readonly mode: "GOVERNANCE" | "COMPLIANCE";
    /** Default retention of every new object version. */
    readonly days: number;
}

export interface AccessLogTarget {
    /** Name of the log bucket, in the same region as the logged bucket (an S3 requirement). */
    readonly bucket: pulumi.Input<string>;
    /** Key prefix for this bucket's logs. Default: the bucket's component name. */
    readonly prefix?: string;
    /**
     * What must exist before S3 is told to deliver logs there: the log bucket's policy
     * admitting log delivery and the KMS key whose policy lets it encrypt (`LogBucket.target()`).
     * The `BucketLogging` depends on them explicitly.
     */
    readonly dependsOn?: readonly pulumi.Resource[];
}

export type PolicyStatement = Record<string, unknown>;

export interface HardenedBucketArgs {
    readonly parent: pulumi.Resource;
    /** The provider of the bucket's region; unset inherits the parent's. */
    readonly provider?: aws.Provider;
    /**
     * The customer-managed key of the bucket's default SSE-KMS encryption (S3 Bucket Keys on).
     * Unset: SSE-S3 (AES256), only for writers that cannot use KMS — ELB access-log delivery
     * supports SSE-S3 buckets only (Elastic Load Balancing guide, "Enable access logs").
     */
    readonly kmsKey?: aws.kms.Key;
    readonly lifecycleRules: aws.types.input.s3.BucketLifecycleConfigurationRule[];
    readonly accessLogs?: AccessLogTarget;
    readonly objectLock?: ObjectLockSpec;
    readonly forceDestroy: boolean;
    readonly retainOnDelete?: boolean;
    /** Statements added to the bucket policy, given the bucket's ARN (they may hold outputs). */
    readonly extraStatements?: (bucketArn: string) => pulumi.Input<PolicyStatement>[];
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface HardenedBucket {
    readonly bucket: aws.s3.Bucket;
    readonly versioning: aws.s3.BucketVersioning;
    /** The bucket policy; its `bucket` output resolves once the policy is in place (writers that validate access wait on it). */
    readonly policy: aws.s3.BucketPolicy;
}

/**
 * Deny statements shared by every bucket: TLS 1.2+ only, and no upload asking for another
 * encryption or key (`keyArn` unset: the bucket is SSE-S3 and only AES256 may be asked for).
 */
export function baselineStatements(bucketArn: string, keyArn?: string): PolicyStatement[] {
    const everything = [bucketArn, `${bucketArn}/*`];
    return [
        {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: everything,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        {
            Sid: "DenyOutdatedTls",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: everything,
            Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
        },
        {
            // Uploads without an encryption header get the bucket default (the expected one);
            // uploads naming another algorithm are refused.
            Sid: "DenyOtherEncryption",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: `${bucketArn}/*`,
            Condition: {
                StringNotEquals: { "s3:x-amz-server-side-encryption": keyArn === undefined ? "AES256" : "aws:kms" },
                Null: { "s3:x-amz-server-side-encryption": "false" },
            },
        },
        ...(keyArn === undefined ? [] : [{
            Sid: "DenyOtherKmsKey",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: `${bucketArn}/*`,
            Condition: {
                StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn },
                Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
            },
        }]),
    ];
}

/** Creates `name` and its hardening as children of `args.parent`. */
export function createHardenedBucket(name: string, args: HardenedBucketArgs): HardenedBucket {
    const options: pulumi.CustomResourceOptions = { parent: args.parent, ...(args.provider ? { provider: args.provider } : {}) };
    const stateful = { ...options, retainOnDelete: args.retainOnDelete };

    const bucket = new aws.s3.Bucket(name, {
        forceDestroy: args.forceDestroy,
        objectLockEnabled: args.objectLock !== undefined,
        tags: args.tags,
    }, stateful);

    new aws.s3.BucketOwnershipControls(name, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, options);
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(name, {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
    }, options);
    const versioning = new aws.s3.BucketVersioning(name, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, options);
    new aws.s3.BucketServerSideEncryptionConfiguration(name, {
        bucket: bucket.id,
        rules: [args.kmsKey
            ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKey.arn }, bucketKeyEnabled: true }
            : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    }, options);

    const policyDocument = pulumi.all([bucket.arn, args.kmsKey?.arn]).apply(([bucketArn, keyArn]) =>
        pulumi.output(args.extraStatements?.(bucketArn) ?? []).apply((extra) => JSON.stringify({
            Version: "2012-10-17",
            Statement: [...baselineStatements(bucketArn, keyArn), ...extra],
        })));
    // A bucket policy is refused while BlockPublicPolicy is being applied; order them.
    const policy = new aws.s3.BucketPolicy(name, { bucket: bucket.id, policy: policyDocument }, { ...options, dependsOn: [publicAccessBlock] });

    new aws.s3.BucketLifecycleConfiguration(name, { bucket: bucket.id, rules: args.lifecycleRules }, { ...options, dependsOn: [versioning] });

    if (args.accessLogs) {
        new aws.s3.BucketLogging(name, {
            bucket: bucket.id,
            targetBucket: args.accessLogs.bucket,
            targetPrefix: `${args.accessLogs.prefix ?? name}/`,
            targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } },
        }, { ...options, dependsOn: [...(args.accessLogs.dependsOn ?? [])] });
    }
    if (args.objectLock) {
        new aws.s3.BucketObjectLockConfiguration(name, {
            bucket: bucket.id,
            rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } },
        }, { ...options, dependsOn: [versioning] });
    }
    return { bucket, versioning, policy };
}
