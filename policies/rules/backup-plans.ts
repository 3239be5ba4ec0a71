import type { PolicyResource } from "@pulumi/policy";
import { isDatabaseCopy } from "./database";
import { setting, stackPolicy, type Values } from "./policy";
import { isTrue, list, object, ofType, regionOf } from "./props";
import { couldBeNameOf, dayCount, dependsOn, globMatches, policyStatements, stringsOf } from "./storage-helpers";
import { whenKnown } from "./preview";
import { tagsOf } from "./tagging";

/**
 * AWS Backup rules: how long recovery points are kept, the copy into the other region, the
 * vault lock that keeps them, and that every database is selected by a plan of its region.
 * Rules, copies and selections as `aws.backup.Plan` / `Selection` take them (components/backup/plan.ts).
 */

const planType = "aws:backup/plan:Plan";
const selectionType = "aws:backup/selection:Selection";
const vaultType = "aws:backup/vault:Vault";
const vaultLockType = "aws:backup/vaultLockConfiguration:VaultLockConfiguration";
const vaultPolicyType = "aws:backup/vaultPolicy:VaultPolicy";
const regionSettingsType = "aws:backup/regionSettings:RegionSettings";
const instanceType = "aws:rds/instance:Instance";
const clusterType = "aws:rds/cluster:Cluster";

/** The region an ARN names, if it names one. */
const arnRegion = (arn: unknown) => (typeof arn === "string" ? /^arn:[^:]+:[^:]+:([a-z0-9-]+):/.exec(arn)?.[1] : undefined);
const ruleName = (rule: Record<string, unknown>) => `rule "${String(rule.ruleName ?? "(unnamed)")}"`;
const deleteAfter = (lifecycle: unknown) => object(Array.isArray(lifecycle) ? lifecycle[0] : lifecycle).deleteAfter;

// ---- retention ----

const retentionSettings = {
    minimumDays: setting.integer(1),
    rules: setting.record<Record<string, number>>({}),
    continuousRules: setting.strings([]),
};
type RetentionConfig = Values<typeof retentionSettings>;

/** Why a plan keeps recovery points (or their copies) less than the environment's minimums. */
function planRetentionProblems(plan: PolicyResource, { minimumDays, rules: requiredRules, continuousRules }: RetentionConfig): string[] {
    const rules = list(plan.props.rules);
    const missing = Object.entries(requiredRules)
        .filter(([name]) => !rules.some((r) => r.ruleName === name))
        .map(([name, days]) => `has no rule "${name}" (recovery points kept at least ${days} days)`);
    const notContinuous = rules
        .filter((r) => continuousRules.includes(String(r.ruleName)) && !isTrue(r.enableContinuousBackup))
        .map((r) => `${ruleName(r)} no longer backs up continuously (enableContinuousBackup): point-in-time restore is lost`);
    const short = rules.flatMap((rule) => {
        const minimum = Math.max(minimumDays, requiredRules[String(rule.ruleName)] ?? 0);
        const kept = deleteAfter(rule.lifecycle);
        const copies = list(rule.copyActions).map((copy) => deleteAfter(copy.lifecycle));
        return [
            ...(typeof kept === "number" && kept < minimum ? [`${ruleName(rule)} deletes recovery points after ${dayCount(kept)}; at least ${minimum} required`] : []),
            ...copies.filter((days): days is number => typeof days === "number" && days < minimum)
                .map((days) => `${ruleName(rule)} deletes its copies after ${dayCount(days)}; at least ${minimum} required`),
        ];
    });
    return [...missing, ...notContinuous, ...short];
}

export const backupPlanRetention = stackPolicy({
    name: "keel-backup-plan-retention",
    description: "AWS Backup plans keep recovery points and their cross-region copies at least the environment's minimum (`minimumDays`), keep the rules `rules` names with at least their days (production: pitr 35, daily 7, weekly 28, monthly 365), and the rules `continuousRules` names continuous (point-in-time restore).",
    config: retentionSettings,
    check: function* ({ resources }, config) {
        for (const plan of ofType(resources, planType)) {
            for (const problem of whenKnown(() => planRetentionProblems(plan, config), [])) yield [`AWS Backup plan "${plan.name}" ${problem}`, plan.urn];
        }
    },
});

// ---- the copy into the other region ----

/** The stack's vault an ARN names (by region and name), if any. */
function vaultNamed(arn: unknown, vaults: readonly PolicyResource[]): PolicyResource | undefined {
    if (typeof arn !== "string") return undefined;
    const name = /:backup-vault:(.+)$/.exec(arn)?.[1];
    return name === undefined ? undefined : vaults.find((v) => regionOf(v) === arnRegion(arn) && whenKnown(() => couldBeNameOf(name, v, "name"), false));
}

/** The copies of each rule of a plan: where each goes, judged against the stack's vaults. */
function copyProblems(plan: PolicyResource, vaults: readonly PolicyResource[], plans: readonly PolicyResource[], required: boolean): string[] {
    const home = regionOf(plan);
    const problems: string[] = [];
    const copiedInto = new Set<string>();
    for (const rule of list(plan.props.rules)) {
        const destinations = list(rule.copyActions).map((copy) => copy.destinationVaultArn);
        const foreign = destinations.filter((arn) => typeof arn === "string" && vaultNamed(arn, vaults) === undefined);
        problems.push(...foreign.map((arn) => `${ruleName(rule)} copies to ${String(arn)}, not a vault of the stack`));
        const offSite = destinations.filter((arn) => {
            const region = arnRegion(arn);
            if (region !== undefined) return region !== home;
            // Not known yet: the plan's dependency on a vault of another region stands for it.
            return vaults.some((v) => regionOf(v) !== home && dependsOn(plan, v, "rules"));
        });
        for (const arn of offSite) copiedInto.add(arnRegion(arn) ?? "");
        if (required && offSite.length === 0) problems.push(`${ruleName(rule)} copies its recovery points to no vault in another region`);
    }
    if (required) {
        for (const region of [...copiedInto].filter((r) => r !== "" && !plans.some((p) => regionOf(p) === r))) {
            problems.push(`copies into ${region}, where no plan backs up what runs there after a failover (the DR region's plan, copying back, is missing)`);
        }
    }
    return problems;
}

export const backupCrossRegionCopy = stackPolicy({
    name: "keel-backup-cross-region-copy",
    description: "AWS Backup copies go only to vaults of the stack. Where required (production), every rule of every plan copies its recovery points into a vault of another region, and each region copied into has a plan of its own (the DR region's plan copies back): 3-2-1's off-site copy.",
    config: { required: setting.flag(false) },
    check: function* ({ resources }, { required }) {
        const plans = ofType(resources, planType);
        const vaults = ofType(resources, vaultType);
        for (const plan of plans) {
            for (const problem of whenKnown(() => copyProblems(plan, vaults, plans, required), [])) yield [`AWS Backup plan "${plan.name}" ${problem}`, plan.urn];
        }
    },
});

// ---- vault lock ----

const lockModes = ["none", "governance", "compliance"];

/**
 * The lock configurations of a vault: by the vault name they give when it can only be this
 * vault's (or it is and they depend on it), else, the name not known yet, by dependency.
 */
function locksOf(vault: PolicyResource, vaults: readonly PolicyResource[], locks: readonly PolicyResource[]): PolicyResource[] {
    return locks.filter((lock) => {
        const name = whenKnown(() => lock.props.backupVaultName, undefined);
        if (typeof name !== "string") return dependsOn(lock, vault, "backupVaultName");
        const named = vaults.filter((v) => regionOf(v) === regionOf(lock) && whenKnown(() => couldBeNameOf(name, v, "name"), false));
        return named.includes(vault) && (named.length === 1 || dependsOn(lock, vault, "backupVaultName"));
    });
}

const vaultLockSettings = {
    mode: setting.text("none", lockModes),
    minimumRetentionDays: setting.integer(1),
    maxChangeableForDays: setting.integer(3),
};
type VaultLockConfig = Values<typeof vaultLockSettings>;

/** The retention each plan asks of a vault's recovery points: its rules backing up into it and the copies into it. */
function retentionsInto(vault: PolicyResource, plans: readonly PolicyResource[], vaults: readonly PolicyResource[]): [string, number][] {
    return plans.flatMap((plan) => list(plan.props.rules).flatMap((rule): [string, number][] => {
        const into = typeof rule.targetVaultName === "string" && regionOf(plan) === regionOf(vault) && couldBeNameOf(rule.targetVaultName, vault, "name");
        const kept = deleteAfter(rule.lifecycle);
        const copies = list(rule.copyActions).filter((c) => vaultNamed(c.destinationVaultArn, vaults) === vault).map((c) => deleteAfter(c.lifecycle));
        return [
            ...(into && typeof kept === "number" ? [[`${ruleName(rule)} of plan "${plan.name}"`, kept] as [string, number]] : []),
            ...copies.filter((d): d is number => typeof d === "number").map((d): [string, number] => [`the copies of ${ruleName(rule)} of plan "${plan.name}"`, d]),
        ];
    }));
}

/** Why a lock would make AWS Backup fail the jobs the plans send into the vault (retention outside its range), or undefined. */
function lockFitProblem(lock: PolicyResource, retentions: readonly [string, number][]): string | undefined {
    const { minRetentionDays: min, maxRetentionDays: max } = lock.props;
    const outside = retentions.find(([, days]) => (typeof min === "number" && days < min) || (typeof max === "number" && days > max));
    return outside && `has a lock ("${lock.name}") allowing ${String(min ?? 1)}–${String(max ?? "any")} days, not the ${dayCount(outside[1])} of ${outside[0]}: AWS Backup fails those jobs`;
}

/** Why a vault's recovery points can be deleted early (or not be made), or undefined. */
function vaultLockProblem(vault: PolicyResource, vaults: readonly PolicyResource[], locks: readonly PolicyResource[], plans: readonly PolicyResource[], config: VaultLockConfig): string | undefined {
    if (isTrue(vault.props.forceDestroy)) return "would delete every recovery point with the vault (forceDestroy true)";
    const own = locksOf(vault, vaults, locks);
    if (own.length === 0) return `has no vault lock (VaultLockConfiguration): a ${config.mode} lock is required, or recovery points can be deleted before their retention ends`;
    for (const lock of own) {
        const changeable = lock.props.changeableForDays;
        // The provider makes a compliance lock when changeableForDays is set, a governance lock when not.
        if (config.mode === "compliance" && typeof changeable !== "number") return `has a governance lock ("${lock.name}" sets no changeableForDays); compliance is required`;
        if (typeof changeable === "number" && changeable > config.maxChangeableForDays) return `has a lock ("${lock.name}") that stays removable for ${dayCount(changeable)}; at most ${config.maxChangeableForDays}`;
        const minimum = lock.props.minRetentionDays;
        if (typeof minimum !== "number") return `has a lock ("${lock.name}") without minRetentionDays: recovery points may be kept ${config.minimumRetentionDays} days or less`;
        if (minimum < config.minimumRetentionDays) return `has a lock ("${lock.name}") with minRetentionDays ${minimum}; at least ${config.minimumRetentionDays} required`;
        const misfit = lockFitProblem(lock, retentionsInto(vault, plans, vaults));
        if (misfit !== undefined) return misfit;
    }
    return undefined;
}

/** AWS Backup actions that delete recovery points, shorten them, or lift the vault's protection. */
const destructiveBackupActions = [
    "backup:DeleteRecoveryPoint",
    "backup:UpdateRecoveryPointLifecycle",
    "backup:DeleteBackupVault",
    "backup:DeleteBackupVaultLockConfiguration",
    "backup:PutBackupVaultLockConfiguration",
    "backup:PutBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultAccessPolicy",
];

/** The destructive actions a vault access policy allows (an Allow with NotAction allows them all). */
function destructiveAllowed(document: unknown): string[] {
    return policyStatements(document)
        .filter((s) => s.Effect === "Allow")
        .flatMap((s) => (s.NotAction !== undefined
            ? destructiveBackupActions.filter((a) => !stringsOf(s.NotAction).some((p) => globMatches(p, a, true)))
            : destructiveBackupActions.filter((a) => stringsOf(s.Action).some((p) => globMatches(p, a, true)))));
}

export const backupVaultLock = stackPolicy({
    name: "keel-backup-vault-lock",
    description: "Where required (`mode`: production compliance, staging governance), every AWS Backup vault has a Vault Lock of that strength or stronger (compliance: changeableForDays at most `maxChangeableForDays`) with minRetentionDays at least `minimumRetentionDays` and a range that admits every rule and copy sent into it, and no vault is force-destroyable: recovery points cannot be deleted early, not even by an administrator. No vault access policy allows deleting or shortening recovery points or unlocking the vault.",
    config: vaultLockSettings,
    check: function* ({ resources }, config) {
        for (const policy of ofType(resources, vaultPolicyType)) {
            const allowed = whenKnown(() => destructiveAllowed(policy.props.policy), []);
            if (allowed.length > 0) yield [`AWS Backup vault policy "${policy.name}" allows ${allowed.join(", ")}: recovery points could be deleted or shortened, or the vault unlocked, by whoever it names`, policy.urn];
        }
        if (config.mode === "none") return;
        const locks = ofType(resources, vaultLockType);
        const vaults = ofType(resources, vaultType);
        const plans = ofType(resources, planType);
        for (const vault of vaults) {
            const problem = whenKnown(() => vaultLockProblem(vault, vaults, locks, plans, config), undefined);
            if (problem !== undefined) yield [`AWS Backup vault "${vault.name}" ${problem}`, vault.urn];
        }
    },
});

// ---- every database in a selection of its region ----


/** Whether an ARN pattern of a selection's `resources` names the database. */
function arnSelects(pattern: string, database: PolicyResource): boolean {
    if (pattern === "*") return true;
    const [arn, , service, region, , kind, ...rest] = pattern.split(":");
    if (arn !== "arn" || rest.length === 0 || service === undefined || region === undefined || kind === undefined) return false;
    const cluster = database.type === clusterType;
    const databaseRegion = regionOf(database);
    if (!globMatches(service, "rds") || !globMatches(kind, cluster ? "cluster" : "db")) return false;
    if (databaseRegion !== undefined && !globMatches(region, databaseRegion)) return false;
    const name = rest.join(":");
    const identifierProperty = cluster ? "clusterIdentifier" : "identifier";
    const identifier = database.props[identifierProperty];
    if (typeof identifier === "string") return globMatches(name, identifier);
    // Auto-named: the logical name, a hyphen and seven hex digits.
    return /[*?]/.test(name) ? globMatches(name, `${database.name}-0a1b2c3`) : couldBeNameOf(name, database, identifierProperty);
}

type TagTest = (value: unknown, expected: string) => boolean;
const tagTests: Record<string, TagTest> = {
    stringEquals: (value, expected) => value === expected,
    stringLikes: (value, expected) => typeof value === "string" && globMatches(expected, value),
    stringNotEquals: (value, expected) => value !== expected,
    stringNotLikes: (value, expected) => !(typeof value === "string" && globMatches(expected, value)),
};

/** Whether every condition of a selection holds for these tags (AWS Backup ANDs them). */
function conditionsHold(conditions: unknown, tags: Record<string, unknown>): boolean {
    return [conditions ?? []].flat().every((condition) => Object.entries(tagTests).every(([operator, test]) =>
        list(object(condition)[operator]).every((entry) => {
            const tag = /^aws:resourcetag\/(.+)$/i.exec(String(entry.key))?.[1];
            return tag === undefined || test(tags[tag], String(entry.value));
        })));
}

/** The AWS Backup resource type of a database, as region settings name it. */
const backupTypeOf = (database: PolicyResource) => (database.type === clusterType ? "Aurora" : "RDS");

/** A region settings resource that opts AWS Backup out of the database's type in its region, if any. */
function optedOut(database: PolicyResource, settings: readonly PolicyResource[]): PolicyResource | undefined {
    return settings.find((s) => {
        if (regionOf(s) !== undefined && regionOf(database) !== undefined && regionOf(s) !== regionOf(database)) return false;
        const preference = whenKnown(() => object(s.props.resourceTypeOptInPreference)[backupTypeOf(database)], undefined);
        return preference === false || preference === "false";
    });
}

/** Whether a selection of a plan of the database's region assigns the database. */
function selects(selection: PolicyResource, database: PolicyResource, plans: readonly PolicyResource[]): boolean {
    const plan = plans.find((p) => dependsOn(selection, p, "planId"));
    if (plan === undefined || list(plan.props.rules).length === 0) return false;
    const region = regionOf(database);
    if (region !== undefined && regionOf(selection) !== undefined && regionOf(selection) !== region) return false;
    const props = selection.props;
    const tags = tagsOf(database);
    const patterns: unknown[] = [props.resources ?? []].flat();
    const byArn = patterns.some((p) => typeof p === "string" && arnSelects(p, database));
    const byTag = list(props.selectionTags).some((t) => String(t.type ?? "STRINGEQUALS").toUpperCase() === "STRINGEQUALS" && typeof t.key === "string" && tags[t.key] === t.value);
    const excluded = [props.notResources ?? []].flat().some((p) => typeof p === "string" && arnSelects(p, database));
    return (byArn || byTag) && !excluded && conditionsHold(props.conditions, tags);
}

export const databaseBackupSelection = stackPolicy({
    name: "keel-database-backup-selection",
    description: "Where required (production, staging), every primary database (RDS instance or Aurora cluster that is not a replica) is assigned to an AWS Backup plan with rules by a selection of its own region (selections are regional), by ARN or by tags and conditions as AWS Backup evaluates them, and AWS Backup is not opted out of its type there (region settings).",
    config: { required: setting.switch(false) },
    check: function* ({ resources }) {
        const plans = ofType(resources, planType);
        const selections = ofType(resources, selectionType);
        const regionSettings = ofType(resources, regionSettingsType);
        const databases = resources.filter((r) => (r.type === instanceType || r.type === clusterType) && !whenKnown(() => isDatabaseCopy(r.props), true));
        for (const database of databases) {
            const optOut = optedOut(database, regionSettings);
            if (optOut !== undefined) {
                yield [`${database.type.split(":").pop()} "${database.name}" is not backed up: "${optOut.name}" opts AWS Backup out of ${backupTypeOf(database)} in ${String(regionOf(optOut) ?? "its region")} (resourceTypeOptInPreference)`, database.urn];
                continue;
            }
            if (selections.some((s) => whenKnown(() => selects(s, database, plans), true))) continue;
            const region = regionOf(database);
            yield [
                `${database.type.split(":").pop()} "${database.name}"${region ? ` (${region})` : ""} is in no AWS Backup selection of a plan of its region: tag it as the selection asks (components/database tags writers backup=true) or name it`,
                database.urn,
            ];
        }
    },
});

export const backupPlanPolicies = [backupPlanRetention, backupCrossRegionCopy, backupVaultLock, databaseBackupSelection];
