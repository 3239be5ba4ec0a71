import { describe } from "node:test";
import { costPolicies } from "../policies/rules/cost";
import type { PlanResource } from "../offline-plan/record";
import { inputs, named, redTeam, remove, type Attack } from "./red-team";

/** Bad changes to the budget alerts and cost anomaly detection: each must be refused. */

const budget = "keel-cost-alerts";
const anomalies = "keel-cost-alerts";
type Values = Record<string, unknown>;
const notifications = (rs: PlanResource[], name: string) => inputs(named(rs, "Budget", name)).notifications as Values[];

const budgetAttacks = (name: string): Attack[] => [
    ["the budget removed", budget, (rs) => remove(rs, (r) => r.type === "aws:budgets/budget:Budget")],
    ["a yearly budget, alerting after the money is spent", budget, (rs) => { inputs(named(rs, "Budget", name)).timeUnit = "ANNUALLY"; }],
    ["a usage budget instead of cost", budget, (rs) => { inputs(named(rs, "Budget", name)).budgetType = "USAGE"; }],
    ["every notification without subscribers", budget, (rs) => { for (const n of notifications(rs, name)) n.subscriberEmailAddresses = []; }],
    ["actual-spend alerts raised to 500 %", budget, (rs) => { for (const n of notifications(rs, name)) if (n.notificationType === "ACTUAL") n.threshold = 500; }],
    ["the forecast alert removed", budget, (rs) => { inputs(named(rs, "Budget", name)).notifications = notifications(rs, name).filter((n) => n.notificationType !== "FORECASTED"); }],
    ["alerts as absolute amounts of a billion dollars", budget, (rs) => { for (const n of notifications(rs, name)) Object.assign(n, { thresholdType: "ABSOLUTE_VALUE", threshold: 1e9 }); }],
    ["the budget counting a misspelt environment", budget, (rs) => { inputs(named(rs, "Budget", name)).costFilters = [{ name: "TagKeyValue", values: ["user:environment$prod"] }]; }],
];

const production: Attack[] = [
    ...budgetAttacks("keel-production"),
    ["the anomaly subscription removed", anomalies, (rs) => remove(rs, (r) => r.type === "aws:costexplorer/anomalySubscription:AnomalySubscription")],
    ["the anomaly monitor removed", anomalies, (rs) => remove(rs, (r) => r.type === "aws:costexplorer/anomalyMonitor:AnomalyMonitor")],
    ["anomalies reported to nobody", anomalies, (rs) => { inputs(named(rs, "AnomalySubscription", "keel-production")).subscribers = []; }],
    ["anomalies reported only past $100,000", anomalies, (rs) => {
        inputs(named(rs, "AnomalySubscription", "keel-production")).thresholdExpression = { dimension: { key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE", matchOptions: ["GREATER_THAN_OR_EQUAL"], values: ["100000"] } };
    }],
];

describe("red team: cost alerts in the production plan", () => redTeam("the clean production plan passes", costPolicies, "production", [], production));
describe("red team: cost alerts in the dev plan", () => redTeam("the clean dev plan passes", costPolicies, "dev", [], budgetAttacks("keel-dev")));
