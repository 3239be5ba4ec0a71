import * as pulumi from "@pulumi/pulumi";
import type { AlarmNotifications } from "../components/monitoring";
import type { KeelConfig } from "./config";

/**
 * Who hears the AWS-side alarms (CloudWatch, RDS events, AWS Backup) of an environment: the
 * team's addresses (`keel:monitoring.alarmEmails`) always and, where `keel:monitoring.paging`,
 * PagerDuty's CloudWatch integration (secret config `alerting:pagerdutyCloudwatchUrl`) for
 * critical conditions. docs/alerting.md says how a team wires them.
 */
export function alarmNotifications(config: KeelConfig): AlarmNotifications {
    return {
        emails: config.monitoring.alarmEmails,
        ...(config.monitoring.paging ? { pagerDutyUrl: new pulumi.Config("alerting").requireSecret("pagerdutyCloudwatchUrl") } : {}),
    };
}
