import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileLifecycleRules, minimumStorageDays, transitionStorageClasses, validateTiers, type LifecycleTier, type TransitionStorageClass } from "./lifecycle";
import * as tiers from "./tiers";

const tier = (overrides: Partial<LifecycleTier>): LifecycleTier => ({ name: "t", prefix: "t/", expireAfterDays: 400, ...overrides });
const to = (days: number, storageClass: string) => ({ days, storageClass: storageClass as TransitionStorageClass });

describe("validateTiers refuses what S3 refuses", () => {
    const cases: { name: string; tiers: LifecycleTier[]; error: RegExp }[] = [
        { name: "Standard-IA before day 30", tiers: [tier({ transitions: [to(7, "STANDARD_IA")] })], error: /^tier "t": transition to STANDARD_IA on day 7: S3 accepts transitions to STANDARD_IA only from day 30$/ },
        { name: "One Zone-IA before day 30", tiers: [tier({ transitions: [to(29, "ONEZONE_IA")] })], error: /ONEZONE_IA only from day 30/ },
        { name: "a storage class as the console spells it", tiers: [tier({ transitions: [to(30, "Standard-IA")] })], error: /^tier "t": "Standard-IA" is not an S3 storage class for transitions \(expected one of STANDARD_IA, INTELLIGENT_TIERING, ONEZONE_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE\)$/ },
        { name: "a made-up storage class", tiers: [tier({ transitions: [to(0, "GLACIER_FLEXIBLE")] })], error: /"GLACIER_FLEXIBLE" is not an S3 storage class/ },
        { name: "STANDARD is not a transition target", tiers: [tier({ transitions: [to(0, "STANDARD")] })], error: /"STANDARD" is not an S3 storage class for transitions/ },
        { name: "a warmer class after a colder one", tiers: [tier({ transitions: [to(0, "GLACIER"), to(100, "GLACIER_IR")] })], error: /GLACIER_IR is not colder than GLACIER/ },
        { name: "the same class twice", tiers: [tier({ transitions: [to(30, "STANDARD_IA"), to(90, "STANDARD_IA")] })], error: /STANDARD_IA is not colder than STANDARD_IA/ },
        { name: "transitions out of order", tiers: [tier({ transitions: [to(120, "GLACIER_IR"), to(90, "DEEP_ARCHIVE")] })], error: /must come on later days than the previous one \(day 120\)/ },
        { name: "leaving Standard-IA within 30 days", tiers: [tier({ transitions: [to(30, "STANDARD_IA"), to(45, "GLACIER")] })], error: /objects must stay 30 days in STANDARD_IA \(from day 30\) before S3 moves them on/ },
        { name: "expiry before the last transition", tiers: [tier({ transitions: [to(0, "GLACIER_IR")], expireAfterDays: 0 })], error: /expireAfterDays must be a whole number of at least 1/ },
        { name: "expiry on the day of the last transition", tiers: [tier({ transitions: [to(30, "STANDARD_IA")], expireAfterDays: 30 })], error: /^tier "t": objects expire on day 30, not after their last transition \(day 30\): S3 refuses this$/ },
        { name: "negative days", tiers: [tier({ transitions: [to(-1, "GLACIER")] })], error: /days must be a whole number of at least 0/ },
        { name: "fractional days", tiers: [tier({ transitions: [to(30.5, "STANDARD_IA")] })], error: /days must be a whole number of at least 0/ },
        { name: "noncurrent expiry of 0", tiers: [tier({ noncurrentVersionExpireAfterDays: 0 })], error: /noncurrentVersionExpireAfterDays must be a whole number of at least 1/ },
        { name: "an id S3 refuses", tiers: [tier({ name: "daily dumps" })], error: /^tier "daily dumps": the name must be a lifecycle rule id/ },
        { name: "two tiers with one name", tiers: [tier({ prefix: "a/" }), tier({ prefix: "b/" })], error: /^tier "t" is defined twice/ },
        { name: "two tiers on one prefix", tiers: [tier({ name: "a" }), tier({ name: "b" })], error: /^tiers "a" and "b" govern the same prefix "t\/"$/ },
        { name: "no tiers at all", tiers: [], error: /^no lifecycle tiers/ },
    ];
    for (const { name, tiers: given, error } of cases) {
        test(name, () => {
            const { errors } = validateTiers(given);
            assert.ok(errors.some((e) => error.test(e)), `no error matched ${error}:\n${errors.join("\n")}`);
        });
    }
});

describe("validateTiers warns about what S3 bills unexpectedly", () => {
    const cases: { name: string; tier: LifecycleTier; warning: RegExp }[] = [
        { name: "Glacier deleted after 28 days", tier: tier({ transitions: [to(0, "GLACIER")], expireAfterDays: 28 }), warning: /^tier "t": objects spend 28 days in GLACIER \(days 0–28\) but S3 bills at least 90: early-deletion charges apply$/ },
        { name: "Glacier Instant Retrieval left after 60 days", tier: tier({ transitions: [to(0, "GLACIER_IR"), to(60, "DEEP_ARCHIVE")], expireAfterDays: 400 }), warning: /60 days in GLACIER_IR .* at least 90/ },
        { name: "Deep Archive deleted after 100 days", tier: tier({ transitions: [to(0, "DEEP_ARCHIVE")], expireAfterDays: 100 }), warning: /100 days in DEEP_ARCHIVE .* at least 180/ },
        { name: "Standard-IA deleted after 10 days there", tier: tier({ transitions: [to(30, "STANDARD_IA")], expireAfterDays: 40 }), warning: /10 days in STANDARD_IA .* at least 30/ },
    ];
    for (const { name, tier: given, warning } of cases) {
        test(name, () => {
            const { errors, warnings } = validateTiers([given]);
            assert.deepEqual(errors, []);
            assert.ok(warnings.some((w) => warning.test(w)), `no warning matched ${warning}:\n${warnings.join("\n")}`);
        });
    }

    test("overlapping prefixes", () => {
        const { errors, warnings } = validateTiers([tier({ name: "all", prefix: "" }), tier({ name: "logs", prefix: "logs/" })]);
        assert.deepEqual(errors, []);
        assert.deepEqual(warnings, ['tiers "all" ("") and "logs" ("logs/") overlap: S3 applies both, and expiration wins over transition']);
    });

    test("a tier that stays long enough everywhere draws no warning", () => {
        assert.deepEqual(validateTiers([tier({ transitions: [to(30, "STANDARD_IA"), to(60, "GLACIER_IR"), to(150, "DEEP_ARCHIVE")], expireAfterDays: 330 })]), { errors: [], warnings: [] });
    });

    test("minimum storage durations are S3's", () => {
        assert.deepEqual(minimumStorageDays, { STANDARD_IA: 30, INTELLIGENT_TIERING: 0, ONEZONE_IA: 30, GLACIER_IR: 90, GLACIER: 90, DEEP_ARCHIVE: 180 });
        assert.deepEqual([...transitionStorageClasses], ["STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]);
    });
});

describe("the guides' tiers", () => {
    const all = Object.values(tiers);

    test("are valid together, without early-deletion charges", () => {
        assert.deepEqual(validateTiers(all), { errors: [], warnings: [] });
    });

    test("keep what the guides ask, with the documented deviations", () => {
        const summary = Object.fromEntries(all.map((t) => [t.name, [t.prefix, (t.transitions ?? []).map((x) => `${x.storageClass}@${x.days}`).join(","), t.expireAfterDays]]));
        assert.deepEqual(summary, {
            "database-daily": ["daily/", "", 7],
            "database-weekly": ["weekly/", "GLACIER_IR@0", 90],
            "database-monthly": ["monthly/", "DEEP_ARCHIVE@0", 365],
            uploads: ["uploads/", "STANDARD_IA@30", 90],
            "application-logs": ["application/", "STANDARD_IA@30", 90],
            "security-logs": ["security/", "STANDARD_IA@30,GLACIER_IR@90", 365],
            "debug-logs": ["debug/", "", 14],
            configuration: ["config/", "", undefined],
        });
        assert.equal(tiers.configurationHistory.noncurrentVersionExpireAfterDays, 365);
    });

    test("never put anything in an infrequent-access class before day 30", () => {
        for (const t of all) {
            for (const x of t.transitions ?? []) {
                if (x.storageClass.endsWith("_IA") && x.storageClass !== "GLACIER_IR") assert.ok(x.days >= 30, `${t.name}: ${x.storageClass} on day ${x.days}`);
            }
        }
    });
});

describe("compileLifecycleRules", () => {
    const defaults = { noncurrentVersionExpireAfterDays: 30, abortIncompleteMultipartUploadDays: 7 };

    test("one enabled rule per tier, each with an explicit prefix filter", () => {
        assert.deepEqual(compileLifecycleRules([tiers.securityLogs, tiers.dailyDatabaseDumps], defaults), [
            {
                id: "security-logs",
                status: "Enabled",
                filter: { prefix: "security/" },
                transitions: [{ days: 30, storageClass: "STANDARD_IA" }, { days: 90, storageClass: "GLACIER_IR" }],
                expiration: { days: 365 },
                noncurrentVersionExpiration: { noncurrentDays: 30 },
                abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
            },
            {
                id: "database-daily",
                status: "Enabled",
                filter: { prefix: "daily/" },
                expiration: { days: 7 },
                noncurrentVersionExpiration: { noncurrentDays: 30 },
                abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
            },
        ]);
    });

    test("a tier's own noncurrent expiry wins, and a tier without an age limit only expires orphaned delete markers", () => {
        const [rule] = compileLifecycleRules([tiers.configurationHistory], defaults);
        assert.deepEqual(rule.noncurrentVersionExpiration, { noncurrentDays: 365 });
        assert.deepEqual(rule.expiration, { expiredObjectDeleteMarker: true });
        assert.equal("transitions" in rule, false);
    });
});
