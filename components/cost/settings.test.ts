import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { problem } from "../problems";
import { budgetNotifications, costAlertsProblems, guideBudgetThresholds, tagCostFilter, tagMonitorSpecification, type CostAlertsSettings } from "./settings";

const valid: CostAlertsSettings = {
    monthlyLimitUsd: 12000,
    thresholds: guideBudgetThresholds,
    emails: ["platform-oncall@example.com"],
    costAllocationTag: { key: "environment", value: "production" },
    anomalyDetection: { minimumImpactUsd: 100 },
};

describe("cost alert settings", () => {
    test("the guides' thresholds: actual spend at 80 % and 100 %, the forecast at 100 %, each above a percentage of the limit", () => {
        assert.deepEqual(budgetNotifications(guideBudgetThresholds).map((n) => [n.notificationType, n.threshold, n.thresholdType, n.comparisonOperator]), [
            ["ACTUAL", 80, "PERCENTAGE", "GREATER_THAN"],
            ["ACTUAL", 100, "PERCENTAGE", "GREATER_THAN"],
            ["FORECASTED", 100, "PERCENTAGE", "GREATER_THAN"],
        ]);
    });

    test("a cost allocation tag scopes the budget as user:<key>$<value> and the monitor as a Cost Explorer tag expression", () => {
        assert.deepEqual(tagCostFilter({ key: "environment", value: "staging" }), { name: "TagKeyValue", values: ["user:environment$staging"] });
        assert.deepEqual(JSON.parse(tagMonitorSpecification({ key: "environment", value: "staging" })), { And: null, CostCategories: null, Dimensions: null, Not: null, Or: null, Tags: { Key: "environment", MatchOptions: null, Values: ["staging"] } });
    });

    test("accepts the guides' settings", () => {
        assert.deepEqual(costAlertsProblems(valid), []);
    });

    test("refuses what AWS Budgets and Cost Anomaly Detection would refuse, at each argument's path", () => {
        assert.deepEqual(costAlertsProblems({
            monthlyLimitUsd: 0,
            thresholds: { actualPercent: [80, 0, 100, 120], forecastPercent: [100, 150] },
            emails: [],
            costAllocationTag: { key: "environment", value: "a$b" },
            anomalyDetection: { minimumImpactUsd: -1 },
        }), [
            problem("monthlyLimitUsd", "expected an amount in USD above 0"),
            problem(["thresholds", "actualPercent", 1], "expected a percentage of the limit above 0, at most 1000"),
            problem("thresholds", "expected 1 to 5 thresholds in all (AWS Budgets' notifications per budget)"),
            problem("emails", "expected 1 to 10 addresses (AWS Budgets' email subscribers per notification)"),
            problem("costAllocationTag", "expected a tag key and value of 1 to 128 characters without $, : or \\ (Budgets writes the filter as user:<key>$<value>)"),
            problem(["anomalyDetection", "minimumImpactUsd"], "expected an amount in USD above 0"),
        ]);
        assert.deepEqual(costAlertsProblems({ ...valid, emails: ["oncall", ...Array.from({ length: 10 }, (_, i) => `team${i}@example.com`)] }), [
            problem("emails", "expected 1 to 10 addresses (AWS Budgets' email subscribers per notification)"),
            problem(["emails", 0], "expected an email address"),
        ]);
    });
});
