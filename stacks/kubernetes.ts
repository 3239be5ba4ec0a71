import * as pulumi from "@pulumi/pulumi";
import { DatabaseDumpJob } from "../components/backup";
import { Cluster, type NodeGroupSpec } from "../components/kubernetes/cluster";
import { postgresImage, postgresPort } from "../components/database";
import type { PostgresExporterTarget, RedisExporterTarget } from "../components/monitoring";
import { KubernetesMonitoring } from "../components/monitoring/kubernetes";
import type { DumpsBucket } from "./backup";
import type { DatabaseMonitoringTargets } from "./database";
import type { KeelConfig } from "./config";
import { switchesOf } from "./environments";
import { kubernetesPushgateway, monitoringSpec, postgresExporterNames, redisExporterNames } from "./monitoring";
import type { CacheMonitoringTargets } from "./cache";
import type { RegionalNetworks } from "./network";
import { databaseDumpsBucket } from "./presets";
import { siteValue, statefulOptions, type RegionalProviders, type Site } from "./providers";
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
        [alerting?.heartbeat?.urlFile, "heartbeatUrl"],
    ];
    return Object.fromEntries(wanted.filter(([path]) => path !== undefined).map(([path, key]) => [path, secrets.requireSecret(key)]));
}

/**
 * The EKS cluster of an environment with monitoring on Kubernetes, in the primary region's
 * private subnets (or an existing cluster from `kubernetes:existingKubeconfig`).
 */
export function monitoringCluster(config: KeelConfig, providers: RegionalProviders, networks: RegionalNetworks): Cluster | undefined {
    if (!config.kubernetes.enabled) return undefined;
    const settings = config.kubernetes;
    const kubeconfig = existingKubeconfig();
    const tags = standardTags(config);
    return new Cluster("monitoring", kubeconfig !== undefined
        ? { existing: { kubeconfig }, tags }
        : {
            managed: {
                subnetIds: networks.primary.privateSubnetIds,
                version: settings.version,
                // A private endpoint with no deployer CIDRs admits a runner anywhere in the primary VPC.
                deployerAccess: {
                    endpoint: settings.deployerAccess,
                    cidrs: settings.deployerCidrs.length > 0 || settings.deployerAccess === "public" ? settings.deployerCidrs : [config.network.primaryCidr],
                },
                nodeGroups: [{
                    name: "general",
                    instanceTypes: settings.nodeInstanceTypes,
                    minSize: settings.nodeMinSize,
                    maxSize: settings.nodeMaxSize,
                } satisfies NodeGroupSpec],
                logRetentionDays: config.monitoring.logRetentionDays,
            },
            tags,
        }, { provider: providers.primary, ...statefulOptions(config) });
}

/**
 * Where Prometheus's scrapes come from, as each region's security groups see them: the
 * cluster's security group in its own region, its nodes' subnets (over the peering) in the
 * DR region. Undefined for a cluster Keel did not create (admit its nodes yourself).
 */
export function monitoringSources(config: KeelConfig, cluster: Cluster | undefined, networks: RegionalNetworks) {
    if (cluster === undefined || existingKubeconfig() !== undefined) return undefined;
    const group = cluster.securityGroupId.apply((id) => {
        if (id === undefined) throw new Error("the monitoring cluster has no security group");
        return id;
    });
    return {
        primary: { securityGroupIds: [group] },
        ...(networks.dr !== undefined && config.regions.dr !== undefined ? { dr: { cidrBlocks: networks.primary.privateSubnetCidrBlocks } } : {}),
    };
}

/** One exporter per region's cache: the writer and the Global Datastore secondary. */
export function redisExporters(targets: CacheMonitoringTargets): RedisExporterTarget[] {
    const exporter = (name: string, site: Site): RedisExporterTarget => ({
        name,
        host: siteValue(targets.endpoints, site, `the cache has no ${site} endpoint to export`),
        port: targets.port,
        authToken: targets.authToken,
    });
    return [exporter(redisExporterNames.primary, "primary"), ...(targets.hasDr ? [exporter(redisExporterNames.dr, "dr")] : [])];
}

/** The exporters of the environment's database: the writer's stable name and, with a DR replica, the replica's. */
export function postgresExporters(targets: DatabaseMonitoringTargets): PostgresExporterTarget[] {
    // RDS enforces TLS (rds.force_ssl).
    const exporter = (name: string, host: pulumi.Output<string>): PostgresExporterTarget => ({ name, host, port: postgresPort, database: targets.databaseName, sslmode: "require", credentials: targets.credentials });
    return [
        exporter(postgresExporterNames.writer, targets.writerEndpoint),
        ...(targets.replicaEndpoint !== undefined ? [exporter(postgresExporterNames.replica, targets.replicaEndpoint)] : []),
    ];
}

export interface KubernetesMonitoringOptions {
    /** stacks/backup.ts's access-log buckets per region: Loki's bucket logs there and, with a DR region, replicates to it. */
    readonly serverAccessLogBuckets?: { readonly primary: pulumi.Input<string>; readonly dr?: pulumi.Input<string> };
    /** The database's exporter targets (stacks/database.ts). */
    readonly database?: DatabaseMonitoringTargets;
    /** The cache's endpoints per region and its token (stacks/cache.ts's `monitoring`). */
    readonly cache?: CacheMonitoringTargets;
    /** Alertmanager's credential files; default: secret config `alertmanager:<key>`. */
    readonly secrets?: Record<string, pulumi.Output<string>>;
}

/**
 * The monitoring stack on the cluster, as the environment's switches have it: highly available
 * with simple scalable Loki on S3 (production), or single replicas and monolithic Loki (staging).
 */
export function kubernetesMonitoring(config: KeelConfig, providers: RegionalProviders, cluster: Cluster, options: KubernetesMonitoringOptions = {}) {
    const tags = standardTags(config);
    const { highAvailability, lokiMode } = switchesOf(config).monitoring;
    const logs = options.serverAccessLogBuckets;
    const monitoring = new KubernetesMonitoring("monitoring", {
        spec: monitoringSpec(config),
        highAvailability,
        lokiMode,
        ...(cluster.oidc ? { oidc: cluster.oidc } : {}),
        alertmanagerSecretFiles: options.secrets ?? alertmanagerSecrets(config),
        ...(options.database ? { postgresExporters: postgresExporters(options.database) } : {}),
        ...(options.cache ? { redisExporters: redisExporters(options.cache) } : {}),
        ...(logs
            ? {
                lokiBucket: {
                    accessLogs: { bucket: logs.primary },
                    ...(providers.dr && logs.dr !== undefined
                        ? { replication: { provider: providers.dr, accessLogs: { bucket: logs.dr } } }
                        : {}),
                },
            }
            : {}),
        tags,
    }, { providers: [providers.primary, cluster.provider], ...statefulOptions(config) });
    return {
        clusterName: cluster.clusterName,
        clusterEndpoint: cluster.endpoint,
        kubeconfig: cluster.kubeconfig,
        namespace: monitoring.namespace,
        grafanaAdminPassword: monitoring.grafanaAdminPassword,
        lokiBucketName: monitoring.lokiBucketName,
    };
}

/**
 * The database dump job on the environment's cluster (keel:backup.enabled requires one): it
 * dumps the writer's stable name, so in DR mode it dumps the promoted DR database.
 */
export function databaseDumpJob(config: KeelConfig, providers: RegionalProviders, cluster: Cluster, dumps: DumpsBucket, database: DatabaseMonitoringTargets) {
    if (cluster.oidc === undefined) {
        throw new Error("the database dump job needs the cluster's OIDC provider for its IAM role (give kubernetes:existingKubeconfig's cluster an OIDC provider)");
    }
    const job = new DatabaseDumpJob("database-dumps", {
        oidc: cluster.oidc,
        bucket: dumps,
        region: config.regions.primary,
        cadence: dumps.cadence,
        database: { host: database.writerEndpoint, port: postgresPort, name: database.databaseName, credentials: database.credentials },
        postgresImage: postgresImage(config.database.engineVersion),
        pushgateway: kubernetesPushgateway,
        backupName: databaseDumpsBucket,
        scratchGb: config.database.allocatedStorageGb,
        tags: standardTags(config),
    }, { providers: [providers.primary, cluster.provider] });
    return { namespace: job.namespace, cronJob: job.cronJobName, schedule: job.schedule, roleArn: job.roleArn };
}
