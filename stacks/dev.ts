import type { KeelConfig } from "./config";
import { databases } from "./database";
import { networkOutputs, regionalNetworks } from "./network";
import { regionalProviders } from "./providers";
import { traffic } from "./traffic";

/** dev: one region, one NAT gateway, ASG 1–2, short retention (ops guides: "basic health checks, no backups"). */
export default function dev(config: KeelConfig) {
    const providers = regionalProviders(config);
    const networks = regionalNetworks(config, providers);
    const database = databases(config, providers, networks);
    return {
        environment: config.environment,
        network: { primary: networkOutputs(networks.primary) },
        database: database.exports,
        traffic: traffic(config, providers, networks, { databases: database.access }),
    };
}
