import * as aws from "@pulumi/aws";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { refusedArguments } from "../../tests/plans";
import { AlbLogBucket, albLogBucketProblems } from "./alb-log-bucket";

const expected = "expected lowercase letters, digits, '-' and '/', starting and ending with a letter or digit, without AWSLogs (ELB adds AWSLogs/<account>/ itself)";

describe("AlbLogBucket arguments", () => {
    test("accepts the default prefix and lowercase paths", () => {
        for (const prefix of [undefined, "alb", "edge/alb-2", "a1"]) assert.deepEqual(albLogBucketProblems({ prefix }), [], String(prefix));
    });

    test("refuses a prefix ELB would refuse or that does not start and end with a letter or digit", () => {
        for (const prefix of ["", "a", "ALB", "alb/", "/alb", "alb_logs", "alb/AWSLogs", "-alb"]) {
            assert.deepEqual(albLogBucketProblems({ prefix }), [{ path: ["prefix"], message: expected }], prefix);
        }
    });

    test("the constructor refuses, quoting the prefix given, before registering anything", async () => {
        const refusal = await refusedArguments(() => {
            const provider = new aws.Provider("primary", { region: "us-east-1" });
            new AlbLogBucket("alb-logs", { prefix: "alb/AWSLogs" }, { provider });
        });
        assert.equal(refusal.message, `AlbLogBucket alb-logs: invalid arguments:\n  - prefix: ${expected}, got "alb/AWSLogs"`);
    });
});
