import { isDeepStrictEqual } from "node:util";
import type { PlanResource } from "../../offline-plan/record";
import { displayType, renderCounts } from "./report";
import { planConfiguredStack } from "./stack-plan";
import { formatChange, isBranch, pathTo } from "./values";

/**
 * What changes between two offline plans — `npm run plan -- <stack> --diff FILE` against a saved
 * plan document, and `dr-failover --dry-run` between a stack's configuration before and after a
 * phase. Resources are matched by type chain and name (their URN without stack and project, so
 * plans of two stacks compare too); a resource is updated when an input, `protect`,
 * `retainOnDelete` or its provider differs. Replacements are not visible offline.
 */

/** One leaf that differs: `undefined` on the side where it is absent. */
export interface ValueChange {
    readonly path: string;
    readonly before: unknown;
    readonly after: unknown;
}

export interface ResourceUpdate {
    readonly resource: PlanResource;
    /** Changed inputs, leaf by leaf (`tags.owner`, `policy.Statement[0].Resource`). */
    readonly changes: ValueChange[];
    /** Changed resource options: `protect`, `retainOnDelete`, `provider`. */
    readonly options: ValueChange[];
}

export interface PlanDiff {
    readonly added: PlanResource[];
    readonly removed: PlanResource[];
    readonly changed: ResourceUpdate[];
    readonly unchanged: number;
    /** Changed stack outputs, leaf by leaf. */
    readonly outputs: ValueChange[];
}

/** The object or list a string holds as JSON (IAM policies, dashboards, provider tags), if it does. */
function parsedJson(value: unknown): unknown {
    if (typeof value !== "string" || !/^\s*[[{]/.test(value)) return undefined;
    try {
        return JSON.parse(value) as unknown;
    } catch {
        return undefined;
    }
}

/** Both sides as they are compared: two JSON strings by their content, when that differs. */
function comparable(before: unknown, after: unknown): [unknown, unknown] {
    const [b, a] = [parsedJson(before), parsedJson(after)];
    return b !== undefined && a !== undefined && !isDeepStrictEqual(b, a) ? [b, a] : [before, after];
}

/** The text a string holds as base64 (EC2 user data), if it is base64 of printable text. */
function base64Text(value: unknown): string | undefined {
    if (typeof value !== "string" || value.length < 16 || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
    const text = Buffer.from(value, "base64").toString("utf8");
    return /^[\P{C}\n\r\t]*$/u.test(text) && !text.includes("\uFFFD") ? text : undefined;
}

function keysOf(value: Record<string, unknown> | unknown[]): (string | number)[] {
    return Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
}

/** The leaves that differ between two values, in the order they appear (before's keys, then after's new ones). */
export function valueChanges(before: unknown, after: unknown, path = ""): ValueChange[] {
    if (isDeepStrictEqual(before, after)) return [];
    const [textBefore, textAfter] = [base64Text(before), base64Text(after)];
    if (textBefore !== undefined && textAfter !== undefined) return [{ path: `${path} (base64, decoded)`, before: textBefore, after: textAfter }];
    const [b, a] = comparable(before, after);
    if (!isBranch(b) || !isBranch(a) || Array.isArray(b) !== Array.isArray(a)) return [{ path, before, after }];
    const keys = [...new Set([...keysOf(b), ...keysOf(a)])];
    const child = (value: Record<string, unknown> | unknown[], key: string | number): unknown => (value as Record<string | number, unknown>)[key];
    return keys.flatMap((key) => valueChanges(child(b, key), child(a, key), pathTo(path, key)));
}

/** A URN's resource, whichever stack and project: its qualified type and name. */
export function resourceIdentity(urn: string): string {
    return urn.split("::").slice(2).join("::");
}

function optionChanges(old: PlanResource, resource: PlanResource): ValueChange[] {
    const provider = (r: PlanResource) => (r.provider === null ? undefined : resourceIdentity(r.provider));
    return [
        { path: "protect", before: old.protect, after: resource.protect },
        { path: "retainOnDelete", before: old.retainOnDelete, after: resource.retainOnDelete },
        { path: "provider", before: provider(old), after: provider(resource) },
    ].filter((change) => change.before !== change.after);
}

/** What a comparison reads of a plan: a fresh record or a saved document. */
export interface ComparedPlan {
    readonly resources: readonly PlanResource[];
    readonly outputs: Readonly<Record<string, unknown>>;
}

export function diffPlans(before: ComparedPlan, after: ComparedPlan): PlanDiff {
    const beforeById = new Map(before.resources.map((r) => [resourceIdentity(r.urn), r]));
    const afterIds = new Set(after.resources.map((r) => resourceIdentity(r.urn)));
    const changed: ResourceUpdate[] = [];
    let unchanged = 0;
    for (const resource of after.resources) {
        const old = beforeById.get(resourceIdentity(resource.urn));
        if (old === undefined) continue;
        const update = { resource, changes: valueChanges(old.inputs, resource.inputs), options: optionChanges(old, resource) };
        if (update.changes.length + update.options.length > 0) changed.push(update);
        else unchanged++;
    }
    return {
        added: after.resources.filter((r) => !beforeById.has(resourceIdentity(r.urn))),
        removed: before.resources.filter((r) => !afterIds.has(resourceIdentity(r.urn))),
        changed,
        unchanged,
        outputs: valueChanges(before.outputs, after.outputs),
    };
}

/** At most this many changed values per resource; the rest are counted. */
export const changesShown = 12;

function changeLines(changes: readonly ValueChange[], indent: string, suffix = ""): string[] {
    const shown = changes.slice(0, changesShown).map(({ path, before, after }) => `${indent}${path}${suffix}: ${formatChange(before, after)}`);
    const more = changes.length - changesShown;
    return more > 0 ? [...shown, `${indent}… ${more} more change${more === 1 ? "" : "s"}`] : shown;
}

const row = (mark: string, r: PlanResource) => `  ${mark} ${displayType(r.type)} ${r.name}${r.region ? ` (${r.region})` : ""}`;

/** The one-line summary, as `pulumi preview` ends. */
export function renderDiffSummary(diff: PlanDiff): string {
    return renderCounts({ create: diff.added.length, update: diff.changed.length, delete: diff.removed.length, unchanged: diff.unchanged });
}

/** Created, updated (each changed value `old → new`) and deleted resources, changed outputs, and the summary line. */
export function renderDiff(diff: PlanDiff): string {
    const lines = [
        ...diff.added.map((r) => row("+", r)),
        ...diff.changed.flatMap(({ resource, changes, options }) => [row("~", resource), ...changeLines(options, "      ", " (option)"), ...changeLines(changes, "      ")]),
        ...diff.removed.map((r) => row("-", r)),
    ];
    const outputs = diff.outputs.length === 0 ? [] : ["Outputs:", ...changeLines(diff.outputs, "  ~ ")];
    return [...lines, ...outputs, renderDiffSummary(diff)].join("\n");
}

/** The difference `--config`-style overrides make: the stack planned with `before`, then with `after`. */
export async function planDifference(projectRoot: string, stack: string, before: readonly string[], after: readonly string[]): Promise<PlanDiff> {
    const planBefore = await planConfiguredStack(projectRoot, stack, before);
    return diffPlans(planBefore.record, (await planConfiguredStack(projectRoot, stack, after)).record);
}
