/**
 * The pure half of "ReplicatedDatabase": AWS's rules for the settings (checked before anything
 * is registered), the roles each database plays in every DR phase, the parameter group, and
 * the CloudWatch alarms, all as plain data. No Pulumi runtime.
 *
 * AWS facts encoded here (Amazon RDS / Aurora User Guides and API Reference):
 * - Automated backup retention is 0–35 days; a source of read replicas needs at least 1
 *   ("Must be greater than 0 if the database is used as a source for a Read Replica");
 *   Aurora clusters keep at least 1 day.
 * - The daily backup window is "hh24:mi-hh24:mi" UTC, at least 30 minutes, and "can't overlap
 *   with the weekly maintenance window" ("ddd:hh24:mi-ddd:hh24:mi", at least 30 minutes).
 * - RDS for PostgreSQL storage: 20–65,536 GiB; storage autoscaling needs a maximum at least
 *   the allocated storage.
 * - Enhanced monitoring intervals: 0 (off), 1, 5, 10, 15, 30 or 60 seconds.
 * - Performance Insights retention: 7 days (free), a multiple of 31 days, or 731 days; not
 *   available on db.t2/db.t3/db.t4g micro and small classes (Database Insights engine and
 *   instance class support).
 * - Aurora global databases take a full engine version (e.g. "15.4"), the same in every
 *   region, and Aurora offers memory-optimized (db.r*, db.x2g) and burstable (db.t3/db.t4g,
 *   medium and up) classes, not the general-purpose db.m* ones.
 */

import { problem, type Problem } from "../problems";
import { everyDay, minutesPerDay, minutesPerWeek, overlapsInWeek, weekMinute, type WeekInterval } from "../time/week";

export type DatabaseEngine = "postgres" | "aurora-postgresql";

/** What the writer's history is in the primary region (see "databaseTopology"). */
export type PrimaryDatabaseState = "original" | "rebuilding" | "rebuilt";

export type DatabaseSiteName = "primary" | "dr";

/** A database's part in the current phase. */
export type DatabaseRole = "writer" | "replica" | "standalone";

export interface MemberPlan {
    readonly role: DatabaseRole;
    /**
     * Created as a read replica (it then never carries a master user, password, database name
     * or engine: those are inherited from the source, and the provider refuses them on a replica).
     */
    readonly bornAsReplica: boolean;
    /** The member it replicates from, while it is a replica. */
    readonly source?: DatabaseSiteName;
}

export interface DatabaseTopology {
    readonly primary: MemberPlan;
    readonly dr?: MemberPlan;
    /** The member the stable writer name points at. */
    readonly writer: DatabaseSiteName;
    /** The member the stable reader name points at: the replica, or the writer when there is none. */
    readonly reader: DatabaseSiteName;
    /** Cross-region replication of automated backups, from a site into the other one. */
    readonly backupReplication?: { readonly from: DatabaseSiteName; readonly to: DatabaseSiteName };
}

/**
 * The roles of the two databases in each phase of a failover and failback. Every transition
 * is one "pulumi up"; the ones marked --replace need "pulumi up --replace <urn>" because RDS
 * cannot re-point an existing standalone database at a new source ("cannot elect new source
 * database for replication"), so a new replica has to be built in its place:
 *
 * | drActive | primaryDatabase | primary member                  | DR member                  | writer |
 * |----------|-----------------|---------------------------------|----------------------------|--------|
 * | false    | original        | writer                          | replica of primary         | primary|
 * | true     | original        | standalone, left untouched      | promoted: writer           | dr     |
 * | true     | rebuilding      | new replica of DR (--replace)   | writer                     | dr     |
 * | false    | rebuilt         | promoted: writer                | new replica (--replace)    | primary|
 * | true     | rebuilt         | standalone, left untouched      | promoted: writer           | dr     |
 *
 * In DR mode nothing in the primary region changes: the region may be down, and the old
 * primary is kept (protected, retained) for forensics and for data written after the last
 * replicated transaction.
 */
export function databaseTopology(hasDr: boolean, drActive: boolean, primaryDatabase: PrimaryDatabaseState): DatabaseTopology {
    const primaryBornAsReplica = primaryDatabase !== "original";
    if (!hasDr) return { primary: { role: "writer", bornAsReplica: false }, writer: "primary", reader: "primary" };
    if (primaryDatabase === "rebuilding") {
        return {
            primary: { role: "replica", bornAsReplica: true, source: "dr" },
            dr: { role: "writer", bornAsReplica: true },
            writer: "dr",
            reader: "primary",
            backupReplication: { from: "dr", to: "primary" },
        };
    }
    if (drActive) {
        return {
            primary: { role: "standalone", bornAsReplica: primaryBornAsReplica },
            dr: { role: "writer", bornAsReplica: true },
            writer: "dr",
            reader: "dr",
            // Kept exactly as it was: it lives in the DR region and holds the old primary's backups.
            backupReplication: { from: "primary", to: "dr" },
        };
    }
    return {
        primary: { role: "writer", bornAsReplica: primaryBornAsReplica },
        dr: { role: "replica", bornAsReplica: true, source: "primary" },
        writer: "primary",
        reader: "dr",
        backupReplication: { from: "primary", to: "dr" },
    };
}

// ---- maintenance and backup windows ----

const weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/** Minutes after 00:00 UTC of "hh:mm", or undefined. */
function clockMinutes(text: string): number | undefined {
    const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
    return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

function parseDailyWindow(window: string): WeekInterval | undefined {
    const [start, end] = window.split("-").map(clockMinutes);
    if (start === undefined || end === undefined || window.split("-").length !== 2) return undefined;
    return [start, end > start ? end : end + minutesPerDay];
}

function parseWeeklyWindow(window: string): WeekInterval | undefined {
    const match = /^(\w{3}):(\d\d:\d\d)-(\w{3}):(\d\d:\d\d)$/.exec(window.toLowerCase());
    if (!match) return undefined;
    const day = (name: string) => weekdays.indexOf(name as (typeof weekdays)[number]);
    const [startDay, endDay, startClock, endClock] = [day(match[1]), day(match[3]), clockMinutes(match[2]), clockMinutes(match[4])];
    if (startDay < 0 || endDay < 0 || startClock === undefined || endClock === undefined) return undefined;
    const start = weekMinute(startDay, startClock);
    const end = weekMinute(endDay, endClock);
    return [start, end > start ? end : end + minutesPerWeek];
}

/** A daily window and a weekly one, by one service's rules: each parses, each is long enough, they do not overlap. */
export interface WindowRules {
    /** Who refuses them, as the messages say it: `RDS`, `ElastiCache`. */
    readonly service: string;
    readonly minimumMinutes: number;
    readonly daily: { readonly path: string; readonly window: string; readonly example: string };
    readonly weekly: { readonly path: string; readonly window: string; readonly example: string };
    /** Why the two may not overlap. */
    readonly overlapReason: string;
}

export function windowProblems({ service, minimumMinutes, daily, weekly, overlapReason }: WindowRules): Problem[] {
    const problems: Problem[] = [];
    const each = parseDailyWindow(daily.window);
    const weekday = parseWeeklyWindow(weekly.window);
    if (each === undefined) problems.push(problem(daily.path, `expected hh24:mi-hh24:mi in UTC, e.g. ${daily.example}`));
    else if (each[1] - each[0] < minimumMinutes) problems.push(problem(daily.path, `${service} needs at least ${minimumMinutes} minutes`));
    if (weekday === undefined) problems.push(problem(weekly.path, `expected ddd:hh24:mi-ddd:hh24:mi in UTC, e.g. ${weekly.example}`));
    else if (weekday[1] - weekday[0] < minimumMinutes) problems.push(problem(weekly.path, `${service} needs at least ${minimumMinutes} minutes`));
    if (each !== undefined && weekday !== undefined && everyDay(each).some((window) => overlapsInWeek(window, weekday))) {
        problems.push(problem(daily.path, `overlaps ${weekly.path} "${weekly.window}": ${overlapReason}`));
    }
    return problems;
}

/** AWS's rules for a DB instance's backup and maintenance windows. */
export function validateWindows(backupWindow: string, maintenanceWindow: string): Problem[] {
    return windowProblems({
        service: "RDS",
        minimumMinutes: 30,
        daily: { path: "backupWindow", window: backupWindow, example: "00:00-01:00" },
        weekly: { path: "maintenanceWindow", window: maintenanceWindow, example: "sun:02:00-sun:04:00" },
        overlapReason: "RDS refuses overlapping windows",
    });
}

/**
 * The database windows a job starting at "clock" ("hh:mm" UTC) on the given weekdays (0 is
 * Sunday) would start inside: a dump there competes with the snapshot, or loses its
 * connection to a maintenance reboot. Windows that do not parse are left to "validateWindows".
 */
export function windowsContaining(clock: string, weekdayNumbers: readonly number[], backupWindow: string, maintenanceWindow: string): string[] {
    const minute = clockMinutes(clock);
    if (minute === undefined) return [];
    const starts = weekdayNumbers.map((day): WeekInterval => [weekMinute(day, minute), weekMinute(day, minute) + 1]);
    const backup = parseDailyWindow(backupWindow);
    const maintenance = parseWeeklyWindow(maintenanceWindow);
    const daily = backup && everyDay(backup);
    return [
        ...(daily && starts.some((start) => daily.some((window) => overlapsInWeek(start, window))) ? [`backupWindow "${backupWindow}"`] : []),
        ...(maintenance && starts.some((start) => overlapsInWeek(start, maintenance)) ? [`maintenanceWindow "${maintenanceWindow}"`] : []),
    ];
}

// ---- instance classes ----

const instanceClassPattern = /^db\.([a-z]+)(\d+)([a-z]*)\.(micro|small|medium|large|(\d*)xlarge)$/;

/** vCPUs and memory of the burstable sizes (db.t3, db.t4g). */
const burstable: Record<string, { vcpus: number; memoryGib: number }> = {
    micro: { vcpus: 2, memoryGib: 1 },
    small: { vcpus: 2, memoryGib: 2 },
    medium: { vcpus: 2, memoryGib: 4 },
    large: { vcpus: 2, memoryGib: 8 },
    xlarge: { vcpus: 4, memoryGib: 16 },
    "2xlarge": { vcpus: 8, memoryGib: 32 },
};

/** GiB of memory per vCPU of the fixed-performance families RDS offers. */
const memoryPerVcpu: Record<string, number> = { m: 4, r: 8, x: 16 };

/**
 * The memory of an RDS instance class, in GiB, for sizing the FreeableMemory alarm: burstable
 * classes from their table, db.m* 4 GiB, db.r* 8 GiB and db.x2* 16 GiB per vCPU (large = 2
 * vCPUs, xlarge = 4, Nxlarge = 4N). Undefined for a class it cannot size.
 */
export function instanceClassMemoryGib(instanceClass: string): number | undefined {
    const match = instanceClassPattern.exec(instanceClass);
    if (!match) return undefined;
    const [, family, , , size, multiple] = match;
    if (family === "t") return burstable[size]?.memoryGib;
    const perVcpu = memoryPerVcpu[family];
    if (perVcpu === undefined || size === "micro" || size === "small" || size === "medium") return undefined;
    const vcpus = size === "large" ? 2 : 4 * (multiple === "" || multiple === undefined ? 1 : Number(multiple));
    return vcpus * perVcpu;
}

/** Whether Performance Insights (Database Insights) runs on the class: not on micro and small burstables. */
export function supportsPerformanceInsights(instanceClass: string): boolean {
    return !/^db\.t[234]g?\.(micro|small)$/.test(instanceClass);
}

function isAuroraClass(instanceClass: string): boolean {
    const match = instanceClassPattern.exec(instanceClass);
    if (!match) return false;
    const [, family, , , size] = match;
    if (family === "t") return !["micro", "small"].includes(size);
    return family === "r" || family === "x";
}

// ---- settings ----

/**
 * Ends an hour before the guides' maintenance window (Sunday 02:00–04:00 UTC), clear of the AWS
 * Backup rules (06:00 and 07:00 UTC, components/backup/schedule.ts).
 */
export const defaultBackupWindow = "00:00-01:00";
/** The guides' weekly maintenance window: Sunday 02:00–04:00 UTC (the backup window ends an hour before it). */
export const defaultMaintenanceWindow = "sun:02:00-sun:04:00";
export const postgresPort = 5432;
export const monitoringIntervals = [0, 1, 5, 10, 15, 30, 60] as const;

/** The guides' alarm thresholds. */
export interface AlarmThresholds {
    /** CPUUtilization above this percentage for 5 minutes (guides: HighCPU > 80 % for 5 m). */
    readonly cpuPercent: number;
    /** FreeableMemory below this percentage of the class's memory for 5 minutes (guides: HighMemory > 85 % used). */
    readonly freeMemoryPercent: number;
    /** FreeStorageSpace below this percentage of the allocated storage for 5 minutes (guides: DiskSpaceLow > 90 % used). */
    readonly freeStoragePercent: number;
    /** DatabaseConnections above this for 5 minutes (guides: DatabaseConnectionsHigh > 80). */
    readonly connections: number;
}

export const guideAlarmThresholds: AlarmThresholds = { cpuPercent: 80, freeMemoryPercent: 15, freeStoragePercent: 10, connections: 80 };

/** What ReplicatedDatabase (and the local pair) use where their args are silent. */
export const databaseDefaults: Readonly<{
    engine: DatabaseEngine;
    allocatedStorageGb: number;
    databaseName: string;
    masterUsername: string;
    logMinDurationMs: number;
    monitoringIntervalSeconds: number;
    performanceInsightsRetentionDays: number;
}> = {
    engine: "postgres",
    allocatedStorageGb: 20,
    databaseName: "app",
    masterUsername: "keel_admin",
    /** Statements slower than a second are logged. */
    logMinDurationMs: 1000,
    /** Enhanced monitoring every minute; the guides' 15 s scrape interval is production's. */
    monitoringIntervalSeconds: 60,
    /** Performance Insights' free tier. */
    performanceInsightsRetentionDays: 7,
};

/** The settings the checks read: the component's args with their defaults filled in. */
export interface DatabaseSettings {
    readonly engine: DatabaseEngine;
    readonly engineVersion: string;
    readonly instanceClass: string;
    readonly replicaInstanceClass: string;
    readonly allocatedStorageGb: number;
    readonly maxAllocatedStorageGb: number;
    readonly backupRetentionDays: number;
    readonly backupWindow: string;
    readonly maintenanceWindow: string;
    readonly monitoringIntervalSeconds: number;
    readonly performanceInsightsRetentionDays: number;
    readonly rpoSeconds: number;
    readonly alarmThresholds: AlarmThresholds;
    readonly hasDr: boolean;
    readonly drActive: boolean;
    readonly primaryDatabase: PrimaryDatabaseState;
}

const isWhole = (n: number) => Number.isInteger(n);

/** Every reason AWS (or the DR design) would refuse the settings; empty when they are good. */
export function validateDatabaseSettings(s: DatabaseSettings): Problem[] {
    const problems: Problem[] = [];
    const report = (path: string | readonly string[], message: string) => problems.push(problem(path, message));
    const aurora = s.engine === "aurora-postgresql";
    const minimumRetention = s.hasDr || aurora ? 1 : 0;
    if (!isWhole(s.backupRetentionDays) || s.backupRetentionDays < minimumRetention || s.backupRetentionDays > 35) {
        const why = s.hasDr ? " (the source of a read replica must keep automated backups)" : aurora ? " (Aurora keeps at least 1 day)" : "";
        report("backupRetentionDays", `expected a whole number from ${minimumRetention} to 35${why}`);
    }
    problems.push(...validateWindows(s.backupWindow, s.maintenanceWindow));
    if (aurora && !/^\d+\.\d+$/.test(s.engineVersion)) {
        report("engineVersion", "an Aurora global database needs a full version such as 15.4, the same in both regions");
    } else if (!/^\d+(\.\d+)?$/.test(s.engineVersion)) {
        report("engineVersion", "expected a PostgreSQL major or major.minor version such as 15");
    }
    for (const [key, instanceClass] of [["instanceClass", s.instanceClass], ["replicaInstanceClass", s.replicaInstanceClass]] as const) {
        if (instanceClassMemoryGib(instanceClass) === undefined) {
            report(key, "expected an RDS instance class whose memory is known (db.t3/db.t4g, db.m*, db.r*, db.x2g)");
        } else if (aurora && !isAuroraClass(instanceClass)) {
            report(key, "Aurora offers db.r*, db.x2g and db.t3/db.t4g (medium and up) classes");
        }
    }
    if (!aurora) {
        if (!isWhole(s.allocatedStorageGb) || s.allocatedStorageGb < 20 || s.allocatedStorageGb > 65536) {
            report("allocatedStorageGb", "expected 20 to 65536 GiB");
        }
        if (!isWhole(s.maxAllocatedStorageGb) || s.maxAllocatedStorageGb < s.allocatedStorageGb || s.maxAllocatedStorageGb > 65536) {
            report("maxAllocatedStorageGb", `expected at least allocatedStorageGb (${s.allocatedStorageGb}) and at most 65536`);
        }
    }
    if (!(monitoringIntervals as readonly number[]).includes(s.monitoringIntervalSeconds)) {
        report("monitoringIntervalSeconds", `expected one of ${monitoringIntervals.join(", ")}`);
    }
    const pi = s.performanceInsightsRetentionDays;
    if (!(pi === 7 || pi === 731 || (isWhole(pi) && pi > 0 && pi % 31 === 0 && pi < 731))) {
        report("performanceInsightsRetentionDays", "expected 7, a multiple of 31 up to 713, or 731");
    }
    if (!(s.rpoSeconds > 0)) report("rpoSeconds", "expected a positive number of seconds");
    const t = s.alarmThresholds;
    for (const [key, value] of [["cpuPercent", t.cpuPercent], ["freeMemoryPercent", t.freeMemoryPercent], ["freeStoragePercent", t.freeStoragePercent]] as const) {
        if (!(value > 0 && value < 100)) report(["alarmThresholds", key], "expected a percentage between 0 and 100");
    }
    if (!(t.connections > 0)) report(["alarmThresholds", "connections"], "expected a positive number");
    if (s.drActive && !s.hasDr) report("drActive", "there is no DR database to promote (give the dr site)");
    if (s.primaryDatabase === "rebuilding" && !s.drActive) {
        report("primaryDatabase", "the primary region's database replicates from the DR writer, which needs drActive");
    }
    if (s.primaryDatabase !== "original" && !s.hasDr) report("primaryDatabase", "failback needs the dr site");
    if (aurora && s.primaryDatabase !== "original") {
        report("primaryDatabase", "Aurora failback is a new global database built from the promoted cluster (docs/runbooks/database-failover.md), not a component phase");
    }
    return problems;
}


// ---- parameter group ----

/** The parameter group family: "postgres15", "aurora-postgresql15". */
export function parameterFamily(engine: DatabaseEngine, engineVersion: string): string {
    return `${engine}${engineVersion.split(".")[0]}`;
}

export interface DatabaseParameter {
    readonly name: string;
    readonly value: string;
    /** "pending-reboot" for static parameters (RDS refuses "immediate" for them). */
    readonly applyMethod: "immediate" | "pending-reboot";
}

/**
 * The parameters: query statistics (pg_stat_statements, a static preload library),
 * slow statements logged, and TLS required of every client.
 */
export function databaseParameters(logMinDurationMs: number): DatabaseParameter[] {
    return [
        { name: "shared_preload_libraries", value: "pg_stat_statements", applyMethod: "pending-reboot" },
        { name: "log_min_duration_statement", value: String(logMinDurationMs), applyMethod: "immediate" },
        { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
    ];
}

// ---- alarms ----

export interface AlarmSpec {
    /** Suffix of the alarm's logical name. */
    readonly key: string;
    readonly metricName: string;
    readonly statistic: "Average" | "Maximum" | "Minimum" | "Sum";
    readonly comparisonOperator: "GreaterThanThreshold" | "LessThanThreshold";
    readonly threshold: number;
    readonly periodSeconds: number;
    readonly evaluationPeriods: number;
    readonly datapointsToAlarm: number;
    readonly treatMissingData: "missing" | "breaching" | "notBreaching";
    readonly description: string;
    /** critical pages (a breach of the RPO); warning reaches the team. */
    readonly severity: "critical" | "warning";
}

const gib = 1024 ** 3;
/** Five one-minute datapoints: the guides' "for 5m". */
const sustained = { periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: "missing", severity: "warning" } as const;

/** CPU, memory, connections (and, for RDS, storage) alarms of one DB instance. */
export function instanceAlarms(instanceClass: string, thresholds: AlarmThresholds, allocatedStorageGb?: number): AlarmSpec[] {
    const memoryGib = instanceClassMemoryGib(instanceClass) ?? 0;
    return [
        {
            key: "cpu",
            metricName: "CPUUtilization",
            statistic: "Average",
            comparisonOperator: "GreaterThanThreshold",
            threshold: thresholds.cpuPercent,
            ...sustained,
            description: `CPU above ${thresholds.cpuPercent} % for 5 minutes (ops guides: HighCPU)`,
        },
        {
            key: "memory",
            metricName: "FreeableMemory",
            statistic: "Minimum",
            comparisonOperator: "LessThanThreshold",
            threshold: Math.round((thresholds.freeMemoryPercent / 100) * memoryGib * gib),
            ...sustained,
            description: `Freeable memory under ${thresholds.freeMemoryPercent} % of ${memoryGib} GiB for 5 minutes (ops guides: HighMemory)`,
        },
        ...(allocatedStorageGb === undefined ? [] : [{
            key: "storage",
            metricName: "FreeStorageSpace",
            statistic: "Minimum" as const,
            comparisonOperator: "LessThanThreshold" as const,
            threshold: Math.round((thresholds.freeStoragePercent / 100) * allocatedStorageGb * gib),
            ...sustained,
            // Storage autoscaling grows the volume when free space falls under 10 %; this fires when it has not (ceiling reached).
            description: `Free storage under ${thresholds.freeStoragePercent} % of the ${allocatedStorageGb} GiB allocated for 5 minutes (ops guides: DiskSpaceLow)`,
        }]),
        {
            key: "connections",
            metricName: "DatabaseConnections",
            statistic: "Maximum",
            comparisonOperator: "GreaterThanThreshold",
            threshold: thresholds.connections,
            ...sustained,
            description: `More than ${thresholds.connections} connections for 5 minutes (ops guides: DatabaseConnectionsHigh)`,
        },
    ];
}

/**
 * Replication lag beyond the RPO, evaluated every minute. Two consecutive minutes: an idle RDS
 * for PostgreSQL source makes its replica report up to five minutes of lag (WAL is switched
 * every 5 minutes), so a single sample at the boundary is no breach; a stalled replica keeps
 * growing past it. Missing data means the replica is not replicating: breaching.
 *
 * RDS reports "ReplicaLag" in seconds on the replica; Aurora reports "AuroraGlobalDBReplicationLag"
 * in milliseconds on the secondary cluster.
 */
export function replicationLagAlarm(engine: DatabaseEngine, rpoSeconds: number): AlarmSpec {
    const aurora = engine === "aurora-postgresql";
    return {
        key: "replication-lag",
        metricName: aurora ? "AuroraGlobalDBReplicationLag" : "ReplicaLag",
        statistic: "Maximum",
        comparisonOperator: "GreaterThanThreshold",
        threshold: aurora ? rpoSeconds * 1000 : rpoSeconds,
        periodSeconds: 60,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: "breaching",
        severity: "critical",
        description: `The DR copy is more than ${rpoSeconds} s behind (the RPO) for 2 minutes: a failover now would lose more than the RPO allows`,
    };
}
