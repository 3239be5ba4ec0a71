import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Policy, PolicyPackConfig } from "@pulumi/policy";
import type { PlanResource } from "../../scripts/plan/record";
import { loadPolicyPackConfig } from "../offline";
import { messages, provider, resource, runPolicy, type Fixture, type PlanInput } from "../testing";
import { containerResources, disruptionBudgets, hpaBounds, isPinnedImage, kubernetesPolicies, pinnedCharts, pinnedImages } from "./kubernetes";

const types = {
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    release: "kubernetes:helm.sh/v3:Release",
    dockerContainer: "docker:index/container:Container",
} as const;

const cluster = provider({ name: "cluster", type: "pulumi:providers:kubernetes" });
const production = loadPolicyPackConfig("production");
const staging = loadPolicyPackConfig("staging");

const digest = `sha256:${"4f".repeat(32)}`;
const guideResources = { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } };

function container(changes: Record<string, unknown> = {}): Record<string, unknown> {
    return { name: "app", image: "registry.example.com:5000/keel/app:1.4.2", ports: [{ name: "http", containerPort: 3000, protocol: "TCP" }], resources: guideResources, ...changes };
}

interface WorkloadOptions {
    readonly type?: string;
    /** The Pulumi resource name; also `metadata.name` unless `autoNamed`. */
    readonly name?: string;
    /** No `metadata.name`: Pulumi names the object `<name>-<suffix>`. */
    readonly autoNamed?: boolean;
    readonly namespace?: string;
    readonly replicas?: number;
    readonly labels?: Record<string, string>;
    readonly containers?: Record<string, unknown>[];
    readonly initContainers?: Record<string, unknown>[];
}

/** A Deployment (or StatefulSet, DaemonSet) in the shape of the Kubernetes apps/v1 API, as KubeService builds it. */
function workload(options: WorkloadOptions = {}): Fixture {
    const name = options.name ?? "api";
    const labels = options.labels ?? { "app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "pulumi" };
    const metadata = { ...(options.autoNamed ? {} : { name }), ...(options.namespace !== undefined ? { namespace: options.namespace } : {}), labels };
    const spec = {
        ...(options.replicas !== undefined ? { replicas: options.replicas } : {}),
        selector: { matchLabels: { "app.kubernetes.io/name": name } },
        template: {
            metadata: { labels },
            spec: {
                automountServiceAccountToken: false,
                ...(options.initContainers ? { initContainers: options.initContainers } : {}),
                containers: options.containers ?? [container()],
            },
        },
    };
    return resource(options.type ?? types.deployment, { metadata, spec }, { name, provider: cluster });
}

function hpa(target: { kind?: string; name: string }, options: { name?: string; namespace?: string; minReplicas?: number; maxReplicas?: number; dependsOn?: PlanResource[] } = {}): Fixture {
    const spec = {
        scaleTargetRef: { apiVersion: "apps/v1", kind: target.kind ?? "Deployment", name: target.name },
        ...(options.minReplicas !== undefined ? { minReplicas: options.minReplicas } : {}),
        ...(options.maxReplicas !== undefined ? { maxReplicas: options.maxReplicas } : {}),
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
    };
    const metadata = options.namespace !== undefined ? { namespace: options.namespace } : {};
    return resource(types.hpa, { metadata, spec }, { name: options.name ?? "api", provider: cluster, dependsOn: options.dependsOn ?? [] });
}

function pdb(matchLabels: Record<string, string>, options: { name?: string; namespace?: string } = {}): Fixture {
    const metadata = options.namespace !== undefined ? { namespace: options.namespace } : {};
    return resource(types.pdb, { metadata, spec: { maxUnavailable: 1, selector: { matchLabels } } }, { name: options.name ?? "api", provider: cluster });
}

function release(version: unknown, name = "monitoring"): Fixture {
    const inputs: Record<string, unknown> = {
        chart: "kube-prometheus-stack",
        repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" },
        namespace: "monitoring",
        values: { grafana: { enabled: true } },
    };
    if (version !== undefined) inputs.version = version;
    return resource(types.release, inputs, { name, provider: cluster });
}

const dockerContainer = (image: string, name = "postgres") => resource(types.dockerContainer, { name: `keel-${name}`, image, restart: "unless-stopped" }, { name });

async function found(policy: Policy, fixtures: readonly PlanInput[], config?: PolicyPackConfig): Promise<string[]> {
    return messages(await runPolicy(policy, fixtures, config));
}

describe("kubernetes policies", () => {
    test("the module exports every Kubernetes and Helm policy, each mandatory", () => {
        assert.deepEqual(kubernetesPolicies.map((p) => [p.name, p.enforcementLevel]), [
            ["keel-k8s-requests-and-limits", "mandatory"],
            ["keel-k8s-pinned-images", "mandatory"],
            ["keel-helm-pinned-charts", "mandatory"],
            ["keel-k8s-hpa-bounds", "mandatory"],
            ["keel-k8s-disruption-budgets", "mandatory"],
        ]);
    });

    test("a KubeService (auto-named Deployment, HPA 2–10, PDB) and a pinned chart pass every policy under every config", async () => {
        const deployment = workload({ autoNamed: true, namespace: "apps" });
        const plan = [
            deployment,
            hpa({ name: "api-1e3905b" }, { namespace: "apps", minReplicas: 2, maxReplicas: 10, dependsOn: [deployment.resource] }),
            pdb({ "app.kubernetes.io/name": "api" }, { namespace: "apps" }),
            release("65.1.0"),
            dockerContainer(`postgres:15.8-bookworm`),
        ];
        for (const [environment, config] of [["default", {}], ["staging", staging], ["production", production]] as const) {
            for (const policy of kubernetesPolicies) assert.deepEqual(await found(policy, plan, config), [], `${policy.name} under ${environment}`);
        }
    });
});

describe("keel-k8s-requests-and-limits", () => {
    test("passes containers with CPU and memory requests and a memory limit (a CPU limit is optional)", async () => {
        const noCpuLimit = container({ resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "128Mi" } } });
        assert.deepEqual(await found(containerResources, [workload(), workload({ name: "worker", containers: [noCpuLimit] })]), []);
    });

    test("refuses a container without resources, naming everything missing", async () => {
        const violations = await runPolicy(containerResources, [workload({ containers: [container({ resources: undefined })] })]);
        assert.deepEqual(messages(violations), ['container "app" of api has no cpu request, memory request, memory limit']);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::kubernetes:apps/v1:Deployment::api");
    });

    test("refuses a container missing its memory limit, or one request", async () => {
        const plan = [
            workload({ containers: [container({ resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "500m" } } })] }),
            workload({ name: "worker", containers: [container({ name: "worker", resources: { requests: { memory: "256Mi" }, limits: { memory: "512Mi" } } })] }),
            workload({ name: "cache", containers: [container({ name: "cache", resources: { requests: { cpu: "250m" }, limits: { memory: "512Mi" } } })] }),
        ];
        assert.deepEqual(await found(containerResources, plan), [
            'container "app" of api has no memory limit',
            'container "worker" of worker has no cpu request',
            'container "cache" of cache has no memory request',
        ]);
    });

    test("judges init containers and every container of StatefulSets and DaemonSets", async () => {
        const bare = (name: string) => container({ name, resources: { requests: { cpu: "10m", memory: "16Mi" } } });
        const plan = [
            workload({ initContainers: [bare("migrate")], containers: [container(), bare("sidecar")] }),
            workload({ type: types.statefulSet, name: "db", containers: [bare("postgres")] }),
            workload({ type: types.daemonSet, name: "agent", containers: [bare("alloy")] }),
        ];
        assert.deepEqual(await found(containerResources, plan), [
            'container "migrate" of api has no memory limit',
            'container "sidecar" of api has no memory limit',
            'container "postgres" of db has no memory limit',
            'container "alloy" of agent has no memory limit',
        ]);
    });

    test("enabled: false turns it off", async () => {
        assert.deepEqual(await found(containerResources, [workload({ containers: [container({ resources: undefined })] })], { "keel-k8s-requests-and-limits": { enabled: false } }), []);
    });
});

describe("keel-k8s-pinned-images", () => {
    const pinned = ["nginx:1.27.3", "registry.example.com:5000/app:1.2.3", `app@sha256:${"ab".repeat(32)}`, `registry.example.com:5000/keel/app@${digest}`, "ghcr.io/grafana/alloy:v1.5.1"];
    const unpinned = ["nginx", "nginx:latest", "registry.example.com:5000/app", "registry.example.com:5000/app:latest", "docker.io/library/postgres:", ""];

    test("isPinnedImage: a version tag or a digest, never latest or untagged (a registry port is no tag)", () => {
        for (const image of pinned) assert.equal(isPinnedImage(image), true, image);
        for (const image of unpinned) assert.equal(isPinnedImage(image), false, image);
        // A Docker image id (what docker.RemoteImage's imageId gives a container) is content-addressed.
        assert.equal(isPinnedImage(digest), true);
    });

    for (const image of pinned) {
        test(`passes a Deployment and a docker container running ${image}`, async () => {
            assert.deepEqual(await found(pinnedImages, [workload({ containers: [container({ image })] }), dockerContainer(image)]), []);
        });
    }

    for (const image of ["nginx", "nginx:latest"]) {
        test(`refuses ${image} in a Deployment and a docker container`, async () => {
            const violations = await runPolicy(pinnedImages, [workload({ containers: [container({ image })] }), dockerContainer(image)]);
            assert.deepEqual(messages(violations), [`api runs the unpinned image "${image}"`, `postgres runs the unpinned image "${image}"`]);
            assert.deepEqual(violations.map((v) => v.urn), ["urn:pulumi:test::keel::kubernetes:apps/v1:Deployment::api", "urn:pulumi:test::keel::docker:index/container:Container::postgres"]);
        });
    }

    test("passes a docker container running a RemoteImage's image id", async () => {
        assert.deepEqual(await found(pinnedImages, [dockerContainer(digest)]), []);
    });

    test("judges every container, init containers included, of every workload type", async () => {
        const plan = [
            workload({ initContainers: [container({ name: "migrate", image: "flyway/flyway" })], containers: [container(), container({ name: "proxy", image: "envoyproxy/envoy:latest" })] }),
            workload({ type: types.statefulSet, name: "db", containers: [container({ image: "postgres" })] }),
            workload({ type: types.daemonSet, name: "agent", containers: [container({ image: "grafana/alloy:latest" })] }),
            workload({ name: "noimage", containers: [container({ image: undefined })] }),
        ];
        assert.deepEqual(await found(pinnedImages, plan), [
            'api runs the unpinned image "flyway/flyway"',
            'api runs the unpinned image "envoyproxy/envoy:latest"',
            'db runs the unpinned image "postgres"',
            'agent runs the unpinned image "grafana/alloy:latest"',
            'noimage runs the unpinned image ""',
        ]);
    });

    test("does not judge other types", async () => {
        assert.deepEqual(await found(pinnedImages, [resource("kubernetes:batch/v1:Job", { spec: { template: { spec: { containers: [container({ image: "busybox" })] } } } }, { provider: cluster }), release("65.1.0")]), []);
    });

    test("enabled: false turns it off", async () => {
        assert.deepEqual(await found(pinnedImages, [dockerContainer("nginx:latest")], { "keel-k8s-pinned-images": { enabled: false } }), []);
    });
});

describe("keel-helm-pinned-charts", () => {
    for (const version of ["65.1.0", "v1.2.3", "1.2.3-rc.1", "0.10.0+build.5"]) {
        test(`passes the exact chart version ${version}`, async () => {
            assert.deepEqual(await found(pinnedCharts, [release(version)]), []);
        });
    }

    const loose: [unknown, string][] = [
        ["^65", "^65"],
        ["", ""],
        ["~65.1.0", "~65.1.0"],
        ["65.x", "65.x"],
        ["65.1", "65.1"],
        [">=65.1.0", ">=65.1.0"],
        ["latest", "latest"],
        [undefined, "unset"],
    ];
    for (const [version, shown] of loose) {
        test(`refuses the chart version ${JSON.stringify(version) ?? "unset"}`, async () => {
            const fixture = release(version);
            const violations = await runPolicy(pinnedCharts, [fixture]);
            assert.deepEqual(messages(violations), [`Helm release "monitoring" (chart kube-prometheus-stack) has no exact chart version (${shown})`]);
            assert.equal(violations[0].urn, fixture.resource.urn);
        });
    }

    test("does not judge other types", async () => {
        assert.deepEqual(await found(pinnedCharts, [resource("kubernetes:helm.sh/v3:Chart", { chart: "nginx", version: "^1" }, { provider: cluster }), workload()]), []);
    });

    test("enabled: false turns it off", async () => {
        assert.deepEqual(await found(pinnedCharts, [release("^65")], { "keel-helm-pinned-charts": { enabled: false } }), []);
    });
});

describe("keel-k8s-hpa-bounds", () => {
    test("by default and in staging requires one replica and a maximum of at least the minimum", async () => {
        for (const config of [{}, staging]) {
            assert.deepEqual(await found(hpaBounds, [hpa({ name: "api" }, { minReplicas: 1, maxReplicas: 5 }), hpa({ name: "web" }, { name: "web", maxReplicas: 1 })], config), []);
            assert.deepEqual(await found(hpaBounds, [hpa({ name: "api" }, { minReplicas: 0, maxReplicas: 5 })], config), ['HorizontalPodAutoscaler "api" allows 0 replica(s); at least 1 required']);
        }
    });

    test("production requires at least 2 replicas (minReplicas unset is Kubernetes' 1)", async () => {
        assert.deepEqual(await found(hpaBounds, [hpa({ name: "api" }, { minReplicas: 2, maxReplicas: 10 })], production), []);
        const violations = await runPolicy(hpaBounds, [hpa({ name: "api" }, { minReplicas: 1, maxReplicas: 10 })], production);
        assert.deepEqual(messages(violations), ['HorizontalPodAutoscaler "api" allows 1 replica(s); at least 2 required']);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::kubernetes:autoscaling/v2:HorizontalPodAutoscaler::api");
        assert.deepEqual(await found(hpaBounds, [hpa({ name: "api" }, { maxReplicas: 10 })], production), ['HorizontalPodAutoscaler "api" allows 1 replica(s); at least 2 required']);
    });

    test("refuses a maximum below the minimum, or none", async () => {
        assert.deepEqual(await found(hpaBounds, [hpa({ name: "api" }, { minReplicas: 3, maxReplicas: 2 })]), ['HorizontalPodAutoscaler "api" has maxReplicas 2 below minReplicas 3']);
        assert.deepEqual(await found(hpaBounds, [hpa({ name: "api" }, { minReplicas: 2 })]), ['HorizontalPodAutoscaler "api" has maxReplicas 0 below minReplicas 2']);
        assert.deepEqual(await found(hpaBounds, [hpa({ name: "api" }, { minReplicas: 1, maxReplicas: 0 })], production), [
            'HorizontalPodAutoscaler "api" allows 1 replica(s); at least 2 required',
            'HorizontalPodAutoscaler "api" has maxReplicas 0 below minReplicas 1',
        ]);
    });

    test("minReplicas config overrides the default", async () => {
        assert.deepEqual(await found(hpaBounds, [hpa({ name: "api" }, { minReplicas: 2, maxReplicas: 10 })], { "keel-k8s-hpa-bounds": { minReplicas: 3 } }), ['HorizontalPodAutoscaler "api" allows 2 replica(s); at least 3 required']);
    });
});

describe("keel-k8s-disruption-budgets", () => {
    const selectsApi = { "app.kubernetes.io/name": "api" };

    test("refuses a Deployment with 3 replicas and no PodDisruptionBudget, reported on the Deployment", async () => {
        const deployment = workload({ replicas: 3 });
        const violations = await runPolicy(disruptionBudgets, [deployment]);
        assert.deepEqual(messages(violations), ['Deployment "api" is replicated but no PodDisruptionBudget selects its pods']);
        assert.equal(violations[0].urn, deployment.resource.urn);
    });

    test("passes a Deployment with 3 replicas and a PDB whose matchLabels are a subset of its pod labels", async () => {
        assert.deepEqual(await found(disruptionBudgets, [workload({ replicas: 3 }), pdb(selectsApi)]), []);
        assert.deepEqual(await found(disruptionBudgets, [workload({ replicas: 3 }), pdb({ ...selectsApi, "app.kubernetes.io/managed-by": "pulumi" })]), []);
    });

    test("refuses a PDB that selects other pods, or pods in another namespace", async () => {
        const refused = ['Deployment "api" is replicated but no PodDisruptionBudget selects its pods'];
        assert.deepEqual(await found(disruptionBudgets, [workload({ replicas: 3 }), pdb({ "app.kubernetes.io/name": "web" })]), refused, "another app");
        assert.deepEqual(await found(disruptionBudgets, [workload({ replicas: 3 }), pdb({ ...selectsApi, tier: "frontend" })]), refused, "a label the pods lack");
        assert.deepEqual(await found(disruptionBudgets, [workload({ replicas: 3 }), pdb({})]), refused, "no matchLabels");
        assert.deepEqual(await found(disruptionBudgets, [workload({ replicas: 3, namespace: "apps" }), pdb(selectsApi)]), refused, "the default namespace");
        assert.deepEqual(await found(disruptionBudgets, [workload({ replicas: 3, namespace: "apps" }), pdb(selectsApi, { namespace: "apps" })]), []);
        assert.deepEqual(await found(disruptionBudgets, [workload({ replicas: 3 }), pdb(selectsApi, { namespace: "default" })]), [], "no namespace is default");
    });

    test("does not require a PDB of a single-replica Deployment or a DaemonSet", async () => {
        assert.deepEqual(await found(disruptionBudgets, [workload({ replicas: 1 }), workload({ name: "web" }), workload({ type: types.daemonSet, name: "agent", replicas: 3 })]), []);
    });

    test("refuses a replicated StatefulSet without a PDB", async () => {
        assert.deepEqual(await found(disruptionBudgets, [workload({ type: types.statefulSet, name: "db", replicas: 2 })]), ['StatefulSet "db" is replicated but no PodDisruptionBudget selects its pods']);
    });

    test("refuses a Deployment an HPA targets (no replicas of its own) without a PDB, and passes it with one", async () => {
        const target = hpa({ name: "api" }, { minReplicas: 2, maxReplicas: 10 });
        assert.deepEqual(await found(disruptionBudgets, [workload(), target]), ['Deployment "api" is replicated but no PodDisruptionBudget selects its pods']);
        assert.deepEqual(await found(disruptionBudgets, [workload(), target, pdb(selectsApi)]), []);
    });

    test("matches an auto-named Deployment to its HPA through the HPA's dependency on it", async () => {
        const deployment = workload({ autoNamed: true, namespace: "apps" });
        const target = hpa({ name: "api-1e3905b" }, { namespace: "apps", minReplicas: 2, maxReplicas: 10, dependsOn: [deployment.resource] });
        assert.deepEqual(await found(disruptionBudgets, [deployment, target]), ['Deployment "api" is replicated but no PodDisruptionBudget selects its pods']);
        assert.deepEqual(await found(disruptionBudgets, [deployment, target, pdb(selectsApi, { namespace: "apps" })]), []);
    });

    test("an HPA of another namespace, workload or kind does not make a Deployment replicated", async () => {
        const plan = [
            workload(),
            hpa({ name: "api" }, { namespace: "apps", name: "other-namespace" }),
            hpa({ name: "web" }, { name: "other-workload" }),
            hpa({ kind: "StatefulSet", name: "api" }, { name: "other-kind" }),
        ];
        assert.deepEqual(await found(disruptionBudgets, plan), []);
    });

    test("enabled: false turns it off", async () => {
        assert.equal((await found(disruptionBudgets, [workload({ replicas: 3 })], { "keel-k8s-disruption-budgets": { enabled: true } })).length, 1);
        assert.deepEqual(await found(disruptionBudgets, [workload({ replicas: 3 })], { "keel-k8s-disruption-budgets": { enabled: false } }), []);
    });
});
