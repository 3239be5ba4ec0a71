import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { notificationProblems, subscribeTopic, type AlarmNotifications } from "../monitoring/notifications";
import { assumedBy, awsManagedPolicyArn } from "../iam";
import { customerManagedKey } from "../kms";
import { mergeFindings, requireValid, type Findings } from "./findings";
import { describeProblem } from "../problems";
import {
    backupResourceTypeArnPatterns,
    backupResourceTypes,
    defaultChangeableForDays,
    defaultCompletionWindowMinutes,
    defaultSelectionWindowDays,
    defaultStartWindowMinutes,
    restoreTestingName,
    ruleLifecycle,
    validateBackupRules,
    validateRestoreTesting,
    type BackupResourceType,
    type BackupRuleSpec,
    type RestoreTestingSpec,
    type VaultLockSpec,
} from "./schedule";
import { publicOutputs } from "../outputs";

/**
 * Which resources the plan backs up, in each region it backs up. Without `resourceTypes`,
 * AWS Backup assigns a resource that matches any one entry (tags and ARNs are ORed); with
 * `resourceTypes`, it takes the resources of those types and keeps those that carry every
 * tag (the tags become AND-ed `aws:ResourceTag` conditions).
 */
export interface BackupSelectionSpec {
    /** Resources carrying one of these tags (each an AWS Backup `STRINGEQUALS` tag condition); with `resourceTypes`, carrying all of them. */
    readonly tags?: Readonly<Record<string, string>>;
    /** Resources by ARN (or AWS Backup ARN pattern such as `arn:aws:rds:*:*:db:*`). Not with `resourceTypes`. */
    readonly resourceArns?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Only resources of these types (every region, by ARN pattern), narrowed by `tags`. Also
     * what decides where a rule's cold storage applies (`ruleLifecycle`) and which type the
     * restore tests may restore. Default: any type.
     */
    readonly resourceTypes?: readonly BackupResourceType[];
}

export interface BackupPlanArgs {
    /** The plan's rules (see `schedule.ts` for the guides' rule sets). Validated before anything is registered. */
    readonly rules: readonly BackupRuleSpec[];
    /** What to back up: tags and/or resource ARNs, at least one. */
    readonly selection: BackupSelectionSpec;
    /** A Vault Lock on the primary vault and the DR vault. Default: none (no lock). */
    readonly vaultLock?: VaultLockSpec;
    /**
     * The provider of the DR region. When given, a DR vault (with its own key, lock and
     * notifications) is created there and rules with `copyToDr` copy into it. Default: none
     * (single region; no rule may set `copyToDr`).
     */
    readonly drProvider?: aws.Provider;
    /**
     * With `drProvider`: a second plan in the DR region, with the same rules and selection, into
     * the DR vault, copying back into the primary vault (and restore tests of the DR vault). AWS
     * Backup selections are regional, so without it whatever the selection matches in the DR
     * region — a promoted database after a failover — has no AWS Backup. Until then it matches
     * nothing there when the selection is by tags only the writer carries. Default: true with
     * `drProvider`.
     */
    readonly drRegionPlan?: boolean;
    /** Weekly (or any cron) automatic restore tests from the primary vault (and the DR vault with `drRegionPlan`). Default: none. */
    readonly restoreTesting?: RestoreTestingSpec;
    /**
     * Who hears failed jobs of either vault (backup, copy, restore test): they page, and reach the
     * team (`vaultFailuresOnly` filters the topics' other events out). Default: nobody — subscribe
     * `notificationTopicArn` / `drNotificationTopicArn` yourself.
     */
    readonly notifications?: AlarmNotifications;
    /** Tags added to every taggable child, on top of the providers' default tags. */
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** The SNS filter policy that passes a vault's failed, expired or aborted jobs and nothing that completed. */
export const vaultFailuresOnly = { State: [{ "anything-but": "COMPLETED" }] } as const;

/**
 * The vault events published to the notification topics: the events AWS Backup currently
 * delivers (the older BACKUP_JOB_SUCCESSFUL / BACKUP_JOB_FAILED / BACKUP_JOB_EXPIRED and
 * RESTORE_JOB_SUCCESSFUL / RESTORE_JOB_FAILED are deprecated and deliver nothing).
 *
 * A failed or expired backup arrives as BACKUP_JOB_COMPLETED with the message attribute
 * `State` other than `COMPLETED` (e.g. `FAILED`, `EXPIRED`, `ABORTED`); subscribers that want
 * failures only filter on it, e.g. an SNS filter policy `{"State": [{"anything-but": "COMPLETED"}]}`.
 */
export const backupVaultEvents: readonly string[] = ["BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED", "S3_BACKUP_OBJECT_FAILED", "RESTORE_JOB_COMPLETED"];

/** The AWS-managed policies of AWS Backup's service role: backups and restores (restore tests included). */
export const backupServiceRolePolicyArns: readonly string[] = [
    awsManagedPolicyArn("service-role/AWSBackupServiceRolePolicyForBackup"),
    awsManagedPolicyArn("service-role/AWSBackupServiceRolePolicyForRestores"),
];

/** Checks that the selection names something, and says what AWS Backup does with several tags. */
export function validateSelection(selection: BackupSelectionSpec): Findings {
    const tagCount = Object.keys(selection.tags ?? {}).length;
    const types = selection.resourceTypes;
    if (types !== undefined) {
        const errors = [
            ...(types.length === 0 ? ["selection: resourceTypes is empty; leave it out to select any type"] : []),
            ...types.filter((t) => !backupResourceTypes.includes(t)).map((t) => `selection: resource type "${t}" is not one of ${backupResourceTypes.join(", ")}`),
            ...(selection.resourceArns !== undefined ? ["selection: give resourceTypes or resourceArns, not both (the tags would narrow both)"] : []),
        ];
        return { errors, warnings: [] };
    }
    if (tagCount === 0 && selection.resourceArns === undefined) {
        return { errors: ["selection: give tags, resourceArns or resourceTypes (AWS Backup would otherwise select every supported resource, or none)"], warnings: [] };
    }
    const warnings = tagCount > 1
        ? [`selection: AWS Backup assigns resources that carry ANY of the ${tagCount} tags (${Object.keys(selection.tags ?? {}).join(", ")}), not all of them`]
        : [];
    return { errors: [], warnings };
}

/** An `aws.backup.Selection`'s resource inputs for a selection spec. */
export function selectionInputs(selection: BackupSelectionSpec): Pick<aws.backup.SelectionArgs, "selectionTags" | "resources" | "conditions"> {
    const tags = Object.entries(selection.tags ?? {});
    if (selection.resourceTypes !== undefined) {
        // AWS Backup filters by the resources (the types' ARN patterns) first, then by the conditions, all of which must hold.
        return {
            resources: selection.resourceTypes.map((type) => backupResourceTypeArnPatterns[type]),
            ...(tags.length > 0 ? { conditions: [{ stringEquals: tags.map(([key, value]) => ({ key: `aws:ResourceTag/${key}`, value })) }] } : {}),
        };
    }
    return {
        selectionTags: tags.length > 0 ? tags.map(([key, value]) => ({ type: "STRINGEQUALS", key, value })) : undefined,
        resources: selection.resourceArns,
    };
}

/**
 * Which protected resources a restore testing selection restores: those carrying the
 * selection's tags, or, without tags, every one of the type with recovery points in the
 * tested vault (`["*"]`). Never both: the AWS provider requires exactly one of
 * `protectedResourceArns` and `protectedResourceConditions` (`ExactlyOneOf`), and refuses the
 * selection at preview otherwise.
 */
export function restoreTestingTargets(selection: BackupSelectionSpec):
    | { readonly protectedResourceArns: string[]; readonly protectedResourceConditions?: undefined }
    | { readonly protectedResourceArns?: undefined; readonly protectedResourceConditions: { stringEquals: { key: string; value: string }[] } } {
    const tags = Object.entries(selection.tags ?? {});
    return tags.length > 0
        ? { protectedResourceConditions: { stringEquals: tags.map(([key, value]) => ({ key: `aws:ResourceTag/${key}`, value })) } }
        : { protectedResourceArns: ["*"] };
}

interface Vault {
    readonly key: aws.kms.Key;
    readonly vault: aws.backup.Vault;
    readonly topic: aws.sns.Topic;
}

/** What every step of `BackupPlan` takes from the component. */
interface PlanOwner {
    readonly name: string;
    readonly args: BackupPlanArgs;
    readonly retainOnDelete: boolean | undefined;
    /** The caller's tags plus `Name`, the child's logical name. */
    readonly named: (childName: string) => pulumi.Output<Record<string, string>>;
}

interface ServiceRole {
    readonly role: aws.iam.Role;
    readonly attachments: aws.iam.RolePolicyAttachment[];
}

/** Everything AWS would refuse in the plan's arguments, and what it would do that the caller may not expect. */
function backupPlanFindings(args: BackupPlanArgs, drRegionPlan: boolean): Findings {
    return mergeFindings(
        validateBackupRules(args.rules, args.vaultLock, { hasDrVault: args.drProvider !== undefined, resourceTypes: args.selection.resourceTypes }),
        validateSelection(args.selection),
        args.restoreTesting ? validateRestoreTesting(args.restoreTesting, args.selection.resourceTypes) : { errors: [], warnings: [] },
        {
            errors: [
                ...(drRegionPlan && args.drProvider === undefined ? ["drRegionPlan needs a DR region (drProvider)"] : []),
                ...(args.notifications ? notificationProblems(args.notifications).map((p) => describeProblem(p)) : []),
            ],
            warnings: drRegionPlan && args.drProvider !== undefined && args.selection.resourceArns !== undefined
                ? ["selection: the DR region's plan selects the same resourceArns; an ARN of one region selects nothing in the other (use tags or resourceTypes)"]
                : [],
        },
    );
}

/** The rules backing up into `target`'s vault, copying into `copyTo`'s (the other region's). */
function planRules(args: BackupPlanArgs, target: Vault, copyTo: Vault | undefined) {
    return args.rules.map((rule) => {
        // Cold storage only where the selection's resource types support it.
        const lifecycle = ruleLifecycle(rule, args.selection.resourceTypes);
        return {
            ruleName: rule.name,
            targetVaultName: target.vault.name,
            schedule: rule.schedule,
            // The schedules (and the maintenance window check) are in UTC.
            scheduleExpressionTimezone: "Etc/UTC",
            startWindow: rule.startWindowMinutes ?? defaultStartWindowMinutes,
            completionWindow: rule.completionWindowMinutes ?? defaultCompletionWindowMinutes,
            enableContinuousBackup: rule.continuous === true,
            lifecycle,
            // The copy keeps the rule's lifecycle (validated against both vaults' lock).
            copyActions: rule.copyToDr === true && copyTo ? [{ destinationVaultArn: copyTo.vault.arn, lifecycle }] : undefined,
        };
    });
}

/**
 * An AWS Backup plan with a customer-managed-key vault in the primary region (the provider
 * in `{ provider }`) and, with `drProvider`, a second one in the DR region that rules copy
 * into and, by default, a second plan there with the same rules and selection that copies
 * back (selections are regional: the DR region's resources, such as a promoted database, are
 * backed up only by a plan of the DR region); optional Vault Lock on both vaults; a service
 * role with AWS's managed backup and restore policies; a tag/ARN/resource-type selection; SNS
 * notifications of job outcomes from both vaults; and optional automatic restore tests of
 * each plan's vault. The rules are checked against AWS Backup's limits before anything is
 * registered (`InvalidArgumentsError`); warnings are logged.
 */
export class BackupPlan extends pulumi.ComponentResource {
    public readonly vaultArn: pulumi.Output<string>;
    public readonly vaultName: pulumi.Output<string>;
    /** The DR vault's ARN; undefined without `drProvider`. */
    public readonly drVaultArn: pulumi.Output<string | undefined>;
    public readonly planId: pulumi.Output<string>;
    public readonly planArn: pulumi.Output<string>;
    /** The DR region's plan; undefined without it (`drRegionPlan`). */
    public readonly drPlanArn: pulumi.Output<string | undefined>;
    /** The primary region's topic for vault events (see `backupVaultEvents`); subscribe to it from the stack. */
    public readonly notificationTopicArn: pulumi.Output<string>;
    /** The DR region's topic for its vault's events (copy jobs land there); undefined without `drProvider`. */
    public readonly drNotificationTopicArn: pulumi.Output<string | undefined>;
    public readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: BackupPlanArgs, opts?: pulumi.ComponentResourceOptions) {
        // Refuse a plan AWS would refuse before anything is registered.
        const drRegionPlan = args.drRegionPlan ?? args.drProvider !== undefined;
        const warnings = requireValid(`BackupPlan ${name}`, backupPlanFindings(args, drRegionPlan));
        super("keel:backup:BackupPlan", name, args, opts);
        for (const warning of warnings) void pulumi.log.warn(`BackupPlan ${name}: ${warning}`, this);

        const primary: pulumi.CustomResourceOptions = { parent: this };
        const dr: pulumi.CustomResourceOptions | undefined = args.drProvider ? { parent: this, provider: args.drProvider } : undefined;
        const owner: PlanOwner = {
            name,
            args,
            retainOnDelete: opts?.retainOnDelete,
            named: (childName) => pulumi.output(args.tags ?? {}).apply((tags): Record<string, string> => ({ ...tags, Name: childName })),
        };

        const main = this.vault(owner, name, "primary", primary);
        const drSide = dr ? this.vault(owner, `${name}-dr`, "DR", dr) : undefined;
        const plan = new aws.backup.Plan(`${name}-plan`, { rules: planRules(args, main, drSide), tags: owner.named(`${name}-plan`) }, primary);
        const role = this.serviceRole(owner, primary);
        // The IAM role is global: the DR region's selection and restore tests use it too.
        this.selection(owner, name, plan, role, primary);
        if (args.restoreTesting) this.restoreTests(owner, name, main, role, primary, args.restoreTesting);

        // The DR region's plan: ready before a failover (it selects what the selection matches
        // in the DR region, e.g. the promoted writer's tag), backing up into the DR vault and
        // copying back into the primary one.
        const drPlan = dr && drSide && drRegionPlan
            ? new aws.backup.Plan(`${name}-dr-plan`, { rules: planRules(args, drSide, main), tags: owner.named(`${name}-dr-plan`) }, dr)
            : undefined;
        if (dr && drSide && drPlan) {
            this.selection(owner, `${name}-dr`, drPlan, role, dr);
            if (args.restoreTesting) this.restoreTests(owner, `${name}-dr`, drSide, role, dr, args.restoreTesting);
        }

        this.vaultArn = main.vault.arn;
        this.vaultName = main.vault.name;
        this.drVaultArn = drSide ? drSide.vault.arn : pulumi.output(undefined);
        this.planId = plan.id;
        this.planArn = plan.arn;
        this.drPlanArn = drPlan ? drPlan.arn : pulumi.output(undefined);
        this.notificationTopicArn = main.topic.arn;
        this.drNotificationTopicArn = drSide ? drSide.topic.arn : pulumi.output(undefined);
        this.roleArn = role.role.arn;
        this.registerOutputs(publicOutputs(this));
    }

    /** A region's key, vault, lock and notifications; stateful children also take the component's retainOnDelete. */
    private vault(owner: PlanOwner, prefix: string, region: "primary" | "DR", resourceOptions: pulumi.CustomResourceOptions): Vault {
        const { name, args, named } = owner;
        const stateful = { ...resourceOptions, retainOnDelete: owner.retainOnDelete };
        const key = customerManagedKey(`${prefix}-vault-key`, { description: `AWS Backup ${region} vault key of ${name}`, tags: named(`${prefix}-vault-key`) }, stateful);
        const vault = new aws.backup.Vault(`${prefix}-vault`, {
            kmsKeyArn: key.arn,
            tags: named(`${prefix}-vault`),
        }, stateful);
        if (args.vaultLock) {
            new aws.backup.VaultLockConfiguration(`${prefix}-vault-lock`, {
                backupVaultName: vault.name,
                minRetentionDays: args.vaultLock.minRetentionDays,
                maxRetentionDays: args.vaultLock.maxRetentionDays,
                // The provider creates a compliance lock when changeableForDays is set, a governance lock when not.
                changeableForDays: args.vaultLock.mode === "compliance" ? args.vaultLock.changeableForDays ?? defaultChangeableForDays : undefined,
            }, resourceOptions);
        }
        return { key, vault, topic: this.vaultNotifications(owner, prefix, region, vault, resourceOptions) };
    }

    /** The vault's events to an encrypted topic AWS Backup may publish to. */
    private vaultNotifications(owner: PlanOwner, prefix: string, region: "primary" | "DR", vault: aws.backup.Vault, resourceOptions: pulumi.CustomResourceOptions): aws.sns.Topic {
        const { name, args, named } = owner;
        // AWS Backup publishes to an encrypted topic only if the key's policy lets
        // backup.amazonaws.com use it; the AWS-managed alias/aws/sns key's policy cannot be
        // changed, so the topic gets a customer-managed key of its own (the vault key's
        // policy stays the account default: the backup service gets nothing on it).
        const notificationsKey = customerManagedKey(`${prefix}-notifications-key`, {
            description: `AWS Backup ${region} vault notifications of ${name}`,
            serviceGrants: [{ sid: "BackupPublishesToEncryptedTopic", service: "backup.amazonaws.com", actions: ["kms:GenerateDataKey*", "kms:Decrypt"] }],
            tags: named(`${prefix}-notifications-key`),
        }, { ...resourceOptions, retainOnDelete: owner.retainOnDelete });
        const topic = new aws.sns.Topic(`${prefix}-notifications`, {
            kmsMasterKeyId: notificationsKey.arn,
            tags: named(`${prefix}-notifications`),
        }, resourceOptions);
        // AWS Backup's documented publish permission. It publishes only to topics of the
        // vault's own account (no cross-account notifications), so no source condition is needed.
        const topicPolicy = new aws.sns.TopicPolicy(`${prefix}-notifications`, {
            arn: topic.arn,
            policy: topic.arn.apply((arn) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{
                    Sid: "BackupPublishesVaultEvents",
                    Effect: "Allow",
                    Principal: { Service: "backup.amazonaws.com" },
                    Action: "SNS:Publish",
                    Resource: arn,
                }],
            })),
        }, resourceOptions);
        if (args.notifications) subscribeTopic(`${prefix}-notifications`, topic, "critical", args.notifications, resourceOptions, vaultFailuresOnly);
        new aws.backup.VaultNotifications(`${prefix}-vault-notifications`, {
            backupVaultName: vault.name,
            snsTopicArn: topic.arn,
            backupVaultEvents: [...backupVaultEvents],
        }, { ...resourceOptions, dependsOn: [topicPolicy, notificationsKey] });
        return topic;
    }

    /** AWS Backup's service role, with AWS's managed backup and restore policies. */
    private serviceRole(owner: PlanOwner, primary: pulumi.CustomResourceOptions): ServiceRole {
        const { name, named } = owner;
        const role = new aws.iam.Role(`${name}-role`, {
            description: `AWS Backup service role of ${name}: backups, copies, restores and restore tests`,
            assumeRolePolicy: assumedBy("backup.amazonaws.com"),
            tags: named(`${name}-role`),
        }, primary);
        const attachments = backupServiceRolePolicyArns.map((policyArn) =>
            new aws.iam.RolePolicyAttachment(`${name}-${policyArn.endsWith("ForBackup") ? "backup" : "restores"}`, { role: role.name, policyArn }, primary));
        return { role, attachments };
    }

    /** What `plan` backs up, through the service role once its policies are attached. */
    private selection(owner: PlanOwner, prefix: string, plan: aws.backup.Plan, role: ServiceRole, resourceOptions: pulumi.CustomResourceOptions): void {
        new aws.backup.Selection(`${prefix}-selection`, {
            planId: plan.id,
            iamRoleArn: role.role.arn,
            ...selectionInputs(owner.args.selection),
        }, { ...resourceOptions, dependsOn: role.attachments });
    }

    /** Restore tests of one region's vault (a restore testing plan is regional). */
    private restoreTests(owner: PlanOwner, prefix: string, side: Vault, role: ServiceRole, resourceOptions: pulumi.CustomResourceOptions, spec: RestoreTestingSpec): void {
        const { args, named } = owner;
        // Snapshot recovery points always exist (continuous rules fall back to snapshots for
        // resources without point-in-time restore); continuous ones when a rule makes them.
        const recoveryPointTypes = ["SNAPSHOT", ...(args.rules.some((r) => r.continuous === true) ? ["CONTINUOUS"] : [])];
        const restorePlan = new aws.backup.RestoreTestingPlan(`${prefix}-restore-testing`, {
            // Alphanumerics and underscores only: the auto-name's hyphen would be refused.
            name: restoreTestingName(prefix, "restore_testing"),
            scheduleExpression: spec.scheduleExpression,
            scheduleExpressionTimezone: "Etc/UTC",
            recoveryPointSelection: {
                algorithm: "LATEST_WITHIN_WINDOW",
                includeVaults: [side.vault.arn],
                recoveryPointTypes,
                selectionWindowDays: spec.selectionWindowDays ?? defaultSelectionWindowDays,
            },
            tags: named(`${prefix}-restore-testing`),
        }, resourceOptions);
        new aws.backup.RestoreTestingSelection(`${prefix}-restore-testing`, {
            name: restoreTestingName(prefix, "selection"),
            restoreTestingPlanName: restorePlan.name,
            protectedResourceType: spec.protectedResourceType,
            iamRoleArn: role.role.arn,
            // The selection's tags, or every protected resource of the type in the vault: exactly one of the two.
            ...restoreTestingTargets(args.selection),
            validationWindowHours: spec.validationWindowHours,
        }, { ...resourceOptions, dependsOn: role.attachments });
    }
}
