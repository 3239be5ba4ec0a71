import { resourcePolicy } from "./policy";

/**
 * No credential in plain text. An input whose name says it holds a credential must be a
 * Pulumi secret — recorded as "[secret]" by the offline plan — or, under the Pulumi engine
 * (which hands policies secret values decrypted), flow from a secret source: a generated
 * password or a Secrets Manager secret. Kubernetes Secrets are exempt: their data is what
 * they are for, and the Kubernetes provider keeps it secret.
 */

/** Input names (the last path segment) that hold credentials. References (…Arn, …Id, …File) do not match. */
export const credentialName = /(password|passwd|passphrase|secret|secretstring|token|apikey|api_key|privatekey|private_key|routingkey|routing_key|webhookurl|webhook_url)$/i;
/** Names that point at a credential kept elsewhere (a Kubernetes Secret's name): `existingSecret`, `secretName`. */
const referenceName = /^(existing[A-Z_]|secretName$|secretRef$)/;
/** Environment variables (`NAME=value`) that hold credentials; `*_FILE` variables name files instead. */
const credentialVariable = /^[A-Z0-9_]*(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY)$/;
const masked = new Set(["[secret]", "[unknown]"]);
/** Resources whose outputs are secret values: generated passwords, a secret's version. */
export const secretValueSources = ["random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString", "aws:secretsmanager/secretVersion:SecretVersion"];
/** Those, and a Secrets Manager secret, whose outputs name where a credential is kept. */
const secretSources = [...secretValueSources, "aws:secretsmanager/secret:Secret"];

/** Whether a resource's `property` draws on a resource of one of `types` (the engine records such property dependencies). */
export function drawsOn(resource: object, property: string, types: readonly string[]): boolean {
    const dependencies = (resource as { readonly propertyDependencies?: Record<string, readonly { readonly type: string }[]> }).propertyDependencies;
    return (dependencies?.[property] ?? []).some((source) => types.includes(source.type));
}
const exemptTypes = ["kubernetes:core/v1:Secret", "pulumi:providers:"];

/** Paths of plain-text credentials in a value. */
export function plaintextCredentials(value: unknown, path: string[] = []): string[] {
    if (Array.isArray(value)) {
        return value.flatMap((v, i) => {
            if (typeof v === "string" && v.includes("=")) {
                const [name, ...rest] = v.split("=");
                if (credentialVariable.test(name) && rest.join("=") !== "" && !masked.has(v)) return [`${[...path, String(i)].join(".")} (${name})`];
            }
            return plaintextCredentials(v, [...path, String(i)]);
        });
    }
    if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => plaintextCredentials(v, [...path, k]));
    const key = path[path.length - 1] ?? "";
    return typeof value === "string" && value !== "" && !masked.has(value) && credentialName.test(key) && !referenceName.test(key) ? [path.join(".")] : [];
}

export const noPlaintextSecrets = resourcePolicy({
    name: "keel-no-plaintext-secrets",
    description: "Inputs that hold credentials (passwords, tokens, keys, webhook URLs) are Pulumi secrets from random passwords, Secrets Manager or secret config — never plain text.",
    types: (type) => !exemptTypes.some((t) => type.startsWith(t)),
    check: function* (resource) {
        for (const path of plaintextCredentials(resource.props)) {
            const top = path.split(".")[0];
            if (!drawsOn(resource, top, secretSources)) yield `${resource.type} "${resource.name}" holds a credential in plain text at ${path}: make it a Pulumi secret (random.RandomPassword, Secrets Manager or secret config)`;
        }
    },
});

export const secretPolicies = [noPlaintextSecrets];
