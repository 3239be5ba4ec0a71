import { BackupClient, ListCopyJobsCommand, paginateListRecoveryPointsByBackupVault } from "@aws-sdk/client-backup";
import { GetBucketReplicationCommand, HeadObjectCommand, paginateListObjectsV2, S3Client, type _Object } from "@aws-sdk/client-s3";

/**
 * Backup verification (ops guides: backups are only as good as the last restore test, and
 * the 3-2-1 copy must exist): the newest recovery point of every vault is younger than
 * 26 hours, copy jobs into the DR vault succeed, every backup prefix holds a fresh object,
 * and replication to the DR region is on and keeping up. The AWS clients are injected.
 */

/** What the stack exports about its backups (stacks/backup.ts). */
export interface BackupOutputs {
    readonly vaultArn: string;
    readonly drVaultArn?: string;
    readonly buckets: Readonly<Record<string, {
        readonly name: string;
        readonly replicaName?: string;
        /** Prefixes that must hold an object younger than the given hours. */
        readonly freshness?: Readonly<Record<string, number>>;
    }>>;
}

export interface Check {
    readonly name: string;
    readonly ok: boolean;
    readonly detail: string;
}

export interface VerifyOptions {
    /** Age of the newest recovery point beyond which a vault fails (guides: daily backups, 26 h with slack). */
    readonly maxRecoveryPointAgeHours: number;
    /** How long a replica may stay PENDING before replication counts as failing (Replication Time Control: 15 min). */
    readonly maxPendingReplicationMinutes: number;
    readonly now: Date;
}

export const defaultVerifyOptions = (now = new Date()): VerifyOptions => ({ maxRecoveryPointAgeHours: 26, maxPendingReplicationMinutes: 15, now });

/** The region of an ARN (`arn:aws:backup:us-west-2:...`). */
export function regionOfArn(arn: string): string {
    const region = arn.split(":")[3];
    if (!region) throw new Error(`not a regional ARN: ${arn}`);
    return region;
}

const hoursBetween = (earlier: Date, later: Date) => (later.getTime() - earlier.getTime()) / 3_600_000;
const describeAge = (hours: number) => (hours < 48 ? `${hours.toFixed(1)} h` : `${(hours / 24).toFixed(1)} d`);

export interface Clients {
    backup(region: string): BackupClient;
    s3(region: string): S3Client;
}

async function newestRecoveryPoint(client: BackupClient, vaultName: string): Promise<Date | undefined> {
    let newest: Date | undefined;
    for await (const page of paginateListRecoveryPointsByBackupVault({ client }, { BackupVaultName: vaultName })) {
        for (const point of page.RecoveryPoints ?? []) {
            if (point.Status === "COMPLETED" && point.CreationDate && (!newest || point.CreationDate > newest)) newest = point.CreationDate;
        }
    }
    return newest;
}

async function checkVault(label: string, vaultArn: string, clients: Clients, options: VerifyOptions): Promise<Check> {
    const vaultName = vaultArn.split(":backup-vault:")[1];
    const newest = await newestRecoveryPoint(clients.backup(regionOfArn(vaultArn)), vaultName);
    const name = `${label} vault ${vaultName}: newest recovery point`;
    if (!newest) return { name, ok: false, detail: "no completed recovery point" };
    const age = hoursBetween(newest, options.now);
    return { name, ok: age <= options.maxRecoveryPointAgeHours, detail: `${describeAge(age)} old (limit ${options.maxRecoveryPointAgeHours} h)` };
}

async function checkCopyJobs(outputs: BackupOutputs & { drVaultArn: string }, clients: Clients, options: VerifyOptions): Promise<Check> {
    const since = new Date(options.now.getTime() - options.maxRecoveryPointAgeHours * 3_600_000);
    const page = await clients.backup(regionOfArn(outputs.vaultArn)).send(new ListCopyJobsCommand({ ByDestinationVaultArn: outputs.drVaultArn, ByCreatedAfter: since }));
    const jobs = page.CopyJobs ?? [];
    const failed = jobs.filter((job) => job.State === "FAILED" || job.State === "PARTIAL");
    const completed = jobs.filter((job) => job.State === "COMPLETED");
    const name = `copy jobs into the DR vault (last ${options.maxRecoveryPointAgeHours} h)`;
    if (failed.length > 0) {
        return { name, ok: false, detail: `${failed.length} failed: ${failed.map((job) => `${job.CopyJobId} ${job.State} ${job.StatusMessage ?? ""}`.trim()).join("; ")}` };
    }
    return completed.length > 0 ? { name, ok: true, detail: `${completed.length} completed` } : { name, ok: false, detail: "none completed" };
}

async function newestObject(client: S3Client, bucket: string, prefix: string): Promise<_Object | undefined> {
    let newest: _Object | undefined;
    for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix })) {
        for (const object of page.Contents ?? []) {
            if (object.LastModified && (!newest?.LastModified || object.LastModified > newest.LastModified)) newest = object;
        }
    }
    return newest;
}

async function checkBucket(label: string, bucket: BackupOutputs["buckets"][string], region: string, drRegion: string | undefined, clients: Clients, options: VerifyOptions): Promise<Check[]> {
    const s3 = clients.s3(region);
    const checks: Check[] = [];
    let newestOverall: _Object | undefined;
    for (const [prefix, maxHours] of Object.entries(bucket.freshness ?? {})) {
        const newest = await newestObject(s3, bucket.name, prefix);
        const name = `${label}: newest object under ${prefix}`;
        if (!newest?.LastModified) {
            checks.push({ name, ok: false, detail: "no object" });
            continue;
        }
        const age = hoursBetween(newest.LastModified, options.now);
        checks.push({ name, ok: age <= maxHours, detail: `${newest.Key} is ${describeAge(age)} old (limit ${describeAge(maxHours)})` });
        if (!newestOverall?.LastModified || newest.LastModified > newestOverall.LastModified) newestOverall = newest;
    }
    if (bucket.replicaName !== undefined && drRegion !== undefined) {
        checks.push(await checkReplication(label, bucket.name, newestOverall, s3, options));
    }
    return checks;
}

async function checkReplication(label: string, bucketName: string, newest: _Object | undefined, s3: S3Client, options: VerifyOptions): Promise<Check> {
    const name = `${label}: replication to the DR region`;
    const configuration = await s3.send(new GetBucketReplicationCommand({ Bucket: bucketName }));
    const enabled = (configuration.ReplicationConfiguration?.Rules ?? []).filter((rule) => rule.Status === "Enabled");
    if (enabled.length === 0) return { name, ok: false, detail: "no enabled replication rule" };
    if (!newest?.Key || !newest.LastModified) return { name, ok: true, detail: `${enabled.length} rule(s) enabled; no recent object to sample` };
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucketName, Key: newest.Key }));
    const status = head.ReplicationStatus;
    const minutes = hoursBetween(newest.LastModified, options.now) * 60;
    if (status === "COMPLETED") return { name, ok: true, detail: `${newest.Key} replicated` };
    if (status === "PENDING" && minutes <= options.maxPendingReplicationMinutes) return { name, ok: true, detail: `${newest.Key} pending for ${minutes.toFixed(0)} min` };
    return { name, ok: false, detail: `${newest.Key} is ${status ?? "not marked for replication"} after ${minutes.toFixed(0)} min` };
}

export async function verifyBackups(outputs: BackupOutputs, clients: Clients, options: VerifyOptions): Promise<Check[]> {
    const primaryRegion = regionOfArn(outputs.vaultArn);
    const drRegion = outputs.drVaultArn !== undefined ? regionOfArn(outputs.drVaultArn) : undefined;
    const checks: Check[] = [await checkVault("primary", outputs.vaultArn, clients, options)];
    if (outputs.drVaultArn !== undefined) {
        checks.push(await checkVault("DR", outputs.drVaultArn, clients, options));
        checks.push(await checkCopyJobs({ ...outputs, drVaultArn: outputs.drVaultArn }, clients, options));
    }
    for (const [label, bucket] of Object.entries(outputs.buckets)) {
        checks.push(...(await checkBucket(label, bucket, primaryRegion, drRegion, clients, options)));
    }
    return checks;
}

export function renderReport(checks: readonly Check[]): string {
    const failed = checks.filter((c) => !c.ok).length;
    return [
        ...checks.map((c) => `${c.ok ? "PASS" : "FAIL"}  ${c.name}: ${c.detail}`),
        "",
        failed === 0 ? `All ${checks.length} backup checks passed.` : `${failed} of ${checks.length} backup checks failed.`,
    ].join("\n");
}
