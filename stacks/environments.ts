/**
 * Every environment decision Keel makes by default, from the operations guides
 * (../shared/ops-guides, summarised in DESIGN.md). `Pulumi.<stack>.yaml` holds only what differs.
 */
import type { BackupRuleSpec } from "../components/backup/schedule";
import { databaseDefaults, defaultBackupWindow, defaultMaintenanceWindow, guideAlarmThresholds } from "../components/database/settings";
import { defaultEksVersion } from "../components/kubernetes/versions";
import type { KubernetesMonitoringArgs } from "../components/monitoring/kubernetes";
import type { MonitoringSpec } from "../components/monitoring/render/spec";
import { guideEndpointCheck } from "../components/traffic/failover";
import { guideApplication, guideScaling, ubuntu2204AmiParameter } from "../components/traffic/settings";
import { networkDefaults } from "../components/network/subnets";
import { guideBudgetThresholds } from "../components/cost/settings";
import { cacheDefaults, guideCacheAlarms } from "../components/cache/settings";
import { edgeDefaults, type PriceClass } from "../components/edge/settings";
import { productionBackupBuckets, productionBackupRules, stagingBackupBuckets, stagingBackupRules, type BackupBucketSpec } from "./presets";

/** Floors a stack may not go below, whatever its config says. */
export interface EnvironmentMinimums {
    readonly backupRetentionDays: number;
    readonly logRetentionDays: number;
    readonly computeMinSize: number;
    readonly multiAz: boolean;
    readonly protect: boolean;
    readonly requiresDrRegion: boolean;
    /** The weakest AWS Backup vault lock allowed where backups are enabled. */
    readonly vaultLock: "none" | "governance" | "compliance";
    /** Load balancers keep access logs and deletion protection, and capacity is on-demand. */
    readonly hardenedLoadBalancers: boolean;
    /** Longest DNS failover allowed (health check interval × threshold + TTL). */
    readonly maxFailoverSeconds: number;
    /** At least one address in `keel:monitoring.alarmEmails`: the database and backup alarms must reach someone. */
    readonly requiresAlarmEmails: boolean;
    /** A monthly budget (`keel:cost.monthlyBudgetUsd`) with its alerts: every AWS environment costs money. */
    readonly requiresBudget: boolean;
}

/**
 * What each environment runs that is no configuration key: the stacks read these switches
 * instead of comparing the environment's name.
 */
export interface EnvironmentSwitches {
    /** Where the environment runs: containers on the developer's Docker (stacks/local.ts), or AWS (stacks/aws.ts). */
    readonly platform: "docker" | "aws";
    readonly monitoring: {
        /** Prometheus and Alertmanager with two replicas on distinct nodes (KubernetesMonitoring's `highAvailability`). */
        readonly highAvailability: boolean;
        /** Loki on Kubernetes: one monolithic pod, or simple scalable (read, write and backend on S3). */
        readonly lokiMode: NonNullable<KubernetesMonitoringArgs["lokiMode"]>;
        /** The application's 5xx ratio that warns and, where set, the one that is critical (pages, where `keel:monitoring.paging`). */
        readonly errorRatio: MonitoringSpec["applications"][number]["errorRatio"];
    };
    readonly backup: {
        /** AWS Backup's rules for the database where `keel:backup.enabled` (the vault lock admits exactly their retentions). */
        readonly rules: readonly BackupRuleSpec[];
        /** The S3 backup buckets where `keel:backup.enabled`; the dump job writes the database-dumps one, if any. */
        readonly buckets: readonly BackupBucketSpec[];
    };
}

// Guides: warn above 5 % 5xx; production pages above 1 %.
const warnOnErrors = { warning: 0.05 };
const singleMonitoring = { highAvailability: false, lokiMode: "monolithic", errorRatio: warnOnErrors } as const;

/** What every environment starts from: the guides' figures and the components' own defaults. */
const shared = {
    regions: { primary: "us-east-1" } as { primary: string; dr?: string },
    tags: { service: "keel-app", owner: "platform-team" },
    protect: false,
    network: {
        primaryCidr: networkDefaults.cidrBlock,
        drCidr: "10.1.0.0/16",
        availabilityZones: networkDefaults.availabilityZoneCount,
        natGateways: "single",
        flowLogRetentionDays: 14,
    },
    database: {
        engine: databaseDefaults.engine,
        engineVersion: "15",
        instanceClass: "db.t4g.micro",
        replicaInstanceClass: "db.t4g.micro",
        allocatedStorageGb: databaseDefaults.allocatedStorageGb,
        maxAllocatedStorageGb: 100,
        backupRetentionDays: 1,
        multiAz: false,
        deletionProtection: false,
        replicaInDr: false,
        rpoSeconds: 3600,
        backupWindow: defaultBackupWindow,
        maintenanceWindow: defaultMaintenanceWindow,
        monitoringIntervalSeconds: databaseDefaults.monitoringIntervalSeconds,
        performanceInsightsRetentionDays: databaseDefaults.performanceInsightsRetentionDays,
        logMinDurationMs: databaseDefaults.logMinDurationMs,
        alarms: { ...guideAlarmThresholds },
    },
    // Off where no application runs (local); the AWS environments turn it on.
    cache: {
        enabled: false,
        engine: cacheDefaults.engine,
        engineVersion: cacheDefaults.engineVersion,
        nodeType: "cache.t4g.micro",
        nodes: 1,
        multiAz: false,
        replicaInDr: false,
        snapshotRetentionDays: 1,
        snapshotWindow: cacheDefaults.snapshotWindow,
        maintenanceWindow: cacheDefaults.maintenanceWindow,
        rpoSeconds: 3600,
        alarms: { ...guideCacheAlarms },
    },
    // Dumps start after the Sunday maintenance window (02:00–04:00) and before the AWS Backup rules (06:00, 07:00).
    backup: { enabled: false, schedule: "weekly", copyToDr: false, vaultLock: "none", objectLockDays: 0, restoreTesting: false, dumpTime: "04:30" },
    compute: {
        // Guides: application servers of 4 vCPU / 8 GB (c6i.xlarge); smaller below production.
        instanceType: "t3.small",
        minSize: 1,
        maxSize: 2,
        drMinSize: 0,
        drMaxSize: 0,
        cpuTargetPercent: guideScaling.cpuTargetPercent,
        memoryTargetPercent: guideScaling.memoryTargetPercent,
        instanceWarmupSeconds: guideScaling.instanceWarmupSeconds,
        scaleInCooldownSeconds: guideScaling.scaleInCooldownSeconds,
    },
    traffic: {
        appPort: guideApplication.port,
        healthCheckPath: guideApplication.healthCheckPath,
        accessLogs: false,
        deletionProtection: false,
        amiParameter: ubuntu2204AmiParameter,
        rootVolumeGb: guideApplication.rootVolumeGb,
    } as { appPort: number; healthCheckPath: string; requestsPerTarget?: number; accessLogs: boolean; deletionProtection: boolean; spot?: { alternativeInstanceTypes: string[]; onDemandBaseCapacity: number }; amiParameter: string; rootVolumeGb: number },
    kubernetes: {
        enabled: false,
        version: defaultEksVersion,
        // The API endpoint stays private; a self-hosted runner inside the VPC deploys (docs/kubernetes.md).
        deployerAccess: "private",
        deployerCidrs: [] as string[],
        nodeInstanceTypes: ["t3.large"],
        nodeMinSize: 2,
        nodeMaxSize: 3,
    },
    dns: {
        mode: "simple",
        domain: "app.example.com",
        healthCheckIntervalSeconds: guideEndpointCheck.requestIntervalSeconds,
        healthCheckFailureThreshold: guideEndpointCheck.failureThreshold,
        // Guides: a 60 s TTL.
        ttlSeconds: 60,
    },
    monitoring: {
        level: "basic",
        // Guides: scrape 15 s, applications 5–10 s; Prometheus 15 d / 100 GB.
        scrapeIntervalSeconds: 15,
        applicationScrapeIntervalSeconds: 10,
        retentionDays: 15,
        retentionSizeGb: 100,
        // Guides: logs 90 d in production, security 1 y, debug 14 d; traces 0.1 % for 7 d.
        logRetentionDays: 14,
        securityLogRetentionDays: 365,
        debugLogRetentionDays: 14,
        traceSamplingRate: 0.001,
        traceRetentionDays: 7,
        heartbeat: false,
        alarmEmails: [] as string[],
        paging: false,
    },
    // Guides ("Cost Optimization"): budget alerts and anomaly detection. The budget is the team's figure.
    cost: {
        monthlyBudgetUsd: 0,
        actualAlertPercent: [...guideBudgetThresholds.actualPercent],
        forecastAlertPercent: [...guideBudgetThresholds.forecastPercent],
        anomalyImpactUsd: 0,
    },
    // Guides: CloudFront in front of both regions, WAF against SQL injection and scanners, rate limits
    // and blocking source addresses in an emergency. Off where the service has no public name.
    edge: {
        enabled: false,
        rateLimit: edgeDefaults.rateLimit,
        rateWindowSeconds: edgeDefaults.rateWindowSeconds,
        blockedIpv4Cidrs: [] as string[],
        staticPaths: [...edgeDefaults.staticPaths],
        priceClass: edgeDefaults.priceClass,
    } as { enabled: boolean; rateLimit: number; rateWindowSeconds: 60 | 120 | 300 | 600; blockedIpv4Cidrs: string[]; staticPaths: string[]; priceClass: PriceClass },
    dr: { active: false, primaryDatabase: "original" },
};

type Shared = typeof shared;
type Overrides = { [K in keyof Shared]?: Shared[K] extends object ? Partial<Shared[K]> : Shared[K] };

/**
 * Everything Keel decides for one environment. A new environment is one entry below, its
 * Pulumi.<env>.yaml and its policies/config/<env>.json (tests/new-environment.test.ts adds one).
 */
export interface EnvironmentEntry {
    /** Floors a stack may not go below, whatever its config says. */
    readonly minimums: EnvironmentMinimums;
    /** What it runs that is no configuration key. */
    readonly switches: EnvironmentSwitches;
    /** Its defaults where they differ from `shared`'s; `Pulumi.<env>.yaml` holds only what differs from these. */
    readonly defaults: Overrides;
}

const entries = {
    local: {
        minimums: { backupRetentionDays: 0, logRetentionDays: 1, computeMinSize: 0, multiAz: false, protect: false, requiresDrRegion: false, vaultLock: "none", hardenedLoadBalancers: false, maxFailoverSeconds: 300, requiresAlarmEmails: false, requiresBudget: false },
        // Local runs no AWS Backup: its database is a container pair.
        switches: { platform: "docker", monitoring: singleMonitoring, backup: { rules: [], buckets: [] } },
        defaults: {
            network: { natGateways: "none" },
            dns: { mode: "none" },
            database: { replicaInDr: false, backupRetentionDays: 0 },
            compute: { minSize: 0, maxSize: 1 },
            monitoring: { level: "full", retentionDays: 2, retentionSizeGb: 5, logRetentionDays: 7 },
        },
    },
    // One region, one NAT gateway, ASG 1–2, a small database, no backups (ops guides: "basic health checks, no backups").
    dev: {
        minimums: { backupRetentionDays: 1, logRetentionDays: 1, computeMinSize: 1, multiAz: false, protect: false, requiresDrRegion: false, vaultLock: "none", hardenedLoadBalancers: false, maxFailoverSeconds: 300, requiresAlarmEmails: true, requiresBudget: true },
        // With keel:backup.enabled, staging's rules.
        switches: { platform: "aws", monitoring: singleMonitoring, backup: { rules: stagingBackupRules, buckets: [] } },
        defaults: {
            network: { flowLogRetentionDays: 7 },
            database: { monitoringIntervalSeconds: 0 },
            // One node, a day of snapshots (guides: dev has no backups; a snapshot costs nothing on one node).
            cache: { enabled: true },
            traffic: { rootVolumeGb: 20, spot: { alternativeInstanceTypes: ["t3a.small"], onDemandBaseCapacity: 0 } },
            monitoring: { level: "basic", retentionDays: 7, retentionSizeGb: 20, logRetentionDays: 7 },
        },
    },
    // One region, production-like tiers at smaller sizes (ops guides: weekly backups, 7-day retention).
    staging: {
        // 7-day database backups (guides: "Staging: single-AZ, 7-day backups").
        minimums: { backupRetentionDays: 7, logRetentionDays: 7, computeMinSize: 2, multiAz: false, protect: false, requiresDrRegion: false, vaultLock: "governance", hardenedLoadBalancers: false, maxFailoverSeconds: 300, requiresAlarmEmails: true, requiresBudget: true },
        switches: { platform: "aws", monitoring: singleMonitoring, backup: { rules: stagingBackupRules, buckets: stagingBackupBuckets } },
        defaults: {
            network: { flowLogRetentionDays: 30 },
            database: { instanceClass: "db.m6g.large", replicaInstanceClass: "db.m6g.large", allocatedStorageGb: 100, maxAllocatedStorageGb: 500, backupRetentionDays: 7, deletionProtection: true },
            backup: { enabled: true, schedule: "weekly", vaultLock: "governance" },
            // Production's shape (a primary and a replica in another zone) at a burstable size; 7 days of snapshots.
            cache: { enabled: true, nodeType: "cache.t4g.small", nodes: 2, multiAz: true, snapshotRetentionDays: 7 },
            compute: { instanceType: "c6i.large", minSize: 2, maxSize: 4 },
            // Staging mirrors production's shape; spot above one on-demand instance keeps it cheap.
            traffic: { rootVolumeGb: 50, spot: { alternativeInstanceTypes: ["c6a.large", "c5.large"], onDemandBaseCapacity: 1 } },
            kubernetes: { enabled: true },
            monitoring: { level: "standard", retentionDays: 7, retentionSizeGb: 50, logRetentionDays: 14 },
            // Production's edge, to try WAF rules and the origin lock before production does.
            edge: { enabled: true },
        },
    },
    // Active-passive across the primary (us-east-1) and DR (us-west-2) regions, a NAT gateway per
    // zone, 90-day flow logs (ops guides: RTO 15 min, RPO 5 min, 99.99 %).
    production: {
        // 30-day backups + PITR, Multi-AZ, 90-day logs, 2 app servers minimum, active-passive DR.
        minimums: { backupRetentionDays: 30, logRetentionDays: 90, computeMinSize: 2, multiAz: true, protect: true, requiresDrRegion: true, vaultLock: "compliance", hardenedLoadBalancers: true, maxFailoverSeconds: 90, requiresAlarmEmails: true, requiresBudget: true },
        switches: {
            platform: "aws",
            monitoring: { highAvailability: true, lokiMode: "simple-scalable", errorRatio: { ...warnOnErrors, critical: 0.01 } },
            backup: { rules: productionBackupRules, buckets: productionBackupBuckets },
        },
        defaults: {
            regions: { primary: "us-east-1", dr: "us-west-2" },
            protect: true,
            network: { natGateways: "one-per-az", flowLogRetentionDays: 90 },
            database: {
                // Guides: primary 8 vCPU / 16 GB and replica 4 vCPU / 8 GB, 500 GB SSD, PostgreSQL 15.
                // RDS has no compute-optimised classes for single instances; m6g gives the vCPUs with more memory.
                instanceClass: "db.m6g.2xlarge",
                replicaInstanceClass: "db.m6g.xlarge",
                allocatedStorageGb: 500,
                maxAllocatedStorageGb: 2000,
                // 35, not the guides' 30: AWS Backup's continuous rule (35 days, PITR) takes over the
                // automated backups and RDS refuses a different retention (terraform-provider-aws #33465).
                backupRetentionDays: 35,
                multiAz: true,
                deletionProtection: true,
                replicaInDr: true,
                // Guides: RPO 5 minutes; enhanced monitoring at the 15 s scrape interval.
                rpoSeconds: 300,
                monitoringIntervalSeconds: 15,
            },
            // A primary and two replicas across the zones; the Global Datastore secondary in the DR
            // region (its node types start at large); snapshots kept as long as the database's backups.
            cache: { enabled: true, nodeType: "cache.r7g.large", nodes: 3, multiAz: true, replicaInDr: true, snapshotRetentionDays: 30, rpoSeconds: 300 },
            // Guides: 3-2-1 (an off-site copy in the DR region), weekly restore tests; WORM dumps against ransomware.
            backup: { enabled: true, schedule: "daily", copyToDr: true, vaultLock: "compliance", objectLockDays: 7, restoreTesting: true },
            compute: { instanceType: "c6i.xlarge", minSize: 2, maxSize: 10, drMinSize: 1, drMaxSize: 10 },
            traffic: { accessLogs: true, deletionProtection: true },
            // Three nodes minimum: two Prometheus replicas and Loki's write path on distinct nodes.
            kubernetes: { enabled: true, nodeInstanceTypes: ["m6i.xlarge", "m5.xlarge"], nodeMinSize: 3, nodeMaxSize: 6 },
            dns: { mode: "failover" },
            // Production pages: a dead man's switch watches Alertmanager itself (docs/monitoring.md).
            monitoring: { level: "full", logRetentionDays: 90, heartbeat: true, paging: true },
            // A daily summary of cost anomalies of $100 or more (dev and staging: the budget alerts only).
            cost: { anomalyImpactUsd: 100 },
            edge: { enabled: true },
        },
    },
} satisfies Record<string, EnvironmentEntry>;

export type Environment = keyof typeof entries;
/** The environments, in the order above (the entries are not empty: the tuple z.enum wants). */
export const environments = Object.keys(entries) as [Environment, ...Environment[]];
const environmentEntries: Readonly<Record<Environment, EnvironmentEntry>> = entries;

/** The floors of an environment. */
export function minimumsOf(environment: Environment): EnvironmentMinimums {
    return entries[environment].minimums;
}

/** The switches of a configuration's environment. */
export function switchesOf(config: { readonly environment: Environment }): EnvironmentSwitches {
    return entries[config.environment].switches;
}

/** The full default configuration of an environment (shared defaults with its overrides). */
export function environmentDefaults(environment: Environment): Shared & { environment: Environment } {
    const result: Record<string, unknown> = { environment };
    for (const [key, value] of Object.entries(shared)) {
        const override = environmentEntries[environment].defaults[key as keyof Shared];
        result[key] = typeof value === "object" ? { ...value, ...(override as object | undefined) } : (override ?? value);
    }
    return result as Shared & { environment: Environment };
}
