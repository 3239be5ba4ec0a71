import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { unknownCheckingProxy } from "@pulumi/policy";
import * as proxy from "@pulumi/policy/proxy";
import { found, provider, resource } from "../testing";
import { s3Encryption } from "./storage";
import { dayCount, globMatches, isAwsManagedKey, physicalNames, policyStatements } from "./storage-helpers";
import { whenKnown } from "./preview";

/** The sentinel the Pulumi engine sends for a string it does not know yet at preview. */
const unknownString = (proxy as unknown as { unknownStringValue: unknown }).unknownStringValue;

describe("policyStatements", () => {
    test("reads documents given as JSON strings or objects, with one statement or a list", () => {
        const statement = { Effect: "Deny", Action: "s3:*" };
        assert.deepEqual(policyStatements(JSON.stringify({ Statement: [statement] })), [statement]);
        assert.deepEqual(policyStatements({ Statement: statement }), [statement]);
        assert.deepEqual(policyStatements("{not json"), []);
        assert.deepEqual(policyStatements(undefined), []);
        assert.deepEqual(policyStatements({ Statement: ["x", null, statement] }), [statement]);
    });
});

describe("globMatches", () => {
    test("matches IAM wildcards: * any run (slashes too), ? one character, everything else literally", () => {
        assert.ok(globMatches("arn:aws:s3:::b/*", "arn:aws:s3:::b/daily/x.dump"));
        assert.ok(globMatches("arn:aws:rds:*:*:db:database-*", "arn:aws:rds:us-east-1:1:db:database-primary"));
        assert.ok(!globMatches("arn:aws:s3:::b/?", "arn:aws:s3:::b/ab"));
        assert.ok(!globMatches("a.b", "axb"), "a dot is literal");
        assert.ok(globMatches("S3:*", "s3:getobject", true));
        assert.ok(!globMatches("S3:*", "s3:getobject"));
    });
});

describe("isAwsManagedKey", () => {
    test("recognises AWS-managed aliases and their ARNs, not customer keys or aliases", () => {
        for (const key of ["alias/aws/s3", "arn:aws:kms:us-east-1:123456789012:alias/aws/rds", " alias/aws/sns", "ALIAS/AWS/EBS"]) assert.ok(isAwsManagedKey(key), key);
        for (const key of ["arn:aws:kms:us-east-1:123456789012:key/k", "alias/keel-dumps", "alias/awsome", undefined, 7]) assert.ok(!isAwsManagedKey(key), String(key));
    });
});

describe("physicalNames", () => {
    test("finds resources by their explicit name or their auto-name (logical name, hyphen, seven hex digits)", () => {
        const named = resource("aws:s3/bucket:Bucket", { bucket: "keel-dumps" }, { name: "dumps" }).resource;
        const auto = resource("aws:s3/bucket:Bucket", {}, { name: "uploads" }).resource;
        const fake = (r: typeof named) => ({ ...r, props: r.inputs, dependencies: [], propertyDependencies: {}, opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] }, parent: undefined, provider: undefined, isType: () => false, asType: () => undefined });
        const lookup = physicalNames([fake(named), fake(auto)], "bucket");
        assert.deepEqual(lookup("keel-dumps").map((r) => r.name), ["dumps"]);
        assert.deepEqual(lookup("uploads-0a1b2c3").map((r) => r.name), ["uploads"]);
        assert.deepEqual(lookup("dumps-0a1b2c3"), [], "a resource with an explicit name has no auto-name");
        assert.deepEqual(lookup("uploads-replica-0a1b2c3"), []);
    });
});

describe("whenKnown", () => {
    test("returns the fallback when the engine does not know a value yet, and rethrows anything else", () => {
        const props = unknownCheckingProxy({ known: "x", later: unknownString }) as Record<string, unknown>;
        assert.equal(whenKnown(() => props.known, "fallback"), "x");
        assert.equal(whenKnown(() => props.later, "fallback"), "fallback");
        assert.throws(() => whenKnown(() => { throw new Error("bug"); }, undefined), /bug/);
    });

    test("a stack rule judges the buckets it can know and leaves the others for the update", async () => {
        const east = provider({ name: "east", region: "us-east-1" });
        const bucket = (name: string) => resource("aws:s3/bucket:Bucket", {}, { name, provider: east }).resource;
        const [later, bad] = [bucket("later"), bucket("bad")];
        const encryption = (target: typeof later, inputs: Record<string, unknown>) =>
            resource("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", inputs, { name: target.name, provider: east, dependsOn: [target] }).resource;
        const unknownKey = unknownCheckingProxy({ rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: unknownString } }] }) as Record<string, unknown>;
        const plan = [east, later, bad, encryption(later, unknownKey), encryption(bad, { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] })];
        assert.deepEqual(await found(s3Encryption, plan), ['S3 bucket "bad" encrypts with AES256, not SSE-KMS']);
    });
});

describe("dayCount", () => {
    test("says day or days", () => {
        assert.equal(dayCount(1), "1 day");
        assert.equal(dayCount(7), "7 days");
    });
});
