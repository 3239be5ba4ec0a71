import * as pulumi from "@pulumi/pulumi";

export interface ServiceTrustOptions {
    /**
     * The account the service must be acting for (an `aws:SourceAccount` condition): the
     * confused-deputy guard AWS recommends for service roles (IAM User Guide, "The confused
     * deputy problem"), so the service cannot be made to use this role on another account's
     * behalf. Not every service sets the key on every call: check the service's documentation
     * before adding it to a role that works today.
     */
    readonly sourceAccount?: pulumi.Input<string>;
}

/**
 * The trust policy (AssumeRolePolicy document) of a role an AWS service (`ec2.amazonaws.com`,
 * `backup.amazonaws.com`, ...) assumes. A plain JSON string, or, with `sourceAccount`, an
 * output that resolves once the account is known; either way one statement, keys in the order
 * Effect, Principal, Action, Condition.
 */
export function assumedBy(service: string, options: ServiceTrustOptions = {}): pulumi.Input<string> {
    const statement = { Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" };
    if (options.sourceAccount === undefined) return JSON.stringify(policyDocument(statement));
    const guarded = { ...statement, Condition: { StringEquals: { "aws:SourceAccount": options.sourceAccount } } };
    return pulumi.jsonStringify(policyDocument(guarded));
}

/** The IAM OIDC provider of a cluster: what IRSA trust policies name. */
export interface OidcProvider {
    readonly arn: pulumi.Input<string>;
    /** The issuer URL without `https://`, e.g. `oidc.eks.us-east-1.amazonaws.com/id/ABC`. */
    readonly issuer: pulumi.Input<string>;
}

/** The trust policy of an IAM role assumed by Kubernetes service accounts of one namespace through the cluster's OIDC provider (IRSA). */
export function assumedByServiceAccounts(oidc: OidcProvider, namespace: string, serviceAccounts: readonly string[]): pulumi.Output<string> {
    return pulumi.all([oidc.arn, oidc.issuer]).apply(([arn, issuer]) => JSON.stringify(policyDocument({
        Effect: "Allow",
        Principal: { Federated: arn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
            StringEquals: {
                [`${issuer}:aud`]: "sts.amazonaws.com",
                [`${issuer}:sub`]: serviceAccounts.map((sa) => `system:serviceaccount:${namespace}:${sa}`),
            },
        },
    })));
}

/** An IAM policy document of the current policy language version. */
function policyDocument<Statement>(...statements: Statement[]): { Version: "2012-10-17"; Statement: Statement[] } {
    return { Version: "2012-10-17", Statement: statements };
}
