import { isEmailAddress, problem, type Problem } from "../problems";

/**
 * The pure rules of CostAlerts: what AWS Budgets and Cost Anomaly Detection accept, and how a
 * budget's thresholds become its notifications. The component runs them before `super(...)`.
 */

/** A cost allocation tag that scopes a budget and an anomaly monitor (it must be activated in Billing). */
export interface CostAllocationTag {
    readonly key: string;
    readonly value: string;
}

/** AWS Budgets: at most 10 email subscribers per notification (Budgets quotas). */
export const maxBudgetEmailSubscribers = 10;
/** AWS Budgets: at most 5 notifications per budget (Budgets quotas). */
export const maxBudgetNotifications = 5;

/** The guides' budget alerts: actual spend at 80 % and 100 % of the limit, the month's forecast at 100 %. */
export const guideBudgetThresholds = { actualPercent: [80, 100], forecastPercent: [100] } as const;

export interface BudgetThresholds {
    /** Percentages of the monthly limit that actual spend reaching notifies. */
    readonly actualPercent: readonly number[];
    /** Percentages of the monthly limit that the month's forecast reaching notifies. */
    readonly forecastPercent: readonly number[];
}

/** One notification of an `aws.budgets.Budget`: spend (actual or forecast) above a percentage of the limit. */
export interface BudgetNotificationSpec {
    readonly notificationType: "ACTUAL" | "FORECASTED";
    readonly comparisonOperator: "GREATER_THAN";
    readonly threshold: number;
    readonly thresholdType: "PERCENTAGE";
}

export function budgetNotifications(thresholds: BudgetThresholds): BudgetNotificationSpec[] {
    const notify = (notificationType: BudgetNotificationSpec["notificationType"]) => (threshold: number): BudgetNotificationSpec =>
        ({ notificationType, comparisonOperator: "GREATER_THAN", threshold, thresholdType: "PERCENTAGE" });
    return [...thresholds.actualPercent.map(notify("ACTUAL")), ...thresholds.forecastPercent.map(notify("FORECASTED"))];
}

/**
 * The budget's cost filter for a tag, as AWS Budgets writes it: `user:<key>$<value>` for a
 * user-defined cost allocation tag (Budgets API, CostFilters "TagKeyValue").
 */
export function tagCostFilter(tag: CostAllocationTag): { name: "TagKeyValue"; values: string[] } {
    return { name: "TagKeyValue", values: [`user:${tag.key}$${tag.value}`] };
}

/**
 * A CUSTOM anomaly monitor's specification: the Cost Explorer Expression selecting the tag's
 * costs, in the full form Cost Explorer returns it (every operator null) as the provider's
 * documented example writes it: the specification forces replacement when it changes, so a
 * shorter form could read back as a change.
 */
export function tagMonitorSpecification(tag: CostAllocationTag): string {
    return JSON.stringify({ And: null, CostCategories: null, Dimensions: null, Not: null, Or: null, Tags: { Key: tag.key, MatchOptions: null, Values: [tag.value] } });
}

const isPercent = (n: number) => Number.isFinite(n) && n > 0 && n <= 1000;

/** AWS Budgets' budget names: 1 to 100 characters, no `:` or `\\` (Budgets API, Budget.BudgetName). */
export const budgetNamePattern = /^[^:\\]{1,100}$/;

export interface CostAlertsSettings {
    readonly monthlyLimitUsd: number;
    readonly thresholds: BudgetThresholds;
    readonly emails: readonly string[];
    readonly costAllocationTag?: CostAllocationTag;
    readonly anomalyDetection?: { readonly minimumImpactUsd: number };
}

/** What AWS Budgets and Cost Anomaly Detection would refuse, at the arguments' paths. */
export function costAlertsProblems(s: CostAlertsSettings): Problem[] {
    const notifications = s.thresholds.actualPercent.length + s.thresholds.forecastPercent.length;
    const percents = (key: keyof BudgetThresholds) =>
        s.thresholds[key].flatMap((p, i) => (isPercent(p) ? [] : [problem(["thresholds", key, i], "expected a percentage of the limit above 0, at most 1000")]));
    const tagPart = /^[^$:\\]{1,128}$/;
    return [
        ...(Number.isFinite(s.monthlyLimitUsd) && s.monthlyLimitUsd > 0 ? [] : [problem("monthlyLimitUsd", "expected an amount in USD above 0")]),
        ...percents("actualPercent"),
        ...percents("forecastPercent"),
        ...(notifications >= 1 && notifications <= maxBudgetNotifications ? [] : [problem("thresholds", `expected 1 to ${maxBudgetNotifications} thresholds in all (AWS Budgets' notifications per budget)`)]),
        ...(s.emails.length >= 1 && s.emails.length <= maxBudgetEmailSubscribers ? [] : [problem("emails", `expected 1 to ${maxBudgetEmailSubscribers} addresses (AWS Budgets' email subscribers per notification)`)]),
        ...s.emails.flatMap((e, i) => (isEmailAddress(e) ? [] : [problem(["emails", i], "expected an email address")])),
        ...(s.costAllocationTag === undefined || (tagPart.test(s.costAllocationTag.key) && tagPart.test(s.costAllocationTag.value))
            ? []
            : [problem("costAllocationTag", "expected a tag key and value of 1 to 128 characters without $, : or \\ (Budgets writes the filter as user:<key>$<value>)")]),
        ...(s.anomalyDetection === undefined || (Number.isFinite(s.anomalyDetection.minimumImpactUsd) && s.anomalyDetection.minimumImpactUsd > 0)
            ? []
            : [problem(["anomalyDetection", "minimumImpactUsd"], "expected an amount in USD above 0")]),
        // An account has one DIMENSIONAL SERVICE monitor, and AWS creates it (Default-Services-Monitor).
        ...(s.anomalyDetection === undefined || s.costAllocationTag !== undefined
            ? []
            : [problem("anomalyDetection", "needs costAllocationTag: an account's one service monitor is AWS's own (it creates it), so anomaly detection watches a cost allocation tag")]),
    ];
}
