import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { east, found, resource, west } from "../testing";
import { replicaLagAlarm } from "./alerting";
import { cacheDrCopy, cacheEncryption, cacheResilience } from "./cache";

const groupType = "aws:elasticache/replicationGroup:ReplicationGroup";
const eastKey = "arn:aws:kms:us-east-1:123456789012:key/1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";
const westKey = "arn:aws:kms:us-west-2:123456789012:key/9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d";
/** The primary group ReplicatedCache makes (production's settings). */
const primaryInputs = {
    replicationGroupId: "keel-production-cache",
    engine: "valkey",
    engineVersion: "8.0",
    nodeType: "cache.r7g.large",
    numCacheClusters: 3,
    automaticFailoverEnabled: true,
    multiAzEnabled: true,
    atRestEncryptionEnabled: true,
    transitEncryptionEnabled: true,
    transitEncryptionMode: "required",
    kmsKeyId: eastKey,
    authToken: "[secret]",
    snapshotRetentionLimit: 30,
    finalSnapshotIdentifier: "keel-production-cache-final",
};
const datastoreId = "ldgnf-keel-production-cache";
const secondaryInputs = { ...primaryInputs, replicationGroupId: "keel-production-cache-dr", globalReplicationGroupId: datastoreId, kmsKeyId: westKey, finalSnapshotIdentifier: "keel-production-cache-dr-final", engine: undefined, engineVersion: undefined, nodeType: undefined, atRestEncryptionEnabled: undefined, transitEncryptionEnabled: undefined, transitEncryptionMode: undefined };
const primary = (changes: Record<string, unknown> = {}) => resource(groupType, { ...primaryInputs, ...changes }, { name: "cache-primary", provider: east });
const secondary = (changes: Record<string, unknown> = {}) => resource(groupType, { ...secondaryInputs, ...changes }, { name: "cache-dr", provider: west });
const datastore = () => resource("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup", { globalReplicationGroupIdSuffix: "keel-production-cache", primaryReplicationGroupId: "keel-production-cache" }, { name: "cache", provider: east });

describe("keel-elasticache-encryption", () => {
    test("passes the primary and the secondary ReplicatedCache makes (the secondary inherits its encryption)", async () => {
        assert.deepEqual(await found(cacheEncryption, [primary(), secondary()]), []);
    });

    test("refuses plain text, AWS-managed or foreign keys, no AUTH, and stand-alone clusters", async () => {
        assert.deepEqual(await found(cacheEncryption, [primary({ atRestEncryptionEnabled: false, transitEncryptionMode: "preferred", kmsKeyId: "alias/aws/elasticache", authToken: undefined })]), [
            'ReplicationGroup "cache-primary" does not encrypt at rest (atRestEncryptionEnabled)',
            'ReplicationGroup "cache-primary" still accepts plain-text connections (transitEncryptionMode preferred, a migration setting): use required',
            'ReplicationGroup "cache-primary" encrypts with the AWS-managed key alias/aws/elasticache instead of a customer-managed key',
            'ReplicationGroup "cache-primary" admits clients without AUTH (authToken, or user groups)',
        ]);
        assert.deepEqual(await found(cacheEncryption, [primary({ transitEncryptionEnabled: false })]), [
            'ReplicationGroup "cache-primary" does not encrypt in transit (transitEncryptionEnabled): the AUTH token and the data would cross the network in plain text',
        ]);
        assert.deepEqual(await found(cacheEncryption, [secondary({ kmsKeyId: eastKey })]), [`ReplicationGroup "cache-dr" in us-west-2 names a KMS key of us-east-1: a cache needs a key of its own region`]);
        assert.deepEqual(await found(cacheEncryption, [resource("aws:elasticache/cluster:Cluster", { engine: "memcached" }, { name: "sessions", provider: east })]), [
            'Cluster "sessions" is a stand-alone cache cluster: Keel\'s caches are replication groups (encryption in transit, AUTH, failover)',
        ]);
    });
});

describe("keel-elasticache-resilience", () => {
    const production = { "keel-elasticache-resilience": { minimumSnapshotDays: 30, requireMultiAz: true } };

    test("passes production's groups; one node without failover is fine where Multi-AZ is not required", async () => {
        assert.deepEqual(await found(cacheResilience, [primary(), secondary()], production), []);
        assert.deepEqual(await found(cacheResilience, [primary({ numCacheClusters: 1, automaticFailoverEnabled: false, multiAzEnabled: false, snapshotRetentionLimit: 1 })]), []);
    });

    test("refuses short snapshot retention, no final snapshot, and no failover where required", async () => {
        assert.deepEqual(await found(cacheResilience, [primary({ snapshotRetentionLimit: 7, finalSnapshotIdentifier: undefined, multiAzEnabled: false, numCacheClusters: 1 })], production), [
            'ReplicationGroup "cache-primary" keeps snapshots 7 days; at least 30 required',
            'ReplicationGroup "cache-primary" takes no final snapshot (finalSnapshotIdentifier): deleting it would lose its data',
            'ReplicationGroup "cache-primary" does not fail over automatically across zones (automaticFailoverEnabled, multiAzEnabled)',
            'ReplicationGroup "cache-primary" has 1 node: a Multi-AZ failover needs a replica',
        ]);
    });
});

describe("keel-elasticache-dr-copy", () => {
    const required = { "keel-elasticache-dr-copy": { required: true } };

    test("passes a primary with a Global Datastore secondary in another region, and anything where not required", async () => {
        assert.deepEqual(await found(cacheDrCopy, [primary(), datastore(), secondary({ globalReplicationGroupId: datastoreId })], required), []);
        assert.deepEqual(await found(cacheDrCopy, [primary()]), []);
    });

    test("refuses a cache without a Global Datastore, or with its secondary in the same region", async () => {
        assert.deepEqual(await found(cacheDrCopy, [primary()], required), ['ReplicationGroup "cache-primary" has no Global Datastore: a loss of us-east-1 loses the cache']);
        const sameRegion = resource(groupType, secondaryInputs, { name: "cache-dr", provider: east });
        assert.deepEqual(await found(cacheDrCopy, [primary(), datastore(), sameRegion], required), [`ReplicationGroup "cache-primary"'s Global Datastore has no secondary in another region`]);
    });
});

describe("keel-replica-lag-alarm over a Global Datastore", () => {
    const lagAlarm = (expression: string, changes: Record<string, unknown> = {}) => resource("aws:cloudwatch/metricAlarm:MetricAlarm", {
        metricQueries: [
            ...["001", "002"].map((node, i) => ({ id: `node${i + 1}`, returnData: false, metric: { namespace: "AWS/ElastiCache", metricName: "GlobalDatastoreReplicationLag", stat: "Maximum", period: 60, dimensions: { CacheClusterId: `keel-production-cache-dr-${node}` } } })),
            { id: "highest", expression, returnData: true },
        ],
        comparisonOperator: "GreaterThanThreshold",
        threshold: 300,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: "breaching",
        actionsEnabled: true,
        alarmActions: ["arn:aws:sns:us-west-2:123456789012:alarms"],
        ...changes,
    }, { name: "cache-dr-global-replication-lag", provider: west });
    const settings = { "keel-replica-lag-alarm": { rpoSeconds: 300 } };

    test("the highest node's lag (MAX over the nodes) watches the secondary", async () => {
        assert.deepEqual(await found(replicaLagAlarm, [primary(), datastore(), secondary(), lagAlarm("MAX([node1, node2])")], settings), []);
    });

    test("a secondary without one, or one that hides the lag in arithmetic, is refused", async () => {
        assert.deepEqual(await found(replicaLagAlarm, [primary(), datastore(), secondary()], settings), [
            "replica cache-dr has no replication-lag alarm: nobody would learn that it fell more than the RPO (300 s) behind",
        ]);
        const [message] = await found(replicaLagAlarm, [primary(), datastore(), secondary(), lagAlarm("AVG([node1, node2])")], settings);
        assert.match(message, /^replica-lag alarm cache-dr-global-replication-lag alarms on the expression "AVG\(\[node1, node2\]\)" rather than GlobalDatastoreReplicationLag itself/);
    });
});
