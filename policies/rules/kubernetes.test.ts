import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PlanResource } from "../../offline-plan/record";
import { found, messages, production, provider, resource, runPolicy, staging, type Fixture } from "../testing";
import {
    containerResources,
    disruptionBudgets,
    eksControlPlaneLogs,
    eksEndpointAccess,
    eksNodeRemoteAccess,
    eksSecretsEncryption,
    hpaBounds,
    isPinnedImage,
    kubernetesPolicies,
    pinnedCharts,
    pinnedImages,
    unpinnedValuesImages,
} from "./kubernetes";

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

describe("kubernetes policies", () => {
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
    const lacks = (name: string, owner: string, missing: string) => `container "${name}" of ${owner} has no ${missing}`;

    test("passes containers with CPU and memory requests and a memory limit (a CPU limit is optional)", async () => {
        const noCpuLimit = container({ resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "128Mi" } } });
        assert.deepEqual(await found(containerResources, [workload(), workload({ name: "worker", containers: [noCpuLimit] })]), []);
    });

    test("refuses a container without resources, naming everything missing", async () => {
        const violations = await runPolicy(containerResources, [workload({ containers: [container({ resources: undefined })] })]);
        assert.deepEqual(messages(violations), [lacks("app", "api", "cpu request, memory request, memory limit")]);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::kubernetes:apps/v1:Deployment::api");
    });

    test("refuses a container missing its memory limit, or one request", async () => {
        const plan = [
            workload({ containers: [container({ resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "500m" } } })] }),
            workload({ name: "worker", containers: [container({ name: "worker", resources: { requests: { memory: "256Mi" }, limits: { memory: "512Mi" } } })] }),
            workload({ name: "cache", containers: [container({ name: "cache", resources: { requests: { cpu: "250m" }, limits: { memory: "512Mi" } } })] }),
        ];
        assert.deepEqual(await found(containerResources, plan), [lacks("app", "api", "memory limit"), lacks("worker", "worker", "cpu request"), lacks("cache", "cache", "memory request")]);
    });

    test("judges init containers and every container of StatefulSets and DaemonSets", async () => {
        const bare = (name: string) => container({ name, resources: { requests: { cpu: "10m", memory: "16Mi" } } });
        const plan = [
            workload({ initContainers: [bare("migrate")], containers: [container(), bare("sidecar")] }),
            workload({ type: types.statefulSet, name: "db", containers: [bare("postgres")] }),
            workload({ type: types.daemonSet, name: "agent", containers: [bare("alloy")] }),
        ];
        assert.deepEqual(await found(containerResources, plan), [lacks("migrate", "api", "memory limit"), lacks("sidecar", "api", "memory limit"), lacks("postgres", "db", "memory limit"), lacks("alloy", "agent", "memory limit")]);
    });

    test("enabled: false turns it off", async () => {
        assert.deepEqual(await found(containerResources, [workload({ containers: [container({ resources: undefined })] })], { "keel-k8s-requests-and-limits": { enabled: false } }), []);
    });

    test("judges CronJobs (the database dumps) and Pods too; a patch requires nothing", async () => {
        const cron = (containers: Record<string, unknown>[]) => resource("kubernetes:batch/v1:CronJob", { spec: { jobTemplate: { spec: { template: { spec: { containers } } } } } }, { name: "database-dumps", provider: cluster });
        assert.deepEqual(await found(containerResources, [cron([container({ name: "publish" })])]), []);
        assert.deepEqual(await found(containerResources, [cron([container({ name: "publish", resources: { requests: { cpu: "10m" } } })])]), [lacks("publish", "database-dumps", "memory request, memory limit")]);
        assert.deepEqual(await found(containerResources, [resource("kubernetes:core/v1:Pod", { spec: { containers: [{ name: "debug", image: "busybox:1.36" }] } }, { name: "debug", provider: cluster })]), [lacks("debug", "debug", "cpu request, memory request, memory limit")]);
        assert.deepEqual(await found(containerResources, [resource("kubernetes:apps/v1:DeploymentPatch", { spec: { template: { spec: { containers: [{ name: "app" }] } } } }, { name: "patch", provider: cluster })]), []);
    });
});

describe("keel-k8s-pinned-images", () => {
    const pinned = ["nginx:1.27.3", "registry.example.com:5000/app:1.2.3", `app@sha256:${"ab".repeat(32)}`, `registry.example.com:5000/keel/app@${digest}`, "ghcr.io/grafana/alloy:v1.5.1"];
    const runsUnpinned = (owner: string, image: string) => `${owner} runs the unpinned image "${image}"`;
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
            assert.deepEqual(messages(violations), [runsUnpinned("api", image), runsUnpinned("postgres", image)]);
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
        assert.deepEqual(await found(pinnedImages, plan), [runsUnpinned("api", "flyway/flyway"), runsUnpinned("api", "envoyproxy/envoy:latest"), runsUnpinned("db", "postgres"), runsUnpinned("agent", "grafana/alloy:latest"), runsUnpinned("noimage", "")]);
    });

    test("does not judge other types", async () => {
        assert.deepEqual(await found(pinnedImages, [resource("kubernetes:core/v1:ConfigMap", { data: { image: "busybox" } }, { provider: cluster }), release("65.1.0")]), []);
    });

    test("isPinnedImage refuses moving tags (stable, main, edge) and tags without a version, and a truncated digest", () => {
        for (const image of ["grafana/grafana:main", "nginx:stable", "alpine:edge", "postgres:bookworm", "grafana/grafana:Latest", `app@sha256:${"ab".repeat(8)}`]) assert.equal(isPinnedImage(image), false, image);
        for (const image of ["postgres:15", "postgres:15.14-bookworm", "quay.io/prometheuscommunity/postgres-exporter:v0.20.1"]) assert.equal(isPinnedImage(image), true, image);
    });

    test("judges the containers of Jobs, CronJobs (jobTemplate), Pods and ConfigGroup manifests", async () => {
        const podSpec = { containers: [container({ image: "busybox" })] };
        const plan = [
            resource("kubernetes:batch/v1:Job", { spec: { template: { spec: podSpec } } }, { name: "job", provider: cluster }),
            resource("kubernetes:batch/v1:CronJob", { spec: { jobTemplate: { spec: { template: { spec: { initContainers: [container({ name: "dump", image: "postgres:latest" })], containers: [container()] } } } } } }, { name: "cron", provider: cluster }),
            resource("kubernetes:core/v1:Pod", { spec: podSpec }, { name: "pod", provider: cluster }),
            resource("kubernetes:yaml/v2:ConfigGroup", { yaml: "apiVersion: v1\nkind: Pod\nmetadata: {name: debug}\nspec:\n  containers:\n  - {name: sh, image: 'alpine'}\n" }, { name: "extras", provider: cluster }),
        ];
        assert.deepEqual(await found(pinnedImages, plan), [runsUnpinned("job", "busybox"), runsUnpinned("cron", "postgres:latest"), runsUnpinned("pod", "busybox"), runsUnpinned("extras", "alpine")]);
    });

    test("a patch is judged on the images it sets only", async () => {
        const patch = (image?: string) => resource("kubernetes:apps/v1:DeploymentPatch", { spec: { template: { spec: { containers: [{ name: "app", ...(image ? { image } : {}) }] } } } }, { name: "patch", provider: cluster });
        assert.deepEqual(await found(pinnedImages, [patch()]), []);
        assert.deepEqual(await found(pinnedImages, [patch("app:latest")]), [runsUnpinned("patch", "app:latest")]);
    });

    test("unpinnedValuesImages: image strings and { repository, tag, digest } objects anywhere in chart values", () => {
        assert.deepEqual(unpinnedValuesImages({
            image: { tag: "v0.20.1" },
            grafana: { image: { repository: "grafana/grafana", tag: "" } },
            alloy: { configReloader: { image: { registry: "quay.io", repository: "prometheus-operator/prometheus-config-reloader", tag: "latest", digest: `sha256:${"ab".repeat(32)}` } } },
            sidecar: { image: "quay.io/kiwigrid/k8s-sidecar:1.30.0" },
        }), []);
        assert.deepEqual(unpinnedValuesImages({
            image: { tag: "latest" },
            grafana: { image: { repository: "grafana/grafana", tag: "main" } },
            prometheus: { prometheusSpec: { image: { repository: "prometheus/prometheus:latest" } } },
            sidecar: { image: "kiwigrid/k8s-sidecar" },
            thanosImage: "quay.io/thanos/thanos:latest",
            loki: { imageTag: "latest" },
        }), [
            'image is tag "latest"',
            'grafana.image is tag "main"',
            'prometheus.prometheusSpec.image is repository "prometheus/prometheus:latest"',
            'sidecar.image is "kiwigrid/k8s-sidecar"',
            'thanosImage is "quay.io/thanos/thanos:latest"',
            'loki.imageTag is "latest"',
        ]);
    });

    test("refuses unpinned images in Helm values, given as objects or as YAML strings, and in inline valueYamlFiles", async () => {
        const chart = (values: unknown, extra: Record<string, unknown> = {}) => resource(types.release, { chart: "prometheus-postgres-exporter", version: "8.2.0", values, ...extra }, { name: "exporter", provider: cluster });
        assert.deepEqual(await found(pinnedImages, [chart({ image: { tag: "v0.20.1" } })]), []);
        assert.deepEqual(await found(pinnedImages, [chart({ image: { tag: "latest" } })]), [
            'Helm release "exporter" runs an unpinned image: values.image is tag "latest" (pin a version tag or a digest; an empty tag keeps the chart\'s appVersion)',
        ]);
        assert.deepEqual(await found(pinnedImages, [chart({ extraContainers: "- name: debug\n  image: busybox\n" })]), [
            'Helm release "exporter" runs an unpinned image: values.extraContainers.0.image is "busybox" (pin a version tag or a digest; an empty tag keeps the chart\'s appVersion)',
        ]);
        assert.deepEqual(await found(pinnedImages, [chart({}, { valueYamlFiles: [{ text: "image:\n  tag: latest\n" }] })]), [
            'Helm release "exporter" runs an unpinned image: valueYamlFiles[0].image is tag "latest" (pin a version tag or a digest; an empty tag keeps the chart\'s appVersion)',
        ]);
        assert.deepEqual(await found(pinnedImages, [chart("[secret]"), chart({ image: "[unknown]" })]), []);
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

// ---- EKS ----

const eksTypes = { cluster: "aws:eks/cluster:Cluster", nodeGroup: "aws:eks/nodeGroup:NodeGroup" } as const;
const keyArn = "arn:aws:kms:us-east-1:123456789012:key/6f17a6d9-76bd-410c-a698-8910769e5f57";
const allLogTypes = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

/** An EKS cluster as components/kubernetes/cluster.ts builds it: private endpoint, secrets encrypted, every log type. */
function eksCluster(changes: Record<string, unknown> = {}, vpcChanges: Record<string, unknown> = {}): Fixture {
    return resource(eksTypes.cluster, {
        name: "monitoring",
        version: "1.35",
        vpcConfig: { subnetIds: ["subnet-1", "subnet-2"], endpointPrivateAccess: true, endpointPublicAccess: false, ...vpcChanges },
        encryptionConfig: { provider: { keyArn }, resources: ["secrets"] },
        enabledClusterLogTypes: allLogTypes,
        ...changes,
    }, { name: "monitoring" });
}

function nodeGroup(changes: Record<string, unknown> = {}): Fixture {
    return resource(eksTypes.nodeGroup, { clusterName: "monitoring", instanceTypes: ["m6i.xlarge"], scalingConfig: { minSize: 3, maxSize: 6, desiredSize: 3 }, ...changes }, { name: "monitoring-general" });
}

describe("keel-eks-endpoint-access", () => {
    const refusal = (open: string) => `EKS cluster "monitoring" API endpoint ${open}: set endpointPublicAccess false, or publicAccessCidrs to the deployers' addresses (EKS best practices, "Make the EKS Cluster Endpoint private"; CKV_AWS_38/39)`;

    test("passes a private endpoint, and a public one open to the deployers' own addresses", async () => {
        assert.deepEqual(await found(eksEndpointAccess, [eksCluster()]), []);
        assert.deepEqual(await found(eksEndpointAccess, [eksCluster({}, { endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.10/32", "198.51.100.0/24"] })]), []);
    });

    test("refuses a public endpoint without publicAccessCidrs (EKS admits 0.0.0.0/0), and an unset endpointPublicAccess (EKS's default is public)", async () => {
        const world = refusal("is public and open to 0.0.0.0/0 (publicAccessCidrs empty: EKS's default)");
        const violations = await runPolicy(eksEndpointAccess, [eksCluster({}, { endpointPublicAccess: true })]);
        assert.deepEqual(messages(violations), [world]);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::aws:eks/cluster:Cluster::monitoring");
        assert.deepEqual(await found(eksEndpointAccess, [eksCluster({}, { endpointPublicAccess: "true", publicAccessCidrs: [] })]), [world]);
        assert.deepEqual(await found(eksEndpointAccess, [eksCluster({ vpcConfig: { subnetIds: ["subnet-1"] } })]), [world]);
    });

    test("refuses 0.0.0.0/0, ::/0 and ranges wider than /16, even beside the deployers' own", async () => {
        const open = (cidrs: string) => refusal(`is public and open to ${cidrs}, wider than /16 (IPv4) or /48 (IPv6)`);
        for (const cidrs of [["0.0.0.0/0"], ["203.0.113.10/32", "0.0.0.0/0"], ["::/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["10.0.0.0/8"]]) {
            assert.deepEqual(await found(eksEndpointAccess, [eksCluster({}, { endpointPublicAccess: true, publicAccessCidrs: cidrs })]), [open(cidrs.filter((c) => c !== "203.0.113.10/32").join(", "))], cidrs.join(" "));
        }
    });

    test("does not judge what is unknown at preview, and follows the configured prefix", async () => {
        assert.deepEqual(await found(eksEndpointAccess, [eksCluster({}, { endpointPublicAccess: "[unknown]" }), eksCluster({ vpcConfig: "[unknown]" }), eksCluster({}, { endpointPublicAccess: true, publicAccessCidrs: "[unknown]" })]), []);
        const config = { "keel-eks-endpoint-access": { minimumIpv4PrefixLength: 24 } };
        assert.equal((await found(eksEndpointAccess, [eksCluster({}, { endpointPublicAccess: true, publicAccessCidrs: ["198.51.100.0/22"] })], config)).length, 1);
    });
});

describe("keel-eks-secrets-encryption", () => {
    const why = ': envelope-encrypt Secrets with a customer-managed KMS key (EKS best practices, "Encrypt Kubernetes secrets with KMS"; CKV_AWS_58)';

    test("passes Secrets encrypted with a customer-managed key, as an object or a one-element list", async () => {
        assert.deepEqual(await found(eksSecretsEncryption, [eksCluster(), eksCluster({ encryptionConfig: [{ provider: { keyArn }, resources: ["secrets"] }] })]), []);
        assert.deepEqual(await found(eksSecretsEncryption, [eksCluster({ encryptionConfig: { provider: { keyArn: "[unknown]" }, resources: ["secrets"] } })]), []);
    });

    test("refuses a cluster without encryptionConfig, without \"secrets\", without a key, or with an AWS-managed key", async () => {
        const violations = await runPolicy(eksSecretsEncryption, [eksCluster({ encryptionConfig: undefined })]);
        assert.deepEqual(messages(violations), [
            `EKS cluster "monitoring" does not encrypt Kubernetes Secrets (encryptionConfig.resources lacks "secrets")${why}`,
            `EKS cluster "monitoring" names no KMS key (encryptionConfig.provider.keyArn)${why}`,
        ]);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::aws:eks/cluster:Cluster::monitoring");
        assert.deepEqual(await found(eksSecretsEncryption, [eksCluster({ encryptionConfig: { provider: { keyArn }, resources: [] } })]), [`EKS cluster "monitoring" does not encrypt Kubernetes Secrets (encryptionConfig.resources lacks "secrets")${why}`]);
        assert.deepEqual(await found(eksSecretsEncryption, [eksCluster({ encryptionConfig: { resources: ["secrets"] } })]), [`EKS cluster "monitoring" names no KMS key (encryptionConfig.provider.keyArn)${why}`]);
        const managed = "arn:aws:kms:us-east-1:123456789012:alias/aws/eks";
        assert.deepEqual(await found(eksSecretsEncryption, [eksCluster({ encryptionConfig: { provider: { keyArn: managed }, resources: ["secrets"] } })]), [`EKS cluster "monitoring" encrypts with the AWS-managed key ${managed}, not a customer-managed one${why}`]);
    });
});

describe("keel-eks-control-plane-logs", () => {
    const refusal = (missing: string, given: string[]) => `EKS cluster "monitoring" does not log ${missing} from its control plane (enabledClusterLogTypes ${JSON.stringify(given)}): audit and authentication trails are how an intrusion is found (EKS best practices, "Enable audit logs"; CKV_AWS_37)`;

    test("passes every log type, and by default api, audit and authenticator alone", async () => {
        assert.deepEqual(await found(eksControlPlaneLogs, [eksCluster()], production), []);
        assert.deepEqual(await found(eksControlPlaneLogs, [eksCluster({ enabledClusterLogTypes: ["api", "audit", "authenticator"] })]), []);
    });

    test("refuses a cluster without logs, or without audit logs", async () => {
        const violations = await runPolicy(eksControlPlaneLogs, [eksCluster({ enabledClusterLogTypes: undefined })]);
        assert.deepEqual(messages(violations), [refusal("api, audit, authenticator", [])]);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::aws:eks/cluster:Cluster::monitoring");
        assert.deepEqual(await found(eksControlPlaneLogs, [eksCluster({ enabledClusterLogTypes: ["api", "authenticator"] })]), [refusal("audit", ["api", "authenticator"])]);
        assert.deepEqual(await found(eksControlPlaneLogs, [eksCluster({ enabledClusterLogTypes: ["API", "Audit", "authenticator"] })]), [refusal("api, audit", ["API", "Audit", "authenticator"])]);
    });

    test("production requires all five log types", async () => {
        const partial = ["api", "audit", "authenticator"];
        assert.deepEqual(await found(eksControlPlaneLogs, [eksCluster({ enabledClusterLogTypes: partial })], production), [refusal("controllerManager, scheduler", partial)]);
        assert.deepEqual(await found(eksControlPlaneLogs, [eksCluster({ enabledClusterLogTypes: partial })], staging), []);
    });
});

describe("keel-eks-node-ssh", () => {
    const refusal = 'EKS node group "monitoring-general" allows SSH (remoteAccess with key ops) without sourceSecurityGroupIds: EKS then opens port 22 to 0.0.0.0/0 (EKS best practices, "Minimize access to worker nodes": use SSM; CKV_AWS_100)';

    test("passes node groups without remote access, or restricted to source security groups", async () => {
        assert.deepEqual(await found(eksNodeRemoteAccess, [nodeGroup(), nodeGroup({ remoteAccess: { ec2SshKey: "ops", sourceSecurityGroupIds: ["sg-0123456789abcdef0"] } })]), []);
        assert.deepEqual(await found(eksNodeRemoteAccess, [nodeGroup({ remoteAccess: { ec2SshKey: "ops", sourceSecurityGroupIds: "[unknown]" } })]), []);
    });

    test("refuses SSH access without a source restriction, as an object or a one-element list", async () => {
        const violations = await runPolicy(eksNodeRemoteAccess, [nodeGroup({ remoteAccess: { ec2SshKey: "ops" } })]);
        assert.deepEqual(messages(violations), [refusal]);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::aws:eks/nodeGroup:NodeGroup::monitoring-general");
        assert.deepEqual(await found(eksNodeRemoteAccess, [nodeGroup({ remoteAccess: [{ ec2SshKey: "ops", sourceSecurityGroupIds: [] }] })]), [refusal]);
    });
});
