import { backups, productionBackupBuckets } from "./backup";
import type { KeelConfig } from "./config";
import { databases } from "./database";
import { kubernetesMonitoring } from "./kubernetes";
import { networkOutputs, regionalNetworks } from "./network";
import { regionalProviders } from "./providers";
import { traffic } from "./traffic";

/**
 * production: active-passive across the primary (us-east-1) and DR (us-west-2) regions,
 * a NAT gateway per zone, 90-day flow logs (ops guides: RTO 15 min, RPO 5 min, 99.99 %).
 */
export default function production(config: KeelConfig) {
    const providers = regionalProviders(config);
    const networks = regionalNetworks(config, providers);
    const database = databases(config, providers, networks);
    const backup = backups(config, providers, productionBackupBuckets);
    return {
        environment: config.environment,
        drActive: config.dr.active,
        network: {
            primary: networkOutputs(networks.primary),
            ...(networks.dr !== undefined ? { dr: networkOutputs(networks.dr) } : {}),
        },
        database: database.exports,
        backup: backup?.exports,
        traffic: traffic(config, providers, networks, {
            databases: database.access,
            ...(backup ? { serverAccessLogBuckets: backup.accessLogBucketNames } : {}),
        }),
        monitoring: kubernetesMonitoring(config, providers, networks, backup?.accessLogBucketNames),
    };
}
