import assert from "node:assert/strict";
import { describe } from "node:test";
import type { Policy } from "@pulumi/policy";
import { backupPolicies } from "../policies/rules/backup";
import { databasePolicies } from "../policies/rules/database";
import { storagePolicies } from "../policies/rules/storage";
import type { PlanResource } from "../offline-plan/record";
import { cleanPlanPasses, inputs, plannedStack, redTeam, remove, type Attack } from "./red-team";

/**
 * Data protection, attacked: realistic bad changes to the production and staging plans (backup
 * data kept too short, the off-site copy removed, Object Lock or the vault lock weakened, a
 * database outside every backup, AWS-managed keys, a spoofed exemption, a narrowed TLS deny,
 * RDS settings that lose the last copy or accept plaintext), each made on a copy of the real
 * record, each refused by the named policy at the mandatory level.
 */

const dataPolicies: Policy[] = [...storagePolicies, ...databasePolicies, ...backupPolicies];

const writable = (r: PlanResource) => r as { -readonly [K in keyof PlanResource]: PlanResource[K] };
const find = (resources: PlanResource[], type: string, name: string) => {
    const found = resources.find((r) => r.type === `aws:${type}` && r.name === name);
    assert.ok(found, `the plan has no aws:${type} named ${name}`);
    return found;
};
const removeNamed = (resources: PlanResource[], type: string, name: string) => remove(resources, (r) => r.type === `aws:${type}` && r.name === name);

type Rule = Record<string, unknown>;
const rules = (r: PlanResource) => inputs(r).rules as Rule[];
const ruleWith = (r: PlanResource, key: string, value: unknown) => {
    const found = rules(r).find((rule) => rule[key] === value);
    assert.ok(found, `${r.name} has no rule with ${key} ${String(value)}`);
    return found;
};

const lifecycle = (rs: PlanResource[], name: string) => find(rs, "s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", name);
const replication = (rs: PlanResource[], name: string) => rules(find(rs, "s3/bucketReplicationConfig:BucketReplicationConfig", `${name}-replication`))[0];
const backupPlan = (rs: PlanResource[], name = "backup-plan") => find(rs, "backup/plan:Plan", name);
const backupRule = (rs: PlanResource[], rule: string, plan = "backup-plan") => ruleWith(backupPlan(rs, plan), "ruleName", rule);
const selection = (rs: PlanResource[], name = "backup-selection") => inputs(find(rs, "backup/selection:Selection", name));
const vaultLock = (rs: PlanResource[], name = "backup-vault-lock") => inputs(find(rs, "backup/vaultLockConfiguration:VaultLockConfiguration", name));
const primaryDatabase = (rs: PlanResource[]) => inputs(find(rs, "rds/instance:Instance", "database-primary"));
const parameters = (rs: PlanResource[], name = "database-primary") => inputs(find(rs, "rds/parameterGroup:ParameterGroup", name)).parameters as Rule[];
const bucketPolicyOf = (rs: PlanResource[], name: string) => inputs(find(rs, "s3/bucketPolicy:BucketPolicy", name));

/** Rewrites the DenyInsecureTransport statement of a bucket's policy. */
function editTlsDeny(rs: PlanResource[], bucket: string, edit: (statement: Rule) => Rule) {
    const policy = bucketPolicyOf(rs, bucket);
    const document = JSON.parse(String(policy.policy)) as { Statement: Rule[] };
    document.Statement = document.Statement.map((s) => (s.Sid === "DenyInsecureTransport" ? edit(s) : s));
    policy.policy = JSON.stringify(document);
}

/** A bucket of its own with the settings of a bucket of the plan, renamed: an impostor. */
function impostorBucket(rs: PlanResource[], copyOf: string, name: string, encryption: Rule): PlanResource[] {
    const bucket = find(rs, "s3/bucket:Bucket", copyOf);
    const stack = rs.find((r) => r.type === "pulumi:pulumi:Stack");
    assert.ok(stack);
    const urn = (type: string) => `${stack.urn.split("::").slice(0, 2).join("::")}::${type}::${name}`;
    const own = { ...structuredClone(bucket), urn: urn(bucket.type), name, parent: stack.urn };
    const sse = { ...structuredClone(find(rs, "s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", copyOf)), name, parent: stack.urn, dependencies: [own.urn] };
    writable(sse).urn = urn(sse.type);
    sse.inputs = { bucket: `${name}-1234567`, rules: [encryption] };
    return [own, sse];
}

const productionCases: Attack[] = [
    // Backup data kept less than the minimum: S3 lifecycle on the backup buckets.
    ["daily dumps expired after 3 days", "keel-backup-bucket-retention", (rs) => { ruleWith(lifecycle(rs, "database-dumps"), "id", "database-daily").expiration = { days: 3 }; }],
    ["weekly dumps expired after 30 days", "keel-backup-bucket-retention", (rs) => { ruleWith(lifecycle(rs, "database-dumps"), "id", "database-weekly").expiration = { days: 30 }; }],
    ["monthly archives expired after 180 days in the DR replica only", "keel-backup-bucket-retention", (rs) => { ruleWith(lifecycle(rs, "database-dumps-replica"), "id", "database-monthly").expiration = { days: 180 }; }],
    ["a catch-all rule expiring the whole dumps bucket after 30 days", "keel-backup-bucket-retention", (rs) => {
        rules(lifecycle(rs, "database-dumps")).push({ id: "cleanup", status: "Enabled", filter: {}, expiration: { days: 30 } });
    }],
    ["a rule on part of the monthly prefix (prefix and tag)", "keel-backup-bucket-retention", (rs) => {
        rules(lifecycle(rs, "database-dumps")).push({ id: "old-monthlies", status: "Enabled", filter: { and: { prefix: "monthly/2024", tags: { stale: "true" } } }, expiration: { days: 31 } });
    }],
    ["dumps expiring on a date", "keel-backup-bucket-retention", (rs) => { ruleWith(lifecycle(rs, "database-dumps"), "id", "database-monthly").expiration = { date: "2026-12-31T00:00:00Z" }; }],
    ["deleted uploads purged after a day", "keel-backup-bucket-retention", (rs) => { ruleWith(lifecycle(rs, "uploads"), "id", "uploads").noncurrentVersionExpiration = { noncurrentDays: 1 }; }],
    ["configuration history kept 30 days instead of a year", "keel-backup-bucket-retention", (rs) => { ruleWith(lifecycle(rs, "configuration"), "id", "configuration").noncurrentVersionExpiration = { noncurrentDays: 30 }; }],
    ["security logs kept 90 days", "keel-backup-bucket-retention", (rs) => {
        const rule = ruleWith(lifecycle(rs, "logs"), "id", "security-logs");
        rule.transitions = [{ days: 30, storageClass: "STANDARD_IA" }];
        rule.expiration = { days: 90 };
    }],

    // Backup data kept less than the minimum: AWS Backup.
    ["daily recovery points kept a day", "keel-backup-plan-retention", (rs) => { backupRule(rs, "daily").lifecycle = { deleteAfter: 1 }; }],
    ["the monthly rule removed", "keel-backup-plan-retention", (rs) => {
        const plan = inputs(backupPlan(rs));
        plan.rules = rules(backupPlan(rs)).filter((r) => r.ruleName !== "monthly");
    }],
    ["the monthly rule renamed and shortened", "keel-backup-plan-retention", (rs) => {
        const rule = backupRule(rs, "monthly");
        rule.ruleName = "monthly-archive";
        rule.lifecycle = { deleteAfter: 30 };
    }],
    ["monthly copies in the DR vault kept a week", "keel-backup-plan-retention", (rs) => { (backupRule(rs, "monthly").copyActions as Rule[])[0].lifecycle = { deleteAfter: 7 }; }],
    ["the DR region's weekly recovery points kept two weeks", "keel-backup-plan-retention", (rs) => { backupRule(rs, "weekly", "backup-dr-plan").lifecycle = { deleteAfter: 14 }; }],

    ["the point-in-time rule no longer continuous", "keel-backup-plan-retention", (rs) => { backupRule(rs, "pitr").enableContinuousBackup = false; }],
    ["the dumps bucket made force-destroyable", "keel-backup-bucket-retention", (rs) => { inputs(find(rs, "s3/bucket:Bucket", "database-dumps")).forceDestroy = true; }],
    ["ALB access logs kept a week", "keel-backup-bucket-retention", (rs) => { ruleWith(lifecycle(rs, "alb-logs"), "id", "alb-access-logs").expiration = { days: 7 }; }],
    ["S3 access logs kept a day in the DR region", "keel-backup-bucket-retention", (rs) => { ruleWith(lifecycle(rs, "access-logs-dr"), "id", "access-logs").expiration = { days: 1 }; }],

    // The off-site copy removed: bucket replication.
    ["the dumps replication rule disabled", "keel-s3-replication", (rs) => { replication(rs, "database-dumps").status = "Disabled"; }],
    ["the logs replication deleted", "keel-s3-replication", (rs) => removeNamed(rs, "s3/bucketReplicationConfig:BucketReplicationConfig", "logs-replication")],
    ["uploads replicated to a bucket in the same region", "keel-s3-replication", (rs) => {
        (replication(rs, "uploads").destination as Rule).bucket = "arn:aws:s3:::configuration-3f2a1b7";
    }],
    ["only the daily dumps replicated", "keel-s3-replication", (rs) => { replication(rs, "database-dumps").filter = { prefix: "daily/" }; }],
    ["SSE-KMS objects left out of the replication", "keel-s3-replication", (rs) => { replication(rs, "configuration").sourceSelectionCriteria = { sseKmsEncryptedObjects: { status: "Disabled" } }; }],
    ["a replication rule with no rules left", "keel-s3-replication", (rs) => { inputs(find(rs, "s3/bucketReplicationConfig:BucketReplicationConfig", "uploads-replication")).rules = []; }],

    // The off-site copy removed: AWS Backup copies and RDS automated-backup replication.
    ["the daily rule no longer copied to the DR vault", "keel-backup-cross-region-copy", (rs) => { delete backupRule(rs, "daily").copyActions; }],
    ["the DR region's rules no longer copy back", "keel-backup-cross-region-copy", (rs) => { for (const rule of rules(backupPlan(rs, "backup-dr-plan"))) rule.copyActions = []; }],
    ["copies sent to the primary vault, in the same region", "keel-backup-cross-region-copy", (rs) => {
        (backupRule(rs, "pitr").copyActions as Rule[])[0].destinationVaultArn = "arn:aws:backup:us-east-1:123456789012:backup-vault:backup-vault-7f66e06";
    }],
    ["copies sent to a vault of another account", "keel-backup-cross-region-copy", (rs) => {
        (backupRule(rs, "monthly").copyActions as Rule[])[0].destinationVaultArn = "arn:aws:backup:us-west-2:999999999999:backup-vault:exfiltration";
    }],
    ["the DR region's plan removed", "keel-backup-cross-region-copy", (rs) => remove(rs, (r) => ["backup-dr-plan", "backup-dr-selection"].includes(r.name) && r.type.startsWith("aws:backup/"))],
    ["RDS automated backups no longer replicated", "keel-rds-cross-region", (rs) => removeNamed(rs, "rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication", "database-backups-to-dr")],
    ["replicated automated backups kept a week", "keel-rds-cross-region", (rs) => {
        inputs(find(rs, "rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication", "database-backups-to-dr")).retentionPeriod = 7;
    }],
    ["automated backups replicated from a database outside the stack", "keel-rds-cross-region", (rs) => {
        inputs(find(rs, "rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication", "database-backups-to-dr")).sourceDbInstanceArn = "arn:aws:rds:us-east-1:123456789012:db:scratch";
        writable(find(rs, "rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication", "database-backups-to-dr")).dependencies = [];
    }],

    // Object Lock and the vault lock.
    ["Object Lock turned off on the dumps bucket", "keel-s3-object-lock", (rs) => { inputs(find(rs, "s3/bucket:Bucket", "database-dumps")).objectLockEnabled = false; }],
    ["the dumps bucket's Object Lock configuration removed", "keel-s3-object-lock", (rs) => removeNamed(rs, "s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "database-dumps")],
    ["the replica's Object Lock configuration removed", "keel-s3-object-lock", (rs) => removeNamed(rs, "s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "database-dumps-replica")],
    ["dumps locked a single day", "keel-s3-object-lock", (rs) => {
        inputs(find(rs, "s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "database-dumps")).rule = { defaultRetention: { mode: "GOVERNANCE", days: 1 } };
    }],
    ["the primary vault's lock removed", "keel-backup-vault-lock", (rs) => removeNamed(rs, "backup/vaultLockConfiguration:VaultLockConfiguration", "backup-vault-lock")],
    ["the DR vault's lock made governance (changeableForDays dropped)", "keel-backup-vault-lock", (rs) => { delete vaultLock(rs, "backup-dr-vault-lock").changeableForDays; }],
    ["a vault lock with a one-day minimum", "keel-backup-vault-lock", (rs) => { vaultLock(rs).minRetentionDays = 1; }],
    ["a vault lock left changeable for ten years", "keel-backup-vault-lock", (rs) => { vaultLock(rs).changeableForDays = 3650; }],
    ["a force-destroyable vault", "keel-backup-vault-lock", (rs) => { inputs(find(rs, "backup/vault:Vault", "backup-vault")).forceDestroy = true; }],
    ["a vault lock whose maximum leaves out the monthly rule", "keel-backup-vault-lock", (rs) => { vaultLock(rs).maxRetentionDays = 90; }],
    ["a vault policy letting another account delete recovery points", "keel-backup-vault-lock", (rs) => {
        const vault = find(rs, "backup/vault:Vault", "backup-vault");
        const policy = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: ["backup:DeleteRecoveryPoint"], Resource: "*" }] });
        rs.push({ ...structuredClone(vault), urn: vault.urn.replace("backup/vault:Vault", "backup/vaultPolicy:VaultPolicy"), type: "aws:backup/vaultPolicy:VaultPolicy", inputs: { backupVaultName: "backup-vault-7f66e06", policy }, dependencies: [vault.urn] });
    }],

    // A database outside every backup selection.
    ["the writer's backup tag removed", "keel-database-backup-selection", (rs) => { primaryDatabase(rs).tags = { Name: "database-primary" }; }],
    ["the writer tagged backup=false", "keel-database-backup-selection", (rs) => { primaryDatabase(rs).tags = { Name: "database-primary", backup: "false" }; }],
    ["the selection asking for another tag value", "keel-database-backup-selection", (rs) => {
        selection(rs).conditions = [{ stringEquals: [{ key: "aws:ResourceTag/backup", value: "yes" }] }];
    }],
    ["the selection narrowed to Aurora clusters", "keel-database-backup-selection", (rs) => { selection(rs).resources = ["arn:aws:rds:*:*:cluster:*"]; }],
    ["the database excluded by notResources", "keel-database-backup-selection", (rs) => { selection(rs).notResources = ["arn:aws:rds:us-east-1:*:db:database-primary-*"]; }],
    ["the primary region's selection removed", "keel-database-backup-selection", (rs) => removeNamed(rs, "backup/selection:Selection", "backup-selection")],
    ["the primary region's selection moved to the DR region", "keel-database-backup-selection", (rs) => { selection(rs).region = "us-west-2"; }],
    ["AWS Backup opted out of RDS in the primary region", "keel-database-backup-selection", (rs) => {
        const plan = backupPlan(rs);
        rs.push({ ...structuredClone(plan), urn: plan.urn.replace("backup/plan:Plan::backup-plan", "backup/regionSettings:RegionSettings::backup-settings"), type: "aws:backup/regionSettings:RegionSettings", name: "backup-settings", inputs: { resourceTypeOptInPreference: { RDS: false, Aurora: true } }, dependencies: [] });
    }],

    // SSE with an AWS-managed key where a customer key is required.
    ["the dumps bucket on alias/aws/s3", "keel-s3-kms-encryption", (rs) => {
        rules(find(rs, "s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "database-dumps"))[0].applyServerSideEncryptionByDefault = { sseAlgorithm: "aws:kms", kmsMasterKeyId: "alias/aws/s3" };
    }],
    ["the uploads replica on the aws/s3 key by ARN", "keel-customer-managed-keys", (rs) => {
        rules(find(rs, "s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "uploads-replica"))[0].applyServerSideEncryptionByDefault = { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:us-west-2:123456789012:alias/aws/s3" };
    }],
    ["the database on alias/aws/rds", "keel-rds-encryption", (rs) => { primaryDatabase(rs).kmsKeyId = "alias/aws/rds"; }],
    ["the DR replica on the aws/rds key", "keel-customer-managed-keys", (rs) => { inputs(find(rs, "rds/instance:Instance", "database-dr")).kmsKeyId = "arn:aws:kms:us-west-2:123456789012:alias/aws/rds"; }],
    ["the replicated automated backups on aws/rds", "keel-customer-managed-keys", (rs) => { inputs(find(rs, "rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication", "database-backups-to-dr")).kmsKeyId = "alias/aws/rds"; }],
    ["the database credentials secret without its key", "keel-customer-managed-keys", (rs) => { delete inputs(find(rs, "secretsmanager/secret:Secret", "database-credentials")).kmsKeyId; }],
    ["an alarm topic on alias/aws/sns", "keel-customer-managed-keys", (rs) => { inputs(find(rs, "sns/topic:Topic", "database-primary-alarms")).kmsMasterKeyId = "alias/aws/sns"; }],
    ["flow logs on an AWS-managed key", "keel-customer-managed-keys", (rs) => { inputs(find(rs, "cloudwatch/logGroup:LogGroup", "primary-flow-logs")).kmsKeyId = "alias/aws/logs"; }],
    ["application volumes on alias/aws/ebs", "keel-customer-managed-keys", (rs) => {
        inputs(find(rs, "ec2/launchTemplate:LaunchTemplate", "app")).blockDeviceMappings = [{ deviceName: "/dev/sda1", ebs: { encrypted: "true", kmsKeyId: "alias/aws/ebs", volumeSize: 100 } }];
    }],
    ["the backup vault on the AWS-managed backup key", "keel-customer-managed-keys", (rs) => { delete inputs(find(rs, "backup/vault:Vault", "backup-vault")).kmsKeyArn; }],
    ["the dumps bucket's key disabled", "keel-customer-managed-keys", (rs) => { inputs(find(rs, "kms/key:Key", "database-dumps-key")).isEnabled = false; }],
    ["the vault key deletable after a week", "keel-customer-managed-keys", (rs) => { inputs(find(rs, "kms/key:Key", "backup-vault-key")).deletionWindowInDays = 7; }],

    // The encryption exemption, spoofed.
    ["an SSE-S3 bucket named like the ALB log bucket", "keel-s3-kms-encryption", (rs) => {
        rs.push(...impostorBucket(rs, "uploads", "alb-logs", { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }));
    }],
    ["the ALB log bucket left unencrypted", "keel-s3-kms-encryption", (rs) => removeNamed(rs, "s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "alb-logs")],

    // The TLS-only deny narrowed.
    ["the TLS deny limited to GetObject", "keel-s3-tls-only", (rs) => editTlsDeny(rs, "database-dumps", (s) => ({ ...s, Action: "s3:GetObject" }))],
    ["the TLS deny on objects only", "keel-s3-tls-only", (rs) => editTlsDeny(rs, "uploads", (s) => ({ ...s, Resource: (s.Resource as string[]).filter((r) => r.endsWith("/*")) }))],
    ["the TLS deny on the bucket only", "keel-s3-tls-only", (rs) => editTlsDeny(rs, "logs", (s) => ({ ...s, Resource: (s.Resource as string[]).filter((r) => !r.endsWith("/*")) }))],
    ["the TLS deny on one prefix", "keel-s3-tls-only", (rs) => editTlsDeny(rs, "configuration", (s) => ({ ...s, Resource: (s.Resource as string[]).map((r) => r.replace("/*", "/config/*")) }))],
    ["the TLS deny only from outside an address range", "keel-s3-tls-only", (rs) => editTlsDeny(rs, "database-dumps", (s) => ({ ...s, Condition: { ...(s.Condition as Rule), NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } } }))],
    ["the TLS deny for the account root only", "keel-s3-tls-only", (rs) => editTlsDeny(rs, "database-dumps-replica", (s) => ({ ...s, Principal: { AWS: "arn:aws:iam::123456789012:root" } }))],
    ["the TLS deny with NotPrincipal", "keel-s3-tls-only", (rs) => editTlsDeny(rs, "uploads", (s) => ({ Effect: "Deny", NotPrincipal: { AWS: "arn:aws:iam::123456789012:role/ops" }, Action: "s3:*", Resource: s.Resource, Condition: s.Condition }))],
    ["the TLS deny turned into a condition on TLS being used", "keel-s3-tls-only", (rs) => editTlsDeny(rs, "access-logs", (s) => ({ ...s, Condition: { Bool: { "aws:SecureTransport": "true" } } }))],

    // RDS: the last copy and plaintext connections.
    ["the final snapshot skipped", "keel-rds-final-snapshot", (rs) => { primaryDatabase(rs).skipFinalSnapshot = true; }],
    ["automated backups deleted with the database", "keel-rds-final-snapshot", (rs) => { primaryDatabase(rs).deleteAutomatedBackups = true; }],
    ["automatic minor upgrades off on the primary", "keel-rds-auto-minor-version-upgrade", (rs) => { primaryDatabase(rs).autoMinorVersionUpgrade = false; }],
    ["automatic minor upgrades off on the DR replica", "keel-rds-auto-minor-version-upgrade", (rs) => { inputs(find(rs, "rds/instance:Instance", "database-dr")).autoMinorVersionUpgrade = false; }],
    ["rds.force_ssl turned off", "keel-rds-force-ssl", (rs) => { for (const p of parameters(rs)) if (p.name === "rds.force_ssl") p.value = "0"; }],
    ["rds.force_ssl dropped from the DR parameter group", "keel-rds-force-ssl", (rs) => {
        const group = inputs(find(rs, "rds/parameterGroup:ParameterGroup", "database-dr"));
        group.parameters = parameters(rs, "database-dr").filter((p) => p.name !== "rds.force_ssl");
    }],
    ["the database moved to the default parameter group", "keel-rds-force-ssl", (rs) => {
        primaryDatabase(rs).parameterGroupName = "default.postgres15";
        const database = find(rs, "rds/instance:Instance", "database-primary");
        writable(database).dependencies = database.dependencies.filter((d) => !d.includes("parameterGroup"));
    }],
    ["tags no longer copied to snapshots", "keel-rds-copy-tags-to-snapshot", (rs) => { primaryDatabase(rs).copyTagsToSnapshot = false; }],
    ["copyTagsToSnapshot dropped", "keel-rds-copy-tags-to-snapshot", (rs) => { delete primaryDatabase(rs).copyTagsToSnapshot; }],
];

const drModeCases: Attack[] = [
    ["the promoted writer's region left without a selection", "keel-database-backup-selection", (rs) => removeNamed(rs, "backup/selection:Selection", "backup-dr-selection")],
    ["the promoted writer skips its final snapshot", "keel-rds-final-snapshot", (rs) => { inputs(find(rs, "rds/instance:Instance", "database-dr")).skipFinalSnapshot = true; }],
    ["the DR vault's lock removed", "keel-backup-vault-lock", (rs) => removeNamed(rs, "backup/vaultLockConfiguration:VaultLockConfiguration", "backup-dr-vault-lock")],
];

const stagingCases: Attack[] = [
    ["the vault lock removed", "keel-backup-vault-lock", (rs) => removeNamed(rs, "backup/vaultLockConfiguration:VaultLockConfiguration", "backup-vault-lock")],
    ["a vault lock with a week's minimum", "keel-backup-vault-lock", (rs) => { vaultLock(rs).minRetentionDays = 7; }],
    ["weekly recovery points kept a week", "keel-backup-plan-retention", (rs) => { backupRule(rs, "weekly").lifecycle = { deleteAfter: 7 }; }],
    ["weekly dumps kept 30 days", "keel-backup-bucket-retention", (rs) => { ruleWith(lifecycle(rs, "database-dumps"), "id", "database-weekly").expiration = { days: 30 }; }],
    ["the database untagged", "keel-database-backup-selection", (rs) => { primaryDatabase(rs).tags = { Name: "database-primary" }; }],
    ["the final snapshot skipped", "keel-rds-final-snapshot", (rs) => { primaryDatabase(rs).skipFinalSnapshot = true; }],
    ["the dumps bucket on alias/aws/s3", "keel-s3-kms-encryption", (rs) => {
        rules(find(rs, "s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "database-dumps"))[0].applyServerSideEncryptionByDefault = { sseAlgorithm: "aws:kms", kmsMasterKeyId: "alias/aws/s3" };
    }],
];

const clean = "the clean plan passes every data-protection policy";
describe("data protection: bad changes to the production plan are refused", () => redTeam(clean, dataPolicies, "production", [], productionCases));
describe("data protection: bad changes to the production plan in DR mode are refused", () => redTeam(clean, dataPolicies, "production", ["keel:dr.active=true"], drModeCases));
describe("data protection: bad changes to the staging plan are refused", () => redTeam(clean, dataPolicies, "staging", [], stagingCases));

describe("data protection: the dev and local plans pass", () => {
    for (const environment of ["dev", "local"]) cleanPlanPasses(environment, plannedStack(environment), dataPolicies, environment);
});
