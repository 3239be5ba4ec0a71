import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { assumedBy, assumedByServiceAccounts, awsManagedPolicyArn } from ".";

/** The value of an output known without a deployment (plain values and other known outputs). */
const resolved = (value: pulumi.Input<string>) => new Promise<string>((resolve) => pulumi.output(value).apply(resolve));

describe("assumedBy", () => {
    test("is the one-statement trust document, keys in the order the plans record", () => {
        // Byte for byte: the plan compares the string, so a reordered key is a change to every role.
        assert.equal(
            assumedBy("ec2.amazonaws.com"),
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
        );
    });

    test("with sourceAccount, only the service acting for that account may assume the role", async () => {
        assert.equal(
            await resolved(assumedBy("vpc-flow-logs.amazonaws.com", { sourceAccount: pulumi.output("123456789012") })),
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}',
        );
    });
});

describe("assumedByServiceAccounts", () => {
    test("lets only the named service accounts of one namespace in, through the cluster's OIDC provider", async () => {
        const issuer = "oidc.eks.us-east-1.amazonaws.com/id/ABC";
        const trust = JSON.parse(await resolved(assumedByServiceAccounts({ arn: "arn:aws:iam::123456789012:oidc-provider/x", issuer }, "monitoring", ["prometheus", "loki"]))) as unknown;
        assert.deepEqual(trust, {
            Version: "2012-10-17",
            Statement: [{
                Effect: "Allow",
                Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/x" },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${issuer}:aud`]: "sts.amazonaws.com",
                        [`${issuer}:sub`]: ["system:serviceaccount:monitoring:prometheus", "system:serviceaccount:monitoring:loki"],
                    },
                },
            }],
        });
    });
});

test("awsManagedPolicyArn names the policy in the aws account, path included", () => {
    assert.equal(awsManagedPolicyArn("service-role/AmazonEBSCSIDriverPolicy"), "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy");
});
