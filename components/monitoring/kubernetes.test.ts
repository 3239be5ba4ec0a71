import * as k8s from "@pulumi/kubernetes";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { refusedArguments } from "../../tests/plans";
import { KubernetesMonitoring } from "./kubernetes";
import { exampleSpec } from "./render/example-spec";

describe("KubernetesMonitoring refusals", () => {
    test("refuses a bad spec, simple scalable Loki without S3 and S3 without OIDC, all at once, registering nothing", async () => {
        const spec = exampleSpec();
        const logs = spec.logs;
        assert.ok(logs, "the example spec has logs");
        const attempt = (args: Partial<ConstructorParameters<typeof KubernetesMonitoring>[1]>) => refusedArguments(() => {
            const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
            new KubernetesMonitoring("monitoring", { spec, ...args }, { providers: { kubernetes: provider } });
        });

        const filesystem = await attempt({ spec: { ...spec, scrapeIntervalSeconds: 0, logs: { ...logs, storage: { kind: "filesystem" } } }, lokiMode: "simple-scalable" });
        assert.equal(filesystem.message, [
            "KubernetesMonitoring monitoring: invalid arguments:",
            "  - spec.scrapeIntervalSeconds: expected 1 to 300, got 0",
            "  - lokiMode: simple scalable Loki needs S3 log storage (spec.logs.storage)",
        ].join("\n"));

        const s3 = await attempt({ spec: { ...spec, logs: { ...logs, storage: { kind: "s3", bucket: "keel-logs", region: "us-east-1" } } } });
        assert.deepEqual(s3.problems, [{ path: ["oidc"], message: "S3 log storage needs the cluster's OIDC provider for Loki's IAM role" }]);
    });
});
