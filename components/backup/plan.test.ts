import * as aws from "@pulumi/aws";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { evaluatePolicies } from "../../policies/offline";
import { keelPolicies } from "../../policies/rules";
import { statefulAwsTypes, taggableAwsTypes, untaggableAwsTypes } from "../../policies/rules/resource-types";
import type { PlanRecord } from "../../offline-plan/engine";
import { mockAccountId } from "../../offline-plan/mocks";
import type { PlanResource } from "../../offline-plan/record";
import { text, object, list, json, mockOf, idOf, arnOf, childrenOf, only, componentPackConfigFor, planComponents, refusedArguments, publicOutputs } from "../../tests/plans";
import { BackupPlan, restoreTestingTargets, selectionInputs, type BackupPlanArgs, type BackupSelectionSpec } from "./plan";
import { guideBackupRules, ruleLifecycle, vaultLockFor, weeklyRestoreTest, type BackupResourceType, type BackupRuleSpec } from "./schedule";

/**
 * The BackupPlan component's contract, read from offline plans built the way the stacks
 * build it: regional `aws.Provider`s with default tags, the primary passed as `{ provider }`,
 * the DR one as `drProvider`.
 */

const types = {
    component: "keel:backup:BackupPlan",
    provider: "pulumi:providers:aws",
    key: "aws:kms/key:Key",
    vault: "aws:backup/vault:Vault",
    lock: "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
    plan: "aws:backup/plan:Plan",
    selection: "aws:backup/selection:Selection",
    role: "aws:iam/role:Role",
    attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    topic: "aws:sns/topic:Topic",
    topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
    notifications: "aws:backup/vaultNotifications:VaultNotifications",
    restorePlan: "aws:backup/restoreTestingPlan:RestoreTestingPlan",
    restoreSelection: "aws:backup/restoreTestingSelection:RestoreTestingSelection",
} as const;

const stackUrn = "urn:pulumi:test::keel::pulumi:pulumi:Stack::keel-test";
const defaultTags = { environment: "test", service: "keel", owner: "platform", "managed-by": "pulumi" };
const events = ["BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED", "S3_BACKUP_OBJECT_FAILED", "RESTORE_JOB_COMPLETED"];
const managedPolicies = [
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
];



const nameOf = (resource: PlanResource) => text(mockOf(resource).state.name, `${resource.name}.name`);

/** One BackupPlan of a plan record: its component, its children and its exported outputs. */
class PlanView {
    readonly component: PlanResource;
    readonly children: PlanResource[];
    readonly outputs: Record<string, unknown>;

    constructor(readonly record: PlanRecord, readonly name: string) {
        this.component = only(record, types.component, name);
        this.children = childrenOf(record, this.component);
        this.outputs = object(record.outputs[name], `outputs.${name}`);
    }

    /** The child of a type named `<component>-<suffix>`. */
    one(type: string, suffix: string): PlanResource {
        const matches = this.children.filter((r) => r.type === type && r.name === `${this.name}-${suffix}`);
        assert.equal(matches.length, 1, `expected one ${type} named ${this.name}-${suffix}, found ${matches.length}`);
        return matches[0];
    }

    all(type: string): PlanResource[] {
        return this.children.filter((r) => r.type === type);
    }

    /** A region's side: `""` for the primary, `"dr-"` for the DR one. */
    side(prefix: "" | "dr-") {
        return {
            key: this.one(types.key, `${prefix}vault-key`),
            vault: this.one(types.vault, `${prefix}vault`),
            notificationsKey: this.one(types.key, `${prefix}notifications-key`),
            topic: this.one(types.topic, `${prefix}notifications`),
            topicPolicy: this.one(types.topicPolicy, `${prefix}notifications`),
            notifications: this.one(types.notifications, `${prefix}vault-notifications`),
        };
    }
}

/** Counts per type and region of a set of resources, as `type@region`. */
function inventoryOf(resources: PlanResource[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of resources) counts[`${r.type}@${r.region}`] = (counts[`${r.type}@${r.region}`] ?? 0) + 1;
    return counts;
}

/** The inventory of one region's vault side. */
function vaultSide(region: string, locked: boolean): Record<string, number> {
    return {
        [`${types.key}@${region}`]: 2,
        [`${types.vault}@${region}`]: 1,
        ...(locked ? { [`${types.lock}@${region}`]: 1 } : {}),
        [`${types.topic}@${region}`]: 1,
        [`${types.topicPolicy}@${region}`]: 1,
        [`${types.notifications}@${region}`]: 1,
    };
}

/** What the plan's rule for a spec must be: AWS Backup's PlanRule inputs (copying into `drVaultArn`, the other region's vault). */
function expectedRule(spec: BackupRuleSpec, vaultName: string, drVaultArn: string | undefined, resourceTypes?: readonly BackupResourceType[]): Record<string, unknown> {
    const lifecycle = {
        deleteAfter: spec.deleteAfterDays,
        ...(spec.coldStorageAfterDays === undefined || (resourceTypes !== undefined && !resourceTypes.some((t) => ["DynamoDB", "EBS", "EFS"].includes(t)))
            ? {}
            : { coldStorageAfter: spec.coldStorageAfterDays, optInToArchiveForSupportedResources: true }),
    };
    return {
        ruleName: spec.name,
        targetVaultName: vaultName,
        ...(spec.schedule === undefined ? {} : { schedule: spec.schedule }),
        scheduleExpressionTimezone: "Etc/UTC",
        startWindow: spec.startWindowMinutes ?? 60,
        completionWindow: spec.completionWindowMinutes ?? 180,
        enableContinuousBackup: spec.continuous === true,
        lifecycle,
        ...(spec.copyToDr === true && drVaultArn !== undefined ? { copyActions: [{ destinationVaultArn: drVaultArn, lifecycle }] } : {}),
    };
}

// ---- the plans, each built once ----

/** The guides' rules, every one copied into the DR vault (3-2-1: one copy off-site). */
const copiedRules: readonly BackupRuleSpec[] = Object.values(guideBackupRules).map((rule) => ({ ...rule, copyToDr: true }));
const weeklyRules: readonly BackupRuleSpec[] = [guideBackupRules.weekly];

const productionArgs = (drProvider: aws.Provider): BackupPlanArgs => ({
    rules: copiedRules,
    // As the stacks select: the database's type, tagged.
    selection: { resourceTypes: ["RDS"], tags: { backup: "production" } },
    vaultLock: vaultLockFor("compliance", copiedRules),
    drProvider,
    restoreTesting: { ...weeklyRestoreTest("RDS"), validationWindowHours: 2 },
    tags: { "cost-center": "platform" },
});

function planProduction(): Promise<PlanRecord> {
    return planComponents(() => {
        const primary = new aws.Provider("primary", { region: "us-east-1", defaultTags: { tags: defaultTags } });
        const dr = new aws.Provider("dr", { region: "us-west-2", defaultTags: { tags: defaultTags } });
        const plan = new BackupPlan("prod-backup", productionArgs(dr), { provider: primary, protect: true, retainOnDelete: true });
        return { "prod-backup": publicOutputs(plan) };
    });
}

const stagingDatabaseArn = `arn:aws:rds:us-east-1:${mockAccountId}:db:staging`;

function planStaging(): Promise<PlanRecord> {
    return planComponents(() => {
        const primary = new aws.Provider("primary", { region: "us-east-1", defaultTags: { tags: defaultTags } });
        const plan = new BackupPlan("staging-backup", {
            rules: weeklyRules,
            selection: { tags: { backup: "staging" }, resourceArns: [stagingDatabaseArn] },
            vaultLock: vaultLockFor("governance", weeklyRules),
        }, { provider: primary });
        return { "staging-backup": publicOutputs(plan) };
    });
}

// ---- scenarios ----

describe("BackupPlan production-like: us-east-1 + us-west-2 DR (a plan in each), compliance lock, the guides' rules, weekly restore tests", () => {
    let view: PlanView;
    before(async () => {
        view = new PlanView(await planProduction(), "prod-backup");
    });

    it("registers a keel:backup:BackupPlan component under the stack", () => {
        assert.equal(view.component.urn, "urn:pulumi:test::keel::keel:backup:BackupPlan::prod-backup");
        assert.equal(view.component.parent, stackUrn);
        assert.equal(view.component.custom, false);
    });

    it("creates exactly the expected children, in the primary and the DR region", () => {
        assert.deepEqual(inventoryOf(view.children), {
            ...vaultSide("us-east-1", true),
            ...vaultSide("us-west-2", true),
            [`${types.plan}@us-east-1`]: 1,
            [`${types.plan}@us-west-2`]: 1,
            [`${types.role}@us-east-1`]: 1,
            [`${types.attachment}@us-east-1`]: 2,
            [`${types.selection}@us-east-1`]: 1,
            [`${types.selection}@us-west-2`]: 1,
            [`${types.restorePlan}@us-east-1`]: 1,
            [`${types.restorePlan}@us-west-2`]: 1,
            [`${types.restoreSelection}@us-east-1`]: 1,
            [`${types.restoreSelection}@us-west-2`]: 1,
        });
    });

    it("puts the DR side on the drProvider and everything else on the component's provider, each child named after the component", () => {
        const primaryUrn = only(view.record, types.provider, "primary").urn;
        const drUrn = only(view.record, types.provider, "dr").urn;
        for (const child of view.children) {
            const isDr = child.name.startsWith("prod-backup-dr-");
            assert.equal(child.parent, view.component.urn, child.name);
            assert.equal(child.provider, isDr ? drUrn : primaryUrn, `${child.type} ${child.name}`);
            assert.equal(child.region, isDr ? "us-west-2" : "us-east-1", `${child.type} ${child.name}`);
            assert.ok(child.name.startsWith("prod-backup-"), child.name);
        }
        // Nothing lands on a default provider.
        assert.deepEqual(view.record.resources.filter((r) => r.type === types.provider && r.name === "default"), []);
    });

    it("encrypts each vault with its own region's customer-managed key, rotated yearly", () => {
        for (const [prefix, region] of [["", "us-east-1"], ["dr-", "us-west-2"]] as const) {
            const { key, vault } = view.side(prefix);
            assert.equal(key.inputs.enableKeyRotation, true, key.name);
            assert.equal(key.inputs.deletionWindowInDays, 30, key.name);
            assert.equal(key.inputs.policy, undefined, `${key.name} keeps the account's default key policy`);
            assert.equal(vault.inputs.kmsKeyArn, arnOf(key), vault.name);
            assert.match(arnOf(key), new RegExp(`^arn:aws:kms:${region}:${mockAccountId}:key/`));
        }
    });

    it("locks both vaults in compliance mode: changeable for 3 days, 7 to 365 days of retention", () => {
        for (const prefix of ["", "dr-"] as const) {
            const lock = view.one(types.lock, `${prefix}vault-lock`);
            assert.deepEqual(lock.inputs, { backupVaultName: nameOf(view.side(prefix).vault), changeableForDays: 3, minRetentionDays: 7, maxRetentionDays: 365 });
        }
    });

    it("has one rule per spec with its schedule, windows, lifecycle and a copy into the DR vault's ARN with the same lifecycle", () => {
        const plan = view.one(types.plan, "plan");
        const vaultName = nameOf(view.side("").vault);
        const drVaultArn = arnOf(view.side("dr-").vault);
        assert.match(drVaultArn, new RegExp(`^arn:aws:backup:us-west-2:${mockAccountId}:backup-vault:prod-backup-dr-vault-`));
        assert.deepEqual(plan.inputs.rules, copiedRules.map((spec) => expectedRule(spec, vaultName, drVaultArn, ["RDS"])));
        // Spot checks against the guides, independent of the helper above.
        const rules = list(plan.inputs.rules, "rules").map((r, i) => object(r, `rules[${i}]`));
        assert.deepEqual(rules.map((r) => r.ruleName), ["pitr", "daily", "weekly", "monthly"]);
        assert.deepEqual(rules.map((r) => object(r.lifecycle, "lifecycle").deleteAfter), [35, 7, 28, 365]);
        assert.equal(rules[0].enableContinuousBackup, true);
        // RDS does not move to cold storage: the monthly rule keeps its year, warm, and says so.
        assert.deepEqual(rules[3].lifecycle, { deleteAfter: 365 });
        for (const r of rules) assert.equal(object(list(r.copyActions, "copyActions")[0], "copyAction").destinationVaultArn, drVaultArn);
        assert.ok(plan.dependencies.includes(view.side("dr-").vault.urn), "the plan does not depend on the DR vault");
    });

    it("has the same rules in the DR region, into the DR vault, copying back into the primary vault", () => {
        const drPlan = view.one(types.plan, "dr-plan");
        assert.equal(drPlan.region, "us-west-2");
        const primaryVaultArn = arnOf(view.side("").vault);
        assert.match(primaryVaultArn, new RegExp(`^arn:aws:backup:us-east-1:${mockAccountId}:backup-vault:prod-backup-vault-`));
        assert.deepEqual(drPlan.inputs.rules, copiedRules.map((spec) => expectedRule(spec, nameOf(view.side("dr-").vault), primaryVaultArn, ["RDS"])));
        assert.deepEqual(drPlan.inputs.tags, { "cost-center": "platform", Name: "prod-backup-dr-plan" });
        assert.ok(drPlan.dependencies.includes(view.side("").vault.urn), "the DR plan does not depend on the primary vault");
    });

    it("selects RDS resources carrying the tag (ARN pattern + aws:ResourceTag condition) in both regions, with the backup role, after its policies are attached", () => {
        const role = view.one(types.role, "role");
        for (const [prefix, region] of [["", "us-east-1"], ["dr-", "us-west-2"]] as const) {
            const selection = view.one(types.selection, `${prefix}selection`);
            assert.equal(selection.region, region);
            assert.equal(selection.inputs.planId, idOf(view.one(types.plan, `${prefix}plan`)), selection.name);
            assert.equal(selection.inputs.iamRoleArn, arnOf(role));
            assert.deepEqual(selection.inputs.resources, ["arn:aws:rds:*:*:db:*"]);
            assert.deepEqual(selection.inputs.conditions, [{ stringEquals: [{ key: "aws:ResourceTag/backup", value: "production" }] }]);
            assert.equal(selection.inputs.selectionTags, undefined);
            for (const attachment of view.all(types.attachment)) assert.ok(selection.dependencies.includes(attachment.urn), `${selection.name} waits for ${attachment.name}`);
        }
    });

    it("gives AWS Backup a role it alone can assume, with AWS's managed backup and restore policies", () => {
        const role = view.one(types.role, "role");
        assert.deepEqual(json(role.inputs.assumeRolePolicy, "assumeRolePolicy"), {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "sts:AssumeRole" }],
        });
        const attachments = view.all(types.attachment);
        assert.deepEqual(attachments.map((a) => a.inputs.policyArn).sort(), managedPolicies);
        for (const a of attachments) assert.equal(a.inputs.role, nameOf(role), a.name);
    });

    it("publishes both vaults' job events to a topic in the vault's region, encrypted with a key AWS Backup may use", () => {
        for (const [prefix, region] of [["", "us-east-1"], ["dr-", "us-west-2"]] as const) {
            const { vault, notificationsKey, topic, topicPolicy, notifications } = view.side(prefix);
            const topicArn = arnOf(topic);
            assert.match(topicArn, new RegExp(`^arn:aws:sns:${region}:${mockAccountId}:prod-backup-${prefix}notifications-`));
            assert.equal(topic.inputs.kmsMasterKeyId, arnOf(notificationsKey), topic.name);
            assert.notEqual(topic.inputs.kmsMasterKeyId, "alias/aws/sns");
            assert.deepEqual(notifications.inputs, { backupVaultName: nameOf(vault), snsTopicArn: topicArn, backupVaultEvents: events });
            assert.ok(notifications.dependencies.includes(topicPolicy.urn), `${notifications.name} is set before the topic admits AWS Backup`);
            assert.equal(topicPolicy.inputs.arn, topicArn);
            assert.deepEqual(json(topicPolicy.inputs.policy, "policy"), {
                Version: "2012-10-17",
                Statement: [{ Sid: "BackupPublishesVaultEvents", Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "SNS:Publish", Resource: topicArn }],
            });
            assert.equal(notificationsKey.inputs.enableKeyRotation, true);
            assert.deepEqual(json(notificationsKey.inputs.policy, "key policy").Statement, [
                { Sid: "EnableIamPolicies", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${mockAccountId}:root` }, Action: "kms:*", Resource: "*" },
                { Sid: "BackupPublishesToEncryptedTopic", Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: ["kms:GenerateDataKey*", "kms:Decrypt"], Resource: "*" },
            ]);
        }
    });

    it("tests restores weekly in each region: the latest snapshot or continuous recovery point of the past week from the region's vault", () => {
        for (const [prefix, side, region] of [["prod_backup", "", "us-east-1"], ["prod_backup_dr", "dr-", "us-west-2"]] as const) {
            const restorePlan = view.one(types.restorePlan, `${side}restore-testing`);
            assert.equal(restorePlan.region, region);
            assert.equal(restorePlan.inputs.name, `${prefix}_restore_testing`);
            assert.equal(restorePlan.inputs.scheduleExpression, "cron(0 8 ? * MON *)");
            assert.equal(restorePlan.inputs.scheduleExpressionTimezone, "Etc/UTC");
            assert.deepEqual(restorePlan.inputs.recoveryPointSelection, {
                algorithm: "LATEST_WITHIN_WINDOW",
                includeVaults: [arnOf(view.side(side).vault)],
                recoveryPointTypes: ["SNAPSHOT", "CONTINUOUS"],
                selectionWindowDays: 7,
            });
            const selection = view.one(types.restoreSelection, `${side}restore-testing`);
            // Conditions only: the AWS provider requires exactly one of protectedResourceArns and protectedResourceConditions.
            assert.deepEqual(selection.inputs, {
                name: `${prefix}_selection`,
                restoreTestingPlanName: `${prefix}_restore_testing`,
                protectedResourceType: "RDS",
                iamRoleArn: arnOf(view.one(types.role, "role")),
                protectedResourceConditions: { stringEquals: [{ key: "aws:ResourceTag/backup", value: "production" }] },
                validationWindowHours: 2,
            });
            assert.ok(selection.dependencies.includes(restorePlan.urn));
        }
    });

    it("protects every child (inherited) and retains exactly the keys and vaults on delete", () => {
        for (const child of view.children) {
            assert.equal(child.protect, true, child.name);
            assert.equal(child.retainOnDelete, child.type === types.key || child.type === types.vault, `${child.type} ${child.name}`);
        }
        assert.equal(view.children.filter((c) => c.retainOnDelete).length, 6);
    });

    it("tags every taggable child with its name and the caller's tags, and every child type is classified for the tag policy", () => {
        for (const child of view.children) {
            assert.ok(taggableAwsTypes.has(child.type) || untaggableAwsTypes.has(child.type), `${child.type} is not in policies/rules/resource-types.ts`);
            if (!taggableAwsTypes.has(child.type)) {
                assert.equal(child.inputs.tags, undefined, child.name);
                continue;
            }
            assert.deepEqual(child.inputs.tags, { "cost-center": "platform", Name: child.name }, child.name);
        }
        for (const type of [types.key, types.vault]) assert.ok(statefulAwsTypes.has(type), type);
    });

    it("passes the policy pack with production's configuration (tags, regions, protection)", async () => {
        assert.deepEqual(await evaluatePolicies(view.record, keelPolicies, componentPackConfigFor("production")), []);
    });

    it("exports the vaults', plan's, topics' and role's identifiers", () => {
        const main = view.side("");
        const plan = view.one(types.plan, "plan");
        assert.deepEqual(view.outputs, {
            vaultArn: arnOf(main.vault),
            vaultName: nameOf(main.vault),
            drVaultArn: arnOf(view.side("dr-").vault),
            planId: idOf(plan),
            planArn: arnOf(plan),
            drPlanArn: arnOf(view.one(types.plan, "dr-plan")),
            notificationTopicArn: arnOf(main.topic),
            drNotificationTopicArn: arnOf(view.side("dr-").topic),
            roleArn: arnOf(view.one(types.role, "role")),
        });
        assert.match(text(view.outputs.planArn, "planArn"), new RegExp(`^arn:aws:backup:us-east-1:${mockAccountId}:backup-plan:`));
        assert.match(text(view.outputs.drPlanArn, "drPlanArn"), new RegExp(`^arn:aws:backup:us-west-2:${mockAccountId}:backup-plan:`));
    });
});

describe("BackupPlan staging-like: one region, governance lock, weekly rule, selection by tag and ARN, no restore tests", () => {
    let view: PlanView;
    before(async () => {
        view = new PlanView(await planStaging(), "staging-backup");
    });

    it("creates only the primary side: no DR vault, no restore testing", () => {
        assert.deepEqual(inventoryOf(view.children), {
            ...vaultSide("us-east-1", true),
            [`${types.plan}@us-east-1`]: 1,
            [`${types.role}@us-east-1`]: 1,
            [`${types.attachment}@us-east-1`]: 2,
            [`${types.selection}@us-east-1`]: 1,
        });
        assert.deepEqual(view.children.filter((c) => c.name.includes("-dr-")), []);
        const primaryUrn = only(view.record, types.provider, "primary").urn;
        for (const child of view.children) assert.equal(child.provider, primaryUrn, child.name);
    });

    it("locks the vault in governance mode (no changeableForDays), to exactly the weekly rule's 28 days", () => {
        assert.deepEqual(view.one(types.lock, "vault-lock").inputs, { backupVaultName: nameOf(view.side("").vault), minRetentionDays: 28, maxRetentionDays: 28 });
    });

    it("has the weekly rule, kept 4 weeks, without copies or cold storage", () => {
        const plan = view.one(types.plan, "plan");
        assert.deepEqual(plan.inputs.rules, [{
            ruleName: "weekly",
            targetVaultName: nameOf(view.side("").vault),
            schedule: "cron(0 6 ? * SUN *)",
            scheduleExpressionTimezone: "Etc/UTC",
            startWindow: 60,
            completionWindow: 180,
            enableContinuousBackup: false,
            lifecycle: { deleteAfter: 28 },
        }]);
    });

    it("selects by tag and by ARN", () => {
        const selection = view.one(types.selection, "selection");
        assert.deepEqual(selection.inputs.selectionTags, [{ type: "STRINGEQUALS", key: "backup", value: "staging" }]);
        assert.deepEqual(selection.inputs.resources, [stagingDatabaseArn]);
    });

    it("neither protects nor retains anything when the stack does not ask for it", () => {
        for (const child of view.children) {
            assert.equal(child.protect, false, child.name);
            assert.equal(child.retainOnDelete, false, child.name);
        }
    });

    it("passes the policy pack with staging's configuration", async () => {
        assert.deepEqual(await evaluatePolicies(view.record, keelPolicies, componentPackConfigFor("staging")), []);
    });

    it("exports no DR vault, DR plan or DR topic", () => {
        assert.equal(view.outputs.drVaultArn, undefined);
        assert.equal(view.outputs.drPlanArn, undefined);
        assert.equal(view.outputs.drNotificationTopicArn, undefined);
        assert.equal(view.outputs.vaultArn, arnOf(view.side("").vault));
        assert.equal(view.outputs.notificationTopicArn, arnOf(view.side("").topic));
    });
});

describe("BackupPlan refusals and warnings", () => {

    it("refuses an invalid plan before registering anything, listing every problem", async () => {
        const refusal = await refusedArguments(() => {
            const provider = new aws.Provider("primary", { region: "us-east-1" });
            new BackupPlan("bad", {
                rules: [
                    { name: "daily", schedule: "cron(0 6 * * ?)", deleteAfterDays: 7, copyToDr: true },
                    { name: "monthly", schedule: "cron(0 6 1 * ? *)", coldStorageAfterDays: 30, deleteAfterDays: 60 },
                ],
                selection: {},
                vaultLock: { mode: "compliance", changeableForDays: 1, minRetentionDays: 7, maxRetentionDays: 365 },
                restoreTesting: { scheduleExpression: "cron(0 8 ? * MON *)", protectedResourceType: "Redshift" },
            }, { provider });
        });
        assert.equal(refusal.component, "BackupPlan bad");
        assert.deepEqual(refusal.problems.map((p) => p.message), [
            "vault lock (compliance): changeableForDays 1 must be a whole number, at least 3: AWS Backup Vault Lock enforces a 72-hour cooling-off period before a compliance lock becomes immutable",
            'rule "daily": schedule "cron(0 6 * * ?)" is not an AWS Backup cron expression: expected 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), got 5',
            'rule "daily": copyToDr needs a DR vault, and this plan has none (no drProvider)',
            'rule "monthly": deleteAfterDays 60 must be at least coldStorageAfterDays 30 + 90 = 120: AWS Backup keeps recovery points in cold storage for at least 90 days',
            "selection: give tags, resourceArns or resourceTypes (AWS Backup would otherwise select every supported resource, or none)",
            'restore testing: protectedResourceType "Redshift" is not one AWS Backup restore testing supports (Aurora, DocumentDB, DynamoDB, EBS, EC2, EFS, FSx, Neptune, RDS, S3)',
        ]);
        assert.match(refusal.message, /^BackupPlan bad: invalid arguments:\n {2}- vault lock/);
    });

    describe("a valid plan with warnings", () => {
        const warned: string[] = [];
        const consoleWarn = console.warn;
        let view: PlanView;
        before(async () => {
            // Offline, pulumi.log.warn writes to console.warn (there is no engine to send it to).
            console.warn = (...args: unknown[]) => void warned.push(args.map(String).join(" "));
            try {
                view = new PlanView(await planComponents(() => {
                    const provider = new aws.Provider("primary", { region: "us-east-1", defaultTags: { tags: defaultTags } });
                    const plan = new BackupPlan("noisy", {
                        rules: [{ name: "nightly", schedule: "cron(0 1 ? * * *)", deleteAfterDays: 7 }],
                        selection: { tags: { backup: "yes", tier: "gold" } },
                    }, { provider });
                    return { noisy: publicOutputs(plan) };
                }), "noisy");
            } finally {
                console.warn = consoleWarn;
            }
        });
        after(() => {
            console.warn = consoleWarn;
        });

        it("logs each warning once, naming the component, and still creates the plan", () => {
            assert.deepEqual(warned.map((w) => w.replace(/^warning: \[runtime\] /, "")), [
                'BackupPlan noisy: rule "nightly": schedule cron(0 1 ? * * *) starts Sunday 01:00 UTC and, with its 60-minute start and 180-minute completion windows, can run until Sunday 05:00 UTC, into the weekly maintenance window (Sunday 02:00–04:00 UTC)',
                'BackupPlan noisy: rule "nightly": schedule cron(0 1 ? * * *) starts Sunday 01:00 UTC and, with its 60-minute start and 180-minute completion windows, can run until Sunday 05:00 UTC, into the monthly maintenance window (first Sunday 01:00–05:00 UTC)',
                "BackupPlan noisy: selection: AWS Backup assigns resources that carry ANY of the 2 tags (backup, tier), not all of them",
            ]);
            assert.equal(view.all(types.plan).length, 1);
            assert.deepEqual(view.one(types.selection, "selection").inputs.selectionTags, [
                { type: "STRINGEQUALS", key: "backup", value: "yes" },
                { type: "STRINGEQUALS", key: "tier", value: "gold" },
            ]);
        });

        it("creates no lock without vaultLock", () => {
            assert.deepEqual(view.all(types.lock), []);
        });
    });
});

describe("BackupPlan inputs AWS and its provider accept", () => {
    const monthly: BackupRuleSpec = { name: "monthly", schedule: "cron(0 6 1 * ? *)", coldStorageAfterDays: 90, deleteAfterDays: 365 };

    it("restore tests name their resources by tag conditions or by ['*'], never both (the provider's ExactlyOneOf)", () => {
        const selections: BackupSelectionSpec[] = [
            { tags: { backup: "true" } },
            { tags: { backup: "true", tier: "gold" } },
            { resourceTypes: ["RDS"], tags: { backup: "true" } },
            { resourceTypes: ["RDS"] },
            { resourceArns: ["arn:aws:rds:us-east-1:123456789012:db:one"] },
            { tags: { backup: "true" }, resourceArns: ["arn:aws:rds:us-east-1:123456789012:db:one"] },
        ];
        for (const selection of selections) {
            const targets = restoreTestingTargets(selection);
            const given = [targets.protectedResourceArns, targets.protectedResourceConditions].filter((t) => t !== undefined);
            assert.equal(given.length, 1, JSON.stringify(selection));
        }
        assert.deepEqual(restoreTestingTargets({ resourceTypes: ["RDS"], tags: { backup: "true" } }), {
            protectedResourceConditions: { stringEquals: [{ key: "aws:ResourceTag/backup", value: "true" }] },
        });
        assert.deepEqual(restoreTestingTargets({ resourceTypes: ["RDS"] }), { protectedResourceArns: ["*"] });
    });

    it("limits a selection to resource types by ARN pattern, its tags becoming AND-ed conditions", () => {
        assert.deepEqual(selectionInputs({ resourceTypes: ["RDS", "EBS"], tags: { backup: "true", tier: "gold" } }), {
            resources: ["arn:aws:rds:*:*:db:*", "arn:aws:ec2:*:*:volume/*"],
            conditions: [{ stringEquals: [{ key: "aws:ResourceTag/backup", value: "true" }, { key: "aws:ResourceTag/tier", value: "gold" }] }],
        });
        assert.deepEqual(selectionInputs({ resourceTypes: ["Aurora"] }), { resources: ["arn:aws:rds:*:*:cluster:*"] });
        assert.deepEqual(selectionInputs({ tags: { backup: "true" } }), { selectionTags: [{ type: "STRINGEQUALS", key: "backup", value: "true" }], resources: undefined });
    });

    it("moves recovery points to cold storage only where a selected type supports it", async () => {
        const record = await planComponents(() => {
            const provider = new aws.Provider("primary", { region: "us-east-1", defaultTags: { tags: defaultTags } });
            for (const [name, resourceTypes] of [["rds", ["RDS"]], ["efs", ["EFS"]], ["any", undefined]] as const) {
                new BackupPlan(name, { rules: [monthly], selection: { tags: { backup: "true" }, ...(resourceTypes ? { resourceTypes } : {}) } }, { provider });
            }
        });
        const lifecycleOf = (name: string) => object(list(only(record, types.plan, `${name}-plan`).inputs.rules, "rules")[0], "rule").lifecycle;
        assert.deepEqual(lifecycleOf("rds"), { deleteAfter: 365 });
        assert.deepEqual(lifecycleOf("efs"), { coldStorageAfter: 90, deleteAfter: 365, optInToArchiveForSupportedResources: true });
        assert.deepEqual(lifecycleOf("any"), ruleLifecycle(monthly, undefined));
        assert.deepEqual(lifecycleOf("any"), { coldStorageAfter: 90, deleteAfter: 365, optInToArchiveForSupportedResources: true });
    });

    it("creates no DR-region plan with drRegionPlan false", async () => {
        const record = await planComponents(() => {
            const primary = new aws.Provider("primary", { region: "us-east-1", defaultTags: { tags: defaultTags } });
            const dr = new aws.Provider("dr", { region: "us-west-2", defaultTags: { tags: defaultTags } });
            const plan = new BackupPlan("single", { ...productionArgs(dr), drRegionPlan: false }, { provider: primary });
            return { single: publicOutputs(plan) };
        });
        const view = new PlanView(record, "single");
        assert.deepEqual([types.plan, types.selection, types.restorePlan, types.restoreSelection].flatMap((t) => view.all(t)).map((r) => `${r.name}@${r.region}`), [
            "single-plan@us-east-1",
            "single-selection@us-east-1",
            "single-restore-testing@us-east-1",
            "single-restore-testing@us-east-1",
        ]);
        assert.equal(view.outputs.drPlanArn, undefined);
        assert.equal(view.all(types.vault).length, 2, "the DR vault still receives the copies");
    });

    it("refuses what the provider or AWS Backup would refuse, before registering anything", async () => {
        const refusal = await refusedArguments(() => {
            const provider = new aws.Provider("primary", { region: "us-east-1" });
            new BackupPlan("bad", {
                rules: [monthly],
                selection: { resourceTypes: ["Aurora"], resourceArns: ["arn:aws:rds:us-east-1:123456789012:cluster:one"] },
                drRegionPlan: true,
                restoreTesting: { ...weeklyRestoreTest("RDS"), validationWindowHours: 0 },
            }, { provider });
        });
        assert.deepEqual(refusal.problems.map((p) => p.message), [
            "selection: give resourceTypes or resourceArns, not both (the tags would narrow both)",
            "restore testing: validationWindowHours 0 must be a whole number from 1 to 168 (leave it unset for no validation window)",
            'restore testing: protectedResourceType "RDS" is not among the selection\'s resource types (Aurora): there would be nothing to restore',
            "drRegionPlan needs a DR region (drProvider)",
        ]);
    });
});
