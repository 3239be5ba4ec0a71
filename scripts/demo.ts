// `npm run demo -- [--stack STACK] [--time-scale N]` and `npm run demo:stop`: the stack the
// real-server tests run, by hand, on this machine's loopback (docs/real-servers.md).
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { renderMonitoring, type RenderedFile } from "../components/monitoring/render";
import { knownStack, RefusedInput } from "../policies/offline";
import { resolveKeelConfig } from "../stacks/config";
import { parseCommandLine, refusing, runAsScript, type Output } from "./cli/command-line";
import { loadStackConfig } from "../offline-plan/stack-config";
import {
    chartWatchdogGroup,
    closeHttpServer,
    compressDuration,
    freePort,
    isRunning,
    rulesOnLoopback,
    scrapeJobsOnLoopback,
    startExporter,
    startLocalDatabasePair,
    startLoopbackAlertmanager,
    startPairExporter,
    startPrometheus,
    startPushgateway,
    tempDir,
    type Delivery,
    type LoopbackTargets,
} from "./servers";

export const usage = `usage: npm run demo -- [--stack STACK] [--time-scale N]
       npm run demo:stop

Starts, on 127.0.0.1 and in temporary directories, what the real-server tests run: the local
stack's PostgreSQL writer and streaming replica (PostgreSQL 15), their exporters, the node and
blackbox exporters, a Pushgateway, an application stand-in whose error rate you set, and a real
Prometheus and Alertmanager with STACK's rendered rules, scrape jobs and routing — every
receiver (PagerDuty, Slack, email, heartbeat) replaced by a catcher that prints what arrives.
It runs in the foreground until Ctrl-C or \`npm run demo:stop\`, then stops everything and
removes its files. Nothing leaves this machine.
  --stack STACK      whose monitoring configuration to run (default production, the stack that pages)
  --time-scale N     divide Alertmanager's waits and the rules' \`for\` by N (default 1: real time;
                     60 makes a 5-minute \`for\` 5 seconds)
Needs the Debian packages of scripts/ci/install-tools.sh. Exit code 2: refused (usage, unknown
stack, a demo already running).`;

/** Where a running demo says who it is, for `demo:stop` and for a second `demo`. */
export const stateFile = join(tmpdir(), "keel-demo.json");

interface DemoState {
    readonly pid: number;
    readonly stack: string;
    readonly urls: Readonly<Record<string, string>>;
}

function options(argv: readonly string[]) {
    return parseCommandLine(argv, { stack: { type: "string" }, "time-scale": { type: "string" }, help: { type: "boolean", short: "h" } }, "See npm run demo -- --help.");
}

function timeScaleOf(text: string | undefined): number {
    if (text === undefined) return 1;
    const scale = Number(text);
    if (!Number.isFinite(scale) || scale < 1 || scale > 3600) throw new RefusedInput(`--time-scale ${JSON.stringify(text)}: expected a number from 1 (real time) to 3600`);
    return scale;
}

function runningDemo(): DemoState | undefined {
    if (!existsSync(stateFile)) return undefined;
    const state = JSON.parse(readFileSync(stateFile, "utf8")) as DemoState;
    return isRunning(state.pid) ? state : undefined;
}

/** An application stand-in: /metrics with the guides' request counter, /health for the probe, POST /errors?percent=N. */
async function startApplication(): Promise<{ address: string; stop(): Promise<void> }> {
    let errorPercent = 0;
    let ok = 0;
    let failed = 0;
    const port = await freePort();
    const server = createServer((request, response) => {
        const url = new URL(request.url ?? "/", "http://127.0.0.1");
        if (url.pathname === "/errors" && request.method === "POST") {
            errorPercent = Math.min(100, Math.max(0, Number(url.searchParams.get("percent") ?? 0)));
            response.end(`answering ${errorPercent} % of requests with 500\n`);
            return;
        }
        if (url.pathname === "/health") {
            response.end("ok\n");
            return;
        }
        ok += 100 - errorPercent;
        failed += errorPercent;
        response.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(`http_requests_total{status="200"} ${ok}\nhttp_requests_total{status="500"} ${failed}\n`);
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return { address: `127.0.0.1:${port}`, stop: () => closeHttpServer(server) };
}

const yamlOf = (files: readonly RenderedFile[], path: string) => parse(files.find((f) => f.path === path)?.content ?? "{}") as Record<string, unknown>;

function describeDelivery(d: Delivery): string {
    return `${new Date().toISOString().slice(11, 19)}  ${d.channel.padEnd(28)} ${d.status === "firing" ? `FIRING:${d.firing}` : "RESOLVED"} ${d.alertname}`;
}

/** Starts everything, prints where, streams notifications; resolves with the exit code when stopped. */
async function runDemo(stack: string, timeScale: number, io: Output): Promise<number> {
    // The stack's monitoring module loads the Pulumi SDK: a refusal, --help and stop answer without it.
    const { monitoringSpec } = await import("../stacks/monitoring");
    const spec = monitoringSpec(resolveKeelConfig(loadStackConfig(join(__dirname, ".."), stack, []).config, stack));
    const files = renderMonitoring(spec);
    const stoppers: (() => Promise<void>)[] = [];
    const started = <T extends { stop(): Promise<void> }>(server: T): T => {
        stoppers.unshift(() => server.stop());
        return server;
    };
    const stopAll = async () => {
        for (const stop of stoppers) await stop().catch(() => undefined);
        rmSync(stateFile, { force: true });
    };
    try {
        io.out(`Starting the ${stack} monitoring stack on 127.0.0.1 (time scale ${timeScale})…`);
        const database = started(await startLocalDatabasePair());
        const writerExporter = started(await startPairExporter(database, database.writer));
        const replicaExporter = started(await startPairExporter(database, database.replica));
        const node = started(await startExporter("node"));
        const blackboxDir = tempDir("demo-blackbox");
        writeFileSync(join(blackboxDir, "blackbox.yml"), files.find((f) => f.service === "blackbox")?.content ?? "modules: {}\n");
        const blackbox = started(await startExporter("blackbox", [`--config.file=${join(blackboxDir, "blackbox.yml")}`]));
        const pushgateway = started(await startPushgateway());
        const application = started(await startApplication());
        const alertmanager = spec.alerting ? started(await startLoopbackAlertmanager(yamlOf(files, "alertmanager.yml"), timeScale)) : undefined;

        const rendered = yamlOf(files, "prometheus.yml");
        const jobs = rendered.scrape_configs as Record<string, unknown>[];
        const has = (job: string) => jobs.some((j) => j.job_name === job);
        const loopback: Record<string, LoopbackTargets> = {
            [spec.applications[0].name]: { targets: [application.address] },
            node: { targets: [node.address] },
            ...(has("postgres") ? { postgres: { targets: [writerExporter.address, replicaExporter.address] } } : {}),
            ...(has("probes") ? { probes: { targets: [`http://${application.address}/health`], scrapeAddress: blackbox.address } } : {}),
            ...(has("pushgateway") ? { pushgateway: { targets: [pushgateway.address] } } : {}),
        };
        const ruleFiles = files.filter((f) => f.path.startsWith("rules/"));
        const groups = rulesOnLoopback([...ruleFiles.flatMap((f) => (parse(f.content) as { groups: Record<string, unknown>[] }).groups), ...(spec.alerting ? [chartWatchdogGroup] : [])], timeScale);
        const prometheus = started(await startPrometheus({
            config: {
                global: { ...(rendered.global as Record<string, unknown>), scrape_interval: "5s", evaluation_interval: "5s" },
                rule_files: ["rules.yml"],
                ...(alertmanager ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager.address] }] }] } } : {}),
                scrape_configs: scrapeJobsOnLoopback(jobs, loopback),
            },
            files: { "rules.yml": JSON.stringify({ groups }) },
            // Prometheus's default 1 min, compressed like the rest: an alert sent before Alertmanager was found is re-sent soon.
            alertResendDelay: compressDuration("1m", timeScale),
        }));

        const urls = {
            prometheus: prometheus.url,
            ...(alertmanager ? { alertmanager: alertmanager.url } : {}),
            application: `http://${application.address}`,
            pushgateway: `http://${pushgateway.address}`,
            "database writer": `postgresql://${database.user}@127.0.0.1:${database.writer.port}/${database.database}`,
            "database replica": `postgresql://${database.user}@127.0.0.1:${database.replica.port}/${database.database}`,
        };
        writeFileSync(stateFile, JSON.stringify({ pid: process.pid, stack, urls } satisfies DemoState));
        io.out(Object.entries(urls).map(([name, url]) => `  ${name.padEnd(17)} ${url}`).join("\n"));
        io.out(`  database password ${database.password}`);
        io.out(`\nTry: curl -X POST '${urls.application}/errors?percent=10'   (HighErrorRate, ErrorBudgetBurn)`);
        io.out("     npm run demo:stop                                      (or Ctrl-C)\n\nNotifications:");

        let shown = 0;
        const poll = setInterval(() => {
            const deliveries = alertmanager?.deliveries() ?? [];
            for (const delivery of deliveries.slice(shown)) io.out(describeDelivery(delivery));
            shown = deliveries.length;
        }, 1000);
        await new Promise<void>((resolve) => {
            process.once("SIGINT", resolve);
            process.once("SIGTERM", resolve);
        });
        clearInterval(poll);
        io.out("\nStopping…");
        await stopAll();
        return 0;
    } catch (error) {
        await stopAll();
        throw error;
    }
}

/** `demo:stop`: signals the running demo and waits until it has stopped everything. */
async function stopDemo(io: Output): Promise<number> {
    const state = runningDemo();
    if (state === undefined) {
        rmSync(stateFile, { force: true });
        io.out("No demo is running.");
        return 0;
    }
    process.kill(state.pid, "SIGTERM");
    for (let waited = 0; isRunning(state.pid); waited += 100) {
        if (waited > 30000) throw new Error(`the demo (pid ${state.pid}) has not stopped after 30 s`);
        await new Promise((r) => setTimeout(r, 100));
    }
    io.out(`Stopped the ${state.stack} demo (pid ${state.pid}).`);
    return 0;
}

/** The command itself, for the script and for tests: returns the exit code. */
export function demoCommand(argv: readonly string[], io: Output): Promise<number> {
    return refusing(io, async () => {
        const { values, positionals } = options(argv);
        if (values.help) {
            io.out(usage);
            return 0;
        }
        if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== "stop")) throw new RefusedInput(`unexpected argument ${JSON.stringify(positionals.find((p) => p !== "stop") ?? positionals[1])}\n${usage}`);
        if (positionals[0] === "stop") return await stopDemo(io);
        const stack = knownStack(values.stack ?? "production");
        const timeScale = timeScaleOf(values["time-scale"]);
        const running = runningDemo();
        if (running !== undefined) throw new RefusedInput(`a demo of ${running.stack} is already running (pid ${running.pid}); stop it first: npm run demo:stop`);
        return await runDemo(stack, timeScale, io);
    });
}

if (require.main === module) runAsScript("demo", demoCommand);
