import { parser } from "@prometheus-io/lezer-promql";
import { parse } from "yaml";
import type { PublishedMetric } from "../components/monitoring/render/published-metrics";

/**
 * The metric names Keel's rendered rules and dashboards read, found by the Prometheus
 * project's own PromQL grammar (lezer-promql), and the check that each is exported by
 * something Prometheus scrapes: a rule on a metric nobody exports is an alert that never fires.
 *
 * Test tooling, not part of the deployed stack (the parser is a devDependency).
 */

export class PromqlError extends Error {
    constructor(readonly expr: string, problem: string) {
        super(`${problem} in PromQL: ${expr}`);
        this.name = "PromqlError";
    }
}

/** Grafana's built-in interval variables, replaced by a literal of the same kind so the query parses. */
const grafanaBuiltIns: Readonly<Record<string, string>> = {
    __interval: "1m",
    __rate_interval: "1m",
    __range: "1h",
    __auto: "1m",
    __interval_ms: "60000",
    __range_ms: "3600000",
    __range_s: "3600",
};

/**
 * A Grafana query with its built-in interval variables (`$__rate_interval`, `${__range}`,
 * `[[__interval]]`) replaced by literals. Other variables are left: inside a label value they
 * do not change the names read, anywhere else the parser refuses the query and says where.
 */
export function withoutGrafanaVariables(expr: string): string {
    return expr.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (match, braced?: string, bracketed?: string, bare?: string) =>
        grafanaBuiltIns[braced ?? bracketed ?? bare ?? ""] ?? match);
}

/** The value of a PromQL string literal: "double" and 'single' quoted with Go escapes, or `raw`. */
function stringValue(literal: string): string {
    if (literal.startsWith("`")) return literal.slice(1, -1);
    if (literal.startsWith("'")) return JSON.parse(`"${literal.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string;
    return JSON.parse(literal) as string;
}

/**
 * Every metric name an expression selects: the identifier of each vector selector, a quoted
 * name in braces (`{"my.metric"}`) and `__name__="…"` matchers. Throws on a syntax error and on
 * a `__name__` matched by a regex or a negation, whose names cannot be known from the query.
 */
export function metricNamesOf(expr: string): string[] {
    const names = new Set<string>();
    const text = (from: number, to: number) => expr.slice(from, to);
    parser.parse(expr).iterate({
        enter(ref) {
            if (ref.type.isError) throw new PromqlError(expr, `a syntax error at offset ${ref.from}`);
            const node = ref.node;
            if (ref.name === "VectorSelector") {
                const identifier = node.getChild("Identifier");
                if (identifier !== null) names.add(text(identifier.from, identifier.to));
            } else if (ref.name === "QuotedLabelName" && node.parent?.name === "LabelMatchers") {
                const literal = node.getChild("StringLiteral");
                if (literal !== null) names.add(stringValue(text(literal.from, literal.to)));
            } else if (ref.name === "UnquotedLabelMatcher" || ref.name === "QuotedLabelMatcher") {
                const label = node.firstChild;
                const value = node.getChild("StringLiteral");
                const op = node.getChild("MatchOp")?.firstChild?.name;
                if (label === null || value === null) return;
                const labelName = label.name === "QuotedLabelName" ? stringValue(text(label.from, label.to).trim()) : text(label.from, label.to);
                if (labelName !== "__name__") return;
                if (op !== "EqlSingle") throw new PromqlError(expr, "a metric name matched by a regex or a negation cannot be checked");
                names.add(stringValue(text(value.from, value.to)));
            }
        },
    });
    return [...names];
}

/** A metric name read somewhere: where, as a person finds it (file, rule or panel), and in which environment's files. */
export interface MetricUse {
    readonly metric: string;
    readonly source: string;
    readonly environment?: string;
}

interface RuleDocument {
    readonly groups?: readonly { readonly name: string; readonly rules: readonly { readonly alert?: string; readonly record?: string; readonly expr: string }[] }[];
}

interface DashboardTarget {
    readonly expr?: string;
    readonly refId?: string;
    readonly datasource?: { readonly type?: string };
}

interface DashboardPanel {
    readonly title?: string;
    readonly datasource?: { readonly type?: string };
    readonly targets?: readonly DashboardTarget[];
    /** A collapsed row holds its panels. */
    readonly panels?: readonly DashboardPanel[];
}

/** A rendered file: its path under the monitoring directory and its content. */
export interface RenderedText {
    readonly path: string;
    readonly content: string;
}

const isRuleFile = (path: string) => /^rules\/[^/]+\.ya?ml$/.test(path);
const isDashboard = (path: string) => /^grafana\/dashboards\/[^/]+\.json$/.test(path);

function ruleUses(file: RenderedText): { uses: MetricUse[]; records: string[] } {
    const rules = ((parse(file.content) as RuleDocument).groups ?? []).flatMap((group) => group.rules.map((rule) => ({ group: group.name, rule })));
    return {
        uses: rules.flatMap(({ group, rule }) => {
            const source = `${file.path} group ${group}, ${rule.alert !== undefined ? `alert ${rule.alert}` : `record ${rule.record ?? "?"}`}`;
            return metricNamesOf(rule.expr).map((metric) => ({ metric, source }));
        }),
        records: rules.flatMap(({ rule }) => (rule.record !== undefined ? [rule.record] : [])),
    };
}

function panelsOf(panels: readonly DashboardPanel[]): DashboardPanel[] {
    return panels.flatMap((panel) => [panel, ...panelsOf(panel.panels ?? [])]);
}

function dashboardUses(file: RenderedText): MetricUse[] {
    const dashboard = JSON.parse(file.content) as { panels?: readonly DashboardPanel[] };
    return panelsOf(dashboard.panels ?? []).flatMap((panel) =>
        (panel.targets ?? [])
            // Loki's and Jaeger's panels query in their own languages.
            .filter((target) => target.expr !== undefined && (target.datasource ?? panel.datasource)?.type === "prometheus")
            .flatMap((target) => {
                const source = `${file.path} panel "${panel.title ?? "?"}" query ${target.refId ?? "?"}`;
                return metricNamesOf(withoutGrafanaVariables(target.expr ?? "")).map((metric) => ({ metric, source }));
            }));
}

/**
 * Every metric name the rendered rule files and Grafana dashboards read, with where. Names
 * produced by the rules' own recording rules are left out (their inputs are in).
 */
export function metricUses(files: readonly RenderedText[]): MetricUse[] {
    const rules = files.filter((f) => isRuleFile(f.path)).map(ruleUses);
    const recorded = new Set(rules.flatMap((r) => r.records));
    const uses = [...rules.flatMap((r) => r.uses), ...files.filter((f) => isDashboard(f.path)).flatMap(dashboardUses)];
    return uses.filter((use) => !recorded.has(use.metric));
}

/** The sources of one metric, each once, with the environments whose files read it there. */
function sourcesOf(uses: readonly MetricUse[], metric: string): string[] {
    const ofMetric = uses.filter((u) => u.metric === metric);
    return [...new Set(ofMetric.map((u) => u.source))].map((source) => {
        const environments = [...new Set(ofMetric.filter((u) => u.source === source).flatMap((u) => (u.environment !== undefined ? [u.environment] : [])))];
        return environments.length > 0 ? `${source} (${environments.join(", ")})` : source;
    });
}

/**
 * One problem per metric read but neither exported by the scraped exporters (`exported`, the
 * names Prometheus holds) nor listed as published elsewhere: the metric, what reads it, and
 * what was scraped (`scraped`, e.g. `node (node exporter)`).
 */
export function unexportedMetricProblems(uses: readonly MetricUse[], exported: ReadonlySet<string>, published: readonly PublishedMetric[], scraped: readonly string[]): string[] {
    const listed = new Set(published.map((p) => p.name));
    const missing = [...new Set(uses.map((u) => u.metric))].filter((metric) => !exported.has(metric) && !listed.has(metric)).sort();
    return missing.map((metric) =>
        `${metric} is read by ${sourcesOf(uses, metric).join("; ")}, but none of the scraped jobs exports it (${scraped.join(", ")}) and no publisher lists it`);
}

/** One problem per published metric nothing reads: a stale entry would hide a misspelling later. */
export function stalePublishedMetricProblems(uses: readonly MetricUse[], published: readonly PublishedMetric[]): string[] {
    const read = new Set(uses.map((u) => u.metric));
    return published.filter((p) => !read.has(p.name)).map((p) => `${p.name} (published by ${p.publisher}) is read by no rule or dashboard: remove it from the list`);
}
