import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Real servers on loopback for tests, from Debian's packages (scripts/ci/install-tools.sh
 * installs them): PostgreSQL 15, the Prometheus Pushgateway; and s3rver, an S3 server in
 * Node, for the AWS CLI to talk to. Each start returns a `stop` that removes its data.
 */

export const postgresBin = "/usr/lib/postgresql/15/bin";

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
        });
    });
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string; user?: string } = {}): string {
    const [file, argv] = options.user !== undefined && process.getuid?.() === 0 ? ["runuser", ["-u", options.user, "--", command, ...args]] : [command, args];
    const result = spawnSync(file, argv, { encoding: "utf8", env: options.env ?? process.env, input: options.input });
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr}${result.stdout}`);
    return result.stdout;
}

/** Waits until the server at `url` answers as `ready` says (connection refusals are retried). */
async function waitForHttp(what: string, url: string, ready: (response: Response) => boolean): Promise<void> {
    try {
        await eventually(async () => {
            const response = await fetch(url);
            if (!ready(response)) throw new Error(`answered ${response.status}`);
        });
    } catch (error) {
        throw new Error(`${what} did not become ready at ${url}: ${String(error)}`);
    }
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

/**
 * A PostgreSQL 15 server on 127.0.0.1 with password (scram-sha-256) authentication for
 * `user` and TLS (a throwaway self-signed certificate), as RDS gives the master user: clients
 * connect with `sslmode=require`. Run as `postgres` when the tests run as root (initdb refuses root).
 */
export async function startPostgres(options: { user?: string; password?: string } = {}): Promise<PostgresServer> {
    const user = options.user ?? "keel_admin";
    const password = options.password ?? "test-password-0";
    const dir = mkdtempSync(join(tmpdir(), "keel-pg-"));
    const osUser = process.getuid?.() === 0 ? "postgres" : undefined;
    const data = join(dir, "data");
    const passwordFile = join(dir, "password");
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    const [cert, key] = [join(dir, "server.crt"), join(dir, "server.key")];
    run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-days", "1", "-keyout", key, "-out", cert]);
    chmodSync(key, 0o600);
    chmodSync(dir, 0o700);
    if (osUser !== undefined) {
        const { uid, gid } = ids(osUser);
        for (const path of [dir, passwordFile, cert, key]) chownSync(path, uid, gid);
    }
    run(`${postgresBin}/initdb`, ["-D", data, "-U", user, "--pwfile", passwordFile, "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C"], { user: osUser });
    const port = await freePort();
    run(`${postgresBin}/pg_ctl`, ["-D", data, "-l", join(dir, "log"), "-w", "-o", `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c ssl=on -c ssl_cert_file=${cert} -c ssl_key_file=${key}`, "start"], { user: osUser });
    const env = { ...process.env, PGHOST: "127.0.0.1", PGPORT: String(port), PGUSER: user, PGPASSWORD: password, PGSSLMODE: "require" };
    return {
        port,
        user,
        password,
        env,
        psql: (database, sql) => run(`${postgresBin}/psql`, ["--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-At", "-d", database, "-c", sql], { env }),
        stop: () => {
            spawnSync(osUser !== undefined ? "runuser" : `${postgresBin}/pg_ctl`, osUser !== undefined ? ["-u", osUser, "--", `${postgresBin}/pg_ctl`, "-D", data, "-m", "immediate", "stop"] : ["-D", data, "-m", "immediate", "stop"]);
            rmSync(dir, { recursive: true, force: true });
        },
    };
}

function ids(user: string): { uid: number; gid: number } {
    return { uid: Number(run("id", ["-u", user])), gid: Number(run("id", ["-g", user])) };
}

export interface Pushgateway {
    readonly address: string;
    readonly persistenceFile: string;
    /** The exposition text of /metrics. */
    metrics(): Promise<string>;
    /** Stops it; it saves its metrics to the persistence file on the way out. */
    stop(): Promise<void>;
}

/**
 * Debian's prometheus-pushgateway on loopback, persisting to `persistenceFile` (Debian's
 * default is a file shared by every instance: /var/lib/prometheus/pushgateway.data).
 */
export async function startPushgateway(persistenceFile = join(mkdtempSync(join(tmpdir(), "keel-pushgateway-")), "pushgateway.data")): Promise<Pushgateway> {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const child: ChildProcess = spawn("prometheus-pushgateway", [`--web.listen-address=${address}`, `--persistence.file=${persistenceFile}`, "--persistence.interval=1s"], { stdio: "ignore" });
    const metrics = async () => (await fetch(`http://${address}/metrics`)).text();
    await waitForHttp("the Pushgateway", `http://${address}/-/ready`, (r) => r.ok);
    return {
        address,
        persistenceFile,
        metrics,
        stop: () =>
            new Promise<void>((resolve) => {
                child.once("exit", () => resolve());
                child.kill();
            }),
    };
}

export interface S3Server {
    readonly endpoint: string;
    /** A directory holding an `aws` that talks to this server (put it first on PATH). */
    readonly awsShimDir: string;
    /** The environment the AWS CLI needs for it. */
    readonly env: NodeJS.ProcessEnv;
    stop(): void;
}

/**
 * s3rver with the given buckets, in a process of its own (tests block on the AWS CLI with
 * spawnSync), and an `aws` shim that points the AWS CLI at it.
 */
export async function startS3(buckets: readonly string[]): Promise<S3Server> {
    const dir = mkdtempSync(join(tmpdir(), "keel-s3-"));
    const port = await freePort();
    const s3rver = join(__dirname, "../node_modules/s3rver/bin/s3rver.js");
    const child = spawn(process.execPath, [s3rver, "-d", join(dir, "data"), "-a", "127.0.0.1", "-p", String(port), "--silent", ...buckets.flatMap((name) => ["--configure-bucket", name])], { stdio: "ignore" });
    const endpoint = `http://127.0.0.1:${port}`;
    await waitForHttp("the S3 server", endpoint, (r) => r.status < 500);
    const awsShimDir = join(dir, "bin");
    const aws = ["/usr/bin/aws", "/usr/local/bin/aws"].find((path) => existsSync(path)) ?? "aws";
    spawnSync("mkdir", ["-p", awsShimDir]);
    writeFileSync(join(awsShimDir, "aws"), `#!/bin/sh\nexec ${aws} --endpoint-url ${endpoint} "$@"\n`, { mode: 0o755 });
    return {
        endpoint,
        awsShimDir,
        env: { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true" },
        stop: () => {
            child.kill();
            rmSync(dir, { recursive: true, force: true });
        },
    };
}

export interface PrometheusServer {
    /** The result vector of an instant query. */
    query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
    stop(): void;
}

/** Debian's Prometheus on loopback with `scrapeConfigs`, scraping every second. */
export async function startPrometheus(scrapeConfigs: readonly Record<string, unknown>[]): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(tmpdir(), "keel-prometheus-"));
    const port = await freePort();
    const config = join(dir, "prometheus.yml");
    writeFileSync(config, JSON.stringify({ global: { scrape_interval: "1s", evaluation_interval: "1s" }, scrape_configs: scrapeConfigs }));
    const child = spawn("prometheus", [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: "ignore" });
    const api = `http://127.0.0.1:${port}/api/v1`;
    await waitForHttp("Prometheus", `http://127.0.0.1:${port}/-/ready`, (r) => r.ok);
    return {
        query: async (expr) => {
            const body = (await (await fetch(`${api}/query?query=${encodeURIComponent(expr)}`)).json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
            if (body.status !== "success") throw new Error(`${expr}: ${body.error ?? body.status}`);
            return body.data.result;
        },
        stop: () => {
            child.kill();
            rmSync(dir, { recursive: true, force: true });
        },
    };
}

/** Polls `check` every 100 ms until it holds (or throws its last failure after `timeoutMs`). */
export async function eventually(check: () => Promise<void>, timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            return await check();
        } catch (error) {
            if (Date.now() > deadline) throw error;
            await new Promise((r) => setTimeout(r, 100));
        }
    }
}
