import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, removeTempDir, run, tempDir } from "./process";
import { selfSignedCertificate } from "./tls";

/** Debian's PostgreSQL 15 (package postgresql-15). */
export const postgresBin = "/usr/lib/postgresql/15/bin";

/** The OS user PostgreSQL runs as: `postgres` when the tests run as root (initdb refuses root), else the current user. */
export const postgresOsUser: string | undefined = process.getuid?.() === 0 ? "postgres" : undefined;

/** Hands files and directories to the OS user PostgreSQL runs as. */
export function ownByPostgres(...paths: string[]): void {
    if (postgresOsUser === undefined) return;
    const uid = Number(run("id", ["-u", postgresOsUser]));
    const gid = Number(run("id", ["-g", postgresOsUser]));
    for (const path of paths) chownSync(path, uid, gid);
}

/** Runs a PostgreSQL program as the OS user PostgreSQL runs as. */
export function runAsPostgres(program: string, args: readonly string[], env?: NodeJS.ProcessEnv): string {
    return run(program.includes("/") ? program : `${postgresBin}/${program}`, args, { user: postgresOsUser, env });
}

/** `pg_ctl start` of a data directory on 127.0.0.1:`port`, its socket in `socketDir`, with extra `-c` settings. */
export function pgCtlStart(data: string, port: number, socketDir: string, settings: readonly string[] = []): void {
    const options = [`listen_addresses=127.0.0.1`, `port=${port}`, `unix_socket_directories=${socketDir}`, ...settings].map((s) => `-c ${s}`).join(" ");
    runAsPostgres("pg_ctl", ["-D", data, "-l", join(socketDir, `postgres-${port}.log`), "-w", "-o", options, "start"]);
}

/** Stops a data directory's server at once (tests keep nothing). */
export function pgCtlStop(data: string): void {
    const args = ["-D", data, "-m", "immediate", "stop"];
    if (postgresOsUser !== undefined) spawnSync("runuser", ["-u", postgresOsUser, "--", `${postgresBin}/pg_ctl`, ...args]);
    else spawnSync(`${postgresBin}/pg_ctl`, args);
}

export interface PostgresServer {
    readonly port: number;
    readonly user: string;
    readonly password: string;
    /** libpq environment for a client connecting over TCP with a password. */
    readonly env: NodeJS.ProcessEnv;
    psql(database: string, sql: string): string;
    stop(): void;
}

/** libpq's environment for `user` on 127.0.0.1:`port`. */
export function libpqEnv(port: number, user: string, password: string, sslmode: "require" | "disable"): NodeJS.ProcessEnv {
    return { ...process.env, PGHOST: "127.0.0.1", PGPORT: String(port), PGUSER: user, PGPASSWORD: password, PGSSLMODE: sslmode };
}

/** psql with ON_ERROR_STOP, unaligned and tuples only: the text of the result. */
export function psql(env: NodeJS.ProcessEnv, database: string, sql: string): string {
    return run(`${postgresBin}/psql`, ["--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-At", "-d", database, "-c", sql], { env });
}

/**
 * A PostgreSQL 15 server on 127.0.0.1 with password (scram-sha-256) authentication for
 * `user` and TLS (a throwaway self-signed certificate), as RDS gives the master user: clients
 * connect with `sslmode=require`.
 */
export async function startPostgres(options: { user?: string; password?: string } = {}): Promise<PostgresServer> {
    const user = options.user ?? "keel_admin";
    const password = options.password ?? "test-password-0";
    const dir = tempDir("pg");
    const data = join(dir, "data");
    const passwordFile = join(dir, "password");
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    const { certFile, keyFile } = selfSignedCertificate(dir);
    chmodSync(dir, 0o700);
    ownByPostgres(dir, passwordFile, certFile, keyFile);
    runAsPostgres("initdb", ["-D", data, "-U", user, "--pwfile", passwordFile, "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C"]);
    const port = await freePort();
    pgCtlStart(data, port, dir, ["ssl=on", `ssl_cert_file=${certFile}`, `ssl_key_file=${keyFile}`]);
    const env = libpqEnv(port, user, password, "require");
    return {
        port,
        user,
        password,
        env,
        psql: (database, sql) => psql(env, database, sql),
        stop: () => {
            pgCtlStop(data);
            removeTempDir(dir);
        },
    };
}
