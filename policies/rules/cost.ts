import type { PolicyResource } from "@pulumi/policy";
import { list, object } from "./props";
import { tagsOf } from "./tagging";
import { setting, stackPolicy } from "./policy";
import { dependsOn } from "./storage-helpers";

/**
 * Budget alerts and cost anomaly detection (operations guides, "Cost Optimization"). A budget
 * nobody hears, or that speaks only long after the money is spent, is no alert: what a
 * careless or hostile change would do is drop the subscribers, raise the thresholds, switch
 * to a yearly budget or to usage, or unhook the anomaly subscription from its monitor.
 */

const budgetType = "aws:budgets/budget:Budget";
const monitorType = "aws:costexplorer/anomalyMonitor:AnomalyMonitor";
const subscriptionType = "aws:costexplorer/anomalySubscription:AnomalySubscription";

const subscribersOf = (notification: Record<string, unknown>) => [...list(notification.subscriberEmailAddresses), ...list(notification.subscriberSnsTopicArns)].length;

/**
 * A tag filter (`user:<key>$<value>`) that counts what the budget's own stack is not tagged with:
 * a misspelt environment makes a budget of nothing that never alerts.
 */
function filterProblems(budget: PolicyResource): string[] {
    const tags = tagsOf(budget);
    return list(budget.props.costFilters)
        .filter((f) => f.name === "TagKeyValue")
        .flatMap((f) => [f.values ?? []].flat().map(String))
        .flatMap((value) => {
            const match = /^user:([^$]+)\$(.*)$/.exec(value);
            if (match === null) return [`filters on "${value}", not a user-defined tag as user:<key>$<value>`];
            const [, key, wanted] = match;
            return tags[key] === wanted ? [] : [`counts the costs tagged ${key}=${wanted}, but the stack's resources carry ${key}=${String(tags[key] ?? "(none)")}: it would count nothing of theirs`];
        });
}

/** What keeps a budget from alerting in time: its problems, each a sentence's end. */
function budgetProblems(props: Record<string, unknown>, maximumPercent: number): string[] {
    const notifications = list(props.notifications);
    const alerting = (type: "ACTUAL" | "FORECASTED") =>
        notifications.some((n) => n.notificationType === type && n.thresholdType === "PERCENTAGE" && n.comparisonOperator === "GREATER_THAN" && Number(n.threshold) <= maximumPercent && subscribersOf(n) > 0);
    return [
        ...(props.budgetType === "COST" ? [] : [`counts ${String(props.budgetType)}, not COST`]),
        ...(props.timeUnit === "MONTHLY" ? [] : [`runs ${String(props.timeUnit)}, not MONTHLY (a longer period alerts after the money is spent)`]),
        ...notifications.flatMap((n, i) => (subscribersOf(n) > 0 ? [] : [`notification ${i} (${String(n.notificationType)} ${String(n.threshold)}) reaches nobody`])),
        ...(alerting("ACTUAL") ? [] : [`has no notification on ACTUAL spend above at most ${maximumPercent} % of the limit that reaches someone`]),
        ...(alerting("FORECASTED") ? [] : [`has no notification on the FORECASTED spend above at most ${maximumPercent} % of the limit that reaches someone`]),
    ];
}

/** Why no anomaly subscription reports the stack's anomalies to someone from at most `maximumImpactUsd`; undefined when one does. */
function anomalyProblem(resources: readonly PolicyResource[], maximumImpactUsd: number): string | undefined {
    const monitors = resources.filter((r) => r.type === monitorType);
    const subscriptions = resources.filter((r) => r.type === subscriptionType);
    const impactOf = (props: Record<string, unknown>) => {
        const dimension = object(object(props.thresholdExpression).dimension);
        return dimension.key === "ANOMALY_TOTAL_IMPACT_ABSOLUTE" ? Math.min(...list(dimension.values).map(Number)) : undefined;
    };
    const watching = subscriptions.some((s) =>
        list(s.props.subscribers).length > 0 &&
        monitors.some((m) => dependsOn(s, m, "monitorArnLists")) &&
        (impactOf(s.props) ?? Infinity) <= maximumImpactUsd);
    return watching
        ? undefined
        : `no cost anomaly subscription with subscribers watches an anomaly monitor of the stack and reports anomalies of $${maximumImpactUsd} or less ` +
              `(${monitors.length} monitor(s), ${subscriptions.length} subscription(s)): set keel:cost.anomalyImpactUsd (components/cost)`;
}

export const costAlerts = stackPolicy({
    name: "keel-cost-alerts",
    description: "Where required (every AWS environment), the stack has a monthly COST budget whose actual and forecast notifications, at most at 100 % of the limit, reach someone; no budget notification reaches nobody, and a tag filter counts the tags the stack's resources carry. Where anomaly detection is required (production), a Cost Explorer anomaly subscription with subscribers watches an anomaly monitor of the stack from at most the configured impact.",
    config: {
        required: setting.switch(false),
        maximumPercent: setting.number(100),
        requireAnomalyDetection: setting.flag(false),
        maximumImpactUsd: setting.number(1000),
    },
    check: function* ({ resources }, { maximumPercent, requireAnomalyDetection, maximumImpactUsd }) {
        const budgets = resources.filter((r) => r.type === budgetType);
        if (budgets.length === 0) yield ["the stack has no AWS budget: every AWS environment has budget alerts (components/cost, keel:cost.monthlyBudgetUsd)"];
        for (const budget of budgets) {
            for (const problem of [...budgetProblems(object(budget.props), maximumPercent), ...filterProblems(budget)]) yield [`Budget "${budget.name}" ${problem}`, budget.urn];
        }
        const anomalies = requireAnomalyDetection ? anomalyProblem(resources, maximumImpactUsd) : undefined;
        if (anomalies !== undefined) yield [anomalies];
    },
});

export const costPolicies = [costAlerts];
