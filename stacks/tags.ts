import type { KeelConfig } from "./config";

/** The tags every taggable resource carries (DESIGN.md): environment, service, owner, managed-by. */
export function standardTags(config: KeelConfig): Record<string, string> {
    return { ...config.tags, environment: config.environment, "managed-by": "pulumi" };
}
