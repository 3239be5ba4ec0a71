import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { longestFirst, selectTestFiles, testCommand, type Limits } from "./test";

const projectRoot = resolve(__dirname, "../..");

async function npmTest(argv: string[], limits?: Limits): Promise<{ status: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const status = await testCommand(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, limits);
    return { status, stdout: out.join("\n"), stderr: err.join("\n") };
}

describe("npm test (scripts/ci/test.ts)", () => {
    const work = mkdtempSync(join(tmpdir(), "keel-npm-test-"));
    after(() => rmSync(work, { recursive: true, force: true }));
    const file = (name: string, text: string) => {
        const path = join(work, name);
        mkdirSync(join(path, ".."), { recursive: true });
        writeFileSync(path, text);
        return path;
    };

    test("finds every test file of the project and none of its dependencies or build", () => {
        const files = selectTestFiles([]).map((f) => f.slice(projectRoot.length + 1));
        assert.ok(files.includes("tests/cli.test.ts") && files.includes("components/network/network.test.ts") && files.includes("scripts/ci/test.test.ts"));
        assert.deepEqual(files.filter((f) => /^(node_modules|dist)\//.test(f) || !f.endsWith(".test.ts")), []);
        assert.deepEqual(selectTestFiles(["components/network"]).map((f) => f.slice(projectRoot.length + 1)), ["components/network/network.test.ts", "components/network/peering.test.ts", "components/network/subnets.test.ts"]);
    });

    test("hands out the longest files first by the last run; unknown files that start processes before them, other unknown files after, the larger first", () => {
        const files = [file("known-short.test.ts", ""), file("known-long.test.ts", ""), file("servers.test.ts", 'import { startS3 } from "../scripts/servers";\n'), file("subprocess-larger.test.ts", `import { spawnSync } from "node:child_process";\n${"//\n".repeat(50)}`), file("plain.test.ts", ""), file("plain-larger.test.ts", "//\n".repeat(50))];
        const durations = { [relative(projectRoot, files[0])]: 10, [relative(projectRoot, files[1])]: 3000 };
        assert.deepEqual(longestFirst(files, durations).map((f) => basename(f, ".test.ts")), ["subprocess-larger", "servers", "known-long", "known-short", "plain-larger", "plain"]);
    });

    for (const [what, argv, message] of [
        ["a path that is not there", ["tests/no-such.test.ts"], /^tests\/no-such\.test\.ts: no such file or directory\nusage: npm test/],
        ["a path without tests", ["docs"], /^docs: no \*\.test\.ts file there\nusage: npm test/],
        ["a worker count that is not one", ["--workers", "0"], /^--workers expects a number of processes from 1 to 99, got "0"/],
        ["an unknown option", ["--watch"], /^unknown option --watch; the options are --workers, --help \(-h\)/],
    ] as const) {
        test(`refuses ${what}: exit 2, one message`, async () => {
            const result = await npmTest([...argv]);
            assert.equal(result.status, 2);
            assert.equal(result.stdout, "");
            assert.match(result.stderr, message);
        });
    }

    test("a failing test fails the run, with its file, its name and its error; a file that ends its worker is named and the rest still run", async () => {
        const passing = file("passing.test.ts", 'import { test } from "node:test";\ntest("holds", () => {});\n');
        const failing = file("failing.test.ts", 'import assert from "node:assert/strict";\nimport { test } from "node:test";\ntest("expects two", () => assert.equal(1 + 1, 3));\n');
        const exiting = file("exiting.test.ts", 'import { test } from "node:test";\ntest("leaves", () => process.exit(3));\n');
        const result = await npmTest([passing, failing, exiting, "--workers", "1"]);
        assert.equal(result.status, 1, result.stdout);
        assert.match(result.stdout, /^Running 3 test files in 1 process$/m);
        assert.match(result.stdout, /^ {2}✖ .*exiting\.test\.ts: ended its worker \(exit 3\)$/m);
        assert.match(result.stdout, /^ {2}✔ +\d+\.\d s {2}.*passing\.test\.ts$/m);
        assert.match(result.stdout, /^ {2}✖ +\d+\.\d s {2}.*failing\.test\.ts$/m);
        // The failing test's own report, though the file that ended its worker ended it before its summary.
        assert.match(result.stdout, /✖ failing tests:[\s\S]*expects two[\s\S]*2 !== 3/);
        assert.match(result.stdout, /^tests \d+, pass 1, fail 2,/m);
    });

    test("a file that never finishes, and a worker that cannot exit after its last file, are stopped and named", async () => {
        const waiting = file("waiting.test.ts", 'import { test } from "node:test";\ntest("waits", () => new Promise(() => setInterval(() => {}, 1000)));\n');
        const leaving = file("leaving.test.ts", 'import { test } from "node:test";\ntest("leaves a timer", () => { setInterval(() => {}, 1000); });\n');
        const stuck = await npmTest([waiting, "--workers", "1"], { fileMs: 1500, exitMs: 30_000 });
        assert.equal(stuck.status, 1);
        assert.match(stuck.stdout, /^ {2}✖ .*waiting\.test\.ts did not finish within 1\.5 s$/m);
        const open = await npmTest([leaving, "--workers", "1"], { fileMs: 30_000, exitMs: 1500 });
        assert.equal(open.status, 1);
        assert.match(open.stdout, /^ {2}✖ worker \d+ did not exit within 1\.5 s of its last file: a test of .*leaving\.test\.ts left a server, timer or socket open$/m);
    });
});
