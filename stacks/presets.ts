import { guideBackupRules, type BackupRuleSpec } from "../components/backup/schedule";
import type { LifecycleTier } from "../components/backup/lifecycle";
import * as tiers from "../components/backup/tiers";

/**
 * The environments' backup presets, composed from components/backup's building blocks (the
 * guides' rules and tiers); stacks/environments.ts gives each environment its own.
 */

/** A backup bucket a stack asks for: its name and the guides' tiers it carries. */
export interface BackupBucketSpec {
    readonly name: string;
    readonly tiers: readonly LifecycleTier[];
    /** Write-once (Object Lock, governance) for `keel:backup.objectLockDays`: database dumps. */
    readonly writeOnce?: boolean;
    /** Prefixes that must always hold an object younger than this many hours (scripts/verify-backups). */
    readonly freshness?: Readonly<Record<string, number>>;
}

/** The bucket the database dump job writes (and BackupMissing watches). */
export const databaseDumpsBucket = "database-dumps";

/** How fresh dumps must be: daily within 26 h, weekly within 8 days, monthly within 32 days (with an hour or two of slack). */
const dumpFreshness = { daily: 26, weekly: 8 * 24 + 2, monthly: 32 * 24 };

/**
 * Production: the guides' 3-2-1 rule (the data, a backup in the primary region's vault and a
 * copy in the DR region's vault, each encrypted under its own region's key) with RTO 15 min /
 * RPO 5 min: point-in-time, daily, weekly and monthly, every one copied to the DR region.
 */
export const productionBackupRules: readonly BackupRuleSpec[] = [guideBackupRules.pointInTime, guideBackupRules.daily, guideBackupRules.weekly, guideBackupRules.monthly]
    .map((rule) => ({ ...rule, copyToDr: true }));

/** Staging: the guides' weekly backup only (RTO 4 h / RPO 1 h are the database's own PITR), kept 4 weeks, no DR copy. */
export const stagingBackupRules: readonly BackupRuleSpec[] = [guideBackupRules.weekly];

/** Production's buckets (ops guides: database dumps, user uploads, logs, configuration). */
export const productionBackupBuckets: readonly BackupBucketSpec[] = [
    {
        name: databaseDumpsBucket,
        tiers: [tiers.dailyDatabaseDumps, tiers.weeklyDatabaseDumps, tiers.monthlyDatabaseArchives],
        writeOnce: true,
        freshness: { [tiers.dailyDatabaseDumps.prefix]: dumpFreshness.daily, [tiers.weeklyDatabaseDumps.prefix]: dumpFreshness.weekly, [tiers.monthlyDatabaseArchives.prefix]: dumpFreshness.monthly },
    },
    { name: "uploads", tiers: [tiers.userUploads] },
    { name: "logs", tiers: [tiers.applicationLogs, tiers.securityLogs, tiers.debugLogs] },
    { name: "configuration", tiers: [tiers.configurationHistory] },
];

/** Staging keeps weekly database dumps only (ops guides: "Staging: weekly backups"). */
export const stagingBackupBuckets: readonly BackupBucketSpec[] = [
    { name: databaseDumpsBucket, tiers: [tiers.weeklyDatabaseDumps], writeOnce: true, freshness: { [tiers.weeklyDatabaseDumps.prefix]: dumpFreshness.weekly } },
];

/** The tier every run of a `keel:backup.schedule` dump job writes under. */
export function dumpTier(schedule: "daily" | "weekly"): LifecycleTier {
    return schedule === "daily" ? tiers.dailyDatabaseDumps : tiers.weeklyDatabaseDumps;
}
