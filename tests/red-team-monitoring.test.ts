import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse, stringify } from "yaml";
import { unknownCheckingProxy, type Policy, type PolicyResource, type StackValidationPolicy } from "@pulumi/policy";
import { loadPolicyPackConfig } from "../policies/offline";
import { alertingPolicies } from "../policies/rules/alerting";
import { monitoringPolicies } from "../policies/rules/monitoring";
import type { PlanResource } from "../offline-plan/record";
import { inputs, plannedStack, redTeam, remove, type Attack } from "./red-team";

/**
 * Signals that must reach a person: realistic bad changes to the production (and staging, local)
 * plan — alarms that stay silent, Alertmanager routing or inhibition that keeps critical alerts from
 * the pager, Prometheus rules removed or retention cut — each must be refused.
 */

const policies = [...monitoringPolicies, ...alertingPolicies];

type Values = Record<string, unknown>;

const obj = (v: unknown) => v as Values;
const first = (resources: PlanResource[], type: string, name?: string) => {
    const found = resources.find((r) => r.type === type && (name === undefined || r.name === name));
    assert.ok(found, `no ${type}${name ? ` named ${name}` : ""}`);
    return found;
};

const alarmType = "aws:cloudwatch/metricAlarm:MetricAlarm";
const subscriptionType = "aws:sns/topicSubscription:TopicSubscription";
const alarm = (rs: PlanResource[], name: string) => inputs(first(rs, alarmType, name));
const lagAlarm = (rs: PlanResource[]) => alarm(rs, "database-dr-replication-lag");

const kps = (rs: PlanResource[]) => obj(inputs(first(rs, "kubernetes:helm.sh/v3:Release", "monitoring-kube-prometheus-stack")).values);
const alertmanager = (rs: PlanResource[]) => obj(kps(rs).alertmanager);
const amConfig = (rs: PlanResource[]) => obj(alertmanager(rs).config);
const route = (rs: PlanResource[]) => obj(amConfig(rs).route);
const routes = (rs: PlanResource[]) => route(rs).routes as Values[];
const criticalRoute = (rs: PlanResource[]) => {
    const found = routes(rs).find((r) => JSON.stringify(r.matchers) === JSON.stringify(['severity="critical"']));
    assert.ok(found, "no critical route");
    return found;
};
const receivers = (rs: PlanResource[]) => amConfig(rs).receivers as Values[];
const inhibit = (rs: PlanResource[]) => amConfig(rs).inhibit_rules as Values[];
const prometheusSpec = (rs: PlanResource[]) => obj(obj(kps(rs).prometheus).prometheusSpec);
const alertRules = (rs: PlanResource[]) => (obj(inputs(first(rs, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-keel-alerts")).spec).groups as Values[]).flatMap((g) => g.rules as Values[]);
const alertRule = (rs: PlanResource[], name: string) => {
    const found = alertRules(rs).find((r) => r.alert === name);
    assert.ok(found, `no ${name} rule`);
    return found;
};
const dropRule = (rs: PlanResource[], name: string) => {
    for (const group of obj(inputs(first(rs, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-keel-alerts")).spec).groups as Values[]) {
        group.rules = (group.rules as Values[]).filter((r) => r.alert !== name);
    }
};
const silentConfig = { route: { receiver: "slack" }, receivers: [{ name: "slack", slack_configs: [{ channel: "#alerts", api_url_file: "/etc/alertmanager/secrets/slack-webhook-url" }] }] };

const page = "keel-critical-alerts-page";
const inhibition = "keel-alertmanager-inhibition";
const rules = "keel-prometheus-alert-rules";
const retention = "keel-prometheus-retention";
const actions = "keel-alarm-actions";
const lag = "keel-replica-lag-alarm";

const production: Attack[] = [
    // CloudWatch: the replica-lag alarm
    ["the replica-lag alarm at an hour instead of the RPO", lag, (rs) => { lagAlarm(rs).threshold = 3600; }],
    ["the DR watch's lag alarm at 15 minutes", lag, (rs) => { alarm(rs, "dr-watch-replica-lag").threshold = 900; }],
    ["the replica-lag alarm with actions disabled", lag, (rs) => { lagAlarm(rs).actionsEnabled = false; }],
    ["the replica-lag alarm without alarm actions", lag, (rs) => { lagAlarm(rs).alarmActions = []; }],
    ["the replica-lag alarm inverted", lag, (rs) => { lagAlarm(rs).comparisonOperator = "LessThanThreshold"; }],
    ["the replica-lag alarm quiet when the replica stops reporting", lag, (rs) => { lagAlarm(rs).treatMissingData = "notBreaching"; }],
    ["the replica-lag alarm waiting an hour", lag, (rs) => { Object.assign(lagAlarm(rs), { evaluationPeriods: 60, datapointsToAlarm: 60 }); }],
    ["the replica-lag alarm on a scaled expression", lag, (rs) => {
        const a = lagAlarm(rs);
        a.metricQueries = [
            { id: "lag", metric: { metricName: "ReplicaLag", namespace: "AWS/RDS", dimensions: a.dimensions, period: 60, stat: "Maximum" }, returnData: false },
            { id: "minutes", expression: "lag / 60", returnData: true },
        ];
        for (const key of ["metricName", "namespace", "dimensions", "statistic", "period"]) delete a[key];
    }],
    ["every replica-lag alarm removed", lag, (rs) => remove(rs, (r) => r.type === alarmType && inputs(r).metricName === "ReplicaLag")],
    ["the Prometheus ReplicaLag rule above the RPO", lag, (rs) => { alertRule(rs, "ReplicaLag").expr = "pg_replication_lag_seconds > 3600"; }],
    // CloudWatch: alarms that tell nobody
    ["a database alarm without actions", actions, (rs) => { delete alarm(rs, "database-primary-cpu").alarmActions; }],
    ["a database alarm with actions disabled", actions, (rs) => { alarm(rs, "database-primary-storage").actionsEnabled = false; }],
    ["the DR health alarm with an empty action list", actions, (rs) => { alarm(rs, "dr-watch-healthy-targets").alarmActions = []; }],
    ["the DR alarm topic without subscribers", actions, (rs) => remove(rs, (r) => r.type === subscriptionType && String(inputs(r).topic).includes(":database-dr-alarms-"))],
    ["the DR watch topic delivering to a queue only", actions, (rs) => {
        for (const s of rs.filter((r) => r.type === subscriptionType && String(inputs(r).topic).includes(":dr-watch-alarms-"))) Object.assign(inputs(s), { protocol: "sqs", endpoint: "arn:aws:sqs:us-west-2:123456789012:sink" });
    }],
    ["the warning topic filtering out alarm notifications", actions, (rs) => {
        for (const s of rs.filter((r) => r.type === subscriptionType && String(inputs(r).topic).includes(":database-primary-warnings-"))) Object.assign(inputs(s), { filterPolicy: JSON.stringify({ severity: ["critical"] }), filterPolicyScope: "MessageAttributes" });
    }],
    ["an alarm moved to a topic nobody subscribed to", actions, (rs) => {
        const topic = first(rs, "aws:sns/topic:Topic", "database-primary-alarms");
        const silent = structuredClone(topic);
        Object.assign(silent, { urn: topic.urn.replace("::database-primary-alarms", "::database-primary-quiet"), name: "database-primary-quiet" });
        rs.push(silent);
        alarm(rs, "database-primary-memory").alarmActions = ["arn:aws:sns:us-east-1:123456789012:database-primary-quiet-1234abc"];
    }],
    ["the DR alarm key no longer letting CloudWatch encrypt", actions, (rs) => {
        const key = inputs(first(rs, "aws:kms/key:Key", "database-dr-alarms-key"));
        const policy = JSON.parse(String(key.policy)) as { Statement: Values[] };
        policy.Statement = policy.Statement.filter((s) => s.Sid !== "CloudWatchAlarmsPublish");
        key.policy = JSON.stringify(policy);
    }],
    ["the DR watch topic on the AWS managed key", actions, (rs) => { inputs(first(rs, "aws:sns/topic:Topic", "dr-watch-alarms")).kmsMasterKeyId = "alias/aws/sns"; }],
    // Alertmanager
    ["Alertmanager disabled", page, (rs) => { alertmanager(rs).enabled = false; }],
    ["Alertmanager scaled to zero", page, (rs) => { obj(alertmanager(rs).alertmanagerSpec).replicas = 0; }],
    ["the monitoring release removed", page, (rs) => remove(rs, (r) => r.name === "monitoring-kube-prometheus-stack")],
    ["critical alerts routed to Slack", page, (rs) => { criticalRoute(rs).receiver = "warning"; }],
    ["the critical route removed", page, (rs) => { route(rs).routes = routes(rs).filter((r) => r.receiver !== "critical"); }],
    ["a catch-all route first", page, (rs) => { routes(rs).unshift({ receiver: "warning" }); }],
    ["a catch-all by regex before the critical route", page, (rs) => { routes(rs).splice(1, 0, { receiver: "warning", matchers: ['alertname=~".*"'] }); }],
    ["a route on the environment label before the critical route", page, (rs) => { routes(rs).splice(2, 0, { receiver: "warning", matchers: ['environment="production"'] }); }],
    ["a route for database alerts to Slack before the critical route", page, (rs) => { routes(rs).unshift({ receiver: "warning", matchers: ['alertname=~"Database.*|ReplicaLag"'] }); }],
    ["the critical route matching a misspelt severity", page, (rs) => { criticalRoute(rs).matchers = ['severity="Critical"']; }],
    ["the critical route on an unanchored regex", page, (rs) => {
        const critical = criticalRoute(rs);
        delete critical.matchers;
        critical.match_re = { severity: "crit" };
    }],
    ["a route to a receiver nobody defined", page, (rs) => { routes(rs).push({ receiver: "db-team", matchers: ['team="db"'] }); }],
    ["the critical receiver defined twice, once silent", page, (rs) => { receivers(rs).push({ name: "critical", email_configs: [{ to: "nobody@example.com" }] }); }],
    ["PagerDuty removed from the critical receiver", page, (rs) => { delete receivers(rs).find((r) => r.name === "critical")!.pagerduty_configs; }],
    ["PagerDuty without its routing key", page, (rs) => { receivers(rs).find((r) => r.name === "critical")!.pagerduty_configs = [{ send_resolved: true, severity: "critical" }]; }],
    ["the PagerDuty key read from a path nothing mounts", page, (rs) => {
        const [pagerDuty] = receivers(rs).find((r) => r.name === "critical")!.pagerduty_configs as Values[];
        pagerDuty.routing_key_file = "/etc/alertmanager/pagerduty-routing-key";
    }],
    ["the credentials volume no longer mounted", page, (rs) => { obj(alertmanager(rs).alertmanagerSpec).volumeMounts = []; }],
    ["the critical route muted at all times", page, (rs) => { criticalRoute(rs).mute_time_intervals = ["always"]; amConfig(rs).time_intervals = [{ name: "always", time_intervals: [{}] }]; }],
    ["critical pages only in office hours", page, (rs) => { criticalRoute(rs).active_time_intervals = ["office-hours"]; }],
    ["critical pages held six hours", page, (rs) => { route(rs).group_wait = "6h"; }],
    ["a silent stringConfig taking over", page, (rs) => { Object.assign(alertmanager(rs), { tplConfig: true, stringConfig: stringify(silentConfig) }); }],
    ["the config given as a silent YAML string", page, (rs) => { alertmanager(rs).config = stringify(silentConfig); }],
    ["the configuration taken from a Secret outside the plan", page, (rs) => { obj(alertmanager(rs).alertmanagerSpec).useExistingSecret = true; }],
    ["Prometheus alerting disabled", page, (rs) => { prometheusSpec(rs).disableAlerting = true; }],
    ["Prometheus alerting to another Alertmanager", page, (rs) => { prometheusSpec(rs).alertingEndpoints = [{ name: "alertmanager-sandbox", namespace: "sandbox", port: "http-web" }]; }],
    ["Watchdog inhibiting critical alerts", inhibition, (rs) => { inhibit(rs).push({ source_matchers: ['alertname="Watchdog"'], target_matchers: ['severity="critical"'] }); }],
    ["an inhibit rule without target matchers", inhibition, (rs) => { inhibit(rs).push({ source_matchers: ['alertname="Watchdog"'] }); }],
    ["warnings inhibiting everything but warnings", inhibition, (rs) => { inhibit(rs).push({ source_matchers: ['severity="warning"'], target_matchers: ['severity!="warning"'], equal: ["namespace"] }); }],
    ["the Keel inhibition widened to critical targets", inhibition, (rs) => { inhibit(rs)[0].target_matchers = ['severity=~"warning|critical"']; }],
    ["an old-style inhibit rule on critical targets", inhibition, (rs) => { inhibit(rs).push({ source_match: { alertname: "InfoInhibitor" }, target_match_re: { severity: ".*" } }); }],
    // Prometheus rules
    ["the guides' alert rules removed", rules, (rs) => remove(rs, (r) => r.name === "monitoring-keel-alerts")],
    ["DatabaseDown removed", rules, (rs) => dropRule(rs, "DatabaseDown")],
    ["BackupMissing removed", rules, (rs) => dropRule(rs, "BackupMissing")],
    ["ServiceDown downgraded to a warning", rules, (rs) => { obj(alertRule(rs, "ServiceDown").labels).severity = "warning"; }],
    ["HighErrorRate renamed", rules, (rs) => { alertRule(rs, "HighErrorRate").alert = "HighErrorRateOld"; }],
    ["ReplicaLag firing after six hours", rules, (rs) => { alertRule(rs, "ReplicaLag").for = "6h"; }],
    ["DatabaseDown made a constant", rules, (rs) => { alertRule(rs, "DatabaseDown").expr = "vector(0) > 1"; }],
    ["the rule selector left to the chart's default", rules, (rs) => { delete prometheusSpec(rs).ruleSelectorNilUsesHelmValues; }],
    ["a rule selector no Keel rule carries", rules, (rs) => { prometheusSpec(rs).ruleSelector = { matchLabels: { team: "sre" } }; }],
    ["Prometheus disabled in the release", rules, (rs) => { obj(kps(rs).prometheus).enabled = false; }],
    ["rules evaluated hourly", rules, (rs) => { prometheusSpec(rs).evaluationInterval = "1h"; }],
    // Prometheus retention
    ["a week of metrics", retention, (rs) => { prometheusSpec(rs).retention = "7d"; }],
    ["retention left to the chart's default", retention, (rs) => { delete prometheusSpec(rs).retention; }],
    ["two weeks of metrics, in weeks", retention, (rs) => { prometheusSpec(rs).retention = "2w"; }],
    ["metrics capped at 10 GB", retention, (rs) => { prometheusSpec(rs).retentionSize = "10GB"; }],
];

const staging: Attack[] = [
    ["staging's alert rules removed", rules, (rs) => remove(rs, (r) => r.name === "monitoring-keel-alerts")],
    ["staging's BackupMissing removed", rules, (rs) => dropRule(rs, "BackupMissing")],
    ["staging's retention cut to a day", retention, (rs) => { prometheusSpec(rs).retention = "1d"; }],
    ["a staging database alarm without actions", actions, (rs) => { alarm(rs, "database-primary-cpu").alarmActions = []; }],
    ["staging's warning topic without subscribers", actions, (rs) => remove(rs, (r) => r.type === subscriptionType && String(inputs(r).topic).includes(":database-primary-warnings-"))],
];

const container = (rs: PlanResource[], name: string) => inputs(first(rs, "docker:index/container:Container", name));
const upload = (rs: PlanResource[], name: string, file: string) => {
    const found = (container(rs, name).uploads as Values[]).find((u) => String(u.file).endsWith(file));
    assert.ok(found, `no upload ${file}`);
    return found;
};

const local: Attack[] = [
    ["local Prometheus keeping an hour", retention, (rs) => {
        const c = container(rs, "monitoring-prometheus");
        c.command = (c.command as string[]).map((a) => (a.startsWith("--storage.tsdb.retention.time=") ? "--storage.tsdb.retention.time=1h" : a));
    }],
    ["local Prometheus loading no alert rules", rules, (rs) => {
        const config = upload(rs, "monitoring-prometheus", "prometheus.yml");
        config.content = String(config.content).replace(/rule_files:\n(  - .*\n)+/, "");
    }],
    ["local Alertmanager muting critical alerts", inhibition, (rs) => {
        const file = upload(rs, "monitoring-alertmanager", "alertmanager.yml");
        const config = parse(String(file.content)) as Values;
        (config.inhibit_rules as Values[]).push({ source_matchers: ['alertname="Watchdog"'], target_matchers: ['severity=~".+"'] });
        file.content = stringify(config);
    }],
];

describe("signals that must reach a person: bad changes to the production plan are refused", () => redTeam("the clean production plan passes", policies, "production", [], production));
describe("signals that must reach a person: production in DR mode still passes", () => redTeam("the clean production plan passes", policies, "production", ["keel:dr.active=true"], []));
describe("signals that must reach a person: bad changes to the staging plan are refused", () => redTeam("the clean staging plan passes", policies, "staging", [], staging));
describe("signals that must reach a person: bad changes to the local plan are refused", () => redTeam("the clean local plan passes", policies, "local", [], local));

// ---- the same rules as the engine runs them at preview ----

/** @pulumi/policy's sentinel for a string the engine does not know yet (proxy.ts unknownStringValue). */
const unknownString = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Every value the record marks unknown, and every value `unknown` picks, as the engine's sentinel. */
function withSentinels(value: unknown, unknown: (v: unknown) => boolean): unknown {
    if (value === "[unknown]" || unknown(value)) return unknownString;
    if (Array.isArray(value)) return value.map((v) => withSentinels(v, unknown));
    if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withSentinels(v, unknown)]));
    return value;
}

/** The resources as a stack policy sees them at preview: props behind the unknown-checking proxy. */
function atPreview(records: readonly PlanResource[], unknown: (v: unknown) => boolean): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    for (const r of records) {
        const props = unknownCheckingProxy(withSentinels(r.inputs, unknown) as Values) as Values;
        byUrn.set(r.urn, { type: r.type, name: r.name, urn: r.urn, props, opts: { protect: r.protect, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] }, dependencies: [], propertyDependencies: {}, isType: () => false, asType: () => undefined });
    }
    for (const r of records) {
        const resource = byUrn.get(r.urn)!;
        resource.parent = r.parent === null ? undefined : byUrn.get(r.parent);
        resource.dependencies = r.dependencies.flatMap((urn) => byUrn.get(urn) ?? []);
        const provider = r.provider === null ? undefined : byUrn.get(r.provider);
        if (provider) resource.provider = { type: provider.type, name: provider.name, urn: provider.urn, props: provider.props };
    }
    return [...byUrn.values()];
}

async function judgeAtPreview(records: readonly PlanResource[], unknown: (v: unknown) => boolean): Promise<string[]> {
    const resources = atPreview(records, unknown);
    const packConfig = loadPolicyPackConfig("production");
    const reported: string[] = [];
    for (const policy of policies.filter((p: Policy): p is StackValidationPolicy => "validateStack" in p)) {
        const defaults = Object.fromEntries(Object.entries(policy.configSchema?.properties ?? {}).map(([k, v]) => [k, (v as { default?: unknown }).default]));
        const settings = { ...defaults, ...(packConfig[policy.name] as object | undefined) };
        await policy.validateStack({ resources, getConfig: <T>() => settings as T, stackTags: new Map(), notApplicable: () => { throw new Error("not applicable"); } }, (message) => reported.push(`${policy.name}: ${message}`));
    }
    return reported;
}

/** What a first preview does not know: SNS topic ARNs, the failover switch's alarm name, the IRSA role ARN in Helm values. */
const newTopicsAndRoles = (v: unknown) => typeof v === "string" && (/^arn:aws:sns:/.test(v) || /^arn:aws:iam::\d+:role\//.test(v) || /^app-failover-switch-[0-9a-f]{7}$/.test(v));

describe("signals that must reach a person: at preview, unknown values leave the rest judged", () => {
    const plan = plannedStack("production");

    test("the clean production plan passes with topic ARNs and role ARNs unknown", async () => {
        assert.deepEqual(await judgeAtPreview(plan().resources, newTopicsAndRoles), []);
    });

    test("a topic without subscribers is still found through dependencies, and a silent route still refused", async () => {
        const resources = structuredClone(plan().resources);
        remove(resources, (r) => r.type === subscriptionType && String(inputs(r).topic).includes(":database-dr-alarms-"));
        criticalRoute(resources).receiver = "warning";
        const reported = await judgeAtPreview(resources, newTopicsAndRoles);
        assert.ok(reported.some((m) => m.startsWith("keel-alarm-actions: alarm database-dr-replication-lag publishes to SNS topic database-dr-alarms")), reported.join("\n"));
        assert.ok(reported.some((m) => m.startsWith("keel-critical-alerts-page: ")), reported.join("\n"));
    });
});
