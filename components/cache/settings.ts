import type { AlarmSpec } from "../database/settings";
import { windowProblems } from "../database/settings";
import { problem, type Problem } from "../problems";

/**
 * The pure rules of a ReplicatedCache: its settings and defaults, what ElastiCache and the
 * Terraform AWS provider would refuse (each rule cited), the alarms, and REDIS_URL.
 */

/** The port Valkey and Redis OSS listen on (ElastiCache's default). */
export const cachePort = 6379;

export type CacheEngine = "valkey" | "redis";

/** CloudWatch thresholds of the cache's alarms (ops guides: CPU > 80 %, memory > 85 %). */
export interface CacheAlarmThresholds {
    /** EngineCPUUtilization, the engine thread's CPU. Default 80. */
    readonly engineCpuPercent: number;
    /** DatabaseMemoryUsagePercentage: used memory over maxmemory. Default 85. */
    readonly memoryPercent: number;
    /** Evictions a minute, sustained for 5 minutes: the cache is full and drops keys before their TTL. Default 0 (any). */
    readonly evictionsPerMinute: number;
    /** ReplicationLag of the in-region replicas, in seconds. Default 30. */
    readonly replicaLagSeconds: number;
}

export const guideCacheAlarms: CacheAlarmThresholds = { engineCpuPercent: 80, memoryPercent: 85, evictionsPerMinute: 0, replicaLagSeconds: 30 };

/** What a ReplicatedCache runs, with the defaults applied. */
export interface CacheSettings {
    /** Valkey or Redis OSS (ElastiCache's `engine`). */
    readonly engine: CacheEngine;
    /** `major.minor` (Redis OSS 6 and later, Valkey): the provider refuses a patch version. */
    readonly engineVersion: string;
    readonly nodeType: string;
    /** Nodes per region: one primary and the rest replicas (ElastiCache: 1 to 6). */
    readonly nodes: number;
    /** Replicas in other zones take over automatically from a failed primary. Needs two nodes. */
    readonly multiAz: boolean;
    /** Days of daily snapshots kept (ElastiCache: 0 to 35; 0 takes none). */
    readonly snapshotRetentionDays: number;
    /** Daily snapshot window, `hh24:mi-hh24:mi` UTC. */
    readonly snapshotWindow: string;
    /** Weekly maintenance window, `ddd:hh24:mi-ddd:hh24:mi` UTC. */
    readonly maintenanceWindow: string;
    /** The DR secondary's lag, in seconds, above which the replication-lag alarm pages (the RPO). */
    readonly rpoSeconds: number;
    readonly alarms: CacheAlarmThresholds;
}

export const cacheDefaults: CacheSettings = {
    engine: "valkey",
    engineVersion: "8.0",
    nodeType: "cache.t4g.small",
    nodes: 1,
    multiAz: false,
    snapshotRetentionDays: 1,
    // After the database's backup window (00:00-01:00) and before its dumps; maintenance as the database's (Sunday 02:00-04:00).
    snapshotWindow: "05:00-06:00",
    maintenanceWindow: "sun:02:00-sun:04:00",
    rpoSeconds: 300,
    alarms: guideCacheAlarms,
};

/**
 * A replication group id as terraform-provider-aws `validateReplicationGroupID` takes one: 1 to
 * 40 letters, digits and hyphens, starting with a letter, no `--`, not ending in `-`.
 */
export function replicationGroupIdProblems(id: string, path: readonly (string | number)[]): Problem[] {
    const valid = id.length >= 1 && id.length <= 40 && /^[A-Za-z][0-9A-Za-z-]*$/.test(id) && !id.includes("--") && !id.endsWith("-");
    return valid ? [] : [problem(path, "expected 1 to 40 letters, digits and hyphens, starting with a letter, without -- or a trailing hyphen (ElastiCache replication group ids)")];
}

/** Node types Global Datastore runs on: M5, M6g, M7g, R5, R6g, R6gd, R7g and C7gn, size large and above (ElastiCache User Guide, "Global Datastore prerequisites"). */
export function supportsGlobalDatastore(nodeType: string): boolean {
    const match = /^cache\.([a-z]+\d+[a-z]*)\.(\w+)$/.exec(nodeType);
    if (!match) return false;
    const [, family, size] = match;
    return ["m5", "m6g", "m7g", "r5", "r6g", "r6gd", "r7g", "c7gn"].includes(family) && /^(large|\d*xlarge)$/.test(size);
}

/** The provider's engine version validators (`validRedisVersionString`, `validValkeyVersionString`), for the versions Keel runs. */
function engineVersionProblems(engine: CacheEngine, version: string): Problem[] {
    const valid = engine === "valkey" ? /^[7-9]\.\d+$/.test(version) : /^[6-9]\.\d+$/.test(version) && version >= "7.0";
    const expected = engine === "valkey" ? "a Valkey major.minor version such as 8.0" : "a Redis OSS major.minor version of 7.0 or later such as 7.1 (in-transit encryption mode needs 7.0.5)";
    return valid ? [] : [problem("engineVersion", `expected ${expected}`)];
}

/** What ElastiCache or the provider would refuse, or what could not work, at the settings' paths. */
export function cacheSettingsProblems(s: CacheSettings, hasDr: boolean): Problem[] {
    const whole = (n: number, low: number, high: number) => Number.isInteger(n) && n >= low && n <= high;
    return [
        ...(["valkey", "redis"].includes(s.engine) ? engineVersionProblems(s.engine, s.engineVersion) : [problem("engine", "expected valkey or redis")]),
        ...(/^cache\.[a-z0-9]+\.[a-z0-9]+$/.test(s.nodeType) ? [] : [problem("nodeType", "expected an ElastiCache node type such as cache.r7g.large")]),
        ...(hasDr && !supportsGlobalDatastore(s.nodeType)
            ? [problem("nodeType", "expected a node type Global Datastore supports (M5, M6g, M7g, R5, R6g, R6gd, R7g or C7gn, large or bigger): the DR secondary needs one")]
            : []),
        // CreateReplicationGroup: "The maximum permitted value for NumCacheClusters is 6 (1 primary plus 5 replicas)".
        ...(whole(s.nodes, 1, 6) ? [] : [problem("nodes", "expected a whole number from 1 to 6 (one primary and up to five replicas)")]),
        // The provider's CustomizeDiff: automatic failover needs num_cache_clusters of at least 2; Multi-AZ needs automatic failover.
        ...(s.multiAz && s.nodes < 2 ? [problem("multiAz", "needs at least 2 nodes: a replica in another zone to fail over to")] : []),
        // A secondary inherits the primary's automatic failover, which needs two nodes there too (ElastiCache User Guide, Global Datastore).
        ...(hasDr && s.multiAz && s.nodes < 2 ? [problem("nodes", "expected at least 2: the DR secondary inherits automatic failover")] : []),
        ...(whole(s.snapshotRetentionDays, 0, 35) ? [] : [problem("snapshotRetentionDays", "expected a whole number from 0 to 35 (ElastiCache's limit)")]),
        ...windowProblems({
            service: "ElastiCache",
            minimumMinutes: 60,
            daily: { path: "snapshotWindow", window: s.snapshotWindow, example: "05:00-06:00" },
            weekly: { path: "maintenanceWindow", window: s.maintenanceWindow, example: "sun:02:00-sun:04:00" },
            overlapReason: "a snapshot would run during maintenance, when a node may restart",
        }),
        ...(whole(s.rpoSeconds, 1, 86_400) ? [] : [problem("rpoSeconds", "expected a whole number of seconds from 1 to 86400")]),
        ...(whole(s.alarms.engineCpuPercent, 1, 99) ? [] : [problem(["alarms", "engineCpuPercent"], "expected a whole percentage from 1 to 99")]),
        ...(whole(s.alarms.memoryPercent, 1, 99) ? [] : [problem(["alarms", "memoryPercent"], "expected a whole percentage from 1 to 99")]),
        ...(Number.isInteger(s.alarms.evictionsPerMinute) && s.alarms.evictionsPerMinute >= 0 ? [] : [problem(["alarms", "evictionsPerMinute"], "expected a whole number of at least 0")]),
        ...(whole(s.alarms.replicaLagSeconds, 1, 3600) ? [] : [problem(["alarms", "replicaLagSeconds"], "expected a whole number of seconds from 1 to 3600")]),
    ];
}

/**
 * An AUTH token as ElastiCache takes one: 16 to 128 printable characters, the non-alphanumeric
 * ones only `!&#$^<>-` (ElastiCache User Guide, "Authenticating with the AUTH command"; the
 * provider checks only for `@`, `"` and `/`). Keel generates letters and digits, which a URL
 * also carries unescaped.
 */
export const authTokenRules = { length: 64, special: false } as const;

/** The nodes of a replication group of `nodes` members: the provider names them `<id>-001`, `<id>-002`, … (CloudWatch's CacheClusterId). */
export function memberClusterIds(replicationGroupId: string, nodes: number): string[] {
    return Array.from({ length: nodes }, (_, i) => `${replicationGroupId}-${String(i + 1).padStart(3, "0")}`);
}

/** Five one-minute datapoints: the guides' "for 5m". */
const sustained = { periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: "missing", severity: "warning" } as const;

/**
 * The alarms of one replication group, each over the highest of its nodes (AWS/ElastiCache
 * reports per node, CacheClusterId): engine CPU and memory (the guides' HighCPU and
 * HighMemory), evictions, in-region replica lag where there are replicas, and — on a Global
 * Datastore secondary — its lag behind the primary region, which pages above the RPO.
 */
export function cacheAlarms(s: CacheSettings, role: "primary" | "secondary"): AlarmSpec[] {
    const { alarms } = s;
    return [
        {
            key: "engine-cpu",
            metricName: "EngineCPUUtilization",
            statistic: "Average",
            comparisonOperator: "GreaterThanThreshold",
            threshold: alarms.engineCpuPercent,
            ...sustained,
            description: `The engine thread's CPU above ${alarms.engineCpuPercent} % for 5 minutes (ops guides: HighCPU; the engine is single-threaded)`,
        },
        {
            key: "memory",
            metricName: "DatabaseMemoryUsagePercentage",
            statistic: "Average",
            comparisonOperator: "GreaterThanThreshold",
            threshold: alarms.memoryPercent,
            ...sustained,
            description: `Memory above ${alarms.memoryPercent} % of maxmemory for 5 minutes (ops guides: HighMemory): evictions follow`,
        },
        {
            key: "evictions",
            metricName: "Evictions",
            statistic: "Sum",
            comparisonOperator: "GreaterThanThreshold",
            threshold: alarms.evictionsPerMinute,
            ...sustained,
            description: `More than ${alarms.evictionsPerMinute} keys a minute evicted for 5 minutes: the cache is full and drops keys before their TTL`,
        },
        ...(s.nodes > 1
            ? [{
                  key: "replica-lag",
                  metricName: "ReplicationLag",
                  statistic: "Maximum" as const,
                  comparisonOperator: "GreaterThanThreshold" as const,
                  threshold: alarms.replicaLagSeconds,
                  ...sustained,
                  description: `A replica more than ${alarms.replicaLagSeconds} s behind its primary for 5 minutes: a Multi-AZ failover now would lose those writes`,
              }]
            : []),
        ...(role === "secondary"
            ? [{
                  key: "global-replication-lag",
                  metricName: "GlobalDatastoreReplicationLag",
                  statistic: "Maximum" as const,
                  comparisonOperator: "GreaterThanThreshold" as const,
                  threshold: s.rpoSeconds,
                  periodSeconds: 60,
                  evaluationPeriods: 2,
                  datapointsToAlarm: 2,
                  // No datapoint from the secondary is no evidence that it replicates.
                  treatMissingData: "breaching" as const,
                  severity: "critical" as const,
                  description: `The DR secondary is more than ${s.rpoSeconds} s behind the primary region (the RPO) for 2 minutes: a failover now would lose more than the RPO allows`,
              }]
            : []),
    ];
}

/** What the application's REDIS_URL is made of: TLS (`rediss`), the AUTH token as the password, no user. */
export interface CacheConnection {
    readonly host: string;
    readonly port: number;
    readonly authToken: string;
}

/** `rediss://:<token>@<host>:<port>`: the scheme clients (ioredis, redis-py, redis-cli) read as TLS with AUTH. */
export function redisUrl({ host, port, authToken }: CacheConnection): string {
    return `rediss://:${encodeURIComponent(authToken)}@${host}:${port}`;
}
