import { backups, type BackupBucketSpec } from "./backup";
import type { KeelConfig } from "./config";
import { databases } from "./database";
import { kubernetesMonitoring } from "./kubernetes";
import { networkOutputs, regionalNetworks } from "./network";
import { regionalProviders } from "./providers";
import { traffic } from "./traffic";

/**
 * An AWS environment: networks, the database, backups (where `keel:backup.enabled`), the
 * autoscaled service and its DNS, and monitoring on Kubernetes (where `keel:kubernetes.enabled`).
 * What differs between environments is configuration, plus the backup buckets each keeps.
 */
export function awsEnvironment(config: KeelConfig, backupBuckets: readonly BackupBucketSpec[]) {
    const providers = regionalProviders(config);
    const networks = regionalNetworks(config, providers);
    const database = databases(config, providers, networks);
    const backup = backups(config, providers, backupBuckets);
    return {
        environment: config.environment,
        drActive: config.dr.active,
        network: {
            primary: networkOutputs(networks.primary),
            ...(networks.dr !== undefined ? { dr: networkOutputs(networks.dr) } : {}),
        },
        database: database.exports,
        ...(backup ? { backup: backup.exports } : {}),
        traffic: traffic(config, providers, networks, {
            databases: database.access,
            ...(backup ? { serverAccessLogBuckets: backup.accessLogBucketNames } : {}),
        }),
        ...(config.kubernetes.enabled ? { monitoring: kubernetesMonitoring(config, providers, networks, backup?.accessLogBucketNames) } : {}),
    };
}
