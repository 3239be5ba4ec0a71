import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import { childrenOf, only, planComponents, refusedArguments } from "../../tests/plans";
import { DatabaseDumpJob, dumpCadenceProblems, dumpJobImages, dumpJobPolicy, dumpSchedule, type DatabaseDumpJobArgs, type DumpCadence } from "./dump-job";

const production: DumpCadence = { every: "daily", at: "04:30", prefix: "daily/", weeklyPrefix: "weekly/", monthlyPrefix: "monthly/" };
const bucketArn = "arn:aws:s3:::database-dumps-1a2b3c";
const keyArn = "arn:aws:kms:us-east-1:123456789012:key/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f";

const args = (cadence: DumpCadence = production): DatabaseDumpJobArgs => ({
    oidc: { arn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC", issuer: "oidc.eks.us-east-1.amazonaws.com/id/ABC" },
    bucket: { name: "database-dumps-1a2b3c", arn: bucketArn, kmsKeyArn: keyArn },
    region: "us-east-1",
    cadence,
    database: { host: "writer.db.production.internal", port: 5432, name: "app", credentials: pulumi.secret({ username: "keel_admin", password: "from-random-password" }) },
    postgresImage: "postgres:15.14-bookworm",
    pushgateway: "pushgateway.monitoring.svc:9091",
    scratchGb: 500,
});

type Env = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };
type Container = { name: string; image: string; command: string[]; env: Env[]; securityContext: Record<string, unknown> };
type PodSpec = { serviceAccountName: string; restartPolicy: string; initContainers: Container[]; containers: Container[]; volumes: Record<string, unknown>[]; securityContext: Record<string, unknown> };

describe("DatabaseDumpJob", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => {
            const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
            new DatabaseDumpJob("database-dumps", args(), { providers: [provider] });
        });
    });
    const cronJob = () => only(record, "kubernetes:batch/v1:CronJob").inputs as { spec: Record<string, unknown> & { jobTemplate: { spec: Record<string, unknown> & { template: { spec: PodSpec } } } } };
    const pod = () => cronJob().spec.jobTemplate.spec.template.spec;

    test("creates the namespace, the IRSA role and its policy, the service account, the credentials Secret, the script and the CronJob", () => {
        const component = only(record, "keel:backup:DatabaseDumpJob");
        assert.deepEqual(childrenOf(record, component).map((r) => r.type).sort(), [
            "aws:iam/role:Role",
            "aws:iam/rolePolicy:RolePolicy",
            "kubernetes:batch/v1:CronJob",
            "kubernetes:core/v1:ConfigMap",
            "kubernetes:core/v1:Namespace",
            "kubernetes:core/v1:Secret",
            "kubernetes:core/v1:ServiceAccount",
            "kubernetes:storage.k8s.io/v1:StorageClass",
        ]);
    });

    test("runs daily at the cadence's time in UTC, one run at a time, failing after its deadline and two retries", () => {
        const { spec } = cronJob();
        assert.equal(spec.schedule, "30 4 * * *");
        assert.equal(spec.timeZone, "Etc/UTC");
        assert.equal(spec.concurrencyPolicy, "Forbid");
        assert.equal(spec.jobTemplate.spec.backoffLimit, 2);
        assert.equal(spec.jobTemplate.spec.activeDeadlineSeconds, 14400);
        assert.equal(pod().restartPolicy, "Never");
    });

    test("steps in order, each in its pinned image, non-root, read-only, without privilege escalation", () => {
        const steps = [...pod().initContainers, ...pod().containers];
        assert.deepEqual(steps.map((c) => [c.name, c.image, c.command.join(" ")]), [
            ["dump", "postgres:15.14-bookworm", "/bin/sh /scripts/dump-job.sh dump"],
            ["upload", dumpJobImages.awsCli, "/bin/sh /scripts/dump-job.sh upload"],
            ["publish", dumpJobImages.curl, "/bin/sh /scripts/dump-job.sh publish"],
        ]);
        for (const step of steps) assert.deepEqual(step.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
        assert.equal(pod().securityContext.runAsNonRoot, true);
        for (const image of Object.values(dumpJobImages)) assert.match(image, /:\d+\.\d+\.\d+$/);
    });

    test("credentials only through the Secret, whose password stays a secret; the upload names the bucket's own key", () => {
        const env = Object.fromEntries(pod().initContainers.flatMap((c) => c.env).map((e) => [e.name, e]));
        assert.deepEqual(env.PGPASSWORD.valueFrom, { secretKeyRef: { name: "database-dumps-credentials", key: "password" } });
        assert.equal(env.PGPASSWORD.value, undefined);
        assert.equal(env.PGSSLMODE.value, "require");
        assert.equal(only(record, "kubernetes:core/v1:Secret").inputs.stringData, "[secret]");
        assert.equal(env.DUMP_KMS_KEY_ARN.value, keyArn);
        assert.deepEqual([env.DUMP_PREFIX.value, env.DUMP_WEEKLY_PREFIX.value, env.DUMP_MONTHLY_PREFIX.value, env.DUMP_CADENCE_DAYS.value], ["daily/", "weekly/", "monthly/", "1"]);
    });

    test("the service account alone assumes the role, which may only put and read back objects under its prefixes, and use the key through S3", () => {
        assert.equal((only(record, "kubernetes:core/v1:ServiceAccount").inputs.metadata as { annotations: Record<string, string> }).annotations["eks.amazonaws.com/role-arn"] !== undefined, true);
        const trust = JSON.parse(String(only(record, "aws:iam/role:Role").inputs.assumeRolePolicy)) as { Statement: { Condition: { StringEquals: Record<string, unknown> } }[] };
        assert.deepEqual(trust.Statement[0].Condition.StringEquals["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"], ["system:serviceaccount:backup:database-dumps"]);
        const policy = JSON.parse(String(only(record, "aws:iam/rolePolicy:RolePolicy").inputs.policy)) as { Statement: { Action: string[]; Resource: string | string[]; Condition?: unknown }[] };
        assert.deepEqual(policy, dumpJobPolicy(bucketArn, keyArn, "us-east-1", production));
        const actions = policy.Statement.flatMap((s) => s.Action);
        assert.deepEqual(actions.sort(), ["kms:Decrypt", "kms:GenerateDataKey", "s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]);
        assert.deepEqual(policy.Statement[0].Resource, [`${bucketArn}/daily/*`, `${bucketArn}/weekly/*`, `${bucketArn}/monthly/*`]);
        assert.deepEqual(policy.Statement[1], { Sid: "BucketKeyThroughS3", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: keyArn, Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } } });
    });

    test("the dump lands on an encrypted scratch volume sized for the database, deleted with its pod", () => {
        const work = pod().volumes.find((v) => v.name === "work") as { ephemeral: { volumeClaimTemplate: { spec: { storageClassName: string; resources: { requests: { storage: string } } } } } };
        const storageClass = only(record, "kubernetes:storage.k8s.io/v1:StorageClass").inputs;
        assert.equal(work.ephemeral.volumeClaimTemplate.spec.storageClassName, "database-dumps-scratch");
        assert.deepEqual([(storageClass.metadata as { name: string }).name, storageClass.reclaimPolicy, storageClass.parameters], ["database-dumps-scratch", "Delete", { type: "gp3", encrypted: "true" }]);
        assert.equal(work.ephemeral.volumeClaimTemplate.spec.resources.requests.storage, "500Gi");
    });

    test("its script passes shellcheck as POSIX sh", () => {
        const result = spawnSync("shellcheck", ["--shell=sh", join(__dirname, "dump-job.sh")], { encoding: "utf8" });
        assert.equal(result.status, 0, result.stdout + result.stderr);
    });
});

describe("dump cadence", () => {
    test("weekly runs every Sunday; daily every day", () => {
        assert.equal(dumpSchedule({ every: "weekly", at: "04:30", prefix: "weekly/" }), "30 4 * * 0");
        assert.equal(dumpSchedule(production), "30 4 * * *");
    });

    test("refuses a bad time, prefixes that are not key prefixes or are shared, and a weekly copy of weekly runs, all at once", () => {
        assert.deepEqual(dumpCadenceProblems({ every: "weekly", at: "4:30", prefix: "weekly", weeklyPrefix: "weekly", monthlyPrefix: "monthly/" }), [
            { path: ["at"], message: "expected hh:mm in UTC" },
            { path: ["prefix"], message: "expected a key prefix such as daily/" },
            { path: ["weeklyPrefix"], message: "expected a key prefix such as daily/" },
            { path: ["weeklyPrefix"], message: "expected a prefix of its own, not the same as cadence.prefix" },
            { path: ["weeklyPrefix"], message: 'expected none when every is "weekly": every run already writes cadence.prefix' },
        ]);
        assert.deepEqual(dumpCadenceProblems({ ...production, weeklyPrefix: "weekly/", monthlyPrefix: "weekly/" }), [
            { path: ["monthlyPrefix"], message: "expected a prefix of its own, not the same as cadence.weeklyPrefix" },
        ]);
        assert.deepEqual(dumpCadenceProblems(production), []);
    });

    test("the component refuses a bad cadence or scratch size before registering anything, quoting the values given", async () => {
        const refusal = await refusedArguments(() => {
            new DatabaseDumpJob("dumps", { ...args({ ...production, at: "25:00", weeklyPrefix: production.prefix }), scratchGb: 0 });
        });
        assert.equal(refusal.message, [
            "DatabaseDumpJob dumps: invalid arguments:",
            '  - cadence.at: expected hh:mm in UTC, got "25:00"',
            `  - cadence.weeklyPrefix: expected a prefix of its own, not the same as cadence.prefix, got "${production.prefix}"`,
            "  - scratchGb: expected whole GiB ≥ 1, got 0",
        ].join("\n"));
    });
});
