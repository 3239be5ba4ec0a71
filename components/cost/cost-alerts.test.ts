import * as aws from "@pulumi/aws";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { list, object, ofType, only, planComponents, plannedBeforeTests, publicOutputs, refusedArguments } from "../../tests/plans";
import { CostAlerts, type CostAlertsArgs } from "./cost-alerts";

const args: CostAlertsArgs = {
    monthlyLimitUsd: 12000,
    emails: ["platform-oncall@example.com", "finance@example.com"],
    costAllocationTag: { key: "environment", value: "production" },
    anomalyDetection: { minimumImpactUsd: 100 },
};
const build = (given: CostAlertsArgs) => planComponents(() => {
    const provider = new aws.Provider("primary", { region: "us-east-1" });
    return publicOutputs(new CostAlerts("keel-production", given, { provider }));
});

describe("CostAlerts with anomaly detection", () => {
    const plan = plannedBeforeTests(() => build(args));

    test("a monthly cost budget over the tag's costs, notifying every address on actual spend at 80 % and 100 % and on the forecast at 100 %", () => {
        const budget = only(plan(), "aws:budgets/budget:Budget");
        assert.deepEqual(
            [budget.inputs.name, budget.inputs.budgetType, budget.inputs.timeUnit, budget.inputs.limitAmount, budget.inputs.limitUnit, budget.inputs.costFilters],
            ["keel-production", "COST", "MONTHLY", "12000.00", "USD", [{ name: "TagKeyValue", values: ["user:environment$production"] }]],
        );
        assert.deepEqual(list(budget.inputs.notifications, "notifications").map((n) => object(n, "notification")).map((n) => [n.notificationType, n.threshold, n.subscriberEmailAddresses]), [
            ["ACTUAL", 80, args.emails],
            ["ACTUAL", 100, args.emails],
            ["FORECASTED", 100, args.emails],
        ]);
    });

    test("a custom anomaly monitor over the same tag, and a daily email of anomalies of $100 or more", () => {
        const monitor = only(plan(), "aws:costexplorer/anomalyMonitor:AnomalyMonitor");
        assert.deepEqual([monitor.inputs.monitorType, JSON.parse(String(monitor.inputs.monitorSpecification))], ["CUSTOM", { And: null, CostCategories: null, Dimensions: null, Not: null, Or: null, Tags: { Key: "environment", MatchOptions: null, Values: ["production"] } }]);
        const subscription = only(plan(), "aws:costexplorer/anomalySubscription:AnomalySubscription");
        assert.equal(subscription.inputs.frequency, "DAILY");
        assert.deepEqual(subscription.inputs.subscribers, args.emails.map((address) => ({ type: "EMAIL", address })));
        assert.deepEqual(object(subscription.inputs.thresholdExpression, "threshold").dimension, { key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE", matchOptions: ["GREATER_THAN_OR_EQUAL"], values: ["100"] });
        assert.ok(subscription.dependencies.includes(monitor.urn), "the subscription watches the monitor");
        assert.deepEqual(subscription.inputs.monitorArnLists, [object(plan().outputs, "outputs").anomalyMonitorArn]);
    });

    test("registers and exports the budget's name and the anomaly resources' ARNs", () => {
        assert.deepEqual(Object.keys(object(plan().outputs, "outputs")).sort(), ["anomalyMonitorArn", "anomalySubscriptionArn", "budgetName"]);
    });
});

describe("CostAlerts without anomaly detection or a tag", () => {
    test("budgets the whole account, and creates no anomaly resources", async () => {
        const plan = await build({ monthlyLimitUsd: 500.5, emails: ["dev-team@example.com"], thresholds: { actualPercent: [50], forecastPercent: [] } });
        const budget = only(plan, "aws:budgets/budget:Budget");
        assert.deepEqual([budget.inputs.limitAmount, budget.inputs.costFilters, list(budget.inputs.notifications, "n").length], ["500.50", undefined, 1]);
        assert.deepEqual([...ofType(plan, "aws:costexplorer/anomalyMonitor:AnomalyMonitor"), ...ofType(plan, "aws:costexplorer/anomalySubscription:AnomalySubscription")], []);
    });

    test("refuses a name AWS Budgets would refuse as the budget's", async () => {
        const refusal = await refusedArguments(() => new CostAlerts("keel:dev", { monthlyLimitUsd: 100, emails: ["dev-team@example.com"] }, { provider: new aws.Provider("primary", { region: "us-east-1" }) }));
        assert.equal(refusal.message, "CostAlerts keel:dev: invalid arguments:\n  - its name is the budget's: 1 to 100 characters, without : or \\ or /action/ (AWS Budgets)");
    });

    test("refuses what AWS would refuse, quoting the values given, before registering anything", async () => {
        const refusal = await refusedArguments(() => new CostAlerts("keel-dev", { monthlyLimitUsd: -5, emails: ["dev-team"], anomalyDetection: { minimumImpactUsd: 50 } }, { provider: new aws.Provider("primary", { region: "us-east-1" }) }));
        assert.equal(refusal.message, [
            "CostAlerts keel-dev: invalid arguments:",
            "  - monthlyLimitUsd: expected an amount in USD above 0, got -5",
            '  - emails.0: expected an email address, got "dev-team"',
            "  - anomalyDetection: needs costAllocationTag: an account's one service monitor is AWS's own (it creates it), so anomaly detection watches a cost allocation tag",
        ].join("\n"));
    });
});
