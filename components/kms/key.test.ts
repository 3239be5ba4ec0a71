import * as aws from "@pulumi/aws";
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import { json, only, planComponents } from "../../tests/plans";
import { customerManagedKey } from "./key";

describe("customerManagedKey", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => {
            const west = new aws.Provider("west", { region: "us-west-2" });
            customerManagedKey("plain", { description: "plain key" }, { provider: west, retainOnDelete: true });
            customerManagedKey("granted", {
                description: "granted key",
                serviceGrants: [
                    { sid: "One", service: "logging.s3.amazonaws.com", actions: ["kms:GenerateDataKey*"], condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } },
                    { sid: "Two", service: "backup.amazonaws.com", actions: ["kms:GenerateDataKey*", "kms:Decrypt"] },
                ],
            }, { provider: west });
        });
    });

    test("rotates yearly, waits 30 days before deletion, and keeps the resource options", () => {
        const plain = only(record, "aws:kms/key:Key", "plain");
        assert.deepEqual(plain.inputs, { description: "plain key", enableKeyRotation: true, deletionWindowInDays: 30 });
        assert.equal(plain.region, "us-west-2");
        assert.equal(plain.retainOnDelete, true);
    });

    test("without grants keeps AWS's default policy; with grants adds them to the account's administration", () => {
        const policy = json(only(record, "aws:kms/key:Key", "granted").inputs.policy, "policy");
        assert.deepEqual(policy.Statement, [
            { Sid: "EnableIamPolicies", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" },
            { Sid: "One", Effect: "Allow", Principal: { Service: "logging.s3.amazonaws.com" }, Action: "kms:GenerateDataKey*", Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } },
            { Sid: "Two", Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: ["kms:GenerateDataKey*", "kms:Decrypt"], Resource: "*" },
        ]);
    });
});
