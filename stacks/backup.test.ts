import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../offline-plan/engine";
import type { PlanResource } from "../offline-plan/record";
import { arnOf, idOf, list, mockOf, object, ofType, only, plannedDumpJob, planStack, text } from "../tests/plans";

/**
 * Production's backups as `pulumi preview` would send them to the AWS provider, in normal and
 * in DR mode (`keel:dr.active=true`): inputs the provider's validators accept
 * (terraform-provider-aws internal/service/backup/*.go), AWS Backup that follows the database
 * writer into whichever region holds it, cold storage only where it applies, and S3
 * replication and access logging ordered after what they need.
 */

const types = {
    instance: "aws:rds/instance:Instance",
    vault: "aws:backup/vault:Vault",
    lock: "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
    plan: "aws:backup/plan:Plan",
    selection: "aws:backup/selection:Selection",
    restorePlan: "aws:backup/restoreTestingPlan:RestoreTestingPlan",
    restoreSelection: "aws:backup/restoreTestingSelection:RestoreTestingSelection",
    record: "aws:route53/record:Record",
    bucket: "aws:s3/bucket:Bucket",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    logging: "aws:s3/bucketLogging:BucketLogging",
    replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    key: "aws:kms/key:Key",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
} as const;

const modes = ["normal", "DR mode"] as const;
type Mode = (typeof modes)[number];

const arnPattern = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$/;
const globToRegExp = (glob: string) => new RegExp(`^${glob.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
const records = (value: unknown, what: string) => list(value ?? [], what).map((v, i) => object(v, `${what}[${i}]`));
const tagsOf = (resource: PlanResource) => object(resource.inputs.tags ?? {}, `${resource.name}.tags`);

/** The one resource of a type that satisfies `predicate`. */
function theOne(record: PlanRecord, type: string, predicate: (r: PlanResource) => boolean, what: string): PlanResource {
    const matches = ofType(record, type).filter(predicate);
    assert.equal(matches.length, 1, `${what}: expected one ${type}, found ${matches.length}`);
    return matches[0];
}

/**
 * Whether an AWS Backup selection assigns a resource in its region: a resource named by
 * `resources` (ARN patterns) or `selectionTags` (ORed), or any resource when neither is given,
 * that also meets every `conditions` entry (ANDed).
 */
function selects(selection: PlanResource, resource: PlanResource): boolean {
    if (selection.region !== resource.region) return false;
    const tags = tagsOf(resource);
    const patterns = selection.inputs.resources === undefined ? [] : list(selection.inputs.resources, "resources").map((p) => text(p, "resource"));
    const selectionTags = records(selection.inputs.selectionTags, "selectionTags");
    const named = patterns.some((p) => globToRegExp(p).test(arnOf(resource))) || selectionTags.some((t) => t.type === "STRINGEQUALS" && tags[text(t.key, "key")] === t.value);
    const conditions = records(selection.inputs.conditions, "conditions").flatMap((c) => records(c.stringEquals, "stringEquals"));
    const meetsConditions = conditions.every((c) => tags[text(c.key, "key").replace(/^aws:ResourceTag\//, "")] === c.value);
    return (patterns.length === 0 && selectionTags.length === 0 ? true : named) && meetsConditions;
}

/** Every rule's lifecycle and every copy action's lifecycle of a plan, with the destination of copies. */
function lifecyclesOf(plan: PlanResource) {
    return records(plan.inputs.rules, `${plan.name}.rules`).flatMap((rule) => [
        { rule: text(rule.ruleName, "ruleName"), lifecycle: object(rule.lifecycle, "lifecycle") },
        ...records(rule.copyActions, "copyActions").map((copy) => ({ rule: `${text(rule.ruleName, "ruleName")} (copy)`, lifecycle: object(copy.lifecycle, "copy lifecycle") })),
    ]);
}

describe("production backups, in normal and in DR mode", () => {
    const plans = new Map<Mode, PlanRecord>();
    before(async () => {
        plans.set("normal", await planStack("production"));
        plans.set("DR mode", await planStack("production", ["keel:dr.active=true"]));
    });

    for (const mode of modes) {
        describe(mode, () => {
            const plan = () => plans.get(mode)!;

            // Issue #13, item 1.
            test("restore testing selections name their resources by exactly one of protectedResourceArns and protectedResourceConditions (the provider's ExactlyOneOf)", () => {
                const selections = ofType(plan(), types.restoreSelection);
                assert.ok(selections.length > 0, "no restore testing selection");
                for (const selection of selections) {
                    const { protectedResourceArns: arns, protectedResourceConditions: conditions } = selection.inputs;
                    assert.equal([arns, conditions].filter((v) => v !== undefined).length, 1, `${selection.name}: ${JSON.stringify(selection.inputs)}`);
                    if (arns !== undefined) {
                        const values = list(arns, "protectedResourceArns");
                        assert.ok(values.length > 0 && values.every((a) => a === "*" || arnPattern.test(text(a, "arn"))), `${selection.name}: ${JSON.stringify(arns)}`);
                    }
                    if (conditions !== undefined) {
                        const entries = [...records(object(conditions, "conditions").stringEquals, "stringEquals"), ...records(object(conditions, "conditions").stringNotEquals, "stringNotEquals")];
                        assert.ok(entries.length > 0, `${selection.name}: empty conditions`);
                        for (const entry of entries) assert.match(text(entry.key, "key"), /^aws:ResourceTag\/.+/, selection.name);
                    }
                    // The schema's other validators: name ^[0-9A-Za-z_]+$ of 1-50, validation window 1-168 hours when set.
                    assert.match(text(selection.inputs.name, "name"), /^[0-9A-Za-z_]{1,50}$/);
                    const hours = selection.inputs.validationWindowHours;
                    assert.ok(hours === undefined || (Number.isInteger(hours) && Number(hours) >= 1 && Number(hours) <= 168), `${selection.name}: validationWindowHours ${String(hours)}`);
                    const restorePlan = ofType(plan(), types.restorePlan).find((p) => p.inputs.name === selection.inputs.restoreTestingPlanName && p.region === selection.region);
                    assert.ok(restorePlan, `${selection.name}: no restore testing plan ${String(selection.inputs.restoreTestingPlanName)} in ${selection.region}`);
                }
                for (const restorePlan of ofType(plan(), types.restorePlan)) {
                    const points = object(restorePlan.inputs.recoveryPointSelection, "recoveryPointSelection");
                    assert.match(text(restorePlan.inputs.name, "name"), /^[0-9A-Za-z_]{1,50}$/);
                    for (const vault of list(points.includeVaults, "includeVaults")) assert.ok(vault === "*" || arnPattern.test(text(vault, "vault")), restorePlan.name);
                    assert.ok(Number(points.selectionWindowDays) >= 1 && Number(points.selectionWindowDays) <= 365, restorePlan.name);
                }
            });

            // Issue #13, item 6.
            test("every region that can hold the database writer has a backup plan whose selection assigns it once it is the writer, into a locked vault, copying to the other region", () => {
                const members = ofType(plan(), types.instance);
                const regions = [...new Set(members.map((m) => m.region))].sort();
                assert.deepEqual(regions, ["us-east-1", "us-west-2"]);
                const roleArns = ofType(plan(), types.role).map(arnOf);
                const lockedVaults = ofType(plan(), types.lock).map((lock) => lock.inputs.backupVaultName);
                for (const region of regions) {
                    const selections = ofType(plan(), types.selection).filter((s) => s.region === region);
                    assert.ok(selections.length > 0, `no backup selection in ${region}`);
                    for (const selection of selections) {
                        // The provider's schema: iam_role_arn (required, an ARN), plan_id, resources or conditions.
                        assert.ok(roleArns.includes(text(selection.inputs.iamRoleArn, "iamRoleArn")), `${selection.name}: not the backup role`);
                        assert.ok(selection.inputs.resources !== undefined || selection.inputs.selectionTags !== undefined || selection.inputs.conditions !== undefined, selection.name);
                        const backupPlan = ofType(plan(), types.plan).find((p) => idOf(p) === selection.inputs.planId);
                        assert.ok(backupPlan, `${selection.name}: no plan ${String(selection.inputs.planId)}`);
                        assert.equal(backupPlan.region, region, `${selection.name}'s plan is in ${backupPlan.region}`);
                        const otherRegion = regions.find((r) => r !== region);
                        for (const rule of records(backupPlan.inputs.rules, "rules")) {
                            const vault = theOne(plan(), types.vault, (v) => mockOf(v).state.name === rule.targetVaultName, `${backupPlan.name} ${String(rule.ruleName)}'s vault`);
                            assert.equal(vault.region, region, `${backupPlan.name} ${String(rule.ruleName)}: its vault is in ${vault.region}`);
                            assert.ok(lockedVaults.includes(rule.targetVaultName), `${backupPlan.name} ${String(rule.ruleName)}: vault ${String(rule.targetVaultName)} has no lock`);
                            const copies = records(rule.copyActions, "copyActions");
                            assert.equal(copies.length, 1, `${backupPlan.name} ${String(rule.ruleName)}: one copy to the other region`);
                            assert.match(text(copies[0].destinationVaultArn, "destinationVaultArn"), new RegExp(`^arn:aws:backup:${otherRegion}:\\d{12}:backup-vault:`));
                        }
                    }
                }
                // The writer (what the writer name points at) is assigned in its region; replicas nowhere.
                const writerAddress = list(only(plan(), types.record, "database-writer").inputs.records, "records")[0];
                const writer = members.find((m) => mockOf(m).state.address === writerAddress);
                assert.ok(writer, "no database behind the writer name");
                assert.equal(writer.region, mode === "normal" ? "us-east-1" : "us-west-2");
                assert.ok(ofType(plan(), types.selection).some((s) => selects(s, writer)), `${writer.name} (the writer, ${writer.region}) is selected by no backup plan`);
                for (const replica of members.filter((m) => m.inputs.replicateSourceDb !== undefined)) {
                    assert.deepEqual(ofType(plan(), types.selection).filter((s) => selects(s, replica)).map((s) => s.name), [], `${replica.name} is a replica: nothing selects it`);
                }
                // Restore tests run where backups land: a restore testing plan per region that has a backup plan.
                assert.deepEqual([...new Set(ofType(plan(), types.restorePlan).map((p) => p.region))].sort(), regions);
            });

            // Issue #13, item 7.
            test("cold storage is set only where it takes effect: the plans select RDS only, so no rule or copy moves to cold storage", () => {
                // What production backs up: the database members (only they carry backup=true).
                const tagged = plan().resources.filter((r) => {
                    const tags = r.inputs.tags;
                    return typeof tags === "object" && tags !== null && !Array.isArray(tags) && (tags as Record<string, unknown>).backup === "true";
                });
                assert.deepEqual([...new Set(tagged.map((r) => r.type))], [types.instance]);
                for (const backupPlan of ofType(plan(), types.plan)) {
                    for (const { rule, lifecycle } of lifecyclesOf(backupPlan)) {
                        assert.deepEqual(Object.keys(lifecycle), ["deleteAfter"], `${backupPlan.name} ${rule}: ${JSON.stringify(lifecycle)} (RDS does not support cold storage)`);
                    }
                    // The monthly archives keep their year, warm.
                    assert.deepEqual(lifecyclesOf(backupPlan).filter((l) => l.rule.startsWith("monthly")).map((l) => l.lifecycle), [{ deleteAfter: 365 }, { deleteAfter: 365 }]);
                    // And the selections say so: RDS DB instances only, so a tagged resource of a type with cold storage cannot slip in.
                    const selections = ofType(plan(), types.selection).filter((s) => s.inputs.planId === idOf(backupPlan));
                    const patterns = selections.flatMap((s) => list(s.inputs.resources ?? ["*"], "resources"));
                    assert.deepEqual([...new Set(patterns)], ["arn:aws:rds:*:*:db:*"], `${backupPlan.name} selects more than RDS DB instances`);
                }
            });
        });
    }

    // Issue #13, item 8.
    test("S3 replication waits for its role's policy and both buckets' versioning", () => {
        const plan = plans.get("normal")!;
        const replications = ofType(plan, types.replication);
        assert.equal(replications.length, 5);
        const versioningOf = (bucketName: unknown) => theOne(plan, types.versioning, (v) => v.inputs.bucket === bucketName, `versioning of ${String(bucketName)}`);
        for (const replication of replications) {
            const role = ofType(plan, types.role).find((r) => arnOf(r) === replication.inputs.role);
            assert.ok(role, `${replication.name}: no role ${String(replication.inputs.role)}`);
            const rolePolicies = ofType(plan, types.rolePolicy).filter((p) => p.inputs.role === idOf(role));
            assert.equal(rolePolicies.length, 1, `${replication.name}: the role's policy`);
            assert.ok(replication.dependencies.includes(rolePolicies[0].urn), `${replication.name} does not wait for its role's policy (${rolePolicies[0].name})`);
            const [rule] = records(replication.inputs.rules, "rules");
            const destination = ofType(plan, types.bucket).find((b) => arnOf(b) === object(rule.destination, "destination").bucket);
            assert.ok(destination, `${replication.name}: no destination bucket`);
            assert.ok(replication.dependencies.includes(versioningOf(mockOf(destination).id).urn), `${replication.name} does not wait for the destination's versioning`);
            assert.ok(replication.dependencies.includes(versioningOf(replication.inputs.bucket).urn), `${replication.name} does not wait for the source's versioning`);
        }
    });

    test("S3 access logging waits for the log bucket's policy and for the KMS key whose policy lets log delivery encrypt", () => {
        const plan = plans.get("normal")!;
        const loggings = ofType(plan, types.logging);
        assert.equal(loggings.length, 12);
        for (const logging of loggings) {
            const target = logging.inputs.targetBucket;
            const policy = theOne(plan, types.bucketPolicy, (p) => p.inputs.bucket === target, `policy of ${String(target)}`);
            assert.ok(text(policy.inputs.policy, "policy").includes("logging.s3.amazonaws.com"), `${policy.name} does not admit log delivery`);
            const encryption = ofType(plan, types.encryption).find((e) => e.inputs.bucket === target);
            assert.ok(encryption, `${logging.name}: no encryption of ${String(target)}`);
            const [sse] = records(encryption.inputs.rules, "rules");
            const keyArn = object(sse.applyServerSideEncryptionByDefault, "default").kmsMasterKeyId;
            const key = ofType(plan, types.key).find((k) => arnOf(k) === keyArn);
            assert.ok(key, `${logging.name}: the log bucket ${String(target)} has no KMS key`);
            assert.ok(text(key.inputs.policy, "key policy").includes("logging.s3.amazonaws.com"), `${key.name} does not let log delivery encrypt`);
            assert.ok(logging.dependencies.includes(policy.urn), `${logging.name} (${logging.region}) does not wait for the bucket policy of ${policy.name}`);
            assert.ok(logging.dependencies.includes(key.urn), `${logging.name} (${logging.region}) does not wait for the key ${key.name}`);
        }
    });
});

describe("the database dump job of each environment", () => {
    const jobOf = (plan: PlanRecord) => {
        const { spec, env } = plannedDumpJob(plan);
        return { schedule: spec.schedule, env };
    };
    const plans = new Map<string, PlanRecord>();
    before(async () => {
        for (const [name, stack, overrides] of [["production", "production", []], ["production in DR mode", "production", ["keel:dr.active=true"]], ["staging", "staging", []], ["dev", "dev", []]] as const) {
            plans.set(name, await planStack(stack, overrides));
        }
    });

    test("production dumps daily at 04:30 UTC into daily/, copying the week's first to weekly/ and the month's to monthly/", () => {
        const { schedule, env } = jobOf(plans.get("production")!);
        assert.equal(schedule, "30 4 * * *");
        assert.deepEqual([env.DUMP_PREFIX, env.DUMP_WEEKLY_PREFIX, env.DUMP_MONTHLY_PREFIX, env.DUMP_CADENCE_DAYS], ["daily/", "weekly/", "monthly/", "1"]);
    });

    test("staging dumps every Sunday into weekly/, the one tier it keeps", () => {
        const { schedule, env } = jobOf(plans.get("staging")!);
        assert.equal(schedule, "30 4 * * 0");
        assert.deepEqual([env.DUMP_PREFIX, env.DUMP_WEEKLY_PREFIX, env.DUMP_MONTHLY_PREFIX, env.DUMP_CADENCE_DAYS], ["weekly/", undefined, undefined, "7"]);
    });

    test("it dumps the writer's stable name, which follows the writer into the DR region", () => {
        for (const mode of ["production", "production in DR mode"]) assert.equal(jobOf(plans.get(mode)!).env.PGHOST, "writer.db.production.internal", mode);
        const writer = ofType(plans.get("production in DR mode")!, "aws:route53/record:Record").find((r) => r.name === "database-writer");
        assert.ok(writer, "no writer record");
    });

    test("it writes the dumps bucket with the key the bucket policy admits, and pushes to the Pushgateway Prometheus scrapes", () => {
        for (const name of ["production", "staging"]) {
            const plan = plans.get(name)!;
            const { env } = jobOf(plan);
            const bucket = only(plan, "aws:s3/bucket:Bucket", "database-dumps");
            assert.equal(env.DUMP_BUCKET, idOf(bucket), name);
            const encryption = only(plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "database-dumps");
            const byDefault = object(object(list(encryption.inputs.rules, "rules")[0], "rule").applyServerSideEncryptionByDefault, "default");
            assert.equal(env.DUMP_KMS_KEY_ARN, byDefault.kmsMasterKeyId, name);
            const denyOtherKey = (JSON.parse(text(only(plan, "aws:s3/bucketPolicy:BucketPolicy", "database-dumps").inputs.policy, "policy")) as { Statement: { Sid: string; Condition: { StringNotEquals: Record<string, string> } }[] })
                .Statement.find((s) => s.Sid === "DenyOtherKmsKey");
            assert.equal(denyOtherKey?.Condition.StringNotEquals["s3:x-amz-server-side-encryption-aws-kms-key-id"], env.DUMP_KMS_KEY_ARN, name);
            assert.equal(env.PUSHGATEWAY, "pushgateway.monitoring.svc:9091");
            const pushgateway = only(plan, "kubernetes:helm.sh/v3:Release", "monitoring-pushgateway");
            assert.deepEqual(object(pushgateway.inputs.values, "values").extraArgs, ["--persistence.file=/data/pushgateway.data", "--persistence.interval=1m"]);
        }
    });

    test("dev keeps no backups and runs no dump job", () => {
        assert.deepEqual(ofType(plans.get("dev")!, "kubernetes:batch/v1:CronJob"), []);
    });
});
