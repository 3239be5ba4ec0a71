import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import { arnOf, mockOf, ofType, only, planComponents, text, twoRegions } from "../../tests/plans";
import { ReplicatedDatabase } from "./replicated-database";

function build(drActive: boolean) {
    const { primary, dr } = twoRegions();
    const db = new ReplicatedDatabase("db", {
        engine: "aurora-postgresql",
        engineVersion: "15.4",
        instanceClass: "db.r6g.2xlarge",
        replicaInstanceClass: "db.r6g.xlarge",
        backupRetentionDays: 30,
        rpoSeconds: 300,
        privateZoneName: "db.test.internal",
        globalClusterIdentifier: "keel-test-database",
        primary: { provider: primary, vpcId: "vpc-0aaa", subnetIds: ["subnet-0a1", "subnet-0a2"], clientSecurityGroupIds: ["sg-0app0east"] },
        dr: { provider: dr, vpcId: "vpc-0bbb", subnetIds: ["subnet-0b1", "subnet-0b2"] },
        drActive,
    }, { protect: true, retainOnDelete: true });
    return { writerEndpoint: db.writerEndpoint, writerAddress: db.writerAddress, readerAddress: db.readerAddress, secret: db.secret, writerSite: db.writerSite };
}

describe("ReplicatedDatabase (Aurora global database)", () => {
    let normal: PlanRecord;
    let drMode: PlanRecord;
    before(async () => {
        normal = await planComponents(() => build(false));
        drMode = await planComponents(() => build(true));
    });
    const cluster = (record: PlanRecord, site: string) => only(record, "aws:rds/cluster:Cluster", `db-${site}`);
    const endpoint = (record: PlanRecord, site: string, field = "endpoint") => text(mockOf(cluster(record, site)).state[field], field);
    const key = (record: PlanRecord, site: string) => arnOf(only(record, "aws:kms/key:Key", `db-${site}-key`));

    test("a global cluster, an encrypted, protected cluster per region, writer and reader instances", () => {
        const global = only(normal, "aws:rds/globalCluster:GlobalCluster");
        assert.deepEqual(global.inputs, { globalClusterIdentifier: "keel-test-database", engine: "aurora-postgresql", engineVersion: "15.4", databaseName: "app", storageEncrypted: true, deletionProtection: true });
        assert.deepEqual([global.protect, global.retainOnDelete], [true, true]);
        assert.deepEqual(ofType(normal, "aws:rds/clusterInstance:ClusterInstance").map((i) => [i.name, i.region, i.inputs.instanceClass, i.inputs.promotionTier, i.inputs.publiclyAccessible]), [
            ["db-primary-0", "us-east-1", "db.r6g.2xlarge", 0, false],
            ["db-primary-1", "us-east-1", "db.r6g.2xlarge", 1, false],
            ["db-dr-0", "us-west-2", "db.r6g.xlarge", 0, false],
            ["db-dr-1", "us-west-2", "db.r6g.xlarge", 1, false],
        ]);
        assert.deepEqual(ofType(normal, "aws:rds/instance:Instance"), []);
    });

    test("the primary cluster: master credentials, backups, maintenance window, its region's key and groups", () => {
        const primary = cluster(normal, "primary");
        const i = primary.inputs;
        assert.deepEqual([i.globalClusterIdentifier, i.engine, i.engineVersion, i.masterUsername, i.masterPassword, i.databaseName], ["keel-test-database", "aurora-postgresql", "15.4", "keel_admin", "[secret]", "app"]);
        assert.deepEqual([i.storageEncrypted, i.kmsKeyId, i.backupRetentionPeriod, i.preferredBackupWindow, i.preferredMaintenanceWindow], [true, key(normal, "primary"), 30, "00:00-01:00", "sun:02:00-sun:04:00"]);
        assert.deepEqual([i.deletionProtection, i.skipFinalSnapshot, i.finalSnapshotIdentifier, i.iamDatabaseAuthenticationEnabled, i.enabledCloudwatchLogsExports], [true, false, "db-primary-final", true, ["postgresql"]]);
        assert.deepEqual(i.tags, { Name: "db-primary", backup: "true" });
        assert.equal(i.dbClusterParameterGroupName, mockOf(only(normal, "aws:rds/clusterParameterGroup:ClusterParameterGroup", "db-primary")).state.name);
        assert.equal(only(normal, "aws:rds/clusterParameterGroup:ClusterParameterGroup", "db-primary").inputs.family, "aurora-postgresql15");
        assert.deepEqual([primary.protect, primary.retainOnDelete], [true, true]);
    });

    test("the secondary cluster joins the global cluster after the primary's instances, with the DR key and no credentials", () => {
        const secondary = cluster(normal, "dr");
        const i = secondary.inputs;
        assert.equal(secondary.region, "us-west-2");
        assert.deepEqual([i.globalClusterIdentifier, i.kmsKeyId, i.storageEncrypted, i.skipFinalSnapshot], ["keel-test-database", key(normal, "dr"), true, true]);
        for (const input of ["masterUsername", "masterPassword", "databaseName"]) assert.equal(i[input], undefined, input);
        for (const writer of ofType(normal, "aws:rds/clusterInstance:ClusterInstance").filter((r) => r.name.startsWith("db-primary"))) {
            assert.ok(secondary.dependencies.includes(writer.urn), `waits for ${writer.name}`);
        }
    });

    test("replication lag alarms at the RPO on the secondary cluster, in milliseconds", () => {
        const lag = only(normal, "aws:cloudwatch/metricAlarm:MetricAlarm", "db-dr-replication-lag");
        assert.deepEqual(
            [lag.region, lag.inputs.metricName, lag.inputs.threshold, lag.inputs.period, lag.inputs.dimensions],
            ["us-west-2", "AuroraGlobalDBReplicationLag", 300_000, 60, { DBClusterIdentifier: mockOf(cluster(normal, "dr")).id }],
        );
        assert.deepEqual(ofType(normal, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.metricName === "FreeStorageSpace"), [], "Aurora storage grows by itself");
    });

    test("the stable names point at the primary cluster's writer and reader endpoints", () => {
        const records = Object.fromEntries(ofType(normal, "aws:route53/record:Record").map((r) => [r.name, r.inputs.records]));
        assert.deepEqual(records, { "db-writer": [endpoint(normal, "primary")], "db-reader": [endpoint(normal, "primary", "readerEndpoint")] });
    });

    test("DR mode detaches the secondary (no global cluster identifier) and moves the names to it; the primary region is untouched", () => {
        const detached = cluster(drMode, "dr").inputs;
        assert.deepEqual([detached.globalClusterIdentifier, detached.skipFinalSnapshot, detached.finalSnapshotIdentifier, detached.tags], [undefined, false, "db-dr-final", { Name: "db-dr", backup: "true" }]);
        const records = Object.fromEntries(ofType(drMode, "aws:route53/record:Record").map((r) => [r.name, r.inputs.records]));
        assert.deepEqual(records, { "db-writer": [endpoint(drMode, "dr")], "db-reader": [endpoint(drMode, "dr", "readerEndpoint")] });
        assert.equal(drMode.outputs.writerSite, "dr");
        assert.deepEqual(ofType(drMode, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.metricName === "AuroraGlobalDBReplicationLag"), []);
        for (const resource of drMode.resources.filter((r) => r.region === "us-east-1" && r.type !== "aws:route53/record:Record")) {
            const was = normal.resources.find((r) => r.urn === resource.urn);
            assert.deepEqual(resource.inputs, was?.inputs, resource.urn);
        }
    });
});
