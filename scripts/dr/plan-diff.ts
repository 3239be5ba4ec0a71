import { isDeepStrictEqual } from "node:util";
import { resolveKeelConfig } from "../../stacks/config";
import { planProgram, type PlanRecord } from "../plan/engine";
import type { PlanResource } from "../plan/record";
import { displayType } from "../plan/report";
import { loadStackConfig } from "../plan/stack-config";

/**
 * `--dry-run`: what a phase changes, from two offline plans of the stack (Pulumi SDK mock
 * runtime) — before and after its `keel:dr.*` values. Resources are matched by URN; a
 * resource differs when any input does. Replacements (`--replace`) are not visible offline.
 */

export interface PlanDiff {
    readonly added: PlanResource[];
    readonly removed: PlanResource[];
    readonly changed: { readonly resource: PlanResource; readonly inputs: string[] }[];
}

export function diffPlans(before: PlanRecord, after: PlanRecord): PlanDiff {
    const beforeByUrn = new Map(before.resources.map((r) => [r.urn, r]));
    const afterUrns = new Set(after.resources.map((r) => r.urn));
    const changed: PlanDiff["changed"] = [];
    for (const resource of after.resources) {
        const old = beforeByUrn.get(resource.urn);
        if (old === undefined) continue;
        const keys = [...new Set([...Object.keys(old.inputs), ...Object.keys(resource.inputs)])].sort();
        const inputs = keys.filter((key) => !isDeepStrictEqual(old.inputs[key], resource.inputs[key]));
        if (inputs.length > 0) changed.push({ resource, inputs });
    }
    return {
        added: after.resources.filter((r) => !beforeByUrn.has(r.urn)),
        removed: before.resources.filter((r) => !afterUrns.has(r.urn)),
        changed,
    };
}

/** Plans the stack's configuration with `--config`-style overrides, refusing invalid configuration first. */
async function plan(projectRoot: string, stack: string, overrides: readonly string[]): Promise<PlanRecord> {
    const stackConfig = loadStackConfig(projectRoot, stack, overrides);
    resolveKeelConfig(stackConfig.config, stack);
    const { composeStack } = await import("../../stacks");
    return planProgram(composeStack, stackConfig);
}

export async function planDifference(projectRoot: string, stack: string, before: readonly string[], after: readonly string[]): Promise<PlanDiff> {
    const planBefore = await plan(projectRoot, stack, before);
    return diffPlans(planBefore, await plan(projectRoot, stack, after));
}

export function renderDiff(diff: PlanDiff): string {
    const row = (mark: string, r: PlanResource, detail = "") => `  ${mark} ${displayType(r.type)} ${r.name}${r.region ? ` (${r.region})` : ""}${detail}`;
    const lines = [
        ...diff.added.map((r) => row("+", r)),
        ...diff.removed.map((r) => row("-", r)),
        ...diff.changed.map(({ resource, inputs }) => row("~", resource, `: ${inputs.join(", ")}`)),
    ];
    const summary = `${diff.added.length} to add, ${diff.changed.length} to change, ${diff.removed.length} to remove`;
    return lines.length === 0 ? "  no differences" : [...lines, `  ${summary}`].join("\n");
}
