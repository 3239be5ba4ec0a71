import type * as aws from "@pulumi/aws";
import type { Findings } from "./findings";

/**
 * S3 lifecycle tiers as data: which objects (by key prefix) move to which storage class
 * when, and when they expire — validated against what S3 refuses or bills unexpectedly,
 * then compiled to `aws.s3.BucketLifecycleConfiguration` rules. Pure: no Pulumi runtime.
 */

/** The storage classes a lifecycle transition accepts, spelled as the S3 API spells them. */
export const transitionStorageClasses = ["STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"] as const;
export type TransitionStorageClass = (typeof transitionStorageClasses)[number];

/**
 * S3's transition waterfall: objects only move down this list (Amazon S3 User Guide,
 * "Transitioning objects using Amazon S3 Lifecycle").
 */
const waterfall: readonly string[] = ["STANDARD", ...transitionStorageClasses];

/** Minimum storage duration S3 bills for each class (S3 storage classes, "minimum storage duration"). */
export const minimumStorageDays: Record<TransitionStorageClass, number> = {
    STANDARD_IA: 30,
    INTELLIGENT_TIERING: 0,
    ONEZONE_IA: 30,
    GLACIER_IR: 90,
    GLACIER: 90,
    DEEP_ARCHIVE: 180,
};

/** Infrequent-access classes: S3 refuses transitions into them before day 30, and out of them within 30 days. */
const infrequentAccess: readonly string[] = ["STANDARD_IA", "ONEZONE_IA"];

export interface LifecycleTransition {
    /** Days after object creation. */
    readonly days: number;
    readonly storageClass: TransitionStorageClass;
}

export interface LifecycleTier {
    /** Rule id: letters, digits, `.`, `_`, `-`. */
    readonly name: string;
    /** Key prefix the tier governs, e.g. `daily/`; `""` for the whole bucket. */
    readonly prefix: string;
    /** Transitions to colder classes, in order. */
    readonly transitions?: readonly LifecycleTransition[];
    /** Days after creation when current versions expire; unset keeps them (noncurrent versions still expire). */
    readonly expireAfterDays?: number;
    /** Days a version stays once superseded or deleted before it is removed. Default: the bucket's setting. */
    readonly noncurrentVersionExpireAfterDays?: number;
}

const isDayCount = (n: number) => Number.isInteger(n) && n >= 0;

function validateTier(tier: LifecycleTier): Findings {
    const errors: string[] = [];
    const warnings: string[] = [];
    const where = `tier "${tier.name}"`;
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(tier.name)) errors.push(`${where}: the name must be a lifecycle rule id (letters, digits, ".", "_", "-", at most 255)`);

    const transitions = tier.transitions ?? [];
    let previous: { days: number; storageClass: string } = { days: 0, storageClass: "STANDARD" };
    for (const transition of transitions) {
        const to = `${where}: transition to ${transition.storageClass} on day ${transition.days}`;
        if (!(transitionStorageClasses as readonly string[]).includes(transition.storageClass)) {
            errors.push(`${where}: "${transition.storageClass}" is not an S3 storage class for transitions (expected one of ${transitionStorageClasses.join(", ")})`);
            continue;
        }
        if (!isDayCount(transition.days)) {
            errors.push(`${to}: days must be a whole number of at least 0`);
            continue;
        }
        if (infrequentAccess.includes(transition.storageClass) && transition.days < 30) {
            errors.push(`${to}: S3 accepts transitions to ${transition.storageClass} only from day 30`);
        }
        if (waterfall.indexOf(transition.storageClass) <= waterfall.indexOf(previous.storageClass)) {
            errors.push(`${to}: S3 only transitions to colder classes, and ${transition.storageClass} is not colder than ${previous.storageClass}`);
        } else if (transition !== transitions[0] && transition.days <= previous.days) {
            errors.push(`${to}: transitions must come on later days than the previous one (day ${previous.days})`);
        } else if (infrequentAccess.includes(previous.storageClass) && transition.days < previous.days + 30) {
            errors.push(`${to}: objects must stay 30 days in ${previous.storageClass} (from day ${previous.days}) before S3 moves them on`);
        }
        previous = transition;
    }

    const expiry = tier.expireAfterDays;
    if (expiry !== undefined) {
        if (!Number.isInteger(expiry) || expiry < 1) errors.push(`${where}: expireAfterDays must be a whole number of at least 1`);
        else if (transitions.length > 0 && expiry <= previous.days) {
            errors.push(`${where}: objects expire on day ${expiry}, not after their last transition (day ${previous.days}): S3 refuses this`);
        }
    }
    if (tier.noncurrentVersionExpireAfterDays !== undefined && !(Number.isInteger(tier.noncurrentVersionExpireAfterDays) && tier.noncurrentVersionExpireAfterDays >= 1)) {
        errors.push(`${where}: noncurrentVersionExpireAfterDays must be a whole number of at least 1`);
    }

    // Early deletion: leaving a class before its minimum duration is billed as if it had stayed.
    if (errors.length === 0) {
        transitions.forEach((transition, i) => {
            const leaves = transitions[i + 1]?.days ?? expiry;
            const minimum = minimumStorageDays[transition.storageClass];
            if (leaves !== undefined && leaves - transition.days < minimum) {
                warnings.push(
                    `${where}: objects spend ${leaves - transition.days} days in ${transition.storageClass} (days ${transition.days}–${leaves}) ` +
                        `but S3 bills at least ${minimum}: early-deletion charges apply`,
                );
            }
        });
    }
    return { errors, warnings };
}

/**
 * Everything S3 would refuse in a set of tiers (errors) or bill unexpectedly (warnings),
 * each message naming the tier and the rule broken.
 */
export function validateTiers(tiers: readonly LifecycleTier[]): Findings {
    const results = tiers.map(validateTier);
    const errors = results.flatMap((r) => r.errors);
    const warnings = results.flatMap((r) => r.warnings);
    if (tiers.length === 0) errors.push("no lifecycle tiers: every backup bucket needs at least one");
    if (tiers.length > 1000) errors.push(`${tiers.length} tiers: S3 allows at most 1000 lifecycle rules`);
    tiers.forEach((tier, i) => {
        for (const other of tiers.slice(i + 1)) {
            if (other.name === tier.name) errors.push(`tier "${tier.name}" is defined twice: rule ids must be unique`);
            if (other.prefix === tier.prefix) errors.push(`tiers "${tier.name}" and "${other.name}" govern the same prefix "${tier.prefix}"`);
            else if (other.prefix.startsWith(tier.prefix) || tier.prefix.startsWith(other.prefix)) {
                warnings.push(`tiers "${tier.name}" ("${tier.prefix}") and "${other.name}" ("${other.prefix}") overlap: S3 applies both, and expiration wins over transition`);
            }
        }
    });
    return { errors, warnings };
}

export interface LifecycleDefaults {
    /** Noncurrent versions are removed this many days after they are superseded. */
    readonly noncurrentVersionExpireAfterDays: number;
    /** Incomplete multipart uploads are aborted (and their parts freed) after this many days. */
    readonly abortIncompleteMultipartUploadDays: number;
}

/** One rule per tier, each with an explicit prefix filter, as `BucketLifecycleConfiguration` takes them. */
export function compileLifecycleRules(tiers: readonly LifecycleTier[], defaults: LifecycleDefaults): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
    return tiers.map((tier) => ({
        id: tier.name,
        status: "Enabled",
        filter: { prefix: tier.prefix },
        ...(tier.transitions && tier.transitions.length > 0
            ? { transitions: tier.transitions.map(({ days, storageClass }) => ({ days, storageClass })) }
            : {}),
        // Without an age limit, current versions stay; delete markers left with no versions behind them are removed.
        expiration: tier.expireAfterDays !== undefined ? { days: tier.expireAfterDays } : { expiredObjectDeleteMarker: true },
        noncurrentVersionExpiration: { noncurrentDays: tier.noncurrentVersionExpireAfterDays ?? defaults.noncurrentVersionExpireAfterDays },
        abortIncompleteMultipartUpload: { daysAfterInitiation: defaults.abortIncompleteMultipartUploadDays },
    }));
}

/**
 * A bucket of access logs: each log expires after `expireAfterDays` (default 90, the ops guides'
 * production log retention); overwritten versions and unfinished uploads go after a day.
 */
export function accessLogLifecycle(ruleName: string, expireAfterDays = 90): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
    return compileLifecycleRules([{ name: ruleName, prefix: "", expireAfterDays }], { noncurrentVersionExpireAfterDays: 1, abortIncompleteMultipartUploadDays: 1 });
}
