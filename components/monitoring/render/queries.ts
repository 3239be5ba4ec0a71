import { jobMatcher } from "./rules";

/** PromQL shared by the alerts and the dashboards, so a panel shows exactly what an alert judges. */

/** Pseudo and container filesystems say nothing about the disks that can fill up. */
const realFilesystems = `fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs"`;

/** Share of 5xx responses over 5 minutes, per job. */
export function errorRatioByJob(jobs: readonly string[]): string {
    const matcher = jobMatcher(jobs);
    return `sum by (job) (rate(http_requests_total{${matcher},status=~"5.."}[5m])) / sum by (job) (rate(http_requests_total{${matcher}}[5m]))`;
}

export function latencyQuantileByJob(quantile: number, jobs: readonly string[]): string {
    return `histogram_quantile(${quantile}, sum by (job, le) (rate(http_request_duration_seconds_bucket{${jobMatcher(jobs)}}[5m])))`;
}

/** Busy CPU percentage over 5 minutes, averaged `by` the given labels (all CPUs when empty). */
export function cpuBusyPercent(by: string, selector = ""): string {
    const matchers = selector === "" ? `mode="idle"` : `${selector},mode="idle"`;
    return `100 - 100 * avg${by === "" ? "" : ` by (${by})`} (rate(node_cpu_seconds_total{${matchers}}[5m]))`;
}

export const memoryUsedPercent = "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)";

export const diskUsedPercent = `100 * (1 - node_filesystem_avail_bytes{${realFilesystems}} / node_filesystem_size_bytes{${realFilesystems}})`;

export const connectionsPercent = "100 * sum by (instance) (pg_stat_activity_count) / sum by (instance) (pg_settings_max_connections)";
