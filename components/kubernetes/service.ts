import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { containerImageProblems } from "../container-image";
import { problem, requireNoProblems, type Problem } from "../problems";
import { publicOutputs } from "../outputs";

/** CPU and memory of one container, in Kubernetes quantities. */
export interface ContainerResources {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu?: string; readonly memory: string };
}

/** The guides' application container: requests 250m / 256Mi, limits 500m / 512Mi. */
export const guideResources: ContainerResources = {
    requests: { cpu: "250m", memory: "256Mi" },
    limits: { cpu: "500m", memory: "512Mi" },
};

/**
 * The HorizontalPodAutoscaler's bounds and targets. Utilization is relative to the pods'
 * requests. The guides' 300 s scale-up cooldown is already the controller's CPU
 * initialization period (new pods' CPU samples are ignored for their first 5 minutes).
 */
export interface PodAutoscaling {
    /** Default 2 (the guides: never fewer than two). */
    readonly minReplicas: number;
    /** Default 10. */
    readonly maxReplicas: number;
    /** Default 70. */
    readonly cpuTargetPercent: number;
    /** Default 80. */
    readonly memoryTargetPercent: number;
    /** Seconds the highest recommendation of the window is kept before scaling down. Default 600 (the guides' scale-down cooldown). */
    readonly scaleDownStabilizationSeconds: number;
    /** At most this many pods, or this percentage of the current count (whichever is more), added per minute. Default 4 pods / 100 %. */
    readonly scaleUpPodsPerMinute: number;
    readonly scaleUpPercentPerMinute: number;
}

export const guideAutoscaling: PodAutoscaling = {
    minReplicas: 2,
    maxReplicas: 10,
    cpuTargetPercent: 70,
    memoryTargetPercent: 80,
    scaleDownStabilizationSeconds: 600,
    scaleUpPodsPerMinute: 4,
    scaleUpPercentPerMinute: 100,
};

export interface KubeServiceArgs {
    /** A pinned image: `repo@sha256:<digest>` or `repo:<version>` (never `latest`, never untagged). */
    readonly image: string;
    /** Default `default`. */
    readonly namespace?: pulumi.Input<string>;
    /** Port the container listens on. Default 3000 (the guides' APP_PORT). */
    readonly containerPort?: number;
    /** Port of the Service. Default 80. */
    readonly servicePort?: number;
    /** Readiness and liveness path. Default `/health`. */
    readonly healthPath?: string;
    /** Default: the guides' requests and limits. */
    readonly resources?: ContainerResources;
    /** Default: the guides' (2–10 pods, CPU 70 %, memory 80 %, 600 s scale-down stabilization). */
    readonly autoscaling?: PodAutoscaling;
    readonly env?: Readonly<Record<string, pulumi.Input<string>>>;
}

/** Problems with a pod autoscaler's bounds and targets, at KubeService's `autoscaling` paths; the messages leave the values to `given`. */
export function autoscalingProblems(a: PodAutoscaling): Problem[] {
    const whole = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;
    const at = (key: keyof PodAutoscaling, message: string) => problem(["autoscaling", key], message);
    return [
        ...(whole(a.minReplicas, 1, 1000) ? [] : [at("minReplicas", "expected a whole number from 1 to 1000")]),
        ...(whole(a.maxReplicas, 1, 1000) ? [] : [at("maxReplicas", "expected a whole number from 1 to 1000")]),
        ...(a.minReplicas > a.maxReplicas ? [at("minReplicas", `expected at most maxReplicas (${a.maxReplicas})`)] : []),
        ...(whole(a.cpuTargetPercent, 1, 100) ? [] : [at("cpuTargetPercent", "expected a whole number from 1 to 100")]),
        ...(whole(a.memoryTargetPercent, 1, 100) ? [] : [at("memoryTargetPercent", "expected a whole number from 1 to 100")]),
        ...(whole(a.scaleDownStabilizationSeconds, 0, 3600) ? [] : [at("scaleDownStabilizationSeconds", "expected a whole number from 0 to 3600 (Kubernetes caps stabilization windows at one hour)")]),
        ...(whole(a.scaleUpPodsPerMinute, 1, 1000) ? [] : [at("scaleUpPodsPerMinute", "expected a whole number from 1 to 1000")]),
        ...(whole(a.scaleUpPercentPerMinute, 1, 1000) ? [] : [at("scaleUpPercentPerMinute", "expected a whole number from 1 to 1000")]),
    ];
}

/** Problems with a Service or container port at `path`. */
function portProblems(port: number, path: string): Problem[] {
    return Number.isInteger(port) && port >= 1 && port <= 65_535 ? [] : [problem(path, "expected a TCP port (1–65535)")];
}

/**
 * An application on Kubernetes, given a `k8s.Provider` (`{ provider }`): a Deployment (pinned
 * image, requests and limits, readiness and liveness probes, spread across zones and nodes,
 * locked-down security context, rolling updates that never drop below the desired count), a
 * ClusterIP Service, an `autoscaling/v2` HorizontalPodAutoscaler that owns the replica count,
 * and a PodDisruptionBudget so node drains take one pod at a time.
 */
export class KubeService extends pulumi.ComponentResource {
    public readonly deploymentName: pulumi.Output<string>;
    public readonly serviceName: pulumi.Output<string>;
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: KubeServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        const autoscaling = args.autoscaling ?? guideAutoscaling;
        const containerPort = args.containerPort ?? 3000;
        const servicePort = args.servicePort ?? 80;
        requireNoProblems(`KubeService ${name}`, [
            ...containerImageProblems(args.image),
            ...portProblems(containerPort, "containerPort"),
            ...portProblems(servicePort, "servicePort"),
            ...autoscalingProblems(autoscaling),
        ], { ...args, autoscaling, containerPort, servicePort });
        super("keel:kubernetes:KubeService", name, args, opts);
        const defaults = { parent: this };
        const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "pulumi" };
        const selector = { "app.kubernetes.io/name": name };
        const metadata = { namespace: args.namespace ?? "default", labels };
        const resources = args.resources ?? guideResources;
        const probe = (periodSeconds: number, failureThreshold: number) => ({
            httpGet: { path: args.healthPath ?? "/health", port: "http" },
            periodSeconds,
            timeoutSeconds: 2,
            failureThreshold,
        });
        const spread = (topologyKey: string) => ({ maxSkew: 1, topologyKey, whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } });

        const deployment = new k8s.apps.v1.Deployment(name, {
            metadata,
            spec: {
                // No `replicas`: the HorizontalPodAutoscaler owns the count, and a value here would
                // reset it on every update.
                selector: { matchLabels: selector },
                strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
                template: {
                    metadata: { labels },
                    spec: {
                        automountServiceAccountToken: false,
                        securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
                        // A zone or a node going away takes as few pods as possible with it.
                        topologySpreadConstraints: [spread("topology.kubernetes.io/zone"), spread("kubernetes.io/hostname")],
                        containers: [{
                            name,
                            image: args.image,
                            ports: [{ name: "http", containerPort, protocol: "TCP" }],
                            env: Object.entries(args.env ?? {}).map(([envName, value]) => ({ name: envName, value })),
                            resources: {
                                requests: { ...resources.requests },
                                limits: { memory: resources.limits.memory, ...(resources.limits.cpu !== undefined ? { cpu: resources.limits.cpu } : {}) },
                            },
                            // Out of the Service after 3 failed checks 10 s apart; restarted after 3 failures 20 s apart.
                            readinessProbe: probe(10, 3),
                            livenessProbe: { ...probe(20, 3), initialDelaySeconds: 15 },
                            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                        }],
                    },
                },
            },
        }, defaults);

        const service = new k8s.core.v1.Service(name, {
            metadata,
            spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: servicePort, targetPort: "http", protocol: "TCP" }] },
        }, defaults);

        const utilization = (resource: "cpu" | "memory", averageUtilization: number) => ({
            type: "Resource",
            resource: { name: resource, target: { type: "Utilization", averageUtilization } },
        });
        new k8s.autoscaling.v2.HorizontalPodAutoscaler(name, {
            metadata,
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
                minReplicas: autoscaling.minReplicas,
                maxReplicas: autoscaling.maxReplicas,
                metrics: [utilization("cpu", autoscaling.cpuTargetPercent), utilization("memory", autoscaling.memoryTargetPercent)],
                behavior: {
                    scaleUp: {
                        stabilizationWindowSeconds: 0,
                        selectPolicy: "Max",
                        policies: [
                            { type: "Pods", value: autoscaling.scaleUpPodsPerMinute, periodSeconds: 60 },
                            { type: "Percent", value: autoscaling.scaleUpPercentPerMinute, periodSeconds: 60 },
                        ],
                    },
                    scaleDown: {
                        stabilizationWindowSeconds: autoscaling.scaleDownStabilizationSeconds,
                        selectPolicy: "Min",
                        policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
                    },
                },
            },
        }, defaults);

        new k8s.policy.v1.PodDisruptionBudget(name, {
            metadata,
            spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
        }, defaults);

        this.deploymentName = deployment.metadata.name;
        this.serviceName = service.metadata.name;
        this.namespace = deployment.metadata.namespace;
        this.registerOutputs(publicOutputs(this));
    }
}
