import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

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

/** `a.b[0]["c.d"]` → ["a", "b", 0, "c.d"] (the paths `pulumi config set --path` accepts). */
export function parseConfigPath(path: string): (string | number)[] {
    const segments: (string | number)[] = [];
    const pattern = /([^.[\]"]+)|\[(\d+)\]|\["([^"]*)"\]|(\.)/gy;
    let match: RegExpExecArray | null;
    let consumed = 0;
    while ((match = pattern.exec(path)) !== null) {
        consumed = pattern.lastIndex;
        if (match[1] !== undefined) segments.push(match[1]);
        else if (match[2] !== undefined) segments.push(Number(match[2]));
        else if (match[3] !== undefined) segments.push(match[3]);
    }
    if (consumed !== path.length || segments.length === 0) throw new Error(`invalid config path "${path}"`);
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

/** Applies `namespace:path=value` overrides to a structured config. */
export function applyOverrides(config: Record<string, Value>, overrides: readonly string[]): Record<string, Value> {
    const result = { ...config };
    for (const override of overrides) {
        const match = /^([A-Za-z0-9_-]+):([^=]+)=(.*)$/s.exec(override);
        if (!match) throw new Error(`--config expects namespace:key=value or namespace:path.to.key=value, got "${override}"`);
        const [, namespace, path, text] = match;
        const [key, ...rest] = parseConfigPath(path);
        const fullKey = `${namespace}:${String(key)}`;
        result[fullKey] = rest.length === 0 ? text : setAtPath(result[fullKey], rest, pathValue(text));
    }
    return result;
}

export function loadStackConfig(projectDir: string, stack: string, overrides: readonly string[] = []): StackConfig {
    const project = parse(readFileSync(join(projectDir, "Pulumi.yaml"), "utf8")) as { name: string };
    const stackFile = join(projectDir, `Pulumi.${stack}.yaml`);
    let stackDocument: { config?: Record<string, Value> } | null;
    try {
        stackDocument = parse(readFileSync(stackFile, "utf8")) as { config?: Record<string, Value> } | null;
    } catch (error) {
        throw new Error(`no stack "${stack}": cannot read ${stackFile} (${(error as Error).message})`);
    }
    const structured = applyOverrides(stackDocument?.config ?? {}, overrides);
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, raw] of Object.entries(structured)) {
        const { value, secret } = withPlaceholders(key, raw);
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
        if (secret) secretKeys.push(key);
    }
    return { project: project.name, stack, config, secretKeys };
}
