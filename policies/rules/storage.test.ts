import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PolicyPackConfig } from "@pulumi/policy";
import type { PlanResource } from "../../offline-plan/record";
import { east, found, messages, planOf, resource, runPolicy, west } from "../testing";
import { iamNoWildcardAdmin, kmsKeyRotation, wildcardAdminStatements } from "./identity";
import {
    backupBucketRetention,
    customerManagedKeys,
    s3AccessLogging,
    s3AclsDisabled,
    s3Encryption,
    s3Lifecycle,
    s3ObjectLock,
    s3PublicAccessBlock,
    s3Replication,
    s3TlsOnly,
    s3Versioning,
    storagePolicies,
    tlsDenyProblem,
} from "./storage";

const denyWithoutTls = { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::dumps-0a1b2c3", "arn:aws:s3:::dumps-0a1b2c3/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } };
const tlsOnly = JSON.stringify({ Statement: [denyWithoutTls] });
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
        ["no bucket policy", s3TlsOnly, { policy: null }, /has no bucket policy statement denying requests without TLS/],
        ["a TLS deny on GetObject only", s3TlsOnly, { policy: { policy: JSON.stringify({ Statement: [{ ...denyWithoutTls, Action: "s3:GetObject" }] }) } }, /the deny must cover s3:\* for every principal/],
        ["the AWS-managed key by alias", s3Encryption, { encryption: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "alias/aws/s3" } }] } }, /uses the AWS-managed key alias\/aws\/s3 instead of a customer-managed key/],
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

    test("keel-s3-kms-encryption: the ALB log bucket component may use SSE-S3 (ELB delivers to SSE-S3 only), by its type, not by a bucket name", async () => {
        const sseS3 = { encryption: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] } };
        const component = resource("keel:traffic:AlbLogBucket", {}, { name: "alb-logs" }).resource;
        assert.deepEqual(await runPolicy(s3Encryption, [east, component, ...hardenedBucket("alb-logs", east, sseS3, component)]), []);
        const impostor = hardenedBucket("alb-logs", east, sseS3);
        assert.deepEqual(await found(s3Encryption, [east, ...impostor]), ['S3 bucket "alb-logs" encrypts with AES256, not SSE-KMS']);
        const off = { "keel-s3-kms-encryption": { exemptComponentTypes: [] } };
        assert.deepEqual(await found(s3Encryption, [east, component, ...hardenedBucket("alb-logs", east, sseS3, component)], off), ['S3 bucket "alb-logs" encrypts with AES256, not SSE-KMS']);
    });

    test("keel-s3-kms-encryption: an exempt bucket still encrypts, and never with the AWS-managed key", async () => {
        const component = resource("keel:traffic:AlbLogBucket", {}, { name: "alb-logs" }).resource;
        const bucket = (overrides: Overrides) => [east, component, ...hardenedBucket("alb-logs", east, overrides, component)];
        assert.deepEqual(await found(s3Encryption, bucket({ encryption: null })), ['S3 bucket "alb-logs" has no default encryption configuration']);
        assert.deepEqual(await found(s3Encryption, bucket({ encryption: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "alias/aws/s3" } }] } })), [
            'S3 bucket "alb-logs" uses the AWS-managed key alias/aws/s3 instead of a customer-managed key',
        ]);
    });

    test("settings are matched to their bucket by its physical name when they do not depend on it", async () => {
        const bucket = resource("aws:s3/bucket:Bucket", {}, { name: "dumps", provider: east }).resource;
        const versioning = resource("aws:s3/bucketVersioning:BucketVersioning", { bucket: "dumps-0a1b2c3", versioningConfiguration: { status: "Suspended" } }, { name: "elsewhere", provider: east }).resource;
        assert.deepEqual(await found(s3Versioning, [east, bucket, versioning]), ['S3 bucket "dumps" is not versioned (status Suspended)']);
    });

    test("a second setting resource of the same kind is judged too (they would fight; either may win)", async () => {
        const records = hardenedBucket("dumps", east);
        const second = resource("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, { name: "dumps-2", provider: east, dependsOn: [records[0]] }).resource;
        assert.deepEqual(await found(s3Encryption, [east, ...records, second]), ['S3 bucket "dumps" encrypts with AES256, not SSE-KMS']);
    });

    test("keel-s3-access-logging: a bucket without logging is refused, its log bucket is not", async () => {
        assert.deepEqual(await found(s3AccessLogging, [east, ...hardenedBucket("dumps", east), ...logs]), ['S3 bucket "dumps" has no server access logging']);
    });

    test("settings are matched to their own bucket, not to a logging target or a replication destination", async () => {
        const replica = hardenedBucket("dumps-replica", west);
        const replication = resource("aws:s3/bucketReplicationConfig:BucketReplicationConfig", {}, { name: "dumps", provider: east, dependsOn: [compliant[0], replica[0]] }).resource;
        const replicaLogging = withLogging(replica, hardenedBucket("logs-west", west, { policy: { policy: logDelivery } }));
        const everything = [east, west, ...compliant, ...logs, ...replicaLogging, replication];
        for (const policy of [s3AccessLogging, s3Versioning]) {
            assert.deepEqual((await found(policy, everything)).filter((m) => !m.includes("logs-west")), [], policy.name);
        }
    });
});

describe("keel-s3-replication", () => {
    const component = resource("keel:backup:BackupBucket", {}, { name: "dumps" }).resource;
    const source = hardenedBucket("dumps", east, {}, component);
    const replica = hardenedBucket("dumps-replica", west, {}, component);
    /** The rule BackupBucket writes: everything, SSE-KMS objects included, to the replica. */
    const rule = (changes: Record<string, unknown> = {}) => ({
        id: "replicate-to-dr",
        status: "Enabled",
        filter: {},
        deleteMarkerReplication: { status: "Enabled" },
        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
        destination: { bucket: "arn:aws:s3:::dumps-replica-0a1b2c3", encryptionConfiguration: { replicaKmsKeyId: "arn:aws:kms:us-west-2:123456789012:key/r" } },
        ...changes,
    });
    const replicationTo = (destination: PlanResource, rules: unknown[] = [rule()]) =>
        resource("aws:s3/bucketReplicationConfig:BucketReplicationConfig", { rules }, { name: "dumps-replication", provider: east, parent: component, dependsOn: [source[0], destination] }).resource;
    const required = { "keel-s3-replication": { requireReplication: true } };
    const refused = (why: string) => [`backup bucket "dumps" has no replication to another region${why}`];
    const judge = (replication: PlanResource, extra: PlanResource[] = []) => found(s3Replication, [east, west, component, ...source, ...replica, ...extra, replication], required);

    test("passes a backup bucket replicated to another region", async () => {
        assert.deepEqual(await judge(replicationTo(replica[0])), []);
    });

    test("passes a destination not known yet when the configuration depends on a bucket of another region", async () => {
        assert.deepEqual(await judge(replicationTo(replica[0], [rule({ destination: {} })])), []);
    });

    test("refuses a backup bucket without replication, or replicated within its region", async () => {
        assert.deepEqual(await found(s3Replication, [east, west, component, ...source], required), refused(""));
        const sameRegion = hardenedBucket("dumps-copy", east, {}, component);
        assert.deepEqual(
            await found(s3Replication, [east, component, ...source, ...sameRegion, replicationTo(sameRegion[0], [rule({ destination: { bucket: "arn:aws:s3:::dumps-copy-1a2b3c4" } })])], required),
            refused(': rule "replicate-to-dr" replicates to "dumps-copy" in the same region (us-east-1)'),
        );
    });

    test("refuses a disabled rule, a partial filter, SSE-KMS objects left out, no rules and a destination outside the stack", async () => {
        const cases: [unknown[], string][] = [
            [[rule({ status: "Disabled" })], ': rule "replicate-to-dr" is Disabled'],
            [[rule({ filter: { prefix: "daily/" } })], ': rule "replicate-to-dr" replicates only part of the bucket (a prefix, tag or size filter)'],
            [[rule({ filter: { and: { prefix: "", tags: { replicate: "yes" } } } })], ': rule "replicate-to-dr" replicates only part of the bucket (a prefix, tag or size filter)'],
            [[rule({ sourceSelectionCriteria: undefined })], ': rule "replicate-to-dr" skips SSE-KMS encrypted objects (sourceSelectionCriteria.sseKmsEncryptedObjects is not Enabled), which is every object of this bucket'],
            [[], ': "dumps-replication" has no rules'],
        ];
        for (const [rules, why] of cases) assert.deepEqual(await judge(replicationTo(replica[0], rules)), refused(why), why);
        const outside = resource("aws:s3/bucketReplicationConfig:BucketReplicationConfig", { rules: [rule({ destination: { bucket: "arn:aws:s3:::somewhere-else" } })] }, { name: "dumps-replication", provider: east, parent: component, dependsOn: [source[0]] }).resource;
        assert.deepEqual(await judge(outside), refused(': rule "replicate-to-dr" replicates to arn:aws:s3:::somewhere-else, not a bucket of the stack in another region'));
    });

    test("one good rule is enough", async () => {
        assert.deepEqual(await judge(replicationTo(replica[0], [rule({ id: "old", status: "Disabled" }), rule()])), []);
    });

    test("is off unless the environment requires it", async () => {
        assert.deepEqual(await runPolicy(s3Replication, [east, component, ...source]), []);
    });
});

describe("keel-s3-tls-only: the deny must cover s3:* for everyone, the bucket and every object", () => {
    const document = (statement: Record<string, unknown>) => ({ Statement: [{ ...denyWithoutTls, ...statement }] });
    const bucket = "dumps-0a1b2c3";

    test("passes the deny as a string or an object, with actions, principals and values in every accepted form", () => {
        for (const variant of [
            {},
            { Action: ["s3:*"], Principal: { AWS: "*" } },
            { Action: "*", Principal: { AWS: ["*"] } },
            { Resource: "arn:aws:s3:::*" },
            { Resource: "*" },
            { Condition: { Bool: { "aws:SecureTransport": false } } },
            { Condition: { BoolIfExists: { "aws:securetransport": ["false"] } } },
        ]) {
            assert.equal(tlsDenyProblem(document(variant), bucket), undefined, JSON.stringify(variant));
            assert.equal(tlsDenyProblem(JSON.stringify(document(variant)), bucket), undefined, JSON.stringify(variant));
        }
        assert.equal(tlsDenyProblem({ Statement: [{ ...denyWithoutTls, Resource: `arn:aws:s3:::${bucket}` }, { ...denyWithoutTls, Resource: `arn:aws:s3:::${bucket}/*` }] }, bucket), undefined, "split over two statements");
    });

    test("refuses narrowed denies", () => {
        const narrowed = "narrows its TLS deny (a further condition, a true SecureTransport, NotPrincipal, NotAction or NotResource): it must deny every request with aws:SecureTransport false alone";
        const partial = 'denies requests without TLS only to some principals or actions: the deny must cover s3:* for every principal ("*")';
        const cases: [Record<string, unknown>, string][] = [
            [{ Action: ["s3:GetObject", "s3:PutObject"] }, partial],
            [{ Action: "s3:Get*" }, partial],
            [{ Principal: { AWS: "arn:aws:iam::123456789012:root" } }, partial],
            [{ Resource: `arn:aws:s3:::${bucket}/*` }, "does not deny requests without TLS on the bucket itself (its ARN must be a Resource of the deny)"],
            [{ Resource: `arn:aws:s3:::${bucket}` }, "does not deny requests without TLS on every object (the Resource must include the bucket's ARN followed by /*)"],
            [{ Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/daily/*`] }, "does not deny requests without TLS on every object (the Resource must include the bucket's ARN followed by /*)"],
            [{ Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/?`] }, "does not deny requests without TLS on every object (the Resource must include the bucket's ARN followed by /*)"],
            [{ Resource: ["arn:aws:s3:::other", "arn:aws:s3:::other/*"] }, "does not deny requests without TLS on the bucket itself (its ARN must be a Resource of the deny)"],
            [{ Condition: { Bool: { "aws:SecureTransport": "false" }, IpAddress: { "aws:SourceIp": "203.0.113.0/24" } } }, narrowed],
            [{ Condition: { Bool: { "aws:SecureTransport": "true" } } }, narrowed],
            [{ Principal: undefined, NotPrincipal: { AWS: "arn:aws:iam::123456789012:role/ops" } }, narrowed],
            [{ NotResource: `arn:aws:s3:::${bucket}/public/*` }, narrowed],
            [{ Effect: "Allow" }, "has no bucket policy statement denying requests without TLS (aws:SecureTransport false)"],
        ];
        for (const [variant, problem] of cases) assert.equal(tlsDenyProblem(document(variant), bucket), problem, JSON.stringify(variant));
        assert.equal(tlsDenyProblem("{not json", bucket), "has no bucket policy statement denying requests without TLS (aws:SecureTransport false)");
    });

    test("names the bucket in its refusal", async () => {
        const policy = { policy: { bucket, policy: JSON.stringify(document({ Action: "s3:GetObject" })) } };
        assert.deepEqual(await found(s3TlsOnly, [east, ...hardenedBucket("dumps", east, policy)]), [
            'S3 bucket "dumps" denies requests without TLS only to some principals or actions: the deny must cover s3:* for every principal ("*")',
        ]);
    });
});

describe("keel-s3-object-lock", () => {
    const component = resource("keel:backup:BackupBucket", {}, { name: "database-dumps" }).resource;
    const lockedBucket = (name: string, region: typeof east, lock: Record<string, unknown> | null = { mode: "GOVERNANCE", days: 7 }, objectLockEnabled: unknown = true) => {
        const records = hardenedBucket(name, region, {}, component);
        records[0] = { ...records[0], inputs: { objectLockEnabled } };
        const configuration = lock && resource("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", { rule: { defaultRetention: lock } }, { name, provider: region, parent: component, dependsOn: [records[0]] }).resource;
        return configuration ? [...records, configuration] : records;
    };
    const production = { "keel-s3-object-lock": { components: ["database-dumps"], minimumDays: 7, mode: "GOVERNANCE" } };
    const judge = (records: PlanResource[], config: PolicyPackConfig = production) => found(s3ObjectLock, [east, west, component, ...records], config);

    test("passes the dumps bucket and its replica locked 7 days in governance or compliance mode, or a year", async () => {
        assert.deepEqual(await judge([...lockedBucket("database-dumps", east), ...lockedBucket("database-dumps-replica", west, { mode: "COMPLIANCE", years: 1 })]), []);
    });

    test("refuses Object Lock off, no lock configuration, no default retention, too few days and a weaker mode", async () => {
        const cases: [PlanResource[], string][] = [
            [lockedBucket("database-dumps", east, undefined, false), "does not enable Object Lock (objectLockEnabled)"],
            [lockedBucket("database-dumps", east, null), "has no Object Lock configuration: new objects get no default retention"],
            [lockedBucket("database-dumps", east, {}), "has no default retention in its Object Lock configuration"],
            [lockedBucket("database-dumps", east, { mode: "GOVERNANCE", days: 1 }), "locks new objects 1 day; at least 7 required"],
        ];
        for (const [records, why] of cases) assert.deepEqual(await judge(records), [`S3 bucket "database-dumps" of backup bucket "database-dumps" ${why}`]);
        const compliance = { "keel-s3-object-lock": { components: ["database-dumps"], minimumDays: 7, mode: "COMPLIANCE" } };
        assert.deepEqual(await judge(lockedBucket("database-dumps", east), compliance), ['S3 bucket "database-dumps" of backup bucket "database-dumps" locks new objects in GOVERNANCE mode; COMPLIANCE required']);
    });

    test("judges only the backup buckets it names, and asks nothing by default", async () => {
        const uploads = resource("keel:backup:BackupBucket", {}, { name: "uploads" }).resource;
        const unlocked = hardenedBucket("uploads", east, {}, uploads);
        assert.deepEqual(await found(s3ObjectLock, [east, uploads, ...unlocked], production), []);
        assert.deepEqual(await found(s3ObjectLock, [east, component, ...lockedBucket("database-dumps", east, null, false)]), []);
    });
});

describe("keel-backup-bucket-retention", () => {
    const component = resource("keel:backup:BackupBucket", {}, { name: "database-dumps" }).resource;
    const tier = (id: string, prefix: string, days: number | undefined, noncurrentDays = 30) => ({
        id,
        status: "Enabled",
        filter: { prefix },
        expiration: days === undefined ? { expiredObjectDeleteMarker: true } : { days },
        noncurrentVersionExpiration: { noncurrentDays },
    });
    const productionTiers = [tier("database-daily", "daily/", 7), tier("database-weekly", "weekly/", 90), tier("database-monthly", "monthly/", 365)];
    const bucket = (rules: unknown[]) => hardenedBucket("database-dumps", east, { lifecycle: { rules } }, component);
    const config = { "keel-backup-bucket-retention": { minimumDays: 7, noncurrentMinimumDays: 30, tiers: { "database-dumps": { "daily/": { days: 7 }, "weekly/": { days: 90 }, "monthly/": { days: 365 }, "config/": { noncurrentDays: 365 } } } } };
    const judge = (rules: unknown[]) => found(backupBucketRetention, [east, component, ...bucket(rules)], config);
    const refusal = (why: string) => `backup bucket "database-dumps": "database-dumps" ${why}`;

    test("passes the production tiers, current versions kept forever and disabled rules", async () => {
        assert.deepEqual(await judge(productionTiers), []);
        assert.deepEqual(await judge([tier("configuration", "config/", undefined, 365), { ...tier("old", "", 1), status: "Disabled" }]), []);
    });

    test("refuses tiers shortened, catch-all and partial rules that reach a longer tier, dates and noncurrent versions purged early", async () => {
        const cases: [unknown, string][] = [
            [tier("database-daily", "daily/", 3), 'lifecycle rule "database-daily" (prefix "daily/") expires objects after 3 days; they are kept at least 7'],
            [tier("database-weekly", "weekly/", 28), 'lifecycle rule "database-weekly" (prefix "weekly/") expires objects after 28 days; they are kept at least 90 (tier "weekly/")'],
            [tier("cleanup", "", 100), 'lifecycle rule "cleanup" (prefix "") expires objects after 100 days; they are kept at least 365 (tier "monthly/")'],
            [{ ...tier("tagged", "", 30), filter: { tag: { key: "stale", value: "true" } } }, 'lifecycle rule "tagged" (prefix "") expires objects after 30 days; they are kept at least 365 (tier "monthly/")'],
            [{ ...tier("part", "", 30), filter: { and: { prefix: "monthly/2024/", tags: { stale: "true" } } } }, 'lifecycle rule "part" (prefix "monthly/2024/") expires objects after 30 days; they are kept at least 365 (tier "monthly/")'],
            [{ ...tier("legacy", "", 30), filter: undefined, prefix: "weekly" }, 'lifecycle rule "legacy" (prefix "weekly") expires objects after 30 days; they are kept at least 90 (tier "weekly/")'],
            [{ ...tier("other", "scratch/", 3) }, 'lifecycle rule "other" (prefix "scratch/") expires objects after 3 days; they are kept at least 7'],
            [{ ...tier("dated", "monthly/", undefined), expiration: { date: "2026-12-31T00:00:00Z" } }, 'lifecycle rule "dated" (prefix "monthly/") expires every object on 2026-12-31T00:00:00Z, whatever its age'],
            [tier("database-daily", "daily/", 7, 1), 'lifecycle rule "database-daily" (prefix "daily/") removes overwritten and deleted versions after 1 day; they are kept at least 30'],
            [tier("configuration", "config/", undefined, 90), 'lifecycle rule "configuration" (prefix "config/") removes overwritten and deleted versions after 90 days; they are kept at least 365 (tier "config/")'],
        ];
        for (const [rule, why] of cases) assert.deepEqual(await judge([rule]), [refusal(why)], why);
    });

    test("judges the replica's rules and a lifecycle configuration of the bucket made outside the component", async () => {
        const replica = hardenedBucket("database-dumps-replica", west, { lifecycle: { rules: [tier("database-monthly", "monthly/", 30)] } }, component);
        const source = bucket(productionTiers);
        const outside = resource("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", { bucket: "database-dumps-0a1b2c3", rules: [tier("purge", "", 1)] }, { name: "purge", provider: east }).resource;
        assert.deepEqual(await found(backupBucketRetention, [east, west, component, ...source, ...replica, outside], config), [
            'backup bucket "database-dumps": "purge" lifecycle rule "purge" (prefix "") expires objects after 1 day; they are kept at least 365 (tier "monthly/")',
            'backup bucket "database-dumps": "database-dumps-replica" lifecycle rule "database-monthly" (prefix "monthly/") expires objects after 30 days; they are kept at least 365 (tier "monthly/")',
        ]);
    });

    test("refuses a force-destroyable backup bucket", async () => {
        const records = bucket(productionTiers);
        records[0] = { ...records[0], inputs: { forceDestroy: true } };
        assert.deepEqual(await found(backupBucketRetention, [east, component, ...records], config), ['backup bucket "database-dumps": S3 bucket "database-dumps" can be deleted with every backup in it (forceDestroy true)']);
    });

    test("keeps S3 and ALB access logs at least logMinimumDays", async () => {
        const logConfig = { "keel-backup-bucket-retention": { logMinimumDays: 90 } };
        const logBucket = (type: string, name: string, days: number) => {
            const owner = resource(type, {}, { name }).resource;
            return [owner, ...hardenedBucket(name, east, { lifecycle: { rules: [tier("access-logs", "", days, 1)] } }, owner)];
        };
        assert.deepEqual(await found(backupBucketRetention, [east, ...logBucket("keel:backup:LogBucket", "access-logs", 90), ...logBucket("keel:traffic:AlbLogBucket", "alb-logs", 365)], logConfig), []);
        assert.deepEqual(await found(backupBucketRetention, [east, ...logBucket("keel:backup:LogBucket", "access-logs", 1), ...logBucket("keel:traffic:AlbLogBucket", "alb-logs", 30)], logConfig), [
            'log bucket "access-logs": "access-logs" lifecycle rule "access-logs" (prefix "") expires objects after 1 day; they are kept at least 90',
            'log bucket "alb-logs": "alb-logs" lifecycle rule "access-logs" (prefix "") expires objects after 30 days; they are kept at least 90',
        ]);
    });

    test("asks a day by default and judges only backup buckets", async () => {
        assert.deepEqual(await found(backupBucketRetention, [east, component, ...bucket([tier("x", "", 1)])]), []);
        assert.deepEqual(await found(backupBucketRetention, [east, ...hardenedBucket("scratch", east, { lifecycle: { rules: [tier("x", "", 1)] } })], config), []);
    });
});

describe("keel-customer-managed-keys", () => {
    const key = "arn:aws:kms:us-east-1:123456789012:key/k";
    const judge = (type: string, inputs: Record<string, unknown>, config = {}) => found(customerManagedKeys, [resource(type, inputs, { name: "x", provider: east })], config);

    test("passes customer-managed keys, and types that need none when they name none", async () => {
        assert.deepEqual(await judge("aws:sns/topic:Topic", { kmsMasterKeyId: key }), []);
        assert.deepEqual(await judge("aws:secretsmanager/secret:Secret", { kmsKeyId: key }), []);
        assert.deepEqual(await judge("aws:backup/vault:Vault", { kmsKeyArn: key }), []);
        assert.deepEqual(await judge("aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 90 }), []);
        assert.deepEqual(await judge("aws:ec2/launchTemplate:LaunchTemplate", { blockDeviceMappings: [{ ebs: { encrypted: "true" } }] }), []);
    });

    test("refuses AWS-managed keys by alias or alias ARN, wherever data rests", async () => {
        const cases: [string, Record<string, unknown>, string][] = [
            ["aws:sns/topic:Topic", { kmsMasterKeyId: "alias/aws/sns" }, 'Topic "x" encrypts with the AWS-managed key alias/aws/sns (kmsMasterKeyId)'],
            ["aws:secretsmanager/secret:Secret", { kmsKeyId: "arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager" }, 'Secret "x" encrypts with the AWS-managed key arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager (kmsKeyId)'],
            ["aws:rds/instance:Instance", { kmsKeyId: key, performanceInsightsKmsKeyId: "alias/aws/rds" }, 'Instance "x" encrypts with the AWS-managed key alias/aws/rds (performanceInsightsKmsKeyId)'],
            ["aws:cloudwatch/logGroup:LogGroup", { kmsKeyId: "ALIAS/AWS/LOGS" }, 'LogGroup "x" encrypts with the AWS-managed key ALIAS/AWS/LOGS (kmsKeyId)'],
            ["aws:ec2/launchTemplate:LaunchTemplate", { blockDeviceMappings: [{ ebs: { encrypted: "true", kmsKeyId: "alias/aws/ebs" } }] }, 'LaunchTemplate "x" encrypts with the AWS-managed key alias/aws/ebs (blockDeviceMappings.ebs.kmsKeyId)'],
            ["aws:ebs/volume:Volume", { encrypted: true, kmsKeyId: "alias/aws/ebs" }, 'Volume "x" encrypts with the AWS-managed key alias/aws/ebs (kmsKeyId)'],
            ["aws:eks/cluster:Cluster", { encryptionConfig: { provider: { keyArn: "alias/aws/eks" }, resources: ["secrets"] } }, 'Cluster "x" encrypts with the AWS-managed key alias/aws/eks (encryptionConfig.provider.keyArn)'],
            ["aws:s3/bucketReplicationConfig:BucketReplicationConfig", { rules: [{ destination: { encryptionConfiguration: { replicaKmsKeyId: "alias/aws/s3" } } }] }, 'BucketReplicationConfig "x" encrypts with the AWS-managed key alias/aws/s3 (destination.encryptionConfiguration.replicaKmsKeyId)'],
        ];
        for (const [type, inputs, message] of cases) {
            assert.deepEqual(await judge(type, inputs), [`${message}: use a customer-managed key, whose policy the account controls`]);
        }
    });

    test("keeps customer-managed keys enabled, with the environment's deletion window", async () => {
        assert.deepEqual(await judge("aws:kms/key:Key", { enableKeyRotation: true, deletionWindowInDays: 30 }, { "keel-customer-managed-keys": { minimumDeletionWindowDays: 30 } }), []);
        assert.deepEqual(await judge("aws:kms/key:Key", { isEnabled: false, deletionWindowInDays: 30 }), ['KMS key "x" is disabled (isEnabled false): everything encrypted under it becomes unreadable']);
        assert.deepEqual(await judge("aws:kms/key:Key", { deletionWindowInDays: 7 }, { "keel-customer-managed-keys": { minimumDeletionWindowDays: 30 } }), [
            'KMS key "x" would be deleted 7 days after a deletion is scheduled; at least 30 required to notice and cancel it (data under a deleted key is lost)',
        ]);
    });

    test("refuses secrets, topics and vaults that name no key; requireKeyFor changes the list", async () => {
        assert.deepEqual(await judge("aws:sns/topic:Topic", {}), ['Topic "x" names no KMS key (kmsMasterKeyId): it would be unencrypted or use an AWS-managed key; a customer-managed key is required']);
        assert.deepEqual(await judge("aws:backup/vault:Vault", { kmsKeyArn: "" }), ['Vault "x" names no KMS key (kmsKeyArn): it would be unencrypted or use an AWS-managed key; a customer-managed key is required']);
        assert.deepEqual(await judge("aws:sns/topic:Topic", {}, { "keel-customer-managed-keys": { requireKeyFor: [] } }), []);
        assert.deepEqual(await judge("aws:cloudwatch/logGroup:LogGroup", {}, { "keel-customer-managed-keys": { requireKeyFor: ["aws:cloudwatch/logGroup:LogGroup"] } }), [
            'LogGroup "x" names no KMS key (kmsKeyId): it would be unencrypted or use an AWS-managed key; a customer-managed key is required',
        ]);
    });
});

describe("keel-kms-key-rotation", () => {
    const key = (inputs: Record<string, unknown>) => planOf([resource("aws:kms/key:Key", inputs, { name: "k", provider: east })]);
    test("passes a rotating key and an asymmetric key (AWS cannot rotate those)", async () => {
        assert.deepEqual(await runPolicy(kmsKeyRotation, key({ enableKeyRotation: true })), []);
        assert.deepEqual(await runPolicy(kmsKeyRotation, key({ customerMasterKeySpec: "RSA_2048" })), []);
    });
    test("refuses a key that does not rotate, or rotates too rarely", async () => {
        assert.deepEqual(await found(kmsKeyRotation, key({})), ['KMS key "k" does not rotate (enableKeyRotation is not true).']);
        assert.deepEqual(await found(kmsKeyRotation, key({ enableKeyRotation: true, rotationPeriodInDays: 730 })), ['KMS key "k" rotates every 730 days; at most 365 allowed.']);
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
        assert.deepEqual(await found(iamNoWildcardAdmin, plan), [
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
