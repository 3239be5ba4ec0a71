import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceGrant } from "../kms";
import { isEmailAddress, problem, type Problem } from "../problems";

/**
 * Who hears an AWS-side alarm (CloudWatch, RDS events, AWS Backup): `critical` conditions page
 * through PagerDuty's Amazon CloudWatch integration and reach the team's addresses; `warning`
 * ones reach the addresses only. A topic nobody subscribes to is a silent alarm.
 */
export interface AlarmNotifications {
    /**
     * PagerDuty's Amazon CloudWatch integration URL (`https://events.pagerduty.com/integration/<key>/enqueue`),
     * a secret. Without it critical conditions reach the addresses only (an environment that does not page).
     */
    readonly pagerDutyUrl?: pulumi.Input<string>;
    /** Team addresses (SNS email: each confirms once from the message SNS sends). At least one. */
    readonly emails: readonly string[];
}

export type AlarmSeverity = "critical" | "warning";

/** The key-policy grant a service needs to publish to a topic encrypted with that key (the AWS-managed alias/aws/sns key cannot grant it). */
export const topicPublishGrant = (sid: string, service: string): ServiceGrant => ({ sid, service, actions: ["kms:Decrypt", "kms:GenerateDataKey*"] });

/** Findings on notifications, before anything is registered: every severity needs a subscriber. */
export function notificationProblems(notifications: AlarmNotifications): Problem[] {
    const emails = ["notifications", "emails"];
    const problems: Problem[] = [];
    if (notifications.emails.length === 0) problems.push(problem(emails, "give at least one address (warnings reach nobody else)"));
    for (const email of notifications.emails) if (!isEmailAddress(email)) problems.push(problem(emails, `${JSON.stringify(email)} is not an email address`));
    return problems;
}

/**
 * Subscribes a topic for one severity: PagerDuty's HTTPS endpoint (critical only; PagerDuty
 * confirms its subscription itself, `endpointAutoConfirms`) and every address. A filter policy
 * (on message attributes) lets only some messages through, e.g. failed jobs of a backup vault.
 */
export function subscribeTopic(
    name: string,
    topic: aws.sns.Topic,
    severity: AlarmSeverity,
    notifications: AlarmNotifications,
    opts: pulumi.CustomResourceOptions,
    filterPolicy?: Record<string, unknown>,
): aws.sns.TopicSubscription[] {
    const filter = filterPolicy ? { filterPolicy: JSON.stringify(filterPolicy), filterPolicyScope: "MessageAttributes" } : {};
    const pager = severity === "critical" && notifications.pagerDutyUrl !== undefined
        ? [new aws.sns.TopicSubscription(`${name}-pagerduty`, {
            topic: topic.arn,
            protocol: "https",
            endpoint: pulumi.secret(notifications.pagerDutyUrl),
            endpointAutoConfirms: true,
            ...filter,
        }, opts)]
        : [];
    return [
        ...pager,
        ...notifications.emails.map((email, i) => new aws.sns.TopicSubscription(`${name}-email-${i}`, { topic: topic.arn, protocol: "email", endpoint: email, ...filter }, opts)),
    ];
}
