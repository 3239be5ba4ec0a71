import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import { arnOf, list, mockOf, object, ofType, only, plannedBeforeTests, planComponents, refusedArguments, text, twoRegions } from "../../tests/plans";
import { ReplicatedCache, type CacheSite, type ReplicatedCacheArgs } from "./replicated-cache";

const topics = (region: string) => ({ critical: `arn:aws:sns:${region}:123456789012:critical`, warning: `arn:aws:sns:${region}:123456789012:warning` });
const site = (region: string, vpc: string): Omit<CacheSite, "provider"> => ({
    vpcId: vpc,
    subnetIds: [`subnet-${vpc}-a`, `subnet-${vpc}-b`, `subnet-${vpc}-c`],
    clientSecurityGroupIds: ["sg-0monitoring"],
    alarmTopicArns: topics(region),
});
const production: Partial<ReplicatedCacheArgs> = { nodeType: "cache.r7g.large", nodes: 3, multiAz: true, snapshotRetentionDays: 30 };

function build(overrides: Partial<ReplicatedCacheArgs> = {}, withDr = true) {
    const { primary, dr } = twoRegions();
    const cache = new ReplicatedCache("cache", {
        replicationGroupId: "keel-test-cache",
        ...production,
        primary: { provider: primary, ...site("us-east-1", "vpc-0aaa") },
        ...(withDr ? { dr: { provider: dr, ...site("us-west-2", "vpc-0bbb"), clientSecurityGroupIds: [], clientCidrBlocks: ["10.0.0.0/19"] } } : {}),
        ...overrides,
    }, { protect: true, retainOnDelete: true });
    return { endpoints: cache.endpoints, secretArns: cache.secretArns, writerSite: cache.writerSite, globalDatastoreId: cache.globalDatastoreId, authToken: cache.authToken };
}

const group = (record: PlanRecord, site: "primary" | "dr") => only(record, "aws:elasticache/replicationGroup:ReplicationGroup", `cache-${site}`);
const alarms = (record: PlanRecord, site: "primary" | "dr") => ofType(record, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.name.startsWith(`cache-${site}-`));

describe("ReplicatedCache across two regions", () => {
    const normal = plannedBeforeTests(() => planComponents(() => build()));
    const failedOver = plannedBeforeTests(() => planComponents(() => build({ drActive: true })));

    test("the primary group: Valkey 8.0, three nodes with automatic failover across zones, encrypted at rest with the region's key and in transit (required), AUTH, 30 days of snapshots", () => {
        const inputs = group(normal(), "primary").inputs;
        assert.equal(inputs.replicationGroupId, "keel-test-cache");
        assert.equal(inputs.engine, "valkey");
        assert.equal(inputs.engineVersion, "8.0");
        assert.equal(inputs.nodeType, "cache.r7g.large");
        assert.equal(inputs.numCacheClusters, 3);
        assert.equal(inputs.automaticFailoverEnabled, true);
        assert.equal(inputs.multiAzEnabled, true);
        assert.equal(inputs.atRestEncryptionEnabled, true);
        assert.equal(inputs.kmsKeyId, arnOf(only(normal(), "aws:kms/key:Key", "cache-primary-key")));
        assert.equal(inputs.transitEncryptionEnabled, true);
        assert.equal(inputs.transitEncryptionMode, "required");
        assert.equal(inputs.authToken, "[secret]", "the AUTH token is a secret, never a literal");
        assert.equal(inputs.snapshotRetentionLimit, 30);
        assert.equal(inputs.snapshotWindow, "05:00-06:00");
        assert.equal(inputs.maintenanceWindow, "sun:02:00-sun:04:00");
        assert.equal(inputs.subnetGroupName, "keel-test-cache");
        assert.equal(inputs.finalSnapshotIdentifier, "keel-test-cache-final");
    });

    test("the token: 64 letters and digits (ElastiCache's AUTH rules; safe in a URL)", () => {
        assert.deepEqual(only(normal(), "random:index/randomPassword:RandomPassword", "cache-auth-token").inputs, { length: 64, special: false });
    });

    test("the DR secondary joins the Global Datastore, inheriting engine, version, node type and encryption (the provider refuses them beside global_replication_group_id)", () => {
        const global = only(normal(), "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup", "cache");
        assert.equal(global.inputs.primaryReplicationGroupId, "keel-test-cache");
        assert.equal(global.region, "us-east-1");
        const secondary = group(normal(), "dr");
        assert.equal(secondary.region, "us-west-2");
        assert.equal(secondary.inputs.replicationGroupId, "keel-test-cache-dr");
        assert.equal(secondary.inputs.globalReplicationGroupId, mockOf(global).id);
        for (const inherited of ["engine", "engineVersion", "nodeType", "transitEncryptionEnabled", "transitEncryptionMode", "atRestEncryptionEnabled", "parameterGroupName", "port"]) {
            assert.equal(secondary.inputs[inherited], undefined, inherited);
        }
        assert.equal(secondary.inputs.kmsKeyId, arnOf(only(normal(), "aws:kms/key:Key", "cache-dr-key")));
        assert.equal(secondary.inputs.authToken, "[secret]");
        assert.equal(secondary.inputs.numCacheClusters, 3);
        assert.equal(secondary.inputs.subnetGroupName, "keel-test-cache-dr");
    });

    test("data stays: groups, keys, the Global Datastore and the connection secrets are protected and retained", () => {
        for (const type of ["aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup", "aws:kms/key:Key", "aws:secretsmanager/secret:Secret"]) {
            for (const resource of ofType(normal(), type)) {
                assert.ok(resource.protect && resource.retainOnDelete, `${resource.name} is protected and retained`);
            }
        }
        for (const alarm of ofType(normal(), "aws:cloudwatch/metricAlarm:MetricAlarm")) assert.equal(alarm.protect, false, `${alarm.name} moves with the DR phases`);
    });

    test("each region's security group admits only the named clients on 6379, and has no egress rule", () => {
        const rules = ofType(normal(), "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => [r.name, r.inputs.fromPort, r.inputs.referencedSecurityGroupId ?? r.inputs.cidrIpv4]);
        assert.deepEqual(rules, [["cache-primary-client-0", 6379, "sg-0monitoring"], ["cache-dr-network-0", 6379, "10.0.0.0/19"]]);
        assert.deepEqual(ofType(normal(), "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"), []);
    });

    test("each region's connection secret is encrypted with its key; the outputs name each region's endpoint and secret", () => {
        for (const role of ["primary", "dr"] as const) {
            const secret = only(normal(), "aws:secretsmanager/secret:Secret", `cache-${role}-connection`);
            assert.equal(secret.inputs.kmsKeyId, arnOf(only(normal(), "aws:kms/key:Key", `cache-${role}-key`)));
            assert.equal(only(normal(), "aws:secretsmanager/secretVersion:SecretVersion", `cache-${role}-connection`).inputs.secretString, "[secret]");
        }
        const endpoints = object(normal().outputs.endpoints, "endpoints");
        assert.match(text(endpoints.primary, "primary"), /^master\.keel-test-cache\.[0-9a-f]{6}\.use1\.cache\.amazonaws\.com$/);
        assert.match(text(endpoints.dr, "dr"), /^master\.keel-test-cache-dr\.[0-9a-f]{6}\.usw2\.cache\.amazonaws\.com$/);
        assert.equal(normal().outputs.authToken, "[secret]");
        assert.equal(normal().outputs.writerSite, "primary");
    });

    test("alarms: engine CPU, memory, evictions and replica lag per region over the highest node, to the site's warning topic; the secondary's lag behind the primary region pages", () => {
        const keys = (site: "primary" | "dr") => alarms(normal(), site).map((a) => a.name.replace(`cache-${site}-`, ""));
        assert.deepEqual(keys("primary"), ["engine-cpu", "memory", "evictions", "replica-lag"]);
        assert.deepEqual(keys("dr"), ["engine-cpu", "memory", "evictions", "replica-lag", "global-replication-lag"]);
        const lag = only(normal(), "aws:cloudwatch/metricAlarm:MetricAlarm", "cache-dr-global-replication-lag");
        assert.deepEqual(lag.inputs.alarmActions, [topics("us-west-2").critical]);
        assert.equal(lag.inputs.threshold, 300);
        assert.equal(lag.inputs.treatMissingData, "breaching");
        const queries = list(lag.inputs.metricQueries, "metricQueries").map((q) => object(q, "query"));
        assert.deepEqual(queries.slice(0, 3).map((q) => object(object(q.metric, "metric").dimensions, "dimensions").CacheClusterId), ["keel-test-cache-dr-001", "keel-test-cache-dr-002", "keel-test-cache-dr-003"]);
        assert.equal(queries[3].expression, "MAX([node1, node2, node3])");
        const cpu = only(normal(), "aws:cloudwatch/metricAlarm:MetricAlarm", "cache-primary-engine-cpu");
        assert.deepEqual(cpu.inputs.alarmActions, [topics("us-east-1").warning]);
        assert.equal(object(object(list(cpu.inputs.metricQueries, "q")[0], "q").metric, "metric").namespace, "AWS/ElastiCache");
    });

    test("DR mode (the script promoted the secondary): the DR region writes, and the primary region's group is the one whose lag pages", () => {
        assert.equal(failedOver().outputs.writerSite, "dr");
        assert.ok(alarms(failedOver(), "primary").some((a) => a.name === "cache-primary-global-replication-lag"));
        assert.ok(!alarms(failedOver(), "dr").some((a) => a.name === "cache-dr-global-replication-lag"));
        // The failover is the script's: the stack changes neither group nor the Global Datastore.
        assert.deepEqual(group(failedOver(), "dr").inputs, group(normal(), "dr").inputs);
        assert.deepEqual(group(failedOver(), "primary").inputs, group(normal(), "primary").inputs);
    });
});

describe("ReplicatedCache in one region", () => {
    const single = plannedBeforeTests(() => planComponents(() => build({ nodeType: "cache.t4g.micro", nodes: 1, multiAz: false, snapshotRetentionDays: 1 }, false)));

    test("one node without failover, no Global Datastore, no replica-lag alarms", () => {
        assert.equal(group(single(), "primary").inputs.numCacheClusters, 1);
        assert.equal(group(single(), "primary").inputs.automaticFailoverEnabled, false);
        assert.deepEqual(ofType(single(), "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"), []);
        assert.deepEqual(alarms(single(), "primary").map((a) => a.name), ["cache-primary-engine-cpu", "cache-primary-memory", "cache-primary-evictions"]);
        assert.equal(single().outputs.globalDatastoreId, undefined);
    });
});

describe("ReplicatedCache refuses what ElastiCache would", () => {
    test("every problem at once, at its argument, with the value given", async () => {
        const error = await refusedArguments(() => build({
            replicationGroupId: "9-cache",
            engineVersion: "8.0.1",
            nodeType: "cache.t4g.micro",
            nodes: 7,
            snapshotRetentionDays: 40,
            snapshotWindow: "02:30-03:30",
            maintenanceWindow: "sun:03:00-sun:03:30",
        }));
        assert.deepEqual(error.problems.map((p) => p.path.join(".")), [
            "replicationGroupId",
            "replicationGroupId",
            "engineVersion",
            "nodeType",
            "nodes",
            "snapshotRetentionDays",
            "maintenanceWindow",
            "snapshotWindow",
        ]);
        assert.match(error.message, /engineVersion: expected a Valkey major\.minor version such as 8\.0, got "8\.0\.1"/);
        assert.match(error.message, /nodeType: expected a node type Global Datastore supports .*, got "cache\.t4g\.micro"/);
        assert.match(error.message, /nodes: expected a whole number from 1 to 6 .*, got 7/);
        assert.match(error.message, /maintenanceWindow: ElastiCache needs at least 60 minutes/);
    });

    test("Multi-AZ needs two nodes (the provider's CustomizeDiff); DR mode needs a DR site", async () => {
        const error = await refusedArguments(() => build({ nodes: 1, multiAz: true, drActive: true }, false));
        assert.deepEqual(error.problems.map((p) => `${p.path.join(".")}: ${p.message}`), [
            "multiAz: needs at least 2 nodes: a replica in another zone to fail over to",
            "drActive: needs a DR site to have failed over to",
        ]);
    });
});
