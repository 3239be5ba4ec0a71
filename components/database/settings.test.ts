import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
    databaseParameters,
    databaseTopology,
    guideAlarmThresholds,
    instanceAlarms,
    instanceClassMemoryGib,
    parameterFamily,
    replicationLagAlarm,
    supportsPerformanceInsights,
    validateDatabaseSettings,
    validateWindows,
    type DatabaseSettings,
} from "./settings";
import { problem } from "../problems";
import { guideSizing } from "./testing";

const production: DatabaseSettings = {
    engine: "postgres",
    ...guideSizing,
    backupWindow: "00:00-01:00",
    maintenanceWindow: "sun:02:00-sun:04:00",
    monitoringIntervalSeconds: 15,
    performanceInsightsRetentionDays: 7,
    rpoSeconds: 300,
    alarmThresholds: guideAlarmThresholds,
    hasDr: true,
    drActive: false,
    primaryDatabase: "original",
};

describe("databaseTopology: the roles through failover and failback", () => {
    const roles = (hasDr: boolean, drActive: boolean, primary: "original" | "rebuilding" | "rebuilt") => {
        const t = databaseTopology(hasDr, drActive, primary);
        return [t.primary.role, t.primary.bornAsReplica, t.primary.source, t.dr?.role, t.dr?.source, t.writer, t.reader, t.backupReplication && `${t.backupReplication.from}->${t.backupReplication.to}`];
    };

    test("single region: the primary writes and reads, nothing replicates", () => {
        assert.deepEqual(roles(false, false, "original"), ["writer", false, undefined, undefined, undefined, "primary", "primary", undefined]);
    });
    test("normal: the DR database replicates the primary and serves reads", () => {
        assert.deepEqual(roles(true, false, "original"), ["writer", false, undefined, "replica", "primary", "primary", "dr", "primary->dr"]);
    });
    test("DR mode: the DR database writes; the old primary stands alone, its backup replication kept", () => {
        assert.deepEqual(roles(true, true, "original"), ["standalone", false, undefined, "writer", undefined, "dr", "dr", "primary->dr"]);
    });
    test("failing back: a new primary-region replica of the DR writer; backups replicate towards it", () => {
        assert.deepEqual(roles(true, true, "rebuilding"), ["replica", true, "dr", "writer", undefined, "dr", "primary", "dr->primary"]);
    });
    test("failed back: the rebuilt primary writes (born a replica), the DR database replicates it again", () => {
        assert.deepEqual(roles(true, false, "rebuilt"), ["writer", true, undefined, "replica", "primary", "primary", "dr", "primary->dr"]);
    });
    test("a second failover promotes the DR database again and leaves the rebuilt primary alone", () => {
        assert.deepEqual(roles(true, true, "rebuilt"), ["standalone", true, undefined, "writer", undefined, "dr", "dr", "primary->dr"]);
    });
    test("the DR database is always created as a replica", () => {
        for (const drActive of [false, true]) {
            for (const primary of ["original", "rebuilding", "rebuilt"] as const) assert.equal(databaseTopology(true, drActive, primary).dr?.bornAsReplica, true);
        }
    });
});

describe("validateWindows", () => {
    test("accepts the defaults: backups end an hour before Sunday's maintenance", () => {
        assert.deepEqual(validateWindows("00:00-01:00", "sun:02:00-sun:04:00"), []);
    });
    test("refuses a backup window overlapping the maintenance window, on any day, across midnight", () => {
        const overlapping = (maintenance: string) => [problem("backupWindow", `overlaps maintenanceWindow "${maintenance}": RDS refuses overlapping windows`)];
        assert.deepEqual(validateWindows("02:30-03:00", "sun:02:00-sun:04:00"), overlapping("sun:02:00-sun:04:00"));
        assert.deepEqual(validateWindows("23:30-00:30", "sun:00:00-sun:01:00"), overlapping("sun:00:00-sun:01:00"));
        assert.deepEqual(validateWindows("23:00-23:30", "sat:23:15-sun:00:30"), overlapping("sat:23:15-sun:00:30"));
        assert.deepEqual(validateWindows("23:00-23:30", "sun:23:30-mon:00:30"), []);
    });
    test("refuses windows under 30 minutes and malformed ones", () => {
        assert.deepEqual(validateWindows("00:00-00:20", "sun:02:00-sun:04:00"), [problem("backupWindow", "RDS needs at least 30 minutes")]);
        assert.deepEqual(validateWindows("00:00-01:00", "sun:02:00-sun:02:10"), [problem("maintenanceWindow", "RDS needs at least 30 minutes")]);
        assert.deepEqual(validateWindows("0:00-1:00", "sun:02:00-sun:04:00"), [problem("backupWindow", "expected hh24:mi-hh24:mi in UTC, e.g. 00:00-01:00")]);
        assert.deepEqual(validateWindows("00:00-01:00", "sunday:02:00-sunday:04:00"), [problem("maintenanceWindow", "expected ddd:hh24:mi-ddd:hh24:mi in UTC, e.g. sun:02:00-sun:04:00")]);
    });
});

describe("instance classes", () => {
    test("memory per class: burstable table, 4/8/16 GiB per vCPU for m/r/x2", () => {
        assert.deepEqual(
            ["db.t4g.micro", "db.t3.medium", "db.m6g.large", "db.m6g.xlarge", "db.m6g.2xlarge", "db.r6g.4xlarge", "db.x2g.large", "db.m6g.medium", "db.z1d.large", "m6g.large"].map(instanceClassMemoryGib),
            [1, 4, 8, 16, 32, 128, 32, undefined, undefined, undefined],
        );
    });
    test("Performance Insights is off the table only for micro and small burstables", () => {
        assert.deepEqual(["db.t4g.micro", "db.t3.small", "db.t4g.medium", "db.m6g.large"].map(supportsPerformanceInsights), [false, false, true, true]);
    });
});

describe("validateDatabaseSettings", () => {
    test("accepts production's settings", () => {
        assert.deepEqual(validateDatabaseSettings(production), []);
    });
    test("refuses retention out of RDS's 0–35 days", () => {
        assert.deepEqual(validateDatabaseSettings({ ...production, backupRetentionDays: 36 }), [
            problem("backupRetentionDays", "expected a whole number from 1 to 35 (the source of a read replica must keep automated backups)"),
        ]);
        assert.deepEqual(validateDatabaseSettings({ ...production, hasDr: false, backupRetentionDays: -1 }), [problem("backupRetentionDays", "expected a whole number from 0 to 35")]);
    });
    test("refuses a replica whose source keeps no backups", () => {
        assert.deepEqual(validateDatabaseSettings({ ...production, backupRetentionDays: 0 }), [
            problem("backupRetentionDays", "expected a whole number from 1 to 35 (the source of a read replica must keep automated backups)"),
        ]);
        assert.deepEqual(validateDatabaseSettings({ ...production, hasDr: false, backupRetentionDays: 0 }), []);
    });
    test("refuses DR mode without a DR database, and failback out of order", () => {
        assert.deepEqual(validateDatabaseSettings({ ...production, hasDr: false, drActive: true, backupRetentionDays: 7 }), [
            problem("drActive", "there is no DR database to promote (give the dr site)"),
        ]);
        assert.deepEqual(validateDatabaseSettings({ ...production, primaryDatabase: "rebuilding" }), [
            problem("primaryDatabase", "the primary region's database replicates from the DR writer, which needs drActive"),
        ]);
    });
    test("refuses Aurora without a full version, with a db.m class, or with a failback phase", () => {
        const aurora = { ...production, engine: "aurora-postgresql" as const, instanceClass: "db.r6g.xlarge", replicaInstanceClass: "db.r6g.large", engineVersion: "15.4" };
        assert.deepEqual(validateDatabaseSettings(aurora), []);
        assert.deepEqual(validateDatabaseSettings({ ...aurora, engineVersion: "15", instanceClass: "db.m6g.2xlarge", drActive: true, primaryDatabase: "rebuilding" }), [
            problem("engineVersion", "an Aurora global database needs a full version such as 15.4, the same in both regions"),
            problem("instanceClass", "Aurora offers db.r*, db.x2g and db.t3/db.t4g (medium and up) classes"),
            problem("primaryDatabase", "Aurora failback is a new global database built from the promoted cluster (docs/runbooks/database-failover.md), not a component phase"),
        ]);
    });
    test("refuses storage, monitoring, Performance Insights and alarm values AWS would not take", () => {
        assert.deepEqual(validateDatabaseSettings({
            ...production,
            allocatedStorageGb: 10,
            maxAllocatedStorageGb: 5,
            monitoringIntervalSeconds: 20,
            performanceInsightsRetentionDays: 30,
            rpoSeconds: 0,
            alarmThresholds: { ...guideAlarmThresholds, cpuPercent: 120, connections: 0 },
        }), [
            problem("allocatedStorageGb", "expected 20 to 65536 GiB"),
            problem("maxAllocatedStorageGb", "expected at least allocatedStorageGb (10) and at most 65536"),
            problem("monitoringIntervalSeconds", "expected one of 0, 1, 5, 10, 15, 30, 60"),
            problem("performanceInsightsRetentionDays", "expected 7, a multiple of 31 up to 713, or 731"),
            problem("rpoSeconds", "expected a positive number of seconds"),
            problem(["alarmThresholds", "cpuPercent"], "expected a percentage between 0 and 100"),
            problem(["alarmThresholds", "connections"], "expected a positive number"),
        ]);
    });
});

describe("parameters and alarms", () => {
    test("the parameter group: pg_stat_statements (static), slow statements, TLS required", () => {
        assert.equal(parameterFamily("postgres", "15"), "postgres15");
        assert.equal(parameterFamily("aurora-postgresql", "15.4"), "aurora-postgresql15");
        assert.deepEqual(databaseParameters(500), [
            { name: "shared_preload_libraries", value: "pg_stat_statements", applyMethod: "pending-reboot" },
            { name: "log_min_duration_statement", value: "500", applyMethod: "immediate" },
            { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
        ]);
    });

    test("instance alarms carry the guides' thresholds, sized to the class and storage", () => {
        const alarms = instanceAlarms("db.m6g.2xlarge", guideAlarmThresholds, 500);
        assert.deepEqual(alarms.map((a) => [a.key, a.metricName, a.statistic, a.comparisonOperator, a.threshold, a.periodSeconds, a.evaluationPeriods]), [
            ["cpu", "CPUUtilization", "Average", "GreaterThanThreshold", 80, 60, 5],
            ["memory", "FreeableMemory", "Minimum", "LessThanThreshold", Math.round(0.15 * 32 * 1024 ** 3), 60, 5],
            ["storage", "FreeStorageSpace", "Minimum", "LessThanThreshold", 50 * 1024 ** 3, 60, 5],
            ["connections", "DatabaseConnections", "Maximum", "GreaterThanThreshold", 80, 60, 5],
        ]);
        assert.deepEqual(instanceAlarms("db.r6g.large", guideAlarmThresholds).map((a) => a.key), ["cpu", "memory", "connections"]);
    });

    test("replication lag alarms at the RPO, every minute, in the engine's unit", () => {
        const rds = replicationLagAlarm("postgres", 300);
        assert.deepEqual([rds.metricName, rds.threshold, rds.periodSeconds, rds.evaluationPeriods, rds.datapointsToAlarm, rds.treatMissingData], ["ReplicaLag", 300, 60, 2, 2, "breaching"]);
        const aurora = replicationLagAlarm("aurora-postgresql", 300);
        assert.deepEqual([aurora.metricName, aurora.threshold, aurora.periodSeconds], ["AuroraGlobalDBReplicationLag", 300_000, 60]);
    });
});
