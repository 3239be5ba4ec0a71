import { secretMarker, unknownMarker } from "../../offline-plan/record";

/**
 * How plan values read in a report: a path per leaf (`tags.owner`, `ingress[0].fromPort`,
 * `tags["kubernetes.io/role/elb"]`), a value in one short line. Secrets are already
 * `[secret]` in the record and are printed as that marker, never looked into.
 */

/** How wide one printed value may be before it is cut. */
export const valueWidth = 80;

const markers: ReadonlySet<unknown> = new Set([secretMarker, unknownMarker]);

export function pathTo(parent: string, key: string | number): string {
    if (typeof key === "number") return `${parent}[${key}]`;
    if (/^[A-Za-z_$][\w$-]*$/.test(key)) return parent === "" ? key : `${parent}.${key}`;
    return `${parent}[${JSON.stringify(key)}]`;
}

/** `width` characters of `text` from about `start`, quoted, marked `…` where cut, with its length when cut. */
function excerpt(text: string, start: number, width: number): string {
    if (text.length <= width) return JSON.stringify(text);
    const from = Math.max(0, Math.min(start, text.length - width));
    const to = from + width;
    return `${from > 0 ? "…" : ""}${JSON.stringify(text.slice(from, to))}${to < text.length ? "…" : ""} (${text.length} chars)`;
}

/** A value on one line: `(unset)` when absent, markers as they are, strings quoted, anything long cut. */
export function formatValue(value: unknown, width = valueWidth): string {
    if (value === undefined) return "(unset)";
    if (markers.has(value)) return String(value);
    if (typeof value === "string") return excerpt(value, 0, width);
    const text = JSON.stringify(value);
    return text.length > width ? `${text.slice(0, width)}…` : text;
}

/** Where two strings start to differ, less a few words of context (from the start of a word when there is one). */
function differenceContext(a: string, b: string): number {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    const from = Math.max(0, i - 16);
    const space = a.indexOf(" ", from);
    return from > 0 && space >= 0 && space < i ? space + 1 : from;
}

/** `old → new`; two long strings are shown from a little before where they start to differ. */
export function formatChange(before: unknown, after: unknown, width = valueWidth): string {
    const longStrings = typeof before === "string" && typeof after === "string" && !markers.has(before) && !markers.has(after) && Math.max(before.length, after.length) > width;
    if (!longStrings) return `${formatValue(before, width)} → ${formatValue(after, width)}`;
    const from = differenceContext(before, after);
    return `${excerpt(before, from, width)} → ${excerpt(after, from, width)}`;
}

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Whether a value is read key by key rather than printed whole: a non-empty object, or a list
 * holding objects (a list of plain values, `["a", "b"]`, reads best on one line).
 */
export function isBranch(value: unknown): value is Record<string, unknown> | unknown[] {
    if (Array.isArray(value)) return value.some((element) => typeof element === "object" && element !== null);
    return isObject(value) && Object.keys(value).length > 0;
}

/** Every leaf of a value with its path, in the value's own order. */
export function leaves(value: unknown, path = ""): [string, unknown][] {
    if (!isBranch(value)) return [[path, value]];
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    return entries.flatMap(([key, child]) => leaves(child, pathTo(path, key)));
}
