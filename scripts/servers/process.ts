import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import type { Server as HttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Processes of real servers on loopback, for the tests and `npm run demo`: free ports,
 * temporary directories, readiness waits, and a stop that always happens — every server and
 * directory made here is killed and removed when the Node process exits, even when a test
 * fails or throws before its `after` hook.
 */

const children = new Set<ChildProcess>();
const directories = new Set<string>();
let cleanupRegistered = false;

function registerCleanup(): void {
    if (cleanupRegistered) return;
    cleanupRegistered = true;
    process.once("exit", () => {
        for (const child of children) child.kill("SIGKILL");
        for (const dir of directories) rmSync(dir, { recursive: true, force: true });
    });
}

/** A temporary directory removed when the process exits (or by `removeTempDir`). */
export function tempDir(prefix: string): string {
    registerCleanup();
    const dir = mkdtempSync(join(tmpdir(), `keel-${prefix}-`));
    directories.add(dir);
    return dir;
}

export function removeTempDir(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
    directories.delete(dir);
}

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

/**
 * Stops an HTTP server now: Prometheus and Alertmanager keep their connections alive and busy,
 * so waiting for them to go idle would wait forever.
 */
export function closeHttpServer(server: HttpServer): Promise<void> {
    return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
    });
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string; user?: string } = {}): string {
    const [file, argv] = options.user !== undefined && process.getuid?.() === 0 ? ["runuser", ["-u", options.user, "--", command, ...args]] : [command, args];
    const result = spawnSync(file, argv, { encoding: "utf8", env: options.env ?? process.env, input: options.input });
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr}${result.stdout}`);
    return result.stdout;
}

/** Polls `check` every 100 ms until it holds (or throws its last failure after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15000): Promise<T> {
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

/** Waits until the server at `url` answers as `ready` says (connection refusals are retried). */
export async function waitForHttp(what: string, url: string, ready: (response: Response) => boolean = (r) => r.ok, timeoutMs?: number): Promise<void> {
    try {
        await eventually(async () => {
            const response = await fetch(url);
            if (!ready(response)) throw new Error(`answered ${response.status}`);
        }, timeoutMs);
    } catch (error) {
        throw new Error(`${what} did not become ready at ${url}: ${String(error)}`);
    }
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function isRunning(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

export interface ServerProcess {
    readonly pid: number;
    /** What the server has written to stdout and stderr so far. */
    log(): string;
    /** Stops it (SIGTERM, so it can save its state) and waits for it to exit. */
    stop(): Promise<void>;
}

/**
 * Starts a long-running server whose output goes to `logFile`. With `detached`, it outlives
 * this process (for `npm run demo`), and is neither waited for nor killed at exit.
 */
export function spawnServer(command: string, args: readonly string[], options: { logFile: string; env?: NodeJS.ProcessEnv; detached?: boolean }): ServerProcess {
    registerCleanup();
    const out = openSync(options.logFile, "a");
    const child = spawn(command, args, { stdio: ["ignore", out, out], env: options.env ?? process.env, detached: options.detached ?? false });
    closeSync(out);
    if (child.pid === undefined) throw new Error(`${command} did not start`);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.once("error", () => undefined);
    if (options.detached) child.unref();
    else {
        children.add(child);
        void exited.then(() => children.delete(child));
    }
    return {
        pid: child.pid,
        log: () => readFileSync(options.logFile, "utf8"),
        stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
            await exited;
        },
    };
}
