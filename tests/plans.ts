import { resolve } from "node:path";
import { planProgram, type PlanRecord } from "../scripts/plan/engine";
import type { PlanResource } from "../scripts/plan/record";
import { loadStackConfig } from "../scripts/plan/stack-config";
import { composeStack } from "../stacks";

/** Test helpers over the offline plan: plan a stack or a few components, then query the record. */

export const projectRoot = resolve(__dirname, "..");

const stackPlans = new Map<string, Promise<PlanRecord>>();

/** Plans an environment's stack (with `--config`-style overrides) once per test process. */
export function planStack(stack: string, overrides: readonly string[] = []): Promise<PlanRecord> {
    const key = [stack, ...overrides].join("\n");
    let plan = stackPlans.get(key);
    if (plan === undefined) {
        plan = planProgram(composeStack, loadStackConfig(projectRoot, stack, overrides));
        stackPlans.set(key, plan);
    }
    return plan;
}

/** Plans a program that builds components directly, under a throwaway stack. */
export function planComponents(
    build: () => Record<string, unknown> | void,
    config: Record<string, string> = { "aws:region": "us-east-1" },
    stack = "test",
): Promise<PlanRecord> {
    return planProgram(async () => build() ?? {}, { project: "keel", stack, config });
}

export function ofType(record: PlanRecord, type: string): PlanResource[] {
    return record.resources.filter((r) => r.type === type);
}

/** The one resource of a type (and name, when given); throws when there is none or several. */
export function only(record: PlanRecord, type: string, name?: string): PlanResource {
    const matches = ofType(record, type).filter((r) => name === undefined || r.name === name);
    if (matches.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${matches.length}`);
    return matches[0];
}

export function childrenOf(record: PlanRecord, parent: PlanResource): PlanResource[] {
    return record.resources.filter((r) => r.parent === parent.urn);
}
