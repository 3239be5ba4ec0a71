/**
 * What may appear at the top of a stack's configuration, and how a refused configuration is
 * reported. Kept free of the Pulumi SDKs: the stack-file reader needs it before any is loaded.
 */

/**
 * The configuration namespaces Keel's program reads. Pulumi hands every key of a stack file
 * to the program, so a misspelt namespace (`kee:compute`) would otherwise be silently ignored
 * and the environment's defaults used instead.
 */
export const configNamespaces = {
    keel: "Keel's own keys (stacks/config.ts)",
    aws: "the AWS provider's settings",
    alertmanager: "Alertmanager's credentials and heartbeat URL (secret config, stacks/kubernetes.ts)",
    alerting: "PagerDuty's CloudWatch integration URL (secret config, stacks/alerting.ts)",
    kubernetes: "an existing cluster's kubeconfig (kubernetes:existingKubeconfig) and the Kubernetes provider's settings",
    docker: "the Docker provider's settings (docker:host) for the local stack",
    pulumi: "Pulumi's own settings (pulumi:disable-default-providers)",
} as const;

export type ConfigNamespace = keyof typeof configNamespaces;

const namespaceList = Object.keys(configNamespaces).join(", ");

/** What is wrong with a full config key (`namespace:name`), or undefined when Keel reads its namespace. */
export function namespaceProblem(fullKey: string): string | undefined {
    const colon = fullKey.indexOf(":");
    if (colon <= 0) return `expected namespace:key, such as keel:${fullKey}, got no namespace`;
    const namespace = fullKey.slice(0, colon);
    return namespace in configNamespaces ? undefined : `expected a namespace Keel reads (${namespaceList}), got "${namespace}"`;
}

/** A refused configuration: every problem found, each naming the key, what is expected and what was given. */
export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid Keel configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}
