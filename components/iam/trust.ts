import * as pulumi from "@pulumi/pulumi";

/**
 * The trust policy of a role an AWS service assumes on this account's behalf, with the
 * confused-deputy guard: only the service acting for this account (aws:SourceAccount) may.
 */
export function serviceTrustPolicy(service: string, accountId: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow",
            Principal: { Service: service },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": accountId } },
        }],
    });
}
