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
    const dir = tempDir("prometheus");
    const port = await freePort();
    const configFile = join(dir, "prometheus.yml");
    writeFileSync(configFile, stringify(options.config));
    for (const [path, content] of Object.entries(options.files ?? {})) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
    }
    const url = `http://127.0.0.1:${port}`;
    const server = spawnServer("prometheus", [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--rules.alert.resend-delay=${options.alertResendDelay ?? "1m"}`,
    ], { logFile: join(dir, "prometheus.log") });
    await waitForHttp("Prometheus", `${url}/-/ready`);
    return {
        url,
        query: async (expr) => (await api<{ result: QueryResult[] }>(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
        alerts: async () => (await api<{ alerts: ActiveAlert[] }>(`${url}/api/v1/alerts`)).alerts,
        targets: async () => (await api<{ activeTargets: ScrapeTarget[] }>(`${url}/api/v1/targets?state=active`)).activeTargets,
        process: server,
        stop: async () => {
            await server.stop();
            removeTempDir(dir);
        },
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
    const dir = tempDir("alertmanager");
    const port = await freePort();
    const configFile = join(dir, "alertmanager.yml");
    writeFileSync(configFile, stringify(config));
    const address = `127.0.0.1:${port}`;
    const server = spawnServer("prometheus-alertmanager", [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, "data")}`,
        `--web.listen-address=${address}`,
        "--cluster.listen-address=",
    ], { logFile: join(dir, "alertmanager.log"), env: { ...process.env, ...env } });
    await waitForHttp("Alertmanager", `http://${address}/-/ready`);
    return {
        address,
        url: `http://${address}`,
        process: server,
        stop: async () => {
            await server.stop();
            removeTempDir(dir);
        },
    };
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
} as const;

/**
 * An exporter on loopback: `args` are its flags besides the listen address; `env` its
 * environment (postgres_exporter reads DATA_SOURCE_NAME). Ready once /metrics answers.
 */
export async function startExporter(kind: keyof typeof exporterCommands, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Exporter> {
    const dir = tempDir(`${kind}-exporter`);
    const address = `127.0.0.1:${await freePort()}`;
    const server = spawnServer(exporterCommands[kind], [`--web.listen-address=${address}`, ...args], { logFile: join(dir, "exporter.log"), env: { ...process.env, ...env } });
    const metrics = async () => (await fetch(`http://${address}/metrics`)).text();
    await waitForHttp(`the ${kind} exporter`, `http://${address}/metrics`);
    return {
        address,
        metrics,
        process: server,
        stop: async () => {
            await server.stop();
            removeTempDir(dir);
        },
    };
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
