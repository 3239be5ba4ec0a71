import { portOf, type LogsSpec, type MonitoringSpec } from "./spec";

/**
 * Loki 3 in single-binary mode: TSDB index with schema v13 (what Loki 3 requires for
 * structured metadata), filesystem storage on a laptop and S3 in the cloud, and retention
 * applied by the compactor, which Loki 3 only accepts with a `delete_request_store`
 * (Loki docs, "Log retention"). Retention is global with per-stream overrides: security
 * streams one year, debug streams two weeks (guides).
 */

/** Loki's data directory (a named volume or a persistent volume). */
export const lokiDataPath = "/loki";

/** Labels Alloy sets and the retention selectors read. */
export const logLabels = { type: "log_type", level: "level" } as const;

const hours = (days: number) => `${days * 24}h`;

/** The date the v13 schema starts from; fixed so re-rendering never adds a schema period. */
const schemaStart = "2024-04-01";

function storage(logs: LogsSpec): { objectStore: string; common: Record<string, unknown> } {
    if (logs.storage.kind === "filesystem") {
        return { objectStore: "filesystem", common: { filesystem: { chunks_directory: `${lokiDataPath}/chunks`, rules_directory: `${lokiDataPath}/rules` } } };
    }
    // Credentials from the pod's role (IRSA); the bucket is encrypted and versioned where it is created.
    return { objectStore: "s3", common: { s3: { region: logs.storage.region, bucketnames: logs.storage.bucket, s3forcepathstyle: false, insecure: false } } };
}

export function lokiConfig(spec: MonitoringSpec, logs: LogsSpec): Record<string, unknown> {
    const { objectStore, common } = storage(logs);
    return {
        auth_enabled: false,
        server: { http_listen_port: portOf(spec.endpoints.loki), grpc_listen_port: 9096, log_level: "info" },
        common: {
            instance_addr: "127.0.0.1",
            path_prefix: lokiDataPath,
            storage: common,
            replication_factor: 1,
            ring: { kvstore: { store: "inmemory" } },
        },
        schema_config: {
            configs: [{ from: schemaStart, store: "tsdb", object_store: objectStore, schema: "v13", index: { prefix: "index_", period: "24h" } }],
        },
        storage_config: {
            tsdb_shipper: { active_index_directory: `${lokiDataPath}/tsdb-index`, cache_location: `${lokiDataPath}/tsdb-cache` },
        },
        compactor: {
            working_directory: `${lokiDataPath}/compactor`,
            compaction_interval: "10m",
            retention_enabled: true,
            // Marked chunks stay 2 h before deletion: a window to undo a retention mistake.
            retention_delete_delay: "2h",
            retention_delete_worker_count: 150,
            delete_request_store: objectStore,
        },
        limits_config: {
            retention_period: hours(logs.retentionDays),
            retention_stream: [
                { selector: `{${logLabels.type}="security"}`, priority: 2, period: hours(logs.securityRetentionDays) },
                // Any spelling of the level (debug, DEBUG) the applications log.
                { selector: `{${logLabels.level}=~"(?i)debug"}`, priority: 1, period: hours(logs.debugRetentionDays) },
            ],
            allow_structured_metadata: true,
            volume_enabled: true,
        },
        analytics: { reporting_enabled: false },
    };
}
