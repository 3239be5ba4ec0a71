import { stringify } from "yaml";

/**
 * YAML as the Go tools read it. Prometheus, Alertmanager, Loki and Grafana parse YAML 1.1
 * (gopkg.in/yaml), where unquoted `on`, `yes` or `no` are booleans: serialising as 1.1 quotes
 * such strings. No line folding, so long PromQL stays on one line. Deterministic: key order is
 * the order the renderers build objects in.
 */
export function toYaml(value: unknown, header: string): string {
    return `# ${header}\n${stringify(value, { version: "1.1", lineWidth: 0, indent: 2 })}`;
}

/** The first line of every rendered file. */
export function renderedHeader(environment: string): string {
    return `Rendered by Keel (components/monitoring/render) for ${environment}; do not edit: change the MonitoringSpec.`;
}
