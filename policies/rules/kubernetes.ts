import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { list, object } from "./props";

/** Kubernetes and Helm rules (Checkov CKV_K8S_11/13/14/43, kube-score, Trivy KSV011/015/016/018). */

const workloadTypes = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet"];
const hpaType = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";
const pdbType = "kubernetes:policy/v1:PodDisruptionBudget";

const podSpec = (props: Record<string, unknown>) => object(object(object(props.spec).template).spec);
const containersOf = (props: Record<string, unknown>) => [...list(podSpec(props).initContainers), ...list(podSpec(props).containers)];

/** An image pinned to a version tag or a digest, never `:latest` or untagged. */
export function isPinnedImage(image: string): boolean {
    // A digest, or a bare image id (`sha256:<hex>`, what a docker container records from its RemoteImage).
    if (image.includes("@sha256:") || /^sha256:[0-9a-f]{64}$/.test(image)) return true;
    const tag = image.slice(image.lastIndexOf("/") + 1).split(":")[1];
    return tag !== undefined && tag !== "" && tag !== "latest";
}

export const containerResources: ResourceValidationPolicy = {
    name: "keel-k8s-requests-and-limits",
    description: "Every container sets CPU and memory requests and a memory limit (requests for scheduling and HPA, a limit against noisy neighbours).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { enabled: { type: "boolean", default: true } } },
    validateResource: (args, reportViolation) => {
        if (args.getConfig<{ enabled?: boolean }>().enabled === false) return;
        if (!workloadTypes.includes(args.type)) return;
        for (const container of containersOf(args.props)) {
            const resources = object(container.resources);
            const missing = [
                ...["cpu", "memory"].filter((r) => object(resources.requests)[r] === undefined).map((r) => `${r} request`),
                ...(object(resources.limits).memory === undefined ? ["memory limit"] : []),
            ];
            if (missing.length > 0) reportViolation(`container "${String(container.name)}" of ${args.name} has no ${missing.join(", ")}`);
        }
    },
};

export const pinnedImages: ResourceValidationPolicy = {
    name: "keel-k8s-pinned-images",
    description: "Container images are pinned to a version or digest, never `:latest` or untagged.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { enabled: { type: "boolean", default: true } } },
    validateResource: (args, reportViolation) => {
        if (args.getConfig<{ enabled?: boolean }>().enabled === false) return;
        const images = workloadTypes.includes(args.type)
            ? containersOf(args.props).map((c) => String(c.image ?? ""))
            : args.type === "docker:index/container:Container" ? [String(args.props.image ?? "")]
            : args.type === "docker:index/remoteImage:RemoteImage" ? [String(args.props.name ?? "")] : [];
        for (const image of images) if (!isPinnedImage(image)) reportViolation(`${args.name} runs the unpinned image "${image}"`);
    },
};

export const pinnedCharts: ResourceValidationPolicy = {
    name: "keel-helm-pinned-charts",
    description: "Helm releases pin an exact chart version.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { enabled: { type: "boolean", default: true } } },
    validateResource: (args, reportViolation) => {
        if (args.getConfig<{ enabled?: boolean }>().enabled === false) return;
        if (args.type !== "kubernetes:helm.sh/v3:Release") return;
        const version = args.props.version;
        if (typeof version !== "string" || !/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)) reportViolation(`Helm release "${args.name}" (chart ${String(args.props.chart)}) has no exact chart version (${String(version ?? "unset")})`);
    },
};

export const hpaBounds: ResourceValidationPolicy = {
    name: "keel-k8s-hpa-bounds",
    description: "Horizontal Pod Autoscalers keep at least the environment's minimum replicas (production 2) and a maximum of at least the minimum.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { minReplicas: { type: "integer", default: 1 } } },
    validateResource: (args, reportViolation) => {
        if (args.type !== hpaType) return;
        const { minReplicas: required = 1 } = args.getConfig<{ minReplicas?: number }>();
        const spec = object(args.props.spec);
        const min = typeof spec.minReplicas === "number" ? spec.minReplicas : 1;
        const max = typeof spec.maxReplicas === "number" ? spec.maxReplicas : 0;
        if (min < required) reportViolation(`HorizontalPodAutoscaler "${args.name}" allows ${min} replica(s); at least ${required} required`);
        if (max < min) reportViolation(`HorizontalPodAutoscaler "${args.name}" has maxReplicas ${max} below minReplicas ${min}`);
    },
};

const labelsMatch = (selector: Record<string, unknown>, labels: Record<string, unknown>) =>
    Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const namespaceOf = (r: PolicyResource) => String(object(r.props.metadata).namespace ?? "default");

export const disruptionBudgets: StackValidationPolicy = {
    name: "keel-k8s-disruption-budgets",
    description: "Replicated workloads (more than one replica, or autoscaled) have a PodDisruptionBudget selecting their pods.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { enabled: { type: "boolean", default: true } } },
    validateStack: (args, reportViolation) => {
        if (args.getConfig<{ enabled?: boolean }>().enabled === false) return;
        const budgets = args.resources.filter((r) => r.type === pdbType);
        const hpas = args.resources.filter((r) => r.type === hpaType);
        for (const workload of args.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment" || r.type === "kubernetes:apps/v1:StatefulSet")) {
            const name = String(object(workload.props.metadata).name ?? workload.name);
            const kind = workload.type.split(":").pop();
            // The HPA names the workload, or depends on it: an auto-named workload's name is an output of it.
            const autoscaled = hpas.some((h) => {
                const target = object(object(h.props.spec).scaleTargetRef);
                return target.kind === kind && namespaceOf(h) === namespaceOf(workload) && (target.name === name || h.dependencies.some((d) => d.urn === workload.urn));
            });
            const replicas = object(workload.props.spec).replicas;
            if (!autoscaled && !(typeof replicas === "number" && replicas > 1)) continue;
            const podLabels = object(object(object(object(workload.props.spec).template).metadata).labels);
            const covered = budgets.some((b) => namespaceOf(b) === namespaceOf(workload) && labelsMatch(object(object(object(b.props.spec).selector).matchLabels), podLabels));
            if (!covered) reportViolation(`${workload.type.split(":").pop()} "${name}" is replicated but no PodDisruptionBudget selects its pods`, workload.urn);
        }
    },
};

export const kubernetesPolicies = [containerResources, pinnedImages, pinnedCharts, hpaBounds, disruptionBudgets];
