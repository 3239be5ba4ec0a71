import type * as pulumi from "@pulumi/pulumi";
import { cachePort, ReplicatedCache } from "../components/cache";
import { cacheSettings, type KeelConfig } from "./config";
import type { RegionalNetworks } from "./network";
import { siteValue, statefulOptions, type RegionalProviders } from "./providers";
import { standardTags } from "./tags";

type PerSite<T> = { readonly primary: T; readonly dr?: T };

export interface CacheOptions {
    /** The database's alarm topics of each region (critical pages, warning reaches the team): the cache's alarms notify the same people. */
    readonly alarmTopicArns: pulumi.Output<PerSite<string>>;
    readonly warningTopicArns: pulumi.Output<PerSite<string>>;
    /** Security groups admitted to the cache per region besides the application's (the monitoring cluster's). */
    readonly clientSecurityGroupIds?: PerSite<readonly pulumi.Input<string>[]>;
    /** Networks admitted per region (a peered VPC's subnets: security groups do not cross regions). */
    readonly clientCidrBlocks?: PerSite<readonly string[]>;
}

/** What the application tier needs to reach the cache in one region: its security group, port and connection secret. */
export interface CacheAccess {
    readonly securityGroupId: pulumi.Output<string>;
    readonly port: number;
    readonly secretArn: pulumi.Output<string>;
    readonly kmsKeyArn: pulumi.Output<string>;
}

/** Where an in-cluster exporter connects in each region, with the token (a Pulumi secret). */
export interface CacheMonitoringTargets {
    readonly endpoints: pulumi.Output<{ primary: string; dr?: string }>;
    readonly port: number;
    readonly authToken: pulumi.Output<string>;
    readonly hasDr: boolean;
}

/**
 * The cache of an AWS environment where `keel:cache.enabled`: a ReplicatedCache in the primary
 * region's database subnets and, with `keel:cache.replicaInDr`, its Global Datastore secondary in
 * the DR region. In DR mode the DR failover has promoted the secondary (scripts/dr), and the DR
 * region's application, which always reads its own region's cache, writes to it.
 */
export function caches(config: KeelConfig, providers: RegionalProviders, networks: RegionalNetworks, options: CacheOptions) {
    const { cache, environment } = config;
    if (!cache.enabled) return undefined;
    const drSite = cache.replicaInDr && providers.dr && networks.dr ? { provider: providers.dr, network: networks.dr } : undefined;
    if (cache.replicaInDr && drSite === undefined) throw new Error("keel:cache.replicaInDr needs the DR region's provider and network");
    const topics = (site: "primary" | "dr") => ({
        critical: siteValue(options.alarmTopicArns, site, `the database has no ${site} alarm topic`),
        warning: siteValue(options.warningTopicArns, site, `the database has no ${site} warning topic`),
    });
    const site = (role: "primary" | "dr", provider: RegionalProviders["primary"], network: RegionalNetworks["primary"]) => ({
        provider,
        vpcId: network.vpcId,
        subnetIds: network.databaseSubnetIds,
        clientSecurityGroupIds: options.clientSecurityGroupIds?.[role] ?? [],
        clientCidrBlocks: options.clientCidrBlocks?.[role] ?? [],
        alarmTopicArns: topics(role),
    });
    const replicated = new ReplicatedCache("cache", {
        replicationGroupId: `keel-${environment}-cache`,
        ...cacheSettings(cache),
        primary: site("primary", providers.primary, networks.primary),
        ...(drSite ? { dr: site("dr", drSite.provider, drSite.network) } : {}),
        drActive: drSite !== undefined && config.dr.active,
        tags: standardTags(config),
    }, statefulOptions(config));

    const accessIn = (role: "primary" | "dr"): CacheAccess => ({
        securityGroupId: siteValue(replicated.securityGroupIds, role, `the cache has no ${role} security group`),
        port: cachePort,
        secretArn: siteValue(replicated.secretArns, role, `the cache has no ${role} connection secret`),
        kmsKeyArn: siteValue(replicated.kmsKeyArns, role, `the cache has no ${role} key`),
    });
    const access: PerSite<CacheAccess> = { primary: accessIn("primary"), ...(drSite ? { dr: accessIn("dr") } : {}) };
    const exports = {
        engine: cache.engine,
        replicationGroupIds: replicated.replicationGroupIds,
        endpoints: replicated.endpoints,
        port: replicated.port,
        secretArns: replicated.secretArns,
        writerSite: replicated.writerSite,
        // What the DR failover script fails over (the provider cannot): the Global Datastore and each region's group.
        ...(drSite ? { globalDatastoreId: replicated.globalDatastoreId, regions: { primary: config.regions.primary, dr: config.regions.dr } } : {}),
    };
    const monitoring: CacheMonitoringTargets = { endpoints: replicated.endpoints, port: cachePort, authToken: replicated.authToken, hasDr: drSite !== undefined };
    return { access, exports, monitoring };
}
