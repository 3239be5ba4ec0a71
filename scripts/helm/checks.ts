import { parse } from "yaml";
import type { PlannedRelease } from "./releases";

/**
 * Checks over what the real charts render from a plan's values: the properties Keel relies on
 * that a chart can silently drop or override (Helm ignores keys a chart does not read, and a
 * chart's own defaults can win over ours). Each check names the release and the manifest.
 */

export interface RenderedRelease {
    readonly release: PlannedRelease;
    readonly manifests: readonly Record<string, unknown>[];
}

type Manifest = Record<string, unknown>;
const record = (value: unknown): Manifest => (typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Manifest) : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const nameOf = (m: Manifest) => `${String(m.kind)}/${String(record(m.metadata).name)}`;

/** Pod specs of the workloads in a release (Deployment, StatefulSet, DaemonSet). */
function podSpecs(manifests: readonly Manifest[]): { workload: string; spec: Manifest }[] {
    return manifests
        .filter((m) => ["Deployment", "StatefulSet", "DaemonSet"].includes(String(m.kind)))
        .map((m) => ({ workload: nameOf(m), spec: record(record(record(m.spec).template).spec) }));
}

/** Prometheus and Alertmanager with more than one replica must never put two on one node. */
export function antiAffinityProblems(rendered: RenderedRelease): string[] {
    return rendered.manifests
        .filter((m) => (m.kind === "Prometheus" || m.kind === "Alertmanager") && Number(record(m.spec).replicas ?? 1) > 1)
        .filter((m) => !list(record(record(record(m.spec).affinity).podAntiAffinity).requiredDuringSchedulingIgnoredDuringExecution)
            .some((term) => record(term).topologyKey === "kubernetes.io/hostname"))
        .map((m) => `${rendered.release.name}: ${nameOf(m)} runs ${String(record(m.spec).replicas)} replicas without a required pod anti-affinity over kubernetes.io/hostname`);
}

/**
 * Loki's listen ports agree with what the chart builds around them: container ports named
 * `grpc` / `http-metrics`, Service ports named `grpc`, and every `<host>.svc.<domain>:<port>`
 * client address in the configuration (compactor, index gateway, scheduler).
 */
export function lokiPortProblems(rendered: RenderedRelease): string[] {
    const configMap = rendered.manifests.find((m) => m.kind === "ConfigMap" && typeof record(m.data)["config.yaml"] === "string");
    if (configMap === undefined) return [];
    const text = String(record(configMap.data)["config.yaml"]);
    const server = record(record(parse(text)).server);
    const ports = { grpc: Number(server.grpc_listen_port ?? 9095), "http-metrics": Number(server.http_listen_port ?? 3100) };
    const problems: string[] = [];
    const where = `${rendered.release.name}`;
    for (const { workload, spec } of podSpecs(rendered.manifests)) {
        for (const container of list(spec.containers).map(record)) {
            for (const port of list(container.ports).map(record)) {
                const expected = ports[String(port.name) as keyof typeof ports];
                if (expected !== undefined && Number(port.containerPort) !== expected && String(container.name) === "loki") {
                    problems.push(`${where}: ${workload} exposes ${String(port.name)} on ${String(port.containerPort)}, Loki listens on ${expected}`);
                }
            }
        }
    }
    for (const service of rendered.manifests.filter((m) => m.kind === "Service")) {
        for (const port of list(record(service.spec).ports).map(record)) {
            if (port.targetPort === "grpc" && Number(port.port) !== ports.grpc) problems.push(`${where}: ${nameOf(service)} serves gRPC on ${String(port.port)}, Loki listens on ${ports.grpc}`);
        }
    }
    for (const [, address, port] of text.matchAll(/([\w.-]+\.svc\.[\w.-]+):(\d+)/g)) {
        if (Number(port) !== ports.grpc && Number(port) !== ports["http-metrics"]) problems.push(`${where}: the configuration sends to ${address}:${port}, where no Loki port listens (${ports.grpc}, ${ports["http-metrics"]})`);
    }
    return problems;
}

/**
 * Every path Alloy reads on the node (`__path__` of file targets, a journal's `path`) lies under
 * a hostPath the chart mounts into the Alloy container at the same place.
 */
export function alloyPathProblems(rendered: RenderedRelease): string[] {
    const configMap = rendered.manifests.find((m) => m.kind === "ConfigMap" && typeof record(m.data)["config.alloy"] === "string");
    const daemonSet = podSpecs(rendered.manifests).find((p) => p.workload.startsWith("DaemonSet/"));
    if (configMap === undefined || daemonSet === undefined) return [];
    const config = String(record(configMap.data)["config.alloy"]);
    const hostPaths = new Map(list(daemonSet.spec.volumes).map(record).filter((v) => v.hostPath !== undefined).map((v) => [String(v.name), String(record(v.hostPath).path)]));
    const alloy = list(daemonSet.spec.containers).map(record).find((c) => c.name === "alloy");
    // A hostPath mounted at the same path: the node's file and the container's are one path.
    const nodeMounts = list(alloy?.volumeMounts).map(record).filter((m) => hostPaths.get(String(m.name)) === String(m.mountPath)).map((m) => String(m.mountPath));
    const paths = [...config.matchAll(/(?:"__path__"|\bpath)\s*=\s*"([^"]+)"/g)].map((match) => match[1]);
    return paths
        .filter((path) => !nodeMounts.some((mount) => path === mount || path.startsWith(`${mount.replace(/\/$/, "")}/`)))
        .map((path) => `${rendered.release.name}: Alloy reads ${path}, which no hostPath mount puts at that path (mounted: ${nodeMounts.join(", ") || "none"})`);
}

/** `<name>.<namespace>.svc:<port>` of every Service port the releases render. */
export function renderedServices(rendered: readonly RenderedRelease[]): string[] {
    return rendered.flatMap(({ release, manifests }) => manifests.filter((m) => m.kind === "Service").flatMap((service) => {
        const metadata = record(service.metadata);
        const namespace = String(metadata.namespace ?? release.namespace);
        return list(record(service.spec).ports).map((port) => `${String(metadata.name)}.${namespace}.svc:${String(record(port).port)}`);
    }));
}

/**
 * Every in-cluster target Prometheus scrapes (`<service>.<namespace>.svc:<port>` in the scrape
 * configs the plan gives kube-prometheus-stack) is a Service some release renders, or one of
 * `otherServices` (Services the plan creates itself).
 */
export function scrapeTargetProblems(rendered: readonly RenderedRelease[], otherServices: readonly string[]): string[] {
    const services = new Set([...renderedServices(rendered), ...otherServices]);
    const jobs = rendered.flatMap(({ release }) => list(record(record(record(release.values).prometheus).prometheusSpec).additionalScrapeConfigs).map(record));
    return jobs.flatMap((job) => list(job.static_configs).flatMap((c) => list(record(c).targets).map(String))
        .filter((target) => /\.svc:\d+$/.test(target) && !services.has(target))
        .map((target) => `scrape job ${String(job.job_name)}: ${target} is no Service any release renders or the plan creates`));
}

export function checkRenderedReleases(rendered: readonly RenderedRelease[], otherServices: readonly string[] = []): string[] {
    return [...rendered.flatMap((r) => [...antiAffinityProblems(r), ...lokiPortProblems(r), ...alloyPathProblems(r)]), ...scrapeTargetProblems(rendered, otherServices)];
}
