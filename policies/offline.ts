import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type {
    EnforcementLevel,
    Policies,
    Policy,
    PolicyPackConfig,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
} from "@pulumi/policy";
import type { PlanResource, PolicyViolation } from "../offline-plan/record";
import { calendarAsOf, calendarForPreview } from "./rules/change-calendar";

/**
 * The adapter that lets the very policy objects the Pulumi CLI runs judge an offline plan:
 * it builds `ResourceValidationArgs` / `StackValidationArgs` from the plan record and
 * applies the pack config (enforcement levels, per-policy settings with schema defaults).
 */

class NotApplicable extends Error {}
const notApplicable = (reason?: string): never => {
    throw new NotApplicable(reason ?? "policy does not apply");
};

type ResourceClass = { new (...rest: never[]): unknown; __pulumiType?: string; isInstance?: (o: unknown) => boolean };

/** The same test @pulumi/policy's server applies: the class's registered type token. */
function isTypeOf(type: string, resourceClass: ResourceClass): boolean {
    if (typeof resourceClass.__pulumiType === "string") return resourceClass.__pulumiType === type;
    return resourceClass.isInstance?.({ __pulumiType: type }) === true;
}

function options(resource: PlanResource): PolicyResourceOptions {
    return {
        protect: resource.protect,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(resource.parent !== null ? { parent: resource.parent } : {}),
    };
}

function policyConfig(policy: Policy, packConfig: PolicyPackConfig): { level: EnforcementLevel; settings: Record<string, unknown> } {
    const defaults = Object.fromEntries(
        Object.entries(policy.configSchema?.properties ?? {})
            .filter(([, schema]) => schema.default !== undefined)
            .map(([key, schema]) => [key, schema.default]),
    );
    const given = packConfig[policy.name];
    if (typeof given === "string") return { level: given, settings: defaults };
    const { enforcementLevel, ...settings } = given ?? {};
    return { level: enforcementLevel ?? policy.enforcementLevel ?? "advisory", settings: { ...defaults, ...settings } };
}

/** A policy that threw: named with the resource it was judging, so the report says where. */
export class PolicyFailure extends Error {
    constructor(policyName: string, urn: string | undefined, cause: unknown) {
        super(`policy ${policyName} failed${urn === undefined ? "" : ` on ${urn}`}: ${failureReason(cause)}`, { cause });
        this.name = "PolicyFailure";
    }
}

function failureReason(cause: unknown): string {
    if (cause instanceof RangeError && /call stack/i.test(cause.message)) return "a value nests too deeply to judge";
    return cause instanceof Error ? cause.message : String(cause);
}

/** Runs one check: undefined when it finished synchronously, else the promise of its end. */
function settle(policyName: string, urn: string | undefined, check: () => Promise<void> | void): Promise<void> | undefined {
    try {
        const result = check();
        return result instanceof Promise ? result.catch((error: unknown) => failUnlessNotApplicable(policyName, urn, error)) : undefined;
    } catch (error) {
        failUnlessNotApplicable(policyName, urn, error);
        return undefined;
    }
}

function failUnlessNotApplicable(policyName: string, urn: string | undefined, error: unknown): void {
    if (!(error instanceof NotApplicable)) throw new PolicyFailure(policyName, urn, error);
}

export interface PlanUnderReview {
    readonly resources: readonly PlanResource[];
}

/** The plan's records as @pulumi/policy presents resources: props, provider, parent and dependencies linked. */
export function policyResourcesOf(plan: PlanUnderReview): PolicyResource[] {
    const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
    const providerOf = (resource: PlanResource): PolicyProviderResource | undefined => {
        const provider = resource.provider === null ? undefined : byUrn.get(resource.provider);
        return provider && { type: provider.type, props: provider.inputs, urn: provider.urn, name: provider.name };
    };
    const policyResources = new Map<string, PolicyResource>();
    for (const resource of plan.resources) {
        policyResources.set(resource.urn, {
            type: resource.type,
            props: resource.inputs,
            urn: resource.urn,
            name: resource.name,
            opts: options(resource),
            provider: providerOf(resource),
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => isTypeOf(resource.type, cls as unknown as ResourceClass),
            asType: (cls) => (isTypeOf(resource.type, cls as unknown as ResourceClass) ? (resource.inputs as never) : undefined),
        });
    }
    for (const resource of plan.resources) {
        const policyResource = policyResources.get(resource.urn)!;
        policyResource.parent = resource.parent === null ? undefined : policyResources.get(resource.parent);
        policyResource.dependencies = resource.dependencies.flatMap((urn) => policyResources.get(urn) ?? []);
    }

    return [...policyResources.values()];
}

/** Runs every policy over a plan and returns what they report, each with its enforcement level. */
export async function evaluatePolicies(plan: PlanUnderReview, policies: Policies, packConfig: PolicyPackConfig = {}): Promise<PolicyViolation[]> {
    const resources = policyResourcesOf(plan);
    const policyResources = new Map(resources.map((r) => [r.urn, r]));
    const stackTags: ReadonlyMap<string, string> = new Map();
    const violations: PolicyViolation[] = [];
    for (const policy of policies) {
        const { level: configured, settings } = policyConfig(policy, packConfig);
        if (configured === "disabled") continue;
        // As @pulumi/policy's analyzer does: a violation still standing at "remediate" (there is no
        // remediation offline, and stack policies cannot remediate) is reported as mandatory.
        const level = configured === "remediate" ? "mandatory" : configured;
        const report = (message: string, urn?: string) => violations.push({ policyName: policy.name, enforcementLevel: level, message, ...(urn ? { urn } : {}) });
        const getConfig = <T extends object>() => settings as T;
        if ("validateStack" in policy) {
            const args: StackValidationArgs = { resources, stackTags, getConfig, notApplicable };
            await settle(policy.name, undefined, () => policy.validateStack(args, report));
            continue;
        }
        const validations = policy.validateResource === undefined ? [] : [policy.validateResource].flat();
        for (const resource of plan.resources) {
            const policyResource = policyResources.get(resource.urn)!;
            const args: ResourceValidationArgs = {
                type: resource.type,
                props: resource.inputs,
                urn: resource.urn,
                name: resource.name,
                opts: policyResource.opts,
                provider: policyResource.provider,
                stackTags,
                isType: policyResource.isType,
                asType: policyResource.asType as unknown as ResourceValidationArgs["asType"],
                getConfig,
                notApplicable,
            };
            for (const validate of validations) {
                // Most validations are synchronous: awaiting only promises keeps a 50,000-resource
                // plan from queueing millions of microtasks.
                const pending = settle(policy.name, resource.urn, () => validate(args, (message, urn) => report(message, urn ?? resource.urn)));
                if (pending !== undefined) await pending;
            }
        }
    }
    return violations;
}

/** Input the runner refuses (an unknown stack, a malformed plan document): exit 2 with the message. */
export class RefusedInput extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RefusedInput";
    }
}

const configDirectory = join(__dirname, "config");

/** Pulumi's stack-name characters, not starting with a dot: nothing that can name another directory. */
const plainStackName = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;

/** The stacks the pack knows: one `policies/config/<stack>.json` each. */
export function knownStacks(directory = configDirectory): string[] {
    return readdirSync(directory)
        .flatMap((file) => /^(.+)\.json$/.exec(file)?.[1] ?? [])
        .filter((stack) => plainStackName.test(stack))
        .sort();
}

/** The stack itself, when it is a plain name with a pack config; otherwise refuses it, listing the known ones. */
export function knownStack(stack: string, directory = configDirectory): string {
    const known = knownStacks(directory);
    const choices = `known stacks: ${known.join(", ")}`;
    if (!plainStackName.test(stack)) throw new RefusedInput(`stack ${quoted(stack)} is not a plain stack name (letters, digits, "-", "_", "."); ${choices}`);
    // Compared by name, not by asking the file system, which may ignore case.
    if (!known.includes(stack)) throw new RefusedInput(`no stack ${quoted(stack)}: there is no policies/config/${stack}.json (${choices})`);
    return stack;
}

/** The pack config for a known stack: `policies/config/<stack>.json`, the file given to `--policy-pack-config`. */
export function loadPolicyPackConfig(stack: string): PolicyPackConfig {
    const file = join(configDirectory, `${knownStack(stack)}.json`);
    let config: unknown;
    try {
        config = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
        throw new Error(`cannot read policy pack config ${file}: ${(error as Error).message}`);
    }
    if (!isRecord(config)) throw new Error(`policy pack config ${file} is ${kindOf(config)}, not an object`);
    return config as PolicyPackConfig;
}

/**
 * The pack config `npm run plan` and `npm run policy` judge with: the stack's, the change
 * calendar (freezes and windows) judged at `asOf` (an ISO 8601 date, default now) and, as a
 * preview, only reported unless enforced.
 */
export function runnerPackConfig(stack: string, asOf: string | undefined, enforceFreeze: boolean): PolicyPackConfig {
    const packConfig = loadPolicyPackConfig(stack);
    try {
        return calendarForPreview(calendarAsOf(packConfig, asOf), enforceFreeze);
    } catch (error) {
        throw new RefusedInput((error as Error).message);
    }
}

export function mandatoryViolations(violations: readonly PolicyViolation[]): PolicyViolation[] {
    return violations.filter((v) => v.enforcementLevel === "mandatory");
}

// ---- plan documents given to the runner (`npm run policy -- PLAN.json`) ----

/**
 * Bounds no real plan comes near (production nests inputs 14 deep, its longest string is a 10 kB
 * dashboard, its deepest bracket nesting in a string is 8). 1 MiB is the most Kubernetes stores in
 * one object and far above AWS's limits for user data (16 kB) and policies (≤ 32 kB).
 */
export const planDocumentLimits = { depth: 64, stringLength: 1_048_576, bracketDepth: 64 } as const;

export interface PlanDocumentUnderReview extends PlanUnderReview {
    readonly stack: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "a list";
    return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** A string from the document, safe to print: quoted, and cut when huge. */
function quoted(text: string): string {
    return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

interface FieldCheck {
    readonly accepts: (value: unknown) => boolean;
    readonly expected: string;
}

const nonEmptyText: FieldCheck = { accepts: (v) => typeof v === "string" && v.length > 0, expected: "a non-empty string" };
const textOrNull: FieldCheck = { accepts: (v) => v === null || typeof v === "string", expected: "a string or null" };
const flag: FieldCheck = { accepts: (v) => typeof v === "boolean", expected: "true or false" };

/** Every field of a plan record (offline-plan/record.ts), as `npm run plan -- <stack> --json` writes it. */
const resourceFields: readonly (readonly [keyof PlanResource, FieldCheck])[] = [
    ["urn", nonEmptyText],
    ["type", nonEmptyText],
    ["name", nonEmptyText],
    ["parent", textOrNull],
    ["provider", textOrNull],
    ["region", textOrNull],
    ["custom", flag],
    ["inputs", { accepts: isRecord, expected: "an object" }],
    ["protect", flag],
    ["retainOnDelete", flag],
    ["dependencies", { accepts: Array.isArray, expected: "a list of URNs" }],
];

/** How a resource is named in a refusal: its index, and its URN or type when it has one. */
function resourceLabel(resource: unknown, index: number): string {
    const at = `resources[${index}]`;
    if (!isRecord(resource)) return at;
    if (typeof resource.urn === "string" && resource.urn !== "") return `${at} (${quoted(resource.urn)})`;
    if (typeof resource.type === "string" && resource.type !== "") return `${at} (type ${quoted(resource.type)})`;
    return at;
}

function fieldProblem(resource: Record<string, unknown>): string | undefined {
    for (const [field, check] of resourceFields) {
        if (!(field in resource)) return `has no "${field}" (expected ${check.expected})`;
        if (!check.accepts(resource[field])) return `"${field}" is ${kindOf(resource[field])}, expected ${check.expected}`;
    }
    const dependencies = resource.dependencies as unknown[];
    const notUrn = dependencies.findIndex((d) => typeof d !== "string" || d === "");
    return notUrn === -1 ? undefined : `"dependencies[${notUrn}]" is ${kindOf(dependencies[notUrn])}, expected a URN`;
}

/** The deepest nesting of `[`/`{` in a string: what a JSON or YAML parser in a rule would recurse into. */
function bracketDepth(text: string): number {
    let depth = 0;
    let deepest = 0;
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
        else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
    }
    return deepest;
}

interface Visit {
    readonly value: unknown;
    readonly depth: number;
    readonly key: string;
    readonly up: Visit | undefined;
}

/** `inputs.values.image`, cut in the middle when it is long (a path 10,000 levels deep). */
function pathOf(visit: Visit): string {
    const keys: string[] = [];
    for (let v: Visit | undefined = visit; v !== undefined; v = v.up) keys.push(v.key);
    keys.reverse();
    if (keys[0] === "") keys.shift();
    const shown = keys.length > 8 ? [...keys.slice(0, 4), "…", ...keys.slice(-2)] : keys;
    return shown.map((k, i) => (/^\[\d+\]$/.test(k) || k === "…" ? k : /^[A-Za-z_$][\w$-]*$/.test(k) ? `${i === 0 ? "" : "."}${k}` : `[${quoted(k)}]`)).join("");
}

function stringProblem(text: string, at: Visit): string | undefined {
    const { stringLength, bracketDepth: brackets } = planDocumentLimits;
    if (text.length > stringLength) return `${pathOf(at)} is a string of ${text.length} characters; no plan value is longer than ${stringLength}`;
    if (text.length > brackets && bracketDepth(text) > brackets) return `${pathOf(at)} is a string nesting brackets more than ${brackets} deep; no plan value does`;
    return undefined;
}

/** Walks a value without recursion (a hostile document may nest 100,000 deep) for what no real plan has. */
function valueProblem(root: unknown, rootKey: string): string | undefined {
    const pending: Visit[] = [{ value: root, depth: 0, key: rootKey, up: undefined }];
    for (let visit = pending.pop(); visit !== undefined; visit = pending.pop()) {
        const { value, depth } = visit;
        if (typeof value === "string") {
            const problem = stringProblem(value, visit);
            if (problem !== undefined) return problem;
        }
        if (typeof value !== "object" || value === null) continue;
        if (depth >= planDocumentLimits.depth) return `${pathOf(visit)} nests deeper than ${planDocumentLimits.depth} levels; no plan does`;
        const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v]) : Object.entries(value);
        for (const [key, child] of entries) {
            const at = { value: child, depth: depth + 1, key, up: visit };
            if (key.length > planDocumentLimits.stringLength) return `${pathOf(visit)} has a key of ${key.length} characters; no plan has one longer than ${planDocumentLimits.stringLength}`;
            pending.push(at);
        }
    }
    return undefined;
}

/** References to other resources must resolve, as in every plan the engine records: a dropped provider would hide its region. */
function referenceProblem(resource: PlanResource, urns: ReadonlyMap<string, number>): string | undefined {
    const references: [string, string | null][] = [
        ["parent", resource.parent],
        ["provider", resource.provider],
        ...resource.dependencies.map((urn, i): [string, string] => [`dependencies[${i}]`, urn]),
    ];
    const dangling = references.find(([, urn]) => urn !== null && !urns.has(urn));
    return dangling && `"${dangling[0]}" names ${quoted(dangling[1] ?? "")}, which is not a resource of the plan`;
}

function resourceProblems(resources: readonly unknown[]): string | undefined {
    for (const [index, resource] of resources.entries()) {
        const problem = isRecord(resource) ? (fieldProblem(resource) ?? valueProblem(resource, "")) : `is ${kindOf(resource)}, expected a resource object`;
        if (problem !== undefined) return `${resourceLabel(resource, index)}: ${problem}`;
    }
    const records = resources as readonly PlanResource[];
    const urns = new Map<string, number>();
    for (const [index, resource] of records.entries()) {
        const first = urns.get(resource.urn);
        if (first !== undefined) return `${resourceLabel(resource, index)}: has the URN of resources[${first}]; every resource's URN is unique`;
        urns.set(resource.urn, index);
    }
    for (const [index, resource] of records.entries()) {
        const problem = referenceProblem(resource, urns);
        if (problem !== undefined) return `${resourceLabel(resource, index)}: ${problem}`;
    }
    return undefined;
}

/**
 * Checks a parsed plan document (`npm run plan -- <stack> --json FILE`) before any policy sees it:
 * refuses, naming the resource and what is wrong, whatever would make a rule throw or never finish.
 */
export function checkPlanDocument(document: unknown): PlanDocumentUnderReview {
    if (!isRecord(document)) throw new RefusedInput(`not a Keel plan document: it is ${kindOf(document)}, expected an object with "stack" and "resources"`);
    if (typeof document.stack !== "string") throw new RefusedInput(`not a Keel plan document: "stack" is ${"stack" in document ? kindOf(document.stack) : "missing"}, expected the stack's name`);
    if (!plainStackName.test(document.stack)) throw new RefusedInput(`not a Keel plan document: "stack" is ${quoted(document.stack)}, not a plain stack name`);
    if (!Array.isArray(document.resources)) throw new RefusedInput(`not a Keel plan document: "resources" is ${"resources" in document ? kindOf(document.resources) : "missing"}, expected a list of resources`);
    if (document.resources.length === 0) throw new RefusedInput(`not a Keel plan document: "resources" is empty; every plan has at least its stack resource`);
    const problem = resourceProblems(document.resources);
    if (problem !== undefined) throw new RefusedInput(problem);
    return { stack: document.stack, resources: document.resources as PlanResource[] };
}
