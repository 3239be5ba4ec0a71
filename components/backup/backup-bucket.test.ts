import * as aws from "@pulumi/aws";
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import type { PlanResource } from "../../offline-plan/record";
import { childrenOf, idOf, ofType, only, planComponents, refusedArguments, twoRegions } from "../../tests/plans";
import { BackupBucket, validateBackupBucket } from "./backup-bucket";
import { LogBucket } from "./log-bucket";
import { dailyDatabaseDumps, monthlyDatabaseArchives, weeklyDatabaseDumps } from "./tiers";

type Statement = { Sid?: string; Effect: string; Principal?: unknown; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string>> };
const statements = (policy: unknown): Statement[] => (JSON.parse(String(policy)) as { Statement: Statement[] }).Statement;
const bySid = (policy: unknown, sid: string) => {
    const found = statements(policy).find((s) => s.Sid === sid);
    assert.ok(found, `no statement ${sid}`);
    return found;
};

/** The S3 child of `type` that configures `bucket` (matched through the recorded bucket id). */
function configOf(record: PlanRecord, type: string, bucket: PlanResource): PlanResource {
    const bucketName = String(record.outputs[`${bucket.name}:name`]);
    const matches = ofType(record, type).filter((r) => r.inputs.bucket === bucketName);
    assert.equal(matches.length, 1, `${type} for ${bucket.name}`);
    return matches[0];
}

describe("BackupBucket with a replica in the DR region", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => {
            const { primary, dr } = twoRegions();
            const logs = new LogBucket("logs", {}, { provider: primary });
            const drLogs = new LogBucket("dr-logs", {}, { provider: dr });
            const dumps = new BackupBucket("dumps", {
                tiers: [dailyDatabaseDumps, weeklyDatabaseDumps, monthlyDatabaseArchives],
                objectLock: { mode: "GOVERNANCE", days: 7 },
                // The log bucket's target (explicit dependsOn) in the primary region; only its name in the DR region.
                accessLogs: logs.target(),
                replication: { provider: dr, accessLogs: { bucket: drLogs.bucketName } },
            }, { provider: primary, protect: true, retainOnDelete: true });
            return {
                "dumps:name": dumps.bucketName,
                "dumps-replica:name": dumps.replicaBucketName,
                "logs:name": logs.bucketName,
                "dr-logs:name": drLogs.bucketName,
                replicaArn: dumps.replicaBucketArn,
                sourceKeyArn: dumps.kmsKeyArn,
                replicaKeyArn: dumps.replicaKmsKeyArn,
                roleArn: dumps.replicationRoleArn,
            };
        });
    });
    const bucket = (name: string) => only(record, "aws:s3/bucket:Bucket", name);

    test("creates the bucket, its key and its hardening, and the same again in the DR region", () => {
        const component = only(record, "keel:backup:BackupBucket");
        const types = childrenOf(record, component).map((r) => `${r.type}::${r.name}::${r.region}`).sort();
        const hardening = (name: string, region: string) =>
            ["Bucket", "BucketLifecycleConfiguration", "BucketLogging", "BucketObjectLockConfiguration", "BucketOwnershipControls", "BucketPolicy", "BucketPublicAccessBlock", "BucketServerSideEncryptionConfiguration", "BucketVersioning"]
                .map((t) => `aws:s3/${t[0].toLowerCase()}${t.slice(1)}:${t}::${name}::${region}`);
        assert.deepEqual(types, [
            "aws:iam/role:Role::dumps-replication::us-east-1",
            "aws:iam/rolePolicy:RolePolicy::dumps-replication::us-east-1",
            "aws:kms/key:Key::dumps-key::us-east-1",
            "aws:kms/key:Key::dumps-replica-key::us-west-2",
            ...hardening("dumps", "us-east-1"),
            ...hardening("dumps-replica", "us-west-2"),
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig::dumps-replication::us-east-1",
        ].sort());
    });

    test("keys rotate; buckets and keys are protected and retained", () => {
        for (const key of ofType(record, "aws:kms/key:Key").filter((k) => k.name.startsWith("dumps"))) {
            assert.equal(key.inputs.enableKeyRotation, true);
            assert.deepEqual([key.protect, key.retainOnDelete], [true, true], key.name);
        }
        for (const name of ["dumps", "dumps-replica"]) assert.deepEqual([bucket(name).protect, bucket(name).retainOnDelete], [true, true], name);
        assert.equal(bucket("dumps").inputs.forceDestroy, false);
        assert.equal(bucket("dumps").inputs.objectLockEnabled, true);
    });

    for (const [name, keyName, region] of [["dumps", "dumps-key", "us-east-1"], ["dumps-replica", "dumps-replica-key", "us-west-2"]] as const) {
        test(`${name}: versioned, SSE-KMS with its own key in ${region}, public access blocked, no ACLs`, () => {
            const target = bucket(name);
            assert.equal(only(record, "aws:kms/key:Key", keyName).region, region);
            assert.deepEqual(configOf(record, "aws:s3/bucketVersioning:BucketVersioning", target).inputs.versioningConfiguration, { status: "Enabled" });
            const [rule] = configOf(record, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", target).inputs.rules as Record<string, unknown>[];
            const keyArn = record.outputs[region === "us-east-1" ? "sourceKeyArn" : "replicaKeyArn"];
            assert.match(String(keyArn), new RegExp(`^arn:aws:kms:${region}:123456789012:key/`));
            assert.deepEqual(rule, { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn }, bucketKeyEnabled: true });
            const block = configOf(record, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", target).inputs;
            assert.deepEqual([block.blockPublicAcls, block.blockPublicPolicy, block.ignorePublicAcls, block.restrictPublicBuckets], [true, true, true, true]);
            assert.deepEqual(configOf(record, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", target).inputs.rule, { objectOwnership: "BucketOwnerEnforced" });
            assert.deepEqual(configOf(record, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", target).inputs.rule, { defaultRetention: { mode: "GOVERNANCE", days: 7 } });
        });

        test(`${name}: the policy refuses plaintext, old TLS and other encryption`, () => {
            const policy = configOf(record, "aws:s3/bucketPolicy:BucketPolicy", bucket(name));
            const arn = `arn:aws:s3:::${String(record.outputs[`${name}:name`])}`;
            assert.deepEqual(bySid(policy.inputs.policy, "DenyInsecureTransport"), {
                Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } },
            });
            assert.deepEqual(bySid(policy.inputs.policy, "DenyOutdatedTls").Condition, { NumericLessThan: { "s3:TlsVersion": "1.2" } });
            assert.deepEqual(bySid(policy.inputs.policy, "DenyOtherEncryption").Condition, {
                StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
                Null: { "s3:x-amz-server-side-encryption": "false" },
            });
            const keyArn = String((configOf(record, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", bucket(name)).inputs.rules as { applyServerSideEncryptionByDefault: { kmsMasterKeyId: string } }[])[0].applyServerSideEncryptionByDefault.kmsMasterKeyId);
            assert.deepEqual(bySid(policy.inputs.policy, "DenyOtherKmsKey").Condition?.StringNotEquals, { "s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn });
            assert.ok(policy.dependencies.includes(configOf(record, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket(name)).urn), "policy waits for the public access block");
        });

        test(`${name}: lifecycle rules compiled from the tiers, after versioning`, () => {
            const lifecycle = configOf(record, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", bucket(name));
            const rules = lifecycle.inputs.rules as { id: string; filter: unknown; transitions?: unknown; expiration: unknown; abortIncompleteMultipartUpload: unknown; noncurrentVersionExpiration: unknown }[];
            assert.deepEqual(rules.map((r) => [r.id, r.filter, r.transitions ?? [], r.expiration]), [
                ["database-daily", { prefix: "daily/" }, [], { days: 7 }],
                ["database-weekly", { prefix: "weekly/" }, [{ days: 0, storageClass: "GLACIER_IR" }], { days: 90 }],
                ["database-monthly", { prefix: "monthly/" }, [{ days: 0, storageClass: "DEEP_ARCHIVE" }], { days: 365 }],
            ]);
            for (const rule of rules) {
                assert.deepEqual(rule.abortIncompleteMultipartUpload, { daysAfterInitiation: 7 });
                assert.deepEqual(rule.noncurrentVersionExpiration, { noncurrentDays: 30 });
            }
            assert.ok(lifecycle.dependencies.includes(configOf(record, "aws:s3/bucketVersioning:BucketVersioning", bucket(name)).urn));
        });
    }

    test("access logs go to the log bucket of the same region", () => {
        const source = configOf(record, "aws:s3/bucketLogging:BucketLogging", bucket("dumps"));
        assert.equal(source.inputs.targetBucket, record.outputs["logs:name"]);
        assert.equal(source.inputs.targetPrefix, "dumps/");
        assert.equal(source.region, "us-east-1");
        const replica = configOf(record, "aws:s3/bucketLogging:BucketLogging", bucket("dumps-replica"));
        assert.equal(replica.inputs.targetBucket, record.outputs["dr-logs:name"]);
        assert.equal(replica.region, "us-west-2");
    });

    test("access logging starts after the log bucket's policy admits log delivery and its key lets it encrypt", () => {
        for (const [logged, logBucket] of [["dumps", "logs"], ["dumps-replica", "dr-logs"]] as const) {
            const logging = configOf(record, "aws:s3/bucketLogging:BucketLogging", bucket(logged));
            const policy = configOf(record, "aws:s3/bucketPolicy:BucketPolicy", bucket(logBucket));
            const key = only(record, "aws:kms/key:Key", `${logBucket}-key`);
            assert.ok(statements(key.inputs.policy).some((st) => st.Sid === "AllowServerAccessLogDelivery"), `${key.name} admits log delivery`);
            assert.ok(logging.dependencies.includes(policy.urn), `${logging.name} does not wait for ${policy.name}'s bucket policy`);
            assert.ok(logging.dependencies.includes(key.urn), `${logging.name} does not wait for ${key.name}`);
        }
    });

    test("replication feeds the replica with its own key, RTC 15 min, metrics and delete markers, after both versionings", () => {
        const replication = only(record, "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
        assert.equal(replication.inputs.bucket, record.outputs["dumps:name"]);
        assert.equal(replication.inputs.role, record.outputs.roleArn);
        assert.deepEqual(replication.inputs.rules, [{
            id: "replicate-to-dr",
            status: "Enabled",
            filter: {},
            deleteMarkerReplication: { status: "Enabled" },
            sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
            destination: {
                bucket: record.outputs.replicaArn,
                storageClass: "STANDARD",
                encryptionConfiguration: { replicaKmsKeyId: record.outputs.replicaKeyArn },
                replicationTime: { status: "Enabled", time: { minutes: 15 } },
                metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
            },
        }]);
        assert.match(String(record.outputs.replicaKeyArn), /^arn:aws:kms:us-west-2:/);
        const versionings = [bucket("dumps"), bucket("dumps-replica")].map((b) => configOf(record, "aws:s3/bucketVersioning:BucketVersioning", b).urn);
        for (const urn of versionings) assert.ok(replication.dependencies.includes(urn), `replication must wait for ${urn}`);
    });

    test("replication starts only once the replication role's policy is attached", () => {
        const replication = only(record, "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
        const rolePolicy = only(record, "aws:iam/rolePolicy:RolePolicy", "dumps-replication");
        assert.equal(rolePolicy.inputs.role, idOf(only(record, "aws:iam/role:Role", "dumps-replication")));
        assert.ok(replication.dependencies.includes(rolePolicy.urn), "replication does not wait for the role's policy");
    });

    test("the replication role is least privilege", () => {
        const role = only(record, "aws:iam/role:Role", "dumps-replication");
        assert.deepEqual(statements(role.inputs.assumeRolePolicy), [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }]);
        const policy = only(record, "aws:iam/rolePolicy:RolePolicy", "dumps-replication").inputs.policy;
        const source = `arn:aws:s3:::${String(record.outputs["dumps:name"])}`;
        const replica = String(record.outputs.replicaArn);
        assert.deepEqual(statements(policy).map((s) => [s.Sid, s.Action, s.Resource]), [
            ["ReadReplicationConfiguration", ["s3:GetReplicationConfiguration", "s3:ListBucket"], source],
            ["ReadSourceVersions", ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"], `${source}/*`],
            ["WriteReplicas", ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], `${replica}/*`],
            ["DecryptSource", "kms:Decrypt", bySid(policy, "DecryptSource").Resource],
            ["EncryptReplicas", ["kms:Encrypt", "kms:GenerateDataKey"], record.outputs.replicaKeyArn],
        ]);
        assert.match(String(bySid(policy, "DecryptSource").Resource), /^arn:aws:kms:us-east-1:/);
        assert.deepEqual(bySid(policy, "DecryptSource").Condition, { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } });
        assert.deepEqual(bySid(policy, "EncryptReplicas").Condition, { StringEquals: { "kms:ViaService": "s3.us-west-2.amazonaws.com" } });
        for (const s of statements(policy)) assert.ok(![s.Action].flat().some((a) => a.endsWith("*")) && ![s.Resource].flat().includes("*"), `${s.Sid} is too broad`);
    });
});

describe("LogBucket", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => {
            const provider = new aws.Provider("primary", { region: "us-east-1" });
            const logs = new LogBucket("logs", { expireAfterDays: 30 }, { provider });
            return { "logs:name": logs.bucketName, keyArn: logs.kmsKeyArn };
        });
    });

    test("encrypts with its own key, usable by S3 log delivery for this account only, and expires logs", () => {
        const target = only(record, "aws:s3/bucket:Bucket");
        const key = only(record, "aws:kms/key:Key");
        assert.equal(key.inputs.enableKeyRotation, true);
        const keyStatements = statements(key.inputs.policy);
        assert.deepEqual(keyStatements.map((st) => [st.Sid, st.Principal, st.Action, st.Condition]), [
            ["EnableIamPolicies", { AWS: "arn:aws:iam::123456789012:root" }, "kms:*", undefined],
            ["AllowServerAccessLogDelivery", { Service: "logging.s3.amazonaws.com" }, "kms:GenerateDataKey*", { StringEquals: { "aws:SourceAccount": "123456789012" } }],
        ]);
        const [encryption] = configOf(record, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", target).inputs.rules as Record<string, unknown>[];
        assert.deepEqual(encryption, { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: record.outputs.keyArn }, bucketKeyEnabled: true });
        const [rule] = configOf(record, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", target).inputs.rules as Record<string, unknown>[];
        assert.deepEqual([rule.filter, rule.expiration], [{ prefix: "" }, { days: 30 }]);
    });

    test("lets only this account's buckets deliver access logs", () => {
        const policy = configOf(record, "aws:s3/bucketPolicy:BucketPolicy", only(record, "aws:s3/bucket:Bucket")).inputs.policy;
        const delivery = bySid(policy, "AllowServerAccessLogDelivery");
        assert.deepEqual(delivery.Principal, { Service: "logging.s3.amazonaws.com" });
        assert.equal(delivery.Action, "s3:PutObject");
        assert.deepEqual(delivery.Condition, { StringEquals: { "aws:SourceAccount": "123456789012" } });
        assert.deepEqual(bySid(policy, "DenyOtherKmsKey").Condition?.StringNotEquals, { "s3:x-amz-server-side-encryption-aws-kms-key-id": record.outputs.keyArn });
    });
});

describe("BackupBucket without replication", () => {
    test("creates no replica, role or replication, and exports no replica", async () => {
        const record = await planComponents(() => {
            const provider = new aws.Provider("primary", { region: "us-east-1" });
            const uploads = new BackupBucket("uploads", { tiers: [weeklyDatabaseDumps] }, { provider });
            return { replica: uploads.replicaBucketName };
        });
        assert.deepEqual(ofType(record, "aws:s3/bucket:Bucket").map((b) => b.name), ["uploads"]);
        assert.equal(ofType(record, "aws:s3/bucketReplicationConfig:BucketReplicationConfig").length, 0);
        assert.equal(ofType(record, "aws:iam/role:Role").length, 0);
        assert.equal(ofType(record, "aws:s3/bucketLogging:BucketLogging").length, 0);
        assert.equal(ofType(record, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").length, 0);
        assert.equal(record.outputs.replica, undefined);
        assert.deepEqual([only(record, "aws:s3/bucket:Bucket").protect, only(record, "aws:s3/bucket:Bucket").retainOnDelete], [false, false]);
    });

    test("refuses tiers S3 would refuse before registering anything", async () => {
        const refusal = await refusedArguments(() => {
            const provider = new aws.Provider("primary", { region: "us-east-1" });
            new BackupBucket("bad", { tiers: [{ name: "daily", prefix: "daily/", transitions: [{ days: 1, storageClass: "STANDARD_IA" }], expireAfterDays: 7 }] }, { provider });
        });
        assert.match(refusal.message, /^BackupBucket bad: invalid arguments:\n {2}- tier "daily": transition to STANDARD_IA on day 1: S3 accepts transitions to STANDARD_IA only from day 30/);
    });

    test("warns when Object Lock outlives a tier's expiry, refuses a lock of 0 days", () => {
        assert.deepEqual(validateBackupBucket({ tiers: [dailyDatabaseDumps], objectLock: { mode: "COMPLIANCE", days: 30 } }).warnings, [
            'tier "database-daily" expires objects on day 7, but Object Lock keeps every version 30 days: storage is billed until the lock ends',
        ]);
        assert.deepEqual(validateBackupBucket({ tiers: [dailyDatabaseDumps], objectLock: { mode: "GOVERNANCE", days: 0 } }).errors, ["object lock: days must be a whole number of at least 1, got 0"]);
    });
});
