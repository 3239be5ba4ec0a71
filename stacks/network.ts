import { Network, VpcPeering } from "../components/network";
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

/**
 * Inter-region peering where the monitoring cluster (primary region) watches the DR region:
 * its nodes' private subnets reach the DR region's instances (private tier) and database
 * replica (database tier), and those tiers route their answers back.
 */
export function peerRegions(config: KeelConfig, providers: RegionalProviders, networks: RegionalNetworks): VpcPeering | undefined {
    const { dr } = networks;
    if (!config.kubernetes.enabled || dr === undefined || providers.dr === undefined || config.regions.dr === undefined) return undefined;
    return new VpcPeering("primary-to-dr", {
        requester: { vpcId: networks.primary.vpcId, cidrBlock: config.network.primaryCidr, routeTableIds: networks.primary.routeTableIds.private },
        accepter: {
            vpcId: dr.vpcId,
            cidrBlock: config.network.drCidr,
            routeTableIds: [...dr.routeTableIds.private, dr.routeTableIds.database],
            region: config.regions.dr,
            provider: providers.dr,
        },
    }, { provider: providers.primary });
}
