import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { found, planOf, resource, runPolicy } from "../testing";
import { noPlaintextSecrets, plaintextCredentials } from "./secrets";

describe("keel-no-plaintext-secrets", () => {
    test("passes credentials recorded as secrets, references to secrets and non-credential inputs", async () => {
        const plan = planOf([
            resource("aws:rds/instance:Instance", { password: "[secret]", masterUserSecretKmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/k", manageMasterUserPassword: false }, { name: "db" }),
            resource("aws:secretsmanager/secretVersion:SecretVersion", { secretId: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db", secretString: "[secret]" }, { name: "db" }),
            resource("docker:index/container:Container", { envs: ["POSTGRES_USER=keel", "POSTGRES_PASSWORD_FILE=/run/keel/password", "[secret]"] }, { name: "postgres" }),
            resource("kubernetes:core/v1:Secret", { stringData: { password: "from-secret-config" } }, { name: "k8s-secret" }),
            resource("aws:ssm/parameter:Parameter", { name: "/keel/token-path", type: "SecureString", value: "[secret]" }, { name: "param" }),
        ]);
        assert.deepEqual(await runPolicy(noPlaintextSecrets, plan), []);
    });

    test("refuses plain-text passwords, tokens, webhook URLs and credential environment variables", async () => {
        const plan = planOf([
            resource("aws:rds/instance:Instance", { password: "hunter22" }, { name: "db" }),
            resource("aws:secretsmanager/secretVersion:SecretVersion", { secretString: "{\"password\":\"x\"}" }, { name: "version" }),
            resource("docker:index/container:Container", { envs: ["POSTGRES_PASSWORD=hunter22", "API_TOKEN=abc"] }, { name: "app" }),
            resource("kubernetes:helm.sh/v3:Release", { values: { alertmanager: { slack: { webhookUrl: "https://hooks.slack.com/services/T/B/X" } } } }, { name: "release" }),
        ]);
        assert.deepEqual(await found(noPlaintextSecrets, plan), [
            'aws:rds/instance:Instance "db" holds a credential in plain text at password: make it a Pulumi secret (random.RandomPassword, Secrets Manager or secret config)',
            'aws:secretsmanager/secretVersion:SecretVersion "version" holds a credential in plain text at secretString: make it a Pulumi secret (random.RandomPassword, Secrets Manager or secret config)',
            'docker:index/container:Container "app" holds a credential in plain text at envs.0 (POSTGRES_PASSWORD): make it a Pulumi secret (random.RandomPassword, Secrets Manager or secret config)',
            'docker:index/container:Container "app" holds a credential in plain text at envs.1 (API_TOKEN): make it a Pulumi secret (random.RandomPassword, Secrets Manager or secret config)',
            'kubernetes:helm.sh/v3:Release "release" holds a credential in plain text at values.alertmanager.slack.webhookUrl: make it a Pulumi secret (random.RandomPassword, Secrets Manager or secret config)',
        ]);
    });

    test("reads names, not references: ARNs, ids, files and flags are not credentials", () => {
        assert.deepEqual(plaintextCredentials({ secretArn: "arn:...", passwordFile: "/run/p", kmsKeyId: "k", manageMasterUserPassword: true, tokenTtl: "1h" }), []);
        assert.deepEqual(plaintextCredentials({ grafana: { admin: { existingSecret: "grafana-admin" } }, tls: { secretName: "tls" } }), []);
        assert.deepEqual(plaintextCredentials({ nested: [{ apiKey: "k" }] }), ["nested.0.apiKey"]);
    });
});
