import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { projectRoot } from "./plans";

/**
 * Adding an environment is three things (DESIGN.md): its entry in stacks/environments.ts, its
 * Pulumi.<env>.yaml and its policies/config/<env>.json. In a copy of the working tree, a `qa`
 * environment shaped like staging is added that way and nothing else — no stack file, no
 * branch on its name — and its offline plan passes its policies.
 */

/** stacks/environments.ts gets a `qa` entry: a copy of staging's (listed just before production's), and nothing else. */
export function withQaEnvironment(source: string): string {
    const staging = /(\n {4}staging: \{\n[\s\S]*?\n {4}\},\n)(?=(?: {4}\/\/[^\n]*\n)* {4}production: )/g;
    let entries = 0;
    const added = source.replace(staging, (entry: string) => {
        entries += 1;
        return `${entry}${entry.replace("\n    staging: ", "\n    qa: ")}`;
    });
    assert.equal(entries, 1, "expected one entry per environment in stacks/environments.ts, staging's just before production's");
    return added;
}

describe("a new environment is its entry, its stack file and its policy config", () => {
    const copy = mkdtempSync(join(tmpdir(), "keel-qa-"));

    before(() => {
        const tracked = spawnSync("git", ["ls-files", "-z"], { cwd: projectRoot, encoding: "utf8" }).stdout.split("\0").filter((f) => f !== "");
        for (const file of tracked) {
            mkdirSync(dirname(join(copy, file)), { recursive: true });
            try {
                copyFileSync(join(projectRoot, file), join(copy, file));
            } catch {
                // Deleted in the working tree but still tracked: not part of it.
            }
        }
        symlinkSync(join(projectRoot, "node_modules"), join(copy, "node_modules"));
        const environments = join(copy, "stacks/environments.ts");
        writeFileSync(environments, withQaEnvironment(readFileSync(environments, "utf8")));
        copyFileSync(join(copy, "Pulumi.staging.yaml"), join(copy, "Pulumi.qa.yaml"));
        copyFileSync(join(copy, "policies/config/staging.json"), join(copy, "policies/config/qa.json"));
    });

    after(() => rmSync(copy, { recursive: true, force: true }));

    test("npm run plan -- qa plans it and its policies pass", () => {
        const plan = spawnSync(process.execPath, ["--import", "tsx", "scripts/plan.ts", "qa", "--quiet", "--json", "qa.json"], { cwd: copy, encoding: "utf8" });
        assert.equal(plan.status, 0, `${plan.stderr}${plan.stdout}`);
        assert.match(plan.stdout, /Resources: \+ \d+ to create\nPolicies:\n {4}keel: all policies passed/);
        const document = JSON.parse(readFileSync(join(copy, "qa.json"), "utf8")) as { stack: string; outputs: { environment?: unknown } };
        assert.equal(document.stack, "qa");
        assert.equal(document.outputs.environment, "qa");
    });
});
