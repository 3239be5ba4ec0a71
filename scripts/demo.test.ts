import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { demoCommand, usage } from "./demo";

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
        ["an unknown flag", ["--fast"], /Unknown option '--fast'/],
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
