import { expandAnnotation } from "./humanize";
import type { MonitoringSpec } from "./spec";

/** A Prometheus alerting rule as it appears in a rule file. */
export interface AlertRule {
    readonly alert: string;
    readonly expr: string;
    readonly for?: string;
    readonly labels: Readonly<Record<string, string>> & { readonly severity: "critical" | "warning" };
    readonly annotations: { readonly summary: string; readonly description: string; readonly runbook_url: string };
}

export interface RecordingRule {
    readonly record: string;
    readonly expr: string;
    readonly labels?: Readonly<Record<string, string>>;
}

export interface RuleGroup {
    readonly name: string;
    readonly rules: readonly (AlertRule | RecordingRule)[];
}

/** One input series of a promtool test, in promtool's expanding notation (`0+10x30`). */
export interface TestSeries {
    readonly series: string;
    readonly values: string;
}

/** An alert a test case expects: the rule that raises it, the series labels it carries and its `$value`. */
export interface ExpectedAlert {
    readonly rule: AlertRule;
    readonly labels: Readonly<Record<string, string>>;
    readonly value?: number;
}

/**
 * A promtool test of one alert name: input series, an evaluation time, and every alert of that
 * name expected to fire then (none: the series must not fire it).
 */
export interface RuleTestCase {
    readonly name: string;
    readonly series: readonly TestSeries[];
    readonly evalTime: string;
    readonly alerts: readonly ExpectedAlert[];
}

/** The rules of one alert name and their tests: at least one case that fires it and one that must not. */
export interface AlertFamily {
    readonly alertname: string;
    readonly rules: readonly AlertRule[];
    readonly cases: readonly RuleTestCase[];
}

/** `ServiceDown` → `service-down`: the runbook page of an alert (docs/runbooks/<slug>.md). */
export function runbookSlug(alertname: string): string {
    return alertname.replace(/([a-z0-9])([A-Z])/g, "$1-$2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2").toLowerCase();
}

export function runbookUrl(spec: MonitoringSpec, alertname: string): string {
    return `${spec.runbookBaseUrl}/${runbookSlug(alertname)}.md`;
}

/** A PromQL label matcher on `job` for one or more job names (validated to need no escaping). */
export function jobMatcher(names: readonly string[]): string {
    return names.length === 1 ? `job="${names[0]}"` : `job=~"${names.join("|")}"`;
}

/** A series in promtool's notation: `name{a="1",b="2"}`. */
export function seriesOf(name: string, labels: Readonly<Record<string, string>>): string {
    return `${name}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}}`;
}

/** PromQL and promtool number literals: plain decimals, no float noise (0.1 * 3 → 0.3). */
export function num(value: number): string {
    return String(Number(value.toPrecision(12)));
}

/** promtool's expanding notation for a counter growing by `perSample` for `samples` further samples. */
export function counter(perSample: number, samples: number): string {
    return `0+${num(perSample)}x${samples}`;
}

export function constant(value: number, samples: number): string {
    return `${num(value)}x${samples}`;
}

/** The alert as promtool reports it: series labels plus the rule's labels, annotations expanded. */
export function expectedAlert(expected: ExpectedAlert): { exp_labels: Record<string, string>; exp_annotations: Record<string, string> } {
    const labels = { ...expected.labels, ...expected.rule.labels };
    const annotations = Object.fromEntries(
        Object.entries(expected.rule.annotations).map(([key, template]) => [key, expandAnnotation(template, labels, expected.value)]),
    );
    return { exp_labels: labels, exp_annotations: annotations };
}

/** The `for` clause in promtool/PromQL duration notation. */
export function minutes(n: number): string {
    return n % 60 === 0 ? `${n / 60}h` : `${n}m`;
}
