import { BackupClient, ListCopyJobsCommand, ListRecoveryPointsByBackupVaultCommand } from "@aws-sdk/client-backup";
import { GetBucketReplicationCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, test } from "node:test";
import { projectRoot } from "../../tests/plans";
import { regionOfArn, renderReport, verifyBackups, type BackupOutputs, type Clients } from "./verify";

const now = new Date("2026-11-22T12:00:00Z");
const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3_600_000);
const options = { maxRecoveryPointAgeHours: 26, maxPendingReplicationMinutes: 15, now };

const outputs: BackupOutputs = {
    vaultArn: "arn:aws:backup:us-east-1:123456789012:backup-vault:backup-vault-1",
    drVaultArn: "arn:aws:backup:us-west-2:123456789012:backup-vault:backup-dr-vault-1",
    buckets: {
        "database-dumps": { name: "dumps-1", replicaName: "dumps-replica-1", freshness: { "daily/": 26, "weekly/": 194 } },
        uploads: { name: "uploads-1", replicaName: "uploads-replica-1", freshness: {} },
    },
};

// One client per region, as the CLI builds them; aws-sdk-client-mock intercepts every instance's send.
const backupEast = new BackupClient({ region: "us-east-1" });
const backupWest = new BackupClient({ region: "us-west-2" });
const s3East = new S3Client({ region: "us-east-1" });
const clients: Clients = {
    backup: (region) => (region === "us-west-2" ? backupWest : backupEast),
    s3: (region) => {
        assert.equal(region, "us-east-1", "buckets are read in the primary region");
        return s3East;
    },
};
const eastBackup = mockClient(backupEast);
const westBackup = mockClient(backupWest);
const s3 = mockClient(s3East);

/** A healthy account: fresh recovery points, completed copies, fresh and replicated dumps. */
function healthy() {
    eastBackup.reset();
    westBackup.reset();
    s3.reset();
    eastBackup.on(ListRecoveryPointsByBackupVaultCommand, { BackupVaultName: "backup-vault-1" }).resolves({
        RecoveryPoints: [
            { Status: "COMPLETED", CreationDate: hoursAgo(30) },
            { Status: "COMPLETED", CreationDate: hoursAgo(5) },
            { Status: "PARTIAL", CreationDate: hoursAgo(1) },
        ],
    });
    westBackup.on(ListRecoveryPointsByBackupVaultCommand, { BackupVaultName: "backup-dr-vault-1" }).resolves({ RecoveryPoints: [{ Status: "COMPLETED", CreationDate: hoursAgo(4) }] });
    eastBackup.on(ListCopyJobsCommand).resolves({ CopyJobs: [{ CopyJobId: "c1", State: "COMPLETED" }, { CopyJobId: "c2", State: "RUNNING" }] });
    s3.on(ListObjectsV2Command, { Bucket: "dumps-1", Prefix: "daily/" }).resolves({ Contents: [{ Key: "daily/a.dump", LastModified: hoursAgo(20) }, { Key: "daily/b.dump", LastModified: hoursAgo(2) }] });
    s3.on(ListObjectsV2Command, { Bucket: "dumps-1", Prefix: "weekly/" }).resolves({ Contents: [{ Key: "weekly/w.dump", LastModified: hoursAgo(100) }] });
    s3.on(GetBucketReplicationCommand).resolves({ ReplicationConfiguration: { Role: "arn:aws:iam::123456789012:role/r", Rules: [{ Status: "Enabled", Destination: { Bucket: "arn:aws:s3:::replica" } }] } });
    s3.on(HeadObjectCommand, { Bucket: "dumps-1", Key: "daily/b.dump" }).resolves({ ReplicationStatus: "COMPLETED" });
}

describe("verifyBackups", () => {
    beforeEach(healthy);

    test("passes a healthy account, reporting what it measured", async () => {
        const checks = await verifyBackups(outputs, clients, options);
        assert.deepEqual(checks.map((c) => [c.ok, c.name, c.detail]), [
            [true, "primary vault backup-vault-1: newest recovery point", "5.0 h old (limit 26 h)"],
            [true, "DR vault backup-dr-vault-1: newest recovery point", "4.0 h old (limit 26 h)"],
            [true, "copy jobs into the DR vault (last 26 h)", "1 completed"],
            [true, "database-dumps: newest object under daily/", "daily/b.dump is 2.0 h old (limit 26.0 h)"],
            [true, "database-dumps: newest object under weekly/", "weekly/w.dump is 4.2 d old (limit 8.1 d)"],
            [true, "database-dumps: replication to the DR region", "daily/b.dump replicated"],
            [true, "uploads: replication to the DR region", "1 rule(s) enabled; no recent object to sample"],
        ]);
        assert.match(renderReport(checks), /\n\nAll 7 backup checks passed\.$/);
        const copyQuery = eastBackup.commandCalls(ListCopyJobsCommand)[0].args[0].input;
        assert.deepEqual(copyQuery, { ByDestinationVaultArn: outputs.drVaultArn, ByCreatedAfter: hoursAgo(26) });
    });

    test("fails a vault whose newest completed recovery point is too old", async () => {
        eastBackup.on(ListRecoveryPointsByBackupVaultCommand).resolves({ RecoveryPoints: [{ Status: "COMPLETED", CreationDate: hoursAgo(30) }, { Status: "PARTIAL", CreationDate: hoursAgo(1) }] });
        const [primary] = await verifyBackups(outputs, clients, options);
        assert.deepEqual([primary.ok, primary.detail], [false, "30.0 h old (limit 26 h)"]);
    });

    test("fails a vault without any completed recovery point", async () => {
        westBackup.on(ListRecoveryPointsByBackupVaultCommand).resolves({ RecoveryPoints: [] });
        const checks = await verifyBackups(outputs, clients, options);
        assert.deepEqual(checks[1], { name: "DR vault backup-dr-vault-1: newest recovery point", ok: false, detail: "no completed recovery point" });
    });

    test("fails on failed copy jobs, naming them, and when no copy completed", async () => {
        eastBackup.on(ListCopyJobsCommand).resolves({ CopyJobs: [{ CopyJobId: "c1", State: "COMPLETED" }, { CopyJobId: "c9", State: "FAILED", StatusMessage: "KMS access denied" }] });
        assert.deepEqual((await verifyBackups(outputs, clients, options))[2], { name: "copy jobs into the DR vault (last 26 h)", ok: false, detail: "1 failed: c9 FAILED KMS access denied" });
        eastBackup.on(ListCopyJobsCommand).resolves({ CopyJobs: [{ CopyJobId: "c2", State: "RUNNING" }] });
        assert.deepEqual((await verifyBackups(outputs, clients, options))[2].detail, "none completed");
    });

    test("fails a stale or empty backup prefix", async () => {
        s3.on(ListObjectsV2Command, { Bucket: "dumps-1", Prefix: "daily/" }).resolves({ Contents: [{ Key: "daily/old.dump", LastModified: hoursAgo(50) }] });
        s3.on(ListObjectsV2Command, { Bucket: "dumps-1", Prefix: "weekly/" }).resolves({});
        s3.on(HeadObjectCommand).resolves({ ReplicationStatus: "COMPLETED" });
        const checks = await verifyBackups(outputs, clients, options);
        assert.deepEqual(checks.filter((c) => !c.ok).map((c) => c.detail), ["daily/old.dump is 2.1 d old (limit 26.0 h)", "no object"]);
    });

    test("fails replication that is off, failed, or pending beyond Replication Time Control", async () => {
        s3.on(GetBucketReplicationCommand, { Bucket: "uploads-1" }).resolves({ ReplicationConfiguration: { Role: "r", Rules: [{ Status: "Disabled", Destination: { Bucket: "b" } }] } });
        s3.on(HeadObjectCommand).resolves({ ReplicationStatus: "FAILED" });
        let failing = (await verifyBackups(outputs, clients, options)).filter((c) => !c.ok);
        assert.deepEqual(failing.map((c) => [c.name, c.detail]), [
            ["database-dumps: replication to the DR region", "daily/b.dump is FAILED after 120 min"],
            ["uploads: replication to the DR region", "no enabled replication rule"],
        ]);
        s3.on(HeadObjectCommand).resolves({ ReplicationStatus: "PENDING" });
        failing = (await verifyBackups(outputs, clients, options)).filter((c) => !c.ok && c.name.startsWith("database-dumps"));
        assert.deepEqual(failing.map((c) => c.detail), ["daily/b.dump is PENDING after 120 min"]);
    });

    test("pages through every recovery point", async () => {
        eastBackup.on(ListRecoveryPointsByBackupVaultCommand, { BackupVaultName: "backup-vault-1" }).resolves({ RecoveryPoints: [{ Status: "COMPLETED", CreationDate: hoursAgo(40) }], NextToken: "page-2" });
        eastBackup.on(ListRecoveryPointsByBackupVaultCommand, { BackupVaultName: "backup-vault-1", NextToken: "page-2" }).resolves({ RecoveryPoints: [{ Status: "COMPLETED", CreationDate: hoursAgo(3) }] });
        assert.equal((await verifyBackups(outputs, clients, options))[0].detail, "3.0 h old (limit 26 h)");
    });

    test("a single-region stack checks its vault and buckets only", async () => {
        const checks = await verifyBackups({ vaultArn: outputs.vaultArn, buckets: { "database-dumps": { name: "dumps-1", freshness: { "daily/": 26 } } } }, clients, options);
        assert.deepEqual(checks.map((c) => c.name), ["primary vault backup-vault-1: newest recovery point", "database-dumps: newest object under daily/"]);
        assert.equal(s3.commandCalls(GetBucketReplicationCommand).length, 0);
    });

    test("reads the region from ARNs", () => {
        assert.equal(regionOfArn(outputs.drVaultArn ?? ""), "us-west-2");
        assert.throws(() => regionOfArn("arn:aws:s3:::bucket"), /not a regional ARN/);
    });
});

describe("npm run verify-backups", () => {
    test("refuses a stack without backups, and a call without a stack", () => {
        const dir = mkdtempSync(join(tmpdir(), "keel-verify-"));
        const file = join(dir, "outputs.json");
        writeFileSync(file, JSON.stringify({ environment: "dev" }));
        const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(projectRoot, "scripts", "verify-backups.ts"), ...args], { encoding: "utf8" });
        const noBackups = run("--outputs", file);
        assert.equal(noBackups.status, 2);
        assert.match(noBackups.stderr, /exports no backups/);
        const usage = run();
        assert.equal(usage.status, 2);
        assert.match(usage.stderr, /usage: npm run verify-backups -- \(--stack ORG\/keel\/ENV \| --outputs FILE\)/);
    });
});
