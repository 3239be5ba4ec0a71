import type { PolicyResource } from "@pulumi/policy";
import { isMasked, known, unknownMarker } from "./kubernetes-manifests";
import { prometheusDeployments } from "./monitoring-sources";
import { setting, stackPolicy, type Values } from "./policy";
import { list, object, ofType, regionOf } from "./props";
import { cacheGroupType, globalDatastoreType, isNodeOf, isSecondaryOf } from "./cache";
import { couldBeNameOf, dependsOn, globMatches, isAwsManagedKey, policyStatements, stringsOf } from "./storage-helpers";

/**
 * CloudWatch alarms that must reach a person: every alarm acts, and the SNS topics it publishes
 * to have a subscriber who receives alarm notifications; the replica-lag alarm fires within the
 * environment's RPO (guides: production RPO 5 minutes). The failover switch — an alarm Route 53
 * reads through a health check, no person — is the one alarm without actions.
 */

const metricAlarmType = "aws:cloudwatch/metricAlarm:MetricAlarm";
const alarmTypes = [metricAlarmType, "aws:cloudwatch/compositeAlarm:CompositeAlarm"];
const topicType = "aws:sns/topic:Topic";
const subscriptionType = "aws:sns/topicSubscription:TopicSubscription";
const healthCheckType = "aws:route53/healthCheck:HealthCheck";

interface Judged {
    readonly resource: PolicyResource;
    /** A plain copy of the resource's properties, values unknown at preview as `unknownMarker`. */
    readonly props: Record<string, unknown>;
}

const judged = (resources: readonly PolicyResource[], types: readonly string[]): Judged[] =>
    resources.filter((r) => types.includes(r.type)).map((resource) => ({ resource, props: object(known(resource.props)) }));

const knownString = (v: unknown): v is string => typeof v === "string" && !isMasked(v);

/** Whether a physical name is the one Pulumi gives the resource (its `name` input, or the auto-name). */
const couldBeNamed = (physical: string, { resource, props }: Judged) => couldBeNameOf(physical, { ...resource, props }, "name");

// ---- the failover switch ----

/**
 * Alarms a Route 53 CLOUDWATCH_METRIC health check reads (`cloudwatchAlarmName`, in
 * `cloudwatchAlarmRegion`): Keel's manual failover switch (components/traffic/failover-dns.ts).
 * Linked by the health check's dependency on the alarm or by the alarm's name, never by a name alone
 * another alarm could take: the name must be this alarm's own.
 */
export function healthCheckAlarms(alarms: readonly Judged[], healthChecks: readonly Judged[]): Set<string> {
    const used = new Set<string>();
    for (const check of healthChecks) {
        if (String(check.props.type).toUpperCase() !== "CLOUDWATCH_METRIC") continue;
        const name = check.props.cloudwatchAlarmName;
        const region = check.props.cloudwatchAlarmRegion;
        for (const alarm of alarms) {
            if (alarm.resource.type !== metricAlarmType) continue;
            const alarmRegion = regionOf({ props: alarm.props, provider: alarm.resource.provider && { props: object(known(alarm.resource.provider.props)) } });
            if (knownString(region) && alarmRegion !== undefined && !isMasked(alarmRegion) && region !== alarmRegion) continue;
            const ownName = alarm.props.name;
            const named = knownString(name) && couldBeNamed(name, alarm);
            const linked = dependsOn(check.resource, alarm.resource, "cloudwatchAlarmName") && (named || !knownString(name));
            if (linked || (named && knownString(ownName))) used.add(alarm.resource.urn);
        }
    }
    return used;
}

// ---- who receives an alarm ----

/** Protocols that reach a person or a service that notifies one; `sqs` and `firehose` only store messages. */
const notifyingProtocols = ["email", "email-json", "sms", "https", "http", "lambda", "application"];

function parsedFilterPolicy(policy: unknown): Record<string, unknown> | undefined {
    if (policy === undefined || policy === null || policy === "" || isMasked(policy)) return undefined;
    if (typeof policy !== "string") return object(policy);
    try {
        return object(JSON.parse(policy));
    } catch {
        return undefined;
    }
}

/**
 * Whether a subscription delivers CloudWatch alarm notifications: a notifying protocol, and no
 * filter on message attributes, which alarm notifications never carry (SNS drops them unless
 * every filtered attribute allows `{"exists": false}`).
 */
export function deliversAlarms(subscription: Record<string, unknown>): boolean {
    const protocol = subscription.protocol;
    if (knownString(protocol) && !notifyingProtocols.includes(protocol.toLowerCase())) return false;
    if (subscription.endpoint === "") return false;
    const filter = parsedFilterPolicy(subscription.filterPolicy);
    const scope = subscription.filterPolicyScope;
    if (filter === undefined || Object.keys(filter).length === 0 || (knownString(scope) && scope !== "MessageAttributes")) return true;
    return Object.values(filter).every((conditions) => list(conditions).some((c) => object(c).exists === false));
}

const isSnsArn = (v: unknown): v is string => knownString(v) && /^arn:aws[\w-]*:sns:/.test(v);
const arnName = (arn: string) => arn.slice(arn.lastIndexOf(":") + 1);

/** What a notification passes through on its way to a person. */
interface Delivery {
    readonly topics: readonly Judged[];
    readonly subscriptions: readonly Judged[];
    readonly keys: readonly Judged[];
    readonly aliases: readonly Judged[];
}

/** Whether a topic of the plan has a subscription that delivers alarm notifications. */
function subscribed(topic: Judged, { subscriptions }: Delivery): boolean {
    const arn = topic.props.arn;
    return subscriptions.some((s) => deliversAlarms(s.props) && (dependsOn(s.resource, topic.resource, "topic") || (knownString(arn) && s.props.topic === arn)));
}

/** The topic of the plan an ARN names: by its `arn`, else by its name (given or generated). */
function topicByArn(arn: string, { topics }: Delivery): Judged | undefined {
    return topics.find((t) => t.props.arn === arn)
        ?? topics.find((t) => !knownString(t.props.arn) && couldBeNamed(arnName(arn), t));
}

/**
 * The topics of the plan an alarm publishes to. Actions are matched to topics by ARN or name; an
 * ARN known only as an output, or naming no topic the plan subscribes to, by the alarm's dependencies.
 */
export function topicsOf(alarm: Judged, plan: Delivery): Judged[] {
    const actions = list(alarm.props.alarmActions) as unknown[];
    const byArn = actions.filter(isSnsArn).map((arn) => ({ arn, topic: topicByArn(arn, plan) }));
    const named = byArn.flatMap(({ topic }) => (topic === undefined ? [] : [topic]));
    const unresolved = byArn.some(({ arn, topic }) => topic === undefined && !plan.subscriptions.some((s) => s.props.topic === arn)) || actions.some((a) => a === unknownMarker);
    const viaDependencies = unresolved ? plan.topics.filter((t) => !knownString(t.props.arn) && dependsOn(alarm.resource, t.resource, "alarmActions")) : [];
    return [...new Set([...named, ...viaDependencies])];
}

const cloudWatchService = "cloudwatch.amazonaws.com";

/** Whether a key policy statement applies to CloudWatch: its service principal, or everyone. */
function forCloudWatch(principal: unknown): boolean {
    if (principal === "*") return true;
    const principals = object(principal);
    return stringsOf(principals.Service).includes(cloudWatchService) || stringsOf(principals.AWS).includes("*");
}

/** Whether a statement's Action (or NotAction) covers an API action. */
const coversAction = (statement: { Action?: unknown; NotAction?: unknown }, action: string) =>
    statement.NotAction !== undefined
        ? !stringsOf(statement.NotAction).some((a) => globMatches(a, action, true))
        : stringsOf(statement.Action).some((a) => globMatches(a, action, true));

/**
 * Whether a KMS key policy lets CloudWatch publish to a topic encrypted with the key: an Allow of
 * kms:GenerateDataKey* and kms:Decrypt to cloudwatch.amazonaws.com, and no unconditional Deny of
 * them (CloudWatch guide, "Amazon SNS topics encrypted with AWS KMS"). No policy: the default one, for the account only.
 */
export function letsCloudWatchEncrypt(policy: unknown): boolean {
    const statements = policyStatements(policy);
    const needed = ["kms:GenerateDataKey", "kms:Decrypt"];
    const allowed = needed.every((action) => statements.some((s) => s.Effect === "Allow" && forCloudWatch(s.Principal) && coversAction(s, action)));
    const denied = needed.some((action) => statements.some((s) => s.Effect === "Deny" && s.Condition === undefined && forCloudWatch(s.Principal) && coversAction(s, action)));
    return allowed && !denied;
}

/** Why CloudWatch cannot publish to an encrypted topic, or undefined. */
export function topicKeyProblem(topic: Judged, { keys, aliases }: Delivery): string | undefined {
    const keyId = topic.props.kmsMasterKeyId;
    if (keyId === undefined || keyId === "") return undefined;
    if (isAwsManagedKey(keyId)) return `is encrypted with the AWS managed key ${String(keyId)}, whose policy CloudWatch cannot use`;
    const alias = aliases.find((a) => knownString(keyId) && (a.props.name === keyId || a.props.arn === keyId));
    const key = keys.find((k) => knownString(keyId) && (k.props.arn === keyId || k.props.keyId === keyId))
        ?? keys.find((k) => (alias !== undefined ? dependsOn(alias.resource, k.resource, "targetKeyId") : dependsOn(topic.resource, k.resource, "kmsMasterKeyId")));
    if (key === undefined || isMasked(key.props.policy) || letsCloudWatchEncrypt(key.props.policy)) return undefined;
    return `is encrypted with KMS key ${key.resource.name}, whose key policy does not let ${cloudWatchService} use it (kms:GenerateDataKey*, kms:Decrypt)`;
}

/** Why an alarm acts on nothing, or undefined: actions disabled, or no alarm action at all. */
export function actionProblem(props: Record<string, unknown>): string | undefined {
    if (props.actionsEnabled === false || props.actionsEnabled === "false") return "has its actions disabled (actionsEnabled: false)";
    const actions = props.alarmActions;
    if (actions === unknownMarker) return undefined;
    if (list(actions).length === 0) return "has no alarmActions";
    return undefined;
}

export const alarmActions = stackPolicy({
    name: "keel-alarm-actions",
    description: "Every CloudWatch alarm acts (actions enabled, at least one alarm action), and every SNS topic of the plan it publishes to has a subscription that delivers alarm notifications and, if encrypted, a key CloudWatch may use; only the failover switch Route 53 reads through a health check has no actions.",
    check: function* ({ resources }) {
        const alarms = judged(resources, alarmTypes);
        if (alarms.length === 0) return;
        const switches = healthCheckAlarms(alarms, judged(resources, [healthCheckType]));
        const plan: Delivery = {
            topics: judged(resources, [topicType]),
            subscriptions: judged(resources, [subscriptionType]),
            keys: judged(resources, ["aws:kms/key:Key"]),
            aliases: judged(resources, ["aws:kms/alias:Alias"]),
        };
        for (const alarm of alarms) {
            if (switches.has(alarm.resource.urn)) continue;
            const problem = actionProblem(alarm.props);
            if (problem !== undefined) {
                yield [`alarm ${alarm.resource.name} ${problem}: it changes state and tells nobody (CloudWatch alarms notify only through their actions)`, alarm.resource.urn];
                continue;
            }
            for (const topic of topicsOf(alarm, plan)) {
                if (!subscribed(topic, plan)) yield [`alarm ${alarm.resource.name} publishes to SNS topic ${topic.resource.name}, which has no subscription that delivers alarm notifications: nobody would hear it`, alarm.resource.urn];
                const keyProblem = topicKeyProblem(topic, plan);
                if (keyProblem !== undefined) yield [`alarm ${alarm.resource.name} publishes to SNS topic ${topic.resource.name}, which ${keyProblem}: CloudWatch could not deliver the notification`, alarm.resource.urn];
            }
        }
    },
});

// ---- replica lag ----

/** Replication-lag metrics and the factor from their unit to seconds. */
const lagMetrics: Readonly<Record<string, number>> = {
    ReplicaLag: 1,
    AuroraBinlogReplicaLag: 1,
    AuroraReplicaLag: 0.001,
    AuroraReplicaLagMaximum: 0.001,
    AuroraGlobalDBReplicationLag: 0.001,
    // ElastiCache: a Global Datastore secondary's lag behind the primary region, in seconds.
    GlobalDatastoreReplicationLag: 1,
};
const risingOperators = ["GreaterThanThreshold", "GreaterThanOrEqualToThreshold"];

const lagSettings = {
    rpoSeconds: setting.number(3600),
    /** Longest a lag beyond the threshold may last before the alarm fires (period × datapoints). */
    maxEvaluationSeconds: setting.number(900),
    requireForReplicas: setting.flag(true),
};
type LagSettings = Partial<Values<typeof lagSettings>>;

interface LagMetric {
    readonly metricName: string;
    /** Seconds per unit of the metric. */
    readonly factor: number;
    readonly period: unknown;
    readonly statistic: unknown;
    /** Why the threshold cannot be compared with the RPO, if it cannot. */
    readonly opaque?: string;
}

/** The lag metric an alarm watches: its own metric, or one of its metric queries. */
export function lagMetricOf(props: Record<string, unknown>): LagMetric | undefined {
    if (knownString(props.metricName) && props.metricName in lagMetrics) {
        return { metricName: props.metricName, factor: lagMetrics[props.metricName], period: props.period, statistic: props.statistic ?? props.extendedStatistic };
    }
    const queries = list(props.metricQueries);
    const lag = queries.find((q) => String(object(q.metric).metricName) in lagMetrics);
    if (lag === undefined) return undefined;
    const metric = object(lag.metric);
    const name = String(metric.metricName);
    const returned = queries.filter((q) => q.returnData !== false && q.returnData !== "false");
    const direct = returned.length === 1 && (returned[0] === lag || highestOfSameMetric(returned[0], queries, name));
    return {
        metricName: name,
        factor: lagMetrics[name],
        period: metric.period,
        statistic: metric.stat,
        ...(direct ? {} : { opaque: `alarms on the expression ${JSON.stringify(returned.map((q) => q.expression ?? q.id).join(", "))} rather than ${name} itself` }),
    };
}

/**
 * `MAX([a, b, …])` over metric queries that are all the same lag metric (one per node, as
 * ElastiCache reports it per node): the highest lag, which compares with the RPO as the metric does.
 */
function highestOfSameMetric(returned: Record<string, unknown>, queries: readonly Record<string, unknown>[], metricName: string): boolean {
    const ids = /^MAX\(\[([\w\s,]+)\]\)$/.exec(String(returned.expression ?? "").trim())?.[1].split(",").map((id) => id.trim());
    const metrics = queries.filter((q) => q !== returned);
    return ids !== undefined && ids.length === metrics.length && metrics.every((q) => ids.includes(String(q.id)) && object(q.metric).metricName === metricName);
}

/** Why a replica-lag alarm would not tell anyone the replica has fallen behind the RPO, for each reason. */
export function lagAlarmProblems(props: Record<string, unknown>, metric: LagMetric, settings: LagSettings): string[] {
    const rpo = settings.rpoSeconds ?? lagSettings.rpoSeconds.default;
    const problems: string[] = [];
    const threshold = Number(props.threshold);
    if (metric.opaque !== undefined) problems.push(`${metric.opaque}, which cannot be compared with the RPO (${rpo} s)`);
    else if (props.threshold !== undefined && !isMasked(props.threshold) && Number.isFinite(threshold) && threshold * metric.factor > rpo) {
        problems.push(`fires only above ${threshold * metric.factor} s of lag (threshold ${threshold} on ${metric.metricName}), beyond the RPO of ${rpo} s`);
    }
    const operator = props.comparisonOperator;
    if (knownString(operator) && !risingOperators.includes(operator)) problems.push(`compares with ${operator}: it does not fire when the replica falls behind`);
    if (metric.statistic === "SampleCount") problems.push("counts samples (SampleCount) instead of measuring the lag");
    const missing = props.treatMissingData;
    if (!isMasked(missing) && missing !== "breaching") problems.push(`treats missing data as ${JSON.stringify(missing ?? "missing")}: a replica that stops reporting (replication broken, region lost) would never alarm; use "breaching"`);
    const action = actionProblem(props);
    if (action !== undefined) problems.push(action);
    const period = Number(metric.period ?? 60);
    const datapoints = Number(props.datapointsToAlarm ?? props.evaluationPeriods ?? 1);
    const maxEvaluation = settings.maxEvaluationSeconds ?? lagSettings.maxEvaluationSeconds.default;
    if (Number.isFinite(period * datapoints) && period * datapoints > maxEvaluation) problems.push(`needs ${datapoints} × ${period} s = ${period * datapoints} s of lag before alarming, more than ${maxEvaluation} s`);
    return problems;
}


/** Replicas of the plan: RDS read replicas, Aurora clusters that replicate (secondaries of a global cluster), ElastiCache Global Datastore secondaries. */
function replicasOf(resources: readonly PolicyResource[]): Judged[] {
    return judged(resources, ["aws:rds/instance:Instance", "aws:rds/cluster:Cluster", cacheGroupType]).filter(({ resource, props }) => {
        if (resource.type === "aws:rds/instance:Instance") return props.replicateSourceDb !== undefined && props.replicateSourceDb !== "";
        if (resource.type === cacheGroupType) return knownString(props.globalReplicationGroupId) && props.globalReplicationGroupId !== "";
        return (props.replicationSourceIdentifier !== undefined && props.replicationSourceIdentifier !== "") || (props.globalClusterIdentifier !== undefined && props.masterUsername === undefined);
    });
}

/**
 * Whether an alarm watches a replica: its dimensions come from the replica, or name it. A Global
 * Datastore's lag is watched on whichever member is the secondary (the DR failover swaps them):
 * an alarm naming any member's nodes (`<group>-001`, …) watches it.
 */
function watches(alarm: Judged, replica: Judged, resources: readonly PolicyResource[]): boolean {
    const datastorePrimaries = ofType(resources, globalDatastoreType).filter((datastore) => isSecondaryOf(replica, datastore)).map((datastore) => datastore.props.primaryReplicationGroupId);
    const identifiers = [replica.props.identifier, replica.props.clusterIdentifier, replica.props.replicationGroupId, ...datastorePrimaries].filter(knownString);
    const dimensions = [object(alarm.props.dimensions), ...list(alarm.props.metricQueries).map((q) => object(object(q.metric).dimensions))].flatMap((d) => Object.values(d)).map(String);
    return dependsOn(alarm.resource, replica.resource, "dimensions") || dimensions.some((d) => identifiers.some((id) => d === id || (replica.resource.type === cacheGroupType && isNodeOf(d, id))));
}

/** The threshold in seconds a PromQL `lag > N` compares with, or why it cannot be read. */
export function promqlThreshold(expr: string): number | string {
    const code = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, "").replace(/\[[^\]]*\]/g, "");
    const at = code.lastIndexOf(">");
    if (at < 0) return "compares nothing with a threshold";
    const left = code.slice(0, at);
    const right = code.slice(at + 1).replace(/^=/, "").replace(/\bbool\b/, "").trim();
    if (/[-*/+%^]|\b(unless|or)\b/i.test(left)) return `scales or combines the lag (${JSON.stringify(expr)})`;
    const value = arithmetic(right);
    return value === undefined ? `compares with ${JSON.stringify(right)}, not a number` : value;
}

/** A constant arithmetic expression (`5 * 60`); undefined for anything else. */
function arithmetic(text: string): number | undefined {
    if (!/^[\d\s.()*/+-]+$/.test(text)) return undefined;
    const tokens = text.match(/\d+(?:\.\d+)?|[()*/+-]/g) ?? [];
    let i = 0;
    const factor = (): number | undefined => {
        const token = tokens[i++];
        if (token === "(") {
            const value = sum();
            return tokens[i++] === ")" ? value : undefined;
        }
        if (token === "-") {
            const value = factor();
            return value === undefined ? undefined : -value;
        }
        return token !== undefined && /^\d/.test(token) ? Number(token) : undefined;
    };
    const product = (): number | undefined => {
        let value = factor();
        while (value !== undefined && (tokens[i] === "*" || tokens[i] === "/")) {
            const op = tokens[i++];
            const next = factor();
            value = next === undefined ? undefined : op === "*" ? value * next : value / next;
        }
        return value;
    };
    const sum = (): number | undefined => {
        let value = product();
        while (value !== undefined && (tokens[i] === "+" || tokens[i] === "-")) {
            const op = tokens[i++];
            const next = product();
            value = next === undefined ? undefined : op === "+" ? value + next : value - next;
        }
        return value;
    };
    const value = sum();
    return i === tokens.length ? value : undefined;
}

export const replicaLagAlarm = stackPolicy({
    name: "keel-replica-lag-alarm",
    description: "Every replica (RDS, Aurora, an ElastiCache Global Datastore secondary) has a replication-lag alarm, and every such alarm (CloudWatch ReplicaLag, AuroraGlobalDBReplicationLag, GlobalDatastoreReplicationLag…, and Prometheus' ReplicaLag rule) fires within the environment's RPO, on missing data, quickly, with actions enabled.",
    config: lagSettings,
    check: function* ({ resources }, settings) {
        const rpo = settings.rpoSeconds;
        const lagAlarms = judged(resources, [metricAlarmType]).flatMap((alarm) => {
            const metric = lagMetricOf(alarm.props);
            return metric === undefined ? [] : [{ alarm, metric }];
        });
        for (const { alarm, metric } of lagAlarms) {
            for (const problem of lagAlarmProblems(alarm.props, metric, settings)) {
                yield [`replica-lag alarm ${alarm.resource.name} ${problem} (guides: RPO ${rpo} s)`, alarm.resource.urn];
            }
        }
        if (settings.requireForReplicas !== false) {
            for (const replica of replicasOf(resources)) {
                if (!lagAlarms.some(({ alarm }) => watches(alarm, replica, resources))) {
                    yield [`replica ${replica.resource.name} has no replication-lag alarm: nobody would learn that it fell more than the RPO (${rpo} s) behind`, replica.resource.urn];
                }
            }
        }
        for (const d of prometheusDeployments(resources)) {
            for (const rule of (d.rules ?? []).filter((r) => r.alert === "ReplicaLag")) {
                const threshold = promqlThreshold(rule.expr);
                if (typeof threshold === "string") yield [`Prometheus ReplicaLag rule of ${d.resource.name} (${rule.origin}) ${threshold}: it cannot be compared with the RPO (${rpo} s)`, d.resource.urn];
                else if (threshold > rpo) yield [`Prometheus ReplicaLag rule of ${d.resource.name} (${rule.origin}) fires only above ${threshold} s of lag, beyond the RPO of ${rpo} s`, d.resource.urn];
            }
        }
    },
});

export const alertingPolicies = [alarmActions, replicaLagAlarm];
