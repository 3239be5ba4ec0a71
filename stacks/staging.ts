import { backups, stagingBackupBuckets } from "./backup";
import type { KeelConfig } from "./config";
import { networkOutputs, regionalNetworks } from "./network";
import { regionalProviders } from "./providers";

/** staging: one region, production-like tiers at smaller sizes (ops guides: weekly backups, 7-day retention). */
export default function staging(config: KeelConfig) {
    const providers = regionalProviders(config);
    const networks = regionalNetworks(config, providers);
    return {
        environment: config.environment,
        network: { primary: networkOutputs(networks.primary) },
        backup: backups(config, providers, stagingBackupBuckets),
    };
}
