import { Network } from "../components/network";
import type { KeelConfig } from "./config";
import type { RegionalProviders } from "./providers";

export interface RegionalNetworks {
    readonly primary: Network;
    readonly dr?: Network;
}

/** A VPC in the primary region and, where the environment has one, in the DR region. */
export function regionalNetworks(config: KeelConfig, providers: RegionalProviders): RegionalNetworks {
    const { network } = config;
    const build = (role: "primary" | "dr", cidrBlock: string, provider: RegionalProviders["primary"]) =>
        new Network(role, {
            cidrBlock,
            availabilityZoneCount: network.availabilityZones,
            natGateways: network.natGateways,
            flowLogRetentionInDays: network.flowLogRetentionDays,
        }, { provider });
    return {
        primary: build("primary", network.primaryCidr, providers.primary),
        ...(providers.dr !== undefined ? { dr: build("dr", network.drCidr, providers.dr) } : {}),
    };
}

/** What a stack exports about a network. */
export function networkOutputs(network: Network) {
    return {
        region: network.region,
        vpcId: network.vpcId,
        availabilityZones: network.availabilityZones,
        publicSubnetIds: network.publicSubnetIds,
        privateSubnetIds: network.privateSubnetIds,
        databaseSubnetIds: network.databaseSubnetIds,
    };
}
