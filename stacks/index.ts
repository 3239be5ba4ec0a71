import * as pulumi from "@pulumi/pulumi";
import { awsEnvironment } from "./aws";
import { resolveKeelConfig } from "./config";
import { switchesOf } from "./environments";
import local from "./local";

/**
 * The Pulumi program: validates the stack's config, then composes its environment — one
 * composition per platform (a laptop's Docker, or AWS), never per environment name: an
 * environment differs only by its entry in stacks/environments.ts and its configuration.
 */
export async function composeStack(): Promise<Record<string, unknown>> {
    const config = resolveKeelConfig(pulumi.runtime.allConfig(), pulumi.getStack());
    return switchesOf(config).platform === "docker" ? local(config) : awsEnvironment(config);
}
