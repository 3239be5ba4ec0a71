import type { LifecycleTier } from "./lifecycle";

/**
 * The operations guides' retention tiers, per key prefix. Where a guide asks for something
 * S3 cannot do as written, the tier takes the closest correct design; docs/backups.md
 * explains each deviation.
 */

/**
 * Guide: "daily incremental, retention 7 days, S3 Standard-IA". S3 moves nothing to
 * Standard-IA before day 30 and bills 30 days minimum there, so 7-day dumps stay in
 * S3 Standard: cheaper than 30 billed days of Standard-IA, no retrieval fee.
 */
export const dailyDatabaseDumps: LifecycleTier = { name: "database-daily", prefix: "daily/", expireAfterDays: 7 };

/**
 * Guide: "weekly full, retention 4 weeks, S3 Glacier". Every Glacier class bills 90 days
 * minimum, so deleting at 28 days costs the same as keeping 90: weekly fulls go to Glacier
 * Instant Retrieval the night they land (millisecond restores) and are kept the 90 days
 * already paid for.
 */
export const weeklyDatabaseDumps: LifecycleTier = {
    name: "database-weekly",
    prefix: "weekly/",
    transitions: [{ days: 0, storageClass: "GLACIER_IR" }],
    expireAfterDays: 90,
};

/** Guide: "cold storage: monthly archives retained for 1 year" — Deep Archive (180-day minimum, 12 h restores). */
export const monthlyDatabaseArchives: LifecycleTier = {
    name: "database-monthly",
    prefix: "monthly/",
    transitions: [{ days: 0, storageClass: "DEEP_ARCHIVE" }],
    expireAfterDays: 365,
};

/** Guide: "user uploads, retention 90 days" — Standard-IA from day 30 (its earliest). */
export const userUploads: LifecycleTier = {
    name: "uploads",
    prefix: "uploads/",
    transitions: [{ days: 30, storageClass: "STANDARD_IA" }],
    expireAfterDays: 90,
};

/** Guide: "production logs: 90 days" (application logs, 30–90 d across the guides). */
export const applicationLogs: LifecycleTier = {
    name: "application-logs",
    prefix: "application/",
    transitions: [{ days: 30, storageClass: "STANDARD_IA" }],
    expireAfterDays: 90,
};

/** Guide: "security logs: 1 year" — Standard-IA at 30 days, Glacier Instant Retrieval at 90 (still searchable). */
export const securityLogs: LifecycleTier = {
    name: "security-logs",
    prefix: "security/",
    transitions: [
        { days: 30, storageClass: "STANDARD_IA" },
        { days: 90, storageClass: "GLACIER_IR" },
    ],
    expireAfterDays: 365,
};

/** Guide: "debug logs: 14 days". */
export const debugLogs: LifecycleTier = { name: "debug-logs", prefix: "debug/", expireAfterDays: 14 };

/**
 * Guide: "configurations, on change, retention unlimited". Current versions are kept;
 * every change leaves the previous version, which is kept a year.
 */
export const configurationHistory: LifecycleTier = { name: "configuration", prefix: "config/", noncurrentVersionExpireAfterDays: 365 };
