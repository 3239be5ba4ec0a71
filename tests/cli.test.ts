import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { PlanDocument } from "../scripts/plan/record";
import { outsideFreezes, projectRoot } from "./plans";

/** `npm run plan` / `npm run policy` exactly as the README runs them (without npm's banner), at a fixed date. */
function run(script: "plan" | "policy", ...args: string[]) {
    const child = spawnSync(process.execPath, ["--import", "tsx", join(projectRoot, "scripts", `${script}.ts`), ...args, ...(args.length > 0 ? ["--as-of", outsideFreezes] : [])], { encoding: "utf8", cwd: projectRoot });
    return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

const work = mkdtempSync(join(tmpdir(), "keel-cli-"));
const planFile = join(work, "production.json");
const outDir = join(work, "out");

describe("npm run plan", () => {
    let result: ReturnType<typeof run>;
    let document: PlanDocument;
    before(() => {
        result = run("plan", "production", "--json", planFile, "--out", outDir);
        document = JSON.parse(readFileSync(planFile, "utf8")) as PlanDocument;
    });

    test("plans production cleanly", () => {
        assert.equal(result.status, 0, result.stderr);
        assert.equal(result.stderr, "");
    });

    test("prints a preview-like tree, a summary by type and the policy verdict", () => {
        assert.match(result.stdout, /^Previewing update \(production\) offline: project keel$/m);
        assert.match(result.stdout, /^\+ {3}pulumi:pulumi:Stack\s+keel-production$/m);
        assert.match(result.stdout, /^\+ {3}├─ keel:network:Network\s+primary\s*$/m);
        assert.match(result.stdout, /^\+ {3}│  ├─ aws:ec2:Vpc\s+primary-vpc\s+us-east-1$/m);
        assert.match(result.stdout, /^\+ {3}[│ ] {2}├─ aws:ec2:Vpc\s+dr-vpc\s+us-west-2$/m);
        assert.match(result.stdout, new RegExp(`^ {4}\\+ ${document.resources.length} to create$`, "m"));
        assert.match(result.stdout, /^ {7}2 {2}aws:ec2:Vpc$/m);
        assert.match(result.stdout, /keel: all policies passed/);
    });

    test("writes the plan document DESIGN.md specifies", () => {
        assert.deepEqual(Object.keys(document), ["project", "stack", "resources", "outputs", "policy"]);
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
        assert.deepEqual(Object.keys(document.outputs).sort(), ["backup", "database", "drActive", "drWatch", "environment", "monitoring", "network", "traffic"]);
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

    test("bad config is refused before any resource is registered", () => {
        const refusedFile = join(work, "refused.json");
        const refused = run("plan", "production", "--json", refusedFile, "--config", "keel:database.backupRetentionDays=-3");
        assert.equal(refused.status, 2);
        assert.match(refused.stderr, /keel:database\.backupRetentionDays: expected an integer from 0 to 35, got -3/);
        assert.equal(refused.stdout, "");
        assert.equal(existsSync(refusedFile), false);
    });

    test("a mandatory violation fails the plan and is reported in the document", () => {
        const violatingFile = join(work, "violating.json");
        const violating = run("plan", "production", "--json", violatingFile, "--config", "keel:regions.dr=eu-west-1");
        assert.equal(violating.status, 1);
        assert.match(violating.stdout, /\[mandatory\] {2}keel-allowed-regions {2}AWS provider "dr-eu-west-1" uses region eu-west-1/);
        assert.match(violating.stderr, /mandatory policy violation/);
        const violations = (JSON.parse(readFileSync(violatingFile, "utf8")) as PlanDocument).policy.violations;
        assert.ok(violations.length >= 1 && violations.every((v) => v.policyName === "keel-allowed-regions"));
    });

    test("usage errors exit 2", () => {
        assert.equal(run("plan").status, 2);
        const unknown = run("plan", "qa");
        assert.equal(unknown.status, 2);
        assert.match(unknown.stderr, /no stack "qa"/);
    });
});

describe("npm run policy", () => {
    before(() => {
        if (!existsSync(planFile)) run("plan", "production", "--json", planFile);
    });

    test("passes the clean production plan", () => {
        const result = run("policy", planFile);
        assert.equal(result.status, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /keel: all policies passed/);
    });

    test("fails a tampered plan with the same report as the plan", () => {
        const document = JSON.parse(readFileSync(planFile, "utf8")) as PlanDocument;
        const provider = document.resources.find((r) => r.type === "pulumi:providers:aws" && r.region === "us-east-1")!;
        (provider.inputs as Record<string, unknown>).defaultTags = JSON.stringify({ tags: { service: "keel-app" } });
        const tampered = join(work, "tampered.json");
        writeFileSync(tampered, JSON.stringify(document));
        const result = run("policy", tampered);
        assert.equal(result.status, 1);
        assert.match(result.stdout, /\[mandatory\] {2}keel-required-tags {2}aws:ec2\/vpc:Vpc "primary-vpc" is missing the tags environment, owner, managed-by/);
    });

    test("reports a change freeze as a preview does, and refuses the change with --enforce-freeze as up does", () => {
        const policyAt = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(projectRoot, "scripts", "policy.ts"), planFile, "--as-of", "2026-12-24T09:00:00Z", ...args], { encoding: "utf8", cwd: projectRoot });
        const preview = policyAt();
        assert.equal(preview.status, 0);
        assert.match(preview.stdout, /\[advisory\] {2}keel-change-freeze {2}change freeze "year end" \(2026-12-20 to 2026-12-31\): no override/);
        const enforced = policyAt("--enforce-freeze");
        assert.equal(enforced.status, 1);
        assert.match(enforced.stdout, /\[mandatory\] {2}keel-change-freeze {2}change freeze "year end"/);
    });

    test("refuses a file that is not a plan", () => {
        const notAPlan = join(work, "not-a-plan.json");
        writeFileSync(notAPlan, "{}");
        assert.equal(run("policy", notAPlan).status, 2);
    });
});
