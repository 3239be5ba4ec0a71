import * as k8s from "@pulumi/kubernetes";
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import { childrenOf, list, object, only, planComponents, planRefusal, refusedArguments } from "../../tests/plans";
import { autoscalingProblems, guideAutoscaling, KubeService, type KubeServiceArgs } from "./service";

const image = `registry.example.com:5000/keel/app@sha256:${"a".repeat(64)}`;
const types = {
    deployment: "kubernetes:apps/v1:Deployment",
    service: "kubernetes:core/v1:Service",
    hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
} as const;

describe("KubeService with the guides' defaults", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => {
            const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
            const service = new KubeService("api", { image, namespace: "apps", env: { NODE_ENV: "production" } }, { provider });
            return { deployment: service.deploymentName, service: service.serviceName, namespace: service.namespace };
        });
    });
    const spec = (type: string) => object(only(record, type).inputs.spec, `${type}.spec`);
    const podSpec = () => object(object(spec(types.deployment).template, "template").spec, "pod spec");
    const container = () => object(list(podSpec().containers, "containers")[0], "container");

    test("creates a Deployment, Service, HPA and PDB through the given provider, in the namespace", () => {
        const component = only(record, "keel:kubernetes:KubeService");
        assert.deepEqual(childrenOf(record, component).map((r) => r.type).sort(), [types.deployment, types.service, types.hpa, types.pdb].sort());
        for (const type of Object.values(types)) {
            const resource = only(record, type);
            assert.equal(resource.provider, "urn:pulumi:test::keel::pulumi:providers:kubernetes::cluster", type);
            assert.equal(object(resource.inputs.metadata, "metadata").namespace, "apps", type);
        }
        assert.equal(record.outputs.namespace, "apps");
    });

    test("the Deployment leaves the replica count to the HPA and never drops below it while rolling", () => {
        const deployment = spec(types.deployment);
        assert.equal(deployment.replicas, undefined);
        assert.deepEqual(deployment.strategy, { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } });
        assert.deepEqual(deployment.selector, { matchLabels: { "app.kubernetes.io/name": "api" } });
    });

    test("the container: pinned image, the guides' requests and limits, readiness and liveness on /health", () => {
        const c = container();
        assert.equal(c.image, image);
        assert.deepEqual(c.resources, { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "512Mi", cpu: "500m" } });
        assert.deepEqual(c.ports, [{ name: "http", containerPort: 3000, protocol: "TCP" }]);
        assert.deepEqual(c.readinessProbe, { httpGet: { path: "/health", port: "http" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 });
        assert.deepEqual(c.livenessProbe, { httpGet: { path: "/health", port: "http" }, periodSeconds: 20, timeoutSeconds: 2, failureThreshold: 3, initialDelaySeconds: 15 });
        assert.deepEqual(c.env, [{ name: "NODE_ENV", value: "production" }]);
        assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    });

    test("pods spread across zones and nodes and run as non-root without a service-account token", () => {
        const pod = podSpec();
        assert.deepEqual(list(pod.topologySpreadConstraints, "spread").map((c) => object(c, "constraint").topologyKey), ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
        assert.equal(object(list(pod.topologySpreadConstraints, "spread")[0], "zone").maxSkew, 1);
        assert.deepEqual(pod.securityContext, { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        assert.equal(pod.automountServiceAccountToken, false);
    });

    test("the HPA (autoscaling/v2): 2–10 pods on CPU 70 % and memory 80 %, 600 s scale-down stabilization, bounded scale-up", () => {
        const hpa = spec(types.hpa);
        assert.deepEqual(hpa.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: record.outputs.deployment });
        assert.deepEqual([hpa.minReplicas, hpa.maxReplicas], [2, 10]);
        assert.deepEqual(hpa.metrics, [
            { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
            { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: 80 } } },
        ]);
        const behavior = object(hpa.behavior, "behavior");
        assert.deepEqual(behavior.scaleDown, { stabilizationWindowSeconds: 600, selectPolicy: "Min", policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] });
        assert.deepEqual(behavior.scaleUp, {
            stabilizationWindowSeconds: 0,
            selectPolicy: "Max",
            policies: [{ type: "Pods", value: 4, periodSeconds: 60 }, { type: "Percent", value: 100, periodSeconds: 60 }],
        });
    });

    test("the Service targets the pods' http port; the PDB lets drains take one pod at a time", () => {
        const service = spec(types.service);
        assert.deepEqual([service.type, service.selector], ["ClusterIP", { "app.kubernetes.io/name": "api" }]);
        assert.deepEqual(service.ports, [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
        assert.deepEqual(spec(types.pdb), { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "api" } } });
    });
});

describe("KubeService rules", () => {
    /** The message refusing `args`, given to the constructor under a Kubernetes provider. */
    const refusalOf = async (args: KubeServiceArgs) => (await refusedArguments(() => new KubeService("api", args, { provider: new k8s.Provider("cluster", { kubeconfig: "{}" }) }))).message;

    test("images must be pinned by version tag or digest", async () => {
        for (const pinned of [image, "ghcr.io/keel/app:1.4.2", "localhost:5000/app:2024-06-01"]) {
            const { refusal } = await planRefusal(() => {
                new KubeService("api", { image: pinned }, { provider: new k8s.Provider("cluster", { kubeconfig: "{}" }) });
            });
            assert.equal(refusal, undefined, pinned);
        }
        assert.equal(await refusalOf({ image: "ghcr.io/keel/app" }), 'KubeService api: invalid arguments:\n  - image: expected an image pinned by a version tag or a sha256 digest (untagged means whatever latest is each time one starts), got "ghcr.io/keel/app"');
        assert.equal(await refusalOf({ image: "localhost:5000/app" }), 'KubeService api: invalid arguments:\n  - image: expected an image pinned by a version tag or a sha256 digest (untagged means whatever latest is each time one starts), got "localhost:5000/app"');
        assert.equal(await refusalOf({ image: "ghcr.io/keel/app:latest" }), 'KubeService api: invalid arguments:\n  - image: expected an image pinned by a version tag or a sha256 digest, not the moving tag latest, got "ghcr.io/keel/app:latest"');
        assert.match(await refusalOf({ image: "ghcr.io/keel/app:1 --privileged" }), /^KubeService api: invalid arguments:\n {2}- image: expected a container image reference such as .*, got "ghcr\.io\/keel\/app:1 --privileged"$/);
    });

    test("HPA bounds", () => {
        assert.deepEqual(autoscalingProblems(guideAutoscaling), []);
        assert.deepEqual(autoscalingProblems({ ...guideAutoscaling, minReplicas: 0, maxReplicas: 0, cpuTargetPercent: 120, memoryTargetPercent: 0, scaleDownStabilizationSeconds: 7200 }), [
            { path: ["autoscaling", "minReplicas"], message: "expected a whole number from 1 to 1000" },
            { path: ["autoscaling", "maxReplicas"], message: "expected a whole number from 1 to 1000" },
            { path: ["autoscaling", "cpuTargetPercent"], message: "expected a whole number from 1 to 100" },
            { path: ["autoscaling", "memoryTargetPercent"], message: "expected a whole number from 1 to 100" },
            { path: ["autoscaling", "scaleDownStabilizationSeconds"], message: "expected a whole number from 0 to 3600 (Kubernetes caps stabilization windows at one hour)" },
        ]);
        assert.deepEqual(autoscalingProblems({ ...guideAutoscaling, minReplicas: 11 }), [{ path: ["autoscaling", "minReplicas"], message: "expected at most maxReplicas (10)" }]);
        assert.deepEqual(autoscalingProblems({ ...guideAutoscaling, scaleUpPodsPerMinute: 0, scaleUpPercentPerMinute: 1.5 }), [
            { path: ["autoscaling", "scaleUpPodsPerMinute"], message: "expected a whole number from 1 to 1000" },
            { path: ["autoscaling", "scaleUpPercentPerMinute"], message: "expected a whole number from 1 to 1000" },
        ]);
    });

    test("refuses an unpinned image and inverted bounds at once, quoting the values given, before registering anything", async () => {
        assert.equal(await refusalOf({ image: "app:latest", autoscaling: { ...guideAutoscaling, minReplicas: 3, maxReplicas: 2, scaleUpPodsPerMinute: 0 } }), [
            "KubeService api: invalid arguments:",
            '  - image: expected an image pinned by a version tag or a sha256 digest, not the moving tag latest, got "app:latest"',
            "  - autoscaling.minReplicas: expected at most maxReplicas (2), got 3",
            "  - autoscaling.scaleUpPodsPerMinute: expected a whole number from 1 to 1000, got 0",
        ].join("\n"));
    });

    test("refuses ports outside 1–65535", async () => {
        assert.equal(await refusalOf({ image, containerPort: 0, servicePort: 70_000 }), [
            "KubeService api: invalid arguments:",
            "  - containerPort: expected a TCP port (1–65535), got 0",
            "  - servicePort: expected a TCP port (1–65535), got 70000",
        ].join("\n"));
    });
});
