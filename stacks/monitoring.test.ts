import * as docker from "@pulumi/docker";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { checkWithPrometheusTools, monitoringImages, renderMonitoring, runTool, type ToolRun } from "../components/monitoring";
import type { PlanRecord } from "../offline-plan/engine";
import { loadStackConfig } from "../offline-plan/stack-config";
import { ofType, planComponents, projectRoot, text } from "../tests/plans";
import { resolveKeelConfig, type KeelConfig } from "./config";
import { environments, type Environment } from "./environments";
import { localMonitoring, monitoringSpec, writeMonitoringFiles } from "./monitoring";

const configOf = (environment: Environment): KeelConfig => resolveKeelConfig(loadStackConfig(projectRoot, environment, []).config, environment);

describe("monitoring spec per environment", () => {
    const specs = Object.fromEntries(environments.map((e) => [e, monitoringSpec(configOf(e))]));

    // [environment, alerting, grafana, logs, traces, Prometheus retention, log retention, SLO period]
    const cases: [Environment, boolean, boolean, boolean, boolean, string, number | undefined, number][] = [
        ["local", true, true, true, true, "2d/5GB", 7, 2],
        ["dev", false, false, false, false, "7d/20GB", undefined, 7],
        ["staging", false, true, true, false, "7d/50GB", 14, 7],
        ["production", true, true, true, true, "15d/100GB", 90, 15],
    ];
    for (const [environment, alerting, grafana, logs, traces, retention, logDays, sloDays] of cases) {
        test(`${environment}: alerting ${alerting}, Grafana ${grafana}, Loki ${logs}, Jaeger ${traces}; retention ${retention}`, () => {
            const spec = specs[environment];
            assert.deepEqual([spec.alerting !== undefined, spec.grafana !== undefined, spec.logs !== undefined, spec.traces !== undefined], [alerting, grafana, logs, traces]);
            assert.equal(`${spec.retention.days}d/${spec.retention.sizeGb}GB`, retention);
            assert.equal(spec.logs?.retentionDays, logDays);
            assert.equal(spec.sloPeriodDays, sloDays);
            assert.equal(spec.scrapeIntervalSeconds, 15);
            assert.equal(spec.applications[0].scrapeIntervalSeconds, 10);
        });
    }

    test("production: logs 90 d, security 365 d, debug 14 d in S3; traces sampled at 0.001 and kept 7 d", () => {
        const { logs, traces } = specs.production;
        assert.deepEqual(logs, { retentionDays: 90, securityRetentionDays: 365, debugRetentionDays: 14, storage: { kind: "s3", bucket: "keel-app-production-loki", region: "us-east-1" }, collector: "kubernetes" });
        assert.deepEqual(traces, { samplingRate: 0.001, retentionDays: 7 });
    });

    test("production pages at 1 % errors and on replica lag above its 5-minute RPO; elsewhere 5 % warns and the RPO is 1 h", () => {
        assert.deepEqual(specs.production.applications[0].errorRatio, { warning: 0.05, critical: 0.01 });
        assert.equal(specs.production.thresholds.replicaLagSeconds, 300);
        assert.deepEqual(specs.staging.applications[0].errorRatio, { warning: 0.05 });
        assert.equal(specs.staging.thresholds.replicaLagSeconds, 3600);
    });

    test("BackupMissing follows the backup schedule: daily 26 h in production, weekly 8 d + 2 h in staging, none without backups; the dump job pushes to the cluster's Pushgateway", () => {
        assert.deepEqual(specs.production.backups, { names: ["database-dumps"], maxAgeHours: 26, pushgateway: "pushgateway.monitoring.svc:9091" });
        assert.deepEqual(specs.staging.backups, { names: ["database-dumps"], maxAgeHours: 194, pushgateway: "pushgateway.monitoring.svc:9091" });
        assert.equal(specs.dev.backups, undefined);
        assert.equal(specs.local.backups, undefined);
    });

    test("AWS environments discover instances by tag in every region; the laptop uses container names", () => {
        assert.deepEqual(specs.production.exporters.node, { kind: "ec2", regions: ["us-east-1", "us-west-2"], port: 9100, tags: { environment: "production", service: "keel-app" } });
        assert.deepEqual(specs.dev.applications[0].targets, { kind: "ec2", regions: ["us-east-1"], port: 3000, tags: { environment: "dev", service: "keel-app" } });
        assert.deepEqual(specs.local.applications[0].targets, { kind: "static", addresses: ["app:3000"] });
        assert.deepEqual(specs.production.probes, { urls: ["https://app.example.com/health"] });
        assert.equal(specs.local.endpoints.grafana, "grafana:3000");
        assert.equal(specs.production.endpoints.alertmanager, "alertmanager.monitoring.svc:9093");
    });

    test("only production has receivers: PagerDuty, Slack and email, all through files", () => {
        assert.deepEqual(specs.local.alerting, {});
        const alerting = specs.production.alerting;
        assert.equal(alerting?.pagerduty?.routingKeyFile, "/etc/alertmanager/secrets/pagerduty-routing-key");
        assert.equal(alerting?.slack?.apiUrlFile, "/etc/alertmanager/secrets/slack-webhook-url");
        assert.equal(alerting?.email?.passwordFile, "/etc/alertmanager/secrets/smtp-password");
        assert.equal(alerting?.email?.smarthost, "email-smtp.us-east-1.amazonaws.com:587");
        assert.equal(alerting?.heartbeat?.urlFile, "/etc/alertmanager/secrets/heartbeat-url");
    });

    test("production's alert thresholds and service level objectives are the guides'", () => {
        // Guides: p95 above 2 s, CPU above 80 %, memory above 85 %, disk above 90 %, connections above 80 %,
        // certificates within 30 days; replica lag above the 5-minute RPO; 99.9 % available, pages within 2 s.
        assert.deepEqual(specs.production.thresholds, {
            latencyP95Seconds: 2, cpuPercent: 80, memoryPercent: 85, diskPercent: 90, databaseConnectionsPercent: 80, replicaLagSeconds: 300, certificateExpiryDays: 30,
        });
        assert.deepEqual(specs.production.slos, [
            { name: "availability", kind: "availability", objective: 0.999 },
            { name: "latency", kind: "latency", objective: 0.99, latencyThresholdSeconds: 2 },
        ]);
        assert.deepEqual(specs.production.applications.map((a) => [a.name, a.errorRatio]), [["app", { warning: 0.05, critical: 0.01 }]]);
    });
});

describe("Prometheus watches Loki where it serves /metrics", () => {
    const monitoringTargets = (environment: Environment) => {
        const files = renderMonitoring(monitoringSpec(configOf(environment)));
        const prometheus = parse(files.find((f) => f.path === "prometheus.yml")?.content ?? "") as { scrape_configs: { job_name: string; static_configs?: { targets: string[] }[] }[] };
        return prometheus.scrape_configs.find((job) => job.job_name === "monitoring")?.static_configs?.[0]?.targets ?? [];
    };
    test("production (simple scalable, the API behind the gateway) scrapes the read path", () => {
        assert.ok(monitoringTargets("production").includes("loki-read.monitoring.svc:3100"));
        assert.ok(!monitoringTargets("production").includes("loki.monitoring.svc:3100"));
    });
    test("staging (monolithic) scrapes Loki itself", () => {
        assert.ok(monitoringTargets("staging").includes("loki.monitoring.svc:3100"));
    });
});

describe("`--out`: production's files pass promtool and amtool", () => {
    let out: string;
    let written: string[];
    let runs: ToolRun[];
    before(() => {
        out = mkdtempSync(join(tmpdir(), "keel-out-"));
        written = writeMonitoringFiles(configOf("production"), out);
        runs = checkWithPrometheusTools(join(out, "monitoring"), ["rules/alerts.yml", "rules/slo.yml"], ["tests/alerts.yml", "tests/slo.yml"]);
    });
    after(() => rmSync(out, { recursive: true, force: true }));

    test("writes the configuration under monitoring/", () => {
        assert.deepEqual(written.map((f) => relative(out, f)).sort(), [
            "alertmanager.yml", "blackbox.yml", "config.alloy",
            "grafana/dashboards/keel-capacity.json", "grafana/dashboards/keel-database.json", "grafana/dashboards/keel-sla.json", "grafana/dashboards/keel-system-overview.json",
            "grafana/provisioning/dashboards/keel.yml", "grafana/provisioning/datasources/keel.yml",
            "jaeger-sampling.json", "jaeger.yml", "loki.yml", "prometheus.yml", "rules/alerts.yml", "rules/slo.yml", "tests/alerts.yml", "tests/slo.yml",
        ].map((f) => join("monitoring", f)));
    });

    test("promtool check config, check rules (lint fatal), test rules and amtool check-config all pass", () => {
        assert.deepEqual(runs.map((r) => r.command), [
            "promtool check config prometheus.yml",
            "promtool check rules --lint-fatal rules/alerts.yml rules/slo.yml",
            "promtool test rules tests/alerts.yml tests/slo.yml",
            "amtool check-config alertmanager.yml",
        ]);
        for (const run of runs) assert.equal(run.status, 0, `${run.command}\n${run.output}`);
    });

    test("the guides' alerts exist, each with promtool cases", () => {
        const rules = (parse(readFileSync(join(out, "monitoring/rules/alerts.yml"), "utf8")) as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.alert));
        const tested = (parse(readFileSync(join(out, "monitoring/tests/alerts.yml"), "utf8")) as { tests: { alert_rule_test: { alertname: string }[] }[] }).tests.map((t) => t.alert_rule_test[0].alertname);
        const guides = ["ServiceDown", "HighErrorRate", "HighResponseTime", "DatabaseDown", "DatabaseConnectionsHigh", "ReplicaLag", "HighCPU", "HighMemory", "DiskSpaceLow", "CertificateExpiry", "BackupMissing"];
        for (const alert of guides) {
            assert.ok(rules.includes(alert), `${alert} is not rendered`);
            assert.ok(tested.filter((t) => t === alert).length >= 2, `${alert} lacks a firing and a quiet case`);
        }
    });

    test("critical alerts route to the receiver with PagerDuty", () => {
        const dir = join(out, "monitoring");
        const routed = runTool("amtool", ["config", "routes", "test", "--config.file=alertmanager.yml", "alertname=ServiceDown", "severity=critical"], dir);
        assert.equal(routed.output.split("\n")[0].trim(), "critical");
        const config = parse(readFileSync(join(dir, "alertmanager.yml"), "utf8")) as { receivers: { name: string; pagerduty_configs?: { routing_key_file: string }[] }[] };
        assert.deepEqual(config.receivers.find((r) => r.name === "critical")?.pagerduty_configs?.map((p) => p.routing_key_file), ["/etc/alertmanager/secrets/pagerduty-routing-key"]);
    });

    test("amtool: Watchdog reaches only the heartbeat (no person); critical reaches PagerDuty, Slack and email; warning never pages", () => {
        const dir = join(out, "monitoring");
        const receiverOf = (...labels: string[]) => runTool("amtool", ["config", "routes", "test", "--config.file=alertmanager.yml", ...labels], dir).output.split("\n")[0].trim();
        assert.equal(receiverOf("alertname=Watchdog", "severity=none"), "heartbeat");
        assert.equal(receiverOf("alertname=InfoInhibitor", "severity=none"), "null");
        assert.equal(receiverOf("alertname=ServiceDown", "severity=critical"), "critical");
        assert.equal(receiverOf("alertname=HighCPU", "severity=warning"), "warning");
        const config = parse(readFileSync(join(dir, "alertmanager.yml"), "utf8")) as { receivers: Record<string, unknown>[] };
        const kinds = (name: string) => Object.keys(config.receivers.find((r) => r.name === name) ?? {}).filter((k) => k.endsWith("_configs")).sort();
        assert.deepEqual(kinds("heartbeat"), ["webhook_configs"]);
        assert.deepEqual(kinds("critical"), ["email_configs", "pagerduty_configs", "slack_configs"]);
        assert.deepEqual(kinds("warning"), ["email_configs", "slack_configs"]);
    });
});

describe("the local stack's monitoring containers", () => {
    let record: PlanRecord;
    before(async () => {
        const config = configOf("local");
        record = await planComponents(() => {
            const network = new docker.Network("keel-local", { name: "keel-local", driver: "bridge" });
            return localMonitoring(config, network.name);
        }, {}, "local");
    });

    test("Prometheus, Alertmanager, Grafana, Loki and Jaeger (and the collectors) run on pinned images", () => {
        const images = ofType(record, "docker:index/remoteImage:RemoteImage").map((r) => text(r.inputs.name, r.name)).sort();
        assert.deepEqual(images, Object.values(monitoringImages).sort());
        const containers = ofType(record, "docker:index/container:Container").map((r) => r.name).sort();
        assert.deepEqual(containers, ["alertmanager", "alloy", "blackbox-exporter", "grafana", "jaeger", "loki", "node-exporter", "prometheus"].map((h) => `monitoring-${h}`));
        for (const container of ofType(record, "docker:index/container:Container")) {
            assert.deepEqual(container.inputs.networksAdvanced, [{ name: "keel-local", aliases: [container.name.replace("monitoring-", "")] }]);
        }
    });

    test("exports the UIs' URLs and the Grafana password as a secret", () => {
        assert.equal(record.outputs.grafanaUrl, "http://127.0.0.1:3000");
        assert.equal(record.outputs.prometheusUrl, "http://127.0.0.1:9090");
        assert.equal(record.outputs.alertmanagerUrl, "http://127.0.0.1:9093");
        assert.equal(record.outputs.lokiUrl, "http://127.0.0.1:3100");
        assert.equal(record.outputs.jaegerUrl, "http://127.0.0.1:16686");
        assert.equal(record.outputs.grafanaAdminPassword, "[secret]");
    });
});
