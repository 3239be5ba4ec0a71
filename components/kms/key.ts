import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** A grant in a key policy to an AWS service principal. */
export interface ServiceGrant {
    readonly sid: string;
    /** e.g. `logging.s3.amazonaws.com`. */
    readonly service: string;
    readonly actions: readonly string[];
    readonly condition?: pulumi.Input<Record<string, unknown>>;
}

export interface CustomerManagedKeyArgs {
    readonly description: string;
    /**
     * Services that must use the key themselves (log delivery, AWS Backup notifications).
     * Without grants the key keeps AWS's default policy: the account's IAM policies decide.
     */
    readonly serviceGrants?: readonly ServiceGrant[];
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * A customer-managed KMS key as Keel uses them: yearly rotation on and the longest deletion
 * window (30 days) to undo a mistaken deletion. With service grants, the policy is AWS's
 * default (the account administers the key through IAM) plus those grants.
 */
export function customerManagedKey(name: string, args: CustomerManagedKeyArgs, opts: pulumi.CustomResourceOptions): aws.kms.Key {
    const grants = args.serviceGrants ?? [];
    const policy = grants.length === 0
        ? undefined
        : pulumi.jsonStringify({
              Version: "2012-10-17",
              Statement: [
                  {
                      Sid: "EnableIamPolicies",
                      Effect: "Allow",
                      Principal: { AWS: pulumi.interpolate`arn:aws:iam::${aws.getCallerIdentityOutput({}, { parent: opts.parent, provider: opts.provider }).accountId}:root` },
                      Action: "kms:*",
                      Resource: "*",
                  },
                  ...grants.map((grant) => ({
                      Sid: grant.sid,
                      Effect: "Allow",
                      Principal: { Service: grant.service },
                      Action: grant.actions.length === 1 ? grant.actions[0] : grant.actions,
                      Resource: "*",
                      ...(grant.condition !== undefined ? { Condition: grant.condition } : {}),
                  })),
              ],
          });
    return new aws.kms.Key(name, {
        description: args.description,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        ...(policy !== undefined ? { policy } : {}),
        tags: args.tags,
    }, opts);
}
