import type { KeelConfig } from "./config";
import { networkOutputs, regionalNetworks } from "./network";
import { regionalProviders } from "./providers";

/** staging: one region, production-like tiers at smaller sizes (ops guides: weekly backups, 7-day retention). */
export default function staging(config: KeelConfig) {
    const networks = regionalNetworks(config, regionalProviders(config));
    return { environment: config.environment, network: { primary: networkOutputs(networks.primary) } };
}
