import type { PolicyResource } from "@pulumi/policy";
import {
    allMatch, canMatch, configError, formatLabels, formatMatchers, inhibitRules, matchRoutes, parseDurationSeconds, routingTree, UnreadableConfigError, walkRoutes,
    type InhibitRule, type Labels, type Route,
} from "./alertmanager-routing";
import { isMasked } from "./kubernetes-manifests";
import { alertmanagers, hasBackups, hasUnknown, isReadable, prometheusDeployments, type AlertRule, type PrometheusDeployment } from "./monitoring-sources";
import { resourcePolicy, setting, stackPolicy, type Values } from "./policy";
import { list, object } from "./props";

/**
 * Monitoring rules: critical alerts page someone (ops guides: critical → PagerDuty + Slack +
 * email), judged by running Alertmanager's routing and inhibition over the configuration it would
 * load; Prometheus keeps the guides' alert rules and its retention; Grafana's admin password only
 * ever comes from a secret.
 */

const guides = "ops guides: critical alerts page the on-call";

// ---- paging ----

const defaultPagingIntegrations = ["pagerduty_configs", "opsgenie_configs", "victorops_configs"];

const pagingSettings = {
    requirePaging: setting.switch(false),
    /** Receiver integrations that page a person. */
    pagingIntegrations: setting.strings(defaultPagingIntegrations),
    /** Longest wait before the first page (the paging route's `group_wait`). */
    maxGroupWaitSeconds: setting.number(300),
};

export type PagingSettings = Partial<Values<typeof pagingSettings>>;
const present = (v: unknown) => (typeof v === "string" && v.trim() !== "") || (typeof v === "object" && v !== null);

/**
 * Whether one integration entry can notify: the credentials Alertmanager needs for it, here or in
 * `global`, a credentials file only where the process can read it.
 */
function integrationWorks(key: string, entry: Record<string, unknown>, global: Record<string, unknown>, readable: (path: string) => boolean): boolean {
    const usable = (container: Record<string, unknown>, field: string) => present(container[field]) && (!field.endsWith("_file") || typeof container[field] !== "string" || readable(String(container[field])));
    const any = (...fields: string[]) => fields.some((f) => usable(entry, f));
    switch (key) {
        case "pagerduty_configs": return any("routing_key", "routing_key_file", "service_key", "service_key_file");
        case "opsgenie_configs": return any("api_key", "api_key_file") || usable(global, "opsgenie_api_key") || usable(global, "opsgenie_api_key_file");
        case "victorops_configs": return (any("api_key", "api_key_file") || usable(global, "victorops_api_key") || usable(global, "victorops_api_key_file")) && any("routing_key");
        default: return Object.keys(entry).length > 0;
    }
}

/** Names of the receivers that page a person; `readablePaths`, when known, are where credentials files can be. */
export function pagingReceivers(config: Record<string, unknown>, integrations: readonly string[] = defaultPagingIntegrations, readablePaths?: readonly string[]): Set<string> {
    const global = object(config.global);
    const readable = (path: string) => readablePaths === undefined || isReadable(path, readablePaths);
    return new Set(list(config.receivers)
        .filter((r) => integrations.some((key) => list(r[key]).some((entry) => integrationWorks(key, object(entry), global, readable))))
        .map((r) => String(r.name)));
}

/** Labels Prometheus puts on the alerts it sends, for probes that look like real alerts. */
function contextLabels(deployments: readonly PrometheusDeployment[]): Labels {
    return Object.assign({ namespace: "monitoring", job: "app", instance: "10.0.0.10:3000", prometheus: "monitoring/prometheus" }, ...deployments.map((d) => d.externalLabels)) as Labels;
}

/**
 * The critical alerts a paging configuration must page for: any critical alert, bare and with the
 * labels real alerts carry, and every critical alert rule the plan's Prometheus loads.
 */
export function criticalProbes(deployments: readonly PrometheusDeployment[]): Labels[] {
    const context = contextLabels(deployments);
    const bare: Labels = { alertname: "AnyCriticalAlert", severity: "critical" };
    const ruled = deployments.flatMap((d) => d.rules ?? []).filter((r) => r.labels.severity === "critical").map((r) => ({ ...r.labels, alertname: r.alert }));
    const probes = [bare, { ...context, ...bare }, ...ruled.map((labels) => ({ ...context, ...labels }))];
    return [...new Map(probes.map((p) => [JSON.stringify(Object.entries(p).sort()), p])).values()];
}

/**
 * The route that keeps an alert from a paging route whose matchers (and its ancestors') select it:
 * an earlier sibling on the way that matches and has no `continue: true`.
 */
function blockingRoute(tree: Route, target: Route, labels: Labels): Route | undefined {
    const chain = (route: Route, trail: readonly Route[]): readonly Route[] | undefined =>
        route === target ? [...trail, route] : route.routes.reduce<readonly Route[] | undefined>((found, child) => found ?? chain(child, [...trail, route]), undefined);
    const path = chain(tree, []) ?? [];
    if (!path.every((route) => allMatch(route.matchers, labels))) return undefined;
    for (let depth = 1; depth < path.length; depth++) {
        const siblings = path[depth - 1].routes;
        for (const sibling of siblings.slice(0, siblings.indexOf(path[depth]))) {
            if (!sibling.continue && matchRoutes(sibling, labels).length > 0) return sibling;
        }
    }
    return undefined;
}

function describeRoute(route: Route): string {
    return `${route.path} (${route.matchers.length === 0 ? "no matchers" : formatMatchers(route.matchers)}, receiver ${route.receiver ?? "none"})`;
}

const minutes = (seconds: number) => (seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`);

/** Why a configuration would not page for an alert, or undefined when some route delivers it to a paging receiver at once. */
export function pagingProblem(config: Record<string, unknown>, alert: Labels, settings: PagingSettings = {}, readablePaths?: readonly string[]): string | undefined {
    const tree = routingTree(config);
    const pagers = pagingReceivers(config, settings.pagingIntegrations, readablePaths);
    const maxWait = settings.maxGroupWaitSeconds ?? pagingSettings.maxGroupWaitSeconds.default;
    const matched = matchRoutes(tree, alert);
    const paging = matched.filter((r) => r.receiver !== undefined && pagers.has(r.receiver));
    const immediate = paging.filter((r) => r.muteTimeIntervals.length === 0 && r.activeTimeIntervals.length === 0 && r.groupWaitSeconds <= maxWait);
    if (immediate.length > 0) return undefined;
    const [late] = paging;
    if (late !== undefined) {
        if (late.muteTimeIntervals.length > 0) return `${describeRoute(late)} is muted during ${late.muteTimeIntervals.join(", ")} (mute_time_intervals)`;
        if (late.activeTimeIntervals.length > 0) return `${describeRoute(late)} pages only during ${late.activeTimeIntervals.join(", ")} (active_time_intervals)`;
        return `${describeRoute(late)} waits ${minutes(late.groupWaitSeconds)} (group_wait) before the first page, more than ${minutes(maxWait)}`;
    }
    const delivered = `it reaches ${matched.map(describeRoute).join(" and ")}`;
    if (pagers.size === 0) return `${delivered}, and no receiver pages (${(settings.pagingIntegrations ?? defaultPagingIntegrations).join(", ")} with credentials${readablePaths ? ` readable in ${readablePaths.join(", ")}` : ""})`;
    for (const { route } of walkRoutes(tree)) {
        if (route.receiver === undefined || !pagers.has(route.receiver) || route === tree) continue;
        const blocker = blockingRoute(tree, route, alert);
        if (blocker === undefined) continue;
        const stops = matched.includes(blocker) ? "" : ` (${delivered})`;
        return `${describeRoute(blocker)} catches it first and has no continue: true, so the paging ${route.path} never sees it${stops}`;
    }
    return `${delivered}, which pages nobody`;
}

/** The parts Alertmanager routes and inhibits with: unknown parts leave the configuration unjudged. */
const routingKnown = (config: Record<string, unknown>) => !hasUnknown(config.route) && !hasUnknown(config.inhibit_rules) && !hasUnknown(list(config.receivers).map((r) => r.name));

const where = (resource: PolicyResource, origin: string) => `Alertmanager configuration of ${resource.name} (${origin})`;

export const criticalAlertsPage = stackPolicy({
    name: "keel-critical-alerts-page",
    description: "Where paging is required (production), Alertmanager runs and every configuration it could load pages (PagerDuty, Opsgenie, VictorOps) for every critical alert, as Alertmanager's routing decides (first matching route, continue), without muting or delay; and Prometheus sends its alerts to it.",
    config: pagingSettings,
    check: function* ({ resources }, settings) {
        const found = alertmanagers(resources);
        if (found.length === 0) yield [`no Alertmanager in the stack: critical alerts page nobody (${guides})`];
        const deployments = prometheusDeployments(resources);
        for (const d of deployments) {
            if (d.alertingProblem !== undefined) yield [`Prometheus of ${d.resource.name}: ${d.alertingProblem}, so critical alerts never reach Alertmanager (${guides})`, d.resource.urn];
        }
        const probes = criticalProbes(deployments);
        for (const f of found) {
            if (f.kind === "disabled") yield [`${f.resource.name} runs no Alertmanager (${f.reason}): critical alerts page nobody (${guides})`, f.resource.urn];
            if (f.kind === "unverifiable") yield [`Alertmanager of ${f.resource.name} ${f.reason}: nothing shows critical alerts page (${guides}); keep its configuration in the plan`, f.resource.urn];
            if (f.kind !== "config" || !routingKnown(f.config)) continue;
            try {
                const invalid = configError(f.config);
                if (invalid !== undefined) {
                    yield [`${where(f.resource, f.origin)} would be refused by Alertmanager: ${invalid}; critical alerts would page nobody (${guides})`, f.resource.urn];
                    continue;
                }
                const failures = probes.flatMap((probe) => {
                    const problem = pagingProblem(f.config, probe, settings, f.readablePaths);
                    return problem === undefined ? [] : [{ probe, problem }];
                });
                if (failures.length === 0) continue;
                const more = failures.length > 1 ? ` (and ${failures.length - 1} more critical alert${failures.length > 2 ? "s" : ""})` : "";
                yield [`${where(f.resource, f.origin)} does not page for critical alert ${formatLabels(failures[0].probe)}${more}: ${failures[0].problem} (${guides})`, f.resource.urn];
            } catch (error) {
                if (!(error instanceof UnreadableConfigError)) throw error;
                yield [`${where(f.resource, f.origin)} cannot be read as Alertmanager would: ${error.message}; nothing shows critical alerts page (${guides})`, f.resource.urn];
            }
        }
    },
});

// ---- inhibition ----

/** Whether an inhibit rule can mute a critical alert: its targets can match `severity="critical"`, and not only signal alerts. */
export function mutesCritical(rule: InhibitRule, signalAlerts: readonly string[]): boolean {
    const onlySignals = rule.target.some((m) => m.name === "alertname" && m.type === "=" && signalAlerts.includes(m.value));
    return !onlySignals && canMatch(rule.target, { severity: "critical" });
}

export const alertmanagerInhibition = stackPolicy({
    name: "keel-alertmanager-inhibition",
    description: "No Alertmanager inhibit rule can mute a critical alert: target matchers must exclude severity=\"critical\" (Keel's own rules mute warnings and info alerts only).",
    config: {
        enabled: setting.switch(true),
        /** Alerts that are signals, never problems (kube-prometheus-stack's Watchdog and InfoInhibitor): rules may target them. */
        signalAlerts: setting.strings(["Watchdog", "InfoInhibitor"]),
    },
    check: function* ({ resources }, { signalAlerts }) {
        for (const f of alertmanagers(resources)) {
            if (f.kind !== "config" || hasUnknown(f.config.inhibit_rules)) continue;
            try {
                for (const rule of inhibitRules(f.config).filter((r) => mutesCritical(r, signalAlerts))) {
                    yield [`${where(f.resource, f.origin)}: ${rule.path} (source ${formatMatchers(rule.source)}, target ${formatMatchers(rule.target)}) can mute critical alerts whenever its source fires: target only warning or info alerts (${guides})`, f.resource.urn];
                }
            } catch (error) {
                if (!(error instanceof UnreadableConfigError)) throw error;
                yield [`${where(f.resource, f.origin)}: inhibit_rules cannot be read as Alertmanager would: ${error.message}`, f.resource.urn];
            }
        }
    },
});

// ---- Prometheus alert rules ----

type Severity = "critical" | "warning";

/** The guides' alerts (DESIGN.md, monitoring): critical ones page, warnings go to Slack and email. */
const guideAlerts: Record<string, Severity> = {
    ServiceDown: "critical", EndpointDown: "critical", HighErrorRate: "warning", HighResponseTime: "warning",
    DatabaseDown: "critical", DatabaseConnectionsHigh: "warning", ReplicaLag: "critical",
    HighCPU: "warning", HighMemory: "warning", DiskSpaceLow: "critical", ErrorBudgetBurn: "critical",
};

const promqlKeywords = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan", "atan2"]);

/** Whether an expression reads any series: without one (`vector(0) > 1`) it can never reflect the system. */
export function readsSeries(expr: string): boolean {
    const code = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""').replace(/\{[^}]*\}/g, "{}").replace(/\[[^\]]*\]/g, "[]");
    const identifiers = [...code.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)].filter(([, name, call]) => call === undefined && !promqlKeywords.has(name.toLowerCase()));
    return identifiers.length > 0 || /\{[^}]*\}/.test(expr.replace(/"(?:[^"\\]|\\.)*"/g, ""));
}

function requiredAlertProblems(rules: readonly AlertRule[], name: string, severity: Severity, maxDelaySeconds: number): string[] {
    const own = rules.filter((r) => r.alert === name);
    if (own.length === 0) return [`has no ${name} alert rule`];
    const severe = own.filter((r) => r.labels.severity === "critical" || (severity === "warning" && r.labels.severity === "warning"));
    if (severe.length === 0) return [`labels ${name} severity=${JSON.stringify(own[0].labels.severity ?? "")}, not ${severity}${severity === "critical" ? ": it would page nobody" : ""}`];
    const live = severe.filter((r) => readsSeries(r.expr));
    if (live.length === 0) return [`${name} (${severe[0].origin}) reads no series (${JSON.stringify(severe[0].expr)}): it can never fire`];
    const prompt = live.filter((r) => r.forSeconds <= maxDelaySeconds && (r.groupIntervalSeconds ?? 0) <= maxDelaySeconds);
    if (prompt.length > 0) return [];
    const slow = live[0];
    return [slow.forSeconds > maxDelaySeconds
        ? `${name} (${slow.origin}) waits ${minutes(slow.forSeconds)} (for) before firing, more than ${minutes(maxDelaySeconds)}`
        : `${name} (${slow.origin}) is evaluated every ${minutes(slow.groupIntervalSeconds ?? 0)} (its group's interval), more than ${minutes(maxDelaySeconds)}`];
}

export const prometheusAlertRules = stackPolicy({
    name: "keel-prometheus-alert-rules",
    description: "Where Prometheus runs, it loads the guides' alert rules (ServiceDown, HighErrorRate, DatabaseDown, ReplicaLag, DiskSpaceLow…, BackupMissing where backups are taken) with their severity, reading real series, firing within the allowed delay.",
    config: {
        /** Alert name → the least severity it must carry ("warning" accepts critical too). */
        requiredAlerts: setting.record(guideAlerts),
        /** Alerts required, as critical, where the stack takes backups. */
        backupAlerts: setting.strings(["BackupMissing"]),
        /** Longest a required alert may wait: its `for`, its group's interval, the evaluation interval. */
        maxDelayMinutes: setting.number(15),
    },
    check: function* ({ resources }, { requiredAlerts, backupAlerts, maxDelayMinutes }) {
        const deployments = prometheusDeployments(resources);
        if (deployments.length === 0) return;
        const required: Record<string, Severity> = { ...requiredAlerts };
        if (hasBackups(resources)) for (const name of backupAlerts) required[name] = "critical";
        const maxDelaySeconds = maxDelayMinutes * 60;
        for (const d of deployments) {
            if (d.disabled !== undefined) {
                yield [`${d.resource.name} deploys no Prometheus (${d.disabled}): the guides' alert rules are never evaluated`, d.resource.urn];
                continue;
            }
            if (d.evaluationIntervalSeconds !== undefined && d.evaluationIntervalSeconds > maxDelaySeconds) {
                yield [`Prometheus of ${d.resource.name} evaluates its rules every ${minutes(d.evaluationIntervalSeconds)}, more than ${minutes(maxDelaySeconds)}: alerts would come late`, d.resource.urn];
            }
            if (d.rules === undefined) continue;
            if (d.rules.length === 0) {
                yield [`Prometheus of ${d.resource.name} loads no alert rule (${d.ruleSource}): none of the guides' alerts (${Object.keys(required).join(", ")}) would fire`, d.resource.urn];
                continue;
            }
            const problems = Object.entries(required).flatMap(([name, severity]) => requiredAlertProblems(d.rules ?? [], name, severity, maxDelaySeconds));
            for (const problem of problems) yield [`Prometheus of ${d.resource.name} ${problem} (ops guides' alerts)`, d.resource.urn];
        }
    },
});

// ---- Prometheus retention ----

const byteUnits: Readonly<Record<string, number>> = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, P: 2 ** 50, E: 2 ** 60 };

/** A Prometheus size (`100GB`, `512MiB`; base 2, as Prometheus reads it) in GiB; undefined when it is not one. */
export function parseSizeGb(text: string): number | undefined {
    const parts = /^\s*(\d+(?:\.\d+)?)\s*([KMGTPE]?)(?:i?B)\s*$/i.exec(text);
    return parts === null ? undefined : (Number(parts[1]) * byteUnits[parts[2].toUpperCase()]) / 2 ** 30;
}

export const prometheusRetention = stackPolicy({
    name: "keel-prometheus-retention",
    description: "Prometheus keeps metrics at least the environment's retention (guides: 15 days in production) and, when a size limit is set, at least the environment's size.",
    config: {
        minimumDays: setting.number(15),
        /** Smallest `retentionSize` allowed when one is set (0: any). */
        minimumSizeGb: setting.number(0),
    },
    check: function* ({ resources }, { minimumDays, minimumSizeGb }) {
        for (const d of prometheusDeployments(resources)) {
            if (d.disabled !== undefined) continue;
            const { time, size, origin } = d.retention;
            if (time !== undefined && !isMasked(time)) {
                const seconds = parseDurationSeconds(time);
                if (seconds === undefined) yield [`Prometheus of ${d.resource.name} sets retention "${time}" (${origin}), which is not a duration`, d.resource.urn];
                else if (seconds < minimumDays * 86400) yield [`Prometheus of ${d.resource.name} keeps metrics ${time} (${origin}), less than the environment's ${minimumDays}d`, d.resource.urn];
            }
            if (minimumSizeGb > 0 && size !== undefined && !isMasked(size)) {
                const gb = parseSizeGb(size);
                if (gb === undefined) yield [`Prometheus of ${d.resource.name} sets retention size "${size}" (${origin}), which is not a size`, d.resource.urn];
                else if (gb < minimumSizeGb) yield [`Prometheus of ${d.resource.name} caps its storage at ${size} (${origin}), less than the environment's ${minimumSizeGb}GB: older metrics would be dropped early`, d.resource.urn];
            }
        }
    },
});

// ---- Grafana ----

/** A literal admin password in Grafana's environment or Helm values (a secret one is recorded as "[secret]"). */
export const grafanaAdminSecret = resourcePolicy({
    name: "keel-grafana-admin-secret",
    description: "Grafana's admin password comes only from a secret: a secret value or file, or the Helm chart's admin.existingSecret — never a plain value.",
    types: ["docker:index/container:Container", "kubernetes:helm.sh/v3:Release"],
    check: function* (resource) {
        if (resource.type === "docker:index/container:Container") {
            for (const env of list(resource.props.envs)) {
                const [name, ...value] = String(env).split("=");
                if (name === "GF_SECURITY_ADMIN_PASSWORD" && value.join("=") !== "") yield `container ${resource.name} sets GF_SECURITY_ADMIN_PASSWORD in plain text: pass it as a secret or use GF_SECURITY_ADMIN_PASSWORD__FILE`;
            }
        }
        if (resource.type === "kubernetes:helm.sh/v3:Release") {
            const values = object(resource.props.values);
            const grafana = object(values.grafana ?? (String(resource.props.chart).endsWith("grafana") ? values : undefined));
            if (Object.keys(grafana).length === 0 || grafana.enabled === false) return;
            if (grafana.adminPassword !== undefined) yield `Helm release ${resource.name} sets grafana.adminPassword in its values: use admin.existingSecret`;
            else if (typeof object(grafana.admin).existingSecret !== "string") yield `Helm release ${resource.name} runs Grafana without admin.existingSecret: the chart would generate a password outside Pulumi`;
        }
    },
});

export const monitoringPolicies = [criticalAlertsPage, alertmanagerInhibition, prometheusAlertRules, prometheusRetention, grafanaAdminSecret];
