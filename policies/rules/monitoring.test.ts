import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { stringify } from "yaml";
import { messages, resource, runPolicy } from "../testing";
import { criticalAlertsPage, criticalReceivers, grafanaAdminSecret } from "./monitoring";

const paging = {
    route: {
        receiver: "warning",
        group_by: ["alertname"],
        routes: [{ matchers: ['severity="critical"'], receiver: "critical" }],
    },
    receivers: [
        { name: "warning", slack_configs: [{ channel: "#alerts-warning", api_url_file: "/etc/alertmanager/secrets/slack" }] },
        { name: "critical", pagerduty_configs: [{ routing_key_file: "/etc/alertmanager/secrets/pagerduty" }], slack_configs: [{ channel: "#alerts-critical" }] },
    ],
};
const container = (config: unknown) =>
    resource("docker:index/container:Container", { uploads: [{ file: "/etc/alertmanager/alertmanager.yml", content: stringify(config) }] }, { name: "alertmanager" });
const required = { "keel-critical-alerts-page": { requirePaging: true } };

describe("keel-critical-alerts-page", () => {
    test("passes a configuration whose critical route pages, in a container upload, a Secret or Helm values", async () => {
        assert.deepEqual(await runPolicy(criticalAlertsPage, [container(paging)], required), []);
        assert.deepEqual(await runPolicy(criticalAlertsPage, [resource("kubernetes:core/v1:Secret", { stringData: { "alertmanager.yaml": stringify(paging) } })], required), []);
        assert.deepEqual(await runPolicy(criticalAlertsPage, [resource("kubernetes:helm.sh/v3:Release", { chart: "kube-prometheus-stack", values: { alertmanager: { config: paging } } })], required), []);
    });

    test("refuses critical alerts routed to a receiver that pages nobody", async () => {
        const silent = { ...paging, route: { ...paging.route, routes: [{ matchers: ['severity="critical"'], receiver: "warning" }] } };
        assert.deepEqual(messages(await runPolicy(criticalAlertsPage, [container(silent)], required)), ["Alertmanager configuration of alertmanager routes critical alerts to warning, which pages nobody"]);
    });

    test("refuses a configuration without a critical route whose default receiver does not page", async () => {
        const noCritical = { ...paging, route: { receiver: "warning" } };
        assert.deepEqual(messages(await runPolicy(criticalAlertsPage, [container(noCritical)], required)), ["Alertmanager configuration of alertmanager routes critical alerts to warning, which pages nobody"]);
    });

    test("is off by default (local and staging route nowhere), and has nothing to judge without Alertmanager", async () => {
        const silent = { ...paging, route: { receiver: "warning" } };
        assert.deepEqual(await runPolicy(criticalAlertsPage, [container(silent)]), []);
        assert.deepEqual(await runPolicy(criticalAlertsPage, [resource("aws:sns/topic:Topic")], required), []);
    });

    test("reads matchers, the older match form and inherited receivers", () => {
        assert.deepEqual(criticalReceivers({ route: { receiver: "root", routes: [{ match: { severity: "critical" }, receiver: "pager" }] } }), ["pager"]);
        assert.deepEqual(criticalReceivers({ route: { receiver: "root", routes: [{ matchers: ['severity = "critical"'] }] } }), ["root"]);
        assert.deepEqual(criticalReceivers({ route: { receiver: "root", routes: [{ matchers: ['team="db"'], receiver: "db" }] } }), ["root"]);
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
        assert.deepEqual(messages(await runPolicy(grafanaAdminSecret, plan)), [
            "container grafana sets GF_SECURITY_ADMIN_PASSWORD in plain text: pass it as a secret or use GF_SECURITY_ADMIN_PASSWORD__FILE",
            "Helm release kps sets grafana.adminPassword in its values: use admin.existingSecret",
            "Helm release grafana-chart runs Grafana without admin.existingSecret: the chart would generate a password outside Pulumi",
        ]);
    });
});
