import assert from "node:assert/strict";
import { before } from "node:test";
import * as aws from "@pulumi/aws";
import { resolve } from "node:path";
import { InvalidArgumentsError } from "../components/problems";
export { publicOutputs } from "../components/outputs";
import { planProgram, type PlanRecord } from "../offline-plan/engine";
import type { PolicyPackConfig } from "@pulumi/policy";
import { loadPolicyPackConfig } from "../policies/offline";
import { calendarAsOf } from "../policies/rules/change-calendar";
import { mockResource } from "../offline-plan/mocks";
import type { PlanResource } from "../offline-plan/record";
import { loadStackConfig, type StackConfig } from "../offline-plan/stack-config";
import { composeStack } from "../stacks";
import { cachedPlan } from "./plan-cache";

/** Test helpers over the offline plan: plan a stack or a few components, then query the record. */

export const projectRoot = resolve(__dirname, "..");

/**
 * A moment open for production changes, outside every freeze and inside a change window
 * (Thursday 03:00 Pacific): tests judge plans on their content, not the calendar.
 */
export const openForChanges = "2026-10-15T10:00:00Z";

/** An environment's policy pack config, judged at `openForChanges`. */
export function packConfigFor(environment: string): PolicyPackConfig {
    return calendarAsOf(loadPolicyPackConfig(environment), openForChanges);
}

/**
 * The pack config for a plan of a few components: the environment's, with the policies that
 * require something elsewhere in the stack switched off (a failover pair, Alertmanager paging,
 * the dump job, the backup selection of the database, the budget, the cache's DR copy, the edge).
 * Whole-stack plans judge those.
 */
export function componentPackConfigFor(environment: string): PolicyPackConfig {
    const config = packConfigFor(environment);
    const off: Record<string, Record<string, boolean>> = {
        "keel-route53-failover-health": { requireFailover: false },
        "keel-critical-alerts-page": { requirePaging: false },
        "keel-database-dumps": { required: false },
        "keel-database-backup-selection": { required: false },
        "keel-cost-alerts": { required: false },
        "keel-dr-readiness": { required: false },
        "keel-elasticache-dr-copy": { required: false },
        "keel-cloudfront": { required: false },
    };
    return { ...config, ...Object.fromEntries(Object.entries(off).map(([policy, settings]) => [policy, { ...(config[policy] as object | undefined), ...settings }])) };
}

const stackPlans = new Map<string, Promise<PlanRecord>>();

/**
 * Plans a stack's configuration once per test run: kept in memory for the process and on disk
 * for the others (tests/plan-cache.ts).
 */
export function planStackConfig(config: StackConfig): Promise<PlanRecord> {
    const key = JSON.stringify(config);
    let plan = stackPlans.get(key);
    if (plan === undefined) {
        // Frozen: test files share it within a worker, so none may change it for the others.
        plan = cachedPlan(projectRoot, config, () => planProgram(composeStack, config)).then(deepFreeze);
        stackPlans.set(key, plan);
    }
    return plan;
}

/** `npm run plan`'s planner (scripts/plan.ts) with the plans the test run shares. */
export const sharedPlanner = ({ stackConfig }: { readonly stackConfig: StackConfig }): Promise<PlanRecord> => planStackConfig(stackConfig);

function deepFreeze<T>(value: T): T {
    if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const inner of Object.values(value)) deepFreeze(inner);
    }
    return value;
}

/** Plans an environment's stack (with `--config`-style overrides) once per test run. */
export function planStack(stack: string, overrides: readonly string[] = []): Promise<PlanRecord> {
    return planStackConfig(loadStackConfig(projectRoot, stack, overrides));
}

/** Makes a plan before the tests of the suite it is called in; the returned function gives them that plan. */
export function plannedBeforeTests(plan: () => Promise<PlanRecord>): () => PlanRecord {
    let record: PlanRecord | undefined;
    before(async () => {
        record = await plan();
    });
    return () => {
        assert.ok(record, "the plan is made before the tests");
        return record;
    };
}

/** Plans a program that builds components directly, under a throwaway stack. */
export function planComponents(
    build: () => Record<string, unknown> | void,
    config: Record<string, string> = { "aws:region": "us-east-1" },
    stack = "test",
): Promise<PlanRecord> {
    return planProgram(async () => build() ?? {}, { project: "keel", stack, config });
}

/** The two regions' AWS providers, named as the stacks name them: `primary` in us-east-1, `dr` in us-west-2. */
export function twoRegions(): { primary: aws.Provider; dr: aws.Provider } {
    return {
        primary: new aws.Provider("primary", { region: "us-east-1" }),
        dr: new aws.Provider("dr", { region: "us-west-2" }),
    };
}

/** What a program that should be refused did: the error it threw (undefined if none), and what it registered anyway. */
export interface Refusal {
    readonly refusal: unknown;
    /** Every resource but the stack and the providers. */
    readonly registered: readonly PlanResource[];
}

/** Plans a program whose components are expected to refuse their arguments before registering anything. */
export async function planRefusal(build: () => void): Promise<Refusal> {
    let refusal: unknown;
    const record = await planComponents(() => {
        try {
            build();
        } catch (error) {
            refusal = error;
        }
    });
    return { refusal, registered: record.resources.filter((r) => !r.type.startsWith("pulumi:")) };
}

/** The `InvalidArgumentsError` a program's component refuses its arguments with, having checked that it registered nothing. */
export async function refusedArguments(build: () => void): Promise<InvalidArgumentsError> {
    const { refusal, registered } = await planRefusal(build);
    assert.ok(refusal instanceof InvalidArgumentsError, `expected InvalidArgumentsError, got ${String(refusal)}`);
    assert.deepEqual(registered, [], "a refused component registers nothing");
    return refusal;
}

/** A container of a planned pod: its name, image, command and environment (values or secret references). */
export interface PlannedContainer {
    readonly name: string;
    readonly image: string;
    readonly command: string[];
    readonly env: { readonly name: string; readonly value?: string; readonly valueFrom?: { readonly secretKeyRef: { readonly name: string; readonly key: string } } }[];
}

/**
 * The database dump job as planned: its CronJob spec, its containers in the order the pod runs
 * them (init containers first) and their plain environment values by name.
 */
export function plannedDumpJob(record: PlanRecord) {
    const cronJob = only(record, "kubernetes:batch/v1:CronJob", "database-dumps");
    const spec = object(cronJob.inputs.spec, "spec");
    const pod = object(object(object(object(spec.jobTemplate, "jobTemplate").spec, "spec").template, "template").spec, "pod");
    const steps = [...list(pod.initContainers, "initContainers"), ...list(pod.containers, "containers")] as PlannedContainer[];
    const env = Object.fromEntries(steps.flatMap((c) => c.env).map((e) => [e.name, e.value]));
    return { spec, steps, env };
}

/** A planned Prometheus rule: an alert (or a recording rule) as the PrometheusRule resources hold it. */
export interface PlannedRule {
    readonly alert?: string;
    readonly record?: string;
    readonly expr: string;
    readonly for?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
}

/** Every rule group Keel's PrometheusRule resources give the cluster's Prometheus. */
export function plannedRuleGroups(record: PlanRecord): { name: string; rules: PlannedRule[] }[] {
    return ofType(record, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")
        .flatMap((rule) => list(object(rule.inputs.spec, `${rule.name}.spec`).groups, `${rule.name}.groups`) as { name: string; rules: PlannedRule[] }[]);
}

/** The values of the monitoring stack's kube-prometheus-stack release. */
export function kubePrometheusStackValues(record: PlanRecord): Record<string, unknown> {
    return object(only(record, "kubernetes:helm.sh/v3:Release", "monitoring-kube-prometheus-stack").inputs.values, "kube-prometheus-stack values");
}

/** The scrape jobs the cluster's Prometheus is given (prometheusSpec.additionalScrapeConfigs). */
export function plannedScrapeJobs(record: PlanRecord): Record<string, unknown>[] {
    const spec = object(object(kubePrometheusStackValues(record).prometheus, "prometheus").prometheusSpec, "prometheusSpec");
    return list(spec.additionalScrapeConfigs, "additionalScrapeConfigs").map((job, i) => object(job, `scrape job ${i}`));
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

// ---- narrowing readers over a record's untyped inputs and outputs ----

export function text(value: unknown, what: string): string {
    if (typeof value !== "string") assert.fail(`${what}: expected a string, got ${JSON.stringify(value)}`);
    return value;
}

export function object(value: unknown, what: string): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) assert.fail(`${what}: expected an object, got ${JSON.stringify(value)}`);
    return value as Record<string, unknown>;
}

export function list(value: unknown, what: string): unknown[] {
    if (!Array.isArray(value)) assert.fail(`${what}: expected a list, got ${JSON.stringify(value)}`);
    return value;
}

export const texts = (value: unknown, what: string): string[] => list(value, what).map((v, i) => text(v, `${what}[${i}]`));
export const json = (value: unknown, what: string): Record<string, unknown> => object(JSON.parse(text(value, what)), what);

/** The id and state the offline plan gave a recorded resource (offline-plan/mocks.ts). */
export function mockOf(resource: PlanResource): { id: string; state: Record<string, unknown> } {
    return mockResource({ type: resource.type, name: resource.name, inputs: resource.inputs, region: text(resource.region, `${resource.name}.region`) });
}
export const idOf = (resource: PlanResource) => mockOf(resource).id;
export const arnOf = (resource: PlanResource) => text(mockOf(resource).state.arn, `${resource.name}.arn`);
