import type { AlertingSpec } from "./spec";

/**
 * alertmanager.yml (guides): group by alert name, repeat every hour; critical alerts to
 * PagerDuty, Slack and email, warnings to Slack and email; a warning is muted while the same
 * alert fires as critical. Watchdog pings a heartbeat check (or nothing), never people.
 * Credentials appear only as file paths — PagerDuty `routing_key_file`, Slack `api_url_file`
 * (Alertmanager 0.22+), SMTP `smtp_auth_password_file` (0.25+), the heartbeat's webhook
 * `url_file` (0.26+) — so the rendered file holds no secret and can be committed, diffed and reviewed.
 * Matchers use the `matchers` syntax (0.22+); `match`/`match_re` are deprecated.
 */

export const receivers = { critical: "critical", warning: "warning", heartbeat: "heartbeat", none: "null" } as const;

/**
 * Alerts that are signals, not problems (kube-prometheus-stack's `general.rules`): Watchdog
 * always fires, as a dead man's switch; InfoInhibitor fires while info alerts have no warning or
 * critical company in their namespace, so they can be muted.
 */
export const signalAlerts = { watchdog: "Watchdog", infoInhibitor: "InfoInhibitor" } as const;

/**
 * How often the heartbeat is pinged while Watchdog fires: the period to give the heartbeat
 * check (with a grace period of at least one more), so that a silent Alertmanager, Prometheus
 * or cluster pages within about 10 minutes.
 */
export const heartbeatIntervalMinutes = 5;

/** The labels that make two alerts "the same alert" for inhibition: a critical HighErrorRate of one job does not mute another job's warning. */
export const inhibitionEqual = ["alertname", "job", "instance", "slo"] as const;

function slackConfig(slack: NonNullable<AlertingSpec["slack"]>, channel: string): Record<string, unknown> {
    return {
        api_url_file: slack.apiUrlFile,
        channel,
        send_resolved: true,
        title: '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}',
        text: "{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}",
    };
}

function receiver(name: string, alerting: AlertingSpec, channel: "criticalChannel" | "warningChannel"): Record<string, unknown> {
    const { pagerduty, slack, email } = alerting;
    return {
        name,
        ...(name === receivers.critical && pagerduty
            ? { pagerduty_configs: [{ routing_key_file: pagerduty.routingKeyFile, severity: "critical", send_resolved: true }] }
            : {}),
        ...(slack ? { slack_configs: [slackConfig(slack, slack[channel])] } : {}),
        ...(email ? { email_configs: [{ to: email.to, send_resolved: true }] } : {}),
    };
}

/**
 * Without receivers configured (a laptop) the routing tree is the same and the receivers are
 * empty: alerts show in Alertmanager's UI and go nowhere.
 */
export function alertmanagerConfig(alerting: AlertingSpec): Record<string, unknown> {
    const { email } = alerting;
    return {
        global: {
            resolve_timeout: "5m",
            ...(email
                ? {
                    smtp_smarthost: email.smarthost,
                    smtp_from: email.from,
                    smtp_auth_username: email.username,
                    smtp_auth_password_file: email.passwordFile,
                    smtp_require_tls: true,
                }
                : {}),
        },
        route: {
            receiver: receivers.warning,
            group_by: ["alertname"],
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: "1h",
            routes: [
                // The dead man's switch reaches a heartbeat check, never a person: the check pages when the pings stop.
                {
                    receiver: alerting.heartbeat ? receivers.heartbeat : receivers.none,
                    matchers: [`alertname="${signalAlerts.watchdog}"`],
                    group_wait: "0s",
                    group_interval: "1m",
                    repeat_interval: `${heartbeatIntervalMinutes}m`,
                },
                { receiver: receivers.none, matchers: [`alertname="${signalAlerts.infoInhibitor}"`] },
                { receiver: receivers.critical, matchers: ['severity="critical"'] },
                { receiver: receivers.warning, matchers: ['severity="warning"'] },
            ],
        },
        inhibit_rules: [
            { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: [...inhibitionEqual] },
            // The chart's info rules: an info alert speaks only beside a warning or critical one of its namespace.
            { source_matchers: ['severity=~"critical|warning"'], target_matchers: ['severity="info"'], equal: ["namespace", "alertname"] },
            { source_matchers: [`alertname="${signalAlerts.infoInhibitor}"`], target_matchers: ['severity="info"'], equal: ["namespace"] },
        ],
        receivers: [
            receiver(receivers.critical, alerting, "criticalChannel"),
            receiver(receivers.warning, alerting, "warningChannel"),
            ...(alerting.heartbeat ? [{ name: receivers.heartbeat, webhook_configs: [{ url_file: alerting.heartbeat.urlFile, send_resolved: false }] }] : []),
            { name: receivers.none },
        ],
    };
}
