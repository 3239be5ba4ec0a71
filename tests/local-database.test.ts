import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { replicationSetupScript } from "../components/database/local-pair";
import {
    eventually,
    postgresBin,
    startLocalDatabasePair,
    startPairExporter,
    startPostgres,
    tempDir,
    type Exporter,
    type LocalDatabasePair,
    type PostgresServer,
} from "../scripts/servers";
import { fillRunbook, logicalDumpRestore, withoutS3 } from "./restore-runbook";

/**
 * The local stack's database pair (components/database/local-pair.ts, the text its containers
 * run) on real PostgreSQL 15 servers on loopback: replication, the exporter's view of it,
 * promotion, and the backup path of the dump job and the restore runbook.
 */

const path = `${postgresBin}:${process.env.PATH ?? ""}`;

/** The value of an unlabelled sample in an exposition text; undefined when absent. */
function sample(metrics: string, name: string): number | undefined {
    const line = metrics.split("\n").find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

function sh(script: string, options: { env: NodeJS.ProcessEnv; cwd?: string }): string {
    const result = spawnSync("/bin/sh", ["-e", "-c", script], { encoding: "utf8", ...options, env: { ...options.env, PATH: path } });
    assert.equal(result.status, 0, `${script}\n${result.stderr}`);
    return result.stdout;
}

describe("the local database pair, on real servers", () => {
    let pair: LocalDatabasePair;
    let replicaExporter: Exporter;
    let writerExporter: Exporter;
    let restore: PostgresServer;

    before(async () => {
        pair = await startLocalDatabasePair();
        [replicaExporter, writerExporter] = await Promise.all([startPairExporter(pair, pair.replica), startPairExporter(pair, pair.writer)]);
    });
    after(async () => {
        await replicaExporter?.stop();
        await writerExporter?.stop();
        restore?.stop();
        await pair?.stop();
    });

    test("what the writer commits, the replica serves; the replica refuses writes", async (t) => {
        pair.writer.psql(pair.database, `CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);
            CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers, total numeric(10,2));
            INSERT INTO customers (name) SELECT 'customer ' || i FROM generate_series(1, 250) i;
            INSERT INTO orders (customer_id, total) SELECT 1 + i % 250, i * 1.5 FROM generate_series(1, 5000) i;`);
        const committed = Date.now();
        await eventually(async () => assert.equal(pair.replica.psql(pair.database, "SELECT count(*) FROM orders"), "5000\n"), 5000);
        t.diagnostic(`visible on the replica after ${Date.now() - committed} ms`);
        assert.equal(pair.replica.psql(pair.database, "SELECT pg_is_in_recovery()"), "t\n");
        assert.throws(() => pair.replica.psql(pair.database, "INSERT INTO customers (name) VALUES ('x')"), /read-only transaction/);
    });

    test("the exporter, as the local stack runs it, reports the replica and a lag of seconds at most; the writer is no replica", async (t) => {
        pair.writer.psql(pair.database, "INSERT INTO customers (name) VALUES ('lag probe')");
        const replica = await replicaExporter.metrics();
        assert.equal(sample(replica, "pg_up"), 1, replica);
        assert.equal(sample(replica, "pg_replication_is_replica"), 1);
        const lag = sample(replica, "pg_replication_lag_seconds");
        t.diagnostic(`pg_replication_lag_seconds ${lag} right after a commit (Debian's exporter 0.17.1; the stack runs 0.20.1)`);
        assert.ok(lag !== undefined && lag >= 0 && lag < 5, `pg_replication_lag_seconds ${lag}`);
        assert.equal(sample(await writerExporter.metrics(), "pg_replication_is_replica"), 0);
    });

    test("the backup path: the dump job's dump step, then the restore runbook's commands into a fresh server, the same rows in every table", async () => {
        const dir = tempDir("local-dump");
        const work = join(dir, "work");
        mkdirSync(work);
        // The dump job's environment for this database; the local containers run no TLS.
        sh(`sh ${join(__dirname, "../components/backup/dump-job.sh")} dump`, {
            env: { ...pair.writer.env, PGDATABASE: pair.database, PGSSLMODE: "disable", DUMP_WORKDIR: work },
        });
        restore = await startPostgres();
        copyFileSync(join(work, "database.dump"), join(dir, "restore.dump"));
        const runbook = logicalDumpRestore();
        const fill = (block: string) => fillRunbook(block, { "<restore host>": "127.0.0.1" });
        const restoreCommands = withoutS3(fill(runbook.restore));
        assert.match(restoreCommands, /pg_restore --list restore\.dump[\s\S]*CREATE DATABASE app_restored[\s\S]*pg_restore --dbname/);
        sh(restoreCommands, { env: restore.env, cwd: dir });
        const restored = sh(fill(runbook.compare), { env: restore.env });
        assert.equal(restored, "public.customers 251\npublic.orders 5000\n");
        const source = fill(runbook.compare).replace("dbname=app_restored", `dbname=${pair.database}`).replace("sslmode=require", "sslmode=disable");
        assert.equal(sh(source, { env: pair.replica.env }), restored);
    });

    test("promoted, the replica takes writes, runs the writer's settings, and the exporter sees a writer", async () => {
        pair.promote();
        assert.equal(pair.replica.psql(pair.database, "SHOW shared_preload_libraries"), "pg_stat_statements\n");
        assert.equal(pair.replica.psql(pair.database, "SHOW wal_keep_size"), "512MB\n");
        assert.equal(pair.replica.psql(pair.database, "SELECT pg_is_in_recovery()"), "f\n");
        pair.replica.psql(pair.database, "INSERT INTO customers (name) VALUES ('after failover')");
        assert.equal(pair.replica.psql(pair.database, "SELECT count(*) FROM customers"), "252\n");
        assert.equal(sample(await replicaExporter.metrics(), "pg_replication_is_replica"), 0);
    });
});

describe("a replica whose writer was set up without the replication user does not come up", () => {
    /** Keel's setup script without the lines matching `pattern`. */
    const setupWithout = (pattern: RegExp) => (credentialsDir: string) => {
        const script = replicationSetupScript(credentialsDir);
        const broken = script.split("\n").filter((line) => !pattern.test(line)).join("\n");
        assert.notEqual(broken, script, `no line of the setup script matches ${pattern}`);
        return broken;
    };

    test("without the pg_hba line: no entry for a replication connection", async () => {
        await assert.rejects(startLocalDatabasePair({ initScript: setupWithout(/pg_hba\.conf/) }),
            /the replica did not start:[\s\S]*no pg_hba\.conf entry for replication connection from host "127\.0\.0\.1", user "replicator"/);
    });

    test("without the role: its password fails", async () => {
        await assert.rejects(startLocalDatabasePair({ initScript: setupWithout(/CREATE ROLE/) }),
            /the replica did not start:[\s\S]*password authentication failed for user "replicator"/);
    });
});
