import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AccessLogTarget } from "../backup/hardened-bucket";
import { createLogDeliveryBucket, type LogBucketArgs } from "../backup/log-bucket";
import { problem, requireNoProblems, type Problem } from "../problems";
import { publicOutputs } from "../outputs";

export interface AlbLogBucketArgs extends LogBucketArgs {
    /** Key prefix the load balancers write under (ELB adds `AWSLogs/<account>/...` after it). Default `alb`. */
    readonly prefix?: string;
    /** S3 server access logs of this bucket, to a log bucket in the same region. Default: off. */
    readonly serverAccessLogs?: AccessLogTarget;
}

/** Problems with the arguments, before anything is registered; the messages leave the values to `given`. */
export function albLogBucketProblems(args: AlbLogBucketArgs): Problem[] {
    const prefix = args.prefix ?? "alb";
    // ELB refuses a prefix containing AWSLogs (it appends that part itself).
    return /^[a-z0-9][a-z0-9/-]*[a-z0-9]$/.test(prefix) && !prefix.includes("AWSLogs")
        ? []
        : [problem("prefix", "expected lowercase letters, digits, '-' and '/', starting and ending with a letter or digit, without AWSLogs (ELB adds AWSLogs/<account>/ itself)")];
}

/**
 * The target of Application Load Balancer access logs in one region (a load balancer logs only
 * to a bucket in its own region). ELB log delivery supports SSE-S3 buckets only, so unlike
 * every other Keel bucket this one is encrypted with S3-managed keys; the rest of the hardening
 * is the same. In us-east-1 and us-west-2 (and every region opened before August 2022) ELB
 * writes as the region's Elastic Load Balancing account, which the bucket policy admits for
 * this account's log prefix only (Elastic Load Balancing guide, "Enable access logs").
 */
export class AlbLogBucket extends pulumi.ComponentResource {
    /** The bucket's name, resolved once its policy admits ELB (ELB tests its access when logging is enabled). */
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly prefix: string;

    constructor(name: string, args: AlbLogBucketArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        const prefix = args.prefix ?? "alb";
        requireNoProblems(`AlbLogBucket ${name}`, albLogBucketProblems(args), args);
        super("keel:traffic:AlbLogBucket", name, args, opts);
        const defaults = { parent: this };
        const accountId = aws.getCallerIdentityOutput({}, defaults).accountId;
        const elbAccount = aws.elb.getServiceAccountOutput({}, defaults);

        const { bucket, policy } = createLogDeliveryBucket(name, args, {
            parent: this,
            ruleName: "alb-access-logs",
            accessLogs: args.serverAccessLogs && { prefix: name, ...args.serverAccessLogs },
            retainOnDelete: opts?.retainOnDelete,
            delivery: (bucketArn) => ({
                Sid: "AllowElbAccessLogDelivery",
                Effect: "Allow",
                Principal: { AWS: elbAccount.arn },
                Action: "s3:PutObject",
                Resource: pulumi.interpolate`${bucketArn}/${prefix}/AWSLogs/${accountId}/*`,
            }),
        });
        this.bucketName = policy.bucket;
        this.bucketArn = bucket.arn;
        this.prefix = prefix;
        this.registerOutputs(publicOutputs(this));
    }
}
