import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { parse } from "yaml";
import { list, object } from "./props";

/**
 * Monitoring rules: critical alerts page someone (ops guides: critical → PagerDuty + Slack +
 * email), and Grafana's admin password only ever comes from a secret.
 */


/** Alertmanager configurations in a plan: uploaded files, Kubernetes secrets and Helm values. */
export function alertmanagerConfigs(resources: readonly PolicyResource[]): { resource: PolicyResource; config: Record<string, unknown> }[] {
    const found: { resource: PolicyResource; config: Record<string, unknown> }[] = [];
    const fromYaml = (resource: PolicyResource, text: unknown) => {
        if (typeof text !== "string" || text === "[secret]") return;
        try {
            found.push({ resource, config: object(parse(text)) });
        } catch {
            // Not YAML: not a configuration this rule can read.
        }
    };
    for (const resource of resources) {
        if (resource.type === "docker:index/container:Container") {
            for (const upload of list(resource.props.uploads).map(object)) {
                if (String(upload.file ?? "").endsWith("alertmanager.yml")) fromYaml(resource, upload.content);
            }
        }
        if (resource.type === "kubernetes:core/v1:Secret" || resource.type === "kubernetes:core/v1:ConfigMap") {
            const data = object(resource.props.stringData ?? resource.props.data);
            for (const key of ["alertmanager.yaml", "alertmanager.yml"]) fromYaml(resource, data[key]);
        }
        if (resource.type === "kubernetes:helm.sh/v3:Release") {
            const config = object(object(object(resource.props.values).alertmanager).config);
            if (Object.keys(config).length > 0) found.push({ resource, config });
        }
    }
    return found;
}

/** Whether a route (or a route above it) selects critical alerts. */
function selectsCritical(route: Record<string, unknown>): boolean {
    const matchers = list(route.matchers).map((m) => String(m).replace(/\s+/g, ""));
    return matchers.some((m) => /^severity=~?"?\^?\(?critical/.test(m)) || object(route.match).severity === "critical";
}

/** The receivers critical alerts reach: the routes that select them, else the root route's receiver. */
export function criticalReceivers(config: Record<string, unknown>): string[] {
    const receivers: string[] = [];
    const walk = (route: Record<string, unknown>, inherited: string | undefined) => {
        const receiver = typeof route.receiver === "string" ? route.receiver : inherited;
        const children = list(route.routes).map(object);
        if (selectsCritical(route) && receiver !== undefined) receivers.push(receiver);
        for (const child of children) walk(child, receiver);
    };
    const root = object(config.route);
    walk(root, undefined);
    if (receivers.length === 0 && typeof root.receiver === "string") receivers.push(root.receiver);
    return receivers;
}

const pagingIntegrations = ["pagerduty_configs", "opsgenie_configs", "victorops_configs"];

export const criticalAlertsPage: StackValidationPolicy = {
    name: "keel-critical-alerts-page",
    description: "Where paging is required (production), every Alertmanager configuration in the stack routes critical alerts to a paging receiver (PagerDuty, Opsgenie or VictorOps).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { requirePaging: { type: "boolean", default: false } } },
    validateStack: (args, reportViolation) => {
        if (!args.getConfig<{ requirePaging?: boolean }>().requirePaging) return;
        for (const { resource, config } of alertmanagerConfigs(args.resources)) {
            const byName = new Map(list(config.receivers).map(object).map((r) => [String(r.name), r]));
            const pages = (name: string) => pagingIntegrations.some((key) => list(byName.get(name)?.[key]).length > 0);
            const receivers = criticalReceivers(config);
            const silent = receivers.filter((name) => !pages(name));
            if (receivers.length === 0 || silent.length > 0) {
                reportViolation(`Alertmanager configuration of ${resource.name} routes critical alerts to ${silent.join(", ") || "no receiver"}, which pages nobody`, resource.urn);
            }
        }
    },
};

/** A literal admin password in Grafana's environment or Helm values (a secret one is recorded as "[secret]"). */
export const grafanaAdminSecret: ResourceValidationPolicy = {
    name: "keel-grafana-admin-secret",
    description: "Grafana's admin password comes only from a secret: a secret value or file, or the Helm chart's admin.existingSecret — never a plain value.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { enabled: { type: "boolean", default: true } } },
    validateResource: (args, reportViolation) => {
        if (args.type === "docker:index/container:Container") {
            for (const env of list(args.props.envs)) {
                const [name, ...value] = String(env).split("=");
                if (name === "GF_SECURITY_ADMIN_PASSWORD" && value.join("=") !== "") reportViolation(`container ${args.name} sets GF_SECURITY_ADMIN_PASSWORD in plain text: pass it as a secret or use GF_SECURITY_ADMIN_PASSWORD__FILE`);
            }
        }
        if (args.type === "kubernetes:helm.sh/v3:Release") {
            const values = object(args.props.values);
            const grafana = object(values.grafana ?? (String(args.props.chart).endsWith("grafana") ? values : undefined));
            if (Object.keys(grafana).length === 0 || grafana.enabled === false) return;
            if (grafana.adminPassword !== undefined) reportViolation(`Helm release ${args.name} sets grafana.adminPassword in its values: use admin.existingSecret`);
            else if (typeof object(grafana.admin).existingSecret !== "string") reportViolation(`Helm release ${args.name} runs Grafana without admin.existingSecret: the chart would generate a password outside Pulumi`);
        }
    },
};

export const monitoringPolicies = [criticalAlertsPage, grafanaAdminSecret];
