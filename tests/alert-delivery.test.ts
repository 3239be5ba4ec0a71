import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { stringify } from "yaml";
import { runbookSlug } from "../components/monitoring";
import type { PlanRecord } from "../offline-plan/engine";
import {
    chartWatchdogGroup,
    eventually,
    freePort,
    rulesOnLoopback,
    scrapeJobsOnLoopback,
    startLoopbackAlertmanager,
    startPrometheus,
    startSyntheticTarget,
    type Delivery,
    type LoopbackAlertmanager,
    type PrometheusServer,
    type SyntheticTarget,
} from "../scripts/servers";
import { applicationName } from "../stacks/monitoring";
import { kubePrometheusStackValues, object, plannedRuleGroups, plannedScrapeJobs, planStack, projectRoot } from "./plans";

/**
 * An alarm is done when a person is paged. Production's alert rules and Alertmanager
 * configuration, as the plan deploys them, run in a real Prometheus and a real Alertmanager on
 * loopback; every receiver's endpoint is a catcher (PagerDuty, Slack, the heartbeat, an SMTP
 * relay with STARTTLS). Synthetic targets drive the conditions: two application instances
 * that stopped answering (ServiceDown, critical), a node at 87.5 % memory (HighMemory,
 * warning), an application answering 10 % of requests with 5xx (HighErrorRate, and the
 * availability SLO's ErrorBudgetBurn both as critical and as warning: the warning is inhibited). Time is compressed 300× — Alertmanager's 30 s
 * group_wait is 100 ms, its 5 min group_interval 1 s — the proportions of the routing tree kept.
 *
 * A second Alertmanager gets the same configuration with one deliberate break (the critical
 * receiver without its PagerDuty config) and the same alerts: the same expectations must find
 * the missing pager there, which is what shows they can fail.
 */

const timeScale = 300;

/** The guides' receivers: critical pages, and reaches Slack and email; warning reaches Slack and email; Watchdog only the heartbeat. */
function expectedChannels(email: string): Record<"critical" | "warning" | "watchdog", string[]> {
    return {
        critical: ["pagerduty", "slack #alerts-critical", `email ${email}`],
        warning: ["slack #alerts-warning", `email ${email}`],
        watchdog: ["heartbeat"],
    };
}

const channelsOf = (deliveries: readonly Delivery[], alertname: string, status: Delivery["status"]) =>
    [...new Set(deliveries.filter((d) => d.alertname === alertname && d.status === status).map((d) => d.channel))].sort();

/** The channels `alertname` has not reached yet (in `status`), of those it must. */
function missing(deliveries: readonly Delivery[], alertname: string, status: Delivery["status"], channels: readonly string[]): string[] {
    const reached = channelsOf(deliveries, alertname, status);
    return channels.filter((c) => !reached.includes(c));
}

/** Waits until `alertname` has reached every channel it must; fails naming the ones it has not. */
async function reachedAll(alertmanager: LoopbackAlertmanager, alertname: string, status: Delivery["status"], channels: readonly string[], timeoutMs?: number): Promise<void> {
    await eventually(async () => assert.deepEqual(missing(alertmanager.deliveries(), alertname, status, channels), [], `${alertname} (${status}) has not reached`), timeoutMs);
}

/** The critical receiver without its PagerDuty config: a change that silently stops paging. */
function withoutPager(config: Record<string, unknown>): Record<string, unknown> {
    const receivers = config.receivers as Record<string, unknown>[];
    return { ...config, receivers: receivers.map(({ pagerduty_configs: _dropped, ...receiver }) => receiver) };
}

describe("production alerts reach people: real Prometheus and Alertmanager, receivers replaced by catchers", () => {
    let plan: PlanRecord;
    let alertmanager: LoopbackAlertmanager;
    let broken: LoopbackAlertmanager;
    let prometheus: PrometheusServer;
    let email: string;
    const targets: SyntheticTarget[] = [];
    let downPorts: number[];
    let scrapes = 0;

    before(async () => {
        plan = await planStack("production");
        const values = kubePrometheusStackValues(plan);
        const config = object(object(values.alertmanager, "alertmanager").config, "alertmanager.config");
        email = String(((config.receivers as { name: string; email_configs?: { to: string }[] }[]).find((r) => r.name === "critical")?.email_configs ?? [])[0]?.to);
        [alertmanager, broken] = await Promise.all([startLoopbackAlertmanager(config, timeScale), startLoopbackAlertmanager(withoutPager(config), timeScale)]);

        // 10 % of requests answered with 5xx: above production's 1 % critical and 5 % warning thresholds.
        targets.push(await startSyntheticTarget(() => {
            scrapes += 1;
            return `http_requests_total{status="200"} ${90 * scrapes}\nhttp_requests_total{status="500"} ${10 * scrapes}\n`;
        }));
        // 87.5 % of memory used: above the 85 % HighMemory threshold, on a node that is otherwise quiet.
        targets.push(await startSyntheticTarget(() => "node_memory_MemAvailable_bytes 1e9\nnode_memory_MemTotal_bytes 8e9\n"));
        downPorts = [await freePort(), await freePort()];
        const groups = rulesOnLoopback([...plannedRuleGroups(plan), chartWatchdogGroup], timeScale);
        prometheus = await startPrometheus({
            config: {
                global: { scrape_interval: "1s", evaluation_interval: "1s", external_labels: { environment: "production" } },
                rule_files: ["rules.yml"],
                alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager.address, broken.address] }] }] },
                // The planned scrape jobs, their targets on loopback, scraped every second.
                scrape_configs: scrapeJobsOnLoopback(plannedScrapeJobs(plan), {
                    [applicationName]: { targets: [targets[0].address, ...downPorts.map((port) => `127.0.0.1:${port}`)] },
                    node: { targets: [targets[1].address] },
                }).map((job) => ({ ...job, scrape_interval: "1s" })),
            },
            files: { "rules.yml": stringify({ groups }) },
            alertResendDelay: "1s",
        });
    });

    after(async () => {
        await prometheus?.stop();
        await Promise.all([alertmanager?.stop(), broken?.stop(), ...targets.map((t) => t.stop())]);
    });

    test("a critical alert (two instances down) reaches PagerDuty, Slack #alerts-critical and email, in one group", async () => {
        const expected = expectedChannels(email).critical;
        await reachedAll(alertmanager, "ServiceDown", "firing", expected);
        assert.deepEqual(channelsOf(alertmanager.deliveries(), "ServiceDown", "firing"), [...expected].sort());
        // Grouped by alert name: both instances in one notification, never one per instance.
        await eventually(async () => assert.ok(alertmanager.deliveries().some((d) => d.alertname === "ServiceDown" && d.channel === "slack #alerts-critical" && d.firing === 2)));
        const pages = alertmanager.endpoints.http.received().filter((r) => r.path === "/pagerduty").map((r) => r.body as { routing_key: string; dedup_key: string; payload: { summary: string; severity: string } });
        const serviceDownPages = pages.filter((p) => p.payload.summary.includes("ServiceDown"));
        assert.equal(new Set(serviceDownPages.map((p) => p.dedup_key)).size, 1, "one PagerDuty incident for the group");
        for (const page of pages) {
            assert.equal(page.routing_key, alertmanager.endpoints.pagerdutyRoutingKey, "the routing key comes from the secret file");
            assert.equal(page.payload.severity, "critical");
        }
    });

    test("email goes through the relay with STARTTLS and the SMTP credentials from the secret file", async () => {
        const [mail] = await alertmanager.endpoints.smtp.waitFor((m) => m.headers.subject?.includes("ServiceDown") === true);
        assert.equal(mail.secure, true);
        assert.equal(mail.user, "keel-alertmanager");
        assert.deepEqual(mail.to, [email]);
    });

    test("a warning reaches Slack #alerts-warning and email, never the pager", async () => {
        const expected = expectedChannels(email).warning;
        await reachedAll(alertmanager, "HighMemory", "firing", expected);
        assert.deepEqual(channelsOf(alertmanager.deliveries(), "HighMemory", "firing"), [...expected].sort());
        const firing = (await prometheus.alerts()).filter((a) => a.state === "firing");
        const warningOnly = [...new Set(firing.map((a) => a.labels.alertname))].filter((name) => firing.filter((a) => a.labels.alertname === name).every((a) => a.labels.severity === "warning"));
        assert.ok(warningOnly.includes("HighMemory"));
        assert.deepEqual(alertmanager.deliveries().filter((d) => d.channel === "pagerduty" && warningOnly.includes(d.alertname)).map((d) => d.alertname), [], "warnings paged");
    });

    test("Watchdog reaches only the heartbeat, and the heartbeat hears only Watchdog", async () => {
        await reachedAll(alertmanager, "Watchdog", "firing", expectedChannels(email).watchdog);
        const deliveries = alertmanager.deliveries();
        assert.deepEqual(channelsOf(deliveries, "Watchdog", "firing"), ["heartbeat"]);
        assert.deepEqual([...new Set(deliveries.filter((d) => d.channel === "heartbeat").map((d) => d.alertname))], ["Watchdog"]);
    });

    test("a warning is muted while the same alert fires as critical (ErrorBudgetBurn of one SLO)", async () => {
        await reachedAll(alertmanager, "ErrorBudgetBurn", "firing", expectedChannels(email).critical);
        const burning = async () => (await prometheus.alerts()).filter((a) => a.labels.alertname === "ErrorBudgetBurn" && a.labels.slo === "availability" && a.state === "firing").map((a) => a.labels.severity).sort();
        await eventually(async () => assert.deepEqual(await burning(), ["critical", "warning"], "both severities fire in Prometheus"));
        await eventually(async () => {
            const inAlertmanager = (await (await fetch(`${alertmanager.url}/api/v2/alerts?filter=alertname%3D%22ErrorBudgetBurn%22`)).json()) as { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }[];
            const warning = inAlertmanager.find((a) => a.labels.severity === "warning" && a.labels.slo === "availability");
            assert.equal(warning?.status.state, "suppressed");
            assert.equal(warning?.status.inhibitedBy.length, 1);
        });
        const muted = alertmanager.deliveries().filter((d) => d.alertname === "ErrorBudgetBurn" && d.text.includes("availability SLO") && d.channel === "slack #alerts-warning");
        assert.deepEqual(muted, []);
    });

    test("what people read carries the summary, the description and a runbook that exists in docs/runbooks", async () => {
        await reachedAll(alertmanager, "HighMemory", "firing", expectedChannels(email).warning);
        const rules = plannedRuleGroups(plan).flatMap((g) => g.rules).filter((r) => r.alert !== undefined);
        const forPeople = alertmanager.deliveries().filter((d) => d.channel !== "heartbeat" && d.status === "firing");
        assert.ok(forPeople.length > 0);
        for (const delivery of forPeople) {
            const rule = rules.find((r) => r.alert === delivery.alertname);
            assert.ok(rule?.annotations, `${delivery.alertname} is not one of Keel's rules`);
            const runbook = rule.annotations.runbook_url;
            assert.ok(delivery.text.includes(runbook), `${delivery.channel}: ${delivery.alertname} without its runbook URL`);
            assert.ok(existsSync(join(projectRoot, "docs/runbooks", `${runbookSlug(delivery.alertname)}.md`)), `${runbook} does not exist`);
            assert.ok(runbook.endsWith(`/docs/runbooks/${runbookSlug(delivery.alertname)}.md`), runbook);
            // Slack's text is Keel's template (summary and description expanded); PagerDuty's and email's list the annotations.
            if (!delivery.channel.startsWith("slack")) for (const key of ["summary", "description"]) assert.ok(delivery.text.includes(`${key} = `), `${delivery.channel}: ${delivery.alertname} without its ${key}`);
        }
        const slack = forPeople.find((d) => d.alertname === "HighMemory" && d.channel === "slack #alerts-warning");
        assert.match(slack?.text ?? "", /\*Memory of 127\.0\.0\.1:\d+ is 87\.5 % used\*\nMemory use of 127\.0\.0\.1:\d+ has been above 85 % for 5 minutes\.\nRunbook: https:\/\/\S+\/high-memory\.md/);
    });

    test("a resolved alert is announced where it fired", async () => {
        await reachedAll(alertmanager, "ServiceDown", "firing", expectedChannels(email).critical);
        const answering = await Promise.all(downPorts.map((port) => startSyntheticTarget(() => "", port)));
        targets.push(...answering);
        await reachedAll(alertmanager, "ServiceDown", "resolved", expectedChannels(email).critical);
        const resolve = alertmanager.endpoints.http.received().find((r) => r.path === "/pagerduty" && (r.body as { event_action: string }).event_action === "resolve");
        assert.ok(resolve, "PagerDuty's incident is resolved");
    });

    test("the same expectations catch a critical route that has lost its pager", async () => {
        await reachedAll(broken, "ServiceDown", "firing", ["slack #alerts-critical", `email ${email}`]);
        assert.deepEqual(missing(broken.deliveries(), "ServiceDown", "firing", expectedChannels(email).critical), ["pagerduty"]);
        await assert.rejects(reachedAll(broken, "ServiceDown", "firing", expectedChannels(email).critical, 2000), /ServiceDown \(firing\) has not reached/);
    });
});
