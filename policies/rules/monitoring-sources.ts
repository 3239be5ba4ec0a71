import type { PolicyResource } from "@pulumi/policy";
import { posix } from "node:path";
import { parse } from "yaml";
import { parseDurationSeconds, type Labels } from "./alertmanager-routing";
import { isHelmRelease, isMasked, isTruthy, known, manifestsOf, unknownMarker } from "./kubernetes-manifests";
import { list, object } from "./props";

/**
 * Where a plan configures Alertmanager and Prometheus, and what they would really run: Helm
 * values merged over the chart's defaults (kube-prometheus-stack, prometheus, alertmanager),
 * Kubernetes Secrets and ConfigMaps, Prometheus Operator resources and Docker containers with
 * uploaded files. Values unknown at preview come back as `unknown`, never judged.
 */

const containerType = "docker:index/container:Container";
const secretType = "kubernetes:core/v1:Secret";
const configMapType = "kubernetes:core/v1:ConfigMap";
const namespaceType = "kubernetes:core/v1:Namespace";
const alertmanagerCrType = "kubernetes:monitoring.coreos.com/v1:Alertmanager";
const prometheusCrType = "kubernetes:monitoring.coreos.com/v1:Prometheus";

// ---- plain readers ----

/** A YAML (or JSON) mapping, `unknownMarker` when the text is masked or not a mapping Alertmanager or Prometheus could load. */
export function yamlMapping(text: unknown): Record<string, unknown> | typeof unknownMarker | undefined {
    if (text === undefined || text === null) return undefined;
    if (typeof text === "object" && !Array.isArray(text)) return text as Record<string, unknown>;
    if (typeof text !== "string" || isMasked(text)) return unknownMarker;
    try {
        const parsed: unknown = parse(text);
        return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
    } catch {
        // Alertmanager and Prometheus refuse a file that is not YAML: it configures nothing.
        return {};
    }
}

/** A mapping read from text or an object; empty when unknown or not one. */
function readableMapping(value: unknown): Record<string, unknown> {
    const mapping = yamlMapping(value);
    return mapping === unknownMarker ? {} : object(mapping);
}

function decodeBase64(text: unknown): unknown {
    if (typeof text !== "string" || isMasked(text)) return text === undefined ? undefined : unknownMarker;
    return Buffer.from(text, "base64").toString("utf8");
}

/** Whether a value (already `known`) holds anything unknown at preview. */
export function hasUnknown(value: unknown, depth = 0): boolean {
    if (value === unknownMarker) return true;
    if (typeof value !== "object" || value === null || depth > 64) return false;
    return Object.values(value).some((v) => hasUnknown(v, depth + 1));
}

/** Helm's merge of user values over chart defaults: mappings merge, anything else replaces, null deletes. */
export function helmMerge(base: Record<string, unknown>, overlay: Record<string, unknown>): Record<string, unknown> {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(overlay)) {
        if (value === null) delete merged[key];
        else if (isMapping(value) && isMapping(merged[key])) merged[key] = helmMerge(object(merged[key]), value);
        else merged[key] = value;
    }
    return merged;
}
const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A chart's `enabled` switched off: false, 0 or empty as Helm's `if` reads them, and "false" (which Helm would read as on), refused as meant. */
const switchedOff = (v: unknown) => v === false || v === 0 || v === "" || (typeof v === "string" && ["false", "0", "no", "off"].includes(v.trim().toLowerCase()));

/**
 * A release's values as the chart receives them: inline value files first, then `values` (a mapping,
 * or YAML text in a hand-edited record); undefined when `values` is unknown. Strings nested deeper
 * are read where the charts accept them (`alertmanager.config`, `stringConfig`, `serverFiles`).
 */
function releaseValues(props: Record<string, unknown>): Record<string, unknown> | undefined {
    const values = yamlMapping(props.values ?? {});
    if (values === unknownMarker || values === undefined) return undefined;
    const files = list(props.valueYamlFiles).map((asset) => readableMapping(asset.text));
    return [...files, values].reduce<Record<string, unknown>>((merged, v) => helmMerge(merged, v), {});
}

/** A section of chart values: a mapping, or YAML text holding one. */
const section = (values: Record<string, unknown>, key: string): Record<string, unknown> => readableMapping(values[key]);

/** A chart reference's chart name: `kube-prometheus-stack` for `prometheus-community/kube-prometheus-stack`, an OCI URL or a packaged file. */
export function chartName(chart: unknown): string {
    const last = String(chart ?? "").replace(/\/+$/, "").split("/").pop() ?? "";
    return last.replace(/\.tgz$/, "").replace(/-\d+\.\d+\.\d+.*$/, "");
}

/** Kubernetes label selector semantics: every `matchLabels` pair and `matchExpressions` requirement holds. */
export function selects(selector: Record<string, unknown>, labels: Labels): boolean {
    const pairs = Object.entries(object(selector.matchLabels)).every(([k, v]) => labels[k] === String(v));
    return pairs && list(selector.matchExpressions).every((e) => {
        const key = String(e.key);
        const values = Array.isArray(e.values) ? e.values.map(String) : [];
        switch (String(e.operator)) {
            case "In": return key in labels && values.includes(labels[key]);
            case "NotIn": return !(key in labels) || !values.includes(labels[key]);
            case "Exists": return key in labels;
            case "DoesNotExist": return !(key in labels);
            default: return false;
        }
    });
}

const stringLabels = (value: unknown): Labels => Object.fromEntries(Object.entries(object(value)).map(([k, v]) => [k, String(v)]));

/** A command's flag value, `--name=value` or `--name value` (the last one given wins); single-dash forms too. */
export function flagValue(args: readonly string[], name: string): string | undefined {
    let value: string | undefined;
    args.forEach((arg, i) => {
        const bare = arg.replace(/^--?/, "");
        if (bare.startsWith(`${name}=`) && arg.startsWith("-")) value = bare.slice(name.length + 1);
        else if (bare === name && arg.startsWith("-") && i + 1 < args.length) value = args[i + 1];
    });
    return value;
}

interface Upload { readonly file: string; readonly content: unknown }

/** A container's uploaded files: `content`, or `contentBase64` decoded; a `source` on the host is unknown. */
function uploadsOf(props: Record<string, unknown>): Upload[] {
    return list(props.uploads).map((u) => ({
        file: String(u.file ?? ""),
        content: typeof u.content === "string" ? u.content : u.contentBase64 !== undefined ? decodeBase64(u.contentBase64) : unknownMarker,
    }));
}
const commandOf = (props: Record<string, unknown>) => [...list(props.entrypoints), ...list(props.command)].map(String);

// ---- Alertmanager ----

export type AlertmanagerFinding =
    | {
        readonly kind: "config";
        readonly resource: PolicyResource;
        readonly origin: string;
        readonly config: Record<string, unknown>;
        /** Directories and files the Alertmanager process can read (for `*_file` credentials), when the plan says. */
        readonly readablePaths?: readonly string[];
    }
    /** A configuration whose content is not known at preview (a secret, an output): present, not judged. */
    | { readonly kind: "unknown"; readonly resource: PolicyResource; readonly origin: string }
    | { readonly kind: "disabled"; readonly resource: PolicyResource; readonly reason: string }
    /** Alertmanager runs with a configuration from outside the plan, which no policy can read. */
    | { readonly kind: "unverifiable"; readonly resource: PolicyResource; readonly reason: string };

/** kube-prometheus-stack 88's `alertmanager.config` default: everything to the "null" receiver. */
export const kubePrometheusStackAlertmanagerDefaults: Record<string, unknown> = {
    global: { resolve_timeout: "5m" },
    inhibit_rules: [
        { source_matchers: ["severity = critical"], target_matchers: ["severity =~ warning|info"], equal: ["namespace", "alertname"] },
        { source_matchers: ["severity = warning"], target_matchers: ["severity = info"], equal: ["namespace", "alertname"] },
        { source_matchers: ["alertname = InfoInhibitor"], target_matchers: ["severity = info"], equal: ["namespace"] },
        { target_matchers: ["alertname = InfoInhibitor"] },
    ],
    route: { group_by: ["namespace"], group_wait: "30s", group_interval: "5m", repeat_interval: "12h", receiver: "null", routes: [{ receiver: "null", matchers: ['alertname = "Watchdog"'] }] },
    receivers: [{ name: "null" }],
    templates: ["/etc/alertmanager/config/*.tmpl"],
};
/** The prometheus-community `alertmanager` chart's default `config`: one receiver with no integration. */
const alertmanagerChartDefaults: Record<string, unknown> = {
    global: {},
    receivers: [{ name: "default-receiver" }],
    route: { receiver: "default-receiver", group_wait: "10s", group_interval: "5m", repeat_interval: "3h" },
};

function finding(resource: PolicyResource, origin: string, text: unknown, readablePaths?: readonly string[]): AlertmanagerFinding | undefined {
    const config = yamlMapping(text);
    if (config === undefined) return undefined;
    if (config === unknownMarker) return { kind: "unknown", resource, origin };
    return { kind: "config", resource, origin, config, ...(readablePaths ? { readablePaths } : {}) };
}

/** Whether a path lies in one of the readable directories or files. */
export const isReadable = (path: string, readable: readonly string[]) => {
    const resolved = posix.resolve("/", path);
    return readable.some((r) => resolved === posix.resolve("/", r) || resolved.startsWith(`${posix.resolve("/", r)}/`));
};

const configKeys = ["alertmanager.yaml", "alertmanager.yml"];

/** The Alertmanager configurations a Secret or ConfigMap holds (Secret `data` and ConfigMap `binaryData` are base64). */
function fromKubernetesObject(resource: PolicyResource, props: Record<string, unknown>): AlertmanagerFinding[] {
    const encoded = resource.type === secretType ? ["data"] : ["binaryData"];
    return ["stringData", "data", "binaryData"].flatMap((field) => {
        const data = props[field];
        return configKeys.flatMap((key) => {
            const value = object(data)[key];
            if (value === undefined) return [];
            const found = finding(resource, `${field}["${key}"]`, encoded.includes(field) ? decodeBase64(value) : value);
            return found === undefined ? [] : [found];
        });
    });
}

/** The file a container's Alertmanager loads (`--config.file`, else the image's default) and whether it is Alertmanager at all. */
function fromContainer(resource: PolicyResource, props: Record<string, unknown>): AlertmanagerFinding[] {
    const uploads = uploadsOf(props);
    const flag = flagValue(commandOf(props), "config.file");
    const isAlertmanager = uploads.some((u) => /(^|\/)alertmanager\.ya?ml$/.test(u.file)) || /(^|\/)alertmanager\.ya?ml$/.test(flag ?? "");
    if (!isAlertmanager) return [];
    const path = posix.resolve("/etc/alertmanager", flag ?? "alertmanager.yml");
    const upload = uploads.find((u) => posix.resolve("/", u.file) === path);
    if (upload === undefined) return [{ kind: "unverifiable", resource, reason: `loads ${path}, which is not among its uploads` }];
    const readable = [...uploads.map((u) => u.file), ...list(props.volumes).map((v) => String(v.containerPath ?? "")), ...list(props.mounts).map((m) => String(m.target ?? ""))].filter((p) => p !== "");
    const found = finding(resource, `upload ${upload.file}`, upload.content, readable);
    return found === undefined ? [] : [found];
}

/** The name Prometheus Operator objects of a kube-prometheus-stack release get (`kube-prometheus-stack.fullname`). */
function kubePrometheusStackFullname(props: Record<string, unknown>, values: Record<string, unknown>): string | undefined {
    if (typeof values.fullnameOverride === "string" && values.fullnameOverride !== "") return values.fullnameOverride.slice(0, 26).replace(/-$/, "");
    const release = props.name;
    if (typeof release !== "string" || isMasked(release)) return undefined;
    const chart = typeof values.nameOverride === "string" && values.nameOverride !== "" ? values.nameOverride : "kube-prometheus-stack";
    return (release.includes(chart) ? release : `${release}-${chart}`).slice(0, 26).replace(/-$/, "");
}

function fromKubePrometheusStack(resource: PolicyResource, props: Record<string, unknown>, values: Record<string, unknown>, secretNames: ReadonlySet<string>): AlertmanagerFinding[] {
    const alertmanager = section(values, "alertmanager");
    const spec = section(alertmanager, "alertmanagerSpec");
    if (switchedOff(alertmanager.enabled)) return [{ kind: "disabled", resource, reason: `alertmanager.enabled is ${JSON.stringify(alertmanager.enabled)}` }];
    if (spec.replicas === 0 || spec.replicas === "0") return [{ kind: "disabled", resource, reason: "alertmanager.alertmanagerSpec.replicas is 0" }];
    const configuration = object(spec.alertmanagerConfiguration).name;
    if (typeof configuration === "string" && configuration !== "") {
        return [{ kind: "unverifiable", resource, reason: `takes its configuration from the AlertmanagerConfig "${configuration}" (alertmanagerSpec.alertmanagerConfiguration), which this policy cannot read` }];
    }
    const fullname = kubePrometheusStackFullname(props, values);
    const external = typeof spec.configSecret === "string" && spec.configSecret !== ""
        ? spec.configSecret
        : isTruthy(spec.useExistingSecret) ? (fullname === undefined ? "" : `alertmanager-${fullname}-alertmanager`) : undefined;
    if (external !== undefined) {
        // The Secret, when the plan creates it, is judged as a Secret: the release only says Alertmanager runs.
        const found = external === "" ? secretNames.size > 0 : secretNames.has(external);
        return found ? [{ kind: "unknown", resource, origin: `Secret ${external}` }] : [{ kind: "unverifiable", resource, reason: `reads its configuration from the Secret "${external || "alertmanager-…"}", which is not in the plan` }];
    }
    // The operator mounts spec.secrets and spec.configMaps under /etc/alertmanager, the configuration in /etc/alertmanager/config.
    const readable = [
        "/etc/alertmanager/config",
        ...list(spec.volumeMounts).map((m) => String(m.mountPath ?? "")),
        ...(Array.isArray(spec.secrets) ? spec.secrets : []).map((name) => `/etc/alertmanager/secrets/${String(name)}`),
        ...(Array.isArray(spec.configMaps) ? spec.configMaps : []).map((name) => `/etc/alertmanager/configmaps/${String(name)}`),
    ].filter((p) => p !== "");
    const findings: AlertmanagerFinding[] = [];
    const add = (origin: string, text: unknown) => {
        const found = finding(resource, origin, text, readable);
        if (found !== undefined) findings.push(found);
    };
    // With tplConfig, a non-empty stringConfig replaces config; without, it is judged anyway, as one flag would make it take over.
    const stringConfig = alertmanager.stringConfig;
    const hasStringConfig = typeof stringConfig === "string" && stringConfig.trim() !== "";
    if (hasStringConfig) add("values.alertmanager.stringConfig", stringConfig);
    if (hasStringConfig && isTruthy(alertmanager.tplConfig)) return findings;
    const config = alertmanager.config;
    if (typeof config === "string") add("values.alertmanager.config", config);
    else if (config === undefined || isMapping(config)) add("values.alertmanager.config", helmMerge(kubePrometheusStackAlertmanagerDefaults, object(config)));
    return findings;
}

/** Names of the Secrets in the plan that hold an Alertmanager configuration, or data not known at preview. */
function alertmanagerSecretNames(resources: readonly PolicyResource[]): Set<string> {
    const names = new Set<string>();
    for (const r of resources) {
        if (r.type !== secretType) continue;
        const props = object(known(r.props));
        const holds = ["stringData", "data"].some((field) => isMasked(props[field]) || configKeys.some((key) => object(props[field])[key] !== undefined));
        if (holds) names.add(String(object(props.metadata).name ?? ""));
    }
    return names;
}

/** Every Alertmanager a plan runs or configures, with the configuration it would load. */
export function alertmanagers(resources: readonly PolicyResource[]): AlertmanagerFinding[] {
    const secretNames = alertmanagerSecretNames(resources);
    return resources.flatMap((resource): AlertmanagerFinding[] => {
        if (resource.type === containerType) return fromContainer(resource, object(known(resource.props)));
        if (resource.type === secretType || resource.type === configMapType) return fromKubernetesObject(resource, object(known(resource.props)));
        if (resource.type === alertmanagerCrType) {
            const spec = object(object(known(resource.props)).spec);
            return spec.replicas === 0 ? [{ kind: "disabled", resource, reason: "spec.replicas is 0" }] : [];
        }
        if (!isHelmRelease(resource.type)) return [];
        const props = object(known(resource.props));
        const chart = chartName(props.chart);
        const values = releaseValues(props);
        if (chart !== "kube-prometheus-stack" && chart !== "alertmanager") return [];
        if (values === undefined) return [{ kind: "unknown", resource, origin: "values" }];
        if (chart === "kube-prometheus-stack") return fromKubePrometheusStack(resource, props, values, secretNames);
        const found = finding(resource, "values.config", isMapping(values.config) || values.config === undefined ? helmMerge(alertmanagerChartDefaults, object(values.config)) : values.config);
        return found === undefined ? [] : [found];
    });
}

// ---- Prometheus ----

export interface AlertRule {
    readonly alert: string;
    readonly labels: Labels;
    readonly expr: string;
    readonly forSeconds: number;
    /** The rule group's own evaluation interval, when it sets one. */
    readonly groupIntervalSeconds?: number;
    /** Where the rule is defined, for messages: the PrometheusRule's name or the rule file. */
    readonly origin: string;
}

export interface PrometheusDeployment {
    readonly resource: PolicyResource;
    /** `values.prometheus.enabled is false`, when the release deploys no Prometheus. */
    readonly disabled?: string;
    /** Retention by time and size, as configured (`15d`, `100GB`), and where. Undefined: unlimited; unknown: not known at preview. */
    readonly retention: { readonly time?: string; readonly size?: string; readonly origin: string };
    readonly externalLabels: Labels;
    readonly evaluationIntervalSeconds: number | undefined;
    /** Why alerts this Prometheus fires would not reach its Alertmanager, if they would not. */
    readonly alertingProblem?: string;
    /** The alert rules it loads; undefined when they cannot be known. */
    readonly rules: readonly AlertRule[] | undefined;
    /** How it finds its rules, for messages: its rule selectors or rule files. */
    readonly ruleSource: string;
}

/** The alert rules of rule groups (`groups[].rules[]` with an `alert`). */
export function alertRulesOf(groups: unknown, origin: string): AlertRule[] {
    return list(groups).flatMap((group) => {
        const interval = parseDurationSeconds(group.interval);
        return list(group.rules).filter((rule) => typeof rule.alert === "string").map((rule) => ({
            alert: String(rule.alert),
            labels: stringLabels(rule.labels),
            expr: String(rule.expr ?? ""),
            forSeconds: parseDurationSeconds(rule.for) ?? 0,
            ...(interval !== undefined ? { groupIntervalSeconds: interval } : {}),
            origin,
        }));
    });
}

interface RuleObject { readonly name: string; readonly namespace: string; readonly labels: Labels; readonly groups: unknown }

/** PrometheusRule objects of the plan: resources and manifests of ConfigGroups. */
function prometheusRuleObjects(resources: readonly PolicyResource[]): RuleObject[] {
    return resources.flatMap((r) => {
        if (r.type !== "kubernetes:monitoring.coreos.com/v1:PrometheusRule" && !r.type.startsWith("kubernetes:yaml/")) return [];
        return manifestsOf(r.type, r.name, r.props).filter((m) => m.kind === "PrometheusRule").map((m) => {
            const metadata = object(m.body.metadata);
            return { name: m.name, namespace: typeof metadata.namespace === "string" ? metadata.namespace : "default", labels: stringLabels(metadata.labels), groups: object(m.body.spec).groups };
        });
    });
}

function namespaceLabels(resources: readonly PolicyResource[]): Map<string, Labels> {
    const byName = new Map<string, Labels>();
    for (const r of resources) {
        if (r.type !== namespaceType) continue;
        const metadata = object(object(known(r.props)).metadata);
        const name = String(metadata.name ?? r.name);
        byName.set(name, { ...stringLabels(metadata.labels), "kubernetes.io/metadata.name": name });
    }
    return byName;
}

/** Which PrometheusRules a Prometheus loads: `undefined` namespace selector means its own namespace only. */
function selectedRules(rules: readonly RuleObject[], namespaces: Map<string, Labels>, ruleSelector: Record<string, unknown> | undefined, namespaceSelector: Record<string, unknown> | undefined, ownNamespace: string): AlertRule[] {
    if (ruleSelector === undefined) return [];
    return rules
        .filter((r) => selects(ruleSelector, r.labels))
        .filter((r) => (namespaceSelector === undefined ? r.namespace === ownNamespace : selects(namespaceSelector, namespaces.get(r.namespace) ?? { "kubernetes.io/metadata.name": r.namespace })))
        .flatMap((r) => alertRulesOf(r.groups, `PrometheusRule ${r.name}`));
}

const nonEmpty = (v: unknown) => isMapping(v) && Object.keys(v).length > 0;

function kubePrometheusStackPrometheus(resource: PolicyResource, props: Record<string, unknown>, values: Record<string, unknown>, rules: readonly RuleObject[], namespaces: Map<string, Labels>): PrometheusDeployment {
    const prometheus = section(values, "prometheus");
    const spec = section(prometheus, "prometheusSpec");
    const release = typeof props.name === "string" && !isMasked(props.name) ? props.name : undefined;
    const namespace = typeof props.namespace === "string" ? props.namespace : "default";
    // The chart: a non-empty ruleSelector as given; else release=<name> unless ruleSelectorNilUsesHelmValues is false; else all.
    const ruleSelector = nonEmpty(spec.ruleSelector)
        ? object(spec.ruleSelector)
        : spec.ruleSelectorNilUsesHelmValues === false || spec.ruleSelectorNilUsesHelmValues === "false" ? {} : release === undefined ? undefined : { matchLabels: { release } };
    const namespaceSelector = nonEmpty(spec.ruleNamespaceSelector) ? object(spec.ruleNamespaceSelector) : {};
    const additional = [
        ...Object.entries(object(values.additionalPrometheusRulesMap)).map(([name, v]) => ({ name, groups: object(v).groups })),
        ...list(values.additionalPrometheusRules).map((v) => ({ name: String(v.name), groups: v.groups })),
    ].map((r) => ({ name: `${resource.name}/${r.name}`, namespace, labels: { app: "kube-prometheus-stack", ...(release ? { release } : {}), ...stringLabels(values.additionalRuleLabels) }, groups: r.groups }));
    const endpoints = list(spec.alertingEndpoints);
    const alertingProblem = isTruthy(prometheus.agentMode) ? "prometheus.agentMode is on: no rule is evaluated"
        : isTruthy(spec.disableAlerting) ? "prometheus.prometheusSpec.disableAlerting is on"
            : endpoints.length > 0 ? `prometheus.prometheusSpec.alertingEndpoints sends alerts to ${endpoints.map((e) => `${String(e.namespace ?? namespace)}/${String(e.name)}`).join(", ")} instead of the release's Alertmanager`
                : undefined;
    return {
        resource,
        ...(switchedOff(prometheus.enabled) ? { disabled: `values.prometheus.enabled is ${JSON.stringify(prometheus.enabled)}` } : {}),
        // The chart's default retention is 10d; an empty retentionSize sets no size limit.
        retention: { time: spec.retention === undefined ? "10d" : String(spec.retention), ...(spec.retentionSize ? { size: String(spec.retentionSize) } : {}), origin: "values.prometheus.prometheusSpec" },
        externalLabels: stringLabels(spec.externalLabels),
        evaluationIntervalSeconds: parseDurationSeconds(spec.evaluationInterval ?? "30s"),
        ...(alertingProblem ? { alertingProblem } : {}),
        rules: ruleSelector === undefined ? undefined : [...selectedRules([...rules, ...additional], namespaces, ruleSelector, namespaceSelector, namespace)],
        ruleSource: `PrometheusRules selected by ruleSelector ${JSON.stringify(ruleSelector ?? "?")} in namespaces ${JSON.stringify(namespaceSelector)}`,
    };
}

function prometheusChart(resource: PolicyResource, values: Record<string, unknown>): PrometheusDeployment {
    const server = section(values, "server");
    const files = section(values, "serverFiles");
    const groups = ["alerting_rules.yml", "alerts", "rules"].flatMap((key) => list(readableMapping(files[key]).groups));
    return {
        resource,
        retention: { time: server.retention === undefined ? "15d" : String(server.retention), ...(server.retentionSize ? { size: String(server.retentionSize) } : {}), origin: "values.server" },
        externalLabels: stringLabels(object(object(server.global).external_labels)),
        evaluationIntervalSeconds: parseDurationSeconds(object(server.global).evaluation_interval ?? "1m"),
        rules: alertRulesOf(groups, `${resource.name} values.serverFiles`),
        ruleSource: "values.serverFiles",
    };
}

function operatorPrometheus(resource: PolicyResource, props: Record<string, unknown>, rules: readonly RuleObject[], namespaces: Map<string, Labels>): PrometheusDeployment {
    const spec = object(props.spec);
    const namespace = String(object(props.metadata).namespace ?? "default");
    const retention = spec.retention ?? (spec.retentionSize ? undefined : "24h");
    return {
        resource,
        retention: { ...(retention !== undefined ? { time: String(retention) } : {}), ...(spec.retentionSize ? { size: String(spec.retentionSize) } : {}), origin: "spec" },
        externalLabels: stringLabels(spec.externalLabels),
        evaluationIntervalSeconds: parseDurationSeconds(spec.evaluationInterval ?? "30s"),
        rules: selectedRules(rules, namespaces, isMapping(spec.ruleSelector) ? spec.ruleSelector : undefined, isMapping(spec.ruleNamespaceSelector) ? spec.ruleNamespaceSelector : undefined, namespace),
        ruleSource: `PrometheusRules selected by spec.ruleSelector ${JSON.stringify(spec.ruleSelector ?? null)}`,
    };
}

/** Whether a shell-style pattern (`*`, `?`, `[…]`) matches a path, as Prometheus globs `rule_files`. */
function globMatches(pattern: string, path: string): boolean {
    const source = pattern.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
    try {
        return new RegExp(`^${source}$`).test(path);
    } catch {
        return false;
    }
}

function containerPrometheus(resource: PolicyResource, props: Record<string, unknown>): PrometheusDeployment | undefined {
    const uploads = uploadsOf(props);
    const args = commandOf(props);
    const flag = flagValue(args, "config.file");
    const isPrometheus = uploads.some((u) => /(^|\/)prometheus\.ya?ml$/.test(u.file)) || /(^|\/)prometheus\.ya?ml$/.test(flag ?? "") || args.some((a) => a.includes("storage.tsdb."));
    if (!isPrometheus) return undefined;
    const configPath = posix.resolve("/etc/prometheus", flag ?? "prometheus.yml");
    const config = yamlMapping(uploads.find((u) => posix.resolve("/", u.file) === configPath)?.content);
    const readable = config !== undefined && config !== unknownMarker;
    const global = object(readable ? config.global : undefined);
    const ruleFiles = readable ? list(config.rule_files).map((p) => posix.resolve(posix.dirname(configPath), String(p))) : [];
    const rules = uploads
        .filter((u) => ruleFiles.some((pattern) => globMatches(pattern, posix.resolve("/", u.file))))
        .flatMap((u) => alertRulesOf(readableMapping(u.content).groups, u.file));
    // Prometheus: 15d unless a size limit is set alone, which lifts the time limit.
    const time = flagValue(args, "storage.tsdb.retention.time") ?? flagValue(args, "storage.tsdb.retention");
    const size = flagValue(args, "storage.tsdb.retention.size");
    const alertmanagers = readable ? list(object(config.alerting).alertmanagers) : [];
    return {
        resource,
        retention: { ...(time !== undefined ? { time } : size === undefined ? { time: "15d" } : {}), ...(size !== undefined ? { size } : {}), origin: "command" },
        externalLabels: stringLabels(global.external_labels),
        evaluationIntervalSeconds: parseDurationSeconds(global.evaluation_interval ?? "1m"),
        ...(readable && alertmanagers.length === 0 ? { alertingProblem: `${configPath} sends alerts to no Alertmanager (alerting.alertmanagers)` } : {}),
        rules: readable ? rules : undefined,
        ruleSource: `rule_files ${JSON.stringify(ruleFiles)} of ${configPath}`,
    };
}

/** Every Prometheus a plan runs: kube-prometheus-stack and prometheus releases, Prometheus resources, containers. */
export function prometheusDeployments(resources: readonly PolicyResource[]): PrometheusDeployment[] {
    const relevant = resources.some((r) => r.type === containerType || r.type === prometheusCrType || isHelmRelease(r.type));
    if (!relevant) return [];
    const rules = prometheusRuleObjects(resources);
    const namespaces = namespaceLabels(resources);
    return resources.flatMap((resource): PrometheusDeployment[] => {
        if (resource.type === containerType) return [containerPrometheus(resource, object(known(resource.props)))].filter((d) => d !== undefined);
        if (resource.type === prometheusCrType) return [operatorPrometheus(resource, object(known(resource.props)), rules, namespaces)];
        if (!isHelmRelease(resource.type)) return [];
        const props = object(known(resource.props));
        const chart = chartName(props.chart);
        if (chart !== "kube-prometheus-stack" && chart !== "prometheus") return [];
        const values = releaseValues(props);
        if (values === undefined) return [];
        return [chart === "prometheus" ? prometheusChart(resource, values) : kubePrometheusStackPrometheus(resource, props, values, rules, namespaces)];
    });
}

/** Whether the plan takes backups the guides' BackupMissing alert watches: AWS Backup plans or Keel's dump job. */
export function hasBackups(resources: readonly PolicyResource[]): boolean {
    return resources.some((r) => r.type === "aws:backup/plan:Plan" || r.type === "keel:backup:DatabaseDumpJob" || (r.type === "kubernetes:batch/v1:CronJob" && r.parent?.type.startsWith("keel:backup:") === true));
}
