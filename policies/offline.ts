import { readFileSync } from "node:fs";
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
import type { PlanResource, PolicyViolation } from "../scripts/plan/record";

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

export interface PlanUnderReview {
    readonly resources: readonly PlanResource[];
}

/** Runs every policy over a plan and returns what they report, each with its enforcement level. */
export async function evaluatePolicies(plan: PlanUnderReview, policies: Policies, packConfig: PolicyPackConfig = {}): Promise<PolicyViolation[]> {
    const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
    const providerOf = (resource: PlanResource): PolicyProviderResource | undefined => {
        const provider = resource.provider === null ? undefined : byUrn.get(resource.provider);
        return provider && { type: provider.type, props: provider.inputs, urn: provider.urn, name: provider.name };
    };
    const stackTags: ReadonlyMap<string, string> = new Map();

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

    const violations: PolicyViolation[] = [];
    for (const policy of policies) {
        const { level: configured, settings } = policyConfig(policy, packConfig);
        if (configured === "disabled") continue;
        // As @pulumi/policy's analyzer does: a violation still standing at "remediate" (there is no
        // remediation offline, and stack policies cannot remediate) is reported as mandatory.
        const level = configured === "remediate" ? "mandatory" : configured;
        const report = (message: string, urn?: string) => violations.push({ policyName: policy.name, enforcementLevel: level, message, ...(urn ? { urn } : {}) });
        const getConfig = <T extends object>() => settings as T;
        const run = async (check: () => Promise<void> | void) => {
            try {
                await check();
            } catch (error) {
                if (!(error instanceof NotApplicable)) throw error;
            }
        };
        if ("validateStack" in policy) {
            const args: StackValidationArgs = { resources: [...policyResources.values()], stackTags, getConfig, notApplicable };
            await run(() => policy.validateStack(args, report));
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
                asType: (cls) => (isTypeOf(resource.type, cls as unknown as ResourceClass) ? (resource.inputs as never) : undefined),
                getConfig,
                notApplicable,
            };
            for (const validate of validations) {
                await run(() => validate(args, (message, urn) => report(message, urn ?? resource.urn)));
            }
        }
    }
    return violations;
}

/** The pack config for a stack: `policies/config/<stack>.json`, the file given to `--policy-pack-config`. */
export function loadPolicyPackConfig(stack: string): PolicyPackConfig {
    const file = join(__dirname, "config", `${stack}.json`);
    try {
        return JSON.parse(readFileSync(file, "utf8")) as PolicyPackConfig;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
        throw new Error(`cannot read policy pack config ${file}: ${(error as Error).message}`);
    }
}

export function mandatoryViolations(violations: readonly PolicyViolation[]): PolicyViolation[] {
    return violations.filter((v) => v.enforcementLevel === "mandatory");
}
