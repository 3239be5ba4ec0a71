import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PlanResource } from "../../offline-plan/record";
import { planStack } from "../../tests/plans";
import { east, found, provider, resource } from "../testing";
import { costAlerts } from "./cost";

const budgetType = "aws:budgets/budget:Budget";
const notification = (notificationType: string, threshold: number, changes: Record<string, unknown> = {}) =>
    ({ notificationType, threshold, thresholdType: "PERCENTAGE", comparisonOperator: "GREATER_THAN", subscriberEmailAddresses: ["oncall@example.com"], ...changes });
/** The budget components/cost makes. */
const budget = (changes: Record<string, unknown> = {}, name = "keel-production") =>
    resource(budgetType, { name, budgetType: "COST", timeUnit: "MONTHLY", limitAmount: "12000.00", limitUnit: "USD", notifications: [notification("ACTUAL", 80), notification("ACTUAL", 100), notification("FORECASTED", 100)], ...changes }, { name, provider: east }).resource;
const required = (settings: Record<string, unknown> = {}) => ({ "keel-cost-alerts": { required: true, ...settings } });

describe("keel-cost-alerts: the budget", () => {
    const judge = (resources: PlanResource[], settings: Record<string, unknown> = {}) => found(costAlerts, resources, required(settings));

    test("passes the budget CostAlerts makes, and anything where not required", async () => {
        assert.deepEqual(await judge([budget()]), []);
        assert.deepEqual(await found(costAlerts, []), []);
    });

    test("refuses a stack without a budget", async () => {
        assert.deepEqual(await judge([]), ["the stack has no AWS budget: every AWS environment has budget alerts (components/cost, keel:cost.monthlyBudgetUsd)"]);
    });

    test("refuses a budget that alerts too late, on the wrong figure, or to nobody", async () => {
        const cases: [Record<string, unknown>, string[]][] = [
            [{ timeUnit: "ANNUALLY" }, ["runs ANNUALLY, not MONTHLY (a longer period alerts after the money is spent)"]],
            [{ budgetType: "USAGE" }, ["counts USAGE, not COST"]],
            [{ notifications: [notification("ACTUAL", 500), notification("FORECASTED", 100)] }, ["has no notification on ACTUAL spend above at most 100 % of the limit that reaches someone"]],
            [{ notifications: [notification("ACTUAL", 80), notification("FORECASTED", 100, { subscriberEmailAddresses: [] })] }, [
                "notification 1 (FORECASTED 100) reaches nobody",
                "has no notification on the FORECASTED spend above at most 100 % of the limit that reaches someone",
            ]],
            [{ notifications: [notification("ACTUAL", 80, { thresholdType: "ABSOLUTE_VALUE", threshold: 1e9 }), notification("FORECASTED", 90, { comparisonOperator: "LESS_THAN" })] }, [
                "has no notification on ACTUAL spend above at most 100 % of the limit that reaches someone",
                "has no notification on the FORECASTED spend above at most 100 % of the limit that reaches someone",
            ]],
            [{ notifications: [] }, [
                "has no notification on ACTUAL spend above at most 100 % of the limit that reaches someone",
                "has no notification on the FORECASTED spend above at most 100 % of the limit that reaches someone",
            ]],
        ];
        for (const [changes, problems] of cases) assert.deepEqual(await judge([budget(changes)]), problems.map((p) => `Budget "keel-production" ${p}`), JSON.stringify(changes));
    });

    test("refuses a tag filter the stack's resources do not match, and one that is no user tag", async () => {
        const tagged = provider({ name: "tagged", region: "us-east-1", defaultTags: { environment: "production" } });
        const filtered = (values: string[]) => resource(budgetType, { ...budget().inputs, costFilters: [{ name: "TagKeyValue", values }] }, { name: "keel-production", provider: tagged }).resource;
        assert.deepEqual(await judge([tagged, filtered(["user:environment$production"])]), []);
        assert.deepEqual(await judge([tagged, filtered(["user:environment$prod", "environment$production"])]), [
            'Budget "keel-production" counts the costs tagged environment=prod, but the stack\'s resources carry environment=production: it would count nothing of theirs',
            'Budget "keel-production" filters on "environment$production", not a user-defined tag as user:<key>$<value>',
        ]);
    });

    test("an SNS topic is a subscriber too; the maximum percentage is the pack config's", async () => {
        assert.deepEqual(await judge([budget({ notifications: [notification("ACTUAL", 120, { subscriberEmailAddresses: undefined, subscriberSnsTopicArns: ["arn:aws:sns:us-east-1:123456789012:cost"] }), notification("FORECASTED", 110)] })], { maximumPercent: 120 }), []);
    });
});

describe("keel-cost-alerts: anomaly detection", () => {
    const monitor = resource("aws:costexplorer/anomalyMonitor:AnomalyMonitor", { name: "keel-production", monitorType: "CUSTOM" }, { name: "keel-production", provider: east }).resource;
    const subscription = (changes: Record<string, unknown> = {}, dependsOn: PlanResource[] = [monitor]) => resource("aws:costexplorer/anomalySubscription:AnomalySubscription", {
        name: "keel-production",
        frequency: "DAILY",
        monitorArnLists: ["arn:aws:ce::123456789012:anomalymonitor/1"],
        subscribers: [{ type: "EMAIL", address: "oncall@example.com" }],
        thresholdExpression: { dimension: { key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE", matchOptions: ["GREATER_THAN_OR_EQUAL"], values: ["100"] } },
        ...changes,
    }, { name: "keel-production", provider: east, dependsOn }).resource;
    const judge = (resources: PlanResource[]) => found(costAlerts, [budget(), ...resources], required({ requireAnomalyDetection: true }));
    const refusal = (monitors: number, subscriptions: number) =>
        `no cost anomaly subscription with subscribers watches an anomaly monitor of the stack and reports anomalies of $1000 or less (${monitors} monitor(s), ${subscriptions} subscription(s)): set keel:cost.anomalyImpactUsd (components/cost)`;

    test("passes the monitor and subscription CostAlerts makes", async () => {
        assert.deepEqual(await judge([monitor, subscription()]), []);
    });

    test("refuses no subscription, one without subscribers, one watching no monitor of the stack, or one that only speaks up past $1000", async () => {
        assert.deepEqual(await judge([monitor]), [refusal(1, 0)]);
        assert.deepEqual(await judge([monitor, subscription({ subscribers: [] })]), [refusal(1, 1)]);
        assert.deepEqual(await judge([monitor, subscription({}, [])]), [refusal(1, 1)]);
        assert.deepEqual(await judge([monitor, subscription({ thresholdExpression: { dimension: { key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE", matchOptions: ["GREATER_THAN_OR_EQUAL"], values: ["50000"] } } })]), [refusal(1, 1)]);
    });
});

describe("the cost policies on the environments' plans", () => {
    test("dev, staging and production have budget alerts; only production has anomaly detection", async () => {
        for (const stack of ["dev", "staging", "production"]) {
            const plan = await planStack(stack);
            assert.deepEqual(await found(costAlerts, plan.resources, required()), [], stack);
            const anomalies = await found(costAlerts, plan.resources, required({ requireAnomalyDetection: true }));
            assert.equal(anomalies.length, stack === "production" ? 0 : 1, stack);
        }
    });
});
