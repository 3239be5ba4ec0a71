import { backups } from "./backup";
import { caches } from "./cache";
import { costAlerts } from "./cost";
import type { KeelConfig } from "./config";
import { databases } from "./database";
import { databaseDumpJob, kubernetesMonitoring, monitoringCluster, monitoringSources } from "./kubernetes";
import { drRegionWatch } from "./monitoring";
import { networkOutputs, peerRegions, regionalNetworks } from "./network";
import { regionalProviders } from "./providers";
import { traffic } from "./traffic";

/**
 * An AWS environment: networks, the database, the cache (where `keel:cache.enabled`), backups (where `keel:backup.enabled`), the
 * autoscaled service and its DNS, monitoring on Kubernetes (where `keel:kubernetes.enabled`) and
 * the budget alerts.
 * The monitoring cluster comes first: the database and the instances admit its scrapes (in the
 * DR region over the peering of the two VPCs). The DR region also watches itself (CloudWatch
 * alarms that page without the primary region). What differs between environments is
 * configuration and the environment's switches (stacks/environments.ts).
 */
export function awsEnvironment(config: KeelConfig) {
    const providers = regionalProviders(config);
    const networks = regionalNetworks(config, providers);
    const cluster = monitoringCluster(config, providers, networks);
    peerRegions(config, providers, networks);
    const scrapers = monitoringSources(config, cluster, networks);
    const database = databases(config, providers, networks, {
        clientSecurityGroupIds: { primary: scrapers?.primary.securityGroupIds ?? [] },
        clientCidrBlocks: { dr: scrapers?.dr?.cidrBlocks ?? [] },
    });
    const cache = caches(config, providers, networks, {
        alarmTopicArns: database.exports.alarmTopicArns,
        warningTopicArns: database.exports.warningTopicArns,
        clientSecurityGroupIds: { primary: scrapers?.primary.securityGroupIds ?? [] },
        clientCidrBlocks: { primary: [], dr: scrapers?.dr?.cidrBlocks ?? [] },
    });
    const backup = backups(config, providers);
    const served = traffic(config, providers, networks, {
        databases: database.access,
        warningTopicArn: database.exports.warningTopicArns.apply((arns) => arns.primary),
        ...(cache ? { caches: cache.access } : {}),
        ...(backup ? { serverAccessLogBuckets: backup.accessLogBucketNames } : {}),
        ...(scrapers ? { metricsScrapers: scrapers } : {}),
    });
    const drWatch = drRegionWatch(config, providers, served.services.dr, database.monitoring);
    const monitoring = cluster && kubernetesMonitoring(config, providers, cluster, {
        database: database.monitoring,
        ...(cache ? { cache: cache.monitoring } : {}),
        ...(backup ? { serverAccessLogBuckets: backup.accessLogBucketNames } : {}),
    });
    // The logical backups beside the snapshots (keel:backup.enabled requires the cluster they run on).
    const dumps = cluster && backup?.dumpsBucket && databaseDumpJob(config, providers, cluster, backup.dumpsBucket, database.monitoring);
    const cost = costAlerts(config, providers);
    return {
        environment: config.environment,
        drActive: config.dr.active,
        network: {
            primary: networkOutputs(networks.primary),
            ...(networks.dr !== undefined ? { dr: networkOutputs(networks.dr) } : {}),
        },
        database: database.exports,
        ...(cache ? { cache: cache.exports } : {}),
        ...(backup ? { backup: { ...backup.exports, ...(dumps ? { databaseDumps: dumps } : {}) } } : {}),
        traffic: served.exports,
        ...(drWatch ? { drWatch: { topicArn: drWatch.topicArn, alarmNames: drWatch.alarmNames } } : {}),
        ...(monitoring ? { monitoring } : {}),
        cost: { budgetName: cost.budgetName, ...(cost.anomalyMonitorArn ? { anomalyMonitorArn: cost.anomalyMonitorArn } : {}) },
    };
}
