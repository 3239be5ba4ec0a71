import { counter, jobMatcher, num, runbookUrl, seriesOf, type AlertFamily, type AlertRule, type RecordingRule, type RuleGroup, type TestSeries } from "./rules";
import type { MonitoringSpec, Slo } from "./spec";

/**
 * Error-budget recording rules and multi-window, multi-burn-rate alerts for each SLO (Google
 * SRE workbook, "Alerting on SLOs", iteration 6): page when 2 % of the budget burns in an hour
 * (14.4× over 1 h, confirmed over 5 min) or 5 % in six hours (6× over 6 h and 30 min); open a
 * ticket when 10 % burns in a day (3× over 1 d and 2 h) or the whole budget would be spent
 * (1× over 3 d and 6 h). The short window makes an alert stop soon after the burn stops.
 */

/** Every window a burn-rate condition reads. */
export const sloWindows = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] as const;
export type SloWindow = (typeof sloWindows)[number];

interface BurnCondition {
    readonly long: SloWindow;
    readonly short: SloWindow;
    readonly factor: number;
}

export const pageConditions: readonly BurnCondition[] = [{ long: "1h", short: "5m", factor: 14.4 }, { long: "6h", short: "30m", factor: 6 }];
export const ticketConditions: readonly BurnCondition[] = [{ long: "1d", short: "2h", factor: 3 }, { long: "3d", short: "6h", factor: 1 }];

/** The error budget as a plain decimal (1 - 0.999 → 0.001, not 0.0010000000000000009). */
export function errorBudget(slo: Slo): number {
    return Number((1 - slo.objective).toPrecision(10));
}

export const errorRatioRecord = (window: SloWindow) => `slo:sli_error:ratio_rate${window}`;

/**
 * `le` values differ by client library and Prometheus version ("2" from Go and JavaScript
 * clients, "2.0" from Python, and Prometheus 3 normalises classic histogram `le` labels to the
 * float form), so whole-number boundaries match both spellings.
 */
export function leMatcher(seconds: number): string {
    return Number.isInteger(seconds) ? `le=~"${seconds}(\\\\.0)?"` : `le="${num(seconds)}"`;
}

function errorRatio(spec: MonitoringSpec, slo: Slo, window: SloWindow): string {
    const jobsMatcher = jobMatcher(spec.applications.map((a) => a.name));
    if (slo.kind === "availability") {
        // No 5xx series yet means no errors, not no data: `or vector(0)`.
        return `(sum(rate(http_requests_total{${jobsMatcher},status=~"5.."}[${window}])) or vector(0)) / sum(rate(http_requests_total{${jobsMatcher}}[${window}]))`;
    }
    const threshold = slo.latencyThresholdSeconds ?? 0;
    return `1 - sum(rate(http_request_duration_seconds_bucket{${jobsMatcher},${leMatcher(threshold)}}[${window}])) / sum(rate(http_request_duration_seconds_count{${jobsMatcher}}[${window}]))`;
}

function describeObjective(slo: Slo): string {
    const percent = `${num(slo.objective * 100)} %`;
    return slo.kind === "availability" ? `${percent} of requests without a 5xx` : `${percent} of requests within ${num(slo.latencyThresholdSeconds ?? 0)} s`;
}

function burnExpr(slo: Slo, conditions: readonly BurnCondition[]): string {
    const budget = num(errorBudget(slo));
    const over = (window: SloWindow, factor: number) => `${errorRatioRecord(window)}{slo="${slo.name}"} > (${num(factor)} * ${budget})`;
    return conditions.map((c) => `(${over(c.long, c.factor)} and ${over(c.short, c.factor)})`).join(" or ");
}

function burnRule(spec: MonitoringSpec, slo: Slo, severity: "critical" | "warning"): AlertRule {
    const conditions = severity === "critical" ? pageConditions : ticketConditions;
    const described = conditions.map((c) => `${num(c.factor)}× over ${c.long} and ${c.short}`).join(", or ");
    return {
        alert: "ErrorBudgetBurn",
        expr: burnExpr(slo, conditions),
        labels: { severity, slo: slo.name },
        annotations: {
            summary: `Error budget of the {{ $labels.slo }} SLO is burning ${severity === "critical" ? "fast" : "steadily"}`,
            description: `The {{ $labels.slo }} SLO (${describeObjective(slo)} over ${spec.sloPeriodDays} days) is spending its error budget at ${described} the sustainable rate.`,
            runbook_url: runbookUrl(spec, "ErrorBudgetBurn"),
        },
    };
}

function recordingRules(spec: MonitoringSpec, slo: Slo): RecordingRule[] {
    const labels = { slo: slo.name };
    return [
        ...sloWindows.map((window) => ({ record: errorRatioRecord(window), expr: errorRatio(spec, slo, window), labels })),
        { record: "slo:objective:ratio", expr: `vector(${num(slo.objective)})`, labels },
        // Share of the period's budget left: 1 at no errors, 0 when spent, negative when overspent.
        {
            record: "slo:error_budget_remaining:ratio",
            expr: `1 - avg_over_time(${errorRatioRecord("5m")}{slo="${slo.name}"}[${spec.sloPeriodDays}d]) / ${num(errorBudget(slo))}`,
            labels,
        },
    ];
}

export function sloRuleGroups(spec: MonitoringSpec): RuleGroup[] {
    return spec.slos.map((slo) => ({
        name: `slo-${slo.name}`,
        rules: [...recordingRules(spec, slo), burnRule(spec, slo, "critical"), burnRule(spec, slo, "warning")],
    }));
}

/** Series whose bad-event ratio is `ratio` throughout: requests per minute, split into good and bad. */
function sloSeries(spec: MonitoringSpec, slo: Slo, ratio: number, minutes: number): TestSeries[] {
    const app = spec.applications[0];
    const labels = { instance: `${app.name}-1:9000`, job: app.name };
    const perMinute = 1000;
    if (slo.kind === "availability") {
        return [
            { series: seriesOf("http_requests_total", { ...labels, status: "200" }), values: counter(perMinute * (1 - ratio), minutes) },
            { series: seriesOf("http_requests_total", { ...labels, status: "503" }), values: counter(perMinute * ratio, minutes) },
        ];
    }
    return [
        { series: seriesOf("http_request_duration_seconds_bucket", { ...labels, le: num(slo.latencyThresholdSeconds ?? 0) }), values: counter(perMinute * (1 - ratio), minutes) },
        { series: seriesOf("http_request_duration_seconds_bucket", { ...labels, le: "+Inf" }), values: counter(perMinute, minutes) },
        { series: seriesOf("http_request_duration_seconds_count", labels), values: counter(perMinute, minutes) },
    ];
}

/**
 * ErrorBudgetBurn and its promtool cases, per SLO: a burn of 20× the budget pages (and, as
 * 20 > 3, also opens the ticket, which Alertmanager inhibits while the page fires); 2× opens
 * only the ticket; half the budget rate raises nothing. Constant ratios make every window
 * read the same ratio once an hour of samples exists.
 */
export function errorBudgetBurn(spec: MonitoringSpec): AlertFamily {
    const perSlo = spec.slos.map((slo) => ({ slo, page: burnRule(spec, slo, "critical"), ticket: burnRule(spec, slo, "warning") }));
    return {
        alertname: "ErrorBudgetBurn",
        rules: perSlo.flatMap(({ page, ticket }) => [page, ticket]),
        cases: perSlo.flatMap(({ slo, page, ticket }) => {
            const at = (multiple: number) => sloSeries(spec, slo, Math.min(1, multiple * errorBudget(slo)), 70);
            const labels = { slo: slo.name };
            return [
                { name: `${slo.name}: 20× burn pages (and tickets)`, series: at(20), evalTime: "65m", alerts: [{ rule: page, labels }, { rule: ticket, labels }] },
                { name: `${slo.name}: 2× burn opens a ticket`, series: at(2), evalTime: "65m", alerts: [{ rule: ticket, labels }] },
                { name: `${slo.name}: 0.5× burn is within budget`, series: at(0.5), evalTime: "65m", alerts: [] },
            ];
        }),
    };
}
