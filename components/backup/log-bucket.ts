import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { customerManagedKey } from "../kms";
import { accessLogLifecycle } from "./lifecycle";
import { createHardenedBucket, type AccessLogTarget } from "./hardened-bucket";

export interface LogBucketArgs {
    /** Days access logs are kept. Default 90 (ops guides: production logs 90 days). */
    readonly expireAfterDays?: number;
    /** Allow deleting the bucket with its logs in it. Default false. */
    readonly forceDestroy?: boolean;
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The target of S3 server access logs in one region, hardened like every Keel bucket.
 * S3 log delivery writes to SSE-KMS buckets only with a customer-managed key whose policy
 * admits `logging.s3.amazonaws.com` (the AWS-managed aws/s3 key cannot be granted), so the
 * bucket has its own key, usable by log delivery for this account's buckets only.
 */
export class LogBucket extends pulumi.ComponentResource {
    /**
     * The bucket's name, resolved once log delivery can write there: its policy admits
     * `logging.s3.amazonaws.com` and its key's policy lets it encrypt. A `BucketLogging` given
     * only this name still waits for both.
     */
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly kmsKeyArn: pulumi.Output<string>;
    /** The bucket policy and KMS key log delivery needs (what `target()` makes loggers depend on). */
    public readonly deliveryDependencies: readonly pulumi.Resource[];

    constructor(name: string, args: LogBucketArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("keel:backup:LogBucket", name, args, opts);
        const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const fromThisAccount = { StringEquals: { "aws:SourceAccount": accountId } };
        const key = customerManagedKey(`${name}-key`, {
            description: `Keel access logs ${name}`,
            serviceGrants: [{ sid: "AllowServerAccessLogDelivery", service: "logging.s3.amazonaws.com", actions: ["kms:GenerateDataKey*"], condition: fromThisAccount }],
            tags: args.tags,
        }, { parent: this, retainOnDelete: opts?.retainOnDelete });

        const { bucket, policy } = createHardenedBucket(name, {
            parent: this,
            kmsKey: key,
            lifecycleRules: accessLogLifecycle("access-logs", args.expireAfterDays),
            forceDestroy: args.forceDestroy ?? false,
            retainOnDelete: opts?.retainOnDelete,
            tags: args.tags,
            extraStatements: (bucketArn) => [{
                Sid: "AllowServerAccessLogDelivery",
                Effect: "Allow",
                Principal: { Service: "logging.s3.amazonaws.com" },
                Action: "s3:PutObject",
                Resource: `${bucketArn}/*`,
                Condition: fromThisAccount,
            }],
        });
        this.deliveryDependencies = [policy, key];
        // The policy's bucket is the bucket's name; joined with the key's ARN it carries both dependencies.
        this.bucketName = pulumi.all([policy.bucket, key.arn]).apply(([bucketName]) => bucketName);
        this.bucketArn = bucket.arn;
        this.kmsKeyArn = key.arn;
        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, kmsKeyArn: this.kmsKeyArn });
    }

    /** Where a bucket of the same region logs to: this bucket, after its policy and key (explicit `dependsOn`). */
    target(prefix?: string): AccessLogTarget {
        return { bucket: this.bucketName, ...(prefix !== undefined ? { prefix } : {}), dependsOn: this.deliveryDependencies };
    }
}
