import { existsSync } from "node:fs";
import { join } from "node:path";
import { knownStack, RefusedInput } from "../../policies/offline";
import { ConfigError, resolveKeelConfig, type KeelConfig } from "../../stacks/config";
import type { PlanRecord } from "../../offline-plan/engine";
import { loadStackConfig, type StackConfig } from "../../offline-plan/stack-config";

/** A stack's configuration as the plan runs it, refused as a user's mistake when it is not one Keel accepts. */
export interface ConfiguredStack {
    readonly stackConfig: StackConfig;
    readonly config: KeelConfig;
}

/** A stack the project has (`Pulumi.<stack>.yaml`) and the policy pack knows (`policies/config/<stack>.json`). */
export function projectStack(projectRoot: string, stack: string): string {
    knownStack(stack);
    if (!existsSync(join(projectRoot, `Pulumi.${stack}.yaml`))) throw new RefusedInput(`no stack "${stack}": there is no Pulumi.${stack}.yaml`);
    return stack;
}

/** The stack file with `--config` overrides; whatever stops it from loading is the user's to fix (a YAML error, a malformed override). */
function stackConfigOf(projectRoot: string, stack: string, overrides: readonly string[]): StackConfig {
    try {
        return loadStackConfig(projectRoot, stack, overrides);
    } catch (error) {
        throw new RefusedInput((error as Error).message);
    }
}

/** `Pulumi.<stack>.yaml` with `--config` overrides, resolved and checked before any resource is registered. */
export function configuredStack(projectRoot: string, stack: string, overrides: readonly string[]): ConfiguredStack {
    const stackConfig = stackConfigOf(projectRoot, projectStack(projectRoot, stack), overrides);
    try {
        return { stackConfig, config: resolveKeelConfig(stackConfig.config, stack) };
    } catch (error) {
        throw error instanceof ConfigError ? new RefusedInput(error.message) : error;
    }
}

/** The offline plan of a configured stack (the Pulumi program under the SDK's mock runtime). */
export async function planStackRecord({ stackConfig }: ConfiguredStack): Promise<PlanRecord> {
    // The Pulumi SDK takes a stack trace for every resource (its source position); mapping each
    // one through tsx's source maps costs a tenth of a production plan. Error stacks then point
    // into the transpiled code.
    process.setSourceMapsEnabled(false);
    // The SDKs load here, when a plan is made: a refusal or --help answers without them.
    const [{ planProgram }, { composeStack }] = await Promise.all([import("../../offline-plan/engine"), import("../../stacks")]);
    return planProgram(composeStack, { ...stackConfig, stackTraces: process.env.KEEL_DEBUG === "1" });
}

/** Configures and plans a stack with `--config`-style overrides. */
export async function planConfiguredStack(projectRoot: string, stack: string, overrides: readonly string[]): Promise<ConfiguredStack & { readonly record: PlanRecord }> {
    const configured = configuredStack(projectRoot, stack, overrides);
    return { ...configured, record: await planStackRecord(configured) };
}
