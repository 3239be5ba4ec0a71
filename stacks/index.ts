import * as pulumi from "@pulumi/pulumi";
import { resolveKeelConfig, type KeelConfig } from "./config";
import type { Environment } from "./environments";
import dev from "./dev";
import local from "./local";
import production from "./production";
import staging from "./staging";

const stackPrograms: Record<Environment, (config: KeelConfig) => Record<string, unknown>> = { local, dev, staging, production };

/** The Pulumi program: validates the stack's config, then composes its environment. */
export async function composeStack(): Promise<Record<string, unknown>> {
    const config = resolveKeelConfig(pulumi.runtime.allConfig(), pulumi.getStack());
    return stackPrograms[config.environment](config);
}
