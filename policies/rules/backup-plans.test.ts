import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Policy, PolicyPackConfig } from "@pulumi/policy";
import type { PlanResource } from "../../offline-plan/record";
import { east, found as foundIn, production, provider, resource, staging, west, type PlanInput } from "../testing";
import { backupPolicies } from "./backup";
import { backupCrossRegionCopy, backupPlanPolicies, backupPlanRetention, backupVaultLock, databaseBackupSelection } from "./backup-plans";

const primaryVaultArn = "arn:aws:backup:us-east-1:123456789012:backup-vault:backup-vault-7f66e06";
const drVaultArn = "arn:aws:backup:us-west-2:123456789012:backup-vault:backup-dr-vault-9016521";
const vault = (name: string, region: PlanResource, inputs: Record<string, unknown> = {}) =>
    resource("aws:backup/vault:Vault", { kmsKeyArn: `arn:aws:kms:${String(region.inputs.region)}:123456789012:key/k`, ...inputs }, { name, provider: region }).resource;
const primaryVault = vault("backup-vault", east);
const drVault = vault("backup-dr-vault", west);

type Rule = Record<string, unknown>;
/** A rule as components/backup/plan.ts writes it: the lifecycle, and a copy into `copyTo` with the same lifecycle. */
const rule = (ruleName: string, deleteAfter: number, copyTo?: string, changes: Rule = {}): Rule => ({
    ruleName,
    schedule: "cron(0 6 ? * * *)",
    lifecycle: { deleteAfter },
    ...(copyTo ? { copyActions: [{ destinationVaultArn: copyTo, lifecycle: { deleteAfter } }] } : {}),
    ...changes,
});
const productionRules = (copyTo?: string) => [rule("pitr", 35, copyTo, { enableContinuousBackup: true }), rule("daily", 7, copyTo), rule("weekly", 28, copyTo), rule("monthly", 365, copyTo)];
const plan = (name: string, region: PlanResource, rules: Rule[], dependsOn: PlanResource[] = [primaryVault, drVault]) =>
    resource("aws:backup/plan:Plan", { rules }, { name, provider: region, dependsOn }).resource;
const primaryPlan = plan("backup-plan", east, productionRules(drVaultArn));
const drPlan = plan("backup-dr-plan", west, productionRules(primaryVaultArn));

/** The messages of a policy's violations over the fixtures beside both regions' providers. */
const found = (policy: Policy, fixtures: readonly PlanInput[], config?: PolicyPackConfig) => foundIn(policy, [east, west, ...fixtures], config);

describe("backup plan policies", () => {
    test("are part of the backup module's policies, each mandatory", () => {
        for (const policy of backupPlanPolicies) {
            assert.ok(backupPolicies.includes(policy), policy.name);
            assert.equal(policy.enforcementLevel, "mandatory");
        }
    });
});

describe("keel-backup-plan-retention", () => {
    test("passes production's plans (primary and DR region) under production's minimums", async () => {
        assert.deepEqual(await found(backupPlanRetention, [primaryPlan, drPlan], production), []);
    });

    test("refuses recovery points or copies kept too short, and a required rule removed or renamed", async () => {
        const rules = productionRules(drVaultArn);
        rules[1] = rule("daily", 1, drVaultArn);
        rules[3] = { ...rule("monthly", 365), copyActions: [{ destinationVaultArn: drVaultArn, lifecycle: { deleteAfter: 30 } }] };
        assert.deepEqual(await found(backupPlanRetention, [plan("backup-plan", east, rules)], production), [
            'AWS Backup plan "backup-plan" rule "daily" deletes recovery points after 1 day; at least 7 required',
            'AWS Backup plan "backup-plan" rule "daily" deletes its copies after 1 day; at least 7 required',
            'AWS Backup plan "backup-plan" rule "monthly" deletes its copies after 30 days; at least 365 required',
        ]);
        const renamed = productionRules(drVaultArn).map((r) => (r.ruleName === "monthly" ? rule("monthly-archive", 60, drVaultArn) : r));
        assert.deepEqual(await found(backupPlanRetention, [plan("backup-dr-plan", west, renamed)], production), ['AWS Backup plan "backup-dr-plan" has no rule "monthly" (recovery points kept at least 365 days)']);
    });

    test("staging keeps weekly recovery points 28 days; a rule without deleteAfter keeps them forever", async () => {
        assert.deepEqual(await found(backupPlanRetention, [plan("backup-plan", east, [rule("weekly", 28)])], staging), []);
        assert.deepEqual(await found(backupPlanRetention, [plan("backup-plan", east, [rule("weekly", 14)])], staging), ['AWS Backup plan "backup-plan" rule "weekly" deletes recovery points after 14 days; at least 28 required']);
        assert.deepEqual(await found(backupPlanRetention, [plan("backup-plan", east, [{ ruleName: "weekly" }])], staging), []);
    });

    test("keeps the rules continuousRules names continuous", async () => {
        const rules = productionRules(drVaultArn).map((r) => (r.ruleName === "pitr" ? { ...r, enableContinuousBackup: false } : r));
        assert.deepEqual(await found(backupPlanRetention, [plan("backup-plan", east, rules)], production), [
            'AWS Backup plan "backup-plan" rule "pitr" no longer backs up continuously (enableContinuousBackup): point-in-time restore is lost',
        ]);
    });

    test("asks a day by default", async () => {
        assert.deepEqual(await found(backupPlanRetention, [plan("backup-plan", east, [rule("daily", 1)])]), []);
    });
});

describe("keel-backup-cross-region-copy", () => {
    const required = { "keel-backup-cross-region-copy": { required: true } };

    test("passes production's plans: every rule copies to the other region, and both regions have a plan", async () => {
        assert.deepEqual(await found(backupCrossRegionCopy, [primaryVault, drVault, primaryPlan, drPlan], production), []);
    });

    test("refuses a rule without a copy, a copy in the same region and a plan copying into a region without a plan", async () => {
        const rules = productionRules(drVaultArn);
        delete rules[0].copyActions;
        rules[1] = rule("daily", 7, primaryVaultArn);
        assert.deepEqual(await found(backupCrossRegionCopy, [primaryVault, drVault, plan("backup-plan", east, rules)], required), [
            'AWS Backup plan "backup-plan" rule "pitr" copies its recovery points to no vault in another region',
            'AWS Backup plan "backup-plan" rule "daily" copies its recovery points to no vault in another region',
            'AWS Backup plan "backup-plan" copies into us-west-2, where no plan backs up what runs there after a failover (the DR region\'s plan, copying back, is missing)',
        ]);
    });

    test("refuses copies to a vault outside the stack (another account), required or not", async () => {
        const foreign = "arn:aws:backup:us-west-2:999999999999:backup-vault:exfiltration";
        const rules = [rule("daily", 7, foreign)];
        for (const config of [{}, required]) {
            assert.deepEqual((await found(backupCrossRegionCopy, [primaryVault, drVault, plan("backup-plan", east, rules), drPlan], config)).slice(0, 1), [
                `AWS Backup plan "backup-plan" rule "daily" copies to ${foreign}, not a vault of the stack`,
            ]);
        }
    });

    test("counts a copy whose destination is not known yet when the plan depends on a vault of the other region", async () => {
        const unknown = [{ ...rule("daily", 7), copyActions: [{ lifecycle: { deleteAfter: 7 } }] }];
        assert.deepEqual(await found(backupCrossRegionCopy, [primaryVault, drVault, plan("backup-plan", east, unknown), drPlan], required), []);
        assert.deepEqual(await found(backupCrossRegionCopy, [primaryVault, plan("backup-plan", east, unknown, [primaryVault])], required), [
            'AWS Backup plan "backup-plan" rule "daily" copies its recovery points to no vault in another region',
        ]);
    });

    test("asks no copies where not required (staging)", async () => {
        assert.deepEqual(await found(backupCrossRegionCopy, [primaryVault, plan("backup-plan", east, [rule("weekly", 28)], [primaryVault])], staging), []);
    });
});

describe("keel-backup-vault-lock", () => {
    const lock = (name: string, target: PlanResource, inputs: Record<string, unknown>, region: PlanResource = east) =>
        resource("aws:backup/vaultLockConfiguration:VaultLockConfiguration", inputs, { name, provider: region, dependsOn: [target] }).resource;
    const compliance = { backupVaultName: "backup-vault-7f66e06", changeableForDays: 3, minRetentionDays: 7, maxRetentionDays: 365 };
    const governance = { backupVaultName: "backup-vault-7f66e06", minRetentionDays: 28, maxRetentionDays: 28 };
    const refusal = (why: string) => [`AWS Backup vault "backup-vault" ${why}`];

    test("passes production's compliance locks, and staging's governance lock (or a stronger one)", async () => {
        const drLock = lock("backup-dr-vault-lock", drVault, { ...compliance, backupVaultName: "backup-dr-vault-9016521" }, west);
        assert.deepEqual(await found(backupVaultLock, [primaryVault, drVault, lock("backup-vault-lock", primaryVault, compliance), drLock], production), []);
        assert.deepEqual(await found(backupVaultLock, [primaryVault, lock("backup-vault-lock", primaryVault, governance)], staging), []);
        assert.deepEqual(await found(backupVaultLock, [primaryVault, lock("backup-vault-lock", primaryVault, { ...compliance, minRetentionDays: 28 })], staging), []);
    });

    test("refuses a vault without a lock, or with the other vault's lock only", async () => {
        assert.deepEqual(await found(backupVaultLock, [primaryVault], production), refusal("has no vault lock (VaultLockConfiguration): a compliance lock is required, or recovery points can be deleted before their retention ends"));
        const misnamed = lock("backup-vault-lock", primaryVault, { ...compliance, backupVaultName: "backup-dr-vault-9016521" });
        assert.deepEqual(await found(backupVaultLock, [primaryVault, misnamed], production), refusal("has no vault lock (VaultLockConfiguration): a compliance lock is required, or recovery points can be deleted before their retention ends"));
    });

    test("refuses a weaker lock: governance where compliance is required, a short minimum, none at all, a lock changeable for years", async () => {
        const cases: [Record<string, unknown>, string][] = [
            [{ ...compliance, changeableForDays: undefined }, 'has a governance lock ("backup-vault-lock" sets no changeableForDays); compliance is required'],
            [{ ...compliance, minRetentionDays: 1 }, 'has a lock ("backup-vault-lock") with minRetentionDays 1; at least 7 required'],
            [{ ...compliance, minRetentionDays: undefined }, 'has a lock ("backup-vault-lock") without minRetentionDays: recovery points may be kept 7 days or less'],
            [{ ...compliance, changeableForDays: 3650 }, 'has a lock ("backup-vault-lock") that stays removable for 3650 days; at most 3'],
        ];
        for (const [inputs, why] of cases) {
            const defined = Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined));
            assert.deepEqual(await found(backupVaultLock, [primaryVault, lock("backup-vault-lock", primaryVault, defined)], production), refusal(why), why);
        }
    });

    test("refuses a lock whose range leaves out a rule or a copy sent into the vault (AWS Backup fails those jobs)", async () => {
        const into = (rules: Rule[]) => plan("backup-plan", east, rules.map((r) => ({ ...r, targetVaultName: "backup-vault-7f66e06" })));
        const locked = lock("backup-vault-lock", primaryVault, { ...compliance, maxRetentionDays: 90 });
        assert.deepEqual(await found(backupVaultLock, [primaryVault, locked, into(productionRules())], production), refusal('has a lock ("backup-vault-lock") allowing 7–90 days, not the 365 days of rule "monthly" of plan "backup-plan": AWS Backup fails those jobs'));
        const copies = plan("backup-dr-plan", west, [rule("daily", 3, primaryVaultArn)]);
        assert.deepEqual(await found(backupVaultLock, [primaryVault, lock("backup-vault-lock", primaryVault, { ...compliance, minRetentionDays: 7 }), copies], production), refusal('has a lock ("backup-vault-lock") allowing 7–365 days, not the 3 days of the copies of rule "daily" of plan "backup-dr-plan": AWS Backup fails those jobs'));
    });

    test("refuses a vault access policy that lets anyone delete or shorten recovery points, required or not", async () => {
        const vaultPolicy = (statement: Record<string, unknown>) => resource("aws:backup/vaultPolicy:VaultPolicy", { backupVaultName: "backup-vault-7f66e06", policy: JSON.stringify({ Statement: [statement] }) }, { name: "backup-vault", provider: east }).resource;
        const deny = vaultPolicy({ Effect: "Deny", Principal: "*", Action: ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"], Resource: "*" });
        assert.deepEqual(await found(backupVaultLock, [deny]), []);
        assert.deepEqual(await found(backupVaultLock, [vaultPolicy({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "backup:Delete*", Resource: "*" })]), [
            'AWS Backup vault policy "backup-vault" allows backup:DeleteRecoveryPoint, backup:DeleteBackupVault, backup:DeleteBackupVaultLockConfiguration, backup:DeleteBackupVaultAccessPolicy: recovery points could be deleted or shortened, or the vault unlocked, by whoever it names',
        ]);
        assert.deepEqual((await found(backupVaultLock, [vaultPolicy({ Effect: "Allow", Principal: "*", NotAction: "backup:StartBackupJob", Resource: "*" })], production)).length, 1);
    });

    test("refuses a force-destroyable vault", async () => {
        const destroyable = vault("backup-vault", east, { forceDestroy: true });
        assert.deepEqual(await found(backupVaultLock, [destroyable, lock("backup-vault-lock", destroyable, compliance)], staging), refusal("would delete every recovery point with the vault (forceDestroy true)"));
    });

    test("a lock naming a vault of the same logical name elsewhere counts only where it depends on it", async () => {
        const other = resource("aws:backup/vault:Vault", { kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/o" }, { name: "backup-vault", provider: east, parent: resource("keel:backup:BackupPlan", {}, { name: "other" }).resource }).resource;
        assert.deepEqual(await found(backupVaultLock, [primaryVault, other, lock("backup-vault-lock", other, compliance)], production), refusal("has no vault lock (VaultLockConfiguration): a compliance lock is required, or recovery points can be deleted before their retention ends"));
    });

    test("finds a lock by dependency when the vault's name is not known, and asks nothing by default (dev)", async () => {
        const unnamed = Object.fromEntries(Object.entries(compliance).filter(([key]) => key !== "backupVaultName"));
        assert.deepEqual(await found(backupVaultLock, [primaryVault, lock("backup-vault-lock", primaryVault, unnamed)], production), []);
        assert.deepEqual(await found(backupVaultLock, [primaryVault]), []);
    });
});

describe("keel-database-backup-selection", () => {
    const required = { "keel-database-backup-selection": { required: true } };
    const writer = (name = "database-primary", region: PlanResource = east, changes: Record<string, unknown> = {}) =>
        resource("aws:rds/instance:Instance", { engine: "postgres", tags: { Name: name, backup: "true" }, ...changes }, { name, provider: region }).resource;
    /** The selection components/backup/plan.ts makes for `resourceTypes: ["RDS"], tags: { backup: "true" }`. */
    const byTypeAndTag = { resources: ["arn:aws:rds:*:*:db:*"], conditions: [{ stringEquals: [{ key: "aws:ResourceTag/backup", value: "true" }] }] };
    const selection = (inputs: Record<string, unknown>, region: PlanResource = east, of: PlanResource = primaryPlan, name = "backup-selection") =>
        resource("aws:backup/selection:Selection", { iamRoleArn: "arn:aws:iam::123456789012:role/backup", ...inputs }, { name, provider: region, dependsOn: [of] }).resource;
    const judge = (fixtures: PlanResource[]) => found(databaseBackupSelection, [primaryPlan, drPlan, ...fixtures], required);
    const refusal = (name = "database-primary", region = "us-east-1") =>
        `Instance "${name}" (${region}) is in no AWS Backup selection of a plan of its region: tag it as the selection asks (components/database tags writers backup=true) or name it`;

    test("passes the writer selected by type and tag, by a tag list, by its ARN or a wildcard", async () => {
        for (const inputs of [
            byTypeAndTag,
            { selectionTags: [{ type: "STRINGEQUALS", key: "backup", value: "true" }] },
            { resources: ["arn:aws:rds:us-east-1:123456789012:db:database-primary-a30d83e"] },
            { resources: ["arn:aws:rds:us-east-1:*:db:database-*"] },
            { resources: ["*"], conditions: [{ stringLikes: [{ key: "aws:ResourceTag/Name", value: "database-*" }], stringNotEquals: [{ key: "aws:ResourceTag/backup", value: "false" }] }] },
        ]) {
            assert.deepEqual(await judge([writer(), selection(inputs)]), [], JSON.stringify(inputs));
        }
    });

    test("reads the tags the provider adds (defaultTags)", async () => {
        const tagged = provider({ name: "tagged", region: "us-east-1", defaultTags: { backup: "true" } });
        const database = resource("aws:rds/instance:Instance", { engine: "postgres", tags: { Name: "database-primary" } }, { name: "database-primary", provider: tagged }).resource;
        assert.deepEqual(await judge([tagged, database, selection(byTypeAndTag)]), []);
    });

    test("refuses a writer untagged, tagged otherwise, of another type, excluded, or selected only in another region", async () => {
        const cases: [PlanResource[], string][] = [
            [[writer("database-primary", east, { tags: { Name: "database-primary" } }), selection(byTypeAndTag)], "untagged"],
            [[writer("database-primary", east, { tags: { Name: "database-primary", backup: "True" } }), selection(byTypeAndTag)], "tag values are case-sensitive"],
            [[writer(), selection({ ...byTypeAndTag, resources: ["arn:aws:rds:*:*:cluster:*"] })], "clusters only"],
            [[writer(), selection({ ...byTypeAndTag, notResources: ["arn:aws:rds:*:*:db:database-primary-*"] })], "excluded"],
            [[writer(), selection({ resources: ["arn:aws:rds:us-east-1:123456789012:db:scratch-1234567"] })], "another database's ARN"],
            [[writer(), selection({ resources: ["arn:aws:rds:us-west-2:*:db:*"] })], "an ARN pattern of another region"],
            [[writer(), selection(byTypeAndTag, west, drPlan, "backup-dr-selection")], "a selection of the other region"],
            [[writer(), selection({ selectionTags: [{ type: "STRINGEQUALS", key: "backup", value: "yes" }] })], "another tag value"],
            [[writer()], "no selection"],
        ];
        for (const [fixtures, why] of cases) assert.deepEqual(await judge(fixtures), [refusal()], why);
    });

    test("refuses a selection of no plan of the stack, or of a plan without rules", async () => {
        const orphan = resource("aws:backup/selection:Selection", byTypeAndTag, { name: "backup-selection", provider: east }).resource;
        assert.deepEqual(await judge([writer(), orphan]), [refusal()]);
        const empty = plan("empty", east, []);
        assert.deepEqual(await judge([writer(), empty, selection(byTypeAndTag, east, empty)]), [refusal()]);
    });

    test("asks nothing of read replicas and Aurora secondaries; asks it of Aurora writers", async () => {
        const replica = resource("aws:rds/instance:Instance", { replicateSourceDb: "arn:aws:rds:us-east-1:123456789012:db:database-primary-a30d83e", tags: { Name: "database-dr" } }, { name: "database-dr", provider: west }).resource;
        const secondary = resource("aws:rds/cluster:Cluster", { globalClusterIdentifier: "keel", engine: "aurora-postgresql", tags: {} }, { name: "db-dr", provider: west }).resource;
        assert.deepEqual(await judge([writer(), selection(byTypeAndTag), replica, secondary]), []);
        const aurora = resource("aws:rds/cluster:Cluster", { engine: "aurora-postgresql", masterUsername: "keel_admin", tags: { backup: "true" } }, { name: "db-primary", provider: east }).resource;
        assert.deepEqual(await judge([aurora, selection(byTypeAndTag)]), ['Cluster "db-primary" (us-east-1) is in no AWS Backup selection of a plan of its region: tag it as the selection asks (components/database tags writers backup=true) or name it']);
        assert.deepEqual(await judge([aurora, selection({ ...byTypeAndTag, resources: ["arn:aws:rds:*:*:cluster:*"] })]), []);
    });

    test("refuses AWS Backup opted out of the database's type in its region", async () => {
        const optOut = resource("aws:backup/regionSettings:RegionSettings", { resourceTypeOptInPreference: { RDS: false, S3: true } }, { name: "backup-settings", provider: east }).resource;
        assert.deepEqual(await judge([writer(), selection(byTypeAndTag), optOut]), ['Instance "database-primary" is not backed up: "backup-settings" opts AWS Backup out of RDS in us-east-1 (resourceTypeOptInPreference)']);
        const elsewhere = resource("aws:backup/regionSettings:RegionSettings", { resourceTypeOptInPreference: { RDS: false } }, { name: "backup-settings", provider: west }).resource;
        assert.deepEqual(await judge([writer(), selection(byTypeAndTag), elsewhere]), []);
    });

    test("is not required by default (dev, local)", async () => {
        assert.deepEqual(await found(databaseBackupSelection, [writer()]), []);
    });
});
