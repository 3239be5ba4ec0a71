import * as pulumi from "@pulumi/pulumi";
import { AlbLogBucket, AutoscaledService, FailoverDns, HostedZone, type AutoscaledServiceArgs, type Capacity, type ServiceApplication } from "../components/traffic";
import * as aws from "@pulumi/aws";
import type { CacheAccess } from "./cache";
import { edgeAliases, edgeDistribution, edgeOrigins, originNames } from "./edge";
import { regionCapacity, type KeelConfig } from "./config";
import type { RegionalNetworks } from "./network";
import { statefulOptions, type RegionalProviders } from "./providers";
import { standardTags } from "./tags";

/**
 * Logical names of the ALB access-log buckets. They are SSE-S3 (ELB log delivery supports no
 * other encryption); the policy pack's `keel-s3-kms-encryption` exempts their component type
 * (`keel:traffic:AlbLogBucket`, `exemptComponentTypes`), never a bucket name another bucket could take.
 */
export const albLogBucketNames = { primary: "alb-logs", dr: "alb-logs-dr" } as const;

/** A database the instances reach in one region, and the credentials secret (or its replica) there. */
export type TrafficDatabase = NonNullable<AutoscaledServiceArgs["database"]> & {
    /** The credentials secret in this region: the application reads it at start (DATABASE_URL, PG*). */
    readonly secretArn?: pulumi.Input<string>;
};

export interface TrafficOptions {
    /** Databases the instances may reach, per region (the database's security group, port and credentials secret: stacks/database.ts's `access`). */
    readonly databases?: { readonly primary?: TrafficDatabase; readonly dr?: TrafficDatabase };
    /**
     * S3 server access-log buckets (the backups' LogBuckets) per region, where the ALB log
     * buckets log their own access (`keel-s3-access-logging` requires it of every bucket).
     */
    readonly serverAccessLogBuckets?: { readonly primary?: pulumi.Input<string>; readonly dr?: pulumi.Input<string> };
    /** The primary region's warning topic (the database's): the edge's rate-limit alarm notifies it. */
    readonly warningTopicArn?: pulumi.Input<string>;
    /** The cache per region (stacks/cache.ts's `access`): each region's application reads its own region's. */
    readonly caches?: { readonly primary?: CacheAccess; readonly dr?: CacheAccess };
    /** Who scrapes the instances' metrics in each region (stacks/kubernetes.ts's monitoring sources). */
    readonly metricsScrapers?: { readonly primary?: AutoscaledServiceArgs["metricsScrapers"]; readonly dr?: AutoscaledServiceArgs["metricsScrapers"] };
}

/** The application of one region: `keel:compute.image` or `.amiId` (one value, or the region's entry), its environment, its database and cache secrets. */
export function regionApplication(config: KeelConfig, region: string, database?: TrafficDatabase, cache?: CacheAccess): ServiceApplication {
    const { image, amiId, environment } = config.compute;
    const pick = (value: string | Record<string, string> | undefined) => (typeof value === "string" ? value : value?.[region]);
    const chosen = { image: pick(image), amiId: pick(amiId) };
    return {
        ...(chosen.image !== undefined ? { image: chosen.image } : {}),
        ...(chosen.amiId !== undefined ? { amiId: chosen.amiId } : {}),
        ...(environment !== undefined ? { environment } : {}),
        // Keel's database secrets are encrypted with the database's customer-managed key.
        ...(database?.secretArn !== undefined ? { databaseSecret: { arn: database.secretArn, customerManagedKey: true } } : {}),
        ...(cache ? { cacheSecret: { arn: cache.secretArn, customerManagedKey: true, kmsKeyArn: cache.kmsKeyArn } } : {}),
    };
}

/**
 * The traffic half of an environment: the hosted zone, an AutoscaledService in the primary
 * region and — where the environment has a DR region with capacity — one in the DR region,
 * and DNS: a simple record, or PRIMARY/SECONDARY failover with the manual switch.
 */
export function traffic(config: KeelConfig, providers: RegionalProviders, networks: RegionalNetworks, options: TrafficOptions = {}) {
    const { dns, compute } = config;
    if (dns.mode === "none") {
        throw new Error("traffic: keel:dns.mode is none, but the HTTPS listener needs a certificate validated in a hosted zone (set simple or failover)");
    }
    const settings = config.traffic;
    const stateful = statefulOptions(config);
    const capacity = regionCapacity(config);
    const drRegionName = config.regions.dr;
    const drRegion = providers.dr !== undefined && networks.dr !== undefined && drRegionName !== undefined && capacity.dr.maxSize > 0
        ? { provider: providers.dr, network: networks.dr, region: drRegionName }
        : undefined;
    if (dns.mode === "failover" && drRegion === undefined) {
        throw new Error("traffic: keel:dns.mode failover needs a service in the DR region (keel:regions.dr and keel:compute.drMaxSize > 0)");
    }

    const zone = new HostedZone("dns", {
        domain: dns.domain,
        ...(dns.zoneId !== undefined ? { zoneId: dns.zoneId } : {}),
        ...(dns.parentZoneId !== undefined ? { parentZoneId: dns.parentZoneId } : {}),
    }, { provider: providers.primary, ...stateful });
    const logBucket = (name: string, provider: RegionalProviders["primary"], serverAccessLogs?: pulumi.Input<string>) =>
        settings.accessLogs
            ? new AlbLogBucket(name, {
                  expireAfterDays: config.monitoring.logRetentionDays,
                  ...(serverAccessLogs !== undefined ? { serverAccessLogs: { bucket: serverAccessLogs } } : {}),
              }, { provider, ...stateful })
            : undefined;

    const storeArgs = (database?: TrafficDatabase, cache?: CacheAccess) => ({
        ...(database ? { database: { securityGroupId: database.securityGroupId, port: database.port } } : {}),
        ...(cache ? { cache: { securityGroupId: cache.securityGroupId, port: cache.port } } : {}),
    });
    const service = (name: string, provider: RegionalProviders["primary"], network: RegionalNetworks["primary"], regionCapacity: Capacity, application: ServiceApplication, extra: Partial<AutoscaledServiceArgs>) =>
        new AutoscaledService(name, {
            vpcId: network.vpcId,
            publicSubnetIds: network.publicSubnetIds,
            privateSubnetIds: network.privateSubnetIds,
            instanceType: compute.instanceType,
            ...regionCapacity,
            scaling: {
                cpuTargetPercent: compute.cpuTargetPercent,
                memoryTargetPercent: compute.memoryTargetPercent,
                instanceWarmupSeconds: compute.instanceWarmupSeconds,
                scaleInCooldownSeconds: compute.scaleInCooldownSeconds,
                ...(settings.requestsPerTarget !== undefined ? { requestsPerTarget: settings.requestsPerTarget } : {}),
            },
            certificate: { domainName: dns.domain, zoneId: zone.zoneId },
            application,
            appPort: settings.appPort,
            healthCheckPath: settings.healthCheckPath,
            amiParameter: settings.amiParameter,
            rootVolumeGb: settings.rootVolumeGb,
            deletionProtection: settings.deletionProtection,
            ...(settings.spot ? { spot: settings.spot } : {}),
            tags: standardTags(config),
            ...extra,
        }, { provider });

    const edge = edgeOrigins(config);
    const primaryLogs = logBucket(albLogBucketNames.primary, providers.primary, options.serverAccessLogBuckets?.primary);
    const primary = service("app", providers.primary, networks.primary, capacity.primary, regionApplication(config, config.regions.primary, options.databases?.primary, options.caches?.primary), {
        ...(primaryLogs ? { accessLogs: primaryLogs } : {}),
        ...(edge ? { edgeOnly: edge.accessIn(providers.primary, config.regions.primary) } : {}),
        ...storeArgs(options.databases?.primary, options.caches?.primary),
        ...(options.metricsScrapers?.primary ? { metricsScrapers: options.metricsScrapers.primary } : {}),
    });
    const drLogs = drRegion && logBucket(albLogBucketNames.dr, drRegion.provider, options.serverAccessLogBuckets?.dr);
    const dr = drRegion && service("app-dr", drRegion.provider, drRegion.network, capacity.dr, regionApplication(config, drRegion.region, options.databases?.dr, options.caches?.dr), {
        // The primary region's service wrote the validation record; ACM accepts it in every region.
        certificate: { domainName: dns.domain, zoneId: zone.zoneId, validationRecordFqdns: primary.certificateValidationFqdns },
        ...(drLogs ? { accessLogs: drLogs } : {}),
        ...(edge ? { edgeOnly: edge.accessIn(drRegion.provider, drRegion.region) } : {}),
        ...storeArgs(options.databases?.dr, options.caches?.dr),
        ...(options.metricsScrapers?.dr ? { metricsScrapers: options.metricsScrapers.dr } : {}),
    });

    // The distribution first: the failover records then leave the service's name to its alias at once.
    const distribution = edge && edgeDistribution(config, {
        zoneId: zone.zoneId,
        validationRecordFqdns: primary.certificateValidationFqdns,
        originVerifySecret: edge.secret,
        hasDrOrigin: dr !== undefined,
        primaryProvider: providers.primary,
        ...(options.warningTopicArn !== undefined ? { warningTopicArn: options.warningTopicArn } : {}),
    });
    // Behind the edge the failover pair answers the origin name CloudFront connects to; the service's name is the distribution's.
    const origins = originNames(dns.domain);
    const records = new FailoverDns("app", {
        zoneId: zone.zoneId,
        domain: edge ? origins.primary : dns.domain,
        primary: { dnsName: primary.loadBalancerDnsName, zoneId: primary.loadBalancerZoneId },
        ...(dns.mode === "failover" && dr && drRegion
            ? {
                  secondary: { dnsName: dr.loadBalancerDnsName, zoneId: dr.loadBalancerZoneId, provider: drRegion.provider },
                  healthCheck: { requestIntervalSeconds: dns.healthCheckIntervalSeconds, failureThreshold: dns.healthCheckFailureThreshold },
              }
            : {}),
    }, { provider: providers.primary, ...(distribution ? { dependsOn: [distribution] } : {}) });
    if (distribution) edgeAliases(config, zone.zoneId, distribution, providers.primary, [records]);

    // The static paths' second origin: the DR region's load balancer by a name of its own.
    if (edge && dr) new aws.route53.Record("app-origin-dr", {
        zoneId: zone.zoneId,
        name: origins.secondary,
        type: "A",
        aliases: [{ name: dr.loadBalancerDnsName, zoneId: dr.loadBalancerZoneId, evaluateTargetHealth: true }],
    }, { provider: providers.primary });

    const exports = {
        url: distribution ? distribution.url : records.url,
        zoneId: zone.zoneId,
        nameServers: zone.nameServers,
        loadBalancerDnsNames: pulumi.output({ primary: primary.loadBalancerDnsName, dr: dr?.loadBalancerDnsName }),
        autoScalingGroupNames: pulumi.output({ primary: primary.autoScalingGroupName, dr: dr?.autoScalingGroupName }),
        failoverSeconds: records.failoverSeconds,
        failoverSwitch: records.failoverSwitch,
        /** The target groups of each region: behind the edge, how the DR script sees a region's health (its load balancer admits only CloudFront). */
        targetGroupArns: pulumi.output({ primary: primary.targetGroupArn, dr: dr?.targetGroupArn }),
        ...(distribution ? { edge: { distributionId: distribution.distributionId, domainName: distribution.distributionDomainName, webAclArn: distribution.webAclArn, originName: origins.primary } } : {}),
    };
    return { exports, services: { primary, ...(dr ? { dr } : {}) } };
}
