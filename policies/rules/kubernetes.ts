import type { PolicyResource } from "@pulumi/policy";
import { containersOf, entries, helmValuesFindings, isHelmRelease, isMasked, known, manifestsOf, podSpecOf } from "./kubernetes-manifests";
import { resourcePolicy, setting, stackPolicy } from "./policy";
import { object } from "./props";

/** Kubernetes, Helm and EKS rules (Checkov CKV_K8S_11/13/14/43, CKV_AWS_37/38/39/58/100, kube-score, Trivy KSV011/015/016/018). */

const hpaType = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";
const pdbType = "kubernetes:policy/v1:PodDisruptionBudget";

/** The containers of every pod a resource runs (workloads, CronJobs, Pods, ConfigGroup manifests), with their owner's kind and name. */
function workloadContainers(type: string, name: string, props: Record<string, unknown>) {
    return manifestsOf(type, name, props).flatMap((manifest) => {
        const pod = podSpecOf(manifest);
        return pod === undefined ? [] : containersOf(pod.spec).map((c) => ({ ...c, manifest, partial: pod.partial }));
    });
}

/** Tags that move: a branch, a channel or a distribution name, never one build. */
const movingTags = new Set(["latest", "stable", "main", "master", "edge", "nightly", "dev", "develop", "canary", "head", "current", "mainline", "unstable", "testing", "snapshot", "release"]);

/** A tag that names one version: not a moving tag, and with a version number in it. */
export const isVersionTag = (tag: string) => !movingTags.has(tag.toLowerCase()) && /\d/.test(tag);

/** An image pinned to a version tag or a digest, never `:latest`, a moving tag or untagged. */
export function isPinnedImage(image: string): boolean {
    // A digest, or a bare image id (`sha256:<hex>`, what a docker container records from its RemoteImage).
    if (/@sha256:[0-9a-f]{64}$/i.test(image.trim()) || /^sha256:[0-9a-f]{64}$/.test(image)) return true;
    const tag = image.slice(image.lastIndexOf("/") + 1).split(":")[1];
    return tag !== undefined && isVersionTag(tag.trim());
}

export const containerResources = resourcePolicy({
    name: "keel-k8s-requests-and-limits",
    description: "Every container of a workload, CronJob, Job or Pod sets CPU and memory requests and a memory limit (requests for scheduling and HPA, a limit against noisy neighbours).",
    check: function* (resource) {
        for (const { container, partial } of workloadContainers(resource.type, resource.name, resource.props)) {
            if (partial || isMasked(container.resources)) continue;
            const resources = object(container.resources);
            const missing = [
                ...["cpu", "memory"].filter((r) => object(resources.requests)[r] === undefined).map((r) => `${r} request`),
                ...(object(resources.limits).memory === undefined ? ["memory limit"] : []),
            ];
            if (missing.length > 0) yield `container "${String(container.name)}" of ${resource.name} has no ${missing.join(", ")}`;
        }
    },
});

/** Why a chart's `image` value (a reference, or `{ registry, repository, tag, digest }`) runs an unpinned image, or undefined. */
export function unpinnedImageValue(value: unknown): string | undefined {
    if (typeof value === "string") return value === "" || isMasked(value) || isPinnedImage(value) ? undefined : `"${value}"`;
    const image = object(value);
    const digest = image.digest ?? image.sha;
    if (typeof digest === "string" && digest !== "") return undefined;
    const tag = image.tag;
    if (typeof tag === "string" && tag !== "" && !isMasked(tag)) return isVersionTag(tag.trim()) ? undefined : `tag "${tag}"`;
    // No tag: the chart's appVersion applies, unless the repository carries a tag of its own.
    const repository = image.repository;
    if (typeof repository === "string" && /:[^/]*$/.test(repository) && !isPinnedImage(repository)) return `repository "${repository}"`;
    return undefined;
}

/** The unpinned images a chart's values set: `image` values (and `…Image` ones) anywhere, and `tag`/`imageTag` values that move. */
export function unpinnedValuesImages(values: unknown): string[] {
    const found: string[] = [];
    for (const { path, key, value, parentKey } of entries(values)) {
        if (/image$/i.test(key)) {
            const why = unpinnedImageValue(value);
            if (why !== undefined) found.push(`${path} is ${why}`);
        } else if (/^(image)?tag$/i.test(key) && !/image$/i.test(parentKey) && typeof value === "string" && movingTags.has(value.trim().toLowerCase())) {
            found.push(`${path} is "${value}"`);
        }
    }
    return found;
}

export const pinnedImages = resourcePolicy({
    name: "keel-k8s-pinned-images",
    description: "Container images are pinned to a version or digest, never `:latest`, a moving tag or untagged: in workloads, CronJobs, Jobs, Pods, ConfigGroup manifests, docker containers and the image values of Helm releases.",
    check: function* (resource) {
        if (isHelmRelease(resource.type)) {
            for (const found of helmValuesFindings(resource.props, unpinnedValuesImages)) yield `Helm release "${resource.name}" runs an unpinned image: ${found} (pin a version tag or a digest; an empty tag keeps the chart's appVersion)`;
            return;
        }
        const docker = resource.type.startsWith("docker:") ? object(known(resource.props)) : {};
        const images = resource.type === "docker:index/container:Container" ? [String(docker.image ?? "")]
            : resource.type === "docker:index/remoteImage:RemoteImage" ? [String(docker.name ?? "")]
            : workloadContainers(resource.type, resource.name, resource.props).filter((c) => !(c.partial && c.container.image === undefined)).map((c) => String(c.container.image ?? ""));
        for (const image of images) if (!isMasked(image) && !isPinnedImage(image)) yield `${resource.name} runs the unpinned image "${image}"`;
    },
});

export const pinnedCharts = resourcePolicy({
    name: "keel-helm-pinned-charts",
    description: "Helm releases pin an exact chart version.",
    types: ["kubernetes:helm.sh/v3:Release"],
    check: function* (release) {
        const version = release.props.version;
        if (typeof version !== "string" || !/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)) yield `Helm release "${release.name}" (chart ${String(release.props.chart)}) has no exact chart version (${String(version ?? "unset")})`;
    },
});

export const hpaBounds = resourcePolicy({
    name: "keel-k8s-hpa-bounds",
    description: "Horizontal Pod Autoscalers keep at least the environment's minimum replicas (production 2) and a maximum of at least the minimum.",
    types: [hpaType],
    config: { minReplicas: setting.integer(1) },
    check: function* (hpa, { minReplicas: required }) {
        const spec = object(hpa.props.spec);
        const min = typeof spec.minReplicas === "number" ? spec.minReplicas : 1;
        const max = typeof spec.maxReplicas === "number" ? spec.maxReplicas : 0;
        if (min < required) yield `HorizontalPodAutoscaler "${hpa.name}" allows ${min} replica(s); at least ${required} required`;
        if (max < min) yield `HorizontalPodAutoscaler "${hpa.name}" has maxReplicas ${max} below minReplicas ${min}`;
    },
});

const labelsMatch = (selector: Record<string, unknown>, labels: Record<string, unknown>) =>
    Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const namespaceOf = (r: PolicyResource) => String(object(r.props.metadata).namespace ?? "default");

export const disruptionBudgets = stackPolicy({
    name: "keel-k8s-disruption-budgets",
    description: "Replicated workloads (more than one replica, or autoscaled) have a PodDisruptionBudget selecting their pods.",
    check: function* ({ resources }) {
        const budgets = resources.filter((r) => r.type === pdbType);
        const hpas = resources.filter((r) => r.type === hpaType);
        for (const workload of resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment" || r.type === "kubernetes:apps/v1:StatefulSet")) {
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
            if (!covered) yield [`${workload.type.split(":").pop()} "${name}" is replicated but no PodDisruptionBudget selects its pods`, workload.urn];
        }
    },
});

// ---- EKS control plane and nodes ----

const eksClusterType = "aws:eks/cluster:Cluster";
const nodeGroupType = "aws:eks/nodeGroup:NodeGroup";
/** Some blocks are objects in the AWS provider v7 and were one-element lists before. */
const block = (v: unknown) => object(Array.isArray(v) ? v[0] : v);

/** The prefix length of a CIDR (a bare address is a host); undefined when it is not one. */
function prefixLength(cidr: string): number | undefined {
    const [, prefix] = cidr.trim().split("/");
    if (prefix === undefined) return cidr.includes(":") ? 128 : 32;
    return /^\d+$/.test(prefix) ? Number(prefix) : undefined;
}

interface EndpointSettings {
    readonly minimumIpv4PrefixLength: number;
    readonly minimumIpv6PrefixLength: number;
}

/** Why a cluster's public endpoint is open too widely, or undefined (private, unknown, or restricted). */
export function publicEndpointProblem(vpcConfig: Record<string, unknown>, settings: EndpointSettings): string | undefined {
    const publicAccess = vpcConfig.endpointPublicAccess;
    // EKS makes the endpoint public unless told otherwise.
    if (publicAccess === false || publicAccess === "false" || isMasked(publicAccess)) return undefined;
    const cidrs = vpcConfig.publicAccessCidrs;
    if (isMasked(cidrs)) return undefined;
    if (!Array.isArray(cidrs) || cidrs.length === 0) return "is public and open to 0.0.0.0/0 (publicAccessCidrs empty: EKS's default)";
    const wide = cidrs.filter((c): c is string => typeof c === "string" && !isMasked(c)).filter((c) => {
        const length = prefixLength(c);
        const minimum = c.includes(":") ? settings.minimumIpv6PrefixLength : settings.minimumIpv4PrefixLength;
        return length === undefined || length < minimum;
    });
    return wide.length > 0 ? `is public and open to ${wide.join(", ")}, wider than /${settings.minimumIpv4PrefixLength} (IPv4) or /${settings.minimumIpv6PrefixLength} (IPv6)` : undefined;
}

export const eksEndpointAccess = resourcePolicy({
    name: "keel-eks-endpoint-access",
    description: "An EKS cluster's API endpoint is private, or public only to the deployers' own CIDRs: never 0.0.0.0/0, ::/0, an empty publicAccessCidrs (EKS then admits every address) or a range wider than the configured prefix.",
    types: [eksClusterType],
    config: { minimumIpv4PrefixLength: setting.integer(16), minimumIpv6PrefixLength: setting.integer(48) },
    check: function* (cluster, settings) {
        const problem = publicEndpointProblem(block(object(known(cluster.props)).vpcConfig), settings);
        if (problem !== undefined) yield `EKS cluster "${cluster.name}" API endpoint ${problem}: set endpointPublicAccess false, or publicAccessCidrs to the deployers' addresses (EKS best practices, "Make the EKS Cluster Endpoint private"; CKV_AWS_38/39)`;
    },
});

export const eksSecretsEncryption = resourcePolicy({
    name: "keel-eks-secrets-encryption",
    description: "An EKS cluster envelope-encrypts Kubernetes Secrets with a customer-managed KMS key (encryptionConfig resources [\"secrets\"] and a key ARN, not an alias/aws/* key).",
    types: [eksClusterType],
    check: function* (cluster) {
        const raw = object(known(cluster.props)).encryptionConfig;
        if (isMasked(raw)) return;
        const config = block(raw);
        const resources = config.resources;
        const keyArn = object(config.provider).keyArn;
        const problems = [
            ...(isMasked(resources) || (Array.isArray(resources) && resources.includes("secrets")) ? [] : ["does not encrypt Kubernetes Secrets (encryptionConfig.resources lacks \"secrets\")"]),
            ...(isMasked(keyArn) || (typeof keyArn === "string" && keyArn !== "") ? [] : ["names no KMS key (encryptionConfig.provider.keyArn)"]),
            ...(typeof keyArn === "string" && /:alias\/aws\//.test(keyArn) ? [`encrypts with the AWS-managed key ${keyArn}, not a customer-managed one`] : []),
        ];
        for (const problem of problems) yield `EKS cluster "${cluster.name}" ${problem}: envelope-encrypt Secrets with a customer-managed KMS key (EKS best practices, "Encrypt Kubernetes secrets with KMS"; CKV_AWS_58)`;
    },
});

export const eksControlPlaneLogs = resourcePolicy({
    name: "keel-eks-control-plane-logs",
    description: "An EKS cluster sends the control-plane logs an investigation needs to CloudWatch: api, audit and authenticator at least (production: all five).",
    types: [eksClusterType],
    config: { requiredLogTypes: setting.strings(["api", "audit", "authenticator"]) },
    check: function* (cluster, { requiredLogTypes }) {
        const enabled = object(known(cluster.props)).enabledClusterLogTypes;
        if (isMasked(enabled)) return;
        const given = Array.isArray(enabled) ? enabled : [];
        if (given.some(isMasked)) return;
        const missing = requiredLogTypes.filter((t) => !given.includes(t));
        if (missing.length > 0) yield `EKS cluster "${cluster.name}" does not log ${missing.join(", ")} from its control plane (enabledClusterLogTypes ${JSON.stringify(given)}): audit and authentication trails are how an intrusion is found (EKS best practices, "Enable audit logs"; CKV_AWS_37)`;
    },
});

export const eksNodeRemoteAccess = resourcePolicy({
    name: "keel-eks-node-ssh",
    description: "EKS managed node groups give no SSH access from anywhere: remoteAccess (an EC2 key pair) is allowed only with sourceSecurityGroupIds; without them EKS opens port 22 to 0.0.0.0/0.",
    types: [nodeGroupType],
    check: function* (nodeGroup) {
        const raw = object(known(nodeGroup.props)).remoteAccess;
        if (raw === undefined || raw === null || isMasked(raw)) return;
        const remote = block(raw);
        if (Object.keys(remote).length === 0) return;
        const sources = remote.sourceSecurityGroupIds;
        if (isMasked(sources) || (Array.isArray(sources) && sources.length > 0)) return;
        yield `EKS node group "${nodeGroup.name}" allows SSH (remoteAccess${typeof remote.ec2SshKey === "string" ? ` with key ${remote.ec2SshKey}` : ""}) without sourceSecurityGroupIds: EKS then opens port 22 to 0.0.0.0/0 (EKS best practices, "Minimize access to worker nodes": use SSM; CKV_AWS_100)`;
    },
});

export const kubernetesPolicies = [containerResources, pinnedImages, pinnedCharts, hpaBounds, disruptionBudgets, eksEndpointAccess, eksSecretsEncryption, eksControlPlaneLogs, eksNodeRemoteAccess];
