import { backups, stagingBackupBuckets } from "./backup";
import type { KeelConfig } from "./config";
import { databases } from "./database";
import { kubernetesMonitoring } from "./kubernetes";
import { networkOutputs, regionalNetworks } from "./network";
import { regionalProviders } from "./providers";
import { traffic } from "./traffic";

/** staging: one region, production-like tiers at smaller sizes (ops guides: weekly backups, 7-day retention). */
export default function staging(config: KeelConfig) {
    const providers = regionalProviders(config);
    const networks = regionalNetworks(config, providers);
    const database = databases(config, providers, networks);
    const backup = backups(config, providers, stagingBackupBuckets);
    return {
        environment: config.environment,
        network: { primary: networkOutputs(networks.primary) },
        database: database.exports,
        backup: backup?.exports,
        traffic: traffic(config, providers, networks, {
            databases: database.access,
            ...(backup ? { serverAccessLogBuckets: backup.accessLogBucketNames } : {}),
        }),
        monitoring: kubernetesMonitoring(config, providers, networks, backup?.accessLogBucketNames),
    };
}
