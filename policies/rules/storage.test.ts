import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PlanResource } from "../../scripts/plan/record";
import { messages, planOf, provider, resource, runPolicy } from "../testing";
import { iamNoWildcardAdmin, kmsKeyRotation, wildcardAdminStatements } from "./identity";
import { s3AccessLogging, s3AclsDisabled, s3Encryption, s3Lifecycle, s3PublicAccessBlock, s3Replication, s3TlsOnly, s3Versioning, storagePolicies } from "./storage";

const east = provider({ name: "east", region: "us-east-1" });
const west = provider({ name: "west", region: "us-west-2" });
const tlsOnly = JSON.stringify({ Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }] });
const logDelivery = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "logging.s3.amazonaws.com" }, Action: "s3:PutObject" }, JSON.parse(tlsOnly).Statement[0]] });

type Overrides = Partial<Record<"versioning" | "encryption" | "publicAccessBlock" | "ownership" | "policy" | "lifecycle", Record<string, unknown> | null>>;

/** A bucket and its settings as BackupBucket creates them; `overrides` replaces (or, with null, drops) a setting's inputs. */
function hardenedBucket(name: string, region: typeof east, overrides: Overrides = {}, parent?: PlanResource): PlanResource[] {
    const bucket = resource("aws:s3/bucket:Bucket", {}, { name, provider: region, ...(parent ? { parent } : {}) }).resource;
    const settings: Record<keyof Overrides, [string, Record<string, unknown>]> = {
        versioning: ["aws:s3/bucketVersioning:BucketVersioning", { versioningConfiguration: { status: "Enabled" } }],
        encryption: ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:us-east-1:123456789012:key/k" }, bucketKeyEnabled: true }] }],
        publicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }],
        ownership: ["aws:s3/bucketOwnershipControls:BucketOwnershipControls", { rule: { objectOwnership: "BucketOwnerEnforced" } }],
        policy: ["aws:s3/bucketPolicy:BucketPolicy", { policy: tlsOnly }],
        lifecycle: ["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", { rules: [{ id: "daily", status: "Enabled", filter: { prefix: "daily/" }, expiration: { days: 7 } }] }],
    };
    const records = [bucket];
    for (const [key, [type, inputs]] of Object.entries(settings) as [keyof Overrides, [string, Record<string, unknown>]][]) {
        const given = overrides[key];
        if (given === null) continue;
        records.push(resource(type, given ?? inputs, { name, provider: region, dependsOn: [bucket], ...(parent ? { parent } : {}) }).resource);
    }
    return records;
}

function withLogging(records: PlanResource[], target: PlanResource[]): PlanResource[] {
    const [bucket] = records;
    const logging = resource("aws:s3/bucketLogging:BucketLogging", { targetPrefix: `${bucket.name}/` }, { name: bucket.name, provider: east, dependsOn: [bucket, target[0]] }).resource;
    return [...records, logging];
}

const logs = hardenedBucket("access-logs", east, { policy: { policy: logDelivery } });
const compliant = withLogging(hardenedBucket("dumps", east), logs);

describe("S3 rules over the dependency graph", () => {
    test("a hardened bucket and its log bucket pass every storage rule", async () => {
        for (const policy of storagePolicies) assert.deepEqual(await runPolicy(policy, [east, ...compliant, ...logs]), [], policy.name);
    });

    const violations: [string, typeof s3Encryption, Overrides, RegExp][] = [
        ["no default encryption", s3Encryption, { encryption: null }, /^S3 bucket "dumps" has no default encryption configuration$/],
        ["SSE-S3", s3Encryption, { encryption: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] } }, /encrypts with AES256, not SSE-KMS/],
        ["the AWS-managed key", s3Encryption, { encryption: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }] } }, /uses the AWS-managed aws\/s3 key/],
        ["no public access block", s3PublicAccessBlock, { publicAccessBlock: null }, /has no public access block/],
        ["a partial public access block", s3PublicAccessBlock, { publicAccessBlock: { blockPublicAcls: true, blockPublicPolicy: false, ignorePublicAcls: true } }, /does not set blockPublicPolicy, restrictPublicBuckets/],
        ["versioning suspended", s3Versioning, { versioning: { versioningConfiguration: { status: "Suspended" } } }, /is not versioned \(status Suspended\)/],
        ["no versioning", s3Versioning, { versioning: null }, /is not versioned \(status unset\)/],
        ["ACLs enabled", s3AclsDisabled, { ownership: { rule: { objectOwnership: "ObjectWriter" } } }, /does not enforce bucket-owner object ownership \(ObjectWriter\)/],
        ["no TLS-only statement", s3TlsOnly, { policy: { policy: JSON.stringify({ Statement: [] }) } }, /has no bucket policy statement denying requests without TLS/],
        ["no lifecycle", s3Lifecycle, { lifecycle: null }, /has no lifecycle rules/],
        ["a rule that expires nothing", s3Lifecycle, { lifecycle: { rules: [{ id: "keep", status: "Enabled", filter: {} }] } }, /lifecycle rule \(keep\) that expires nothing/],
        ["Standard-IA before day 30", s3Lifecycle, { lifecycle: { rules: [{ id: "ia", status: "Enabled", transitions: [{ days: 7, storageClass: "STANDARD_IA" }], expiration: { days: 60 } }] } }, /moves objects to STANDARD_IA on day 7 \(rule ia\); S3 requires 30 days/],
    ];
    for (const [name, policy, overrides, message] of violations) {
        test(`${policy.name}: refuses ${name}`, async () => {
            const found = await runPolicy(policy, [east, ...withLogging(hardenedBucket("dumps", east, overrides), logs), ...logs]);
            assert.equal(found.length, 1, messages(found).join("\n"));
            assert.match(found[0].message, message);
            assert.equal(found[0].urn, "urn:pulumi:test::keel::aws:s3/bucket:Bucket::dumps");
        });
    }

    test("keel-s3-kms-encryption: exemptBuckets lets an SSE-S3 load balancer log bucket through", async () => {
        const alb = hardenedBucket("alb-logs", east, { encryption: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] } });
        assert.equal((await runPolicy(s3Encryption, [east, ...alb])).length, 1);
        assert.deepEqual(await runPolicy(s3Encryption, [east, ...alb], { "keel-s3-kms-encryption": { exemptBuckets: ["alb-logs"] } }), []);
    });

    test("keel-s3-access-logging: a bucket without logging is refused, its log bucket is not", async () => {
        assert.deepEqual(messages(await runPolicy(s3AccessLogging, [east, ...hardenedBucket("dumps", east), ...logs])), ['S3 bucket "dumps" has no server access logging']);
    });

    test("settings are matched to their own bucket, not to a logging target or a replication destination", async () => {
        const replica = hardenedBucket("dumps-replica", west);
        const replication = resource("aws:s3/bucketReplicationConfig:BucketReplicationConfig", {}, { name: "dumps", provider: east, dependsOn: [compliant[0], replica[0]] }).resource;
        const replicaLogging = withLogging(replica, hardenedBucket("logs-west", west, { policy: { policy: logDelivery } }));
        const everything = [east, west, ...compliant, ...logs, ...replicaLogging, replication];
        for (const policy of [s3AccessLogging, s3Versioning]) {
            assert.deepEqual(messages(await runPolicy(policy, everything)).filter((m) => !m.includes("logs-west")), [], policy.name);
        }
    });
});

describe("keel-s3-replication", () => {
    const component = resource("keel:backup:BackupBucket", {}, { name: "dumps" }).resource;
    const source = hardenedBucket("dumps", east, {}, component);
    const replica = hardenedBucket("dumps-replica", west, {}, component);
    const replicationTo = (destination: PlanResource) =>
        resource("aws:s3/bucketReplicationConfig:BucketReplicationConfig", {}, { name: "dumps-replication", provider: east, parent: component, dependsOn: [source[0], destination] }).resource;
    const required = { "keel-s3-replication": { requireReplication: true } };

    test("passes a backup bucket replicated to another region", async () => {
        assert.deepEqual(await runPolicy(s3Replication, [east, west, component, ...source, ...replica, replicationTo(replica[0])], required), []);
    });

    test("refuses a backup bucket without replication, or replicated within its region", async () => {
        const sameRegion = hardenedBucket("dumps-copy", east, {}, component);
        for (const plan of [[east, west, component, ...source], [east, component, ...source, ...sameRegion, replicationTo(sameRegion[0])]]) {
            assert.deepEqual(messages(await runPolicy(s3Replication, plan, required)), ['backup bucket "dumps" has no replication to another region']);
        }
    });

    test("is off unless the environment requires it", async () => {
        assert.deepEqual(await runPolicy(s3Replication, [east, component, ...source]), []);
    });
});

describe("keel-kms-key-rotation", () => {
    const key = (inputs: Record<string, unknown>) => planOf([resource("aws:kms/key:Key", inputs, { name: "k", provider: east })]);
    test("passes a rotating key and an asymmetric key (AWS cannot rotate those)", async () => {
        assert.deepEqual(await runPolicy(kmsKeyRotation, key({ enableKeyRotation: true })), []);
        assert.deepEqual(await runPolicy(kmsKeyRotation, key({ customerMasterKeySpec: "RSA_2048" })), []);
    });
    test("refuses a key that does not rotate, or rotates too rarely", async () => {
        assert.deepEqual(messages(await runPolicy(kmsKeyRotation, key({}))), ['KMS key "k" does not rotate (enableKeyRotation is not true).']);
        assert.deepEqual(messages(await runPolicy(kmsKeyRotation, key({ enableKeyRotation: true, rotationPeriodInDays: 730 }))), ['KMS key "k" rotates every 730 days; at most 365 allowed.']);
    });
});

describe("keel-iam-no-wildcard-admin", () => {
    const admin = JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
    const scoped = JSON.stringify({ Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::b/*" }, { Effect: "Deny", Action: "*", Resource: "*" }] });
    test("passes scoped policies and ordinary managed policies", async () => {
        const plan = planOf([
            resource("aws:iam/rolePolicy:RolePolicy", { policy: scoped }, { name: "scoped", provider: east }),
            resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", { policyArn: "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup" }, { name: "backup", provider: east }),
        ]);
        assert.deepEqual(await runPolicy(iamNoWildcardAdmin, plan), []);
    });
    test("refuses Action * on Resource *, iam:* on *, inline role policies and administrator attachments", async () => {
        const plan = planOf([
            resource("aws:iam/rolePolicy:RolePolicy", { policy: admin }, { name: "admin", provider: east }),
            resource("aws:iam/policy:Policy", { policy: { Statement: { Effect: "Allow", Action: ["iam:*"], Resource: ["*"] } } }, { name: "iam-admin", provider: east }),
            resource("aws:iam/role:Role", { inlinePolicies: [{ name: "x", policy: admin }] }, { name: "inline", provider: east }),
            resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", { policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }, { name: "attach", provider: east }),
        ]);
        assert.deepEqual(messages(await runPolicy(iamNoWildcardAdmin, plan)), [
            'aws:iam/rolePolicy:RolePolicy "admin" allows "*" on every resource: grant the actions and resources it needs.',
            'aws:iam/policy:Policy "iam-admin" allows ["iam:*"] on every resource: grant the actions and resources it needs.',
            'aws:iam/role:Role "inline" allows "*" on every resource: grant the actions and resources it needs.',
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment \"attach\" attaches arn:aws:iam::aws:policy/AdministratorAccess.",
        ]);
    });
    test("ignores what it cannot parse", () => {
        assert.deepEqual(wildcardAdminStatements("{not json"), []);
    });
});
