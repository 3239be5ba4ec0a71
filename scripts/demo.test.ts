import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { chmodSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { demoCommand, usage } from "./demo";
import { eventually } from "./servers";

const execFileAsync = promisify(execFile);

/** What a tired engineer types: each mistake is one message and exit 2, before anything starts. */
async function runDemoCommand(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await demoCommand(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
    return { code, out, err };
}

describe("npm run demo: refusals and help", () => {
    test("--help explains every option and exits 0", async () => {
        const { code, out } = await runDemoCommand(["--help"]);
        assert.equal(code, 0);
        assert.equal(out.trim(), usage);
        for (const option of ["--stack", "--time-scale", "demo:stop"]) assert.ok(usage.includes(option), option);
    });

    const refusals: [string, string[], RegExp][] = [
        ["an unknown stack", ["--stack", "prod"], /no stack "prod".*known stacks: dev, local, production, staging/],
        ["a time scale that is not a number", ["--time-scale", "fast"], /--time-scale "fast": expected a number from 1/],
        ["a time scale below real time", ["--time-scale", "0.5"], /expected a number from 1 \(real time\) to 3600/],
        ["an unknown flag", ["--fast"], /^unknown option --fast; the options are --stack, --time-scale, --help \(-h\)/],
        ["a stack given twice", ["--stack", "dev", "--stack", "production"], /^--stack given twice \(dev, then production\); it takes one value/],
        ["a stray argument", ["start"], /unexpected argument "start"/],
    ];
    for (const [what, argv, message] of refusals) {
        test(`refuses ${what} with exit 2`, async () => {
            const { code, err } = await runDemoCommand(argv);
            assert.equal(code, 2);
            assert.match(err, message);
        });
    }
});

describe("npm run demo, then npm run demo:stop (the commands of docs/real-servers.md)", () => {
    test("starts the stack, shows notifications as they arrive, and stops everything it started", async () => {
        // Its own TMPDIR: the demo's state file and servers' directories stay out of a developer's running demo.
        const tmp = mkdtempSync(join(tmpdir(), "keel-demo-test-"));
        // Like /tmp, traversable by PostgreSQL's own OS user.
        chmodSync(tmp, 0o755);
        const env = { ...process.env, TMPDIR: tmp };
        const demo = spawn(process.execPath, ["--import", "tsx", join(__dirname, "demo.ts"), "--time-scale", "300"], { env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        demo.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
        demo.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => demo.once("exit", (code) => resolve(code)));
        try {
            // Watchdog's route waits 0 s: the heartbeat hears it as soon as Prometheus fires it.
            const failedEarly = exited.then((code) => Promise.reject(new Error(`the demo exited ${code}:\n${out}`)));
            await Promise.race([eventually(async () => assert.match(out, /Notifications:\n(.*\n)*.*heartbeat\s+FIRING:1 Watchdog/), 60000), failedEarly]);
            const prometheus = /prometheus\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
            assert.ok(prometheus, out);
            assert.equal((await fetch(`${prometheus}/-/ready`)).status, 200);
            // Not spawnSync: this process must keep reaping the demo, or its exit leaves a zombie that still looks alive.
            const stop = await execFileAsync(process.execPath, ["--import", "tsx", join(__dirname, "demo.ts"), "stop"], { env, encoding: "utf8" });
            assert.match(stop.stdout, /Stopped the production demo \(pid \d+\)/);
            assert.equal(await exited, 0);
            await assert.rejects(fetch(`${prometheus}/-/ready`), "Prometheus stopped with the demo");
            // tsx keeps its compile cache in TMPDIR (tsx-<uid>); everything the demo made is gone.
            assert.deepEqual(readdirSync(tmp).filter((entry) => !entry.startsWith("tsx-")), [], "the demo removed its state file and directories");
        } finally {
            // A failed test still stops the demo's servers: SIGTERM lets it stop them; SIGKILL would orphan them.
            if (demo.exitCode === null) {
                demo.kill("SIGTERM");
                await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15000))]);
            }
            rmSync(tmp, { recursive: true, force: true });
        }
    });

    test("demo:stop with no demo running says so and exits 0", async () => {
        const tmp = mkdtempSync(join(tmpdir(), "keel-demo-test-"));
        try {
            const stop = spawnSync(process.execPath, ["--import", "tsx", join(__dirname, "demo.ts"), "stop"], { env: { ...process.env, TMPDIR: tmp }, encoding: "utf8" });
            assert.equal(stop.status, 0);
            assert.equal(stop.stdout, "No demo is running.\n");
        } finally {
            rmSync(tmp, { recursive: true, force: true });
        }
    });
});
