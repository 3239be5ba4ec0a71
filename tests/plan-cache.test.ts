import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { after, describe, test } from "node:test";
import { planProgram, type PlanRecord } from "../offline-plan/engine";
import { loadStackConfig, type StackConfig } from "../offline-plan/stack-config";
import { composeStack } from "../stacks";
import { cachedPlan, cachedPlanFile } from "./plan-cache";
import { planStack, projectRoot } from "./plans";

describe("plans kept between test processes", () => {
    const work = mkdtempSync(join(tmpdir(), "keel-plan-cache-"));
    after(() => rmSync(work, { recursive: true, force: true }));

    /** A project tree with the files a plan's key is made of, each one line. */
    const tree = (name: string) => {
        const root = join(work, name);
        for (const dir of ["components", "stacks", "offline-plan"]) mkdirSync(join(root, dir), { recursive: true });
        for (const file of ["components/a.ts", "stacks/b.ts", "offline-plan/c.ts", "index.ts", "Pulumi.yaml", "package-lock.json"]) writeFileSync(join(root, file), `${file}\n`);
        return root;
    };
    const config = (stack: string, extra: Record<string, string> = {}): StackConfig => ({ project: "keel", stack, config: { "aws:region": "us-east-1", ...extra }, secretKeys: [] });
    const record = (name: string): PlanRecord => ({ resources: [], outputs: { name } });

    test("a kept plan reads back as the plan itself: production's, kept or made by this run, equals a fresh plan", async () => {
        const fresh = await planProgram(composeStack, loadStackConfig(projectRoot, "production"));
        assert.deepStrictEqual(await planStack("production"), fresh);
    });

    test("a plan's key changes with any source of the program and with the stack's configuration; tests do not count", () => {
        const root = tree("sources");
        const copy = join(work, "changed");
        cpSync(root, copy, { recursive: true });
        writeFileSync(join(copy, "stacks", "b.ts"), "changed\n");
        const testOnly = join(work, "test-only");
        cpSync(root, testOnly, { recursive: true });
        writeFileSync(join(testOnly, "components", "a.test.ts"), "a new test\n");

        const keyOf = (tree: string, stack: StackConfig) => relative(join(tree, "node_modules", ".cache", "keel-plans"), cachedPlanFile(tree, stack));
        const key = keyOf(root, config("production"));
        assert.notEqual(keyOf(copy, config("production")), key);
        assert.notEqual(keyOf(root, config("production", { "keel:dr": '{"active":true}' })), key);
        assert.notEqual(keyOf(root, config("staging")), key);
        assert.equal(keyOf(testOnly, config("production")), key);
    });

    test("the first process plans and keeps; the next reads without planning", async () => {
        const root = tree("keep");
        let planned = 0;
        const plan = async () => (planned++, record("first"));
        assert.deepEqual(await cachedPlan(root, config("dev"), plan), record("first"));
        assert.deepEqual(await cachedPlan(root, config("dev"), async () => record("second")), record("first"));
        assert.equal(planned, 1);
    });

    test("a process waits for the plan another running process is making; a dead process's lock is taken over", async () => {
        const root = tree("locks");
        const waiting = config("staging");
        const file = cachedPlanFile(root, waiting);
        mkdirSync(join(file, ".."), { recursive: true });
        writeFileSync(`${file}.lock`, String(process.pid));
        setTimeout(() => writeFileSync(file, JSON.stringify(record("theirs"))), 300);
        assert.deepEqual(await cachedPlan(root, waiting, async () => assert.fail("planned while another process was planning")), record("theirs"));

        const abandoned = config("local");
        const stale = cachedPlanFile(root, abandoned);
        writeFileSync(`${stale}.lock`, "2147483646");
        assert.deepEqual(await cachedPlan(root, abandoned, async () => record("ours")), record("ours"));
    });

    test("a change to the sources plans afresh and removes the plans of the earlier state", async () => {
        const root = tree("stale");
        const before = cachedPlanFile(root, config("dev"));
        await cachedPlan(root, config("dev"), async () => record("before"));
        writeFileSync(join(root, "components", "a.ts"), "changed\n");
        // The same tree by another spelling: a fingerprint is taken once per process and tree.
        const changed = `${root}/`;
        assert.deepEqual(await cachedPlan(changed, config("dev"), async () => record("after")), record("after"));
        assert.notEqual(dirname(cachedPlanFile(changed, config("dev"))), dirname(before));
        assert.equal(existsSync(dirname(before)), false, "the stale folder is gone");
    });
});
