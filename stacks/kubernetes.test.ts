import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { parse } from "yaml";
import { charts, relocateLokiPaths } from "../components/monitoring/kubernetes";
import { renderMonitoring } from "../components/monitoring";
import { evaluatePolicies } from "../policies/offline";
import { keelPolicies } from "../policies/rules";
import type { PlanRecord } from "../offline-plan/engine";
import type { PlanResource } from "../offline-plan/record";
import { loadStackConfig } from "../offline-plan/stack-config";
import { arnOf, object, ofType, only, componentPackConfigFor, planComponents, projectRoot, text } from "../tests/plans";
import { resolveKeelConfig, type KeelConfig } from "./config";
import type { Environment } from "./environments";
import { kubernetesMonitoring, monitoringCluster } from "./kubernetes";
import { alertmanagerSecretFiles, monitoringSpec } from "./monitoring";
import { backups } from "./backup";
import { regionalNetworks } from "./network";
import { regionalProviders } from "./providers";

const secretValues = { pagerduty: "pd-routing-key-do-not-leak", slack: "https://hooks.slack.com/services/T0/B0/do-not-leak", smtp: "smtp-password-do-not-leak", heartbeat: "https://hc-ping.com/do-not-leak" };

function planEnvironment(environment: Environment): { config: KeelConfig; plan: Promise<PlanRecord> } {
    const stack = loadStackConfig(projectRoot, environment, []);
    const config = resolveKeelConfig(stack.config, environment);
    const plan = planComponents(() => {
        const providers = regionalProviders(config);
        const networks = regionalNetworks(config, providers);
        const secrets: Record<string, pulumi.Output<string>> = config.environment === "production"
            ? {
                [alertmanagerSecretFiles.pagerdutyRoutingKey]: pulumi.secret(secretValues.pagerduty),
                [alertmanagerSecretFiles.slackWebhookUrl]: pulumi.secret(secretValues.slack),
                [alertmanagerSecretFiles.smtpPassword]: pulumi.secret(secretValues.smtp),
                [alertmanagerSecretFiles.heartbeatUrl]: pulumi.secret(secretValues.heartbeat),
            }
            : {};
        const logs = backups(config, providers, [])?.accessLogBucketNames;
        const cluster = monitoringCluster(config, providers, networks);
        assert.ok(cluster);
        return kubernetesMonitoring(config, providers, cluster, { ...(logs ? { serverAccessLogBuckets: logs } : {}), secrets });
    }, stack.config, environment);
    return { config, plan };
}

const releases = (record: PlanRecord) => ofType(record, "kubernetes:helm.sh/v3:Release");
const release = (record: PlanRecord, name: string): PlanResource => {
    const found = releases(record).find((r) => r.inputs.name === name);
    assert.ok(found, `no release ${name}`);
    return found;
};
const values = (r: PlanResource) => object(r.inputs.values, `${r.name}.values`);
const content = (files: readonly { path: string; content: string }[], path: string) => parse(text(files.find((f) => f.path === path)?.content, path)) as Record<string, unknown>;
/** The value at a path of keys (or list indexes); undefined past a missing key. */
const at = (value: unknown, ...path: string[]): unknown =>
    path.reduce<unknown>((v, key) => (Array.isArray(v) ? v[Number(key)] : v === undefined ? undefined : object(v, path.join("."))[key]), value);

describe("production: EKS and the monitoring releases", () => {
    let record: PlanRecord;
    let config: KeelConfig;
    before(async () => {
        const planned = planEnvironment("production");
        config = planned.config;
        record = await planned.plan;
    });

    test("one EKS cluster in the primary region with secrets encrypted and every control-plane log", () => {
        const cluster = only(record, "aws:eks/cluster:Cluster");
        assert.equal(cluster.region, "us-east-1");
        assert.deepEqual(cluster.inputs.enabledClusterLogTypes, ["api", "audit", "authenticator", "controllerManager", "scheduler"]);
        assert.deepEqual(at(cluster.inputs, "encryptionConfig", "resources"), ["secrets"]);
        assert.equal(at(cluster.inputs, "vpcConfig", "endpointPublicAccess"), false);
        const group = only(record, "aws:eks/nodeGroup:NodeGroup");
        assert.deepEqual(group.inputs.scalingConfig, { minSize: 3, maxSize: 6, desiredSize: 3 });
        assert.equal((group.inputs.subnetIds as unknown[]).length, 3);
    });

    test("Prometheus EC2 discovery: an IRSA role only its service account assumes, allowed only the two Describe actions", () => {
        const stack = values(release(record, "kube-prometheus-stack"));
        const role = only(record, "aws:iam/role:Role", "monitoring-prometheus");
        assert.equal(at(stack, "prometheus", "serviceAccount", "name"), "prometheus");
        assert.equal(at(stack, "prometheus", "serviceAccount", "annotations", "eks.amazonaws.com/role-arn"), arnOf(role));
        const trust = JSON.parse(text(role.inputs.assumeRolePolicy, "trust")) as { Statement: { Action: string; Principal: { Federated: string }; Condition: { StringEquals: Record<string, unknown> } }[] };
        assert.equal(trust.Statement.length, 1);
        assert.equal(trust.Statement[0].Action, "sts:AssumeRoleWithWebIdentity");
        const conditions = Object.entries(trust.Statement[0].Condition.StringEquals).map(([k, v]) => [k.slice(k.lastIndexOf(":")), v]).sort();
        assert.deepEqual(conditions, [[":aud", "sts.amazonaws.com"], [":sub", ["system:serviceaccount:monitoring:prometheus"]]]);
        const policy = JSON.parse(text(only(record, "aws:iam/rolePolicy:RolePolicy", "monitoring-prometheus-ec2-discovery").inputs.policy, "policy")) as { Statement: unknown[] };
        assert.deepEqual(policy.Statement, [{ Sid: "Ec2Discovery", Effect: "Allow", Action: ["ec2:DescribeInstances", "ec2:DescribeAvailabilityZones"], Resource: "*" }]);
        assert.deepEqual(at(stack, "prometheus", "podDisruptionBudget"), { enabled: true, minAvailable: 1 });
    });

    test("blackbox exporter: pinned chart, Service blackbox-exporter on 9115, the rendered modules, requests and limits", () => {
        const blackbox = release(record, "blackbox-exporter");
        assert.deepEqual([blackbox.inputs.chart, blackbox.inputs.version, at(blackbox.inputs, "repositoryOpts", "repo"), blackbox.inputs.namespace], ["prometheus-blackbox-exporter", "11.17.2", "https://prometheus-community.github.io/helm-charts", "monitoring"]);
        const v = values(blackbox);
        assert.equal(v.fullnameOverride, "blackbox-exporter");
        assert.equal(at(v, "service", "port"), 9115);
        assert.equal(monitoringSpec(config).endpoints.blackbox, "blackbox-exporter.monitoring.svc:9115");
        const file = renderMonitoring(monitoringSpec(config)).find((f) => f.path === "blackbox.yml");
        assert.deepEqual(v.config, parse(text(file?.content, "blackbox.yml")));
        assert.deepEqual(at(v, "resources"), { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } });
    });

    test("Loki's endpoint is real in simple scalable mode: a loki Service on 3100 in front of the gateway", () => {
        const loki = values(release(record, "loki"));
        assert.equal(at(loki, "gateway", "enabled"), true);
        assert.equal(at(loki, "gateway", "replicas"), 2);
        assert.ok(at(loki, "gateway", "resources", "limits", "memory"));
        const endpoint = monitoringSpec(config).endpoints.loki;
        assert.equal(endpoint, "loki.monitoring.svc:3100");
        const svc = only(record, "kubernetes:core/v1:Service", "monitoring-loki");
        assert.deepEqual(svc.inputs.metadata, { name: "loki", namespace: "monitoring" });
        assert.deepEqual(at(svc.inputs, "spec", "ports"), [{ name: "http", port: 3100, targetPort: "http" }]);
        assert.deepEqual(at(svc.inputs, "spec", "selector"), { "app.kubernetes.io/name": "loki", "app.kubernetes.io/instance": "loki", "app.kubernetes.io/component": "gateway" });
        const files = renderMonitoring(monitoringSpec(config));
        assert.match(text(files.find((f) => f.path === "config.alloy")?.content, "alloy"), /url = "http:\/\/loki\.monitoring\.svc:3100\/loki\/api\/v1\/push"/);
    });

    test("six releases, each pinned to its chart's exact version and repository", () => {
        assert.deepEqual(
            releases(record).map((r) => [r.inputs.name, r.inputs.chart, r.inputs.version, at(r.inputs, "repositoryOpts", "repo"), r.inputs.atomic, r.inputs.cleanupOnFail, r.inputs.timeout]).sort(),
            [
                ["alloy", "alloy", "1.11.1", "https://grafana.github.io/helm-charts", true, true, 900],
                ["blackbox-exporter", "prometheus-blackbox-exporter", "11.17.2", "https://prometheus-community.github.io/helm-charts", true, true, 900],
                ["jaeger", "jaeger", "4.11.1", "https://jaegertracing.github.io/helm-charts", true, true, 900],
                ["kube-prometheus-stack", "kube-prometheus-stack", "88.5.3", "https://prometheus-community.github.io/helm-charts", true, true, 900],
                ["loki", "loki", "18.11.0", "https://grafana-community.github.io/helm-charts", true, true, 900],
                ["pushgateway", "prometheus-pushgateway", "3.8.0", "https://prometheus-community.github.io/helm-charts", true, true, 900],
            ],
        );
        assert.equal(charts.loki.repo, "https://grafana-community.github.io/helm-charts");
    });

    test("Prometheus: 2 replicas on distinct nodes, 15 d / 100 GB, persistent, external labels, Keel's selectors", () => {
        const spec = at(values(release(record, "kube-prometheus-stack")), "prometheus", "prometheusSpec");
        assert.equal(at(spec, "replicas"), 2);
        // The chart's own switch: an `affinity` of ours would be printed beside its default "soft" rule, which wins.
        assert.deepEqual([at(spec, "podAntiAffinity"), at(spec, "podAntiAffinityTopologyKey"), object(spec, "spec").affinity], ["hard", "kubernetes.io/hostname", undefined]);
        assert.deepEqual([at(spec, "retention"), at(spec, "retentionSize")], ["15d", "100GB"]);
        assert.equal(at(spec, "storageSpec", "volumeClaimTemplate", "spec", "resources", "requests", "storage"), "120Gi");
        assert.deepEqual(at(spec, "externalLabels"), { environment: "production" });
        for (const key of ["ruleSelectorNilUsesHelmValues", "serviceMonitorSelectorNilUsesHelmValues", "podMonitorSelectorNilUsesHelmValues"]) assert.equal(at(spec, key), false, key);
    });

    test("Alertmanager: 2 replicas kept apart by the chart's required anti-affinity", () => {
        const spec = at(values(release(record, "kube-prometheus-stack")), "alertmanager", "alertmanagerSpec");
        assert.deepEqual([at(spec, "replicas"), at(spec, "podAntiAffinity"), at(spec, "podAntiAffinityTopologyKey"), object(spec, "spec").affinity], [2, "hard", "kubernetes.io/hostname", undefined]);
    });

    test("Loki's read path has no persistent volume (the chart runs it as a Deployment of 2); write and backend keep theirs", () => {
        const loki = values(release(record, "loki"));
        assert.equal(at(loki, "read", "replicas"), 2);
        assert.equal(object(at(loki, "read"), "read").persistence, undefined);
        for (const target of ["write", "backend"]) assert.deepEqual(at(loki, target, "persistence"), { enabled: true, storageClass: "keel-gp3", size: "50Gi" }, target);
    });

    test("Loki's listen ports are the chart's loki.server, which builds its container ports, Services and gRPC client addresses", () => {
        const loki = values(release(record, "loki"));
        const rendered = content(renderMonitoring(monitoringSpec(config)), "loki.yml");
        assert.deepEqual(at(loki, "loki", "server"), { http_listen_port: 3100, grpc_listen_port: 9096 });
        assert.deepEqual(at(loki, "loki", "server"), { http_listen_port: at(rendered, "server", "http_listen_port"), grpc_listen_port: at(rendered, "server", "grpc_listen_port") });
    });

    test("Alloy reads the node's journal, under the /var/log the chart mounts from the node", () => {
        const alloy = values(release(record, "alloy"));
        assert.equal(at(alloy, "alloy", "mounts", "varlog"), true);
        const config = text(at(alloy, "alloy", "configMap", "content"), "config.alloy");
        assert.match(config, /loki\.source\.journal "host" \{\n\s+path = "\/var\/log\/journal"/);
        assert.doesNotMatch(config, /\/var\/log\/host/);
    });

    test("Watchdog pings the heartbeat, whose URL is a mounted secret file; critical alerts still page, Slack and mail", () => {
        const alertmanager = at(values(release(record, "kube-prometheus-stack")), "alertmanager", "config") as { route: { routes: { receiver: string; matchers: string[] }[] }; receivers: Record<string, unknown>[] };
        assert.deepEqual(alertmanager.route.routes[0], { receiver: "heartbeat", matchers: ['alertname="Watchdog"'], group_wait: "0s", group_interval: "1m", repeat_interval: "5m" });
        assert.deepEqual(alertmanager.receivers.find((r) => r.name === "heartbeat"), { name: "heartbeat", webhook_configs: [{ url_file: alertmanagerSecretFiles.heartbeatUrl, send_resolved: false }] });
        assert.deepEqual(Object.keys(alertmanager.receivers.find((r) => r.name === "critical") ?? {}).sort(), ["email_configs", "name", "pagerduty_configs", "slack_configs"]);
    });

    test("the values carry exactly the rendered files", () => {
        const files = renderMonitoring(monitoringSpec(config));
        const content = (path: string) => parse(text(files.find((f) => f.path === path)?.content, path)) as Record<string, unknown>;
        const stack = values(release(record, "kube-prometheus-stack"));
        assert.deepEqual(at(stack, "prometheus", "prometheusSpec", "additionalScrapeConfigs"), content("prometheus.yml").scrape_configs);
        assert.deepEqual(at(stack, "alertmanager", "config"), content("alertmanager.yml"));
        assert.deepEqual(at(stack, "grafana", "datasources", "keel.yml"), content("grafana/provisioning/datasources/keel.yml"));
        const rules = ofType(record, "kubernetes:monitoring.coreos.com/v1:PrometheusRule");
        assert.deepEqual(rules.map((r) => [at(r.inputs, "metadata", "name"), r.inputs.spec]).sort(), [["keel-alerts", content("rules/alerts.yml")], ["keel-slo", content("rules/slo.yml")]]);
        const dashboards = ofType(record, "kubernetes:core/v1:ConfigMap").filter((c) => at(c.inputs, "metadata", "labels", "grafana_dashboard") === "1");
        assert.deepEqual(
            dashboards.map((d) => Object.values(object(d.inputs.data, "data"))[0]).sort(),
            files.filter((f) => f.path.startsWith("grafana/dashboards/")).map((f) => f.content).sort(),
        );
        assert.equal(at(values(release(record, "alloy")), "alloy", "configMap", "content"), files.find((f) => f.path === "config.alloy")?.content);
        assert.deepEqual(at(values(release(record, "jaeger")), "userconfig"), content("jaeger.yml"));
        const sampling = only(record, "kubernetes:core/v1:ConfigMap", "monitoring-jaeger-sampling");
        assert.equal(at(sampling.inputs, "data", "sampling-strategies.json"), files.find((f) => f.path === "jaeger-sampling.json")?.content);
        const loki = at(values(release(record, "loki")), "loki", "structuredConfig");
        assert.deepEqual(at(loki, "limits_config"), at(relocateLokiPaths(content("loki.yml")), "limits_config"));
        assert.deepEqual(at(loki, "schema_config"), content("loki.yml").schema_config);
    });

    test("Loki: simple scalable on an S3 bucket with a 90-day retention, through an IRSA role scoped to it", () => {
        const loki = values(release(record, "loki"));
        assert.equal(loki.deploymentMode, "SimpleScalable");
        assert.equal(at(loki, "loki", "structuredConfig", "limits_config", "retention_period"), "2160h");
        const bucket = text(at(loki, "loki", "storage", "bucketNames", "chunks"), "chunks");
        assert.equal(at(loki, "loki", "structuredConfig", "common", "storage", "s3", "bucketnames"), bucket);
        assert.equal(only(record, "aws:s3/bucket:Bucket", "monitoring-loki").protect, true);
        const policy = JSON.parse(text(only(record, "aws:iam/rolePolicy:RolePolicy", "monitoring-loki").inputs.policy, "policy")) as { Statement: { Resource: string }[] };
        assert.deepEqual(policy.Statement.slice(0, 2).map((s) => s.Resource), [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`]);
        const trust = JSON.parse(text(only(record, "aws:iam/role:Role", "monitoring-loki").inputs.assumeRolePolicy, "trust")) as { Statement: { Condition: { StringEquals: Record<string, unknown> } }[] };
        assert.ok(Object.entries(trust.Statement[0].Condition.StringEquals).some(([k, v]) => k.endsWith(":sub") && JSON.stringify(v) === JSON.stringify(["system:serviceaccount:monitoring:loki"])));
    });

    test("no secret in Helm values: Grafana's admin and Alertmanager's credentials are Secrets", () => {
        const all = JSON.stringify(releases(record).map((r) => r.inputs));
        for (const secret of Object.values(secretValues)) assert.ok(!all.includes(secret), "a secret leaked into Helm values");
        assert.ok(!all.includes("offline-"), "the Grafana password leaked into Helm values");
        assert.deepEqual(at(values(release(record, "kube-prometheus-stack")), "grafana", "admin", "existingSecret"), "grafana-admin");
        const credentials = only(record, "kubernetes:core/v1:Secret", "monitoring-alertmanager-credentials");
        assert.deepEqual(credentials.inputs.stringData, "[secret]");
        const mounts = at(values(release(record, "kube-prometheus-stack")), "alertmanager", "alertmanagerSpec", "volumeMounts");
        assert.deepEqual(mounts, [{ name: "credentials", mountPath: "/etc/alertmanager/secrets", readOnly: true }]);
    });

    test("PrometheusRules wait for kube-prometheus-stack (its CRDs)", () => {
        const stack = release(record, "kube-prometheus-stack");
        for (const rule of ofType(record, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")) {
            assert.ok(rule.dependencies.includes(stack.urn), rule.name);
        }
    });

    test("the policy pack passes", async () => {
        const violations = await evaluatePolicies(record, keelPolicies, { ...componentPackConfigFor("production"), "keel-critical-alerts-page": { requirePaging: true } });
        assert.deepEqual(violations.map((v) => `${v.policyName}: ${v.message}`), []);
    });
});

describe("staging: single replicas and monolithic Loki", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planEnvironment("staging").plan;
    });

    test("Prometheus 1 replica without anti-affinity; Loki monolithic; no Alertmanager or Jaeger", () => {
        const spec = at(values(release(record, "kube-prometheus-stack")), "prometheus", "prometheusSpec");
        assert.equal(at(spec, "replicas"), 1);
        assert.deepEqual([at(spec, "podAntiAffinity"), object(spec, "spec").affinity], ["", undefined]);
        assert.equal(values(release(record, "loki")).deploymentMode, "Monolithic");
        // Monolithic Loki's own Service is `loki` on 3100: no gateway, no Keel Service in front of it.
        assert.deepEqual(at(values(release(record, "loki")), "gateway"), { enabled: false });
        assert.equal(ofType(record, "kubernetes:core/v1:Service").filter((s) => s.name === "monitoring-loki").length, 0);
        assert.deepEqual(at(values(release(record, "kube-prometheus-stack")), "prometheus", "podDisruptionBudget"), { enabled: false, minAvailable: 1 });
        assert.deepEqual(releases(record).map((r) => r.inputs.name).sort(), ["alloy", "blackbox-exporter", "kube-prometheus-stack", "loki", "pushgateway"]);
    });
});
