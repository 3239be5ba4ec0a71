import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { customerManagedKey } from "../kms";
import { notificationProblems, subscribeTopic, topicPublishGrant, type AlarmNotifications } from "./notifications";
import { problem, requireNoProblems, type Problem } from "../problems";
import { publicOutputs } from "../outputs";

export interface RegionWatchArgs {
    /** Every alarm is critical: it pages through PagerDuty and reaches the addresses, and resolves when the alarm returns to OK. */
    readonly notifications: AlarmNotifications;
    /** The region's serving load balancer: pages when fewer targets than `minHealthyTargets` pass its health check. */
    readonly loadBalancer?: {
        readonly dimensions: pulumi.Input<{ readonly LoadBalancer: string; readonly TargetGroup: string }>;
        readonly minHealthyTargets: number;
    };
    /**
     * A cross-region database replica: pages when its lag passes `maxLagSeconds` (the RPO), or when
     * the metric stops — what RDS shows when the source region is gone.
     */
    readonly replica?: { readonly instanceIdentifier: pulumi.Input<string>; readonly maxLagSeconds: number };
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** How long a condition must hold before it pages: three one-minute periods. */
export const watchEvaluation = { periodSeconds: 60, evaluationPeriods: 3 } as const;

/**
 * Problems with the arguments, before anything is registered. The messages quote the values
 * themselves, as `notificationProblems`' do (no `given` needed).
 */
export function regionWatchProblems(args: RegionWatchArgs): Problem[] {
    const problems = notificationProblems(args.notifications);
    if (args.loadBalancer && !(Number.isInteger(args.loadBalancer.minHealthyTargets) && args.loadBalancer.minHealthyTargets >= 1)) {
        problems.push(problem(["loadBalancer", "minHealthyTargets"], `expected a whole number of at least 1, got ${args.loadBalancer.minHealthyTargets}`));
    }
    if (args.replica && !(args.replica.maxLagSeconds > 0)) problems.push(problem(["replica", "maxLagSeconds"], `expected more than 0 seconds, got ${args.replica.maxLagSeconds}`));
    if (!args.loadBalancer && !args.replica) problems.push(problem([], "nothing to watch: give a loadBalancer, a replica or both"));
    return problems;
}

/**
 * CloudWatch alarms in one region that page a person through that region's own SNS topic, so
 * they keep working when another region — and the monitoring cluster in it — is gone: the DR
 * region watches its load balancer's healthy targets and its database replica's lag (which
 * stops, breaching, once the primary is unreachable). Missing data counts as breaching: a
 * silent metric is a failure here, not a quiet night.
 *
 * The topic is encrypted with a customer-managed key whose policy lets CloudWatch publish (the
 * AWS-managed alias/aws/sns key cannot grant that).
 */
export class RegionWatch extends pulumi.ComponentResource {
    public readonly topicArn: pulumi.Output<string>;
    public readonly alarmNames: pulumi.Output<string[]>;

    constructor(name: string, args: RegionWatchArgs, opts?: pulumi.ComponentResourceOptions) {
        requireNoProblems(`RegionWatch ${name}`, regionWatchProblems(args));
        super("keel:monitoring:RegionWatch", name, {}, opts);
        const parent = { parent: this };

        const key = customerManagedKey(`${name}-alarms`, {
            description: `Keel ${name}: alarm notifications`,
            serviceGrants: [topicPublishGrant("CloudWatchAlarmsPublish", "cloudwatch.amazonaws.com")],
            tags: args.tags,
        }, parent);
        const topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: key.arn, tags: args.tags }, parent);
        subscribeTopic(name, topic, "critical", args.notifications, parent);

        const alarm = (suffix: string, description: string, metric: Pick<aws.cloudwatch.MetricAlarmArgs, "namespace" | "metricName" | "statistic" | "dimensions" | "threshold" | "comparisonOperator">) =>
            new aws.cloudwatch.MetricAlarm(`${name}-${suffix}`, {
                alarmDescription: description,
                ...metric,
                period: watchEvaluation.periodSeconds,
                evaluationPeriods: watchEvaluation.evaluationPeriods,
                treatMissingData: "breaching",
                actionsEnabled: true,
                alarmActions: [topic.arn],
                okActions: [topic.arn],
                tags: args.tags,
            }, parent);
        const alarms = [
            ...(args.loadBalancer
                ? [alarm("healthy-targets", `Fewer than ${args.loadBalancer.minHealthyTargets} healthy target${args.loadBalancer.minHealthyTargets === 1 ? "" : "s"} behind the load balancer (or no data): the region cannot serve. Runbook: docs/runbooks/service-down.md`, {
                    namespace: "AWS/ApplicationELB",
                    metricName: "HealthyHostCount",
                    statistic: "Minimum",
                    dimensions: args.loadBalancer.dimensions,
                    threshold: args.loadBalancer.minHealthyTargets,
                    comparisonOperator: "LessThanThreshold",
                })]
                : []),
            ...(args.replica
                ? [alarm("replica-lag", `Replica lag above ${args.replica.maxLagSeconds} s (the RPO), or no data: the primary region may be gone. Runbook: docs/runbooks/replica-lag.md`, {
                    namespace: "AWS/RDS",
                    metricName: "ReplicaLag",
                    statistic: "Maximum",
                    dimensions: pulumi.output(args.replica.instanceIdentifier).apply((DBInstanceIdentifier) => ({ DBInstanceIdentifier })),
                    threshold: args.replica.maxLagSeconds,
                    comparisonOperator: "GreaterThanThreshold",
                })]
                : []),
        ];

        this.topicArn = topic.arn;
        this.alarmNames = pulumi.all(alarms.map((a) => a.name));
        this.registerOutputs(publicOutputs(this));
    }
}
