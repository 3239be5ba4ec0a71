import { connectionsPercent, cpuBusyPercent, diskUsedPercent, errorRatioByJob, latencyQuantileByJob, memoryUsedPercent } from "./queries";
import {
    constant,
    counter,
    num,
    runbookUrl,
    seriesOf,
    type AlertFamily,
    type AlertRule,
    type RuleGroup,
    type TestSeries,
} from "./rules";
import { jobs, type ApplicationJob, type MonitoringSpec } from "./spec";

/**
 * The guides' alerts (ServiceDown, HighErrorRate, HighResponseTime, DatabaseDown,
 * DatabaseConnectionsHigh, ReplicaLag, CacheDown, CacheMemoryHigh, HighCPU, HighMemory, DiskSpaceLow, CertificateExpiry,
 * BackupMissing, and EndpointDown for failing probes), each with the promtool cases that fire
 * it and that must not. Metric names are the exporters' own (node_exporter, postgres_exporter,
 * redis_exporter, blackbox_exporter) and the guides' application metrics (`http_requests_total{status}`,
 * `http_request_duration_seconds`).
 */

type Severity = AlertRule["labels"]["severity"];

function rule(spec: MonitoringSpec, alert: string, severity: Severity, expr: string, forDuration: string | undefined, summary: string, description: string, labels: Record<string, string> = {}): AlertRule {
    return {
        alert,
        expr,
        ...(forDuration !== undefined ? { for: forDuration } : {}),
        labels: { severity, ...labels },
        annotations: { summary, description, runbook_url: runbookUrl(spec, alert) },
    };
}

const appInstance = (app: ApplicationJob) => ({ instance: `${app.name}-1:9000`, job: app.name });
const nodeInstance = { instance: "10.0.1.10:9100", job: jobs.node };
const postgresInstance = { instance: "postgres-exporter:9187", job: jobs.postgres };
const redisInstance = { instance: "redis-exporter:9121", job: jobs.redis };
/** Enough one-minute samples to cover a 5-minute `for` after a 5-minute rate window. */
const samples = 15;

function serviceDown(spec: MonitoringSpec): AlertFamily {
    // The database and the cache have their own alerts (DatabaseDown, CacheDown); excluding them here avoids two pages for one outage.
    const own = [...(spec.exporters.postgres ? [jobs.postgres] : []), ...(spec.exporters.redis ? [jobs.redis] : [])];
    const selector = own.length > 0 ? `up{job!~"${own.join("|")}"}` : "up";
    const down = rule(spec, "ServiceDown", "critical", `${selector} == 0`, "1m",
        "{{ $labels.job }} target {{ $labels.instance }} is down",
        "Prometheus has not been able to scrape {{ $labels.instance }} (job {{ $labels.job }}) for more than 1 minute.");
    const target = appInstance(spec.applications[0]);
    return {
        alertname: "ServiceDown",
        rules: [down],
        cases: [
            { name: "a target that stopped answering", series: [{ series: seriesOf("up", target), values: `1 ${constant(0, 9)}` }], evalTime: "5m", alerts: [{ rule: down, labels: target }] },
            { name: "a target that answers", series: [{ series: seriesOf("up", target), values: constant(1, 9) }], evalTime: "5m", alerts: [] },
        ],
    };
}

function endpointDown(spec: MonitoringSpec, url: string): AlertFamily {
    const down = rule(spec, "EndpointDown", "critical", "probe_success == 0", "2m",
        "Probe of {{ $labels.instance }} is failing",
        "The blackbox exporter has not reached {{ $labels.instance }} successfully for 2 minutes (HTTP status, TLS or DNS).");
    const probe = { instance: url, job: jobs.probes };
    return {
        alertname: "EndpointDown",
        rules: [down],
        cases: [
            { name: "a public endpoint that fails its probe", series: [{ series: seriesOf("probe_success", probe), values: constant(0, 9) }], evalTime: "5m", alerts: [{ rule: down, labels: probe }] },
            { name: "a public endpoint that answers", series: [{ series: seriesOf("probe_success", probe), values: constant(1, 9) }], evalTime: "5m", alerts: [] },
        ],
    };
}

function percent(ratio: number): string {
    return `${num(ratio * 100)} %`;
}

function highErrorRate(spec: MonitoringSpec): AlertFamily {
    const thresholds = (app: ApplicationJob): { severity: Severity; ratio: number }[] => {
        const { warning, critical } = app.errorRatio;
        return [
            ...(critical !== undefined ? [{ severity: "critical" as const, ratio: critical }] : []),
            ...(critical === undefined || warning < critical ? [{ severity: "warning" as const, ratio: warning }] : []),
        ];
    };
    // One rule per severity (promtool's lint refuses two rules of one name with the same labels);
    // applications that share a threshold share a comparison.
    const rules = (["critical", "warning"] as const).flatMap((severity) => {
        const entries = spec.applications.flatMap((app) => thresholds(app).filter((t) => t.severity === severity).map((t) => ({ app: app.name, ratio: t.ratio })));
        if (entries.length === 0) return [];
        const ratios = [...new Set(entries.map((e) => e.ratio))];
        const comparisons = ratios.map((ratio) => `${errorRatioByJob(entries.filter((e) => e.ratio === ratio).map((e) => e.app))} > ${num(ratio)}`);
        const expr = comparisons.length === 1 ? comparisons[0] : comparisons.map((c) => `(${c})`).join(" or ");
        return [rule(spec, "HighErrorRate", severity, expr, "5m",
            "{{ $labels.job }} answers {{ $value | humanizePercentage }} of requests with 5xx",
            `The share of 5xx responses of {{ $labels.job }} has been above its ${severity} threshold (${entries.map((e) => `${e.app} ${percent(e.ratio)}`).join(", ")}) for 5 minutes.`)];
    });
    const ruleFor = (severity: Severity) => rules.filter((r) => r.labels.severity === severity);
    const perMinute = 100;
    const requests = (app: ApplicationJob, errorRatioValue: number): TestSeries[] => [
        { series: seriesOf("http_requests_total", { ...appInstance(app), status: "200" }), values: counter(perMinute * (1 - errorRatioValue), samples) },
        { series: seriesOf("http_requests_total", { ...appInstance(app), status: "500" }), values: counter(perMinute * errorRatioValue, samples) },
    ];
    return {
        alertname: "HighErrorRate",
        rules,
        cases: spec.applications.flatMap((app) => {
            const own = thresholds(app);
            const lowest = Math.min(...own.map((t) => t.ratio));
            return [
                ...own.map(({ severity, ratio }) => {
                    // 20 % above the threshold (halfway to 100 % for thresholds so high that 20 % would pass it).
                    const firing = Math.min(ratio * 1.2, (ratio + 1) / 2);
                    // Every severity whose threshold the firing ratio passes fires with it.
                    const alerts = own.filter((t) => t.ratio < firing).flatMap((t) => ruleFor(t.severity).map((r) => ({ rule: r, labels: { job: app.name }, value: firing })));
                    return { name: `${app.name}: 5xx ratio at 1.2× the ${severity} threshold`, series: requests(app, firing), evalTime: "10m", alerts };
                }),
                { name: `${app.name}: 5xx ratio at half its lowest threshold`, series: requests(app, lowest / 2), evalTime: "10m", alerts: [] },
            ];
        }),
    };
}

function highResponseTime(spec: MonitoringSpec): AlertFamily {
    const threshold = spec.thresholds.latencyP95Seconds;
    const names = spec.applications.map((a) => a.name);
    const high = rule(spec, "HighResponseTime", "warning",
        `${latencyQuantileByJob(0.95, names)} > ${num(threshold)}`, "5m",
        "p95 latency of {{ $labels.job }} is {{ $value | humanizeDuration }}",
        `The 95th percentile response time of {{ $labels.job }} has been above ${num(threshold)} s for 5 minutes.`);
    const app = spec.applications[0];
    // Per minute: `fast` requests within the threshold, the rest within 4× the threshold.
    const buckets = (fast: number): TestSeries[] => [
        { le: num(threshold), count: fast },
        { le: num(threshold * 4), count: 100 },
        { le: "+Inf", count: 100 },
    ].map(({ le, count }) => ({ series: seriesOf("http_request_duration_seconds_bucket", { ...appInstance(app), le }), values: counter(count, samples) }));
    // Half the requests above the threshold: p95 interpolates to t + 3t × (95 - 50) / 50 = 3.7 t.
    return {
        alertname: "HighResponseTime",
        rules: [high],
        cases: [
            { name: "half the requests slower than the threshold", series: buckets(50), evalTime: "10m", alerts: [{ rule: high, labels: { job: app.name }, value: threshold * 3.7 }] },
            { name: "every request within the threshold", series: buckets(100), evalTime: "10m", alerts: [] },
        ],
    };
}

function databaseAlerts(spec: MonitoringSpec): AlertFamily[] {
    const { databaseConnectionsPercent, replicaLagSeconds } = spec.thresholds;
    const down = rule(spec, "DatabaseDown", "critical", `pg_up == 0 or up{job="${jobs.postgres}"} == 0`, "1m",
        "PostgreSQL behind {{ $labels.instance }} is down",
        "postgres_exporter {{ $labels.instance }} cannot reach its database (pg_up == 0), or Prometheus cannot reach the exporter, for more than 1 minute.");
    const connections = rule(spec, "DatabaseConnectionsHigh", "warning",
        `${connectionsPercent} > ${num(databaseConnectionsPercent)}`, "5m",
        "{{ $labels.instance }} uses {{ $value | humanize }} % of max_connections",
        `More than ${num(databaseConnectionsPercent)} % of the database's max_connections have been in use for 5 minutes.`);
    const lag = rule(spec, "ReplicaLag", "critical", `pg_replication_lag_seconds > ${num(replicaLagSeconds)}`, "2m",
        "Replica {{ $labels.instance }} is {{ $value | humanizeDuration }} behind",
        `Replay lag has exceeded the recovery point objective (${num(replicaLagSeconds)} s) for 2 minutes: a failover now would lose more data than the RPO allows.`);
    const activity = (active: number, idle: number): TestSeries[] => [
        { series: seriesOf("pg_stat_activity_count", { ...postgresInstance, datname: "app", state: "active" }), values: constant(active, samples) },
        { series: seriesOf("pg_stat_activity_count", { ...postgresInstance, datname: "app", state: "idle" }), values: constant(idle, samples) },
        { series: seriesOf("pg_settings_max_connections", postgresInstance), values: constant(100, samples) },
    ];
    const busy = Math.min(99, databaseConnectionsPercent + 10);
    const lagging = (seconds: number): TestSeries[] => [{ series: seriesOf("pg_replication_lag_seconds", postgresInstance), values: constant(seconds, samples) }];
    return [
        {
            alertname: "DatabaseDown",
            rules: [down],
            cases: [
                {
                    name: "the exporter answers but PostgreSQL does not",
                    series: [{ series: seriesOf("up", postgresInstance), values: constant(1, 9) }, { series: seriesOf("pg_up", postgresInstance), values: `1 ${constant(0, 8)}` }],
                    evalTime: "5m",
                    alerts: [{ rule: down, labels: postgresInstance }],
                },
                {
                    name: "PostgreSQL answers",
                    series: [{ series: seriesOf("up", postgresInstance), values: constant(1, 9) }, { series: seriesOf("pg_up", postgresInstance), values: constant(1, 9) }],
                    evalTime: "5m",
                    alerts: [],
                },
            ],
        },
        {
            alertname: "DatabaseConnectionsHigh",
            rules: [connections],
            cases: [
                { name: `${busy} % of max_connections in use`, series: activity(busy - 10, 10), evalTime: "10m", alerts: [{ rule: connections, labels: { instance: postgresInstance.instance }, value: busy }] },
                { name: "30 % of max_connections in use", series: activity(20, 10), evalTime: "10m", alerts: [] },
            ],
        },
        {
            alertname: "ReplicaLag",
            rules: [lag],
            cases: [
                { name: "replay lag at twice the RPO", series: lagging(replicaLagSeconds * 2), evalTime: "10m", alerts: [{ rule: lag, labels: postgresInstance, value: replicaLagSeconds * 2 }] },
                { name: "replay lag at half the RPO", series: lagging(replicaLagSeconds / 2), evalTime: "10m", alerts: [] },
            ],
        },
    ];
}

/** The cache's: down (the exporter cannot reach it, or Prometheus the exporter), and memory near maxmemory (the guides' HighMemory, for the cache). */
function cacheAlerts(spec: MonitoringSpec): AlertFamily[] {
    const { memoryPercent } = spec.thresholds;
    const down = rule(spec, "CacheDown", "critical", `redis_up == 0 or up{job="${jobs.redis}"} == 0`, "1m",
        "The cache behind {{ $labels.instance }} is down",
        "redis_exporter {{ $labels.instance }} cannot reach its cache (redis_up == 0), or Prometheus cannot reach the exporter, for more than 1 minute.");
    const memory = rule(spec, "CacheMemoryHigh", "warning",
        `100 * redis_memory_used_bytes / (redis_memory_max_bytes > 0) > ${num(memoryPercent)}`, "5m",
        "The cache behind {{ $labels.instance }} uses {{ $value | humanize }} % of maxmemory",
        `The cache has used more than ${num(memoryPercent)} % of its maxmemory for 5 minutes: it evicts keys next.`);
    const usage = (usedPercent: number): TestSeries[] => [
        { series: seriesOf("redis_memory_used_bytes", redisInstance), values: constant(usedPercent * 1e7, samples) },
        { series: seriesOf("redis_memory_max_bytes", redisInstance), values: constant(1e9, samples) },
    ];
    const highUse = Math.min(99, memoryPercent + 10);
    return [
        {
            alertname: "CacheDown",
            rules: [down],
            cases: [
                {
                    name: "the exporter answers but the cache does not",
                    series: [{ series: seriesOf("up", redisInstance), values: constant(1, 9) }, { series: seriesOf("redis_up", redisInstance), values: `1 ${constant(0, 8)}` }],
                    evalTime: "5m",
                    alerts: [{ rule: down, labels: redisInstance }],
                },
                {
                    name: "the cache answers",
                    series: [{ series: seriesOf("up", redisInstance), values: constant(1, 9) }, { series: seriesOf("redis_up", redisInstance), values: constant(1, 9) }],
                    evalTime: "5m",
                    alerts: [],
                },
            ],
        },
        {
            alertname: "CacheMemoryHigh",
            rules: [memory],
            cases: [
                { name: `${highUse} % of maxmemory used`, series: usage(highUse), evalTime: "10m", alerts: [{ rule: memory, labels: redisInstance, value: highUse }] },
                { name: "half of maxmemory used", series: usage(50), evalTime: "10m", alerts: [] },
                // No maxmemory (0: unlimited) is no ratio, not an infinite one.
                { name: "no maxmemory set", series: [{ series: seriesOf("redis_memory_used_bytes", redisInstance), values: constant(1e9, samples) }, { series: seriesOf("redis_memory_max_bytes", redisInstance), values: constant(0, samples) }], evalTime: "10m", alerts: [] },
            ],
        },
    ];
}

function hostAlerts(spec: MonitoringSpec): AlertFamily[] {
    const { cpuPercent, memoryPercent, diskPercent } = spec.thresholds;
    const cpu = rule(spec, "HighCPU", "warning", `${cpuBusyPercent("instance")} > ${num(cpuPercent)}`, "5m",
        "CPU of {{ $labels.instance }} is {{ $value | humanize }} % busy",
        `CPU use of {{ $labels.instance }} has been above ${num(cpuPercent)} % for 5 minutes (autoscaling targets less; check that it is scaling out).`);
    const memory = rule(spec, "HighMemory", "warning", `${memoryUsedPercent} > ${num(memoryPercent)}`, "5m",
        "Memory of {{ $labels.instance }} is {{ $value | humanize }} % used",
        `Memory use of {{ $labels.instance }} has been above ${num(memoryPercent)} % for 5 minutes.`);
    const disk = rule(spec, "DiskSpaceLow", "critical",
        `${diskUsedPercent} > ${num(diskPercent)}`, "5m",
        "{{ $labels.mountpoint }} on {{ $labels.instance }} is {{ $value | humanize }} % full",
        `Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has been more than ${num(diskPercent)} % full for 5 minutes.`);
    // One CPU whose idle counter grows by `idle` seconds per minute.
    const idleSeries = (busyPercent: number): TestSeries[] => [
        { series: seriesOf("node_cpu_seconds_total", { ...nodeInstance, cpu: "0", mode: "idle" }), values: counter(60 * (1 - busyPercent / 100), samples) },
    ];
    const memorySeries = (usedPercent: number): TestSeries[] => [
        { series: seriesOf("node_memory_MemAvailable_bytes", nodeInstance), values: constant(8e9 * (1 - usedPercent / 100), samples) },
        { series: seriesOf("node_memory_MemTotal_bytes", nodeInstance), values: constant(8e9, samples) },
    ];
    const root = { ...nodeInstance, device: "/dev/nvme0n1p1", fstype: "ext4", mountpoint: "/" };
    const diskSeries = (usedPercent: number, labels = root): TestSeries[] => [
        { series: seriesOf("node_filesystem_avail_bytes", labels), values: constant(100e9 * (1 - usedPercent / 100), samples) },
        { series: seriesOf("node_filesystem_size_bytes", labels), values: constant(100e9, samples) },
    ];
    const over = (threshold: number) => Math.min(99, threshold + 5);
    return [
        {
            alertname: "HighCPU",
            rules: [cpu],
            cases: [
                { name: `${over(cpuPercent)} % busy`, series: idleSeries(over(cpuPercent)), evalTime: "10m", alerts: [{ rule: cpu, labels: { instance: nodeInstance.instance }, value: over(cpuPercent) }] },
                { name: "40 % busy", series: idleSeries(40), evalTime: "10m", alerts: [] },
            ],
        },
        {
            alertname: "HighMemory",
            rules: [memory],
            cases: [
                { name: `${over(memoryPercent)} % used`, series: memorySeries(over(memoryPercent)), evalTime: "10m", alerts: [{ rule: memory, labels: nodeInstance, value: over(memoryPercent) }] },
                { name: "50 % used", series: memorySeries(50), evalTime: "10m", alerts: [] },
            ],
        },
        {
            alertname: "DiskSpaceLow",
            rules: [disk],
            cases: [
                { name: `root filesystem ${over(diskPercent)} % full`, series: diskSeries(over(diskPercent)), evalTime: "10m", alerts: [{ rule: disk, labels: root, value: over(diskPercent) }] },
                {
                    name: "a full tmpfs and a half-full root filesystem",
                    series: [...diskSeries(50), ...diskSeries(99, { ...nodeInstance, device: "tmpfs", fstype: "tmpfs", mountpoint: "/run" })],
                    evalTime: "10m",
                    alerts: [],
                },
            ],
        },
    ];
}

function certificateExpiry(spec: MonitoringSpec, url: string): AlertFamily {
    const days = spec.thresholds.certificateExpiryDays;
    const expiry = rule(spec, "CertificateExpiry", "warning", `probe_ssl_earliest_cert_expiry - time() < ${days} * 86400`, "10m",
        "Certificate of {{ $labels.instance }} expires in {{ $value | humanizeDuration }}",
        `The TLS certificate served at {{ $labels.instance }} expires in less than ${days} days: renew it (ACM renews DNS-validated certificates itself; check why it has not).`);
    const probe = { instance: url, job: jobs.probes };
    // promtool's clock starts at 0, so a constant expiry timestamp of N days leaves N days minus the elapsed test time.
    const expiringIn = (d: number): TestSeries[] => [{ series: seriesOf("probe_ssl_earliest_cert_expiry", probe), values: constant(d * 86400, 30) }];
    const soon = Math.max(1, Math.floor(days / 2));
    return {
        alertname: "CertificateExpiry",
        rules: [expiry],
        cases: [
            { name: `a certificate with ${soon} days left`, series: expiringIn(soon), evalTime: "20m", alerts: [{ rule: expiry, labels: probe, value: soon * 86400 - 20 * 60 }] },
            { name: `a certificate with ${days * 2} days left`, series: expiringIn(days * 2), evalTime: "20m", alerts: [] },
        ],
    };
}

function backupMissing(spec: MonitoringSpec, backups: NonNullable<MonitoringSpec["backups"]>): AlertFamily {
    const maxAge = backups.maxAgeHours * 3600;
    const metric = "keel_backup_last_success_timestamp_seconds";
    // Two causes, told apart by a label (promtool's lint refuses two rules of one name with the same labels).
    const stale = rule(spec, "BackupMissing", "critical", `time() - max by (backup) (${metric}) > ${maxAge}`, "10m",
        "Backup {{ $labels.backup }} last succeeded {{ $value | humanizeDuration }} ago",
        `No successful {{ $labels.backup }} backup in the last ${backups.maxAgeHours} hours (the job pushes ${metric} after each success).`, { cause: "stale" });
    const absent = rule(spec, "BackupMissing", "critical", backups.names.map((name) => `absent(${metric}{backup="${name}"})`).join(" or "), "10m",
        "Backup {{ $labels.backup }} has never reported a success",
        `${metric}{backup="{{ $labels.backup }}"} does not exist: the backup job has not reported a success since Prometheus last saw it, or it does not run.`, { cause: "absent" });
    const [first, ...others] = backups.names;
    const succeededAt = (secondsBeforeStart: number, names: readonly string[]): TestSeries[] =>
        names.map((backup) => ({ series: seriesOf(metric, { backup, instance: "10.0.1.10:9100", job: jobs.node }), values: constant(-secondsBeforeStart, samples) }));
    const heartbeat = { series: seriesOf("up", nodeInstance), values: constant(1, samples) };
    return {
        alertname: "BackupMissing",
        rules: [stale, absent],
        cases: [
            { name: "the last success is an hour older than allowed", series: succeededAt(maxAge + 3600, backups.names), evalTime: "15m", alerts: backups.names.map((backup) => ({ rule: stale, labels: { backup }, value: maxAge + 3600 + 15 * 60 })) },
            { name: `${first} never reported`, series: [heartbeat, ...succeededAt(0, others)], evalTime: "15m", alerts: [{ rule: absent, labels: { backup: first } }] },
            { name: "every backup succeeded within the allowed age", series: succeededAt(0, backups.names), evalTime: "15m", alerts: [] },
        ],
    };
}

/** The alert families of `rules/alerts.yml`, grouped as they are evaluated. */
export function alertGroups(spec: MonitoringSpec): { group: string; families: AlertFamily[] }[] {
    const probeUrl = spec.probes?.urls[0];
    const httpsProbe = spec.probes?.urls.find((url) => url.startsWith("https://"));
    return [
        {
            group: "keel-services",
            families: [
                serviceDown(spec),
                ...(probeUrl !== undefined ? [endpointDown(spec, probeUrl)] : []),
                highErrorRate(spec),
                highResponseTime(spec),
                ...(httpsProbe !== undefined ? [certificateExpiry(spec, httpsProbe)] : []),
            ],
        },
        ...(spec.exporters.postgres ? [{ group: "keel-database", families: databaseAlerts(spec) }] : []),
        ...(spec.exporters.redis ? [{ group: "keel-cache", families: cacheAlerts(spec) }] : []),
        { group: "keel-hosts", families: hostAlerts(spec) },
        ...(spec.backups ? [{ group: "keel-backups", families: [backupMissing(spec, spec.backups)] }] : []),
    ];
}

export function alertRuleGroups(spec: MonitoringSpec): RuleGroup[] {
    return alertGroups(spec).map(({ group, families }) => ({ name: group, rules: families.flatMap((f) => f.rules) }));
}
