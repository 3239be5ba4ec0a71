import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { Output } from "../scripts/cli/command-line";
import { loadStackConfig } from "../offline-plan/stack-config";
import { resolveKeelConfig } from "../stacks/config";
import { planCommand } from "../scripts/plan";
import { projectRoot, sharedPlanner } from "./plans";

/**
 * The README is true: every command of its code blocks is run here as written — `npm run X`
 * through the command function of the script package.json runs for X, in-process — and every
 * usage line in its text (`npm run X -- <stack> [--flag ...]`) is checked against that
 * command's own --help. What needs a cloud account or a tool this machine lacks (the Pulumi CLI,
 * Helm) cannot run here: its keys must be keys Keel reads, its files must exist.
 */

const readme = readFileSync(join(projectRoot, "README.md"), "utf8");
const scripts = (JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

/** The commands of the README's shell code blocks, one per line (`a && b` is two), comments dropped. */
function codeBlockCommands(): string[] {
    return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
        .flatMap((block) => block[1].split("\n"))
        .map((line) => line.replace(/\s+#.*$/, "").trim())
        .filter((line) => line !== "")
        .flatMap((line) => line.split(/\s+&&\s+/));
}

/** Shell words, quotes removed. */
const words = (line: string) => [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);

type Command = (argv: readonly string[], io: Output) => Promise<number>;

/** The command function of `npm run <script>`: the script file package.json names, its exported `*Command`. */
async function commandOf(script: string): Promise<Command> {
    const file = /scripts\/[\w-]+\.ts/.exec(scripts[script] ?? "")?.[0];
    assert.ok(file, `package.json has no script ${script} running scripts/*.ts`);
    const module = (await import(join(projectRoot, file))) as Record<string, unknown>;
    const command = Object.entries(module).find(([name, value]) => name.endsWith("Command") && typeof value === "function")?.[1];
    assert.ok(command, `${file} exports no *Command function`);
    return command as Command;
}

/** `npm run <script>` in-process; `npm run plan` with the plans the test run shares. */
async function run(script: string, argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const io = { out: (t: string) => (out += `${t}\n`), err: (t: string) => (err += `${t}\n`) };
    const command = await commandOf(script);
    const code = await (command === planCommand ? planCommand(argv, io, sharedPlanner) : command(argv, io));
    return { code, out, err };
}

/** What cannot run on this machine, and why. */
const needs: readonly [RegExp, string][] = [
    [/^pulumi /, "the Pulumi CLI and the stack's cloud account"],
    [/^npm run helm-template /, "Helm and the charts' repositories (scripts/helm-template.ts; docs/kubernetes.md)"],
];

describe("the README's commands, run as written", () => {
    const work = mkdtempSync(join(tmpdir(), "keel-readme-"));
    /** The README's paths under /tmp and its plan.json, in this test's own directory. */
    const local = (arg: string) => (arg.startsWith("/tmp/") ? join(work, arg.slice("/tmp/".length)) : arg === "plan.json" ? join(work, "production.json") : arg);
    after(() => rmSync(work, { recursive: true, force: true }));
    const commands = codeBlockCommands();

    test("they are the ones this test knows how to judge", () => {
        const unjudged = commands.filter((c) => !/^npm (ci|test|run [\w:-]+)( |$)/.test(c) && !needs.some(([pattern]) => pattern.test(c)));
        assert.deepEqual(unjudged, []);
        assert.ok(commands.length >= 10, commands.join("\n"));
    });

    test("npm ci and npm test are what CI runs on a fresh clone", () => {
        const ci = readFileSync(join(projectRoot, ".ci/run"), "utf8");
        assert.ok(commands.includes("npm ci") && commands.includes("npm test"));
        assert.match(ci, /^npm ci\b.*\nnpm test$/m);
        assert.equal(scripts.pretest, "bash scripts/ci/install-tools.sh", "npm test installs what the tests need");
    });

    test("every npm run command of the code blocks runs and succeeds (plans first, then what reads them)", async () => {
        const runnable = commands.filter((c) => c.startsWith("npm run ") && !needs.some(([pattern]) => pattern.test(c)));
        const writesFirst = [...runnable.filter((c) => c.includes("--json")), ...runnable.filter((c) => !c.includes("--json"))];
        for (const line of writesFirst) {
            const [, , script, ...rest] = words(line);
            const argv = (rest[0] === "--" ? rest.slice(1) : rest).map(local);
            const result = await run(script, argv);
            assert.equal(result.code, 0, `${line}\n${result.err}${result.out.slice(-2000)}`);
        }
        assert.ok(existsSync(join(work, "production.json")), "the README's plan document was written");
    });

    test("what needs the cloud names keys Keel reads and files that exist", () => {
        const cloud = commands.filter((c) => needs.some(([pattern]) => pattern.test(c)));
        assert.ok(cloud.length > 0);
        for (const line of cloud) {
            for (const file of words(line).filter((w) => /^policies(\/|$)/.test(w))) assert.ok(existsSync(join(projectRoot, file)), `${line}: ${file}`);
        }
        // `pulumi config set --path 'keel:a.b' <value>`: the key, with a value of the documented kind, is accepted.
        const samples: Record<string, string> = {
            "keel:compute.image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.4.2",
            "keel:dns.parentZoneId": "Z0123456789ABCDEFGHIJ",
        };
        const keelKeys = cloud.map((line) => /pulumi config set --path '(keel:[^']+)'/.exec(line)?.[1]).filter((key): key is string => key !== undefined);
        assert.deepEqual(keelKeys.sort(), Object.keys(samples).sort(), "a new keel key in the README needs a sample value here");
        for (const key of keelKeys) {
            const config = loadStackConfig(projectRoot, "production", [`${key}=${samples[key]}`]).config;
            assert.doesNotThrow(() => resolveKeelConfig(config, "production"), key);
        }
    });

    test("every usage line in the text names only options its command's --help explains", async () => {
        const usages = [...readme.matchAll(/`npm run ([\w:-]+)(?: -- ([^`]*))?`/g)].map((m) => ({ script: m[1], args: m[2] ?? "" }));
        assert.ok(usages.length >= 5);
        for (const { script, args } of usages) {
            assert.ok(scripts[script] !== undefined, `npm run ${script}: no such script in package.json`);
            // helm-template needs Helm (above); build is tsc, run by tests/package.test.ts through npm pack.
            if (script === "helm-template" || !/scripts\/[\w-]+\.ts/.test(scripts[script])) continue;
            const help = await run(script, ["--help"]);
            assert.equal(help.code, 0, `npm run ${script} -- --help: ${help.err}`);
            for (const flag of args.match(/--[\w-]+/g) ?? []) assert.ok(help.out.includes(flag), `npm run ${script} -- ${args}: ${flag} is not in its --help`);
        }
    });
});
