import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    coldStorageApplies,
    firstRunInWindow,
    guideBackupRules,
    maintenanceWindows,
    parseAwsCron,
    restoreTestingName,
    ruleLifecycle,
    validateBackupRules,
    validateRestoreTesting,
    vaultLockFor,
    weeklyRestoreTest,
    type AwsCron,
    type BackupRuleSpec,
    type RestoreTestingSpec,
    type VaultLockSpec,
} from "./schedule";

const daily: BackupRuleSpec = { name: "daily", schedule: "cron(0 6 ? * * *)", deleteAfterDays: 7 };
const rule = (overrides: Partial<BackupRuleSpec>): BackupRuleSpec => ({ ...daily, ...overrides });
const weekly = maintenanceWindows[0].name;
const monthly = maintenanceWindows[1].name;

interface Case {
    readonly title: string;
    readonly rules: readonly BackupRuleSpec[];
    readonly lock?: VaultLockSpec;
    readonly hasDrVault?: boolean;
    readonly errors: readonly string[];
}

const refusals: readonly Case[] = [
    {
        title: "no rule at all",
        rules: [],
        errors: ["a backup plan needs at least one rule"],
    },
    {
        title: "delete-after shorter than cold-storage-after + 90 days",
        rules: [rule({ name: "monthly", coldStorageAfterDays: 30, deleteAfterDays: 100 })],
        errors: ['rule "monthly": deleteAfterDays 100 must be at least coldStorageAfterDays 30 + 90 = 120: AWS Backup keeps recovery points in cold storage for at least 90 days'],
    },
    {
        title: "continuous backups kept longer than 35 days",
        rules: [rule({ name: "pitr", continuous: true, deleteAfterDays: 36 })],
        errors: ['rule "pitr": continuous backups (point-in-time restore) are kept at most 35 days, deleteAfterDays is 36'],
    },
    {
        title: "continuous backups with cold storage (which also leaves no room for 90 days in cold storage)",
        rules: [rule({ name: "pitr", continuous: true, coldStorageAfterDays: 1, deleteAfterDays: 35 })],
        errors: [
            'rule "pitr": deleteAfterDays 35 must be at least coldStorageAfterDays 1 + 90 = 91: AWS Backup keeps recovery points in cold storage for at least 90 days',
            'rule "pitr": continuous backups (point-in-time restore) cannot move to cold storage; remove coldStorageAfterDays',
        ],
    },
    {
        title: "a rule with neither a schedule nor continuous backup",
        rules: [{ name: "never", deleteAfterDays: 7 }],
        errors: ['rule "never": has neither a schedule nor continuous backup, so it would never back anything up'],
    },
    {
        title: "a five-field (Unix) cron",
        rules: [rule({ schedule: "cron(0 6 * * ?)" })],
        errors: ['rule "daily": schedule "cron(0 6 * * ?)" is not an AWS Backup cron expression: expected 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), got 5'],
    },
    {
        title: "a bare cron without cron(...)",
        rules: [rule({ schedule: "0 6 * * ? *" })],
        errors: [`rule "daily": schedule "0 6 * * ? *" is not an AWS Backup cron expression: expected AWS's cron(Minutes Hours Day-of-month Month Day-of-week Year) form`],
    },
    {
        title: "a rate expression",
        rules: [rule({ schedule: "rate(1 day)" })],
        errors: [`rule "daily": schedule "rate(1 day)" is not an AWS Backup cron expression: expected AWS's cron(Minutes Hours Day-of-month Month Day-of-week Year) form`],
    },
    {
        title: "both day fields set",
        rules: [rule({ schedule: "cron(0 6 * * * *)" })],
        errors: ['rule "daily": schedule "cron(0 6 * * * *)" is not an AWS Backup cron expression: exactly one of day-of-month and day-of-week must be ?'],
    },
    {
        title: "an hour out of range",
        rules: [rule({ schedule: "cron(0 24 ? * * *)" })],
        errors: ['rule "daily": schedule "cron(0 24 ? * * *)" is not an AWS Backup cron expression: hours "24" is not 0-23'],
    },
    {
        title: "a day of the week out of range",
        rules: [rule({ schedule: "cron(0 6 ? * 8 *)" })],
        errors: ['rule "daily": schedule "cron(0 6 ? * 8 *)" is not an AWS Backup cron expression: day-of-week "8" is not 1-7 or SUN-SAT'],
    },
    {
        title: "a schedule more frequent than hourly",
        rules: [rule({ schedule: "cron(0/30 8 ? * * *)" })],
        errors: ['rule "daily": schedule "cron(0/30 8 ? * * *)" runs more than once an hour; AWS Backup runs scheduled backups at most hourly'],
    },
    {
        title: "a start window under 60 minutes",
        rules: [rule({ startWindowMinutes: 30, completionWindowMinutes: 180 })],
        errors: ["rule \"daily\": startWindowMinutes 30 must be a whole number, at least 60 (AWS Backup's minimum start window)"],
    },
    {
        title: "a completion window under the start window + 60 minutes",
        rules: [rule({ startWindowMinutes: 120, completionWindowMinutes: 150 })],
        errors: ['rule "daily": completionWindowMinutes 150 must be at least the start window 120 + 60 = 180 minutes: AWS Backup counts the completion window from the scheduled time'],
    },
    {
        title: "a completion window under the default start window + 60 minutes",
        rules: [rule({ completionWindowMinutes: 90 })],
        errors: ['rule "daily": completionWindowMinutes 90 must be at least the start window 60 + 60 = 120 minutes: AWS Backup counts the completion window from the scheduled time'],
    },
    {
        title: "copyToDr without a DR vault",
        rules: [rule({ copyToDr: true })],
        hasDrVault: false,
        errors: ['rule "daily": copyToDr needs a DR vault, and this plan has none (no drProvider)'],
    },
    {
        title: "duplicate rule names",
        rules: [daily, rule({ schedule: "cron(0 7 ? * * *)" })],
        errors: ['rule "daily": rule names must be unique within a backup plan'],
    },
    {
        title: "a rule name AWS does not accept",
        rules: [rule({ name: "daily backup" })],
        errors: ["rule \"daily backup\": AWS Backup rule names are 1 to 50 alphanumeric, '-', '_' or '.' characters"],
    },
    {
        title: "no retention",
        rules: [rule({ deleteAfterDays: 0 })],
        errors: ["rule \"daily\": deleteAfterDays 0 must be a whole number of days from 1 to 36500 (AWS Backup's 100 years)"],
    },
    {
        title: "a retention beyond 100 years",
        rules: [rule({ deleteAfterDays: 36_501 })],
        errors: ["rule \"daily\": deleteAfterDays 36501 must be a whole number of days from 1 to 36500 (AWS Backup's 100 years)"],
    },
    {
        title: "a retention under the vault lock's minimum",
        rules: [rule({ deleteAfterDays: 5 })],
        lock: { mode: "governance", minRetentionDays: 7, maxRetentionDays: 365 },
        errors: ['rule "daily": retention 5 days is below the vault lock\'s minimum of 7 days; AWS Backup fails backup jobs outside a vault lock\'s retention range'],
    },
    {
        title: "a retention under the vault lock's minimum of a rule that is not copied (nothing about the DR vault)",
        rules: [rule({ deleteAfterDays: 5 }), rule({ name: "weekly", schedule: "cron(0 6 ? * SUN *)", deleteAfterDays: 28, copyToDr: true })],
        lock: { mode: "governance", minRetentionDays: 7, maxRetentionDays: 365 },
        hasDrVault: true,
        errors: ['rule "daily": retention 5 days is below the vault lock\'s minimum of 7 days; AWS Backup fails backup jobs outside a vault lock\'s retention range'],
    },
    {
        title: "a retention over the vault lock's maximum, for the rule and for its DR copy",
        rules: [rule({ name: "monthly", schedule: "cron(0 6 1 * ? *)", coldStorageAfterDays: 90, deleteAfterDays: 400, copyToDr: true })],
        lock: { mode: "compliance", minRetentionDays: 7, maxRetentionDays: 365 },
        hasDrVault: true,
        errors: [
            'rule "monthly": retention 400 days is above the vault lock\'s maximum of 365 days; AWS Backup fails backup jobs outside a vault lock\'s retention range',
            'rule "monthly": the DR copy keeps the rule\'s lifecycle, and its retention 400 days is above the DR vault lock\'s maximum of 365 days; AWS Backup fails copy jobs outside a vault lock\'s retention range',
        ],
    },
    {
        title: "a compliance lock changeable for fewer than 3 days",
        rules: [daily],
        lock: { mode: "compliance", changeableForDays: 2, minRetentionDays: 7, maxRetentionDays: 365 },
        errors: ["vault lock (compliance): changeableForDays 2 must be a whole number, at least 3: AWS Backup Vault Lock enforces a 72-hour cooling-off period before a compliance lock becomes immutable"],
    },
    {
        title: "a governance lock with changeableForDays (which would make it a compliance lock)",
        rules: [daily],
        lock: { mode: "governance", changeableForDays: 3, minRetentionDays: 7, maxRetentionDays: 365 },
        errors: ['vault lock (governance): changeableForDays applies to compliance mode only (setting it makes AWS create a compliance lock); remove it or use mode "compliance"'],
    },
    {
        title: "a lock whose minimum is above its maximum",
        rules: [rule({ deleteAfterDays: 30 })],
        lock: { mode: "governance", minRetentionDays: 30, maxRetentionDays: 7 },
        errors: [
            "vault lock (governance): minRetentionDays 30 is greater than maxRetentionDays 7",
            'rule "daily": retention 30 days is above the vault lock\'s maximum of 7 days; AWS Backup fails backup jobs outside a vault lock\'s retention range',
        ],
    },
    {
        title: "a lock beyond AWS's limits",
        rules: [daily],
        lock: { mode: "governance", minRetentionDays: 0, maxRetentionDays: 40_000 },
        errors: [
            "vault lock (governance): minRetentionDays 0 must be a whole number of days, at least 1",
            "vault lock (governance): maxRetentionDays 40000 must be a whole number of days, at most 36500 (AWS Backup's 100 years)",
        ],
    },
];

describe("validateBackupRules refuses what AWS Backup refuses, naming the rule and the AWS rule broken", () => {
    for (const c of refusals) {
        it(`refuses ${c.title}`, () => {
            const findings = validateBackupRules(c.rules, c.lock, { hasDrVault: c.hasDrVault ?? false });
            assert.deepEqual(findings.errors, c.errors);
        });
    }

    it("reports every problem of every rule together", () => {
        const findings = validateBackupRules(
            [rule({ startWindowMinutes: 30 }), rule({ name: "weekly", schedule: "weekly", copyToDr: true })],
            { mode: "compliance", changeableForDays: 1, minRetentionDays: 7, maxRetentionDays: 35 },
            { hasDrVault: false },
        );
        assert.equal(findings.errors.length, 4, findings.errors.join("\n"));
        assert.match(findings.errors[0], /^vault lock \(compliance\): changeableForDays 1/);
        assert.match(findings.errors[1], /^rule "daily": startWindowMinutes 30/);
        assert.match(findings.errors[2], /^rule "weekly": schedule "weekly" is not an AWS Backup cron expression/);
        assert.match(findings.errors[3], /^rule "weekly": copyToDr needs a DR vault/);
    });
});

interface WarningCase {
    readonly title: string;
    readonly rule: BackupRuleSpec;
    /** The maintenance windows the rule's jobs can run into. */
    readonly windows: readonly string[];
}

const warningCases: readonly WarningCase[] = [
    { title: "Saturday 23:00 (runs past midnight into Sunday until 03:00)", rule: rule({ schedule: "cron(0 23 ? * SAT *)" }), windows: [weekly, monthly] },
    { title: "Sunday 03:00", rule: rule({ schedule: "cron(0 3 ? * SUN *)" }), windows: [weekly, monthly] },
    { title: "daily at 00:00 (Sunday 00:00 runs until 04:00)", rule: rule({ schedule: "cron(0 0 * * ? *)" }), windows: [weekly, monthly] },
    { title: "Sunday 01:30 with the shortest windows (start 60 + completion 120 reach 04:30)", rule: rule({ schedule: "cron(30 1 ? * 1 *)", completionWindowMinutes: 120 }), windows: [weekly, monthly] },
    { title: "Sunday 04:30 (after the weekly window, inside the monthly one)", rule: rule({ schedule: "cron(30 4 ? * SUN *)" }), windows: [monthly] },
    { title: "Saturday 22:00 with a 6-hour completion window (ends Sunday 05:00)", rule: rule({ schedule: "cron(0 22 ? * SAT *)", completionWindowMinutes: 360 }), windows: [weekly, monthly] },
    { title: "Saturday 21:00 (ends Sunday 01:00, right at the monthly window)", rule: rule({ schedule: "cron(0 21 ? * SAT *)" }), windows: [] },
    { title: "hourly", rule: rule({ schedule: "cron(15 * ? * * *)" }), windows: [weekly, monthly] },
    { title: "the 1st of the month at 02:00 (which can be a Sunday)", rule: rule({ schedule: "cron(0 2 1 * ? *)" }), windows: [weekly, monthly] },
    { title: "Sunday 05:00 (starts as the monthly window ends)", rule: rule({ schedule: "cron(0 5 ? * SUN *)" }), windows: [] },
    { title: "Monday to Saturday at 02:00", rule: rule({ schedule: "cron(0 2 ? * MON-SAT *)" }), windows: [] },
    { title: "continuous without a schedule (AWS's default 05:00 daily)", rule: { name: "pitr", continuous: true, deleteAfterDays: 35 }, windows: [] },
    { title: "continuous at Sunday 03:00", rule: { name: "pitr", continuous: true, schedule: "cron(0 3 ? * SUN *)", deleteAfterDays: 35 }, windows: [weekly, monthly] },
];

describe("validateBackupRules warns of jobs that can run into the maintenance windows (scheduled time + start + completion windows)", () => {
    for (const c of warningCases) {
        it(`${c.windows.length > 0 ? "warns of" : "accepts"} ${c.title}`, () => {
            const findings = validateBackupRules([c.rule], undefined, { hasDrVault: false });
            assert.deepEqual(findings.errors, []);
            assert.deepEqual(findings.warnings.map((w) => maintenanceWindows.find((m) => w.endsWith(m.name))?.name), c.windows, findings.warnings.join("\n"));
        });
    }

    it("says when the job starts, how long it may run and which window it reaches", () => {
        const findings = validateBackupRules([rule({ name: "weekly", schedule: "cron(0 23 ? * SAT *)" })], undefined, { hasDrVault: false });
        assert.deepEqual(findings.warnings, [
            'rule "weekly": schedule cron(0 23 ? * SAT *) starts Saturday 23:00 UTC and, with its 60-minute start and 180-minute completion windows, can run until Sunday 03:00 UTC, into the weekly maintenance window (Sunday 02:00–04:00 UTC)',
            'rule "weekly": schedule cron(0 23 ? * SAT *) starts Saturday 23:00 UTC and, with its 60-minute start and 180-minute completion windows, can run until Sunday 03:00 UTC, into the monthly maintenance window (first Sunday 01:00–05:00 UTC)',
        ]);
    });

    it("names AWS's default schedule when a continuous rule sets none", () => {
        const findings = validateBackupRules([{ name: "pitr", continuous: true, deleteAfterDays: 35, completionWindowMinutes: 24 * 60 }], undefined, { hasDrVault: false });
        assert.equal(findings.warnings.length, 2);
        assert.match(findings.warnings[0], /^rule "pitr": AWS's default schedule cron\(0 5 \? \* \* \*\) \(the rule sets none\) starts Saturday 05:00 UTC/);
    });

    it("warns of a DR vault no rule copies into", () => {
        assert.deepEqual(validateBackupRules([daily], undefined, { hasDrVault: true }).warnings, ["a DR vault is created but no rule copies into it (set copyToDr on a rule)"]);
        assert.deepEqual(validateBackupRules([rule({ copyToDr: true })], undefined, { hasDrVault: true }).warnings, []);
    });
});

describe("parseAwsCron", () => {
    const parsed = (expression: string): AwsCron => {
        const cron = parseAwsCron(expression);
        if (typeof cron === "string") assert.fail(`${expression}: ${cron}`);
        return cron;
    };
    const sorted = (values: ReadonlySet<number>) => [...values].sort((a, b) => a - b);

    it("reads minutes, hours and weekdays (0 = Sunday) of AWS's day-of-week numbering (1 = SUN) and names", () => {
        const cron = parsed("cron(15 6,18 ? JAN-DEC MON-FRI *)");
        assert.deepEqual(sorted(cron.minutes), [15]);
        assert.deepEqual(sorted(cron.hours), [6, 18]);
        assert.deepEqual(sorted(cron.weekdays), [1, 2, 3, 4, 5]);
        assert.deepEqual(sorted(parsed("cron(0 6 ? * 1,7 *)").weekdays), [0, 6]);
    });

    it("expands increments and ranges", () => {
        assert.deepEqual(sorted(parsed("cron(0 0/6 ? * * *)").hours), [0, 6, 12, 18]);
        assert.deepEqual(sorted(parsed("cron(0 1-3 ? * * *)").hours), [1, 2, 3]);
        assert.deepEqual(sorted(parsed("cron(0 */12 ? * * 2025-2030)").hours), [0, 12]);
    });

    it("takes a day-of-month schedule (including L and W) to possibly fall on any weekday", () => {
        for (const expression of ["cron(0 6 1 * ? *)", "cron(0 6 L * ? *)", "cron(0 6 15W * ? *)"]) {
            assert.deepEqual(sorted(parsed(expression).weekdays), [0, 1, 2, 3, 4, 5, 6], expression);
        }
    });

    it("reads the weekday of nth- and last-weekday schedules", () => {
        assert.deepEqual(sorted(parsed("cron(0 6 ? * SUN#1 *)").weekdays), [0]);
        assert.deepEqual(sorted(parsed("cron(0 6 ? * 6L *)").weekdays), [5]);
        assert.deepEqual(sorted(parsed("cron(0 6 ? * L *)").weekdays), [6]);
    });

    it("explains what is wrong with a non-AWS cron", () => {
        assert.equal(parseAwsCron("cron(60 6 ? * * *)"), 'minutes "60" is not 0-59');
        assert.equal(parseAwsCron("cron(0 6 ? 13 * *)"), 'month "13" is not 1-12 or JAN-DEC');
        assert.equal(parseAwsCron("cron(0 6 ? * * 1969)"), 'year "1969" is not 1970-2199');
        assert.equal(parseAwsCron("cron(0 6 32 * ? *)"), 'day-of-month "32" is not 1-31');
        assert.equal(parseAwsCron("cron(0 6 ? * ? *)"), "exactly one of day-of-month and day-of-week must be ?");
        assert.equal(parseAwsCron("cron(0 3-1 ? * * *)"), 'hours "3-1" is not 0-23');
    });

    it("finds the first run of a schedule inside a window, across the week's end", () => {
        assert.deepEqual(firstRunInWindow(parsed("cron(30 23 ? * SAT *)"), 240, maintenanceWindows[0]), { start: "Saturday 23:30", end: "Sunday 03:30" });
        assert.equal(firstRunInWindow(parsed("cron(0 4 ? * SUN *)"), 240, maintenanceWindows[0]), undefined);
        assert.equal(firstRunInWindow(parsed("cron(0 22 ? * SAT *)"), 240, maintenanceWindows[0]), undefined);
        assert.deepEqual(firstRunInWindow(parsed("cron(0 22 ? * SAT *)"), 241, maintenanceWindows[0]), { start: "Saturday 22:00", end: "Sunday 02:01" });
    });
});

describe("the operations guides' rules", () => {
    const rules: readonly BackupRuleSpec[] = Object.values(guideBackupRules);

    it("PITR 35 days, daily 7 days, weekly (Sunday) 4 weeks, monthly 1 year in cold storage after 90 days, none copied to a DR vault", () => {
        assert.deepEqual(guideBackupRules, {
            pointInTime: { name: "pitr", continuous: true, schedule: "cron(0 7 ? * * *)", deleteAfterDays: 35 },
            daily: { name: "daily", schedule: "cron(0 6 ? * * *)", deleteAfterDays: 7 },
            weekly: { name: "weekly", schedule: "cron(0 6 ? * SUN *)", deleteAfterDays: 28 },
            monthly: { name: "monthly", schedule: "cron(0 6 1 * ? *)", coldStorageAfterDays: 90, deleteAfterDays: 365 },
        });
    });

    it("together: valid with a compliance lock, no warning", () => {
        assert.deepEqual(validateBackupRules(rules, vaultLockFor("compliance", rules), { hasDrVault: false }), { errors: [], warnings: [] });
    });

    it("each alone: valid with a governance lock of its own retention", () => {
        for (const r of rules) assert.deepEqual(validateBackupRules([r], vaultLockFor("governance", [r]), { hasDrVault: false }), { errors: [], warnings: [] }, r.name);
    });

    it("every job ends before the Sunday maintenance windows begin and starts after they end", () => {
        for (const r of rules) {
            const cron = parseAwsCron(r.schedule ?? "");
            if (typeof cron === "string") assert.fail(cron);
            // The default windows give every job 4 hours; even with 6 it stays clear (06:00 + 6 h).
            for (const window of maintenanceWindows) assert.equal(firstRunInWindow(cron, 6 * 60, window), undefined, `${r.name} / ${window.name}`);
            assert.equal(r.startWindowMinutes, undefined);
            assert.equal(r.completionWindowMinutes, undefined);
        }
    });
});

describe("vaultLockFor", () => {
    const rules: readonly BackupRuleSpec[] = Object.values(guideBackupRules);

    it("compliance: admits exactly the shortest (7 d) to the longest (365 d) retention, changeable for 3 days", () => {
        assert.deepEqual(vaultLockFor("compliance", rules), { mode: "compliance", changeableForDays: 3, minRetentionDays: 7, maxRetentionDays: 365 });
    });

    it("governance: no grace time, exactly the rules' retention", () => {
        assert.deepEqual(vaultLockFor("governance", [guideBackupRules.weekly]), { mode: "governance", minRetentionDays: 28, maxRetentionDays: 28 });
    });
});

describe("validateRestoreTesting", () => {
    const spec = (overrides: Partial<RestoreTestingSpec>): RestoreTestingSpec => ({ ...weeklyRestoreTest("RDS"), ...overrides });
    const cases: readonly [string, RestoreTestingSpec, readonly string[]][] = [
        ["the guides' weekly restore test", weeklyRestoreTest("RDS"), []],
        ["a validation window of 1 hour", spec({ validationWindowHours: 1 }), []],
        ["a validation window of 168 hours", spec({ validationWindowHours: 168 }), []],
        // The AWS provider's validation_window_hours validator is Between(1, 168): 0 is refused at preview.
        ["a validation window of 0 hours", spec({ validationWindowHours: 0 }), ["restore testing: validationWindowHours 0 must be a whole number from 1 to 168 (leave it unset for no validation window)"]],
        ["a rate schedule", spec({ scheduleExpression: "rate(7 days)" }), [`restore testing: scheduleExpression "rate(7 days)" is not an AWS cron expression: expected AWS's cron(Minutes Hours Day-of-month Month Day-of-week Year) form`]],
        ["an unsupported resource type", spec({ protectedResourceType: "Redshift" }), ['restore testing: protectedResourceType "Redshift" is not one AWS Backup restore testing supports (Aurora, DocumentDB, DynamoDB, EBS, EC2, EFS, FSx, Neptune, RDS, S3)']],
        ["a selection window over 365 days", spec({ selectionWindowDays: 366 }), ["restore testing: selectionWindowDays 366 must be a whole number from 1 to 365"]],
        ["a selection window of 0 days", spec({ selectionWindowDays: 0 }), ["restore testing: selectionWindowDays 0 must be a whole number from 1 to 365"]],
        ["a validation window over 168 hours", spec({ validationWindowHours: 169 }), ["restore testing: validationWindowHours 169 must be a whole number from 1 to 168 (leave it unset for no validation window)"]],
    ];
    for (const [title, given, errors] of cases) {
        it(`${errors.length === 0 ? "accepts" : "refuses"} ${title}`, () => {
            assert.deepEqual(validateRestoreTesting(given), { errors, warnings: [] });
        });
    }

    it("refuses a resource type the plan's selection does not back up", () => {
        assert.deepEqual(validateRestoreTesting(weeklyRestoreTest("RDS"), ["Aurora"]).errors, [
            'restore testing: protectedResourceType "RDS" is not among the selection\'s resource types (Aurora): there would be nothing to restore',
        ]);
        assert.deepEqual(validateRestoreTesting(weeklyRestoreTest("RDS"), ["RDS", "EBS"]).errors, []);
        assert.deepEqual(validateRestoreTesting(weeklyRestoreTest("RDS"), undefined).errors, []);
    });

    it("the guides' weekly test: every Monday 08:00 UTC, the latest recovery point of the given type from the past week", () => {
        assert.deepEqual(weeklyRestoreTest("Aurora"), { scheduleExpression: "cron(0 8 ? * MON *)", protectedResourceType: "Aurora", selectionWindowDays: 7 });
    });

    it("names plans and selections with alphanumerics and underscores, at most 50 characters", () => {
        assert.equal(restoreTestingName("prod-backup", "restore_testing"), "prod_backup_restore_testing");
        const long = restoreTestingName("a".repeat(60), "selection");
        assert.equal(long.length, 50);
        assert.match(long, /^a+_selection$/);
    });
});

describe("cold storage where it takes effect", () => {
    const monthlyRule = guideBackupRules.monthly;

    it("applies to a selection that can hold EFS, DynamoDB or EBS, or any type; not to RDS, Aurora, EC2 or S3 alone", () => {
        assert.equal(coldStorageApplies(undefined), true);
        for (const type of ["EFS", "DynamoDB", "EBS"] as const) assert.equal(coldStorageApplies([type]), true, type);
        for (const type of ["RDS", "Aurora", "EC2", "S3"] as const) assert.equal(coldStorageApplies([type]), false, type);
        assert.equal(coldStorageApplies(["RDS", "EFS"]), true);
    });

    it("leaves cold storage (and the archive opt-in) out of an RDS-only rule, keeps the retention", () => {
        assert.deepEqual(ruleLifecycle(monthlyRule, ["RDS"]), { deleteAfter: 365 });
        assert.deepEqual(ruleLifecycle(monthlyRule, ["Aurora"]), { deleteAfter: 365 });
        assert.deepEqual(ruleLifecycle(monthlyRule, ["RDS", "EFS"]), { deleteAfter: 365, coldStorageAfter: 90, optInToArchiveForSupportedResources: true });
        assert.deepEqual(ruleLifecycle(monthlyRule, undefined), { deleteAfter: 365, coldStorageAfter: 90, optInToArchiveForSupportedResources: true });
        assert.deepEqual(ruleLifecycle(daily, ["EFS"]), { deleteAfter: 7 });
    });

    it("checks delete-after against cold storage + 90 days only where cold storage applies", () => {
        const short = rule({ name: "monthly", coldStorageAfterDays: 30, deleteAfterDays: 100 });
        const refusal = 'rule "monthly": deleteAfterDays 100 must be at least coldStorageAfterDays 30 + 90 = 120: AWS Backup keeps recovery points in cold storage for at least 90 days';
        assert.deepEqual(validateBackupRules([short], undefined, { hasDrVault: false }).errors, [refusal]);
        assert.deepEqual(validateBackupRules([short], undefined, { hasDrVault: false, resourceTypes: ["EFS"] }).errors, [refusal]);
        assert.deepEqual(validateBackupRules([short], undefined, { hasDrVault: false, resourceTypes: ["RDS"] }).errors, []);
        const rules: readonly BackupRuleSpec[] = Object.values(guideBackupRules);
        assert.deepEqual(validateBackupRules(rules, vaultLockFor("compliance", rules), { hasDrVault: false, resourceTypes: ["RDS"] }), { errors: [], warnings: [] });
    });
});
