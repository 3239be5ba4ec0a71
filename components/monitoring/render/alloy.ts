import { logLabels } from "./loki";
import type { LogsSpec, MonitoringSpec } from "./spec";

/**
 * Grafana Alloy (Promtail's successor; Promtail reached end of life) shipping container logs
 * (from the Docker socket, or from the Kubernetes API) and the host's /var/log to Loki. JSON log
 * lines give their `level` as a label, which the debug retention selects on; security sources
 * get `log_type="security"`: the host's auth logs (files on a Docker host, the journal's
 * authentication facilities on a Kubernetes node), and containers labelled
 * `keel.log-type=security` (Docker) or annotated `keel.io/log-type: security` (Kubernetes).
 * Argument names follow the Alloy reference of each component.
 */

export const alloyPaths = {
    config: "/etc/alloy/config.alloy",
    data: "/var/lib/alloy/data",
    /** The Docker host's /var/log, mounted read-only (DockerMonitoring). */
    hostLogs: "/var/log/host",
    dockerSocket: "/var/run/docker.sock",
    /**
     * The node's persistent systemd journal. EKS nodes run Amazon Linux 2023, which ships no
     * rsyslog: there is no /var/log/secure or auth.log, every host log is in the journal (AL2023
     * user guide, "Comparing AL2 and AL2023": journald replaces rsyslog). The Alloy chart mounts
     * the node's /var/log at /var/log (`alloy.mounts.varlog`), so the path is the node's own.
     */
    nodeJournal: "/var/log/journal",
} as const;

/** Syslog facilities of authentication messages (sshd: auth = 4; sudo, PAM: authpriv = 10; RFC 5424 §6.2.1). */
export const securityFacilities = [4, 10] as const;

/** An expression River evaluates, such as a reference to another component's export. */
export class RiverExpression {
    constructor(readonly text: string) {}
}

export type RiverValue = string | number | boolean | RiverExpression | readonly RiverValue[] | { readonly [key: string]: RiverValue };

export interface RiverBlock {
    /** `discovery.docker`, `rule`, `stage.json`, … */
    readonly name: string;
    /** Components have a label; nested blocks do not. */
    readonly label?: string;
    readonly attributes?: Readonly<Record<string, RiverValue>>;
    readonly blocks?: readonly RiverBlock[];
}

const ref = (text: string) => new RiverExpression(text);

function riverValue(value: RiverValue): string {
    if (value instanceof RiverExpression) return value.text;
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    if (Array.isArray(value)) return `[${value.map(riverValue).join(", ")}]`;
    const entries = Object.entries(value as Record<string, RiverValue>);
    return entries.length === 0 ? "{}" : `{ ${entries.map(([k, v]) => `${JSON.stringify(k)} = ${riverValue(v)}`).join(", ")} }`;
}

function riverBlock(block: RiverBlock, indent = ""): string {
    const inner = `${indent}  `;
    const head = `${indent}${block.name}${block.label !== undefined ? ` ${JSON.stringify(block.label)}` : ""} {`;
    const lines = [
        ...Object.entries(block.attributes ?? {}).map(([key, value]) => `${inner}${key} = ${riverValue(value)}`),
        ...(block.blocks ?? []).map((b) => riverBlock(b, inner)),
    ];
    return [head, ...lines, `${indent}}`].join("\n");
}

export function riverText(blocks: readonly RiverBlock[], header: string): string {
    return `// ${header}\n\n${blocks.map((b) => riverBlock(b)).join("\n\n")}\n`;
}

const rule = (sourceLabel: string, targetLabel: string, regex?: string): RiverBlock => ({
    name: "rule",
    attributes: { source_labels: [sourceLabel], ...(regex !== undefined ? { regex } : {}), target_label: targetLabel },
});

const processor = ref("loki.process.logs.receiver");

function containerSources(logs: LogsSpec): RiverBlock[] {
    if (logs.collector === "docker") {
        const host = `unix://${alloyPaths.dockerSocket}`;
        return [
            { name: "discovery.docker", label: "containers", attributes: { host } },
            {
                // Rules only (no targets): loki.source.docker applies them to each container's stream.
                name: "discovery.relabel",
                label: "containers",
                attributes: { targets: [] },
                blocks: [
                    rule("__meta_docker_container_name", "container", "/(.*)"),
                    rule("__meta_docker_container_label_keel_log_type", logLabels.type, "(.+)"),
                ],
            },
            {
                name: "loki.source.docker",
                label: "containers",
                attributes: {
                    host,
                    targets: ref("discovery.docker.containers.targets"),
                    labels: { source: "docker" },
                    relabel_rules: ref("discovery.relabel.containers.rules"),
                    forward_to: [processor],
                },
            },
        ];
    }
    return [
        { name: "discovery.kubernetes", label: "pods", attributes: { role: "pod" } },
        {
            name: "discovery.relabel",
            label: "pods",
            attributes: { targets: ref("discovery.kubernetes.pods.targets") },
            blocks: [
                rule("__meta_kubernetes_namespace", "namespace"),
                rule("__meta_kubernetes_pod_name", "pod"),
                rule("__meta_kubernetes_pod_container_name", "container"),
                rule("__meta_kubernetes_pod_annotation_keel_io_log_type", logLabels.type, "(.+)"),
            ],
        },
        { name: "loki.source.kubernetes", label: "pods", attributes: { targets: ref("discovery.relabel.pods.output"), forward_to: [processor] } },
    ];
}

/** The Docker host's syslog files, mounted at `alloyPaths.hostLogs`: auth.log / secure are security logs. */
function hostFileSources(): RiverBlock[] {
    const hostLog = (path: string, type: string, exclude?: string) => ({
        __path__: `${alloyPaths.hostLogs}/${path}`,
        ...(exclude !== undefined ? { __path_exclude__: `${alloyPaths.hostLogs}/${exclude}` } : {}),
        job: "host",
        [logLabels.type]: type,
    });
    return [
        {
            name: "local.file_match",
            label: "host",
            attributes: { path_targets: [hostLog("{*.log,syslog,messages}", "system", "auth.log"), hostLog("{auth.log,secure}", "security")] },
        },
        { name: "loki.source.file", label: "host", attributes: { targets: ref("local.file_match.host.targets"), forward_to: [processor] } },
    ];
}

/**
 * A Kubernetes node's journal: every entry is a system log, and those of the authentication
 * facilities are security logs (relabel rules apply in order: the second overrides the first).
 */
function nodeJournalSources(): RiverBlock[] {
    return [
        {
            name: "loki.relabel",
            label: "journal",
            attributes: { forward_to: [] },
            blocks: [
                { name: "rule", attributes: { target_label: logLabels.type, replacement: "system" } },
                { name: "rule", attributes: { source_labels: ["__journal_syslog_facility"], regex: securityFacilities.join("|"), target_label: logLabels.type, replacement: "security" } },
                rule("__journal__systemd_unit", "unit"),
                rule("__journal__hostname", "node"),
            ],
        },
        {
            name: "loki.source.journal",
            label: "host",
            attributes: { path: alloyPaths.nodeJournal, relabel_rules: ref("loki.relabel.journal.rules"), labels: { job: "host" }, forward_to: [processor] },
        },
    ];
}

/** The Alloy pipeline as blocks (what the structural tests read) … */
export function alloyBlocks(spec: MonitoringSpec, logs: LogsSpec): RiverBlock[] {
    return [
        ...containerSources(logs),
        ...(logs.collector === "docker" ? hostFileSources() : nodeJournalSources()),
        {
            name: "loki.process",
            label: "logs",
            attributes: { forward_to: [ref("loki.write.loki.receiver")] },
            blocks: [
                { name: "stage.json", attributes: { expressions: { [logLabels.level]: "level" } } },
                { name: "stage.labels", attributes: { values: { [logLabels.level]: "" } } },
            ],
        },
        {
            name: "loki.write",
            label: "loki",
            attributes: { external_labels: { environment: spec.environment } },
            blocks: [{ name: "endpoint", attributes: { url: `http://${spec.endpoints.loki}/loki/api/v1/push` } }],
        },
    ];
}
