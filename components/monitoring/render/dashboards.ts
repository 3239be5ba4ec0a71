import { connectionsPercent, cpuBusyPercent, diskUsedPercent, errorRatioByJob, latencyQuantileByJob } from "./queries";
import { jobMatcher } from "./rules";
import { errorRatioRecord, pageConditions, ticketConditions, type SloWindow } from "./slo";
import { jobs, type GrafanaSpec, type MonitoringSpec } from "./spec";

/**
 * The provisioned dashboards, as Grafana dashboard JSON with stable uids (links and bookmarks
 * survive re-provisioning): system overview, SLA / error budget, database, capacity and
 * autoscaling. Queries read the same metrics and recording rules the alerts do.
 */

export const datasourceUids = { prometheus: "prometheus", loki: "loki", jaeger: "jaeger" } as const;

export interface Dashboard {
    readonly uid: string;
    readonly title: string;
    readonly json: Record<string, unknown>;
}

interface Query {
    readonly expr: string;
    readonly legend: string;
}

interface PanelSpec {
    readonly title: string;
    readonly type: "timeseries" | "stat" | "gauge";
    readonly queries: readonly Query[];
    readonly unit: string;
    /** Red above this value (a threshold line on time series). */
    readonly redAbove?: number;
    readonly min?: number;
    readonly max?: number;
    readonly width?: number;
}

const prometheus = { type: "prometheus", uid: datasourceUids.prometheus };

/** Lays panels out left to right in rows of 24 grid units, 8 high. */
function panels(specs: readonly PanelSpec[]): Record<string, unknown>[] {
    let x = 0;
    let y = 0;
    return specs.map((p, index) => {
        const w = p.width ?? 12;
        if (x + w > 24) {
            x = 0;
            y += 8;
        }
        const gridPos = { h: 8, w, x, y };
        x += w;
        const steps = [{ color: "green", value: null }, ...(p.redAbove !== undefined ? [{ color: "red", value: p.redAbove }] : [])];
        return {
            id: index + 1,
            type: p.type,
            title: p.title,
            datasource: prometheus,
            gridPos,
            fieldConfig: {
                defaults: {
                    unit: p.unit,
                    ...(p.min !== undefined ? { min: p.min } : {}),
                    ...(p.max !== undefined ? { max: p.max } : {}),
                    thresholds: { mode: "absolute", steps },
                    ...(p.type === "timeseries" && p.redAbove !== undefined ? { custom: { thresholdsStyle: { mode: "line" } } } : {}),
                },
                overrides: [],
            },
            options: p.type === "timeseries" ? { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } } : { reduceOptions: { calcs: ["lastNotNull"] } },
            targets: p.queries.map((q, i) => ({ refId: String.fromCharCode(65 + i), datasource: prometheus, expr: q.expr, legendFormat: q.legend })),
        };
    });
}

function dashboard(spec: MonitoringSpec, uid: string, title: string, refresh: string, timeFrom: string, specs: readonly PanelSpec[]): Dashboard {
    return {
        uid,
        title,
        json: {
            uid,
            title,
            tags: ["keel", spec.environment],
            timezone: "utc",
            editable: false,
            refresh,
            time: { from: timeFrom, to: "now" },
            schemaVersion: 39,
            version: 1,
            templating: { list: [] },
            annotations: { list: [] },
            panels: panels(specs),
        },
    };
}

function systemOverview(spec: MonitoringSpec): Dashboard {
    const names = spec.applications.map((a) => a.name);
    const apps = jobMatcher(names);
    return dashboard(spec, "keel-system-overview", "Keel / System overview", "10s", "now-1h", [
        { title: "Health (up)", type: "stat", unit: "none", min: 0, max: 1, width: 24, queries: [{ expr: "min by (job) (up)", legend: "{{job}}" }] },
        { title: "Latency p50 / p95", type: "timeseries", unit: "s", redAbove: spec.thresholds.latencyP95Seconds, queries: [{ expr: latencyQuantileByJob(0.5, names), legend: "{{job}} p50" }, { expr: latencyQuantileByJob(0.95, names), legend: "{{job}} p95" }] },
        { title: "Request rate", type: "timeseries", unit: "reqps", queries: [{ expr: `sum by (job) (rate(http_requests_total{${apps}}[5m]))`, legend: "{{job}}" }] },
        {
            title: "Error rate (5xx)",
            type: "timeseries",
            unit: "percentunit",
            redAbove: Math.min(...spec.applications.map((a) => a.errorRatio.critical ?? a.errorRatio.warning)),
            queries: [{ expr: errorRatioByJob(names), legend: "{{job}}" }],
        },
        { title: "CPU busy", type: "timeseries", unit: "percent", max: 100, redAbove: spec.thresholds.cpuPercent, queries: [{ expr: cpuBusyPercent("instance"), legend: "{{instance}}" }] },
    ]);
}

function errorBudgets(spec: MonitoringSpec): Dashboard {
    const sloPanels = spec.slos.flatMap((slo): PanelSpec[] => {
        const selector = `{slo="${slo.name}"}`;
        const burn = (window: SloWindow) => ({ expr: `${errorRatioRecord(window)}${selector} / on (slo) (1 - slo:objective:ratio${selector})`, legend: `burn rate ${window}` });
        return [
            { title: `${slo.name}: error budget left (${spec.sloPeriodDays} d)`, type: "gauge", unit: "percentunit", min: 0, max: 1, width: 8, queries: [{ expr: `slo:error_budget_remaining:ratio${selector}`, legend: slo.name }] },
            { title: `${slo.name}: SLI (good share, 1 h)`, type: "stat", unit: "percentunit", width: 4, queries: [{ expr: `1 - ${errorRatioRecord("1h")}${selector}`, legend: slo.name }] },
            {
                title: `${slo.name}: burn rate`,
                type: "timeseries",
                unit: "none",
                width: 12,
                redAbove: pageConditions[0].factor,
                queries: [...new Set([...pageConditions, ...ticketConditions].map((c) => c.long))].map(burn),
            },
        ];
    });
    return dashboard(spec, "keel-sla", "Keel / SLA and error budget", "5m", `now-${spec.sloPeriodDays}d`, [
        { title: "Availability (probes)", type: "stat", unit: "percentunit", width: 24, queries: [{ expr: `avg_over_time(probe_success{job="${jobs.probes}"}[${spec.sloPeriodDays}d])`, legend: "{{instance}}" }] },
        ...sloPanels,
    ]);
}

function database(spec: MonitoringSpec): Dashboard {
    return dashboard(spec, "keel-database", "Keel / Database", "30s", "now-6h", [
        { title: "PostgreSQL up", type: "stat", unit: "none", min: 0, max: 1, width: 8, queries: [{ expr: "pg_up", legend: "{{instance}}" }] },
        { title: "Connections (% of max_connections)", type: "timeseries", unit: "percent", max: 100, width: 16, redAbove: spec.thresholds.databaseConnectionsPercent, queries: [{ expr: connectionsPercent, legend: "{{instance}}" }] },
        { title: "Replication lag", type: "timeseries", unit: "s", redAbove: spec.thresholds.replicaLagSeconds, queries: [{ expr: "pg_replication_lag_seconds", legend: "{{instance}}" }] },
        { title: "Transactions", type: "timeseries", unit: "ops", queries: [{ expr: "sum by (instance) (rate(pg_stat_database_xact_commit[5m]))", legend: "{{instance}} commits" }, { expr: "sum by (instance) (rate(pg_stat_database_xact_rollback[5m]))", legend: "{{instance}} rollbacks" }] },
        { title: "Cache hit ratio", type: "timeseries", unit: "percentunit", max: 1, queries: [{ expr: "sum by (instance) (rate(pg_stat_database_blks_hit[5m])) / (sum by (instance) (rate(pg_stat_database_blks_hit[5m])) + sum by (instance) (rate(pg_stat_database_blks_read[5m])))", legend: "{{instance}}" }] },
        { title: "Last successful backup (age)", type: "stat", unit: "s", redAbove: (spec.backups?.maxAgeHours ?? 26) * 3600, queries: [{ expr: "time() - max by (backup) (keel_backup_last_success_timestamp_seconds)", legend: "{{backup}}" }] },
    ]);
}

function capacity(spec: MonitoringSpec, autoscaling: GrafanaSpec["autoscaling"]): Dashboard {
    const { node } = jobs;
    return dashboard(spec, "keel-capacity", "Keel / Capacity and autoscaling", "30s", "now-24h", [
        { title: `Instances (min ${autoscaling.minInstances}, max ${autoscaling.maxInstances})`, type: "timeseries", unit: "none", min: 0, redAbove: autoscaling.maxInstances, queries: [{ expr: `count by (region) (up{job="${node}"} == 1)`, legend: "{{region}}" }] },
        { title: `Average CPU vs the ${autoscaling.cpuTargetPercent} % scaling target`, type: "timeseries", unit: "percent", max: 100, redAbove: autoscaling.cpuTargetPercent, queries: [{ expr: cpuBusyPercent("", `job="${node}"`), legend: "average" }] },
        { title: `Average memory vs the ${autoscaling.memoryTargetPercent} % scaling target`, type: "timeseries", unit: "percent", max: 100, redAbove: autoscaling.memoryTargetPercent, queries: [{ expr: `100 * (1 - sum(node_memory_MemAvailable_bytes{job="${node}"}) / sum(node_memory_MemTotal_bytes{job="${node}"}))`, legend: "average" }] },
        { title: "Requests per instance", type: "timeseries", unit: "reqps", queries: [{ expr: `sum(rate(http_requests_total{${jobMatcher(spec.applications.map((a) => a.name))}}[5m])) / count(up{job="${node}"} == 1)`, legend: "per instance" }] },
        { title: "Disk used", type: "timeseries", unit: "percent", max: 100, width: 24, redAbove: spec.thresholds.diskPercent, queries: [{ expr: `max by (instance) (${diskUsedPercent})`, legend: "{{instance}}" }] },
    ]);
}

export function dashboards(spec: MonitoringSpec, grafana: GrafanaSpec): Dashboard[] {
    return [
        systemOverview(spec),
        ...(spec.slos.length > 0 ? [errorBudgets(spec)] : []),
        ...(spec.exporters.postgres ? [database(spec)] : []),
        capacity(spec, grafana.autoscaling),
    ];
}
