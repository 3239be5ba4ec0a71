import { minutesPerDay, minutesPerWeek, overlapsInWeek, weekMinute, type WeekInterval } from "../time/week";
import { mergeFindings, type Findings } from "./findings";

/**
 * AWS Backup rules, vault locks and restore tests as plain data, the checks AWS Backup
 * itself would make (so a bad plan is refused before anything is registered), and the
 * schedules of the operations guides. Pure: no Pulumi runtime.
 *
 * AWS facts the checks encode (AWS Backup Developer Guide and API Reference):
 * - `StartWindowMinutes`: "If this value is included, it must be at least 60 minutes"
 *   (BackupRuleInput).
 * - `CompletionWindowMinutes` counts from when the backup was scheduled and "does not add
 *   additional time for StartWindowMinutes" (StartBackupJob); the service refuses a
 *   completion window shorter than the start window + 60 minutes (the limit AWS CDK and the
 *   community Terraform modules enforce for the same reason).
 * - Lifecycle: "Backups transitioned to cold storage must be stored in cold storage for a
 *   minimum of 90 days": delete-after must be at least cold-storage-after + 90 (Lifecycle);
 *   at most 100 years (36,500 days). Only some resource types move to cold storage
 *   ("Feature availability by resource", Lifecycle to cold storage: EFS, DynamoDB with
 *   advanced backup, EBS (archive tier, opted in with OptInToArchiveForSupportedResources),
 *   Timestream, CloudFormation, SAP HANA on EC2, VMware); "AWS Backup ignores this
 *   expression for other resource types" — RDS, Aurora, EC2 and S3 among them.
 * - Continuous backups (point-in-time restore): retention 1 to 35 days, no cold storage.
 * - Schedules are `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, in UTC, with `?`
 *   in exactly one of the two day fields; snapshot backups run "as frequently as hourly".
 *   Without a schedule AWS Backup uses `cron(0 5 ? * * *)` (BackupRuleInput).
 * - Rule names: 1 to 50 alphanumeric, `-`, `_` or `.` characters.
 * - Vault Lock: compliance mode takes `ChangeableForDays` (the grace time before the lock
 *   becomes immutable), which "must be 3 or greater" (AWS enforces a 72-hour cooling-off
 *   period); governance mode has none. Backup and copy jobs into a locked vault must keep
 *   recovery points between `MinRetentionDays` and `MaxRetentionDays`.
 * - Restore testing: protected resource types Aurora, DocumentDB, DynamoDB, EBS, EC2, EFS,
 *   FSx, Neptune, RDS, S3; recovery points selected within 1 to 365 days; a validation
 *   window of 1 to 168 hours when set (the AWS provider's `validation_window_hours`
 *   validator, `int64validator.Between(1, 168)`); plan and selection names of alphanumerics
 *   and underscores, at most 50 characters; a selection names its resources by
 *   `protectedResourceArns` or by `protectedResourceConditions`, exactly one of them (the
 *   provider's `ExactlyOneOf` config validator, internal/service/backup/restore_testing_selection.go).
 */

export interface BackupRuleSpec {
    /** Rule name: 1–50 alphanumeric, `-`, `_` or `.` characters, unique in the plan. */
    readonly name: string;
    /** When the job starts: an AWS Backup cron expression in UTC, e.g. `cron(0 23 * * ? *)`. */
    readonly schedule?: string;
    /** Continuous backup (point-in-time restore) for the resources that support it. */
    readonly continuous?: boolean;
    /** Minutes after the scheduled time within which the job must start. Default 60 (AWS's minimum). */
    readonly startWindowMinutes?: number;
    /** Minutes after the scheduled time within which the job must complete. Default 180. */
    readonly completionWindowMinutes?: number;
    /**
     * Days after which recovery points move to cold storage (archive tier, where supported).
     * Applied only when the plan's selection can hold a resource type that supports cold
     * storage (`coldStorageResourceTypes`): a selection limited to RDS, say, keeps its
     * recovery points warm for `deleteAfterDays`, and the 90-day cold storage minimum does not
     * constrain `deleteAfterDays` (see `ruleLifecycle`).
     */
    readonly coldStorageAfterDays?: number;
    /** Days after which recovery points are deleted. */
    readonly deleteAfterDays: number;
    /** Copy every recovery point of this rule into the DR region's vault, with the same lifecycle. */
    readonly copyToDr?: boolean;
}

export interface VaultLockSpec {
    /** `compliance`: immutable once the grace time is over; `governance`: privileged users can still change or remove it. */
    readonly mode: "governance" | "compliance";
    /** Compliance only: days before the lock becomes immutable. AWS minimum 3. Default 3. */
    readonly changeableForDays?: number;
    /** Shortest retention a backup or copy job into the vault may ask for. */
    readonly minRetentionDays: number;
    /** Longest retention a backup or copy job into the vault may ask for. */
    readonly maxRetentionDays: number;
}

/** Restore testing (AWS Backup restore testing plan + selection): scheduled, automatic restores of the latest recovery point. */
export interface RestoreTestingSpec {
    /** When restore tests run: an AWS cron expression in UTC, e.g. `cron(0 6 ? * MON *)`. */
    readonly scheduleExpression: string;
    /** The resource type to restore: one of `restoreTestingResourceTypes` (e.g. `RDS`). */
    readonly protectedResourceType: string;
    /** Restore the latest recovery point created within this many days (1–365). Default 7. */
    readonly selectionWindowDays?: number;
    /** Hours the restored resource is kept for validation before AWS Backup deletes it (1–168). Default: not set (deleted when the restore completes). */
    readonly validationWindowHours?: number;
}

export const defaultStartWindowMinutes = 60;
export const defaultCompletionWindowMinutes = 180;
export const minimumStartWindowMinutes = 60;
/** The completion window must exceed the start window by at least this much. */
export const completionWindowMarginMinutes = 60;
export const minimumColdStorageDays = 90;
export const maximumContinuousRetentionDays = 35;
export const maximumRetentionDays = 36_500;
export const minimumChangeableForDays = 3;
export const defaultChangeableForDays = 3;
export const defaultSelectionWindowDays = 7;
/** What AWS Backup runs a rule on when it has no schedule. */
export const awsDefaultSchedule = "cron(0 5 ? * * *)";
export const restoreTestingResourceTypes: readonly string[] = ["Aurora", "DocumentDB", "DynamoDB", "EBS", "EC2", "EFS", "FSx", "Neptune", "RDS", "S3"];

// ---- resource types ----

/**
 * The AWS Backup resource types a selection can be limited to (`BackupSelectionSpec.resourceTypes`),
 * each with the ARN pattern that names every resource of the type in every region and account.
 * `Aurora` is any RDS cluster (DocumentDB and Neptune clusters share the pattern); `RDS` is
 * any DB instance.
 */
export const backupResourceTypeArnPatterns = {
    Aurora: "arn:aws:rds:*:*:cluster:*",
    DynamoDB: "arn:aws:dynamodb:*:*:table/*",
    EBS: "arn:aws:ec2:*:*:volume/*",
    EC2: "arn:aws:ec2:*:*:instance/*",
    EFS: "arn:aws:elasticfilesystem:*:*:file-system/*",
    RDS: "arn:aws:rds:*:*:db:*",
    S3: "arn:aws:s3:::*",
} as const satisfies Record<string, string>;
export type BackupResourceType = keyof typeof backupResourceTypeArnPatterns;
export const backupResourceTypes = Object.keys(backupResourceTypeArnPatterns) as BackupResourceType[];

/**
 * The types above whose recovery points AWS Backup moves to cold storage (AWS Backup
 * Developer Guide, "Feature availability by resource": Lifecycle to cold storage). EBS
 * snapshots go to the EBS archive tier, which a rule opts into with
 * `optInToArchiveForSupportedResources`; DynamoDB needs AWS Backup's advanced DynamoDB
 * features (on by default since November 2021). RDS, Aurora, EC2 and S3 do not support it.
 */
export const coldStorageResourceTypes: readonly BackupResourceType[] = ["DynamoDB", "EBS", "EFS"];

/**
 * Whether a rule's cold storage can take effect for a selection of these resource types
 * (undefined: any type, e.g. a selection by tags alone).
 */
export function coldStorageApplies(resourceTypes: readonly BackupResourceType[] | undefined): boolean {
    return resourceTypes === undefined || resourceTypes.some((type) => coldStorageResourceTypes.includes(type));
}

/** A rule's lifecycle as AWS Backup takes it (`PlanRuleLifecycle`): cold storage only where it takes effect. */
export interface RuleLifecycle {
    readonly deleteAfter: number;
    readonly coldStorageAfter?: number;
    readonly optInToArchiveForSupportedResources?: boolean;
}

/**
 * The lifecycle of a rule's recovery points (and of their copies) for a selection of these
 * resource types: `coldStorageAfterDays` (with the archive-tier opt-in, which EBS needs) only
 * when a selected type supports cold storage; otherwise AWS Backup would ignore it, and Keel
 * leaves it out so the plan says what happens.
 */
export function ruleLifecycle(rule: BackupRuleSpec, resourceTypes: readonly BackupResourceType[] | undefined): RuleLifecycle {
    return rule.coldStorageAfterDays !== undefined && coldStorageApplies(resourceTypes)
        ? { deleteAfter: rule.deleteAfterDays, coldStorageAfter: rule.coldStorageAfterDays, optInToArchiveForSupportedResources: true }
        : { deleteAfter: rule.deleteAfterDays };
}

// ---- AWS cron expressions ----

/** An AWS cron expression's fields, and the start times they allow where they can be enumerated. */
export interface AwsCron {
    readonly minutes: ReadonlySet<number>;
    readonly hours: ReadonlySet<number>;
    /** Days of the week it can run on, 0 = Sunday … 6 = Saturday (all seven when set by day of month). */
    readonly weekdays: ReadonlySet<number>;
}

const monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const allDays = new Set([0, 1, 2, 3, 4, 5, 6]);

/** The values of one cron field (`*`, numbers or names, lists, ranges, `/` increments); undefined when it does not parse or leaves [min, max]. */
function fieldValues(field: string, min: number, max: number, names: readonly string[] = []): Set<number> | undefined {
    const value = (token: string): number | undefined => {
        const named = names.indexOf(token.toUpperCase());
        if (named >= 0) return named + min;
        if (!/^\d+$/.test(token)) return undefined;
        const n = Number(token);
        return n >= min && n <= max ? n : undefined;
    };
    const values = new Set<number>();
    for (const part of field.split(",")) {
        const match = /^([^/]+)(?:\/(\d+))?$/.exec(part);
        if (!match) return undefined;
        const [, range, stepText] = match;
        const step = stepText === undefined ? 1 : Number(stepText);
        if (step < 1) return undefined;
        let from: number | undefined;
        let to: number | undefined;
        if (range === "*") [from, to] = [min, max];
        else if (range.includes("-")) {
            const ends = range.split("-");
            if (ends.length !== 2) return undefined;
            [from, to] = ends.map(value);
        }
        else {
            from = value(range);
            to = stepText === undefined ? from : max;
        }
        if (from === undefined || to === undefined || from > to) return undefined;
        for (let v = from; v <= to; v += step) values.add(v);
    }
    return values;
}

/** Parses an AWS cron expression; returns the reason when it is not one. */
export function parseAwsCron(expression: string): AwsCron | string {
    const match = /^cron\((.*)\)$/.exec(expression.trim());
    if (!match) return "expected AWS's cron(Minutes Hours Day-of-month Month Day-of-week Year) form";
    const fields = match[1].trim().split(/\s+/);
    if (fields.length !== 6) return `expected 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), got ${fields.length}`;
    const [minuteField, hourField, dayOfMonth, monthField, dayOfWeek, yearField] = fields;
    const minutes = fieldValues(minuteField, 0, 59);
    if (!minutes) return `minutes "${minuteField}" is not 0-59`;
    const hours = fieldValues(hourField, 0, 23);
    if (!hours) return `hours "${hourField}" is not 0-23`;
    if (!fieldValues(monthField, 1, 12, monthNames)) return `month "${monthField}" is not 1-12 or JAN-DEC`;
    if (!fieldValues(yearField, 1970, 2199)) return `year "${yearField}" is not 1970-2199`;
    if ((dayOfMonth === "?") === (dayOfWeek === "?")) return "exactly one of day-of-month and day-of-week must be ?";
    if (dayOfWeek === "?") {
        if (!/^(L|LW|\d{1,2}W)$/.test(dayOfMonth) && !fieldValues(dayOfMonth, 1, 31)) return `day-of-month "${dayOfMonth}" is not 1-31`;
        // A day of the month can fall on any weekday.
        return { minutes, hours, weekdays: allDays };
    }
    if (dayOfMonth !== "?") return "exactly one of day-of-month and day-of-week must be ?";
    // `L`, `3L` (last Wednesday) and `2#1` (first Monday) name a weekday plus a week of the month.
    const special = /^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5])$/i.exec(dayOfWeek);
    if (dayOfWeek === "L") return { minutes, hours, weekdays: new Set([6]) };
    const days = fieldValues(special ? special[1] : dayOfWeek, 1, 7, dayNames);
    if (!days) return `day-of-week "${dayOfWeek}" is not 1-7 or SUN-SAT`;
    return { minutes, hours, weekdays: new Set([...days].map((d) => d - 1)) };
}

// ---- the maintenance windows of the operations guides ----

export interface MaintenanceWindow {
    readonly name: string;
    /** 0 = Sunday. */
    readonly weekday: number;
    /** Minutes after 00:00 UTC. */
    readonly startMinute: number;
    readonly endMinute: number;
}

/**
 * The production maintenance windows of the operations guides: weekly, Sundays 02:00–04:00
 * UTC, and monthly, the first Sunday of the month 01:00–05:00 UTC. A cron's weekday alone
 * cannot say which Sunday is the first, so the monthly window is checked on every Sunday.
 */
export const maintenanceWindows: readonly MaintenanceWindow[] = [
    { name: "weekly maintenance window (Sunday 02:00–04:00 UTC)", weekday: 0, startMinute: 2 * 60, endMinute: 4 * 60 },
    { name: "monthly maintenance window (first Sunday 01:00–05:00 UTC)", weekday: 0, startMinute: 1 * 60, endMinute: 5 * 60 },
];

const weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const clock = (minuteOfWeek: number) => {
    const m = ((minuteOfWeek % minutesPerWeek) + minutesPerWeek) % minutesPerWeek;
    const hh = String(Math.floor((m % minutesPerDay) / 60)).padStart(2, "0");
    const mm = String(m % 60).padStart(2, "0");
    return `${weekdayNames[Math.floor(m / minutesPerDay)]} ${hh}:${mm}`;
};

/**
 * The first run of `cron` whose job can still be running in `window`: a job may run from its
 * scheduled time until the start window plus the completion window have passed (counted
 * conservatively end to end). Copy jobs, which start after the backup completes, are not counted.
 */
export function firstRunInWindow(cron: AwsCron, jobMinutes: number, window: MaintenanceWindow): { start: string; end: string } | undefined {
    const windowInterval: WeekInterval = [weekMinute(window.weekday, window.startMinute), weekMinute(window.weekday, window.endMinute)];
    for (const day of [...cron.weekdays].sort()) {
        for (const hour of [...cron.hours].sort((a, b) => a - b)) {
            for (const minute of [...cron.minutes].sort((a, b) => a - b)) {
                const start = weekMinute(day, hour * 60 + minute);
                const end = start + jobMinutes;
                if (overlapsInWeek([start, end], windowInterval)) {
                    return { start: clock(start), end: clock(end) };
                }
            }
        }
    }
    return undefined;
}

// ---- validation ----

const isWholeNumber = (n: number | undefined): n is number => n !== undefined && Number.isInteger(n);

function validateVaultLock(lock: VaultLockSpec): string[] {
    const errors: string[] = [];
    const what = `vault lock (${lock.mode})`;
    if (!isWholeNumber(lock.minRetentionDays) || lock.minRetentionDays < 1) {
        errors.push(`${what}: minRetentionDays ${lock.minRetentionDays} must be a whole number of days, at least 1`);
    }
    if (!isWholeNumber(lock.maxRetentionDays) || lock.maxRetentionDays > maximumRetentionDays) {
        errors.push(`${what}: maxRetentionDays ${lock.maxRetentionDays} must be a whole number of days, at most ${maximumRetentionDays} (AWS Backup's 100 years)`);
    }
    if (lock.minRetentionDays > lock.maxRetentionDays) {
        errors.push(`${what}: minRetentionDays ${lock.minRetentionDays} is greater than maxRetentionDays ${lock.maxRetentionDays}`);
    }
    if (lock.mode === "compliance") {
        const days = lock.changeableForDays ?? defaultChangeableForDays;
        if (!isWholeNumber(days) || days < minimumChangeableForDays) {
            errors.push(`${what}: changeableForDays ${days} must be a whole number, at least ${minimumChangeableForDays}: AWS Backup Vault Lock enforces a 72-hour cooling-off period before a compliance lock becomes immutable`);
        }
    } else if (lock.changeableForDays !== undefined) {
        errors.push(`${what}: changeableForDays applies to compliance mode only (setting it makes AWS create a compliance lock); remove it or use mode "compliance"`);
    }
    return errors;
}

function validateRetention(rule: BackupRuleSpec, lock: VaultLockSpec | undefined, hasDrVault: boolean, resourceTypes: readonly BackupResourceType[] | undefined): string[] {
    const errors: string[] = [];
    const what = `rule "${rule.name}"`;
    const keep = rule.deleteAfterDays;
    // Cold storage the selection's resource types cannot use is left out of the rule: nothing to check.
    const cold = coldStorageApplies(resourceTypes) ? rule.coldStorageAfterDays : undefined;
    if (!isWholeNumber(keep) || keep < 1 || keep > maximumRetentionDays) {
        errors.push(`${what}: deleteAfterDays ${keep} must be a whole number of days from 1 to ${maximumRetentionDays} (AWS Backup's 100 years)`);
    }
    if (cold !== undefined) {
        if (!isWholeNumber(cold) || cold < 1) errors.push(`${what}: coldStorageAfterDays ${cold} must be a whole number of days, at least 1`);
        else if (keep < cold + minimumColdStorageDays) {
            errors.push(`${what}: deleteAfterDays ${keep} must be at least coldStorageAfterDays ${cold} + ${minimumColdStorageDays} = ${cold + minimumColdStorageDays}: AWS Backup keeps recovery points in cold storage for at least ${minimumColdStorageDays} days`);
        }
    }
    if (rule.continuous === true) {
        if (keep > maximumContinuousRetentionDays) {
            errors.push(`${what}: continuous backups (point-in-time restore) are kept at most ${maximumContinuousRetentionDays} days, deleteAfterDays is ${keep}`);
        }
        if (cold !== undefined) errors.push(`${what}: continuous backups (point-in-time restore) cannot move to cold storage; remove coldStorageAfterDays`);
    }
    if (lock !== undefined) {
        const outside = (vault: string) =>
            keep < lock.minRetentionDays
                ? `below the ${vault} lock's minimum of ${lock.minRetentionDays} days`
                : keep > lock.maxRetentionDays ? `above the ${vault} lock's maximum of ${lock.maxRetentionDays} days` : undefined;
        const primary = outside("vault");
        if (primary) errors.push(`${what}: retention ${keep} days is ${primary}; AWS Backup fails backup jobs outside a vault lock's retention range`);
        const copy = rule.copyToDr === true && hasDrVault ? outside("DR vault") : undefined;
        if (copy) errors.push(`${what}: the DR copy keeps the rule's lifecycle, and its retention ${keep} days is ${copy}; AWS Backup fails copy jobs outside a vault lock's retention range`);
    }
    return errors;
}

function validateWindows(rule: BackupRuleSpec): { errors: string[]; warnings: string[] } {
    const errors: string[] = [];
    const warnings: string[] = [];
    const what = `rule "${rule.name}"`;
    const startWindow = rule.startWindowMinutes ?? defaultStartWindowMinutes;
    const completionWindow = rule.completionWindowMinutes ?? defaultCompletionWindowMinutes;
    if (!isWholeNumber(startWindow) || startWindow < minimumStartWindowMinutes) {
        errors.push(`${what}: startWindowMinutes ${startWindow} must be a whole number, at least ${minimumStartWindowMinutes} (AWS Backup's minimum start window)`);
    }
    if (!isWholeNumber(completionWindow) || completionWindow < startWindow + completionWindowMarginMinutes) {
        errors.push(`${what}: completionWindowMinutes ${completionWindow} must be at least the start window ${startWindow} + ${completionWindowMarginMinutes} = ${startWindow + completionWindowMarginMinutes} minutes: AWS Backup counts the completion window from the scheduled time`);
    }
    if (rule.schedule === undefined && rule.continuous !== true) {
        errors.push(`${what}: has neither a schedule nor continuous backup, so it would never back anything up`);
        return { errors, warnings };
    }
    const schedule = rule.schedule ?? awsDefaultSchedule;
    const cron = parseAwsCron(schedule);
    if (typeof cron === "string") {
        errors.push(`${what}: schedule "${schedule}" is not an AWS Backup cron expression: ${cron}`);
        return { errors, warnings };
    }
    if (cron.minutes.size > 1) {
        errors.push(`${what}: schedule "${schedule}" runs more than once an hour; AWS Backup runs scheduled backups at most hourly`);
    }
    for (const window of maintenanceWindows) {
        const run = firstRunInWindow(cron, startWindow + completionWindow, window);
        if (run) {
            const which = rule.schedule === undefined ? `AWS's default schedule ${schedule} (the rule sets none)` : `schedule ${schedule}`;
            warnings.push(
                `${what}: ${which} starts ${run.start} UTC and, with its ${startWindow}-minute start and ${completionWindow}-minute completion windows, can run until ${run.end} UTC, into the ${window.name}`,
            );
        }
    }
    return { errors, warnings };
}

/**
 * Checks a plan's rules (and its vault lock) against AWS Backup's rules and the operations
 * guides. Errors are what AWS would refuse or what can never work; warnings are schedules
 * that can run into a maintenance window and DR vaults nothing copies into.
 */
export function validateBackupRules(
    rules: readonly BackupRuleSpec[],
    lock: VaultLockSpec | undefined,
    context: {
        readonly hasDrVault: boolean;
        /** The resource types the plan's selection is limited to (undefined: any): decides where cold storage applies. */
        readonly resourceTypes?: readonly BackupResourceType[];
    },
): Findings {
    const errors: string[] = [];
    const warnings: string[] = [];
    if (rules.length === 0) errors.push("a backup plan needs at least one rule");
    const seen = new Set<string>();
    for (const rule of rules) {
        if (seen.has(rule.name)) errors.push(`rule "${rule.name}": rule names must be unique within a backup plan`);
        seen.add(rule.name);
        if (!/^[A-Za-z0-9._-]{1,50}$/.test(rule.name)) {
            errors.push(`rule "${rule.name}": AWS Backup rule names are 1 to 50 alphanumeric, '-', '_' or '.' characters`);
        }
        const windows = validateWindows(rule);
        errors.push(...windows.errors, ...validateRetention(rule, lock, context.hasDrVault, context.resourceTypes));
        warnings.push(...windows.warnings);
        if (rule.copyToDr === true && !context.hasDrVault) {
            errors.push(`rule "${rule.name}": copyToDr needs a DR vault, and this plan has none (no drProvider)`);
        }
    }
    if (context.hasDrVault && rules.length > 0 && !rules.some((r) => r.copyToDr === true)) {
        warnings.push("a DR vault is created but no rule copies into it (set copyToDr on a rule)");
    }
    return mergeFindings({ errors: lock ? validateVaultLock(lock) : [], warnings: [] }, { errors, warnings });
}

/**
 * Checks a restore testing spec against AWS Backup's restore testing limits (and the AWS
 * provider's validators) and, given the resource types the plan's selection is limited to,
 * that it tests a type the plan backs up.
 */
export function validateRestoreTesting(spec: RestoreTestingSpec, selectedTypes?: readonly BackupResourceType[]): Findings {
    const errors: string[] = [];
    const cron = parseAwsCron(spec.scheduleExpression);
    if (typeof cron === "string") errors.push(`restore testing: scheduleExpression "${spec.scheduleExpression}" is not an AWS cron expression: ${cron}`);
    if (!restoreTestingResourceTypes.includes(spec.protectedResourceType)) {
        errors.push(`restore testing: protectedResourceType "${spec.protectedResourceType}" is not one AWS Backup restore testing supports (${restoreTestingResourceTypes.join(", ")})`);
    }
    const days = spec.selectionWindowDays ?? defaultSelectionWindowDays;
    if (!isWholeNumber(days) || days < 1 || days > 365) errors.push(`restore testing: selectionWindowDays ${days} must be a whole number from 1 to 365`);
    const hours = spec.validationWindowHours;
    if (hours !== undefined && (!isWholeNumber(hours) || hours < 1 || hours > 168)) {
        errors.push(`restore testing: validationWindowHours ${hours} must be a whole number from 1 to 168 (leave it unset for no validation window)`);
    }
    if (selectedTypes !== undefined && !(selectedTypes as readonly string[]).includes(spec.protectedResourceType)) {
        errors.push(`restore testing: protectedResourceType "${spec.protectedResourceType}" is not among the selection's resource types (${selectedTypes.join(", ")}): there would be nothing to restore`);
    }
    return { errors, warnings: [] };
}

/** A restore testing plan or selection name: AWS allows only alphanumerics and underscores, at most 50 characters. */
export function restoreTestingName(component: string, suffix: string): string {
    const base = component.replace(/[^A-Za-z0-9_]/g, "_");
    return `${base.slice(0, 50 - suffix.length - 1)}_${suffix}`;
}

// ---- the operations guides' schedules: building blocks the stacks compose plans from ----

/**
 * The operations guides' backup rules, none copied to a DR vault (a plan that keeps an
 * off-site copy sets `copyToDr` on the ones it copies).
 *
 * Every scheduled rule starts at 06:00 UTC (07:00 for the continuous one) and may run for
 * start + completion windows = 4 hours, so no job is running during the weekly (Sunday
 * 02:00–04:00 UTC) or monthly (first Sunday 01:00–05:00 UTC) maintenance window, nor in the
 * hour before it, when AWS Backup does not start database backups; Saturday's jobs end by
 * Saturday 11:00 UTC. Snapshot rules due at the same time are merged by AWS Backup into one
 * backup kept for the longest of their retentions, so a Sunday is one weekly backup, not a
 * daily and a weekly one. The continuous rule runs an hour later so its DR snapshot copy does
 * not collide with the daily snapshot of the same database.
 */
export const guideBackupRules = {
    // RPO 5 minutes: continuous backup with point-in-time restore, kept AWS's maximum of 35
    // days (covers the guides' 30-day database backups). Its daily run takes the snapshot
    // AWS Backup copies to the DR region.
    pointInTime: { name: "pitr", continuous: true, schedule: "cron(0 7 ? * * *)", deleteAfterDays: 35 },
    // "Incremental backup, daily, 7 days": AWS Backup snapshots are incremental after the first.
    daily: { name: "daily", schedule: "cron(0 6 ? * * *)", deleteAfterDays: 7 },
    // "Full backup, weekly, 4 weeks": Sunday, after both maintenance windows, so it captures
    // the post-maintenance state. It stays warm: cold storage would need 90 days in it.
    weekly: { name: "weekly", schedule: "cron(0 6 ? * SUN *)", deleteAfterDays: 28 },
    // "Monthly archives retained for 1 year", in cold storage after 90 days (365 ≥ 90 + 90)
    // for the resource types that support it (EFS, DynamoDB, EBS's archive tier). RDS and
    // Aurora do not: a plan selecting only databases keeps monthly recovery points warm for
    // the year (`ruleLifecycle` leaves the cold storage out of the rule).
    monthly: { name: "monthly", schedule: "cron(0 6 1 * ? *)", coldStorageAfterDays: 90, deleteAfterDays: 365 },
} as const satisfies Record<string, BackupRuleSpec>;

/**
 * The vault lock for a rule set: it admits exactly the shortest to the longest retention
 * of the rules. Compliance mode: after `changeableForDays` (AWS's minimum, 3) nobody, root
 * included, can shorten retention or delete recovery points early; governance mode:
 * privileged users still can.
 */
export function vaultLockFor(mode: VaultLockSpec["mode"], rules: readonly BackupRuleSpec[]): VaultLockSpec {
    const retention = rules.map((rule) => rule.deleteAfterDays);
    return {
        mode,
        ...(mode === "compliance" ? { changeableForDays: defaultChangeableForDays } : {}),
        minRetentionDays: Math.min(...retention),
        maxRetentionDays: Math.max(...retention),
    };
}

/**
 * The guides' weekly restore test: every Monday 08:00 UTC (after Sunday's weekly backup and
 * clear of the 06:00 rules), restore the latest recovery point of the past week of this type.
 */
export function weeklyRestoreTest(protectedResourceType: string): RestoreTestingSpec {
    return { scheduleExpression: "cron(0 8 ? * MON *)", protectedResourceType, selectionWindowDays: 7 };
}
