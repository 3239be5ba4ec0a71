import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { stringify } from "yaml";
import { found, resource, runPolicy } from "../testing";
import { alertmanagerInhibition, criticalAlertsPage, grafanaAdminSecret, pagingProblem, parseSizeGb, prometheusAlertRules, prometheusRetention, readsSeries } from "./monitoring";

const paging = {
    route: {
        receiver: "warning",
        group_by: ["alertname"],
        routes: [
            { matchers: ['alertname="Watchdog"'], receiver: "null" },
            { matchers: ['severity="critical"'], receiver: "critical" },
            { matchers: ['severity="warning"'], receiver: "warning" },
        ],
    },
    inhibit_rules: [
        { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["alertname", "job", "instance"] },
        { source_matchers: ['severity=~"critical|warning"'], target_matchers: ['severity="info"'], equal: ["namespace", "alertname"] },
        { source_matchers: ['alertname="InfoInhibitor"'], target_matchers: ['severity="info"'], equal: ["namespace"] },
    ],
    receivers: [
        { name: "warning", slack_configs: [{ channel: "#alerts-warning", api_url_file: "/etc/alertmanager/secrets/slack" }] },
        { name: "critical", pagerduty_configs: [{ routing_key_file: "/etc/alertmanager/secrets/pagerduty" }], slack_configs: [{ channel: "#alerts-critical" }] },
        { name: "null" },
    ],
};
type Config = typeof paging;
const withRoutes = (routes: unknown[], extra: Partial<Config["route"]> = {}) => ({ ...paging, route: { ...paging.route, ...extra, routes } });
const [watchdogRoute, criticalRoute, warningRoute] = paging.route.routes;

const container = (config: unknown, command?: string[]) => resource("docker:index/container:Container", {
    ...(command ? { command } : {}),
    uploads: [{ file: "/etc/alertmanager/alertmanager.yml", content: stringify(config) }],
    volumes: [{ containerPath: "/etc/alertmanager/secrets", hostPath: "/srv/alertmanager/secrets", readOnly: true }],
}, { name: "alertmanager" });
const release = (values: Record<string, unknown>, name = "kps") =>
    resource("kubernetes:helm.sh/v3:Release", { chart: "kube-prometheus-stack", name: "kube-prometheus-stack", namespace: "monitoring", values }, { name });
const credentials = { volumes: [{ name: "credentials", secret: { secretName: "alertmanager-credentials" } }], volumeMounts: [{ name: "credentials", mountPath: "/etc/alertmanager/secrets", readOnly: true }] };
const withAlertmanager = (alertmanager: Record<string, unknown>, prometheusSpec: Record<string, unknown> = {}) => release({
    alertmanager: { ...alertmanager, alertmanagerSpec: { ...credentials, ...(alertmanager.alertmanagerSpec as Record<string, unknown> | undefined) } },
    prometheus: { prometheusSpec: { ruleSelectorNilUsesHelmValues: false, retention: "15d", ...prometheusSpec } },
});
const required = { "keel-critical-alerts-page": { requirePaging: true } };
const pages = (...fixtures: Parameters<typeof found>[1]) => found(criticalAlertsPage, fixtures, required);

/** A PrometheusRule with the guides' alerts, each `[name, severity]`, firing after a minute. */
const guideRules = (alerts: [string, string][], options: { name?: string; labels?: Record<string, string>; rule?: Record<string, unknown> } = {}) =>
    resource("kubernetes:monitoring.coreos.com/v1:PrometheusRule", {
        metadata: { name: options.name ?? "keel-alerts", namespace: "monitoring", labels: options.labels ?? { "app.kubernetes.io/part-of": "keel" } },
        spec: { groups: [{ name: "keel", rules: alerts.map(([alert, severity]) => ({ alert, expr: `${alert.toLowerCase()}_metric > 1`, for: "1m", labels: { severity }, ...options.rule })) }] },
    }, { name: options.name ?? "keel-alerts" });
const guideAlerts: [string, string][] = [
    ["ServiceDown", "critical"], ["EndpointDown", "critical"], ["HighErrorRate", "warning"], ["HighResponseTime", "warning"], ["DatabaseDown", "critical"],
    ["DatabaseConnectionsHigh", "warning"], ["ReplicaLag", "critical"], ["HighCPU", "warning"], ["HighMemory", "warning"], ["DiskSpaceLow", "critical"], ["ErrorBudgetBurn", "critical"],
];

describe("keel-critical-alerts-page", () => {
    test("a critical alert {alertname: X} reaches the paging receiver through Alertmanager's routing", () => {
        assert.equal(pagingProblem(paging, { alertname: "X", severity: "critical" }), undefined);
        assert.match(pagingProblem(paging, { alertname: "X", severity: "warning" }) ?? "", /pages nobody/);
    });

    test("passes a paging configuration in a container upload, a Secret (stringData or base64 data), Helm values, stringConfig or a config string", async () => {
        assert.deepEqual(await pages(container(paging)), []);
        assert.deepEqual(await pages(resource("kubernetes:core/v1:Secret", { stringData: { "alertmanager.yaml": stringify(paging) } })), []);
        assert.deepEqual(await pages(resource("kubernetes:core/v1:Secret", { data: { "alertmanager.yaml": Buffer.from(stringify(paging)).toString("base64") } })), []);
        assert.deepEqual(await pages(withAlertmanager({ config: paging })), []);
        assert.deepEqual(await pages(withAlertmanager({ tplConfig: true, stringConfig: stringify(paging) })), []);
        assert.deepEqual(await pages(withAlertmanager({ config: stringify(paging) })), []);
    });

    test("refuses critical alerts routed to a receiver that pages nobody, or a tree without a critical route", async () => {
        assert.deepEqual(await pages(container(withRoutes([watchdogRoute, { ...criticalRoute, receiver: "warning" }]))), [
            'Alertmanager configuration of alertmanager (upload /etc/alertmanager/alertmanager.yml) does not page for critical alert {alertname="AnyCriticalAlert", severity="critical"} (and 1 more critical alert): it reaches route.routes[1] ([severity="critical"], receiver warning), which pages nobody (ops guides: critical alerts page the on-call)',
        ]);
        assert.match((await pages(container(withRoutes([watchdogRoute, warningRoute]))))[0], /it reaches route \(no matchers, receiver warning\), which pages nobody/);
    });

    test("refuses a catch-all before the paging route without continue: true — no matchers, or matchers that match everything", async () => {
        for (const catchAll of [{ receiver: "warning" }, { receiver: "warning", matchers: ['alertname=~".*"'] }, { receiver: "warning", match_re: { severity: ".+" } }, { receiver: "warning", matchers: ['severity!="none"'] }]) {
            const [message] = await pages(container(withRoutes([watchdogRoute, catchAll, criticalRoute])));
            assert.match(message, /catches it first and has no continue: true, so the paging route\.routes\[2\] never sees it/, JSON.stringify(catchAll));
        }
        assert.deepEqual(await pages(container(withRoutes([watchdogRoute, { receiver: "warning", continue: true }, criticalRoute]))), []);
    });

    test("refuses a route that catches the alerts real Prometheus sends: by external label or by a rule's alert name", async () => {
        const byEnvironment = release({
            alertmanager: { config: withRoutes([{ receiver: "warning", matchers: ['environment="production"'] }, criticalRoute]), alertmanagerSpec: credentials },
            prometheus: { prometheusSpec: { externalLabels: { environment: "production" } } },
        });
        assert.match((await pages(byEnvironment))[0], /environment="production".*catches it first/);
        const byName = withAlertmanager({ config: withRoutes([{ receiver: "warning", matchers: ['alertname=~"ServiceDown|DatabaseDown"'] }, criticalRoute]) });
        assert.match((await pages(byName, guideRules(guideAlerts)))[0], /critical alert \{.*alertname="ServiceDown".*\} \(and 1 more critical alert\)/);
    });

    test("refuses a paging route muted by time intervals, waiting hours, or a PagerDuty receiver without a key", async () => {
        const intervals = { time_intervals: [{ name: "always", time_intervals: [{}] }, { name: "office-hours", time_intervals: [{ weekdays: ["monday:friday"], times: [{ start_time: "09:00", end_time: "17:00" }] }] }] };
        assert.match((await pages(container({ ...withRoutes([{ ...criticalRoute, mute_time_intervals: ["always"] }]), ...intervals })))[0], /is muted during always \(mute_time_intervals\)/);
        assert.match((await pages(container({ ...withRoutes([{ ...criticalRoute, active_time_intervals: ["office-hours"] }]), ...intervals })))[0], /pages only during office-hours/);
        assert.match((await pages(container(withRoutes([{ ...criticalRoute, group_wait: "2h" }]))))[0], /waits 120m \(group_wait\) before the first page, more than 5m/);
        const unmounted = withAlertmanager({ config: paging, alertmanagerSpec: { volumeMounts: [], secrets: ["slack"] } });
        assert.match((await pages(unmounted))[0], /no receiver pages \(.* readable in \/etc\/alertmanager\/config, \/etc\/alertmanager\/secrets\/slack\)/);
        const keyless = { ...paging, receivers: [...paging.receivers.filter((r) => r.name !== "critical"), { name: "critical", pagerduty_configs: [{ severity: "critical" }] }] };
        assert.match((await pages(container(keyless)))[0], /no receiver pages/);
    });

    test("refuses Alertmanager disabled, scaled to zero, absent, or configured outside the plan", async () => {
        assert.deepEqual(await pages(withAlertmanager({ enabled: false, config: paging })), ["kps runs no Alertmanager (alertmanager.enabled is false): critical alerts page nobody (ops guides: critical alerts page the on-call)"]);
        assert.match((await pages(withAlertmanager({ config: paging, alertmanagerSpec: { replicas: 0 } })))[0], /replicas is 0/);
        assert.deepEqual(await pages(resource("aws:sns/topic:Topic")), ["no Alertmanager in the stack: critical alerts page nobody (ops guides: critical alerts page the on-call)"]);
        assert.match((await pages(withAlertmanager({ config: paging, alertmanagerSpec: { useExistingSecret: true } })))[0], /Secret "alertmanager-kube-prometheus-stack-alertmanager", which is not in the plan/);
        assert.match((await pages(withAlertmanager({ config: paging, alertmanagerSpec: { alertmanagerConfiguration: { name: "global" } } })))[0], /AlertmanagerConfig "global"/);
        assert.match((await pages(container(paging, ["--config.file=/etc/alertmanager/other.yml"])))[0], /loads \/etc\/alertmanager\/other\.yml, which is not among its uploads/);
        const existing = resource("kubernetes:core/v1:Secret", { metadata: { name: "alertmanager-kube-prometheus-stack-alertmanager" }, stringData: { "alertmanager.yaml": stringify(paging) } });
        assert.deepEqual(await pages(withAlertmanager({ alertmanagerSpec: { useExistingSecret: true } }), existing), []);
    });

    test("refuses a silent stringConfig beside a paging config, the chart's default config, and Prometheus that sends alerts nowhere", async () => {
        assert.match((await pages(withAlertmanager({ config: paging, stringConfig: stringify(withRoutes([])) })))[0], /values\.alertmanager\.stringConfig/);
        assert.match((await pages(withAlertmanager({})))[0], /receiver null/);
        assert.match((await pages(withAlertmanager({ config: paging }, { disableAlerting: true })))[0], /disableAlerting is on, so critical alerts never reach Alertmanager/);
        assert.match((await pages(withAlertmanager({ config: paging }, { alertingEndpoints: [{ name: "nowhere", namespace: "x", port: "web" }] })))[0], /sends alerts to x\/nowhere instead of the release's Alertmanager/);
    });

    test("refuses a configuration Alertmanager would refuse to load: an undefined receiver or time interval, a receiver defined twice", async () => {
        assert.deepEqual(await pages(container(withRoutes([{ matchers: ['team="db"'], receiver: "db" }, criticalRoute]))), [
            'Alertmanager configuration of alertmanager (upload /etc/alertmanager/alertmanager.yml) would be refused by Alertmanager: route.routes[0] names the undefined receiver "db"; critical alerts would page nobody (ops guides: critical alerts page the on-call)',
        ]);
        assert.match((await pages(container(withRoutes([{ ...criticalRoute, mute_time_intervals: ["nights"] }]))))[0], /undefined time interval "nights"/);
        assert.match((await pages(container({ ...paging, receivers: [...paging.receivers, { name: "critical" }] })))[0], /receiver "critical" is defined twice/);
    });

    test("refuses a configuration it cannot evaluate as Alertmanager would", async () => {
        assert.match((await pages(container(withRoutes([{ receiver: "warning", matchers: ['alertname=~"(?U)a+"'] }, criticalRoute]))))[0], /cannot be read as Alertmanager would/);
    });

    test("is off by default (local and staging route nowhere), and leaves configurations unknown at preview unjudged", async () => {
        assert.deepEqual(await runPolicy(criticalAlertsPage, [container(withRoutes([]))]), []);
        assert.deepEqual(await pages(resource("kubernetes:core/v1:Secret", { stringData: { "alertmanager.yaml": "[secret]" } })), []);
        assert.deepEqual(await pages(withAlertmanager({ config: { ...paging, route: { ...paging.route, routes: "[unknown]" } } })), []);
        const secretConfig = resource("kubernetes:core/v1:Secret", { metadata: { name: "am-config" }, stringData: "[secret]" }, { name: "am-config" });
        assert.deepEqual(await pages(withAlertmanager({ alertmanagerSpec: { configSecret: "am-config" } }), secretConfig), []);
    });
});

describe("keel-alertmanager-inhibition", () => {
    const inhibition = (...fixtures: Parameters<typeof found>[1]) => found(alertmanagerInhibition, fixtures);
    const withInhibitions = (rules: unknown[]) => container({ ...paging, inhibit_rules: [...paging.inhibit_rules, ...rules] });

    test("passes Keel's inhibitions and the chart's defaults (warnings and info muted, InfoInhibitor itself)", async () => {
        assert.deepEqual(await inhibition(container(paging)), []);
        assert.deepEqual(await inhibition(withAlertmanager({ config: { ...paging, inhibit_rules: undefined } })), []);
    });

    test("refuses an inhibit rule whose targets can be critical alerts", async () => {
        assert.deepEqual(await inhibition(withInhibitions([{ source_matchers: ['alertname="Watchdog"'], target_matchers: ['severity="critical"'] }])), [
            'Alertmanager configuration of alertmanager (upload /etc/alertmanager/alertmanager.yml): inhibit_rules[3] (source [alertname="Watchdog"], target [severity="critical"]) can mute critical alerts whenever its source fires: target only warning or info alerts (ops guides: critical alerts page the on-call)',
        ]);
        for (const rule of [
            { source_matchers: ['alertname="Watchdog"'] },
            { source_match: { alertname: "Watchdog" }, target_match_re: { severity: "crit.*" } },
            { source_matchers: ['severity="warning"'], target_matchers: ['severity!="warning"'] },
            { source_matchers: ['alertname="NodeDown"'], target_matchers: ['alertname=~".+"'], equal: ["instance"] },
            { source_matchers: ['severity="critical"'], target_matchers: ['{severity=~"warning|critical"}'], equal: ["alertname"] },
        ]) {
            assert.equal((await inhibition(withInhibitions([rule]))).length, 1, JSON.stringify(rule));
        }
    });
});

describe("keel-prometheus-alert-rules", () => {
    const rules = (...fixtures: Parameters<typeof found>[1]) => found(prometheusAlertRules, fixtures);
    const kps = withAlertmanager({ config: paging });

    test("passes the guides' alerts, BackupMissing where backups are taken, and has nothing to judge without Prometheus", async () => {
        assert.deepEqual(await rules(kps, guideRules(guideAlerts)), []);
        assert.deepEqual(await rules(kps, guideRules([...guideAlerts, ["BackupMissing", "critical"]]), resource("aws:backup/plan:Plan")), []);
        assert.deepEqual(await rules(guideRules([])), []);
    });

    test("refuses a removed alert rule, a missing BackupMissing where backups are taken, and rules Prometheus does not select", async () => {
        assert.deepEqual(await rules(kps, guideRules(guideAlerts.filter(([name]) => name !== "DatabaseDown"))), ["Prometheus of kps has no DatabaseDown alert rule (ops guides' alerts)"]);
        assert.deepEqual(await rules(kps, guideRules(guideAlerts), resource("aws:backup/plan:Plan")), ["Prometheus of kps has no BackupMissing alert rule (ops guides' alerts)"]);
        const defaultSelector = release({ prometheus: { prometheusSpec: {} } });
        assert.deepEqual(await rules(defaultSelector, guideRules(guideAlerts)), [
            `Prometheus of kps loads no alert rule (PrometheusRules selected by ruleSelector {"matchLabels":{"release":"kube-prometheus-stack"}} in namespaces {}): none of the guides' alerts (${guideAlerts.map(([name]) => name).join(", ")}) would fire`,
        ]);
        assert.deepEqual(await rules(defaultSelector, guideRules(guideAlerts, { labels: { release: "kube-prometheus-stack" } })), []);
    });

    test("refuses a critical alert downgraded, a rule that reads no series, and one that waits hours", async () => {
        const downgraded = guideAlerts.map(([name, severity]): [string, string] => [name, name === "ServiceDown" ? "warning" : severity]);
        assert.deepEqual(await rules(kps, guideRules(downgraded)), ['Prometheus of kps labels ServiceDown severity="warning", not critical: it would page nobody (ops guides\' alerts)']);
        assert.equal((await rules(kps, guideRules(guideAlerts, { rule: { expr: "vector(0) > 1" } }))).length, guideAlerts.length);
        assert.match((await rules(kps, guideRules(guideAlerts, { rule: { for: "24h" } })))[0], /waits 1440m \(for\) before firing, more than 15m/);
        assert.equal(readsSeries('up{job="app"} == 0'), true);
        assert.equal(readsSeries("absent(keel_backup_last_success_timestamp_seconds)"), true);
        assert.equal(readsSeries("vector(1) > bool 0"), false);
    });

    test("refuses Prometheus disabled in the release, and a container that loads no rule file", async () => {
        assert.deepEqual(await rules(release({ prometheus: { enabled: false } }), guideRules(guideAlerts)), ["kps deploys no Prometheus (values.prometheus.enabled is false): the guides' alert rules are never evaluated"]);
        const prometheusContainer = resource("docker:index/container:Container", {
            command: ["--config.file=/etc/prometheus/prometheus.yml"],
            uploads: [
                { file: "/etc/prometheus/prometheus.yml", content: stringify({ global: {}, alerting: { alertmanagers: [{ static_configs: [{ targets: ["alertmanager:9093"] }] }] } }) },
                { file: "/etc/prometheus/rules/alerts.yml", content: stringify({ groups: [{ name: "keel", rules: guideAlerts.map(([alert, severity]) => ({ alert, expr: "up == 0", labels: { severity } })) }] }) },
            ],
        }, { name: "prometheus" });
        assert.match((await rules(prometheusContainer))[0], /^Prometheus of prometheus loads no alert rule \(rule_files \[\] of \/etc\/prometheus\/prometheus\.yml\)/);
    });
});

describe("keel-prometheus-retention", () => {
    const retention = (fixture: Parameters<typeof found>[1][number]) => found(prometheusRetention, [fixture], { "keel-prometheus-retention": { minimumDays: 15, minimumSizeGb: 100 } });
    const spec = (prometheusSpec: Record<string, unknown>) => release({ prometheus: { prometheusSpec } });

    test("passes the environment's retention in any duration form", async () => {
        assert.deepEqual(await retention(spec({ retention: "15d", retentionSize: "100GB" })), []);
        assert.deepEqual(await retention(spec({ retention: "360h", retentionSize: "120GiB" })), []);
        assert.deepEqual(await retention(spec({ retention: "1y" })), []);
        assert.equal(parseSizeGb("512MB"), 0.5);
    });

    test("refuses a shorter retention, the chart's default (10d), a smaller size, and a value that is no duration", async () => {
        assert.deepEqual(await retention(spec({ retention: "7d" })), ["Prometheus of kps keeps metrics 7d (values.prometheus.prometheusSpec), less than the environment's 15d"]);
        assert.deepEqual(await retention(spec({})), ["Prometheus of kps keeps metrics 10d (values.prometheus.prometheusSpec), less than the environment's 15d"]);
        assert.deepEqual(await retention(spec({ retention: "2w" })), ["Prometheus of kps keeps metrics 2w (values.prometheus.prometheusSpec), less than the environment's 15d"]);
        assert.deepEqual(await retention(spec({ retention: "15d", retentionSize: "10GB" })), ["Prometheus of kps caps its storage at 10GB (values.prometheus.prometheusSpec), less than the environment's 100GB: older metrics would be dropped early"]);
        assert.deepEqual(await retention(spec({ retention: "15 days" })), ['Prometheus of kps sets retention "15 days" (values.prometheus.prometheusSpec), which is not a duration']);
        const flags = resource("docker:index/container:Container", { command: ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.retention.time", "1d"] }, { name: "prometheus" });
        assert.deepEqual(await retention(flags), ["Prometheus of prometheus keeps metrics 1d (command), less than the environment's 15d"]);
    });
});

describe("keel-grafana-admin-secret", () => {
    test("passes a secret admin password, a password file and admin.existingSecret", async () => {
        const plan = [
            resource("docker:index/container:Container", { envs: ["GF_SECURITY_ADMIN_USER=admin", "[secret]"] }, { name: "grafana" }),
            resource("docker:index/container:Container", { envs: ["GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/admin"] }, { name: "grafana-file" }),
            resource("kubernetes:helm.sh/v3:Release", { chart: "kube-prometheus-stack", values: { grafana: { admin: { existingSecret: "grafana-admin" } } } }, { name: "kps" }),
        ];
        assert.deepEqual(await runPolicy(grafanaAdminSecret, plan), []);
    });

    test("refuses a plain admin password in a container or in Helm values, and a chart left to generate one", async () => {
        const plan = [
            resource("docker:index/container:Container", { envs: ["GF_SECURITY_ADMIN_PASSWORD=admin"] }, { name: "grafana" }),
            resource("kubernetes:helm.sh/v3:Release", { chart: "kube-prometheus-stack", values: { grafana: { adminPassword: "prom-operator" } } }, { name: "kps" }),
            resource("kubernetes:helm.sh/v3:Release", { chart: "grafana", values: { persistence: { enabled: true } } }, { name: "grafana-chart" }),
        ];
        assert.deepEqual(await found(grafanaAdminSecret, plan), [
            "container grafana sets GF_SECURITY_ADMIN_PASSWORD in plain text: pass it as a secret or use GF_SECURITY_ADMIN_PASSWORD__FILE",
            "Helm release kps sets grafana.adminPassword in its values: use admin.existingSecret",
            "Helm release grafana-chart runs Grafana without admin.existingSecret: the chart would generate a password outside Pulumi",
        ]);
    });
});
