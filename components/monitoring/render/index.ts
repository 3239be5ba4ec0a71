import { alertmanagerConfig } from "./alertmanager";
import { alloyBlocks, alloyPaths, riverText } from "./alloy";
import { grafanaDashboardProvider, grafanaDashboards, grafanaDashboardsPath, grafanaDatasources } from "./grafana";
import { jaegerConfig, jaegerPaths, jaegerSampling } from "./jaeger";
import { lokiConfig } from "./loki";
import { blackboxConfig, prometheusFiles } from "./prometheus";
import { validateMonitoringSpec, type MonitoringSpec } from "./spec";
import { renderedHeader, toYaml } from "./yaml";

export * from "./alertmanager";
export * from "./alloy";
export * from "./dashboards";
export * from "./grafana";
export * from "./humanize";
export * from "./jaeger";
export * from "./loki";
export * from "./prometheus";
export * from "./rules";
export * from "./slo";
export * from "./spec";
export * from "./tools";

export type MonitoringService = "prometheus" | "alertmanager" | "grafana" | "loki" | "alloy" | "jaeger" | "blackbox";

/** A rendered configuration file: where it goes under `<out>/monitoring/`, and where its service reads it. */
export interface RenderedFile {
    readonly path: string;
    readonly content: string;
    /** The service that reads it; promtool test files have none (they run in CI, not in a container). */
    readonly service?: MonitoringService;
    readonly mountPath?: string;
}

/** Where each service reads the directory its files are rendered into. */
export const configDirectories: Readonly<Record<Exclude<MonitoringService, "alloy" | "jaeger">, string>> = {
    prometheus: "/etc/prometheus",
    alertmanager: "/etc/alertmanager",
    grafana: "/etc/grafana",
    loki: "/etc/loki",
    blackbox: "/etc/blackbox_exporter",
};

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * Every file of the monitoring stack for a spec, refusing a bad spec first. Pure and
 * deterministic: the same spec renders byte-identical files, which is what lets the plan's
 * `--out`, the Docker backend and the Kubernetes backend deploy the very same configuration.
 */
export function renderMonitoring(spec: MonitoringSpec): RenderedFile[] {
    validateMonitoringSpec(spec);
    const header = renderedHeader(spec.environment);
    const inDirectory = (service: keyof typeof configDirectories, path: string, content: string, relative = path): RenderedFile =>
        ({ path, content, service, mountPath: `${configDirectories[service]}/${relative}` });
    const files: RenderedFile[] = [
        ...prometheusFiles(spec).map((f) => (f.path.startsWith("tests/") ? f : inDirectory("prometheus", f.path, f.content))),
    ];
    if (spec.probes) files.push(inDirectory("blackbox", "blackbox.yml", toYaml(blackboxConfig(), header), "config.yml"));
    if (spec.alerting) files.push(inDirectory("alertmanager", "alertmanager.yml", toYaml(alertmanagerConfig(spec.alerting), header)));
    if (spec.grafana) {
        files.push(
            inDirectory("grafana", "grafana/provisioning/datasources/keel.yml", toYaml(grafanaDatasources(spec), header), "provisioning/datasources/keel.yml"),
            inDirectory("grafana", "grafana/provisioning/dashboards/keel.yml", toYaml(grafanaDashboardProvider(), header), "provisioning/dashboards/keel.yml"),
            ...grafanaDashboards(spec, spec.grafana).map((d): RenderedFile =>
                ({ path: `grafana/dashboards/${d.file}`, content: json(d.json), service: "grafana", mountPath: `${grafanaDashboardsPath}/${d.file}` })),
        );
    }
    if (spec.logs) {
        files.push(
            inDirectory("loki", "loki.yml", toYaml(lokiConfig(spec, spec.logs), header)),
            { path: "config.alloy", content: riverText(alloyBlocks(spec, spec.logs), header), service: "alloy", mountPath: alloyPaths.config },
        );
    }
    if (spec.traces) {
        files.push(
            { path: "jaeger.yml", content: toYaml(jaegerConfig(spec, spec.traces), header), service: "jaeger", mountPath: jaegerPaths.config },
            { path: "jaeger-sampling.json", content: json(jaegerSampling(spec.traces)), service: "jaeger", mountPath: jaegerPaths.sampling },
        );
    }
    return files;
}
