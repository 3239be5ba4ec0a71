import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { customerManagedKey } from "../kms";
import { accessLogLifecycle } from "./lifecycle";
import { createHardenedBucket, type AccessLogTarget, type HardenedBucket, type PolicyStatement } from "./hardened-bucket";
import { publicOutputs } from "../outputs";

export interface LogBucketArgs {
    /** Days access logs are kept. Default 90 (ops guides: production logs 90 days). */
    readonly expireAfterDays?: number;
    /** Allow deleting the bucket with its logs in it. Default false. */
    readonly forceDestroy?: boolean;
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** How a log bucket is made that one AWS service delivers to: hardened, its logs expiring as `args` say. */
export interface LogDeliveryBucketOptions {
    readonly parent: pulumi.Resource;
    /** Unset: SSE-S3, for services that cannot write to SSE-KMS buckets (ELB). */
    readonly kmsKey?: aws.kms.Key;
    /** The lifecycle rule's id. */
    readonly ruleName: string;
    readonly accessLogs?: AccessLogTarget;
    readonly retainOnDelete?: boolean;
    /** The bucket policy statement that lets the service write, given the bucket's ARN. */
    readonly delivery: (bucketArn: string) => pulumi.Input<PolicyStatement>;
}

/** A hardened bucket that a service delivers logs to (S3 server access logs, ELB access logs). */
export function createLogDeliveryBucket(name: string, args: LogBucketArgs, options: LogDeliveryBucketOptions): HardenedBucket {
    return createHardenedBucket(name, {
        parent: options.parent,
        kmsKey: options.kmsKey,
        lifecycleRules: accessLogLifecycle(options.ruleName, args.expireAfterDays),
        accessLogs: options.accessLogs,
        forceDestroy: args.forceDestroy ?? false,
        retainOnDelete: options.retainOnDelete,
        tags: args.tags,
        extraStatements: (bucketArn) => [options.delivery(bucketArn)],
    });
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

        const { bucket, policy } = createLogDeliveryBucket(name, args, {
            parent: this,
            kmsKey: key,
            ruleName: "access-logs",
            retainOnDelete: opts?.retainOnDelete,
            delivery: (bucketArn) => ({
                Sid: "AllowServerAccessLogDelivery",
                Effect: "Allow",
                Principal: { Service: "logging.s3.amazonaws.com" },
                Action: "s3:PutObject",
                Resource: `${bucketArn}/*`,
                Condition: fromThisAccount,
            }),
        });
        this.deliveryDependencies = [policy, key];
        // The policy's bucket is the bucket's name; joined with the key's ARN it carries both dependencies.
        this.bucketName = pulumi.all([policy.bucket, key.arn]).apply(([bucketName]) => bucketName);
        this.bucketArn = bucket.arn;
        this.kmsKeyArn = key.arn;
        this.registerOutputs(publicOutputs(this));
    }

    /** Where a bucket of the same region logs to: this bucket, after its policy and key (explicit `dependsOn`). */
    target(prefix?: string): AccessLogTarget {
        return { bucket: this.bucketName, ...(prefix !== undefined ? { prefix } : {}), dependsOn: this.deliveryDependencies };
    }
}
