import assert from "node:assert/strict";
import { createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { jobs, renderMonitoring, type RenderedFile } from "../components/monitoring/render";
import { metricUses, stalePublishedMetricProblems, unexportedMetricProblems, type MetricUse } from "./promql-metrics";
import { publishedMetrics } from "../components/monitoring/render/published-metrics";
import { loadStackConfig } from "../offline-plan/stack-config";
import { eventually, exporterCommands, removeTempDir, run, scrapeJobsOnLoopback, selfSignedCertificate, startCache, startExporter, startLocalDatabasePair, startPairExporter, startPrometheus, tempDir } from "../scripts/servers";
import { redisExporterAddress, redisExporterEnvironment } from "../components/monitoring/redis-exporter";
import { resolveKeelConfig } from "../stacks/config";
import { monitoringSpec } from "../stacks/monitoring";
import { projectRoot } from "./plans";

/**
 * A rule on a metric nobody exports never fires. Every metric name the rendered alert rules,
 * SLO recording rules and Grafana dashboards of every environment read (the Kubernetes backend
 * deploys the same files: stacks/kubernetes.test.ts) must be exported by the real node, blackbox,
 * PostgreSQL and Redis exporters — run with Keel's flags against this machine, a local HTTPS and
 * HTTP endpoint, the local stack's PostgreSQL 15 writer and streaming replica, and a Redis OSS
 * server that requires TLS and an AUTH token, as ElastiCache runs Keel's caches — as scraped by a
 * real Prometheus with production's rendered scrape jobs (targets on loopback), or be listed in
 * components/monitoring/render/published-metrics.ts with its publisher.
 */

const environments = ["local", "dev", "staging", "production"] as const;

function renderedFor(environment: string): RenderedFile[] {
    return renderMonitoring(monitoringSpec(resolveKeelConfig(loadStackConfig(projectRoot, environment, []).config, environment)));
}

/** Each environment's uses, tagged with the environment. */
function usesOf(rendered: Readonly<Record<string, readonly RenderedFile[]>>): MetricUse[] {
    return Object.entries(rendered).flatMap(([environment, files]) => metricUses(files).map((use) => ({ ...use, environment })));
}

const fileContent = (files: readonly RenderedFile[], path: string): string => {
    const file = files.find((f) => f.path === path);
    if (file === undefined) throw new Error(`nothing rendered at ${path}`);
    return file.content;
};

/** An endpoint answering 200 to every path, like the application's health check. */
async function startEndpoint(tls?: { certFile: string; keyFile: string }): Promise<{ url: string; close(): Promise<void> }> {
    const answer = (_request: unknown, response: { writeHead(status: number): void; end(body: string): void }) => {
        response.writeHead(200);
        response.end("ok\n");
    };
    const server: Server = tls ? createHttpsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, answer) : createHttpServer(answer);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (typeof address !== "object" || address === null) throw new Error("the endpoint has no address");
    return { url: `${tls ? "https" : "http"}://127.0.0.1:${address.port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The rendered probe URL, with its scheme and path, served at `base` (a loopback endpoint). */
const onEndpoint = (url: string, base: string) => `${base}${new URL(url).pathname}`;

const versionOf = (command: string) => /version (\S+)/.exec(run(command, ["--version"]))?.[1] ?? "?";

interface RenderedPrometheus {
    readonly global: Record<string, unknown>;
    readonly scrape_configs: Record<string, unknown>[];
}

const prometheusYaml = (files: readonly RenderedFile[]) => parse(fileContent(files, "prometheus.yml")) as RenderedPrometheus;

/** The URLs an environment's probe job probes. */
function probeUrlsOf(files: readonly RenderedFile[]): string[] {
    const job = prometheusYaml(files).scrape_configs.find((c) => c.job_name === jobs.probes);
    return ((job?.static_configs ?? []) as { targets: string[] }[]).flatMap((s) => s.targets);
}

describe("metric names that Keel's rules and dashboards read are exported", () => {
    const rendered = Object.fromEntries(environments.map((environment) => [environment, renderedFor(environment)]));
    const uses = usesOf(rendered);
    const production = rendered.production;
    let exported: ReadonlySet<string>;
    let scraped: string[];
    /** How to stop what has started so far, newest last: `after` stops them even when `before` failed halfway. */
    const stops: (() => Promise<void> | void)[] = [];
    const started = async <T>(starting: Promise<T>, stop: (server: T) => Promise<void> | void): Promise<T> => {
        const server = await starting;
        stops.push(() => stop(server));
        return server;
    };
    const dir = tempDir("metric-names");

    before(async () => {
        const certificate = selfSignedCertificate(dir);
        const blackboxConfig = join(dir, "blackbox.yml");
        writeFileSync(blackboxConfig, fileContent(production, "blackbox.yml"));
        const close = (endpoint: { close(): Promise<void> }) => endpoint.close();
        const stop = (server: { stop(): Promise<void> }) => server.stop();
        const authToken = "k".repeat(32);
        const [https, http, pair, cache] = await Promise.all([started(startEndpoint(certificate), close), started(startEndpoint(), close), started(startLocalDatabasePair(), stop), started(startCache(authToken, certificate), stop)]);
        const [cacheHost, cachePort] = cache.address.split(":");
        // As deployed: node exporter with the package's defaults (the instances' user data), the
        // blackbox exporter with the rendered modules, postgres_exporter as the local stack runs it.
        // redis_exporter with the environment the Kubernetes release gives it (the test CA in place of Amazon's).
        const [node, blackbox, redis, ...postgres] = await Promise.all([
            started(startExporter("node"), stop),
            started(startExporter("blackbox", [`--config.file=${blackboxConfig}`], { SSL_CERT_FILE: certificate.certFile }), stop),
            started(startExporter("redis", [], { ...redisExporterEnvironment, REDIS_ADDR: redisExporterAddress(cacheHost, Number(cachePort)), REDIS_PASSWORD: authToken, REDIS_EXPORTER_TLS_CA_CERT_FILE: certificate.certFile }), stop),
            ...[pair.writer, pair.replica].map((server) => started(startPairExporter(pair, server), stop)),
        ]);
        const probeUrls = Object.values(rendered).flatMap(probeUrlsOf);
        const httpsProbe = probeUrls.find((url) => url.startsWith("https://"));
        const httpProbe = probeUrls.find((url) => url.startsWith("http://"));
        assert.ok(httpsProbe !== undefined && httpProbe !== undefined, `an https and an http probe are rendered: ${probeUrls.join(", ")}`);
        const loopback = {
            [jobs.node]: { targets: [node.address] },
            [jobs.postgres]: { targets: postgres.map((e) => e.address) },
            [jobs.redis]: { targets: [redis.address] },
            [jobs.probes]: { targets: [onEndpoint(httpsProbe, https.url), onEndpoint(httpProbe, http.url)], scrapeAddress: blackbox.address },
        };
        scraped = [
            `${jobs.node} (node exporter ${versionOf(exporterCommands.node)})`,
            `${jobs.postgres} (postgres_exporter ${versionOf(exporterCommands.postgres)} on PostgreSQL 15's writer and streaming replica)`,
            `${jobs.redis} (redis_exporter ${versionOf(exporterCommands.redis)} on Redis OSS ${versionOf("redis-server")} over TLS with AUTH)`,
            `${jobs.probes} (blackbox exporter ${versionOf(exporterCommands.blackbox)} probing https and http)`,
        ];
        const config = prometheusYaml(production);
        const prometheus = await started(startPrometheus({ config: { global: { ...config.global, scrape_interval: "1s" }, scrape_configs: scrapeJobsOnLoopback(config.scrape_configs, loopback) } }), stop);
        // Every target scraped successfully, and each probe succeeded (TLS verified against the test certificate).
        await eventually(async () => {
            const targets = await prometheus.targets();
            assert.deepEqual(targets.filter((t) => t.health !== "up").map((t) => `${t.labels.job} ${t.scrapeUrl}: ${t.health} ${t.lastError}`), []);
            assert.equal(targets.length, Object.values(loopback).flatMap((j) => j.targets).length);
            assert.equal((await prometheus.query(`probe_success{job="${jobs.probes}"} == 1`)).length, 2, "both probes succeed");
            assert.equal((await prometheus.query(`redis_up{job="${jobs.redis}"} == 1`)).length, 1, "the exporter reaches the cache over TLS with the token");
        });
        const response = (await (await fetch(`${prometheus.url}/api/v1/label/__name__/values`)).json()) as { data: string[] };
        exported = new Set(response.data);
    });

    after(async () => {
        for (const stop of stops.reverse()) await stop();
        removeTempDir(dir);
    });

    test("the rules and dashboards of every environment read the exporters' metrics and the listed published ones", () => {
        assert.ok(uses.length > 0);
        assert.deepEqual(unexportedMetricProblems(uses, exported, publishedMetrics, scraped), []);
    });

    test("every published metric is read somewhere, and none is one the exporters export", () => {
        assert.deepEqual(stalePublishedMetricProblems(uses, publishedMetrics), []);
        assert.deepEqual(publishedMetrics.filter((p) => exported.has(p.name)).map((p) => p.name), []);
    });

    test("a rule on a misspelt metric is reported with the rule that reads it and what was scraped", () => {
        const broken = production.map((f) => (f.path === "rules/alerts.yml" ? { ...f, content: f.content.replace(/node_memory_MemAvailable_bytes/g, "node_memory_MemAvailable_byte") } : f));
        const problems = unexportedMetricProblems(usesOf({ production: broken }), exported, publishedMetrics, scraped);
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], /^node_memory_MemAvailable_byte is read by rules\/alerts\.yml group keel-hosts, alert HighMemory \(production\), but none of the scraped jobs exports it \(node \(node exporter [^)]+\), postgres \(postgres_exporter [^)]+\), redis \(redis_exporter [^)]+\), blackbox-http \(blackbox exporter [^)]+\)\)/);
    });
});
