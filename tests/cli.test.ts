import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { knownStacks } from "../policies/offline";
import { help as planHelp, planCommand } from "../scripts/plan";
import type { PlanDocument } from "../offline-plan/record";
import { policyCommand, usage as policyHelp } from "../scripts/policy";
import { usage as verifyHelp, verifyBackupsCommand } from "../scripts/verify-backups";
import type { Output } from "../scripts/cli/command-line";
import { openForChanges, projectRoot, sharedPlanner } from "./plans";

type Script = "plan" | "policy" | "verify-backups";

/** `npm run <script>` exactly as the README runs it (without npm's banner), at a fixed date. */
function run(script: Script, args: string[], env: NodeJS.ProcessEnv = {}) {
    const dated = script !== "verify-backups" && args.length > 0 && !args.includes("--help") ? [...args, "--as-of", openForChanges] : args;
    const child = spawnSync(process.execPath, ["--import", "tsx", join(projectRoot, "scripts", `${script}.ts`), ...dated], { encoding: "utf8", cwd: projectRoot, env: { ...process.env, ...env } });
    return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

type Result = { status: number; stdout: string; stderr: string };

/** A command in-process, its output collected; `npm run plan` judged at a fixed date. */
async function inProcess(command: (argv: readonly string[], io: { out: (t: string) => void; err: (t: string) => void }) => Promise<number>, args: string[]): Promise<Result> {
    const out: string[] = [];
    const err: string[] = [];
    const status = await command(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { status, stdout: out.join("\n"), stderr: err.join("\n") };
}
/** `npm run plan` in-process, with the plans the test run shares (`run` runs the script itself). */
const sharedPlans = (argv: readonly string[], io: Output) => planCommand(argv, io, sharedPlanner);
const plan = (...args: string[]) => inProcess(sharedPlans, args.includes("--as-of") || args.includes("--help") ? args : [...args, "--as-of", openForChanges]);

/** Refused: exit 2, nothing on stdout, one message (no stack trace) that says what is wrong. */
function assertRefused(result: { status: number | null; stdout: string; stderr: string }, message: RegExp): void {
    assert.equal(result.status, 2, `expected exit 2, got ${result.status}\n${result.stdout}${result.stderr}`);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /\n\s+at |TypeError|RangeError|node:internal/);
}

const work = mkdtempSync(join(tmpdir(), "keel-cli-"));
const planFile = join(work, "production.json");
const outDir = join(work, "out");
const stacks = knownStacks().join(", ");
after(() => rmSync(work, { recursive: true, force: true }));

describe("npm run plan", () => {
    let result: ReturnType<typeof run>;
    let document: PlanDocument;
    before(() => {
        result = run("plan", ["production", "--json", planFile, "--out", outDir]);
        document = JSON.parse(readFileSync(planFile, "utf8")) as PlanDocument;
    });

    test("plans production cleanly", () => {
        assert.equal(result.status, 0, result.stderr);
        assert.equal(result.stderr, "");
    });

    test("prints a preview-like tree, the stack outputs, a summary by type and the policy verdict", () => {
        assert.match(result.stdout, /^Previewing update \(production\) offline: project keel$/m);
        assert.match(result.stdout, /^\+ {3}pulumi:pulumi:Stack\s+keel-production$/m);
        assert.match(result.stdout, /^\+ {3}├─ keel:network:Network\s+primary\s*$/m);
        assert.match(result.stdout, /^\+ {3}│  ├─ aws:ec2:Vpc\s+primary-vpc\s+us-east-1$/m);
        assert.match(result.stdout, /^\+ {3}[│ ] {2}├─ aws:ec2:Vpc\s+dr-vpc\s+us-west-2$/m);
        assert.match(result.stdout, new RegExp(`^Resources: \\+ ${document.resources.length} to create$`, "m"));
        assert.match(result.stdout, /^ {7}2 {2}aws:ec2:Vpc$/m);
        assert.match(result.stdout, /keel: all policies passed/);
    });

    test("the Outputs section lists every output leaf, secrets as [secret]", () => {
        const section = /^Outputs:\n((?: {4}.*\n)+)/m.exec(result.stdout);
        assert.ok(section, "no Outputs section");
        assert.ok(result.stdout.indexOf("Outputs:") > result.stdout.indexOf("keel-production") && result.stdout.indexOf("Outputs:") < result.stdout.indexOf("Resources:"), "between the tree and the summary");
        const lines = section[1].trimEnd().split("\n");
        assert.ok(lines.includes('    database.writerEndpoint: "writer.db.production.internal"'), section[1]);
        assert.ok(lines.includes("    drActive: false"), section[1]);
        assert.ok(lines.includes("    monitoring.kubeconfig: [secret]"), section[1]);
        assert.ok(lines.includes("    monitoring.grafanaAdminPassword: [secret]"), section[1]);
        assert.deepEqual([...new Set(lines.map((line) => line.trim().split(/[.:[]/)[0]))].sort(), Object.keys(document.outputs).sort());
    });

    test("--json and --out say what they wrote", () => {
        assert.match(result.stdout, new RegExp(`^Wrote the plan document \\(${document.resources.length} resources\\) to ${planFile.replaceAll(".", "\\.")}$`, "m"));
        assert.match(result.stdout, new RegExp(`^Wrote \\d+ files to ${outDir.replaceAll(".", "\\.")}: plan\\.json, resources\\.txt, architecture\\.mmd and \\d+ under monitoring/$`, "m"));
    });

    test("writes the plan document DESIGN.md specifies", () => {
        assert.deepEqual(Object.keys(document), ["project", "stack", "resources", "outputs", "policy", "readiness"]);
        assert.equal(document.project, "keel");
        assert.equal(document.stack, "production");
        assert.deepEqual(document.policy, { violations: [] });
        for (const resource of document.resources) {
            assert.deepEqual(Object.keys(resource).sort(), ["custom", "dependencies", "inputs", "name", "parent", "protect", "provider", "region", "retainOnDelete", "type", "urn"]);
        }
        const urns = new Set(document.resources.map((r) => r.urn));
        for (const resource of document.resources) {
            for (const reference of [resource.parent, resource.provider, ...resource.dependencies]) {
                if (reference !== null) assert.ok(urns.has(reference), `${resource.urn} refers to ${reference}, which is not in the plan`);
            }
        }
        assert.deepEqual(Object.keys(document.outputs).sort(), ["backup", "cache", "cost", "database", "drActive", "drWatch", "environment", "monitoring", "network", "traffic"]);
    });

    test("--out writes the artifacts", () => {
        assert.deepEqual(JSON.parse(readFileSync(join(outDir, "plan.json"), "utf8")), document);
        assert.match(readFileSync(join(outDir, "resources.txt"), "utf8"), /keel:network:Network/);
        const diagram = readFileSync(join(outDir, "architecture.mmd"), "utf8");
        assert.match(diagram, /^flowchart LR\n/);
        assert.match(diagram, /subgraph region_us_east_1\["us-east-1"\]/);
        assert.match(diagram, /subgraph region_us_west_2\["us-west-2"\]/);
        assert.match(diagram, /keel_backup_BackupBucket_database_dumps_us_west_2 --> keel_backup_BackupBucket_database_dumps_us_east_1/);
        // The diagram docs/architecture.md and the README show is the one the plan writes.
        for (const document of ["docs/architecture.md", "README.md"]) {
            const blocks = [...readFileSync(join(projectRoot, document), "utf8").matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
            assert.deepEqual(blocks, [diagram], `${document}: the embedded diagram is stale; paste ${join(outDir, "architecture.mmd")} into it`);
        }
    });

    test("--quiet prints only the summary line and the policy result (and what --json wrote)", async () => {
        const quietFile = join(work, "quiet.json");
        const quiet = await plan("production", "--quiet", "--json", quietFile);
        assert.equal(quiet.status, 0, quiet.stderr);
        assert.equal(quiet.stdout, [`Resources: + ${document.resources.length} to create`, "Policies:", "    keel: all policies passed", `Wrote the plan document (${document.resources.length} resources) to ${quietFile}`].join("\n"));
    });

    test("a mandatory violation fails the plan and is reported in the document", async () => {
        const violatingFile = join(work, "violating.json");
        const violating = await plan("production", "--json", violatingFile, "--config", "keel:regions.dr=eu-west-1");
        assert.equal(violating.status, 1);
        assert.match(violating.stdout, /\[mandatory\] {2}keel-allowed-regions {2}AWS provider "dr-eu-west-1" uses region eu-west-1/);
        assert.match(violating.stderr, /^\n\d+ mandatory policy violations?: the plan is refused\.$/);
        const violations = (JSON.parse(readFileSync(violatingFile, "utf8")) as PlanDocument).policy.violations;
        assert.ok(violations.length >= 1 && violations.every((v) => v.policyName === "keel-allowed-regions"));
    });
});

describe("npm run plan -- <stack> --diff FILE", () => {
    before(() => {
        if (!existsSync(planFile)) run("plan", ["production", "--json", planFile]);
    });

    test("DR mode against the saved plan: each updated resource with its changed inputs old → new, deletions, outputs, one summary line", async () => {
        const { status, stdout, stderr } = await plan("production", "--config", "keel:dr.active=true", "--diff", planFile);
        assert.equal(status, 0, stderr);
        assert.equal(stderr, "");
        const lines = stdout.split("\n");
        assert.equal(lines[0], `Previewing update (production) offline: project keel, compared with ${planFile}`);
        const group = lines.indexOf("  ~ aws:autoscaling:Group app-dr (us-west-2)");
        assert.deepEqual(lines.slice(group, group + 3), ["  ~ aws:autoscaling:Group app-dr (us-west-2)", "      desiredCapacity: 1 → 2", "      minSize: 1 → 2"], stdout);
        assert.ok(lines.includes("  ~ keel:database:ReplicatedDatabase database"), stdout);
        assert.ok(lines.includes("      drActive: false → true"), stdout);
        assert.ok(lines.includes("  - aws:cloudwatch:MetricAlarm database-dr-replication-lag (us-west-2)"), stdout);
        assert.ok(lines.includes("  ~ drActive: false → true"), stdout);
        assert.ok(lines.includes(`Resources: + 1 to create, ~ 6 to update, - 3 to delete, ${JSON.parse(readFileSync(planFile, "utf8")).resources.length - 9} unchanged`), stdout);
        assert.deepEqual(lines.slice(-2), ["Policies:", "    keel: all policies passed"]);
        assert.doesNotMatch(stdout, /^\+ {3}pulumi:pulumi:Stack/m, "the difference, not the tree");
    });

    test("--quiet: the summary line and the policy result; the same configuration changes nothing", async () => {
        const { status, stdout } = await plan("production", "--diff", planFile, "--quiet");
        assert.equal(status, 0);
        const resources = (JSON.parse(readFileSync(planFile, "utf8")) as PlanDocument).resources.length;
        assert.equal(stdout, [`Resources: ${resources} unchanged`, "Policies:", "    keel: all policies passed"].join("\n"));
    });

    test("a plan of another stack is compared by type and name, with a note", async () => {
        const { status, stdout, stderr } = await plan("staging", "--diff", planFile, "--quiet");
        assert.equal(status, 0, stderr);
        assert.equal(stderr, `note: --diff ${planFile} is a plan of stack "production", not "staging": resources are matched by type and name, and values naming the stack differ`);
        assert.match(stdout, /^Resources: (\+ \d+ to create, )?~ \d+ to update, (- \d+ to delete, )?\d+ unchanged$/m);
    });

    const saved = (name: string, content: string) => {
        const file = join(work, name);
        writeFileSync(file, content);
        return file;
    };
    const refusedFiles: [string, () => string, (file: string) => RegExp][] = [
        ["a file that does not exist", () => join(work, "missing.json"), (f) => new RegExp(`^cannot read --diff ${f}: ENOENT: no such file or directory`)],
        ["a directory", () => work, (f) => new RegExp(`^cannot read --diff ${f}: EISDIR`)],
        ["text that is not JSON", () => saved("text.json", "Resources: + 3 to create"), (f) => new RegExp(`^--diff ${f} is not JSON \\(.*\\); expected a plan document from \`npm run plan -- <stack> --json ${f}\`$`)],
        ["JSON that is not a plan document", () => saved("object.json", "{}"), (f) => new RegExp(`^--diff ${f}: not a Keel plan document: "stack" is missing, expected the stack's name$`)],
        [
            "a plan document without outputs",
            () => saved("no-outputs.json", JSON.stringify({ ...(JSON.parse(readFileSync(planFile, "utf8")) as object), outputs: undefined })),
            (f) => new RegExp(`^--diff ${f}: not a Keel plan document: "outputs" is missing, expected the stack's outputs; write it again with \`npm run plan -- <stack> --json ${f}\`$`),
        ],
    ];
    for (const [what, file, message] of refusedFiles) {
        test(`refuses ${what} before planning`, async () => {
            const given = file();
            assertRefused(await plan("production", "--diff", given), message(given));
        });
    }
});

describe("npm run plan: refusals a person can act on", () => {
    const existingFile = join(work, "a-file");
    writeFileSync(existingFile, "");
    const mistakes: [string, string[], RegExp][] = [
        ["no stack", [], /^no stack given\nusage: npm run plan -- <stack> \[--diff FILE\].*\n\(npm run plan -- --help explains each option\)$/],
        ["two stacks", ["production", "staging"], /^one stack at a time, got 2: production, staging\nusage:/],
        ["an unknown stack, listing the known ones", ["prod"], new RegExp(`^no stack "prod": there is no policies/config/prod\\.json \\(known stacks: ${stacks}\\)$`)],
        ["a stack that is a path", ["../production"], /^stack "\.\.\/production" is not a plain stack name/],
        ["--config without =", ["production", "--config", "keel:dr.active"], /--config "keel:dr\.active": expected namespace:path=value, such as keel:database\.backupRetentionDays=14, got no "="/],
        ["an unknown option, listing the known ones", ["production", "--jsn", "p.json"], /^unknown option --jsn; the options are --diff, --json, --out, --config \(-c\), --quiet \(-q\), --as-of, --enforce-freeze, --help \(-h\)\nusage:/],
        ["--json without its file", ["production", "--as-of", openForChanges, "--json"], /^--json needs a value\nusage:/],
        ["--json followed by another option", ["production", "--json", "--quiet"], /^--json needs a value, got the option --quiet \(write --json=--quiet if that is the value\)\nusage:/],
        ["a value for a switch", ["production", "--quiet=yes"], /^--quiet takes no value, got "yes"\nusage:/],
        ["a bad --as-of", ["production", "--as-of", "yesterday"], /^--as-of expects an ISO 8601 date or instant, got "yesterday"; e\.g\. 2026-10-15 or 2026-10-15T12:00:00Z$/],
        ["an --as-of day that does not exist", ["production", "--as-of", "2026-02-30"], /^--as-of expects an ISO 8601 date or instant, got "2026-02-30"/],
        ["--out on an existing file", ["production", "--out", existingFile], new RegExp(`^--out ${existingFile}: is a file; expected a directory to write the artifacts into \\(created when missing\\)$`)],
        ["--json on a directory", ["production", "--json", work], new RegExp(`^--json ${work}: is a directory; expected the file to write the plan document to$`)],
        ["--json twice", ["production", "--json", "a.json", "--json", "b.json"], /^--json given twice \(a\.json, then b\.json\); it takes one value\nusage:/],
        ["--diff twice", ["production", "--diff", "a.json", "--diff", "b.json"], /^--diff given twice \(a\.json, then b\.json\); it takes one value\nusage:/],
        ["--out twice", ["production", "--out", "a", "--out=b"], /^--out given twice \(a, then b\); it takes one value\nusage:/],
        ["--as-of twice", ["production", "--as-of", "2026-10-15", "--as-of", "2026-10-16"], /^--as-of given twice \(2026-10-15, then 2026-10-16\); it takes one value\nusage:/],
    ];
    for (const [what, args, message] of mistakes) {
        test(`refuses ${what}`, async () => assertRefused(await plan(...args), message));
    }

    test("refuses bad configuration before any resource is registered or file written", async () => {
        const refusedFile = join(work, "refused.json");
        assertRefused(await plan("production", "--json", refusedFile, "--config", "keel:database.backupRetentionDays=-3"), /keel:database\.backupRetentionDays: expected an integer from 0 to 35, got -3/);
        assert.equal(existsSync(refusedFile), false);
    });

    test("the script itself (npm run plan -- prod): exit 2 and the one message, no stack trace", () => {
        assertRefused(run("plan", ["prod"]), new RegExp(`^no stack "prod": there is no policies/config/prod\\.json \\(known stacks: ${stacks}\\)\n$`));
    });
});

describe("--help explains every option", () => {
    /** Each `--flag` of the usage line has a line of its own that explains it. */
    const explainsEveryOption = (help: string) => {
        const [usageLine] = help.split("\n");
        const flags = [...new Set([...usageLine.matchAll(/--[\w-]+/g)].map(([flag]) => flag))].filter((flag) => flag !== "--");
        assert.ok(flags.length > 0);
        for (const flag of [...flags, "--help"]) assert.match(help, new RegExp(`^ {2}(?:-\\w, )?${flag}\\b.*\\S.*$`, "m"), `${flag} is not explained:\n${help}`);
    };

    const commands = [
        ["plan", planCommand, planHelp],
        ["policy", policyCommand, policyHelp],
        ["verify-backups", verifyBackupsCommand, verifyHelp],
    ] as const;
    for (const [name, command, help] of commands) {
        test(`npm run ${name} -- --help (and -h)`, async () => {
            for (const flag of ["--help", "-h"]) assert.deepEqual(await inProcess(command, [flag]), { status: 0, stdout: help, stderr: "" });
            explainsEveryOption(help);
            assert.match(help, /KEEL_DEBUG=1/);
        });
    }

    test("plan's help names the known stacks", () => {
        assert.match(planHelp, new RegExp(`<stack> is one of: ${stacks}\\.`));
    });
});

describe("npm run verify-backups: refusals", () => {
    const verify = (...args: string[]) => inProcess(verifyBackupsCommand, args);
    const file = (name: string, content: string) => {
        const path = join(work, name);
        writeFileSync(path, content);
        return path;
    };
    const mistakes: [string, () => string[], RegExp][] = [
        ["neither --stack nor --outputs", () => [], /^no stack given: give exactly one of them\nusage: npm run verify-backups -- \(--stack ORG\/keel\/ENV \| --outputs FILE\)/],
        ["both --stack and --outputs", () => ["--stack", "org/keel/production", "--outputs", "o.json"], /^--stack and --outputs both given: give exactly one of them\nusage:/],
        ["a positional argument", () => ["production"], /^unexpected argument "production"\nusage:/],
        ["an unknown option", () => ["--stak", "org/keel/production"], /^unknown option --stak; the options are --stack, --outputs, --max-age-hours, --help \(-h\)\nusage:/],
        ["--stack twice", () => ["--stack", "a", "--stack", "b"], /^--stack given twice \(a, then b\); it takes one value\nusage:/],
        ["--max-age-hours that is not a number", () => ["--outputs", "o.json", "--max-age-hours", "a day"], /^--max-age-hours expects a positive number of hours, got "a day"$/],
        ["--max-age-hours 0", () => ["--outputs", "o.json", "--max-age-hours", "0"], /^--max-age-hours expects a positive number of hours, got "0"$/],
        ["an --outputs file that does not exist", () => ["--outputs", join(work, "missing-outputs.json")], /^--outputs .*missing-outputs\.json: cannot read it: ENOENT/],
        ["an --outputs file that is not JSON", () => ["--outputs", file("outputs.txt", "backup: yes")], /^--outputs .*outputs\.txt is not JSON \(.*\); expected the output of `pulumi stack output --json`$/],
        ["an --outputs file that is a list", () => ["--outputs", file("outputs-list.json", "[]")], /^--outputs .*outputs-list\.json: expected an object of stack outputs \(`pulumi stack output --json`\), got a list$/],
        ["outputs without backups", () => ["--outputs", file("dev-outputs.json", JSON.stringify({ environment: "dev" }))], /^the stack exports no backups \(keel:backup\.enabled is false\): nothing to verify$/],
    ];
    for (const [what, args, message] of mistakes) {
        test(`refuses ${what}`, async () => assertRefused(await verify(...args()), message));
    }
});

describe("npm run policy", () => {
    const policy = (...args: string[]) => inProcess(policyCommand, args.includes("--as-of") ? args : [...args, "--as-of", openForChanges]);
    before(() => {
        if (!existsSync(planFile)) run("plan", ["production", "--json", planFile]);
    });

    test("passes the clean production plan (the script itself)", () => {
        const result = run("policy", [planFile]);
        assert.equal(result.status, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /keel: all policies passed/);
    });

    test("fails a tampered plan with the same report as the plan", async () => {
        const document = JSON.parse(readFileSync(planFile, "utf8")) as PlanDocument;
        const provider = document.resources.find((r) => r.type === "pulumi:providers:aws" && r.region === "us-east-1")!;
        (provider.inputs as Record<string, unknown>).defaultTags = JSON.stringify({ tags: { service: "keel-app" } });
        const tampered = join(work, "tampered.json");
        writeFileSync(tampered, JSON.stringify(document));
        const result = await policy(tampered);
        assert.equal(result.status, 1);
        assert.match(result.stdout, /\[mandatory\] {2}keel-required-tags {2}aws:ec2\/vpc:Vpc "primary-vpc" is missing the tags environment, owner, managed-by/);
    });

    test("reports a change freeze as a preview does, and refuses the change with --enforce-freeze as up does", async () => {
        const preview = await policy(planFile, "--as-of", "2026-12-24T09:00:00Z");
        assert.equal(preview.status, 0);
        assert.match(preview.stdout, /\[advisory\] {2}keel-change-freeze {2}change freeze "year end" \(2026-12-20 to 2026-12-31\): no override/);
        const enforced = await policy(planFile, "--as-of", "2026-12-24T09:00:00Z", "--enforce-freeze");
        assert.equal(enforced.status, 1);
        assert.match(enforced.stdout, /\[mandatory\] {2}keel-change-freeze {2}change freeze "year end"/);
    });

    test("refuses a production change outside the change windows only with --enforce-freeze, and passes one inside", async () => {
        const wednesday = "2026-12-02T18:15:00Z";
        const preview = await policy(planFile, "--as-of", wednesday);
        assert.equal(preview.status, 0);
        assert.match(preview.stdout, /\[advisory\] {2}keel-change-window {2}outside the change windows, .*: it is Wed 2026-12-02 10:15 PST \(18:15 UTC\); the next opens Thu 2026-12-03 02:00 PST/);
        const enforced = await policy(planFile, "--as-of", wednesday, "--enforce-freeze");
        assert.equal(enforced.status, 1);
        assert.match(enforced.stdout, /\[mandatory\] {2}keel-change-window {2}outside the change windows/);
        const tuesday = await policy(planFile, "--as-of", "2026-12-01T10:30:00Z", "--enforce-freeze");
        assert.equal(tuesday.status, 0, tuesday.stdout);
    });

    test("refuses a file that is not a plan, and a repeated option, in one message", async () => {
        const notAPlan = join(work, "not-a-plan.json");
        writeFileSync(notAPlan, "{}");
        assertRefused(await policy(notAPlan), /^.*not-a-plan\.json: not a Keel plan document: "stack" is missing, expected the stack's name$/);
        assertRefused(await policy(planFile, "--stack", "production", "--stack", "staging"), /^--stack given twice \(production, then staging\); it takes one value\n/);
    });
});
