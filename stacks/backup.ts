import * as pulumi from "@pulumi/pulumi";
import {
    BackupBucket,
    BackupPlan,
    LogBucket,
    tiers,
    vaultLockFor,
    weeklyRestoreTest,
    type BackupResourceType,
    type DumpCadence,
    type LifecycleTier,
} from "../components/backup";
import type { KeelConfig } from "./config";
import { alarmNotifications } from "./alerting";
import { switchesOf } from "./environments";
import { databaseDumpsBucket, dumpTier, type BackupBucketSpec } from "./presets";
import { statefulOptions, type RegionalProviders } from "./providers";

/**
 * The AWS Backup resource type of the environment's database: what the plans select (with the
 * `backup=true` tag the writer carries) and what the restore tests restore.
 */
export function databaseBackupType(config: KeelConfig): BackupResourceType {
    return config.database.engine === "aurora-postgresql" ? "Aurora" : "RDS";
}

/**
 * The backup half of an environment: an access-log bucket per region, the backup buckets
 * (the environment's, replicated to the DR region when `keel:backup.copyToDr`), and AWS Backup for the database
 * writer (its type, tagged `backup=true`) with its vault lock: a plan in the primary region
 * copying into the DR region and, with a DR copy, one in the DR region copying back, which
 * selects the promoted writer after a failover (the replica carries no `backup` tag until then).
 */
export function backups(config: KeelConfig, providers: RegionalProviders, buckets: readonly BackupBucketSpec[] = switchesOf(config).backup.buckets) {
    const { backup } = config;
    if (!backup.enabled) return undefined;
    const stateful = statefulOptions(config);
    const dr = backup.copyToDr ? providers.dr : undefined;

    const accessLogs = new LogBucket("access-logs", { expireAfterDays: config.monitoring.logRetentionDays }, { provider: providers.primary, ...stateful });
    const drAccessLogs = dr && new LogBucket("access-logs-dr", { expireAfterDays: config.monitoring.logRetentionDays }, { provider: dr, ...stateful });

    const backupBuckets = buckets.map((spec) => {
        const bucket = new BackupBucket(spec.name, {
            tiers: spec.tiers,
            // Logging starts after the log bucket's policy and key admit S3 log delivery.
            accessLogs: accessLogs.target(),
            ...(spec.writeOnce && backup.objectLockDays > 0 ? { objectLock: { mode: "GOVERNANCE", days: backup.objectLockDays } } : {}),
            ...(dr && drAccessLogs ? { replication: { provider: dr, accessLogs: drAccessLogs.target() } } : {}),
        }, { provider: providers.primary, ...stateful });
        return { spec, bucket };
    });

    const { rules } = switchesOf(config).backup;
    const databaseType = databaseBackupType(config);
    const plan = new BackupPlan("backup", {
        rules: dr ? rules : rules.map((rule) => ({ ...rule, copyToDr: false })),
        // The database's type only, so cold storage is left out where it cannot apply; among
        // those, whichever member is the writer (components/database tags it backup=true).
        selection: { resourceTypes: [databaseType], tags: { backup: "true" } },
        ...(backup.vaultLock !== "none" ? { vaultLock: vaultLockFor(backup.vaultLock, rules) } : {}),
        // With a DR copy, a plan in the DR region too (drRegionPlan's default): it selects the DR
        // member once it is promoted and copies back into the primary region.
        ...(dr ? { drProvider: dr } : {}),
        ...(backup.restoreTesting ? { restoreTesting: weeklyRestoreTest(databaseType) } : {}),
        // Failed backup, copy and restore-test jobs page (docs/alerting.md).
        notifications: alarmNotifications(config),
    }, { provider: providers.primary, ...stateful });

    const exports = {
        buckets: Object.fromEntries(backupBuckets.map(({ spec, bucket }) => [spec.name, {
            name: bucket.bucketName,
            arn: bucket.bucketArn,
            replicaName: bucket.replicaBucketName,
            replicaArn: bucket.replicaBucketArn,
            freshness: spec.freshness ?? {},
        }])),
        accessLogBuckets: pulumi.output({ primary: accessLogs.bucketName, dr: drAccessLogs?.bucketName }),
        vaultArn: plan.vaultArn,
        drVaultArn: plan.drVaultArn,
        planArn: plan.planArn,
        drPlanArn: plan.drPlanArn,
        roleArn: plan.roleArn,
        notificationTopicArn: plan.notificationTopicArn,
        drNotificationTopicArn: plan.drNotificationTopicArn,
    };
    /** The S3 server access-log buckets per region, for other buckets of the stack to log into. */
    const accessLogBucketNames = { primary: accessLogs.bucketName, ...(drAccessLogs ? { dr: drAccessLogs.bucketName } : {}) };
    const dumps = backupBuckets.find(({ spec }) => spec.name === databaseDumpsBucket);
    const dumpsBucket: DumpsBucket | undefined = dumps && { name: dumps.bucket.bucketName, arn: dumps.bucket.bucketArn, kmsKeyArn: dumps.bucket.kmsKeyArn, cadence: dumpCadence(config, dumps.spec) };
    return { exports, accessLogBucketNames, dumpsBucket };
}

/** The dumps bucket as the dump job sees it: where, with which key, and its cadence. */
export interface DumpsBucket {
    readonly name: pulumi.Output<string>;
    readonly arn: pulumi.Output<string>;
    readonly kmsKeyArn: pulumi.Output<string>;
    readonly cadence: DumpCadence;
}

/**
 * When the dump job runs and which of the dumps bucket's tiers each run writes: every run
 * under the tier of `keel:backup.schedule` (daily/ or weekly/), the week's first daily run
 * also under weekly/, the month's first run under monthly/, where the bucket keeps them.
 */
export function dumpCadence(config: KeelConfig, spec: BackupBucketSpec): DumpCadence {
    const kept = (tier: LifecycleTier) => spec.tiers.some((t) => t.prefix === tier.prefix);
    const daily = config.backup.schedule === "daily";
    const everyRun = dumpTier(config.backup.schedule);
    if (!kept(everyRun)) throw new Error(`stacks/backup.ts: the ${spec.name} bucket keeps no ${everyRun.prefix} tier for ${config.backup.schedule} dumps`);
    return {
        every: config.backup.schedule,
        at: config.backup.dumpTime,
        prefix: everyRun.prefix,
        ...(daily && kept(tiers.weeklyDatabaseDumps) ? { weeklyPrefix: tiers.weeklyDatabaseDumps.prefix } : {}),
        ...(kept(tiers.monthlyDatabaseArchives) ? { monthlyPrefix: tiers.monthlyDatabaseArchives.prefix } : {}),
    };
}
