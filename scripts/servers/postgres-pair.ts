import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
    localDatabaseDefaults,
    localPasswordFiles,
    replicaStartScript,
    replicationSetupScript,
    serverSettings,
} from "../../components/database/local-pair";
import { libpqEnv, ownByPostgres, pgCtlStart, pgCtlStop, postgresBin, postgresOsUser, psql, runAsPostgres } from "./postgres";
import { postgresExporterEnvironment } from "../../components/monitoring/postgres-exporter";
import { startExporter, type Exporter } from "./prometheus";
import { eventually, freePort, isRunning, removeTempDir, spawnServer, tempDir, type ServerProcess } from "./process";

/**
 * The local stack's database pair (components/database/docker.ts) on Debian's PostgreSQL 15 on
 * loopback instead of two containers of the official image.
 *
 * Keel's, shared with the containers verbatim (components/database/local-pair.ts): the writer's
 * settings, the first-start script that creates the replication role and its pg_hba line, the
 * replica's start script (pg_basebackup -R, then a hot standby), the names and password files.
 *
 * The image's, emulated here (its docker-entrypoint.sh on first start): initdb with
 * POSTGRES_USER and the password file, `host all all all scram-sha-256` appended to pg_hba.conf,
 * a socket-only server with the container's arguments, CREATE DATABASE POSTGRES_DB, each
 * executable init script run with POSTGRES_USER, POSTGRES_DB and PGDATA set and psql over the
 * local socket, then a restart. Differences: locale C (the image's is en_US.utf8); the servers
 * listen on 127.0.0.1 on free ports with their sockets in a temporary directory (the image: `*`,
 * 5432, /var/run/postgresql); and initdb's `host` lines for 127.0.0.1 and ::1 (trust) are
 * dropped, because in a container they match only clients inside it, while every client here
 * comes from 127.0.0.1 and would otherwise skip the passwords under test.
 */

export interface LocalDatabaseServer {
    readonly port: number;
    /** libpq environment for the admin over TCP (no TLS: the containers run none). */
    readonly env: NodeJS.ProcessEnv;
    psql(database: string, sql: string): string;
}

export interface LocalDatabasePair {
    readonly user: string;
    readonly password: string;
    readonly database: string;
    readonly writer: LocalDatabaseServer;
    readonly replica: LocalDatabaseServer;
    /** Promotes the replica to a writer and waits until it accepts writes. */
    promote(): void;
    stop(): Promise<void>;
}

export interface LocalDatabasePairOptions {
    /** The writer's first-start script (default Keel's `replicationSetupScript`); a test passes a broken variant. */
    readonly initScript?: (credentialsDir: string) => string;
    readonly logMinDurationMs?: number;
}

interface WriterFirstStart {
    readonly data: string;
    readonly socketDir: string;
    readonly port: number;
    readonly user: string;
    readonly database: string;
    readonly passwordFile: string;
    readonly password: string;
    readonly initScript: string;
    readonly settings: readonly string[];
}

/** pg_hba.conf as the image leaves it: initdb's lines (less its loopback `host` lines, see above), then the image's line for every host. */
function imageHba(initdbHba: string): string {
    const kept = initdbHba.split("\n").filter((line) => !line.startsWith("host"));
    return `${kept.join("\n")}\nhost all all all scram-sha-256\n`;
}

/** The official image's first start of an empty data directory, with Keel's init script. */
function firstStartLikeTheImage(w: WriterFirstStart): void {
    runAsPostgres("initdb", ["-D", w.data, `--username=${w.user}`, `--pwfile=${w.passwordFile}`, "-E", "UTF8", "--locale", "C"]);
    const hba = join(w.data, "pg_hba.conf");
    writeFileSync(hba, imageHba(readFileSync(hba, "utf8")));
    pgCtlStart(w.data, w.port, w.socketDir, [...w.settings, "listen_addresses=''"]);
    const socket = { ...process.env, PGHOST: w.socketDir, PGPORT: String(w.port), PGUSER: w.user };
    psql(socket, "postgres", `CREATE DATABASE "${w.database}"`);
    const script = join(w.socketDir, "10-replication.sh");
    writeFileSync(script, w.initScript, { mode: 0o755 });
    ownByPostgres(script);
    runAsPostgres(script, [], {
        ...socket,
        PATH: `${postgresBin}:${process.env.PATH ?? ""}`,
        POSTGRES_USER: w.user,
        POSTGRES_DB: w.database,
        POSTGRES_PASSWORD: w.password,
        PGPASSWORD: w.password,
        PGDATA: w.data,
    });
    runAsPostgres("pg_ctl", ["-D", w.data, "-m", "fast", "-w", "stop"]);
}

/** Runs a script with bash as the OS user PostgreSQL runs as; setpriv execs, so the server is the process itself. */
function spawnAsPostgres(script: string, args: readonly string[], logFile: string, env: NodeJS.ProcessEnv): ServerProcess {
    const bash = ["bash", "-c", script, "bash", ...args];
    return postgresOsUser === undefined
        ? spawnServer(bash[0], bash.slice(1), { logFile, env })
        : spawnServer("setpriv", [`--reuid=${postgresOsUser}`, `--regid=${postgresOsUser}`, "--init-groups", "--", ...bash], { logFile, env });
}

/** Waits until the replica answers as a standby, or its start script exits. */
async function standbyOrExited(replica: ServerProcess, env: NodeJS.ProcessEnv, database: string): Promise<"standby" | "exited"> {
    try {
        return await eventually(async () => {
            if (!isRunning(replica.pid)) return "exited";
            if (psql(env, database, "SELECT pg_is_in_recovery()").trim() !== "t") throw new Error("not in recovery");
            return "standby";
        });
    } catch (error) {
        await replica.stop();
        throw new Error(`the replica is not a standby: ${String(error)}\n${replica.log()}`);
    }
}

interface ReplicaStart {
    readonly script: string;
    readonly dir: string;
    readonly env: NodeJS.ProcessEnv;
    readonly clientEnv: (port: number) => NodeJS.ProcessEnv;
    readonly database: string;
}

/**
 * Runs Keel's replica start script on a free port. A port another process takes while the
 * script copies the writer is retried: the copy is there, so the script only starts the server.
 */
async function startReplica(start: ReplicaStart): Promise<{ readonly process: ServerProcess; readonly port: number }> {
    for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        const serverArgs = ["-c", "listen_addresses=127.0.0.1", "-c", `port=${port}`, "-c", `unix_socket_directories=${start.dir}`];
        const replica = spawnAsPostgres(start.script, serverArgs, join(start.dir, `replica-${attempt}.log`), start.env);
        if ((await standbyOrExited(replica, start.clientEnv(port), start.database)) === "standby") return { process: replica, port };
        const log = replica.log();
        if (attempt === 3 || !log.includes("Address already in use")) throw new Error(`the replica did not start:\n${log}`);
    }
}

/**
 * Starts the local stack's writer and streaming replica on 127.0.0.1: the writer initialised
 * as the image does with Keel's settings and init script, the replica by Keel's start script
 * against the writer's address with the replication password file.
 */
export async function startLocalDatabasePair(options: LocalDatabasePairOptions = {}): Promise<LocalDatabasePair> {
    const { username: user, databaseName: database } = localDatabaseDefaults;
    const password = "local-password-0";
    const dir = tempDir("pg-pair");
    const credentials = join(dir, "credentials");
    const writerData = join(dir, "writer");
    const replicaData = join(dir, "replica");
    const passwordFile = join(credentials, localPasswordFiles.password);
    const replicationPasswordFile = join(credentials, localPasswordFiles.replication);
    mkdirSync(credentials, { mode: 0o700 });
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o400 });
    writeFileSync(replicationPasswordFile, "replication-password-0\n", { mode: 0o400 });
    ownByPostgres(dir, credentials, passwordFile, replicationPasswordFile);

    let replica: ServerProcess | undefined;
    const stop = async () => {
        pgCtlStop(replicaData);
        await replica?.stop();
        pgCtlStop(writerData);
        removeTempDir(dir);
    };
    const server = (port: number): LocalDatabaseServer => {
        const env = libpqEnv(port, user, password, "disable");
        return { port, env, psql: (db, sql) => psql(env, db, sql) };
    };
    try {
        const settings = serverSettings(options.logMinDurationMs ?? localDatabaseDefaults.logMinDurationMs);
        const initScript = (options.initScript ?? replicationSetupScript)(credentials);
        const writerPort = await freePort();
        firstStartLikeTheImage({ data: writerData, socketDir: dir, port: writerPort, user, database, passwordFile, password, initScript, settings });
        pgCtlStart(writerData, writerPort, dir, settings);
        const started = await startReplica({
            script: replicaStartScript({ host: "127.0.0.1", port: writerPort }, settings, credentials),
            dir,
            env: { ...process.env, PATH: `${postgresBin}:${process.env.PATH ?? ""}`, PGDATA: replicaData },
            clientEnv: (port) => server(port).env,
            database,
        });
        replica = started.process;
        const promote = () => {
            runAsPostgres("pg_ctl", ["-D", replicaData, "-w", "promote"]);
        };
        return { user, password, database, writer: server(writerPort), replica: server(started.port), promote, stop };
    } catch (error) {
        await stop();
        throw error;
    }
}

/**
 * postgres_exporter as the local stack runs it beside a database container
 * (components/monitoring/docker.ts): no flags, the connection environment without TLS.
 */
export function startPairExporter(pair: LocalDatabasePair, server: LocalDatabaseServer): Promise<Exporter> {
    return startExporter("postgres", [], postgresExporterEnvironment({ host: "127.0.0.1", port: server.port, database: pair.database, sslmode: "disable" }, { username: pair.user, password: pair.password }));
}
