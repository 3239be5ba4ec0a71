import { alertGroups, alertRuleGroups } from "./alerts";
import { expectedAlert, type AlertFamily, type RuleGroup } from "./rules";
import { errorBudgetBurn, sloRuleGroups } from "./slo";
import { jobs, type MonitoringSpec, type Targets } from "./spec";
import { renderedHeader, toYaml } from "./yaml";

/**
 * prometheus.yml, the rule files, their promtool tests and the blackbox exporter's modules.
 * Only what both Debian's Prometheus 2.42 (the `promtool` the tests run) and current 3.x
 * accept. Retention is not configurable in the file: it is `prometheusFlags`.
 */

/** Rule files, relative to prometheus.yml (Prometheus resolves them against the config's directory). */
export const ruleFiles = { alerts: "rules/alerts.yml", slo: "rules/slo.yml" } as const;

const seconds = (n: number) => `${n}s`;

function targetsConfig(targets: Targets): Record<string, unknown> {
    if (targets.kind === "static") return { static_configs: [{ targets: [...targets.addresses] }] };
    return {
        // Credentials come from the instance or pod role (IMDS / IRSA), never from the file.
        ec2_sd_configs: targets.regions.map((region) => ({
            region,
            port: targets.port,
            refresh_interval: "60s",
            filters: [
                ...Object.entries(targets.tags).map(([key, value]) => ({ name: `tag:${key}`, values: [value] })),
                { name: "instance-state-name", values: ["running"] },
            ],
        })),
        relabel_configs: [
            { source_labels: ["__meta_ec2_instance_id"], target_label: "instance" },
            { source_labels: ["__meta_ec2_availability_zone"], target_label: "availability_zone" },
            // The zone names the region (us-east-1a → us-east-1), whichever sd config found the instance.
            { source_labels: ["__meta_ec2_availability_zone"], regex: "(.+-\\d+)[a-z]", target_label: "region" },
        ],
    };
}

function scrapeJob(name: string, targets: Targets, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { job_name: name, ...extra, ...targetsConfig(targets) };
}

/** The monitoring components Prometheus watches besides itself (their /metrics on the main port). */
function selfMonitoringTargets(spec: MonitoringSpec): string[] {
    const { endpoints } = spec;
    return [
        ...(spec.alerting ? [endpoints.alertmanager] : []),
        ...(spec.grafana ? [endpoints.grafana] : []),
        ...(spec.logs ? [endpoints.lokiMetrics ?? endpoints.loki] : []),
        ...(spec.probes ? [endpoints.blackbox] : []),
    ];
}

export function prometheusConfig(spec: MonitoringSpec): Record<string, unknown> {
    const { exporters } = spec;
    const interval = seconds(spec.scrapeIntervalSeconds);
    const monitoring = selfMonitoringTargets(spec);
    return {
        global: { scrape_interval: interval, evaluation_interval: interval, external_labels: { environment: spec.environment } },
        rule_files: [ruleFiles.alerts, ...(spec.slos.length > 0 ? [ruleFiles.slo] : [])],
        ...(spec.alerting ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [spec.endpoints.alertmanager] }] }] } } : {}),
        scrape_configs: [
            scrapeJob(jobs.prometheus, { kind: "static", addresses: ["localhost:9090"] }),
            ...spec.applications.map((app) =>
                scrapeJob(app.name, app.targets, { scrape_interval: seconds(app.scrapeIntervalSeconds), metrics_path: app.metricsPath })),
            scrapeJob(jobs.node, exporters.node),
            ...(exporters.postgres ? [scrapeJob(jobs.postgres, exporters.postgres)] : []),
            ...(exporters.redis ? [scrapeJob(jobs.redis, exporters.redis)] : []),
            ...(monitoring.length > 0 ? [scrapeJob(jobs.monitoring, { kind: "static", addresses: monitoring })] : []),
            // Batch jobs push their last success; honor_labels keeps the pushed job and backup labels.
            ...(spec.backups ? [scrapeJob(jobs.pushgateway, { kind: "static", addresses: [spec.backups.pushgateway] }, { honor_labels: true })] : []),
            ...(spec.probes
                ? [{
                    // Blackbox pattern: the probed URL becomes ?target= and the instance label; the exporter is scraped.
                    job_name: jobs.probes,
                    metrics_path: "/probe",
                    params: { module: ["http_2xx"] },
                    static_configs: [{ targets: [...spec.probes.urls] }],
                    relabel_configs: [
                        { source_labels: ["__address__"], target_label: "__param_target" },
                        { source_labels: ["__param_target"], target_label: "instance" },
                        { target_label: "__address__", replacement: spec.endpoints.blackbox },
                    ],
                }]
                : []),
        ],
    };
}

/** Command-line flags of the Prometheus server; retention lives here, not in prometheus.yml. */
export function prometheusFlags(spec: MonitoringSpec, paths: { config: string; data: string }): string[] {
    return [
        `--config.file=${paths.config}`,
        `--storage.tsdb.path=${paths.data}`,
        `--storage.tsdb.retention.time=${spec.retention.days}d`,
        `--storage.tsdb.retention.size=${spec.retention.sizeGb}GB`,
        // Reload on configuration change (POST /-/reload) instead of a restart.
        "--web.enable-lifecycle",
    ];
}

/** The blackbox exporter's one module: an HTTP probe expecting a 2xx, over IPv4. */
export function blackboxConfig(): Record<string, unknown> {
    return {
        modules: {
            http_2xx: {
                prober: "http",
                timeout: "5s",
                http: { preferred_ip_protocol: "ip4" },
            },
        },
    };
}

function groupsDocument(groups: readonly RuleGroup[]): Record<string, unknown> {
    return { groups: groups.map((g) => ({ name: g.name, rules: g.rules })) };
}

/** A promtool test file: one test group per case, each checking the alerts of one alert name. */
function testDocument(ruleFile: string, families: readonly AlertFamily[]): Record<string, unknown> {
    return {
        rule_files: [`../${ruleFile}`],
        evaluation_interval: "1m",
        tests: families.flatMap((family) =>
            family.cases.map((c) => ({
                name: `${family.alertname}: ${c.name}`,
                interval: "1m",
                input_series: c.series.map((s) => ({ series: s.series, values: s.values })),
                alert_rule_test: [{ eval_time: c.evalTime, alertname: family.alertname, exp_alerts: c.alerts.map(expectedAlert) }],
            })),
        ),
    };
}

/** Every alert family the rules hold, with its tests (for the renderers' own checks). */
export function alertFamilies(spec: MonitoringSpec): AlertFamily[] {
    return [...alertGroups(spec).flatMap((g) => g.families), ...(spec.slos.length > 0 ? [errorBudgetBurn(spec)] : [])];
}

/** prometheus.yml, the rule files and their promtool tests, as paths relative to the monitoring directory. */
export function prometheusFiles(spec: MonitoringSpec): { path: string; content: string }[] {
    const header = renderedHeader(spec.environment);
    const families = alertGroups(spec).flatMap((g) => g.families);
    return [
        { path: "prometheus.yml", content: toYaml(prometheusConfig(spec), header) },
        { path: ruleFiles.alerts, content: toYaml(groupsDocument(alertRuleGroups(spec)), header) },
        { path: "tests/alerts.yml", content: toYaml(testDocument(ruleFiles.alerts, families), header) },
        ...(spec.slos.length > 0
            ? [
                { path: ruleFiles.slo, content: toYaml(groupsDocument(sloRuleGroups(spec)), header) },
                { path: "tests/slo.yml", content: toYaml(testDocument(ruleFiles.slo, [errorBudgetBurn(spec)]), header) },
            ]
            : []),
    ];
}
