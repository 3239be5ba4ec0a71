import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { closeHttpServer, freePort, removeTempDir, spawnServer, tempDir, waitForHttp, type ServerProcess } from "./process";

/**
 * The Prometheus project's servers on loopback, from Debian's packages: Prometheus (bookworm),
 * Alertmanager and the node, blackbox and PostgreSQL exporters (trixie's binaries;
 * scripts/ci/install-tools.sh installs them).
 */

export interface QueryResult {
    readonly metric: Record<string, string>;
    readonly value: [number, string];
}

export interface ActiveAlert {
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
    readonly state: "pending" | "firing";
}

export interface ScrapeTarget {
    readonly labels: Record<string, string>;
    readonly scrapeUrl: string;
    readonly health: "up" | "down" | "unknown";
    readonly lastError: string;
}

/** A server of this module on a loopback port, in a temporary directory that stopping it removes. */
interface LoopbackServer {
    /** host:port. */
    readonly address: string;
    readonly process: ServerProcess;
    stop(): Promise<void>;
}

/**
 * Starts `command` in a temporary directory of its own on a free loopback port: `prepare`
 * writes its files there, `args` are its flags; ready once `readyPath` answers.
 */
async function startOnLoopback(what: string, command: string, options: {
    readonly prepare?: (dir: string) => void;
    readonly args: (dir: string, address: string) => string[];
    readonly readyPath: string;
    readonly env?: NodeJS.ProcessEnv;
}): Promise<LoopbackServer> {
    const dir = tempDir(what.replace(/^the /, "").replace(/\s+/g, "-").toLowerCase());
    options.prepare?.(dir);
    const address = `127.0.0.1:${await freePort()}`;
    const server = spawnServer(command, options.args(dir, address), { logFile: join(dir, `${command}.log`), env: { ...process.env, ...options.env } });
    await waitForHttp(what, `http://${address}${options.readyPath}`);
    return {
        address,
        process: server,
        stop: async () => {
            await server.stop();
            removeTempDir(dir);
        },
    };
}

export interface PrometheusServer {
    readonly url: string;
    /** The result vector of an instant query. */
    query(expr: string): Promise<QueryResult[]>;
    /** Alerts pending or firing now. */
    alerts(): Promise<ActiveAlert[]>;
    /** Active scrape targets and their last scrape's health. */
    targets(): Promise<ScrapeTarget[]>;
    readonly process: ServerProcess;
    stop(): Promise<void>;
}

async function api<T>(url: string): Promise<T> {
    const body = (await (await fetch(url)).json()) as { status: string; error?: string; data: T };
    if (body.status !== "success") throw new Error(`${url}: ${body.error ?? body.status}`);
    return body.data;
}

export interface PrometheusOptions {
    /** prometheus.yml as an object. */
    readonly config: Record<string, unknown>;
    /** Further files beside prometheus.yml (rule files), by relative path. */
    readonly files?: Readonly<Record<string, string>>;
    /** How often firing alerts are re-sent to Alertmanager. Prometheus's default is 1m. */
    readonly alertResendDelay?: string;
}

/** Prometheus on loopback with `config` (its rule files resolved beside it). */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
    const server = await startOnLoopback("Prometheus", "prometheus", {
        prepare: (dir) => {
            writeFileSync(join(dir, "prometheus.yml"), stringify(options.config));
            for (const [path, content] of Object.entries(options.files ?? {})) {
                mkdirSync(dirname(join(dir, path)), { recursive: true });
                writeFileSync(join(dir, path), content);
            }
        },
        args: (dir, address) => [
            `--config.file=${join(dir, "prometheus.yml")}`,
            `--storage.tsdb.path=${join(dir, "data")}`,
            `--web.listen-address=${address}`,
            `--rules.alert.resend-delay=${options.alertResendDelay ?? "1m"}`,
        ],
        readyPath: "/-/ready",
    });
    const url = `http://${server.address}`;
    return {
        url,
        query: async (expr) => (await api<{ result: QueryResult[] }>(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
        alerts: async () => (await api<{ alerts: ActiveAlert[] }>(`${url}/api/v1/alerts`)).alerts,
        targets: async () => (await api<{ activeTargets: ScrapeTarget[] }>(`${url}/api/v1/targets?state=active`)).activeTargets,
        process: server.process,
        stop: server.stop,
    };
}

/** A scrape job over static loopback targets, scraped every second. */
export function loopbackJob(jobName: string, targets: readonly string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { job_name: jobName, scrape_interval: "1s", ...extra, static_configs: [{ targets: [...targets] }] };
}

export interface AlertmanagerServer {
    /** host:port, for Prometheus's `alerting.alertmanagers`. */
    readonly address: string;
    readonly url: string;
    readonly process: ServerProcess;
    stop(): Promise<void>;
}

/**
 * Alertmanager on loopback with `config` (alertmanager.yml as an object), without clustering
 * (its default gossips on every interface). `env` reaches the process: SSL_CERT_FILE makes
 * Go's TLS clients (SMTP STARTTLS, webhooks) trust a test certificate.
 */
export async function startAlertmanager(config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<AlertmanagerServer> {
    const server = await startOnLoopback("Alertmanager", "prometheus-alertmanager", {
        prepare: (dir) => writeFileSync(join(dir, "alertmanager.yml"), stringify(config)),
        args: (dir, address) => [
            `--config.file=${join(dir, "alertmanager.yml")}`,
            `--storage.path=${join(dir, "data")}`,
            `--web.listen-address=${address}`,
            "--cluster.listen-address=",
        ],
        readyPath: "/-/ready",
        env,
    });
    return { ...server, url: `http://${server.address}` };
}

export interface Exporter {
    /** host:port of its /metrics. */
    readonly address: string;
    /** The exposition text of /metrics. */
    metrics(): Promise<string>;
    readonly process: ServerProcess;
    stop(): Promise<void>;
}

export const exporterCommands = {
    node: "prometheus-node-exporter",
    blackbox: "prometheus-blackbox-exporter",
    postgres: "prometheus-postgres-exporter",
    redis: "prometheus-redis-exporter",
} as const;

/**
 * An exporter on loopback: `args` are its flags besides the listen address; `env` its
 * environment (postgres_exporter reads DATA_SOURCE_NAME). Ready once /metrics answers.
 */
export async function startExporter(kind: keyof typeof exporterCommands, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Exporter> {
    const server = await startOnLoopback(`the ${kind} exporter`, exporterCommands[kind], {
        args: (_dir, address) => [`--web.listen-address=${address}`, ...args],
        readyPath: "/metrics",
        env,
    });
    return { ...server, metrics: async () => (await fetch(`http://${server.address}/metrics`)).text() };
}

export interface SyntheticTarget {
    /** host:port of its /metrics. */
    readonly address: string;
    stop(): Promise<void>;
}

/** A scrape target whose /metrics answers `exposition()` (text format), called afresh on every scrape. */
export async function startSyntheticTarget(exposition: () => string, port?: number): Promise<SyntheticTarget> {
    const listenOn = port ?? (await freePort());
    const server = createServer((_request, response) => response.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(exposition()));
    await new Promise<void>((resolve) => server.listen(listenOn, "127.0.0.1", resolve));
    return { address: `127.0.0.1:${listenOn}`, stop: () => closeHttpServer(server) };
}
