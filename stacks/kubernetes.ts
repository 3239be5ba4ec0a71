import * as pulumi from "@pulumi/pulumi";
import { Cluster, type NodeGroupSpec } from "../components/kubernetes/cluster";
import { KubernetesMonitoring } from "../components/monitoring/kubernetes";
import type { KeelConfig } from "./config";
import { lokiMode, monitoringSpec } from "./monitoring";
import type { RegionalNetworks } from "./network";
import { statefulOptions, type RegionalProviders } from "./providers";
import { standardTags } from "./tags";

/** An existing cluster instead of creating one: its kubeconfig, secret config `kubernetes:existingKubeconfig`. */
function existingKubeconfig(): pulumi.Output<string> | undefined {
    return new pulumi.Config("kubernetes").getSecret("existingKubeconfig");
}

/** Alertmanager's credentials, secret config `alertmanager:<key>`, for each file the environment's receivers read. */
export function alertmanagerSecrets(config: KeelConfig): Record<string, pulumi.Output<string>> {
    const alerting = monitoringSpec(config).alerting;
    const secrets = new pulumi.Config("alertmanager");
    const wanted: [string | undefined, string][] = [
        [alerting?.pagerduty?.routingKeyFile, "pagerdutyRoutingKey"],
        [alerting?.slack?.apiUrlFile, "slackWebhookUrl"],
        [alerting?.email?.passwordFile, "smtpPassword"],
    ];
    return Object.fromEntries(wanted.filter(([path]) => path !== undefined).map(([path, key]) => [path, secrets.requireSecret(key)]));
}

/**
 * Staging and production's monitoring on Kubernetes: an EKS cluster in the primary region
 * (or an existing one), and the monitoring stack on it — highly available, simple scalable
 * Loki on S3 in production; single replicas and monolithic Loki in staging.
 */
export function kubernetesMonitoring(
    config: KeelConfig,
    providers: RegionalProviders,
    networks: RegionalNetworks,
    /** stacks/backup.ts's access-log buckets per region: Loki's bucket logs there and, with a DR region, replicates to it. */
    serverAccessLogBuckets?: { readonly primary: pulumi.Input<string>; readonly dr?: pulumi.Input<string> },
    secrets: Record<string, pulumi.Output<string>> = alertmanagerSecrets(config),
) {
    if (!config.kubernetes.enabled) return undefined;
    const settings = { ...config.kubernetes, existingKubeconfig: existingKubeconfig() };
    const tags = standardTags(config);
    const stateful = statefulOptions(config);
    const production = config.environment === "production";
    const cluster = new Cluster("monitoring", settings.existingKubeconfig !== undefined
        ? { existing: { kubeconfig: settings.existingKubeconfig }, tags }
        : {
            managed: {
                subnetIds: networks.primary.privateSubnetIds,
                version: settings.version,
                endpointPublicAccess: settings.endpointPublicAccess,
                publicAccessCidrs: settings.publicAccessCidrs,
                nodeGroups: [{
                    name: "general",
                    instanceTypes: settings.nodeInstanceTypes,
                    minSize: settings.nodeMinSize,
                    maxSize: settings.nodeMaxSize,
                } satisfies NodeGroupSpec],
                logRetentionDays: config.monitoring.logRetentionDays,
            },
            tags,
        }, { provider: providers.primary, ...stateful });
    const monitoring = new KubernetesMonitoring("monitoring", {
        spec: monitoringSpec(config),
        highAvailability: production,
        lokiMode: lokiMode(config),
        ...(cluster.oidc ? { oidc: cluster.oidc } : {}),
        alertmanagerSecretFiles: secrets,
        ...(serverAccessLogBuckets
            ? {
                lokiBucket: {
                    accessLogs: { bucket: serverAccessLogBuckets.primary },
                    ...(providers.dr && serverAccessLogBuckets.dr !== undefined
                        ? { replication: { provider: providers.dr, accessLogs: { bucket: serverAccessLogBuckets.dr } } }
                        : {}),
                },
            }
            : {}),
        tags,
    }, { providers: [providers.primary, cluster.provider], ...stateful });
    return {
        clusterName: cluster.clusterName,
        clusterEndpoint: cluster.endpoint,
        kubeconfig: cluster.kubeconfig,
        namespace: monitoring.namespace,
        grafanaAdminPassword: monitoring.grafanaAdminPassword,
        lokiBucketName: monitoring.lokiBucketName,
    };
}
