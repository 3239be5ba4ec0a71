/**
 * The metrics Keel's rules and dashboards read that no exporter publishes: applications and
 * jobs publish them. Every other name a rule or a dashboard reads must be exported by the node,
 * blackbox or PostgreSQL exporter, which tests/metric-names.test.ts runs and scrapes with the
 * rendered Prometheus configuration; this list is what that test accepts without a scrape,
 * and it refuses an entry that nothing reads. docs/alerting.md shows it to the team.
 */

export interface PublishedMetric {
    readonly name: string;
    /** Who publishes it, and where Prometheus gets it from. */
    readonly publisher: string;
    /** Why the test cannot scrape it here, and what proves it instead. */
    readonly reason: string;
}

/** The guides' application: Keel deploys a team's image, so there is no application here to scrape. */
const application = "the application, on its /metrics (scrape job `app`)";
const noApplication = "Keel deploys the team's image and holds no application to run; the guides require it of every service Keel runs";

export const publishedMetrics: readonly PublishedMetric[] = [
    {
        name: "http_requests_total",
        publisher: `${application}: a counter of responses labelled \`status\` (the HTTP code)`,
        reason: `${noApplication}. Read by HighErrorRate, the availability SLO and the overview and capacity dashboards`,
    },
    {
        name: "http_request_duration_seconds_bucket",
        publisher: `${application}: the buckets of the histogram \`http_request_duration_seconds\`, one boundary at the latency SLO's threshold (2 s)`,
        reason: `${noApplication}. Read by HighResponseTime (p95), the latency SLO and the overview dashboard`,
    },
    {
        name: "http_request_duration_seconds_count",
        publisher: `${application}: the count of the histogram \`http_request_duration_seconds\``,
        reason: `${noApplication}. Read by the latency SLO`,
    },
    {
        name: "keel_backup_last_success_timestamp_seconds",
        publisher: "the database dump job's publish step (components/backup/dump-job.sh), pushed to the Pushgateway (scrape job `pushgateway`, honor_labels)",
        reason: "only a successful dump pushes it; tests/database-dumps.test.ts runs the job against PostgreSQL and a real Pushgateway and reads it back through Prometheus. Read by BackupMissing and the database dashboard",
    },
];
