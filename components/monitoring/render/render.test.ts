import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { exampleSpec } from "./example-spec";
import {
    alertFamilies,
    monitoringSpecProblems,
    prometheusConfig,
    prometheusFlags,
    renderMonitoring,
    runbookSlug,
    type AlertRule,
    type MonitoringSpec,
    type RenderedFile,
} from "./index";

const repositoryRoot = resolve(__dirname, "../../..");
const spec = exampleSpec();
const files = renderMonitoring(spec);
const file = (path: string, from: readonly RenderedFile[] = files): RenderedFile => {
    const found = from.find((f) => f.path === path);
    assert.ok(found, `no rendered ${path}`);
    return found;
};
const yamlOf = (path: string, from?: readonly RenderedFile[]) => parse(file(path, from).content) as Record<string, unknown>;
type Rule = AlertRule & { record?: string };
const groupsOf = (path: string): { name: string; rules: Rule[] }[] => yamlOf(path).groups as { name: string; rules: Rule[] }[];
const alertRules = () => [...groupsOf("rules/alerts.yml"), ...groupsOf("rules/slo.yml")].flatMap((g) => g.rules).filter((r) => r.alert !== undefined);

/** A spec without the optional parts: what `level: basic` renders. */
function basicSpec(): MonitoringSpec {
    const full = exampleSpec();
    return { ...full, alerting: undefined, grafana: undefined, logs: undefined, traces: undefined, backups: undefined, probes: undefined, exporters: { node: full.exporters.node } };
}

describe("rendered files", () => {
    const cases: [string, MonitoringSpec, string[]][] = [
        ["everything", spec, [
            "alertmanager.yml", "blackbox.yml", "config.alloy",
            "grafana/dashboards/keel-capacity.json", "grafana/dashboards/keel-database.json", "grafana/dashboards/keel-sla.json", "grafana/dashboards/keel-system-overview.json",
            "grafana/provisioning/dashboards/keel.yml", "grafana/provisioning/datasources/keel.yml",
            "jaeger-sampling.json", "jaeger.yml", "loki.yml", "prometheus.yml", "rules/alerts.yml", "rules/slo.yml", "tests/alerts.yml", "tests/slo.yml",
        ]],
        ["basic (no alerting, Grafana, logs, traces, probes)", basicSpec(), ["prometheus.yml", "rules/alerts.yml", "rules/slo.yml", "tests/alerts.yml", "tests/slo.yml"]],
        ["no SLOs", { ...basicSpec(), slos: [] }, ["prometheus.yml", "rules/alerts.yml", "tests/alerts.yml"]],
    ];
    for (const [name, given, expected] of cases) {
        test(`${name}: renders exactly ${expected.length} files`, () => {
            assert.deepEqual(renderMonitoring(given).map((f) => f.path).sort(), expected);
        });
    }

    test("rendering is deterministic", () => {
        assert.deepEqual(renderMonitoring(exampleSpec()), files);
    });

    test("each file is mounted where its service reads it; promtool tests are not mounted", () => {
        assert.deepEqual(files.map((f) => [f.path, f.service ?? null, f.mountPath ?? null]).filter(([p]) => !String(p).startsWith("grafana/dashboards/")), [
            ["prometheus.yml", "prometheus", "/etc/prometheus/prometheus.yml"],
            ["rules/alerts.yml", "prometheus", "/etc/prometheus/rules/alerts.yml"],
            ["tests/alerts.yml", null, null],
            ["rules/slo.yml", "prometheus", "/etc/prometheus/rules/slo.yml"],
            ["tests/slo.yml", null, null],
            ["blackbox.yml", "blackbox", "/etc/blackbox_exporter/config.yml"],
            ["alertmanager.yml", "alertmanager", "/etc/alertmanager/alertmanager.yml"],
            ["grafana/provisioning/datasources/keel.yml", "grafana", "/etc/grafana/provisioning/datasources/keel.yml"],
            ["grafana/provisioning/dashboards/keel.yml", "grafana", "/etc/grafana/provisioning/dashboards/keel.yml"],
            ["loki.yml", "loki", "/etc/loki/loki.yml"],
            ["config.alloy", "alloy", "/etc/alloy/config.alloy"],
            ["jaeger.yml", "jaeger", "/etc/jaeger/config.yml"],
            ["jaeger-sampling.json", "jaeger", "/etc/jaeger/sampling-strategies.json"],
        ]);
    });

    test("YAML files start with the rendered-by header and quote YAML 1.1 booleans", () => {
        for (const f of files.filter((x) => x.path.endsWith(".yml"))) assert.match(f.content, /^# Rendered by Keel .* for example;/, f.path);
        // The header names the spec's environment, and Go's YAML 1.1 reads a bare `on` as true.
        assert.match(renderMonitoring({ ...spec, environment: "on" })[0].content, /environment: "on"/);
    });
});

describe("prometheus.yml", () => {
    const config = prometheusConfig(spec) as { global: Record<string, unknown>; rule_files: string[]; alerting: unknown; scrape_configs: Record<string, unknown>[] };
    const job = (name: string) => {
        const found = config.scrape_configs.find((j) => j.job_name === name);
        assert.ok(found, `no job ${name}`);
        return found;
    };

    test("global scrape and evaluation every 15 s, the environment as external label, both rule files", () => {
        assert.deepEqual(config.global, { scrape_interval: "15s", evaluation_interval: "15s", external_labels: { environment: "example" } });
        assert.deepEqual(config.rule_files, ["rules/alerts.yml", "rules/slo.yml"]);
        assert.deepEqual(config.alerting, { alertmanagers: [{ static_configs: [{ targets: ["alertmanager:9093"] }] }] });
    });

    test("jobs: self, applications, node, postgres, redis, the monitoring components, the Pushgateway, blackbox probes", () => {
        assert.deepEqual(config.scrape_configs.map((j) => j.job_name), ["prometheus", "api", "worker", "node", "postgres", "redis", "monitoring", "pushgateway", "blackbox-http"]);
        assert.deepEqual(job("postgres").static_configs, [{ targets: ["postgres-exporter:9187"] }]);
        assert.deepEqual(job("redis").static_configs, [{ targets: ["redis-exporter:9121"] }]);
        assert.deepEqual(job("monitoring").static_configs, [{ targets: ["alertmanager:9093", "grafana:3000", "loki:3100", "blackbox-exporter:9115"] }]);
    });

    test("the Pushgateway backups push to, scraped with honor_labels (the pushed job and backup labels stay)", () => {
        assert.deepEqual(job("pushgateway"), { job_name: "pushgateway", honor_labels: true, static_configs: [{ targets: ["pushgateway:9091"] }] });
        assert.deepEqual(monitoringSpecProblems({ ...spec, backups: { names: ["database-dumps"], maxAgeHours: 26, pushgateway: "http://pushgateway" } }), [{ path: ["backups", "pushgateway"], message: 'expected host:port, got "http://pushgateway"' }]);
    });

    const applicationCases: [string, string, string][] = [["api", "5s", "/metrics"], ["worker", "10s", "/api/metrics"]];
    for (const [name, interval, path] of applicationCases) {
        test(`${name}: scraped every ${interval} at ${path}`, () => {
            assert.equal(job(name).scrape_interval, interval);
            assert.equal(job(name).metrics_path, path);
        });
    }

    test("autoscaled instances are discovered by tag in every region, labelled with instance id, zone and region", () => {
        const node = job("node") as { ec2_sd_configs: Record<string, unknown>[]; relabel_configs: Record<string, unknown>[] };
        assert.deepEqual(node.ec2_sd_configs.map((c) => [c.region, c.port]), [["us-east-1", 9100], ["us-west-2", 9100]]);
        assert.deepEqual(node.ec2_sd_configs[0].filters, [
            { name: "tag:environment", values: ["example"] },
            { name: "tag:service", values: ["shop"] },
            { name: "instance-state-name", values: ["running"] },
        ]);
        assert.deepEqual(node.relabel_configs.map((r) => r.target_label), ["instance", "availability_zone", "region"]);
        assert.ok(!JSON.stringify(node).match(/access_key|secret_key|role_arn/), "credentials come from the instance or pod role");
        const regex = new RegExp(`^${String(node.relabel_configs[2].regex)}$`);
        assert.equal("us-west-2b".replace(regex, "$1"), "us-west-2");
    });

    test("probes go through the blackbox exporter with the URL as target and instance", () => {
        assert.deepEqual(job("blackbox-http"), {
            job_name: "blackbox-http",
            metrics_path: "/probe",
            params: { module: ["http_2xx"] },
            static_configs: [{ targets: ["https://shop.example.com/health", "http://status.example.com/"] }],
            relabel_configs: [
                { source_labels: ["__address__"], target_label: "__param_target" },
                { source_labels: ["__param_target"], target_label: "instance" },
                { target_label: "__address__", replacement: "blackbox-exporter:9115" },
            ],
        });
        assert.deepEqual(yamlOf("blackbox.yml"), { modules: { http_2xx: { prober: "http", timeout: "5s", http: { preferred_ip_protocol: "ip4" } } } });
    });

    test("retention is passed as flags (15 d / 100 GB), never written into the file", () => {
        assert.deepEqual(prometheusFlags(spec, { config: "/etc/prometheus/prometheus.yml", data: "/prometheus" }), [
            "--config.file=/etc/prometheus/prometheus.yml",
            "--storage.tsdb.path=/prometheus",
            "--storage.tsdb.retention.time=15d",
            "--storage.tsdb.retention.size=100GB",
            "--web.enable-lifecycle",
        ]);
        assert.doesNotMatch(file("prometheus.yml").content, /retention/);
    });
});

describe("alert rules", () => {
    const rules = alertRules();
    const ruleOf = (alert: string, severity: string) => {
        const found = rules.filter((r) => r.alert === alert && r.labels.severity === severity);
        assert.equal(found.length, 1, `${alert} ${severity}`);
        return found[0];
    };

    // The guides' alerts: name, severity, `for`, and the threshold the expression compares with.
    const guideAlerts: [string, string, string | undefined, RegExp][] = [
        ["ServiceDown", "critical", "1m", /^up\{job!~"postgres\|redis"\} == 0$/],
        ["EndpointDown", "critical", "2m", /^probe_success == 0$/],
        ["HighErrorRate", "warning", "5m", /job="worker".*> 0\.02$/],
        ["HighErrorRate", "critical", "5m", /job="api".*> 0\.01\) or \(.*job="worker".*> 0\.1\)$/],
        ["HighResponseTime", "warning", "5m", /^histogram_quantile\(0\.95, .*> 2$/],
        ["DatabaseDown", "critical", "1m", /^pg_up == 0 or up\{job="postgres"\} == 0$/],
        ["DatabaseConnectionsHigh", "warning", "5m", /pg_settings_max_connections\) > 80$/],
        ["ReplicaLag", "critical", "2m", /^pg_replication_lag_seconds > 300$/],
        ["HighCPU", "warning", "5m", /mode="idle".* > 80$/],
        ["HighMemory", "warning", "5m", /MemAvailable_bytes \/ node_memory_MemTotal_bytes\) > 85$/],
        ["DiskSpaceLow", "critical", "5m", /node_filesystem_size_bytes\{fstype!~"tmpfs\|ramfs\|overlay\|squashfs\|nsfs"\}\) > 90$/],
        ["CertificateExpiry", "warning", "10m", /^probe_ssl_earliest_cert_expiry - time\(\) < 30 \* 86400$/],
    ];
    for (const [alert, severity, forDuration, expr] of guideAlerts) {
        test(`${alert} (${severity}, for ${forDuration}) compares with the configured threshold`, () => {
            const r = ruleOf(alert, severity);
            assert.equal(r.for, forDuration);
            assert.match(r.expr, expr);
        });
    }

    test("HighErrorRate: no warning rule for an application whose critical threshold is lower", () => {
        assert.doesNotMatch(ruleOf("HighErrorRate", "warning").expr, /api/);
    });

    test("BackupMissing: a stale success after 26 h, or no success reported, for each backup", () => {
        const backup = rules.filter((r) => r.alert === "BackupMissing");
        assert.deepEqual(backup.map((r) => [r.labels.cause, r.expr]), [
            ["stale", "time() - max by (backup) (keel_backup_last_success_timestamp_seconds) > 93600"],
            ["absent", 'absent(keel_backup_last_success_timestamp_seconds{backup="database-dumps"}) or absent(keel_backup_last_success_timestamp_seconds{backup="uploads"})'],
        ]);
    });

    test("every alert has a severity, summary, description and a runbook_url to a page in docs/runbooks", () => {
        assert.ok(rules.length >= 16);
        for (const r of rules) {
            assert.ok(["critical", "warning"].includes(r.labels.severity), r.alert);
            assert.ok(r.annotations.summary.length > 10 && r.annotations.description.length > 20, r.alert);
            assert.equal(r.annotations.runbook_url, `${spec.runbookBaseUrl}/${runbookSlug(r.alert)}.md`);
            const page = join(repositoryRoot, "docs/runbooks", `${runbookSlug(r.alert)}.md`);
            assert.ok(existsSync(page), `${r.alert}: ${page} does not exist`);
        }
    });

    test("runbook slugs", () => {
        assert.deepEqual(["ServiceDown", "HighCPU", "ErrorBudgetBurn", "DatabaseConnectionsHigh"].map(runbookSlug), ["service-down", "high-cpu", "error-budget-burn", "database-connections-high"]);
    });

    test("every alert name has promtool cases that fire it and cases that must not", () => {
        const families = alertFamilies(spec);
        assert.deepEqual(families.map((f) => f.alertname).sort(), [...new Set(rules.map((r) => r.alert))].sort());
        for (const family of families) {
            assert.ok(family.cases.some((c) => c.alerts.length > 0), `${family.alertname} has no firing case`);
            assert.ok(family.cases.some((c) => c.alerts.length === 0), `${family.alertname} has no quiet case`);
            for (const r of family.rules) assert.ok(family.cases.some((c) => c.alerts.some((a) => a.rule === r)), `${family.alertname} ${JSON.stringify(r.labels)} never fires in a test`);
        }
        const tests = yamlOf("tests/alerts.yml").tests as { alert_rule_test: { alertname: string }[] }[];
        assert.equal(tests.length, families.filter((f) => f.alertname !== "ErrorBudgetBurn").reduce((n, f) => n + f.cases.length, 0));
    });
});

describe("SLO rules", () => {
    const groups = groupsOf("rules/slo.yml");

    test("per SLO: error ratios over 5m…3d, the objective and the budget left over the period", () => {
        assert.deepEqual(groups.map((g) => g.name), ["slo-availability", "slo-latency"]);
        for (const group of groups) {
            assert.deepEqual(group.rules.filter((r) => r.record !== undefined).map((r) => r.record), [
                ...["5m", "30m", "1h", "2h", "6h", "1d", "3d"].map((w) => `slo:sli_error:ratio_rate${w}`),
                "slo:objective:ratio",
                "slo:error_budget_remaining:ratio",
            ]);
        }
        const availability = groups[0].rules;
        assert.equal(availability[2].expr, '(sum(rate(http_requests_total{job=~"api|worker",status=~"5.."}[1h])) or vector(0)) / sum(rate(http_requests_total{job=~"api|worker"}[1h]))');
        assert.equal(availability[7].expr, "vector(0.999)");
        assert.equal(availability[8].expr, '1 - avg_over_time(slo:sli_error:ratio_rate5m{slo="availability"}[15d]) / 0.001');
        assert.match(groups[1].rules[0].expr, /le="0\.5"/);
    });

    test("page: 14.4× over 1 h and 5 min, or 6× over 6 h and 30 min; ticket: 3× over 1 d and 2 h, or 1× over 3 d and 6 h", () => {
        const burn = groups[0].rules.filter((r) => r.alert === "ErrorBudgetBurn");
        const ratio = (w: string, f: string) => `slo:sli_error:ratio_rate${w}{slo="availability"} > (${f} * 0.001)`;
        assert.deepEqual(burn.map((r) => [r.labels.severity, r.expr]), [
            ["critical", `(${ratio("1h", "14.4")} and ${ratio("5m", "14.4")}) or (${ratio("6h", "6")} and ${ratio("30m", "6")})`],
            ["warning", `(${ratio("1d", "3")} and ${ratio("2h", "3")}) or (${ratio("3d", "1")} and ${ratio("6h", "1")})`],
        ]);
    });

    test("whole-second latency thresholds match both `le` spellings (2 and 2.0)", () => {
        const latency = renderMonitoring({ ...spec, slos: [{ name: "latency", kind: "latency", objective: 0.99, latencyThresholdSeconds: 2 }] });
        const expr = (parse(file("rules/slo.yml", latency).content) as { groups: { rules: Rule[] }[] }).groups[0].rules[0].expr;
        assert.match(expr, /le=~"2\(\\\\\.0\)\?"/);
    });
});

describe("alertmanager.yml", () => {
    const config = yamlOf("alertmanager.yml") as { global: Record<string, unknown>; route: Record<string, unknown>; inhibit_rules: unknown[]; receivers: Record<string, unknown>[] };
    const receiver = (name: string) => config.receivers.find((r) => r.name === name);

    test("groups by alert name, repeats hourly, routes by severity", () => {
        assert.deepEqual(config.route, {
            receiver: "warning",
            group_by: ["alertname"],
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: "1h",
            routes: [
                { receiver: "heartbeat", matchers: ['alertname="Watchdog"'], group_wait: "0s", group_interval: "1m", repeat_interval: "5m" },
                { receiver: "null", matchers: ['alertname="InfoInhibitor"'] },
                { receiver: "critical", matchers: ['severity="critical"'] },
                { receiver: "warning", matchers: ['severity="warning"'] },
            ],
        });
    });

    test("Watchdog pings the heartbeat (a webhook whose URL is a file), never a person", () => {
        assert.deepEqual(receiver("heartbeat"), { name: "heartbeat", webhook_configs: [{ url_file: "/etc/alertmanager/secrets/heartbeat-url", send_resolved: false }] });
        assert.deepEqual(receiver("null"), { name: "null" });
    });

    test("critical → PagerDuty + Slack + email; warning → Slack + email", () => {
        assert.deepEqual(Object.keys(receiver("critical") ?? {}), ["name", "pagerduty_configs", "slack_configs", "email_configs"]);
        assert.deepEqual(Object.keys(receiver("warning") ?? {}), ["name", "slack_configs", "email_configs"]);
        assert.deepEqual((receiver("critical")?.pagerduty_configs as unknown[])[0], { routing_key_file: "/etc/alertmanager/secrets/pagerduty-routing-key", severity: "critical", send_resolved: true });
        assert.deepEqual((receiver("warning")?.slack_configs as Record<string, unknown>[]).map((s) => s.channel), ["#alerts-warning"]);
    });

    test("a warning is muted while the same alert (name, job, instance, SLO) is critical", () => {
        assert.deepEqual(config.inhibit_rules[0], { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["alertname", "job", "instance", "slo"] });
    });

    test("info alerts are inhibited as kube-prometheus-stack's InfoInhibitor rule expects", () => {
        assert.deepEqual(config.inhibit_rules.slice(1), [
            { source_matchers: ['severity=~"critical|warning"'], target_matchers: ['severity="info"'], equal: ["namespace", "alertname"] },
            { source_matchers: ['alertname="InfoInhibitor"'], target_matchers: ['severity="info"'], equal: ["namespace"] },
        ]);
    });

    test("credentials only as files: no key, URL or password value in the file", () => {
        assert.equal(config.global.smtp_auth_password_file, "/etc/alertmanager/secrets/smtp-password");
        const content = file("alertmanager.yml").content;
        assert.doesNotMatch(content, /routing_key:|service_key:|api_url:|auth_password:|hooks\.slack\.com/);
        assert.deepEqual(content.match(/\w+_file:/g)?.sort(), ["api_url_file:", "api_url_file:", "routing_key_file:", "smtp_auth_password_file:", "url_file:"]);
    });

    test("without receivers the routing tree is the same, the receivers are empty and Watchdog goes nowhere", () => {
        const local = parse(file("alertmanager.yml", renderMonitoring({ ...spec, alerting: {} })).content) as typeof config;
        assert.deepEqual(local.receivers, [{ name: "critical" }, { name: "warning" }, { name: "null" }]);
        const watchdog = (route: Record<string, unknown>) => (route.routes as Record<string, unknown>[])[0];
        assert.equal(watchdog(local.route).receiver, "null");
        assert.deepEqual({ ...local.route, routes: (local.route.routes as unknown[]).slice(1) }, { ...config.route, routes: (config.route.routes as unknown[]).slice(1) });
        assert.deepEqual(local.global, { resolve_timeout: "5m" });
    });
});

describe("Grafana provisioning", () => {
    test("datasources (apiVersion 1): Prometheus by default, Loki linking to traces, Jaeger linking to logs", () => {
        const { apiVersion, datasources } = yamlOf("grafana/provisioning/datasources/keel.yml") as { apiVersion: number; datasources: Record<string, unknown>[] };
        assert.equal(apiVersion, 1);
        assert.deepEqual(datasources.map((d) => [d.name, d.type, d.uid, d.url, d.isDefault ?? false]), [
            ["Prometheus", "prometheus", "prometheus", "http://prometheus:9090", true],
            ["Loki", "loki", "loki", "http://loki:3100", false],
            ["Jaeger", "jaeger", "jaeger", "http://jaeger:16686", false],
        ]);
        const loki = datasources[1].jsonData as { derivedFields: Record<string, string>[] };
        // `$$` keeps Grafana's provisioning from expanding ${__value.raw} as an environment variable.
        assert.deepEqual(loki.derivedFields[0], { name: "TraceID", matcherRegex: '"traceId":"(\\w+)"', datasourceUid: "jaeger", url: "$${__value.raw}", urlDisplayLabel: "View trace" });
        const jaeger = datasources[2].jsonData as { tracesToLogsV2: Record<string, unknown> };
        assert.equal(jaeger.tracesToLogsV2.datasourceUid, "loki");
        assert.equal(jaeger.tracesToLogsV2.filterByTraceID, true);
    });

    test("the dashboard provider reads the mounted dashboards and refuses UI edits", () => {
        assert.deepEqual(yamlOf("grafana/provisioning/dashboards/keel.yml"), {
            apiVersion: 1,
            providers: [{ name: "keel", orgId: 1, folder: "Keel", folderUid: "keel", type: "file", disableDeletion: true, allowUiUpdates: false, updateIntervalSeconds: 60, options: { path: "/etc/grafana/dashboards", foldersFromFilesStructure: false } }],
        });
    });

    const dashboardCases: [string, string, string[]][] = [
        ["keel-system-overview", "Keel / System overview", ["Health (up)", "Latency p50 / p95", "Request rate", "Error rate (5xx)", "CPU busy"]],
        ["keel-sla", "Keel / SLA and error budget", ["Availability (probes)", "availability: error budget left (15 d)", "availability: SLI (good share, 1 h)", "availability: burn rate", "latency: error budget left (15 d)", "latency: SLI (good share, 1 h)", "latency: burn rate"]],
        ["keel-database", "Keel / Database", ["PostgreSQL up", "Connections (% of max_connections)", "Replication lag", "Transactions", "Cache hit ratio", "Last successful backup (age)"]],
        ["keel-capacity", "Keel / Capacity and autoscaling", ["Instances (min 2, max 10)", "Average CPU vs the 70 % scaling target", "Average memory vs the 80 % scaling target", "Requests per instance", "Disk used"]],
    ];
    for (const [uid, title, panels] of dashboardCases) {
        test(`${uid}: stable uid, title and panels, every query on the Prometheus datasource`, () => {
            const dashboard = JSON.parse(file(`grafana/dashboards/${uid}.json`).content) as { uid: string; title: string; panels: { id: number; title: string; datasource: unknown; gridPos: { x: number; w: number }; targets: { expr: string; datasource: unknown }[] }[] };
            assert.equal(dashboard.uid, uid);
            assert.equal(dashboard.title, title);
            assert.deepEqual(dashboard.panels.map((p) => p.title), panels);
            assert.deepEqual(dashboard.panels.map((p) => p.id), panels.map((_, i) => i + 1));
            for (const panel of dashboard.panels) {
                assert.ok(panel.gridPos.x + panel.gridPos.w <= 24, panel.title);
                assert.deepEqual(panel.datasource, { type: "prometheus", uid: "prometheus" });
                assert.ok(panel.targets.length > 0 && panel.targets.every((t) => t.expr.length > 0), panel.title);
            }
        });
    }

    test("the overview's error-rate threshold is the lowest paging ratio", () => {
        const overview = JSON.parse(file("grafana/dashboards/keel-system-overview.json").content) as { panels: { title: string; fieldConfig: { defaults: { thresholds: { steps: { value: number | null }[] } } } }[] };
        const errorPanel = overview.panels.find((p) => p.title === "Error rate (5xx)");
        assert.deepEqual(errorPanel?.fieldConfig.defaults.thresholds.steps.map((s) => s.value), [null, 0.01]);
    });
});
