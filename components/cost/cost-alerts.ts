import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { publicOutputs } from "../outputs";
import { problem, requireNoProblems } from "../problems";
import { budgetNamePattern, budgetNotifications, costAlertsProblems, guideBudgetThresholds, tagCostFilter, tagMonitorSpecification, type BudgetThresholds, type CostAllocationTag } from "./settings";

export interface CostAlertsArgs {
    /** The monthly cost budget, in USD (unblended costs, credits and refunds excluded). */
    readonly monthlyLimitUsd: number;
    /** Notify at these percentages of the limit. Default: actual 80 % and 100 %, forecast 100 % (`guideBudgetThresholds`). */
    readonly thresholds?: BudgetThresholds;
    /** Who hears: 1 to 10 email addresses. */
    readonly emails: readonly string[];
    /**
     * The cost allocation tag whose costs the budget and the anomaly monitor count, e.g.
     * `{ key: "environment", value: "production" }`: one account can then hold several
     * environments. It must be activated as a cost allocation tag in Billing. Unset: the
     * whole account.
     */
    readonly costAllocationTag?: CostAllocationTag;
    /**
     * Cost anomaly detection over the same tag: a daily email of anomalies whose total impact
     * reaches `minimumImpactUsd`. Needs `costAllocationTag`, and so the management (payer)
     * account: AWS creates cost-allocation-tag monitors there only (Cost Management User Guide,
     * "Getting started with AWS Cost Anomaly Detection"). Default: off.
     */
    readonly anomalyDetection?: { readonly minimumImpactUsd: number };
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * Budget alerts and cost anomaly detection for one environment (operations guides, "Cost
 * Optimization": budget alerts, anomaly detection). An AWS Budgets monthly cost budget
 * notifies the addresses when actual spend, or the month's forecast, passes a share of the
 * limit; a Cost Explorer anomaly monitor over the environment's cost allocation tag sends a
 * daily summary of the anomalies worth a look. Both services are global: give the provider of
 * any region.
 */
export class CostAlerts extends pulumi.ComponentResource {
    public readonly budgetName: pulumi.Output<string>;
    public readonly anomalyMonitorArn?: pulumi.Output<string>;
    public readonly anomalySubscriptionArn?: pulumi.Output<string>;

    constructor(name: string, args: CostAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        const thresholds = args.thresholds ?? guideBudgetThresholds;
        requireNoProblems(`CostAlerts ${name}`, [
            ...(budgetNamePattern.test(name) && !name.includes("/action/") ? [] : [problem([], "its name is the budget's: 1 to 100 characters, without : or \\ or /action/ (AWS Budgets)")]),
            ...costAlertsProblems({ ...args, thresholds }),
        ], { ...args, thresholds });
        super("keel:cost:CostAlerts", name, {}, opts);
        const parent = { parent: this };

        const budget = new aws.budgets.Budget(name, {
            name,
            budgetType: "COST",
            timeUnit: "MONTHLY",
            limitAmount: args.monthlyLimitUsd.toFixed(2),
            limitUnit: "USD",
            ...(args.costAllocationTag ? { costFilters: [tagCostFilter(args.costAllocationTag)] } : {}),
            notifications: budgetNotifications(thresholds).map((n) => ({ ...n, subscriberEmailAddresses: [...args.emails] })),
            tags: args.tags,
        }, parent);
        this.budgetName = budget.name;

        if (args.anomalyDetection && args.costAllocationTag) {
            const monitor = new aws.costexplorer.AnomalyMonitor(name, {
                name,
                monitorType: "CUSTOM",
                monitorSpecification: tagMonitorSpecification(args.costAllocationTag),
                tags: args.tags,
            }, parent);
            const subscription = new aws.costexplorer.AnomalySubscription(name, {
                name,
                frequency: "DAILY",
                monitorArnLists: [monitor.arn],
                subscribers: args.emails.map((address) => ({ type: "EMAIL", address })),
                thresholdExpression: {
                    dimension: { key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE", matchOptions: ["GREATER_THAN_OR_EQUAL"], values: [String(args.anomalyDetection.minimumImpactUsd)] },
                },
                tags: args.tags,
            }, parent);
            this.anomalyMonitorArn = monitor.arn;
            this.anomalySubscriptionArn = subscription.arn;
        }
        this.registerOutputs(publicOutputs(this));
    }
}
