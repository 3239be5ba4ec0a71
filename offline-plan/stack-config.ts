import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isNode, isScalar, isSeq, LineCounter, parse, parseDocument } from "yaml";
import { ConfigError, namespaceProblem } from "../stacks/config-keys";

/**
 * Reads a stack's configuration the way the Pulumi CLI hands it to a program: `Pulumi.yaml`
 * names the project, `Pulumi.<stack>.yaml` holds the values, `--config` overrides follow
 * `pulumi config set --path` semantics. Encrypted values get placeholders offline.
 */

export interface StackConfig {
    readonly project: string;
    readonly stack: string;
    /** Pulumi's flat config map: objects and arrays as JSON strings. */
    readonly config: Record<string, string>;
    readonly secretKeys: string[];
}

type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

function isObject(v: unknown): v is Record<string, Value> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Replaces `{secure: ...}` leaves with a placeholder; reports whether any was found. */
function withPlaceholders(key: string, value: Value): { value: Value; secret: boolean } {
    if (isObject(value) && Object.keys(value).length === 1 && typeof value.secure === "string") {
        return { value: `offline-placeholder-for-${key}`, secret: true };
    }
    if (Array.isArray(value) || isObject(value)) {
        let secret = false;
        const map = (k: string, v: Value) => {
            const inner = withPlaceholders(`${key}.${k}`, v);
            secret ||= inner.secret;
            return inner.value;
        };
        const mapped = Array.isArray(value)
            ? value.map((v, i) => map(String(i), v))
            : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, map(k, v)]));
        return { value: mapped, secret };
    }
    return { value, secret: false };
}

type Segment = string | number;

const pathToken = /([^.[\]"]+)|\[(\d+)\]|\["([^"]*)"\]/y;

/**
 * `a.b[0]["c.d"]` → ["a", "b", 0, "c.d"] (the paths `pulumi config set --path` accepts), or
 * what is wrong with the path: keys are joined by single dots, never empty.
 */
export function parseConfigPath(path: string): Segment[] | { problem: string } {
    const valid = 'a path of keys joined by dots, with [0] for an array index and ["a.b"] for a key with dots, such as database.backupRetentionDays';
    if (path === "") return { problem: `expected ${valid}, got nothing` };
    const segments: Segment[] = [];
    let at = 0;
    while (at < path.length) {
        const first = segments.length === 0;
        const dotted = !first && path[at] === ".";
        const start = dotted ? at + 1 : at;
        const before = path.slice(0, start);
        if ((first || dotted) && (start === path.length || path[start] === ".")) {
            return { problem: `expected ${valid}, got an empty key ${before === "" ? "at the start" : `after ${JSON.stringify(before)}`}` };
        }
        pathToken.lastIndex = start;
        const match = pathToken.exec(path);
        // A key name comes first or after a dot; an index or a quoted key follows a key directly.
        const fits = match !== null && (match[1] !== undefined ? first || dotted : !dotted && !(first && match[2] !== undefined));
        if (match === null || !fits) {
            return { problem: `expected ${valid}, got ${JSON.stringify(path.slice(start))}${before === "" ? "" : ` after ${JSON.stringify(before)}`}` };
        }
        segments.push(match[1] ?? (match[2] !== undefined ? Number(match[2]) : match[3]));
        at = pathToken.lastIndex;
    }
    return segments;
}

/** Like `pulumi config set --path`: true/false become booleans and integers numbers. */
function pathValue(text: string): Value {
    if (text === "true" || text === "false") return text === "true";
    if (/^-?\d+$/.test(text)) return Number(text);
    return text;
}

function setAtPath(root: Value | undefined, path: (string | number)[], value: Value): Value {
    if (path.length === 0) return value;
    const [head, ...rest] = path;
    if (typeof head === "number") {
        const list = Array.isArray(root) ? [...root] : [];
        list[head] = setAtPath(list[head], rest, value);
        return list;
    }
    const object = isObject(root) ? { ...root } : {};
    object[head] = setAtPath(object[head], rest, value);
    return object;
}

/** One `--config namespace:path=value`, parsed. */
interface Override {
    readonly fullKey: string;
    /** The path below the key: empty sets the key itself (to the text, as Pulumi does). */
    readonly rest: Segment[];
    readonly text: string;
}

/** A `--config` value, or what is wrong with it (naming the flag, what is expected and what was given). */
export function parseOverride(override: string): Override | { problem: string } {
    const refused = (expected: string) => ({ problem: `--config ${JSON.stringify(override)}: ${expected}` });
    const equals = override.indexOf("=");
    if (equals < 0) return refused('expected namespace:path=value, such as keel:database.backupRetentionDays=14, got no "="');
    const [target, text] = [override.slice(0, equals), override.slice(equals + 1)];
    const namespace = namespaceProblem(target);
    if (namespace !== undefined) return refused(namespace);
    const colon = target.indexOf(":");
    const path = parseConfigPath(target.slice(colon + 1));
    if ("problem" in path) return refused(path.problem);
    const [key, ...rest] = path;
    return { fullKey: `${target.slice(0, colon)}:${String(key)}`, rest, text };
}

function applyOverride(config: Record<string, Value>, { fullKey, rest, text }: Override): Record<string, Value> {
    return { ...config, [fullKey]: rest.length === 0 ? text : setAtPath(config[fullKey], rest, pathValue(text)) };
}

function parseOverrides(overrides: readonly string[]): { parsed: Override[]; problems: string[] } {
    const results = overrides.map(parseOverride);
    return {
        parsed: results.filter((r): r is Override => !("problem" in r)),
        problems: results.flatMap((r) => ("problem" in r ? [r.problem] : [])),
    };
}

/** Applies `namespace:path=value` overrides to a structured config; refuses them all at once if any is malformed. */
export function applyOverrides(config: Record<string, Value>, overrides: readonly string[]): Record<string, Value> {
    const { parsed, problems } = parseOverrides(overrides);
    if (problems.length > 0) throw new ConfigError(problems);
    return parsed.reduce(applyOverride, config);
}

/** The keys Pulumi reads from a stack file (`Pulumi.<stack>.yaml`). */
const stackFileKeys = ["config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt"];

/** A problem at a node of the stack file (its offset in the text). */
interface Located {
    readonly offset: number;
    readonly message: string;
}

const isEmpty = (node: unknown) => node === null || node === undefined || (isScalar(node) && node.value === null);
const keyName = (key: unknown) => String(isScalar(key) ? key.value : key);
const offsetOf = (node: unknown) => (isNode(node) ? node.range?.[0] ?? 0 : 0);
const located = (node: unknown, message: string): Located => ({ offset: offsetOf(node), message });

function describeNode(node: unknown): string {
    return isMap(node) ? "a mapping" : isSeq(node) ? "a list" : isScalar(node) ? JSON.stringify(node.value) : "something else";
}

/** Pulumi's stack file keys at the top, and under `config:` only keys of a namespace Keel reads. */
function structureProblems(root: unknown): Located[] {
    if (isEmpty(root)) return [];
    if (!isMap(root)) return [located(root, `expected a mapping with config: (Pulumi's stack file), got ${describeNode(root)}`)];
    const problems = root.items
        .filter(({ key }) => !stackFileKeys.includes(keyName(key)))
        .map(({ key }) => located(key, `${keyName(key)}: unknown key (expected one of: ${stackFileKeys.join(", ")})`));
    const section = root.get("config", true);
    if (isEmpty(section)) return problems;
    if (!isMap(section)) return [...problems, located(section, `config: expected a mapping of namespace:key to value, got ${describeNode(section)}`)];
    for (const { key } of section.items) {
        const problem = namespaceProblem(keyName(key));
        if (problem !== undefined) problems.push(located(key, `${keyName(key)}: ${problem}`));
    }
    return problems;
}

/** A stack file's configuration, or every problem with it, in the file's order, each at its file, line and column. */
function readStackFile(file: string, text: string): { config: Record<string, Value>; problems: string[] } {
    const lineCounter = new LineCounter();
    const document = parseDocument(text, { lineCounter, prettyErrors: false });
    const syntax = document.errors.map((error): Located => {
        const source = text.split("\n")[lineCounter.linePos(error.pos[0]).line - 1]?.trim() ?? "";
        return { offset: error.pos[0], message: `expected YAML, got a syntax error: ${error.message}${source === "" ? "" : ` in ${JSON.stringify(source)}`}` };
    });
    const problems = (syntax.length > 0 ? syntax : structureProblems(document.contents))
        .sort((a, b) => a.offset - b.offset)
        .map(({ offset, message }) => {
            const { line, col } = lineCounter.linePos(offset);
            return `${file}:${line}:${col}: ${message}`;
        });
    if (problems.length > 0) return { config: {}, problems };
    return { config: (document.toJS() as { config?: Record<string, Value> } | null)?.config ?? {}, problems };
}

/**
 * A stack's configuration as Pulumi hands it to the program. A missing stack file is an
 * Error; a stack file or `--config` value Keel cannot use is a ConfigError listing every
 * problem, each at its file, line and column, or its flag.
 */
export function loadStackConfig(projectDir: string, stack: string, overrides: readonly string[] = []): StackConfig {
    const project = parse(readFileSync(join(projectDir, "Pulumi.yaml"), "utf8")) as { name: string };
    const stackFile = join(projectDir, `Pulumi.${stack}.yaml`);
    let text: string;
    try {
        text = readFileSync(stackFile, "utf8");
    } catch (error) {
        throw new Error(`no stack "${stack}": cannot read ${stackFile} (${(error as Error).message})`);
    }
    const file = readStackFile(stackFile, text);
    const { parsed, problems } = parseOverrides(overrides);
    if (file.problems.length + problems.length > 0) throw new ConfigError([...file.problems, ...problems]);
    const structured = parsed.reduce(applyOverride, file.config);
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, raw] of Object.entries(structured)) {
        const { value, secret } = withPlaceholders(key, raw);
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
        if (secret) secretKeys.push(key);
    }
    return { project: project.name, stack, config, secretKeys };
}
