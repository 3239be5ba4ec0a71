import { problem, requireNoProblems, type Problem } from "../../problems";

/**
 * The one typed description of a monitoring stack. Every renderer (Prometheus, rules and
 * their promtool tests, Alertmanager, Grafana, Loki, Alloy, Jaeger) reads only this, so
 * the files a backend deploys (Docker here, Kubernetes next) are the very same files.
 * Stacks build it from the environment's config; components never see an environment.
 */

/** Where Prometheus finds a job's targets: fixed addresses, or EC2 instances found by tag. */
export type Targets =
    | { readonly kind: "static"; readonly addresses: readonly string[] }
    | {
          readonly kind: "ec2";
          /** One `ec2_sd_configs` entry per region; each target carries a `region` label. */
          readonly regions: readonly string[];
          readonly port: number;
          /** Instance tags that select the targets (`tag:<key>` filters), e.g. environment and service. */
          readonly tags: Readonly<Record<string, string>>;
      };

/** An application Prometheus scrapes and the request alerts and SLOs are computed for. */
export interface ApplicationJob {
    /** The job name (the `job` label): letters, digits, `_` and `-`. */
    readonly name: string;
    readonly targets: Targets;
    readonly metricsPath: string;
    /** Guides: applications are scraped every 5–10 s. */
    readonly scrapeIntervalSeconds: number;
    /**
     * Ratios of 5xx responses over 5 minutes that raise HighErrorRate (guides: warning above 5 %,
     * critical above 1 % where configured). A warning threshold at or above the critical one is
     * not rendered: it could only ever fire together with the critical alert, which inhibits it.
     */
    readonly errorRatio: { readonly warning: number; readonly critical?: number };
}

/** A service level objective over all application jobs, with multi-window burn-rate alerts. */
export interface Slo {
    /** The `slo` label of its recording rules and alerts. */
    readonly name: string;
    /** availability: share of responses that are not 5xx; latency: share answered within `latencyThresholdSeconds`. */
    readonly kind: "availability" | "latency";
    /** e.g. 0.999. Below 1 - 1/14.4 the fast-burn page could never fire. */
    readonly objective: number;
    /** For `latency`: a bucket boundary (`le`) of `http_request_duration_seconds`. */
    readonly latencyThresholdSeconds?: number;
}

export interface AlertThresholds {
    /** HighResponseTime: p95 above this for 5 min (guides: 2 s). */
    readonly latencyP95Seconds: number;
    /** HighCPU: above this busy percentage for 5 min (guides: 80). */
    readonly cpuPercent: number;
    /** HighMemory: above this used percentage for 5 min (guides: 85). */
    readonly memoryPercent: number;
    /** DiskSpaceLow: above this used percentage (guides: 90). */
    readonly diskPercent: number;
    /** DatabaseConnectionsHigh: connections above this percentage of `max_connections` (guides: 80). */
    readonly databaseConnectionsPercent: number;
    /** ReplicaLag: replay lag above this many seconds (the environment's RPO). */
    readonly replicaLagSeconds: number;
    /** CertificateExpiry: fewer days than this left on a probed certificate (guides: 30). */
    readonly certificateExpiryDays: number;
}

/** `host:port` of each monitoring component, as the others reach it (container or service names). */
export interface MonitoringEndpoints {
    readonly prometheus: string;
    readonly alertmanager: string;
    readonly grafana: string;
    readonly loki: string;
    /** Where Prometheus scrapes Loki's /metrics when the API endpoint is a gateway that does not serve them. Default: `loki`. */
    readonly lokiMetrics?: string;
    readonly jaeger: string;
    readonly blackbox: string;
}

/** Alertmanager receivers. Credentials are only ever file paths (`*_file` fields). */
export interface AlertingSpec {
    readonly pagerduty?: { readonly routingKeyFile: string };
    readonly slack?: { readonly apiUrlFile: string; readonly criticalChannel: string; readonly warningChannel: string };
    readonly email?: {
        readonly to: string;
        readonly from: string;
        /** `host:port` of the SMTP server (STARTTLS is required). */
        readonly smarthost: string;
        readonly username: string;
        readonly passwordFile: string;
    };
    /**
     * A dead man's switch (a heartbeat check in PagerDuty, Opsgenie, healthchecks.io, …) that
     * Alertmanager pings every few minutes while the always-firing Watchdog alert arrives; the
     * check pages when the pings stop. Its URL carries the check's token, so it is a file.
     */
    readonly heartbeat?: { readonly urlFile: string };
}

export interface GrafanaSpec {
    /** Autoscaling targets drawn as thresholds on the capacity dashboard. */
    readonly autoscaling: {
        readonly cpuTargetPercent: number;
        readonly memoryTargetPercent: number;
        readonly minInstances: number;
        readonly maxInstances: number;
    };
}

export interface LogsSpec {
    /** Default retention (guides: 90 d in production). Loki's minimum is 1 day. */
    readonly retentionDays: number;
    /** Streams labelled `log_type="security"` (guides: 1 year). */
    readonly securityRetentionDays: number;
    /** Streams labelled `level="debug"` (guides: 14 days). */
    readonly debugRetentionDays: number;
    readonly storage: { readonly kind: "filesystem" } | { readonly kind: "s3"; readonly bucket: string; readonly region: string };
    /** Where Alloy discovers container logs: the Docker socket, or the Kubernetes API. */
    readonly collector: "docker" | "kubernetes";
}

export interface TracesSpec {
    /** Probability served to SDKs by remote sampling (guides: 0.1 % = 0.001). */
    readonly samplingRate: number;
    /** Guides: 7 days. */
    readonly retentionDays: number;
}

export interface MonitoringSpec {
    /** The `environment` external label on every series, alert and log stream. */
    readonly environment: string;
    /** Guides: 15 s for exporters; also the rule evaluation interval. */
    readonly scrapeIntervalSeconds: number;
    /** Prometheus TSDB retention, passed as flags (guides: 15 d / 100 GB). */
    readonly retention: { readonly days: number; readonly sizeGb: number };
    readonly endpoints: MonitoringEndpoints;
    readonly applications: readonly ApplicationJob[];
    readonly exporters: { readonly node: Targets; readonly postgres?: Targets; readonly redis?: Targets };
    /** Public endpoints probed by the blackbox exporter (availability and certificate expiry). */
    readonly probes?: { readonly urls: readonly string[] };
    readonly thresholds: AlertThresholds;
    readonly slos: readonly Slo[];
    /** The window the error budget is counted over; at most the Prometheus retention. */
    readonly sloPeriodDays: number;
    /**
     * BackupMissing: backups reporting `keel_backup_last_success_timestamp_seconds{backup=<name>}`
     * to the Pushgateway at `pushgateway` (`host:port`), which Prometheus scrapes with
     * `honor_labels` so the pushed `job` and `backup` labels stay as the job pushed them.
     */
    readonly backups?: { readonly names: readonly string[]; readonly maxAgeHours: number; readonly pushgateway: string };
    /** Base URL of docs/runbooks; each alert's `runbook_url` is `<base>/<alert-slug>.md`. */
    readonly runbookBaseUrl: string;
    /** Present: Alertmanager routing is rendered and deployed. */
    readonly alerting?: AlertingSpec;
    /** Present: Grafana with its datasources and dashboards. */
    readonly grafana?: GrafanaSpec;
    /** Present: Loki and Alloy. */
    readonly logs?: LogsSpec;
    /** Present: Jaeger. */
    readonly traces?: TracesSpec;
}

/** Job names Keel gives its own scrape jobs; application jobs may not take them. */
export const jobs = { prometheus: "prometheus", node: "node", postgres: "postgres", redis: "redis", probes: "blackbox-http", monitoring: "monitoring", pushgateway: "pushgateway" } as const;

/** Every problem with a spec, all at once; empty when it can be rendered. */
export function monitoringSpecProblems(spec: MonitoringSpec): Problem[] {
    const problems: Problem[] = [];
    // `where` is the dotted path in the spec (applications and SLOs by name, as the spec's readers know them).
    const check = (ok: boolean, where: string, message: string) => {
        if (!ok) problems.push(problem(where.split("."), message));
    };
    const between = (value: number, min: number, max: number) => Number.isFinite(value) && value >= min && value <= max;
    const ratio = (value: number) => Number.isFinite(value) && value > 0 && value < 1;
    const hostPort = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?:\d{1,5}$/;
    const checkTargets = (what: string, targets: Targets) => {
        if (targets.kind === "static") {
            check(targets.addresses.length > 0, what, "expected at least one address");
            for (const address of targets.addresses) check(hostPort.test(address), what, `expected host:port, got ${JSON.stringify(address)}`);
        } else {
            check(targets.regions.length > 0, what, "expected at least one region");
            check(Object.keys(targets.tags).length > 0, what, "expected at least one tag filter (never discover every instance)");
            check(between(targets.port, 1, 65535), what, `expected a port from 1 to 65535, got ${targets.port}`);
        }
    };

    check(/^[a-z][a-z0-9-]*$/.test(spec.environment), "environment", `expected a lower-case name, got ${JSON.stringify(spec.environment)}`);
    check(Number.isInteger(spec.scrapeIntervalSeconds) && between(spec.scrapeIntervalSeconds, 1, 300), "scrapeIntervalSeconds", `expected 1 to 300, got ${spec.scrapeIntervalSeconds}`);
    check(Number.isInteger(spec.retention.days) && spec.retention.days >= 1, "retention.days", `expected a whole number of days ≥ 1, got ${spec.retention.days}`);
    check(Number.isInteger(spec.retention.sizeGb) && spec.retention.sizeGb >= 1, "retention.sizeGb", `expected a whole number ≥ 1, got ${spec.retention.sizeGb}`);
    for (const [name, endpoint] of Object.entries(spec.endpoints)) check(hostPort.test(endpoint), `endpoints.${name}`, `expected host:port, got ${JSON.stringify(endpoint)}`);

    const reserved: readonly string[] = Object.values(jobs);
    check(spec.applications.length > 0, "applications", "expected at least one application job");
    const names = spec.applications.map((a) => a.name);
    check(new Set(names).size === names.length, "applications", `job names must be unique, got ${names.join(", ")}`);
    for (const app of spec.applications) {
        const what = `applications.${app.name}`;
        check(/^[A-Za-z0-9_-]+$/.test(app.name), what, "expected letters, digits, _ and - in the job name");
        check(!reserved.includes(app.name), what, `the job name is one of Keel's own (${reserved.join(", ")})`);
        check(app.metricsPath.startsWith("/"), `${what}.metricsPath`, `expected an absolute path, got ${JSON.stringify(app.metricsPath)}`);
        check(Number.isInteger(app.scrapeIntervalSeconds) && between(app.scrapeIntervalSeconds, 1, 300), `${what}.scrapeIntervalSeconds`, "expected 1 to 300");
        check(ratio(app.errorRatio.warning), `${what}.errorRatio.warning`, `expected a ratio between 0 and 1, got ${app.errorRatio.warning}`);
        if (app.errorRatio.critical !== undefined) check(ratio(app.errorRatio.critical), `${what}.errorRatio.critical`, `expected a ratio between 0 and 1, got ${app.errorRatio.critical}`);
        checkTargets(`${what}.targets`, app.targets);
    }
    checkTargets("exporters.node", spec.exporters.node);
    if (spec.exporters.postgres) checkTargets("exporters.postgres", spec.exporters.postgres);
    if (spec.exporters.redis) checkTargets("exporters.redis", spec.exporters.redis);
    for (const url of spec.probes?.urls ?? []) check(/^https?:\/\/[^\s/]+/.test(url), "probes.urls", `expected an http(s) URL, got ${JSON.stringify(url)}`);

    const t = spec.thresholds;
    check(t.latencyP95Seconds > 0, "thresholds.latencyP95Seconds", `expected more than 0, got ${t.latencyP95Seconds}`);
    for (const key of ["cpuPercent", "memoryPercent", "diskPercent", "databaseConnectionsPercent"] as const) {
        check(between(t[key], 1, 99), `thresholds.${key}`, `expected a percentage from 1 to 99, got ${t[key]}`);
    }
    check(t.replicaLagSeconds > 0, "thresholds.replicaLagSeconds", `expected more than 0, got ${t.replicaLagSeconds}`);
    check(Number.isInteger(t.certificateExpiryDays) && t.certificateExpiryDays >= 1, "thresholds.certificateExpiryDays", `expected whole days ≥ 1, got ${t.certificateExpiryDays}`);

    const sloNames = spec.slos.map((s) => s.name);
    check(new Set(sloNames).size === sloNames.length, "slos", `names must be unique, got ${sloNames.join(", ")}`);
    const kinds = spec.slos.map((s) => s.kind);
    check(new Set(kinds).size === kinds.length, "slos", "expected at most one availability and one latency SLO (they are computed over all application jobs)");
    for (const slo of spec.slos) {
        const what = `slos.${slo.name}`;
        check(/^[a-z][a-z0-9_-]*$/.test(slo.name), what, "expected a lower-case name");
        // The fast-burn page fires at 14.4× the budget: with a budget of 1/14.4 or more it never could.
        check(Number.isFinite(slo.objective) && slo.objective > 1 - 1 / 14.4 && slo.objective < 1, `${what}.objective`, `expected more than ${(1 - 1 / 14.4).toFixed(4)} and less than 1, got ${slo.objective}`);
        if (slo.kind === "latency") check((slo.latencyThresholdSeconds ?? 0) > 0, `${what}.latencyThresholdSeconds`, "expected a histogram bucket boundary in seconds");
    }
    check(Number.isInteger(spec.sloPeriodDays) && between(spec.sloPeriodDays, 1, spec.retention.days),
        "sloPeriodDays", `expected 1 to the Prometheus retention (${spec.retention.days} days), got ${spec.sloPeriodDays}`);
    if (spec.backups) {
        check(spec.backups.names.length > 0, "backups.names", "expected at least one backup name");
        check(spec.backups.maxAgeHours >= 1, "backups.maxAgeHours", `expected at least 1, got ${spec.backups.maxAgeHours}`);
        check(hostPort.test(spec.backups.pushgateway), "backups.pushgateway", `expected host:port, got ${JSON.stringify(spec.backups.pushgateway)}`);
    }
    check(/^https?:\/\/\S+[^/]$/.test(spec.runbookBaseUrl), "runbookBaseUrl", `expected an http(s) URL without a trailing slash, got ${JSON.stringify(spec.runbookBaseUrl)}`);
    if (spec.alerting?.slack) {
        for (const channel of [spec.alerting.slack.criticalChannel, spec.alerting.slack.warningChannel]) check(/^#\S+$/.test(channel), "alerting.slack", `expected channels such as #alerts, got ${JSON.stringify(channel)}`);
    }
    const files = [spec.alerting?.pagerduty?.routingKeyFile, spec.alerting?.slack?.apiUrlFile, spec.alerting?.email?.passwordFile, spec.alerting?.heartbeat?.urlFile];
    for (const file of files.filter((f) => f !== undefined)) check(file.startsWith("/"), "alerting", `credential files must be absolute paths, got ${JSON.stringify(file)}`);
    if (spec.logs) {
        for (const key of ["retentionDays", "securityRetentionDays", "debugRetentionDays"] as const) {
            // Loki's minimum retention is 24h; whole days keep `retention_period` a multiple of the 24h index period.
            check(Number.isInteger(spec.logs[key]) && spec.logs[key] >= 1, `logs.${key}`, `expected whole days ≥ 1 (Loki's minimum retention is 24h), got ${spec.logs[key]}`);
        }
    }
    if (spec.traces) {
        check(spec.traces.samplingRate >= 0 && spec.traces.samplingRate <= 1, "traces.samplingRate", `expected a probability from 0 to 1, got ${spec.traces.samplingRate}`);
        check(Number.isInteger(spec.traces.retentionDays) && spec.traces.retentionDays >= 1, "traces.retentionDays", `expected whole days ≥ 1, got ${spec.traces.retentionDays}`);
    }
    return problems;
}

/** Throws `InvalidArgumentsError` naming `component` (whose `spec` argument it is) with every problem of the spec. */
export function validateMonitoringSpec(spec: MonitoringSpec, component = "monitoring spec"): void {
    requireNoProblems(component, monitoringSpecProblems(spec));
}

/** The port of a `host:port` endpoint. */
export function portOf(endpoint: string): number {
    return Number(endpoint.slice(endpoint.lastIndexOf(":") + 1));
}
