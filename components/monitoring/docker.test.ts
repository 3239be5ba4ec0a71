import * as docker from "@pulumi/docker";
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import type { PlanResource } from "../../offline-plan/record";
import { childrenOf, list, object, ofType, only, planComponents, text } from "../../tests/plans";
import { DockerMonitoring, dockerMonitoringEndpoints, dockerNodeExporter, monitoringImages } from "./docker";
import { exampleSpec } from "./render/example-spec";
import { renderMonitoring, type MonitoringSpec } from "./render";
import { InvalidArgumentsError } from "../problems";

/** The example spec as a laptop runs it: container addresses, local logs. */
function localSpec(): MonitoringSpec {
    return {
        ...exampleSpec(),
        environment: "local",
        endpoints: dockerMonitoringEndpoints,
        exporters: { ...exampleSpec().exporters, node: { kind: "static", addresses: [dockerNodeExporter] } },
        logs: { retentionDays: 7, securityRetentionDays: 365, debugRetentionDays: 14, storage: { kind: "filesystem" }, collector: "docker" },
    };
}

const dockerTypes = { container: "docker:index/container:Container", image: "docker:index/remoteImage:RemoteImage", volume: "docker:index/volume:Volume" };

describe("DockerMonitoring", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => {
            const network = new docker.Network("keel-local", { name: "keel-local" });
            const monitoring = new DockerMonitoring("monitoring", { spec: localSpec(), networkName: network.name, labels: { environment: "local" } }, { retainOnDelete: true });
            return {
                grafanaUrl: monitoring.grafanaUrl,
                prometheusUrl: monitoring.prometheusUrl,
                jaegerUrl: monitoring.jaegerUrl,
                password: monitoring.grafanaAdminPassword,
            };
        }, {});
    });
    const container = (host: string): PlanResource => only(record, dockerTypes.container, `monitoring-${host}`);
    const inputsOf = (host: string) => container(host).inputs;

    test("runs every component of the spec as a child container", () => {
        const component = only(record, "keel:monitoring:DockerMonitoring");
        const containers = childrenOf(record, component).filter((r) => r.type === dockerTypes.container).map((r) => r.name).sort();
        assert.deepEqual(containers, ["alertmanager", "alloy", "blackbox-exporter", "grafana", "jaeger", "loki", "node-exporter", "prometheus"].map((h) => `monitoring-${h}`));
    });

    test("every image is an upstream image pinned to an exact version, never latest", () => {
        const images = ofType(record, dockerTypes.image).map((r) => text(r.inputs.name, r.name)).sort();
        assert.deepEqual(images, Object.values(monitoringImages).sort());
        for (const image of images) {
            assert.match(image, /^(prom|grafana|jaegertracing)\/[a-z-]+:v?\d+\.\d+\.\d+$/, image);
            assert.doesNotMatch(image, /latest/);
        }
        for (const r of ofType(record, dockerTypes.image)) assert.equal(r.inputs.keepLocally, true);
    });

    test("one network, joined under the alias the rendered configuration uses", () => {
        const expected: [string, string][] = [["prometheus", "prometheus"], ["grafana", "grafana"], ["loki", "loki"], ["alertmanager", "alertmanager"], ["jaeger", "jaeger"], ["node-exporter", "node-exporter"], ["blackbox-exporter", "blackbox-exporter"], ["alloy", "alloy"]];
        for (const [host, alias] of expected) {
            assert.deepEqual(inputsOf(host).networksAdvanced, [{ name: "keel-local", aliases: [alias] }], host);
        }
    });

    test("the guides' ports are published on loopback only", () => {
        const ports = (host: string) => list(inputsOf(host).ports, host).map((p) => object(p, host)).map((p) => [p.ip, p.internal, p.external]);
        assert.deepEqual(ports("grafana"), [["127.0.0.1", 3000, 3000]]);
        assert.deepEqual(ports("prometheus"), [["127.0.0.1", 9090, 9090]]);
        assert.deepEqual(ports("loki"), [["127.0.0.1", 3100, 3100]]);
        assert.deepEqual(ports("alertmanager"), [["127.0.0.1", 9093, 9093]]);
        assert.deepEqual(ports("jaeger"), [["127.0.0.1", 16686, 16686], ["127.0.0.1", 4317, 4317], ["127.0.0.1", 4318, 4318]]);
        for (const host of ["alloy", "node-exporter", "blackbox-exporter"]) assert.deepEqual(inputsOf(host).ports ?? [], [], host);
    });

    test("the rendered files are uploaded where each service reads them, byte for byte", () => {
        const rendered = renderMonitoring(localSpec());
        const uploads = (host: string) => list(inputsOf(host).uploads, host).map((u) => object(u, host));
        const expected: [string, string[]][] = [
            ["prometheus", ["/etc/prometheus/prometheus.yml", "/etc/prometheus/rules/alerts.yml", "/etc/prometheus/rules/slo.yml"]],
            ["alertmanager", ["/etc/alertmanager/alertmanager.yml"]],
            ["grafana", ["/etc/grafana/provisioning/datasources/keel.yml", "/etc/grafana/provisioning/dashboards/keel.yml", ...["keel-system-overview", "keel-sla", "keel-database", "keel-capacity"].map((d) => `/etc/grafana/dashboards/${d}.json`)]],
            ["loki", ["/etc/loki/loki.yml"]],
            ["alloy", ["/etc/alloy/config.alloy"]],
            ["jaeger", ["/etc/jaeger/config.yml", "/etc/jaeger/sampling-strategies.json"]],
            ["blackbox-exporter", ["/etc/blackbox_exporter/config.yml"]],
            ["node-exporter", []],
        ];
        for (const [host, files] of expected) {
            assert.deepEqual(uploads(host).map((u) => u.file), files, host);
            for (const upload of uploads(host)) {
                assert.equal(upload.content, rendered.find((f) => f.mountPath === upload.file)?.content, String(upload.file));
                assert.equal(upload.permissions, "0644");
            }
        }
    });

    test("each service reads its files: commands and retention flags", () => {
        assert.deepEqual(inputsOf("prometheus").command, [
            "--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--storage.tsdb.retention.time=15d", "--storage.tsdb.retention.size=100GB", "--web.enable-lifecycle",
        ]);
        assert.deepEqual(inputsOf("alertmanager").command, ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]);
        assert.deepEqual(inputsOf("loki").command, ["-config.file=/etc/loki/loki.yml"]);
        assert.deepEqual(inputsOf("jaeger").command, ["--config=/etc/jaeger/config.yml"]);
        assert.deepEqual(inputsOf("alloy").command, ["run", "--server.http.listen-addr=0.0.0.0:12345", "--storage.path=/var/lib/alloy/data", "/etc/alloy/config.alloy"]);
        assert.deepEqual(inputsOf("blackbox-exporter").command, ["--config.file=/etc/blackbox_exporter/config.yml"]);
        assert.equal(inputsOf("grafana").command, undefined);
    });

    test("named volumes for the data, retained like the component; host mounts read-only", () => {
        const volumes = ofType(record, dockerTypes.volume);
        assert.deepEqual(volumes.map((v) => v.inputs.name).sort(), ["alertmanager", "alloy", "grafana", "jaeger", "loki", "prometheus"].map((h) => `monitoring-${h}-data`));
        for (const v of volumes) assert.equal(v.retainOnDelete, true, v.name);
        const mounts = (host: string) => list(inputsOf(host).volumes, host).map((v) => object(v, host)).map((v) => [v.volumeName ?? v.hostPath, v.containerPath, v.readOnly ?? false]);
        assert.deepEqual(mounts("prometheus"), [["monitoring-prometheus-data", "/prometheus", false]]);
        assert.deepEqual(mounts("grafana"), [["monitoring-grafana-data", "/var/lib/grafana", false]]);
        assert.deepEqual(mounts("loki"), [["monitoring-loki-data", "/loki", false]]);
        assert.deepEqual(mounts("jaeger"), [["monitoring-jaeger-data", "/tmp", false]]);
        assert.deepEqual(mounts("alloy"), [["monitoring-alloy-data", "/var/lib/alloy/data", false], ["/var/run/docker.sock", "/var/run/docker.sock", true], ["/var/log", "/var/log/host", true]]);
        assert.deepEqual(inputsOf("node-exporter").mounts, [{ type: "bind", source: "/", target: "/host", readOnly: true, bindOptions: { propagation: "rslave" } }]);
    });

    test("healthchecks that `pulumi up` waits for, restart unless stopped", () => {
        const expected: [string, string][] = [
            ["prometheus", "http://127.0.0.1:9090/-/healthy"],
            ["alertmanager", "http://127.0.0.1:9093/-/healthy"],
            ["grafana", "http://127.0.0.1:3000/api/health"],
            ["jaeger", "http://127.0.0.1:13133/status"],
            ["blackbox-exporter", "http://127.0.0.1:9115/-/healthy"],
        ];
        for (const [host, url] of expected) assert.deepEqual(object(inputsOf(host).healthcheck, host).tests, ["CMD", "wget", "-q", "--spider", url], host);
        assert.deepEqual(object(inputsOf("loki").healthcheck, "loki").tests, ["CMD", "/usr/bin/loki", "-health"]);
        assert.match(String(list(object(inputsOf("alloy").healthcheck, "alloy").tests, "alloy")[3]), /\/dev\/tcp\/127\.0\.0\.1\/12345.*\/-\/ready/);
        for (const r of ofType(record, dockerTypes.container)) {
            assert.equal(r.inputs.wait, true, r.name);
            assert.equal(r.inputs.restart, "unless-stopped", r.name);
            assert.deepEqual(r.inputs.labels, [{ label: "environment", value: "local" }], r.name);
        }
    });

    test("Grafana's admin password is generated and passed only as a secret", () => {
        const password = only(record, "random:index/randomPassword:RandomPassword");
        assert.equal(password.name, "monitoring-grafana-admin");
        assert.equal(password.inputs.length, 32);
        const envs = list(inputsOf("grafana").envs, "envs");
        assert.ok(envs.includes("[secret]"), JSON.stringify(envs));
        assert.ok(envs.includes("GF_SECURITY_ADMIN_USER=admin"));
        assert.ok(!JSON.stringify(envs).includes("offline-"), "the password must not appear in plaintext");
        assert.equal(record.outputs.password, "[secret]");
    });

    test("URLs of the UIs on loopback", () => {
        assert.equal(record.outputs.grafanaUrl, "http://127.0.0.1:3000");
        assert.equal(record.outputs.prometheusUrl, "http://127.0.0.1:9090");
        assert.equal(record.outputs.jaegerUrl, "http://127.0.0.1:16686");
    });
});

describe("DockerMonitoring refusals", () => {
    test("a spec not addressed to the containers, or an invalid one, registers nothing", async () => {
        const errors: unknown[] = [];
        const record = await planComponents(() => {
            for (const spec of [{ ...localSpec(), endpoints: { ...dockerMonitoringEndpoints, loki: "loki.monitoring.svc:3100" } }, { ...localSpec(), sloPeriodDays: 99 }]) {
                try {
                    new DockerMonitoring("monitoring", { spec, networkName: "keel-local" });
                } catch (error) {
                    errors.push(error);
                }
            }
        }, {});
        assert.deepEqual(errors.map((e) => (e instanceof InvalidArgumentsError ? e.message : e)), [
            "DockerMonitoring monitoring: invalid arguments:\n  - spec.endpoints.loki: expected loki:3100 (the container's network alias) for the Docker backend, got loki.monitoring.svc:3100",
            "DockerMonitoring monitoring: invalid arguments:\n  - spec.sloPeriodDays: expected 1 to the Prometheus retention (15 days), got 99",
        ]);
        assert.deepEqual(record.resources.filter((r) => r.type.startsWith("keel:") || r.type.startsWith("docker:")), []);
    });
});
