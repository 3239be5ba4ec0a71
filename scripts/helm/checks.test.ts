import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { stringify } from "yaml";
import { alloyPathProblems, antiAffinityProblems, checkRenderedReleases, lokiPortProblems, scrapeTargetProblems, type RenderedRelease } from "./checks";
import { helmTemplateArgs, plannedReleases, plannedServices, type PlannedRelease } from "./releases";

const releaseNamed = (name: string, values: Record<string, unknown> = {}): PlannedRelease => ({ name, namespace: "monitoring", chart: name, version: "1.0.0", repo: "https://charts.example.com", values });
const rendered = (name: string, manifests: Record<string, unknown>[], values: Record<string, unknown> = {}): RenderedRelease => ({ release: releaseNamed(name, values), manifests });

describe("checks over what the charts render", () => {
    const prometheus = (affinity: Record<string, unknown> | undefined) => ({ kind: "Prometheus", metadata: { name: "p" }, spec: { replicas: 2, ...(affinity ? { affinity } : {}) } });
    const required = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname" }] } };
    const preferred = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname" } }] } };

    test("two Prometheus replicas need a required anti-affinity over nodes; a preferred one is refused", () => {
        assert.deepEqual(antiAffinityProblems(rendered("stack", [prometheus(required)])), []);
        assert.deepEqual(antiAffinityProblems(rendered("stack", [prometheus(preferred)])), ["stack: Prometheus/p runs 2 replicas without a required pod anti-affinity over kubernetes.io/hostname"]);
        assert.deepEqual(antiAffinityProblems(rendered("stack", [{ kind: "Alertmanager", metadata: { name: "a" }, spec: { replicas: 1 } }])), []);
    });

    const lokiConfig = (grpc: number) => ({ kind: "ConfigMap", metadata: { name: "loki" }, data: { "config.yaml": stringify({ server: { http_listen_port: 3100, grpc_listen_port: grpc }, common: { compactor_grpc_address: "loki-backend.monitoring.svc.cluster.local:9095" } }) } });
    const lokiWorkload = { kind: "StatefulSet", metadata: { name: "loki-backend" }, spec: { template: { spec: { containers: [{ name: "loki", ports: [{ name: "grpc", containerPort: 9095 }, { name: "http-metrics", containerPort: 3100 }] }] } } } };
    const lokiService = { kind: "Service", metadata: { name: "loki-backend" }, spec: { ports: [{ name: "grpc", port: 9095, targetPort: "grpc" }] } };

    test("Loki's listen ports must agree with its container ports, Services and client addresses", () => {
        assert.deepEqual(lokiPortProblems(rendered("loki", [lokiConfig(9095), lokiWorkload, lokiService])), []);
        assert.deepEqual(lokiPortProblems(rendered("loki", [lokiConfig(9096), lokiWorkload, lokiService])), [
            "loki: StatefulSet/loki-backend exposes grpc on 9095, Loki listens on 9096",
            "loki: Service/loki-backend serves gRPC on 9095, Loki listens on 9096",
            "loki: the configuration sends to loki-backend.monitoring.svc.cluster.local:9095, where no Loki port listens (9096, 3100)",
        ]);
    });

    const alloy = (config: string) => rendered("alloy", [
        { kind: "ConfigMap", metadata: { name: "alloy" }, data: { "config.alloy": config } },
        {
            kind: "DaemonSet",
            metadata: { name: "alloy" },
            spec: { template: { spec: { volumes: [{ name: "varlog", hostPath: { path: "/var/log" } }], containers: [{ name: "alloy", volumeMounts: [{ name: "varlog", mountPath: "/var/log" }] }] } } },
        },
    ]);

    test("Alloy reads only paths a hostPath mounts at the same place", () => {
        assert.deepEqual(alloyPathProblems(alloy('loki.source.journal "host" {\n  path = "/var/log/journal"\n}')), []);
        assert.deepEqual(alloyPathProblems(alloy('local.file_match "host" {\n  path_targets = [{ "__path__" = "/host/var/log/secure" }]\n}')), [
            "alloy: Alloy reads /host/var/log/secure, which no hostPath mount puts at that path (mounted: /var/log)",
        ]);
    });

    test("every in-cluster scrape target is a rendered Service or one the plan creates", () => {
        const stack = rendered("kube-prometheus-stack", [], { prometheus: { prometheusSpec: { additionalScrapeConfigs: [{ job_name: "postgres", static_configs: [{ targets: ["postgres-exporter.monitoring.svc:9187"] }] }, { job_name: "prometheus", static_configs: [{ targets: ["localhost:9090"] }] }] } } });
        const exporter = rendered("postgres-exporter", [{ kind: "Service", metadata: { name: "postgres-exporter" }, spec: { ports: [{ port: 9187 }] } }]);
        assert.deepEqual(scrapeTargetProblems([stack, exporter], []), []);
        assert.deepEqual(scrapeTargetProblems([stack], []), ["scrape job postgres: postgres-exporter.monitoring.svc:9187 is no Service any release renders or the plan creates"]);
        assert.deepEqual(scrapeTargetProblems([stack], ["postgres-exporter.monitoring.svc:9187"]), []);
        assert.equal(checkRenderedReleases([stack]).length, 1);
    });
});

describe("the plan's releases as helm template takes them", () => {
    const document = {
        resources: [
            { type: "kubernetes:helm.sh/v3:Release", name: "monitoring-loki", inputs: { name: "loki", namespace: "monitoring", chart: "loki", version: "18.11.0", repositoryOpts: { repo: "https://grafana-community.github.io/helm-charts" }, values: { deploymentMode: "Monolithic" } } },
            { type: "kubernetes:core/v1:Service", name: "monitoring-prometheus", inputs: { metadata: { name: "prometheus", namespace: "monitoring" }, spec: { ports: [{ name: "http", port: 9090 }] } } },
        ],
    } as unknown as Parameters<typeof plannedReleases>[0];

    test("each release with its pinned chart and values; Services the plan creates", () => {
        const [loki] = plannedReleases(document);
        assert.deepEqual(loki, { name: "loki", namespace: "monitoring", chart: "loki", version: "18.11.0", repo: "https://grafana-community.github.io/helm-charts", values: { deploymentMode: "Monolithic" } });
        assert.deepEqual(plannedServices(document), ["prometheus.monitoring.svc:9090"]);
        assert.deepEqual(helmTemplateArgs(loki, "v.json", { kubeVersion: "1.35" }), [
            "template", "loki", "loki", "--repo", "https://grafana-community.github.io/helm-charts", "--version", "18.11.0",
            "--namespace", "monitoring", "--values", "v.json", "--api-versions", "monitoring.coreos.com/v1", "--kube-version", "1.35",
        ]);
        assert.equal(helmTemplateArgs(loki, "v.json", { chartsDir: "/charts" })[2], "/charts/loki-18.11.0");
    });

    test("a release without its chart version is refused", () => {
        const broken = { resources: [{ type: "kubernetes:helm.sh/v3:Release", name: "r", inputs: { name: "r", namespace: "m", chart: "c" } }] } as unknown as Parameters<typeof plannedReleases>[0];
        assert.throws(() => plannedReleases(broken), /release r: no version in the plan/);
    });
});
