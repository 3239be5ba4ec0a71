import type { KeelConfig } from "./config";
import { networkOutputs, regionalNetworks } from "./network";
import { regionalProviders } from "./providers";

/** dev: one region, one NAT gateway, short retention (ops guides: "basic health checks, no backups"). */
export default function dev(config: KeelConfig) {
    const networks = regionalNetworks(config, regionalProviders(config));
    return { environment: config.environment, network: { primary: networkOutputs(networks.primary) } };
}
