import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { PlanRecord } from "../offline-plan/engine";
import { only, plannedDumpJob, plannedRuleGroups, plannedScrapeJobs, planStack, type PlannedContainer } from "./plans";
import { fillRunbook, logicalDumpRestore } from "./restore-runbook";
import { eventually, postgresBin, startPostgres, startPrometheus, startPushgateway, startS3, type PostgresServer, type Pushgateway, type S3Server } from "../scripts/servers";

/**
 * The dump job as the plan renders it (its script from the ConfigMap, its steps, commands and
 * environment from the CronJob), run step by step like its pod against real servers on
 * loopback: PostgreSQL 15 with TLS and passwords, the Pushgateway, and the AWS CLI against
 * an S3 server. Then the restore runbook's own commands against what it wrote.
 */

interface JobPod {
    readonly script: string;
    readonly steps: readonly PlannedContainer[];
}

function jobPod(plan: PlanRecord): JobPod {
    const configMap = only(plan, "kubernetes:core/v1:ConfigMap", "database-dumps-script");
    return { script: (configMap.inputs.data as Record<string, string>)["dump-job.sh"], steps: plannedDumpJob(plan).steps };
}

interface RunResult {
    /** The step that failed, if one did (the pod stops there). */
    readonly failed?: string;
    readonly log: string;
}

describe("database dump job, run with real servers", () => {
    let plan: PlanRecord;
    let pod: JobPod;
    let source: PostgresServer;
    let restore: PostgresServer;
    let pushgateway: Pushgateway;
    let s3: S3Server;
    let bucket: string;
    const dir = mkdtempSync(join(tmpdir(), "keel-dumps-"));
    const scriptPath = join(dir, "dump-job.sh");

    /** Runs the pod's containers in order with the plan's environment, loopback addresses and the source's credentials. */
    function runPod(workDir: string, overrides: Record<string, string> = {}, between?: (step: string) => void): RunResult {
        let log = "";
        for (const container of pod.steps) {
            const env: NodeJS.ProcessEnv = {
                PATH: `${s3.awsShimDir}:${postgresBin}:${process.env.PATH ?? ""}`,
                ...s3.env,
                ...Object.fromEntries(container.env.map((e) => [e.name, e.value ?? { username: source.user, password: source.password }[e.valueFrom?.secretKeyRef.key ?? ""]])),
                PGHOST: "127.0.0.1",
                PGPORT: String(source.port),
                PUSHGATEWAY: pushgateway.address,
                DUMP_WORKDIR: workDir,
                HOME: workDir,
                ...overrides,
            };
            const [shell, , step] = container.command;
            const result = spawnSync(shell, [scriptPath, step], { encoding: "utf8", env });
            log += result.stderr;
            if (result.status !== 0) return { failed: container.name, log };
            between?.(container.name);
        }
        return { log };
    }

    const lastSuccess = async (gateway: Pushgateway = pushgateway): Promise<number | undefined> => {
        const line = (await gateway.metrics()).split("\n").find((l) => l.startsWith("keel_backup_last_success_timestamp_seconds{"));
        if (line === undefined) return undefined;
        assert.match(line, /backup="database-dumps"/);
        assert.match(line, /job="keel-backup"/);
        return Number(line.slice(line.lastIndexOf(" ") + 1));
    };
    const aws = (args: string[]) => {
        const result = spawnSync("aws", args, { encoding: "utf8", env: { ...process.env, PATH: `${s3.awsShimDir}:${process.env.PATH ?? ""}`, ...s3.env } });
        assert.equal(result.status, 0, result.stderr);
        return result.stdout.trim();
    };
    const keys = (prefix: string) => aws(["s3", "ls", `s3://${bucket}/${prefix}`]).split("\n").filter(Boolean).map((l) => l.split(/\s+/).pop() ?? "");

    before(async () => {
        plan = await planStack("production");
        pod = jobPod(plan);
        writeFileSync(scriptPath, pod.script, { mode: 0o755 });
        bucket = plannedDumpJob(plan).env.DUMP_BUCKET ?? "";
        [source, restore, pushgateway, s3] = await Promise.all([startPostgres(), startPostgres(), startPushgateway(), startS3([bucket])]);
        source.psql("postgres", "CREATE DATABASE app");
        source.psql("app", `CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);
            CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers, total numeric(10,2), placed_at timestamptz DEFAULT now());
            INSERT INTO customers (name) SELECT 'customer ' || i FROM generate_series(1, 250) i;
            INSERT INTO orders (customer_id, total) SELECT 1 + i % 250, i * 1.5 FROM generate_series(1, 5000) i;`);
    });
    after(async () => {
        source?.stop();
        restore?.stop();
        await pushgateway?.stop();
        await s3?.stop();
        rmSync(dir, { recursive: true, force: true });
    });

    test("the pod: a dump by the server's major version, checked, uploaded with its metadata, read back, then the success metric", async () => {
        assert.deepEqual(pod.steps.map((c) => c.name), ["dump", "upload", "publish"]);
        const work = mkdtempSync(join(dir, "run-"));
        const before = Math.floor(Date.now() / 1000);
        const result = runPod(work);
        assert.equal(result.failed, undefined, result.log);
        const [key] = keys("daily/");
        assert.match(key, /^app-\d{8}T\d{6}Z\.dump$/);
        const head = JSON.parse(aws(["s3api", "head-object", "--bucket", bucket, "--key", `daily/${key}`])) as { ContentLength: number; Metadata: Record<string, string> };
        const local = readFileSync(join(work, "database.dump"));
        assert.equal(head.ContentLength, local.length);
        assert.equal(head.Metadata.sha256, spawnSync("sha256sum", [join(work, "database.dump")], { encoding: "utf8" }).stdout.split(" ")[0]);
        assert.equal(head.Metadata.size, String(local.length));
        assert.equal(head.Metadata.source, "127.0.0.1/app");
        assert.equal(head.Metadata.postgres, "15");
        assert.match(head.Metadata.created, /^\d{8}T\d{6}Z$/);
        const published = await lastSuccess();
        assert.ok(published !== undefined && published >= before && published <= Date.now() / 1000 + 1, `published ${published}`);
        assert.match(result.log, /uploaded and verified/);
    });

    test("the week's and the month's first run also lands under weekly/ and monthly/, each copy verified", () => {
        const work = mkdtempSync(join(dir, "run-"));
        // A dump taken on Sunday the 1st: the upload step reads the day from the dump's manifest.
        const result = runPod(work, {}, (step) => {
            if (step !== "dump") return;
            const manifest = join(work, "manifest");
            writeFileSync(manifest, readFileSync(manifest, "utf8").replace(/^weekday=.*$/m, "weekday=7").replace(/^day=.*$/m, "day=01"));
        });
        assert.equal(result.failed, undefined, result.log);
        const name = readFileSync(join(work, "manifest"), "utf8").match(/^name=(.*)$/m)?.[1] ?? "";
        for (const prefix of ["daily/", "weekly/", "monthly/"]) assert.ok(keys(prefix).includes(name), `${prefix}${name}`);
        assert.match(result.log, /copied and verified s3:\/\/[^ ]+\/monthly\//);
    });

    test("a failed run publishes nothing, says why and fails its step: no database, no bucket, no dump", async () => {
        const published = await lastSuccess();
        assert.ok(published !== undefined);
        const cases: [Record<string, string>, string, RegExp][] = [
            [{ PGPASSWORD: "wrong" }, "dump", /FAILED: cannot connect to 127\.0\.0\.1:\d+\/app as keel_admin/],
            [{ PGDATABASE: "missing" }, "dump", /FAILED: cannot connect/],
            [{ DUMP_BUCKET: "no-such-bucket" }, "upload", /FAILED: upload to s3:\/\/no-such-bucket\/daily\/app-.*failed/],
        ];
        for (const [overrides, step, message] of cases) {
            const result = runPod(mkdtempSync(join(dir, "run-")), overrides);
            assert.equal(result.failed, step, result.log);
            assert.match(result.log, message);
        }
        // Each step refuses to run on what an earlier, failed step left behind.
        const empty = mkdtempSync(join(dir, "run-"));
        for (const [step, message] of [["upload", /no checked dump/], ["publish", /nothing to publish/]] as const) {
            const run = spawnSync("/bin/sh", [scriptPath, step], { encoding: "utf8", env: { ...process.env, DUMP_WORKDIR: empty, PUSHGATEWAY: pushgateway.address, BACKUP_NAME: "database-dumps" } });
            assert.equal(run.status, 1);
            assert.match(run.stderr, message);
        }
        assert.equal(await lastSuccess(), published);
    });

    test("Prometheus, with the plan's scrape job and BackupMissing's expressions: missing before the first run, present after it and after a Pushgateway restart", async () => {
        const job = plannedScrapeJobs(plan).find((j) => j.job_name === "pushgateway");
        assert.ok(job, "the plan's Prometheus has no pushgateway scrape job");
        const rules = plannedRuleGroups(plan).flatMap((g) => g.rules).filter((r) => r.alert === "BackupMissing").map((r) => r.expr);
        assert.equal(rules.length, 2);
        let fresh = await startPushgateway();
        const prometheus = await startPrometheus({ config: { global: { scrape_interval: "1s", evaluation_interval: "1s" }, scrape_configs: [{ ...job, static_configs: [{ targets: [fresh.address] }] }] } });
        const lastPush = async () => (await prometheus.query('keel_backup_last_success_timestamp_seconds{backup="database-dumps"}'))[0];
        try {
            // Which BackupMissing expressions hold, and for which backup.
            const firing = async () => (await Promise.all(rules.map(async (expr) => (await prometheus.query(expr)).map((r) => `${expr.startsWith("absent") ? "absent" : "stale"} ${r.metric.backup}`)))).flat();
            await eventually(async () => {
                assert.equal((await prometheus.query('up{job="pushgateway"}'))[0]?.value[1], "1");
                assert.deepEqual(await firing(), ["absent database-dumps"]);
            });
            const result = runPod(mkdtempSync(join(dir, "run-")), { PUSHGATEWAY: fresh.address });
            assert.equal(result.failed, undefined, result.log);
            await eventually(async () => {
                // honor_labels keeps the pushed job label rather than the scrape job's.
                assert.equal((await lastPush())?.metric.job, "keel-backup");
                assert.deepEqual(await firing(), []);
            });
            // The chart's Pushgateway keeps a persistence file (KubernetesMonitoring): a restart keeps the last success.
            const pushed = (await lastPush())?.value[1];
            await fresh.stop();
            fresh = await startPushgateway(fresh.persistenceFile);
            assert.equal(await lastSuccess(fresh), Number(pushed));
        } finally {
            await prometheus.stop();
            await fresh.stop();
        }
    });

    test("the restore runbook's commands restore a dump the job wrote into a fresh server: the same rows in every table", () => {
        const runbook = logicalDumpRestore();
        const [key] = keys("daily/").sort().reverse();
        const fill = (block: string) => fillRunbook(block, { "<dumps bucket>": bucket, "<key>": `daily/${key}`, "<restore host>": "127.0.0.1" });
        const work = mkdtempSync(join(dir, "restore-"));
        const env = { ...restore.env, ...s3.env, PATH: `${s3.awsShimDir}:${postgresBin}:${process.env.PATH ?? ""}` };
        const restored = spawnSync("/bin/sh", ["-e", "-c", fill(runbook.restore)], { encoding: "utf8", cwd: work, env });
        assert.equal(restored.status, 0, restored.stderr);
        const count = (server: PostgresServer, database: string) => {
            const run = spawnSync("/bin/sh", ["-e", "-c", fill(runbook.compare).replace("dbname=app_restored", `dbname=${database}`)], { encoding: "utf8", env: { ...server.env, PATH: env.PATH } });
            assert.equal(run.status, 0, run.stderr);
            return run.stdout;
        };
        assert.equal(count(restore, "app_restored"), "public.customers 250\npublic.orders 5000\n");
        assert.equal(count(restore, "app_restored"), count(source, "app"));
    });
});
