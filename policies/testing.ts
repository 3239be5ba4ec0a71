import type { Policy, PolicyPackConfig } from "@pulumi/policy";
import type { PlanResource, PolicyViolation } from "../offline-plan/record";
import { evaluatePolicies, loadPolicyPackConfig } from "./offline";

/**
 * Test helpers for the policy pack, in the spirit of pulumi-policy-aws's
 * `createResourceValidationArgs`: build the plan records `npm run plan` would write and run
 * policies over them through the very adapter the plan uses (policies/offline.ts).
 */

export const testStack = "test";
export const testProject = "keel";
export const stackUrn = `urn:pulumi:${testStack}::${testProject}::pulumi:pulumi:Stack::${testProject}-${testStack}`;
export const awsProviderType = "pulumi:providers:aws";

export interface ProviderOptions {
    readonly name?: string;
    readonly region?: string;
    /** The provider's `defaultTags.tags`. */
    readonly defaultTags?: Readonly<Record<string, string>>;
    /**
     * How the record holds `defaultTags`: "json" (default) as the Node SDK sends provider inputs,
     * a JSON string `{"tags":{...}}`; "object" as a plain object.
     */
    readonly defaultTagsAs?: "json" | "object";
    readonly type?: string;
}

export interface ResourceOptions {
    readonly name?: string;
    readonly protect?: boolean;
    readonly retainOnDelete?: boolean;
    /** A new provider record made from these options, or an existing one. */
    readonly provider?: ProviderOptions | PlanResource;
    /** Parent record or URN; the stack by default. */
    readonly parent?: PlanResource | string;
    readonly dependsOn?: readonly (PlanResource | string)[];
    /** Defaults to every type but components (`keel:*`) and the stack. */
    readonly custom?: boolean;
}

/** A resource record plus the provider record it references, if one was made for it. */
export interface Fixture {
    readonly resource: PlanResource;
    readonly provider?: PlanResource;
    /** Every record the fixture adds to a plan: the provider first. */
    readonly records: readonly PlanResource[];
}

export type PlanInput = PlanResource | Fixture;

const urnOf = (reference: PlanResource | string): string => (typeof reference === "string" ? reference : reference.urn);

function isPlanResource(value: ProviderOptions | PlanResource): value is PlanResource {
    return "urn" in value;
}

/** The URN Pulumi gives a resource: the parent's type chain, without the stack, before its own type. */
export function urn(type: string, name: string, parent: string = stackUrn): string {
    const parentType = parent.split("::")[2];
    const qualifiedType = parentType === undefined || parentType === "pulumi:pulumi:Stack" ? type : `${parentType}$${type}`;
    return `urn:pulumi:${testStack}::${testProject}::${qualifiedType}::${name}`;
}

/** An AWS provider record, `defaultTags` recorded as the SDK does (a JSON string) unless told otherwise. */
export function provider(options: ProviderOptions = {}): PlanResource {
    const type = options.type ?? awsProviderType;
    const name = options.name ?? (options.region === undefined ? "aws" : `aws-${options.region}`);
    const inputs: Record<string, unknown> = {};
    if (options.region !== undefined) inputs.region = options.region;
    if (options.defaultTags !== undefined) {
        const defaultTags = { tags: { ...options.defaultTags } };
        inputs.defaultTags = options.defaultTagsAs === "object" ? defaultTags : JSON.stringify(defaultTags);
    }
    return {
        urn: urn(type, name),
        type,
        name,
        parent: stackUrn,
        provider: null,
        region: type === awsProviderType ? (options.region ?? null) : null,
        custom: true,
        inputs,
        protect: false,
        retainOnDelete: false,
        dependencies: [],
    };
}

/** AWS providers of the two regions Keel runs in, the primary (us-east-1) and the DR region (us-west-2). */
export const east = provider({ name: "east", region: "us-east-1" });
export const west = provider({ name: "west", region: "us-west-2" });

/** The production and staging policy pack configs (policies/config/<stack>.json), as the stacks' policies run under. */
export const production = loadPolicyPackConfig("production");
export const staging = loadPolicyPackConfig("staging");

/** A resource record of `type` with `inputs`, and the provider record made for it. */
export function resource(type: string, inputs: Record<string, unknown> = {}, options: ResourceOptions = {}): Fixture {
    const providerRecord = options.provider === undefined ? undefined : isPlanResource(options.provider) ? options.provider : provider(options.provider);
    const name = options.name ?? type.slice(type.lastIndexOf(":") + 1).toLowerCase();
    const parent = options.parent === undefined ? stackUrn : urnOf(options.parent);
    const ownRegion = typeof inputs.region === "string" ? inputs.region : null;
    const providerRegion = typeof providerRecord?.inputs.region === "string" ? providerRecord.inputs.region : null;
    const record: PlanResource = {
        urn: urn(type, name, parent),
        type,
        name,
        parent,
        provider: providerRecord?.urn ?? null,
        region: type.startsWith("aws:") ? (ownRegion ?? providerRegion) : null,
        custom: options.custom ?? !(type.startsWith("keel:") || type === "pulumi:pulumi:Stack"),
        inputs,
        protect: options.protect ?? false,
        retainOnDelete: options.retainOnDelete ?? false,
        dependencies: (options.dependsOn ?? []).map(urnOf),
    };
    return providerRecord === undefined ? { resource: record, records: [record] } : { resource: record, provider: providerRecord, records: [providerRecord, record] };
}

/** The plan records of fixtures and records, each URN once (a shared provider is listed once). */
export function planOf(inputs: readonly PlanInput[]): PlanResource[] {
    const byUrn = new Map<string, PlanResource>();
    for (const input of inputs) {
        for (const record of "records" in input ? input.records : [input]) {
            if (!byUrn.has(record.urn)) byUrn.set(record.urn, record);
        }
    }
    return [...byUrn.values()];
}

/** Runs one policy over the records, as `npm run plan` does, and returns its violations. */
export function runPolicy(policy: Policy, resources: readonly PlanInput[], packConfig: PolicyPackConfig = {}): Promise<PolicyViolation[]> {
    return evaluatePolicies({ resources: planOf(resources) }, [policy], packConfig);
}

/** The messages of the violations, for compact assertions. */
export function messages(violations: readonly PolicyViolation[]): string[] {
    return violations.map((v) => v.message);
}

/** The messages of one policy's violations over the records: what most rule tests assert. */
export async function found(policy: Policy, resources: readonly PlanInput[], packConfig: PolicyPackConfig = {}): Promise<string[]> {
    return messages(await runPolicy(policy, resources, packConfig));
}
