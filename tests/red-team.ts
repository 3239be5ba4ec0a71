import assert from "node:assert/strict";
import { test } from "node:test";
import type { Policies } from "@pulumi/policy";
import { evaluatePolicies, mandatoryViolations } from "../policies/offline";
import type { PlanRecord } from "../offline-plan/engine";
import type { PlanResource, PolicyViolation } from "../offline-plan/record";
import { packConfigFor, plannedBeforeTests, planStack } from "./plans";

/**
 * The red-team tests' scaffold (tests/red-team-*.test.ts): each attack is a realistic bad change
 * made on a copy of an environment's real plan, the way a careless or hostile pull request would,
 * and the policy it names must refuse it at the mandatory level.
 */

/** Edits the records of a plan in place. */
export type Mutation = (resources: PlanResource[]) => void;
/** A bad change: what it does, the policy that must refuse it, and how it edits the plan. */
export type Attack = readonly [name: string, policy: string, mutate: Mutation];

/** The mandatory violations of `policies` over the records, under the environment's pack config. */
export async function mandatoryRefusals(resources: readonly PlanResource[], policies: Policies, environment: string): Promise<PolicyViolation[]> {
    return mandatoryViolations(await evaluatePolicies({ resources }, policies, packConfigFor(environment)));
}

/** Plans the stack before the tests of the suite it is called in; the getter returns that plan. */
export function plannedStack(stack: string, overrides: readonly string[] = []): () => PlanRecord {
    return plannedBeforeTests(() => planStack(stack, overrides));
}

/** A test that the plan, unchanged, draws no mandatory violation of `policies`. */
export function cleanPlanPasses(title: string, plan: () => PlanRecord, policies: Policies, environment: string): void {
    test(title, async () => {
        assert.deepEqual(await mandatoryRefusals(plan().resources, policies, environment), []);
    });
}

/** A test per attack: its edit of a copy of the plan draws a mandatory violation of the policy it names. */
export function refusesAttacks(plan: () => PlanRecord, policies: Policies, environment: string, attacks: readonly Attack[]): void {
    for (const [name, policy, mutate] of attacks) {
        test(`${name} is refused by ${policy}`, async () => {
            const resources = structuredClone(plan().resources);
            mutate(resources);
            const refused = await mandatoryRefusals(resources, policies, environment);
            assert.ok(refused.some((v) => v.policyName === policy), `${policy} did not refuse it; refused: ${refused.map((v) => `${v.policyName}: ${v.message}`).join("; ") || "nothing"}`);
        });
    }
}

/** The usual suite over an environment's stack: the clean plan passes `policies`, and each attack is refused. */
export function redTeam(clean: string, policies: Policies, stack: string, overrides: readonly string[], attacks: readonly Attack[]): void {
    const plan = plannedStack(stack, overrides);
    cleanPlanPasses(clean, plan, policies, stack);
    refusesAttacks(plan, policies, stack, attacks);
}

// ---- editing a copy of the plan ----

export const inputs = (r: PlanResource) => r.inputs as Record<string, unknown>;

/** The one record whose type ends in `:typeSuffix` and whose name is `name`. */
export function named(resources: readonly PlanResource[], typeSuffix: string, name: string): PlanResource {
    const found = resources.filter((r) => r.type.endsWith(`:${typeSuffix}`) && r.name === name);
    assert.equal(found.length, 1, `expected one ${typeSuffix} "${name}", found ${found.length}`);
    return found[0];
}

/** Removes the records `predicate` picks: at least one. */
export function remove(resources: PlanResource[], predicate: (r: PlanResource) => boolean): void {
    const before = resources.length;
    resources.splice(0, resources.length, ...resources.filter((r) => !predicate(r)));
    assert.ok(resources.length < before, "nothing to remove");
}

/** A new record beside `like`: same provider, parent and region, its own type, name, inputs and dependencies. */
export function added(like: PlanResource, type: string, name: string, recordInputs: Record<string, unknown>, dependencies: string[] = [like.urn]): PlanResource {
    return {
        ...like,
        type,
        name,
        urn: `${like.urn.slice(0, like.urn.lastIndexOf("::"))}::${name}`.replace(like.type, type),
        inputs: recordInputs,
        dependencies,
        protect: false,
    };
}
