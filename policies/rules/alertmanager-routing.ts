import { list, object } from "./props";

/**
 * Alertmanager's routing tree and inhibition, as Alertmanager itself decides them
 * (prometheus/alertmanager: dispatch/route.go, inhibit/inhibit.go, pkg/labels/parse.go), over a
 * parsed alertmanager.yml. Pure functions: policies ask where an alert goes and what mutes it.
 */

export type Labels = Readonly<Record<string, string>>;
export type MatchType = "=" | "!=" | "=~" | "!~";

export interface Matcher {
    readonly name: string;
    readonly type: MatchType;
    readonly value: string;
    /** For `=~` and `!~`: the value anchored at both ends, as Alertmanager compiles it. */
    readonly regex?: RegExp;
}

/** A configuration Alertmanager would refuse to load, or a regex this model cannot run. */
export class UnreadableConfigError extends Error {}

// ---- matchers (pkg/labels) ----

const matcherPattern = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*([\s\S]*?)\s*$/;

/** POSIX classes RE2 accepts inside brackets and JavaScript does not. */
const posixClasses: Readonly<Record<string, string>> = {
    alnum: "0-9A-Za-z", alpha: "A-Za-z", ascii: "\\x00-\\x7F", blank: "\\t ", cntrl: "\\x00-\\x1F\\x7F", digit: "0-9",
    graph: "!-~", lower: "a-z", print: " -~", punct: "!-\\/:-@\\[-`{-~", space: "\\t\\n\\v\\f\\r ", upper: "A-Z", word: "0-9A-Za-z_", xdigit: "0-9A-Fa-f",
};

/** An RE2 pattern as a JavaScript RegExp anchored like Alertmanager's `^(?:…)$`. */
export function compileRegex(source: string): RegExp {
    const leading = /^\(\?([ims]+)\)/.exec(source);
    const flags = leading ? [...new Set(leading[1].replace("m", ""))].join("") : "";
    const body = (leading ? source.slice(leading[0].length) : source).replace(/\[:(\^?)([a-z]+):\]/g, (whole, negated: string, name: string) => {
        const range = posixClasses[name];
        if (range === undefined || negated !== "") throw new UnreadableConfigError(`regex "${source}" uses ${whole}, which this policy cannot evaluate`);
        return range;
    });
    for (const candidate of [`${flags}u`, flags]) {
        try {
            return new RegExp(`^(?:${body})$`, candidate);
        } catch {
            // Try without Unicode mode: RE2 allows escapes (\-, \_) that JavaScript's `u` flag refuses.
        }
    }
    throw new UnreadableConfigError(`regex "${source}" cannot be evaluated (Alertmanager uses RE2 syntax)`);
}

/** A matcher value with OpenMetrics escapes undone, as ParseMatcher reads it. */
function unescapeValue(raw: string, text: string): string {
    const quoted = raw.startsWith('"');
    const body = quoted ? raw.slice(1) : raw;
    let value = "";
    let closed = !quoted;
    for (let i = 0; i < body.length; i++) {
        const c = body[i];
        if (c === "\\" && i < body.length - 1) {
            const next = body[++i];
            value += next === "n" ? "\n" : next === '"' || next === "\\" ? next : `\\${next}`;
        } else if (c === '"') {
            if (!quoted || i < body.length - 1) throw new UnreadableConfigError(`matcher "${text}" has an unescaped double quote`);
            closed = true;
        } else {
            value += c;
        }
    }
    if (!closed) throw new UnreadableConfigError(`matcher "${text}" has an unescaped double quote`);
    return value;
}

export function newMatcher(name: string, type: MatchType, value: string): Matcher {
    return type === "=~" || type === "!~" ? { name, type, value, regex: compileRegex(value) } : { name, type, value };
}

/** One matcher: `name op value`, the value optionally double-quoted. */
export function parseMatcher(text: string): Matcher {
    const parts = matcherPattern.exec(text);
    if (parts === null) throw new UnreadableConfigError(`bad matcher format: ${text}`);
    return newMatcher(parts[1], parts[2] as MatchType, unescapeValue(parts[3], text));
}

/** A comma-separated list of matchers, optionally in braces: `{severity="critical", team=~"db|app"}`. */
export function parseMatchers(text: string): Matcher[] {
    const trimmed = text.replace(/^\{/, "").replace(/\}$/, "");
    const tokens: string[] = [];
    let token = "";
    let quoted = false;
    let escaped = false;
    for (const c of trimmed) {
        if (c === "," && !quoted) {
            tokens.push(token);
            token = "";
            continue;
        }
        if (c === '"') {
            if (escaped) escaped = false;
            else quoted = !quoted;
        } else if (c === "\\") escaped = !escaped;
        else escaped = false;
        token += c;
    }
    if (token.trim() !== "") tokens.push(token.trim());
    return tokens.map(parseMatcher);
}

export function matcherMatches(matcher: Matcher, labels: Labels): boolean {
    const value = labels[matcher.name] ?? "";
    switch (matcher.type) {
        case "=": return value === matcher.value;
        case "!=": return value !== matcher.value;
        case "=~": return matcher.regex!.test(value);
        case "!~": return !matcher.regex!.test(value);
    }
}

export const allMatch = (matchers: readonly Matcher[], labels: Labels) => matchers.every((m) => matcherMatches(m, labels));

/** `{severity="critical", team="db"}`, for messages. */
export function formatLabels(labels: Labels): string {
    return `{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}}`;
}
export const formatMatchers = (matchers: readonly Matcher[]) => `[${matchers.map((m) => `${m.name}${m.type}${JSON.stringify(m.value)}`).join(", ")}]`;

/** The matchers of a route or one side of an inhibit rule: `match`, `match_re` and `matchers`. */
export function matchersOf(node: Record<string, unknown>, prefix = ""): Matcher[] {
    const equal = Object.entries(object(node[`${prefix}match`])).map(([name, value]) => newMatcher(name, "=", String(value)));
    const regex = Object.entries(object(node[`${prefix}match_re`])).map(([name, value]) => newMatcher(name, "=~", String(value)));
    const raw = node[`${prefix}matchers`];
    const lines = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
    return [...equal, ...regex, ...lines.flatMap((line) => parseMatchers(String(line)))];
}

// ---- durations (prometheus/common model.ParseDuration) ----

const durationUnits: readonly [string, number][] = [["y", 365 * 86400], ["w", 7 * 86400], ["d", 86400], ["h", 3600], ["m", 60], ["s", 1], ["ms", 0.001]];
const durationPattern = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** A Prometheus or Alertmanager duration (`15d`, `1h30m`, `0`) in seconds; undefined when it is not one. */
export function parseDurationSeconds(text: unknown): number | undefined {
    if (typeof text !== "string") return undefined;
    const trimmed = text.trim();
    if (trimmed === "0") return 0;
    const parts = durationPattern.exec(trimmed);
    if (parts === null || trimmed === "") return undefined;
    return durationUnits.reduce((total, [, seconds], i) => total + Number(parts[i + 1] ?? 0) * seconds, 0);
}

// ---- routing tree (dispatch/route.go) ----

export interface Route {
    /** Where the route sits in the configuration: `route`, `route.routes[2].routes[0]`. */
    readonly path: string;
    readonly matchers: readonly Matcher[];
    readonly continue: boolean;
    /** Inherited from the parent when the route names none. */
    readonly receiver: string | undefined;
    readonly groupWaitSeconds: number;
    readonly groupIntervalSeconds: number;
    readonly repeatIntervalSeconds: number;
    /** Not inherited: Alertmanager applies only the matched route's own intervals. */
    readonly muteTimeIntervals: readonly string[];
    readonly activeTimeIntervals: readonly string[];
    readonly routes: readonly Route[];
}

const rootDefaults = { receiver: undefined, groupWaitSeconds: 30, groupIntervalSeconds: 300, repeatIntervalSeconds: 4 * 3600 };

function durationOption(node: Record<string, unknown>, key: string, inherited: number, path: string): number {
    if (node[key] === undefined || node[key] === null) return inherited;
    const seconds = parseDurationSeconds(node[key]);
    if (seconds === undefined) throw new UnreadableConfigError(`${path}.${key} is not a duration: ${JSON.stringify(node[key])}`);
    return seconds;
}

function buildRoute(node: Record<string, unknown>, path: string, parent: Omit<Route, "path" | "matchers" | "continue" | "muteTimeIntervals" | "activeTimeIntervals" | "routes">): Route {
    const receiver = typeof node.receiver === "string" && node.receiver !== "" ? node.receiver : parent.receiver;
    const options = {
        receiver,
        groupWaitSeconds: durationOption(node, "group_wait", parent.groupWaitSeconds, path),
        groupIntervalSeconds: durationOption(node, "group_interval", parent.groupIntervalSeconds, path),
        repeatIntervalSeconds: durationOption(node, "repeat_interval", parent.repeatIntervalSeconds, path),
    };
    return {
        path,
        ...options,
        matchers: matchersOf(node),
        continue: node.continue === true,
        muteTimeIntervals: list(node.mute_time_intervals).map(String),
        activeTimeIntervals: list(node.active_time_intervals).map(String),
        routes: list(node.routes).map((child, i) => buildRoute(object(child), `${path}.routes[${i}]`, options)),
    };
}

/** The routing tree of a configuration, every route with the settings it inherits. */
export function routingTree(config: Record<string, unknown>): Route {
    return buildRoute(object(config.route), "route", rootDefaults);
}

/** The routes an alert is delivered through: depth first, the first matching child wins unless it has `continue: true`. */
export function matchRoutes(route: Route, labels: Labels): Route[] {
    if (!allMatch(route.matchers, labels)) return [];
    const matched: Route[] = [];
    for (const child of route.routes) {
        const found = matchRoutes(child, labels);
        matched.push(...found);
        if (found.length > 0 && !child.continue) break;
    }
    return matched.length > 0 ? matched : [route];
}

/** Every route of the tree, depth first, each with its ancestors (root first). */
export function* walkRoutes(route: Route, ancestors: readonly Route[] = []): Generator<{ route: Route; ancestors: readonly Route[] }> {
    yield { route, ancestors };
    for (const child of route.routes) yield* walkRoutes(child, [...ancestors, route]);
}

/**
 * Why Alertmanager would refuse to load a configuration, for the mistakes that leave routing
 * intact on paper (config/config.go): then it keeps running the previous configuration, or none.
 */
export function configError(config: Record<string, unknown>): string | undefined {
    const names = list(config.receivers).map((r) => String(r.name));
    const twice = names.find((name, i) => names.indexOf(name) !== i);
    if (twice !== undefined) return `receiver "${twice}" is defined twice`;
    const root = object(config.route);
    if (typeof root.receiver !== "string" || root.receiver === "") return "the root route has no receiver";
    if (["match", "match_re", "matchers"].some((key) => root[key] !== undefined && root[key] !== null)) return "the root route has matchers";
    if (root.continue === true) return "the root route has continue: true";
    const intervals = new Set([...list(config.time_intervals), ...list(config.mute_time_intervals)].map((t) => String(t.name)));
    for (const { route } of walkRoutes(routingTree(config))) {
        if (route.receiver !== undefined && !names.includes(route.receiver)) return `${route.path} names the undefined receiver "${route.receiver}"`;
        const undefinedInterval = [...route.muteTimeIntervals, ...route.activeTimeIntervals].find((name) => !intervals.has(name));
        if (undefinedInterval !== undefined) return `${route.path} names the undefined time interval "${undefinedInterval}"`;
    }
    return undefined;
}

// ---- inhibition (inhibit/inhibit.go) ----

export interface InhibitRule {
    /** `inhibit_rules[i]`, for messages. */
    readonly path: string;
    readonly source: readonly Matcher[];
    readonly target: readonly Matcher[];
    readonly equal: readonly string[];
}

export function inhibitRules(config: Record<string, unknown>): InhibitRule[] {
    return list(config.inhibit_rules).map((rule, i) => ({
        path: `inhibit_rules[${i}]`,
        source: matchersOf(rule, "source_"),
        target: matchersOf(rule, "target_"),
        equal: list(rule.equal).map(String),
    }));
}

/** Whether a firing `source` alert mutes `target` under the rule. */
export function inhibits(rule: InhibitRule, source: Labels, target: Labels): boolean {
    if (!allMatch(rule.target, target) || !allMatch(rule.source, source)) return false;
    if (rule.equal.some((name) => (source[name] ?? "") !== (target[name] ?? ""))) return false;
    // An alert matching both sides is never muted by another alert that also matches both (excludeTwoSidedMatch).
    return !(allMatch(rule.source, target) && allMatch(rule.target, source));
}

/** The first rule and firing alert that mute `target`, if any. */
export function inhibitedBy(rules: readonly InhibitRule[], target: Labels, firing: readonly Labels[]): { rule: InhibitRule; source: Labels } | undefined {
    for (const rule of rules) {
        const source = firing.find((alert) => alert !== target && inhibits(rule, alert, target));
        if (source !== undefined) return { rule, source };
    }
    return undefined;
}

/** Values tried for a label no `=` matcher pins: absent, and arbitrary present values. */
const sampleValues = ["", "x", "keel-sample-value"];

/**
 * Whether some alert carrying the `fixed` labels could satisfy every matcher. Errs towards yes:
 * a label constrained only by a positive regex no sample satisfies is assumed satisfiable.
 */
export function canMatch(matchers: readonly Matcher[], fixed: Labels): boolean {
    const byName = new Map<string, Matcher[]>();
    for (const m of matchers) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
    return [...byName.entries()].every(([name, own]) => {
        if (name in fixed) return own.every((m) => matcherMatches(m, fixed));
        const pinned = own.filter((m) => m.type === "=").map((m) => m.value);
        const candidates = pinned.length > 0 ? pinned : sampleValues;
        if (candidates.some((value) => own.every((m) => matcherMatches(m, { [name]: value })))) return true;
        return pinned.length === 0 && own.some((m) => m.type === "=~");
    });
}
