// `npm test [-- PATH ...] [--workers N]`
// Type-checks, lints and runs every test file, in a few processes that each load the Pulumi SDKs
// once and share their plans, instead of a process per file. Exits 1 when anything failed.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { createInterface } from "node:readline";
import { RefusedInput } from "../../policies/offline";
import { runAsScript, runCommand, type Output } from "../cli/command-line";
import type { WorkerReport, WorkerRequest } from "./test-worker";

const projectRoot = resolve(__dirname, "../..");

export const usage = "usage: npm test [-- PATH ...] [--workers N]";

export const help = `${usage}

Type-checks and lints the project (scripts/ci/static-checks.ts: tsc's program, then eslint with
its typed rules reading that program) while it runs every *.test.ts under it. The test files are
handed out one at a time to a few worker processes (scripts/ci/test-worker.ts),
longest first by the last run's durations; each worker loads the Pulumi SDKs once, and plans of
the environments are made once per run and shared (tests/plans.ts). Prints a line per test file,
the failing tests in full, and a summary.

  PATH ...        run only the test files at or under these paths (no type-check or lint), e.g.
                  npm test -- components/network tests/cli.test.ts
  --workers N     worker processes (default: the machine's cores + 1; tests that wait on real
                  servers leave a core idle)
  -h, --help      print this help

One file also runs alone: node --import tsx --test PATH.
Exit code: 0 all passed, 1 something failed, 2 refused (an unknown path or option).`;

const hint = `${usage}\n(npm test -- --help explains each option)`;

const options = {
    workers: { type: "string" },
    help: { type: "boolean", short: "h" },
} as const;

/** How long a worker may take: for one file (a test that waits forever), and to exit after its last. */
export interface Limits {
    readonly fileMs: number;
    /** A worker still running after its last file has left something open: a server, a timer, a socket. */
    readonly exitMs: number;
}

const defaultLimits: Limits = { fileMs: 300_000, exitMs: 30_000 };
const cacheDirectory = join(projectRoot, "node_modules", ".cache", "keel-tests");
const durationsFile = join(cacheDirectory, "durations.json");

/** Folders that hold no test of Keel's own: dependencies, the build, Git. */
const notSources = new Set(["node_modules", "dist", ".git"]);

function testFilesUnder(path: string): string[] {
    if (!statSync(path).isDirectory()) return path.endsWith(".test.ts") ? [path] : [];
    return readdirSync(path, { withFileTypes: true })
        .filter((entry) => !notSources.has(entry.name))
        .flatMap((entry) => (entry.isDirectory() ? testFilesUnder(join(path, entry.name)) : entry.name.endsWith(".test.ts") ? [join(path, entry.name)] : []));
}

/** The test files at or under `paths` (the whole project when none), refusing a path that is not there or has none. */
export function selectTestFiles(paths: readonly string[]): string[] {
    if (paths.length === 0) return testFilesUnder(projectRoot).sort();
    return [
        ...new Set(
            paths.flatMap((path) => {
                const full = resolve(path);
                if (!existsSync(full)) throw new RefusedInput(`${path}: no such file or directory\n${hint}`);
                const files = testFilesUnder(full);
                if (files.length === 0) throw new RefusedInput(`${path}: no *.test.ts file there\n${hint}`);
                return files;
            }),
        ),
    ].sort();
}

function workerCount(given: string | undefined): number {
    if (given === undefined) return availableParallelism() + 1;
    if (!/^[1-9]\d?$/.test(given)) throw new RefusedInput(`--workers expects a number of processes from 1 to 99, got "${given}"\n${hint}`);
    return Number(given);
}

function lastDurations(): Record<string, number> {
    try {
        return JSON.parse(readFileSync(durationsFile, "utf8")) as Record<string, number>;
    } catch {
        return {};
    }
}

/** A file that starts processes or servers: without a last duration, it is expected to be long. */
const startsProcesses = (file: string) => /from "(node:child_process|[./]+scripts\/servers)"/.test(readFileSync(file, "utf8"));

/**
 * Longest first by the last run's durations, so the last files to start are the short ones.
 * Unknown files go first when they start processes or servers (they wait on them), else after
 * every known file; among unknown files, the larger first.
 */
export function longestFirst(files: readonly string[], durations: Readonly<Record<string, number>>): string[] {
    const keyed = files.map((file) => ({ file, expected: durations[relative(projectRoot, file)] ?? (startsProcesses(file) ? Number.POSITIVE_INFINITY : -1), size: statSync(file).size }));
    // Two unknown files starting processes compare as Infinity - Infinity, not a number: their sizes decide.
    return keyed.sort((a, b) => b.expected - a.expected || b.size - a.size || a.file.localeCompare(b.file)).map(({ file }) => file);
}

interface Totals {
    tests: number;
    pass: number;
    fail: number;
    cancelled: number;
    skipped: number;
    todo: number;
}

interface WorkerRun {
    readonly failures: string[];
    readonly totals: Totals;
    readonly durations: Record<string, number>;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Runs the test files in `count` workers; each worker's TAP stream gives the per-file lines and totals, its spec log the failures. */
function runWorkers(files: readonly string[], count: number, limits: Limits, io: Output): Promise<WorkerRun> {
    const queue = [...files];
    const logs = mkdtempSync(join(tmpdir(), "keel-test-"));
    const run: WorkerRun = { failures: [], totals: { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 }, durations: {} };
    let started = 0;
    const fail = (line: string, detail: string) => {
        io.out(`  ✖ ${line}`);
        run.failures.push(`${line}${detail === "" ? "" : `\n${detail}`}`);
        run.totals.fail++;
    };

    const startWorker = (): Promise<void> =>
        new Promise((finished) => {
            const name = `worker ${++started}`;
            const log = join(logs, `worker-${started}.log`);
            const worker = spawn(process.execPath, ["--import", "tsx", "--test-reporter=tap", "--test-reporter-destination=stdout", "--test-reporter=spec", `--test-reporter-destination=${log}`, join(__dirname, "test-worker.ts")], {
                cwd: projectRoot,
                // Under `node --test`, NODE_TEST_CONTEXT would make the worker report in the runner's protocol instead of TAP.
                env: { ...process.env, NODE_TEST_CONTEXT: undefined },
                stdio: ["ignore", "pipe", "pipe", "ipc"],
            });
            /** What the worker is doing, and what stops it when that takes too long. */
            let state: { file?: string; overdue?: string; timer?: NodeJS.Timeout } = {};
            const enter = (file: string | undefined, ms: number, overdue: string) => {
                clearTimeout(state.timer);
                state = {
                    file,
                    timer: setTimeout(() => {
                        state.overdue = overdue;
                        worker.kill("SIGKILL");
                    }, ms),
                };
            };
            const ran: string[] = [];
            let stderr = "";
            worker.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
            const tap = readTap(worker, run, io);
            // The worker asks for a file whenever it is ready for one.
            worker.on("message", (_ready: WorkerReport) => {
                const file = queue.shift();
                if (file === undefined) enter(undefined, limits.exitMs, `did not exit within ${seconds(limits.exitMs)} of its last file: a test of ${ran.join(", ")} left a server, timer or socket open`);
                else enter(file, limits.fileMs, `did not finish within ${seconds(limits.fileMs)}`);
                if (file !== undefined) ran.push(relative(projectRoot, file));
                worker.send((file === undefined ? { done: true } : { file }) satisfies WorkerRequest);
            });
            // "close", not "exit": the TAP on its stdout is read to its end first.
            worker.on("close", (code, signal) => {
                clearTimeout(state.timer);
                if (state.overdue !== undefined) fail(state.file === undefined ? `${name} ${state.overdue}` : `${relative(projectRoot, state.file)} ${state.overdue}`, "");
                else if (state.file !== undefined) fail(`${relative(projectRoot, state.file)}: ended its worker (exit ${code ?? signal})`, stderr.trim());
                else if (code !== 0 && code !== 1) fail(`${name} ended (exit ${code ?? signal}) before it ran a file`, stderr.trim());
                // Without its totals, a stopped worker's failed files still count.
                if (!tap.summarized) run.totals.fail += tap.failedFiles.length;
                const failing = failuresOf(log, tap);
                if (failing !== undefined) run.failures.push(failing);
                // What is left goes to a new worker when this one stopped early.
                finished(state.file !== undefined && queue.length > 0 ? startWorker() : undefined);
            });
        });

    return Promise.all(Array.from({ length: Math.min(count, files.length) }, startWorker)).then(() => {
        rmSync(logs, { recursive: true, force: true });
        if (queue.length > 0) fail(`${queue.length} test file${queue.length === 1 ? "" : "s"} did not run: every worker stopped`, queue.map((f) => relative(projectRoot, f)).join("\n"));
        return run;
    });
}

/** What a worker's TAP said: the files that failed (with their TAP), and whether it got to its totals. */
interface WorkerTap {
    summarized: boolean;
    readonly failedFiles: string[];
    readonly failedTap: string[];
}

/** Reads a worker's TAP: a line per finished test file (a top-level suite), then the totals. */
function readTap(worker: ChildProcess, run: WorkerRun, io: Output): WorkerTap {
    const tap: WorkerTap = { summarized: false, failedFiles: [], failedTap: [] };
    let pending: { name: string; ok: boolean } | undefined;
    let block: string[] = [];
    createInterface({ input: worker.stdout! }).on("line", (line) => {
        if (line.startsWith("# Subtest: ")) block = [];
        block.push(line);
        const result = /^(not )?ok \d+ - (.+)$/.exec(line);
        if (result !== null) pending = { name: result[2], ok: result[1] === undefined };
        if (result !== null && result[1] !== undefined) tap.failedTap.push(block.join("\n"));
        const duration = /^ {2}duration_ms: ([\d.]+)$/.exec(line);
        if (duration !== null && pending !== undefined) {
            if (!pending.name.startsWith("..")) run.durations[pending.name] = Math.round(Number(duration[1]));
            if (!pending.ok) tap.failedFiles.push(pending.name);
            io.out(`  ${pending.ok ? "✔" : "✖"} ${seconds(Number(duration[1])).padStart(7)}  ${pending.name}`);
            pending = undefined;
        }
        const total = /^# (tests|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(line);
        if (total !== null) {
            run.totals[total[1] as keyof Totals] += Number(total[2]);
            tap.summarized = true;
        }
    });
    return tap;
}

/**
 * A worker's failures: the closing section of its spec log, or, when the worker stopped before
 * writing it (a test ended the process), each failed file's TAP.
 */
function failuresOf(log: string, tap: WorkerTap): string | undefined {
    const closing = existsSync(log) ? readFileSync(log, "utf8").split("\n✖ failing tests:\n")[1] : undefined;
    if (closing !== undefined) return closing.trim();
    return tap.failedTap.length > 0 ? tap.failedTap.join("\n\n") : undefined;
}

interface StaticChecks {
    readonly passed: boolean;
    readonly output: string;
    readonly ms: number;
}

/** Type-check and lint (scripts/ci/static-checks.ts) in a process of their own, beside the tests. */
function staticChecks(): Promise<StaticChecks> {
    const started = performance.now();
    return new Promise((done) => {
        const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "static-checks.ts")], { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.on("close", (code) => done({ passed: code === 0, output: output.trim(), ms: performance.now() - started }));
    });
}

export function testCommand(argv: readonly string[], io: Output, limits: Limits = defaultLimits): Promise<number> {
    return runCommand(argv, io, { options, hint, help }, async ({ values, positionals }) => {
        const started = performance.now();
        const files = selectTestFiles(positionals);
        const workers = workerCount(values.workers);
        const whole = positionals.length === 0;
        const processes = Math.min(workers, files.length);
        io.out(`${whole ? "Type-checking, linting and running" : "Running"} ${files.length} test file${files.length === 1 ? "" : "s"} in ${processes} process${processes === 1 ? "" : "es"}`);

        const checks = whole ? staticChecks() : undefined;
        const durations = lastDurations();
        const tests = await runWorkers(longestFirst(files, durations), workers, limits, io);
        const checked = await checks;

        mkdirSync(cacheDirectory, { recursive: true });
        writeFileSync(durationsFile, JSON.stringify({ ...durations, ...tests.durations }, null, 1));
        if (checked !== undefined) io.out(`${checked.output} (${seconds(checked.ms)})`);
        if (tests.failures.length > 0) io.out(`\n✖ failing tests:\n\n${tests.failures.join("\n\n")}`);

        const { totals } = tests;
        const failed = totals.fail + totals.cancelled > 0 || checked?.passed === false;
        const summary = [`tests ${totals.tests}, pass ${totals.pass}, fail ${totals.fail}, cancelled ${totals.cancelled}, skipped ${totals.skipped}, todo ${totals.todo}`];
        if (checked !== undefined) summary.push(`type-check and lint ${checked.passed ? "passed" : "FAILED"}`);
        io.out(`\n${[...summary, seconds(performance.now() - started)].join(" · ")}`);
        return failed ? 1 : 0;
    });
}

if (require.main === module) runAsScript("test", testCommand);
