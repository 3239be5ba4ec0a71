import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { loadStackConfig } from "../offline-plan/stack-config";
import { type KeelConfig, resolveKeelConfig } from "../stacks/config";
import { projectRoot } from "./plans";

interface Step { id?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string; name?: string; "working-directory"?: string }
interface Job {
    "runs-on"?: unknown;
    needs?: string | string[];
    if?: string;
    uses?: string;
    with?: Record<string, unknown>;
    environment?: string;
    permissions?: Record<string, string>;
    strategy?: { matrix: { environment?: unknown[]; include?: Record<string, unknown>[] } };
    steps?: Step[];
    concurrency?: { group: string; "cancel-in-progress": boolean };
}
interface Workflow { on: Record<string, unknown>; permissions?: Record<string, string>; jobs: Record<string, Job> }

const directory = join(projectRoot, ".github", "workflows");
const workflows = Object.fromEntries(
    readdirSync(directory).filter((f) => f.endsWith(".yml")).map((f) => [f.replace(/\.yml$/, ""), parse(readFileSync(join(directory, f), "utf8")) as Workflow]),
);
const scripts = (JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
const steps = (job: Job) => job.steps ?? [];
/** The environments of a matrix written as `include:` entries. */
const included = (job: Job) => (job.strategy?.matrix.include ?? []).map((entry) => entry.environment);
/** The runner of one environment's `include:` entry, parsed from its JSON. */
const includedRunner = (job: Job, environment: string): unknown => {
    const entries = (job.strategy?.matrix.include ?? []).filter((entry) => entry.environment === environment);
    assert.equal(entries.length, 1, `one matrix entry for ${environment}`);
    assert.equal(typeof entries[0].runner, "string", `${environment}: the runner is a JSON string`);
    return JSON.parse(entries[0].runner as string);
};
/**
 * Where a job that talks to an environment's cluster must run: a private EKS API endpoint is
 * reachable only from the self-hosted runner inside the VPC; anything else from GitHub's runners.
 */
const expectedRunner = (config: KeelConfig, environment: string): unknown =>
    config.kubernetes.enabled && config.kubernetes.deployerAccess === "private" ? ["self-hosted", `keel-${environment}`] : "ubuntu-24.04";
const action = (job: Job, name: string) => {
    const found = steps(job).find((s) => s.uses?.startsWith(`${name}@`));
    assert.ok(found, `no ${name} step`);
    return found;
};

describe("workflows", () => {
    test("are the expected ones", () => {
        assert.deepEqual(Object.keys(workflows).sort(), ["deploy", "drift", "pull-request", "pulumi-up"]);
    });

    test("run only npm scripts and files that exist, with pinned action versions", () => {
        for (const [name, workflow] of Object.entries(workflows)) {
            for (const [jobName, job] of Object.entries(workflow.jobs)) {
                if (job.uses !== undefined) assert.ok(existsSync(join(projectRoot, job.uses)), `${name}.${jobName} uses ${job.uses}`);
                for (const step of steps(job)) {
                    if (step.uses !== undefined) assert.match(step.uses, /^[\w.-]+\/[\w.-]+@v\d+$/, `${name}.${jobName}: ${step.uses}`);
                    for (const [, script] of (step.run ?? "").matchAll(/npm run (?:-s )?([\w:-]+)/g)) assert.ok(script in scripts, `${name}.${jobName} runs npm run ${script}`);
                    for (const [, file] of (step.run ?? "").matchAll(/bash ([\w./-]+)/g)) assert.ok(existsSync(join(projectRoot, file)), `${name}.${jobName} runs ${file}`);
                }
            }
        }
    });

    test("pull requests: tests, the offline plan of every environment in the job summary, then previews with PR comments and the policy pack", () => {
        const { on, jobs } = workflows["pull-request"];
        assert.ok("pull_request" in on);
        assert.ok(steps(jobs.test).some((s) => s.run === "bash .ci/run"));
        assert.deepEqual(jobs["offline-plan"].strategy?.matrix.environment, ["local", "dev", "staging", "production"]);
        assert.ok(steps(jobs["offline-plan"]).some((s) => s.run?.includes("scripts/ci/offline-plan-summary.sh")));
        const summary = readFileSync(join(projectRoot, "scripts/ci/offline-plan-summary.sh"), "utf8");
        assert.match(summary, /GITHUB_STEP_SUMMARY/);
        assert.match(summary, /npm run -s plan -- "\$environment" --json/);
        const preview = jobs.preview;
        assert.equal(preview.needs, "test");
        assert.match(preview.if ?? "", /head\.repo\.full_name == github\.repository/, "forks get no secrets: skip the cloud preview");
        assert.deepEqual(included(preview), ["dev", "staging", "production"]);
        assert.deepEqual(preview.permissions, { contents: "read", "id-token": "write", "pull-requests": "write" });
        assert.match(String(action(preview, "aws-actions/configure-aws-credentials").with?.["role-to-assume"]), /^\$\{\{ vars\.AWS_\w+_ROLE_ARN \}\}$/);
        const pulumi = action(preview, "pulumi/actions");
        assert.equal(pulumi.with?.command, "preview");
        assert.equal(pulumi.with?.["comment-on-pr"], true);
        assert.equal(pulumi.with?.policyPacks, "policies");
        assert.equal(pulumi.with?.policyPackConfigs, "${{ steps.pack.outputs.config }}", "previews judge the change calendar as the offline plan does: reported");
        assert.equal(steps(preview).find((s) => s.id === "pack")?.run, 'echo "config=$(node --import tsx scripts/preview-pack-config.ts ${{ matrix.environment }})" >> "$GITHUB_OUTPUT"');
        assert.equal(pulumi.env?.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
    });

    test("pull requests: what the change does to every environment's offline plan, against the base branch, with the policy result, as one comment without cloud credentials", () => {
        const job = workflows["pull-request"].jobs["plan-diff"];
        assert.ok(job, "no plan-diff job");
        assert.deepEqual(job.permissions, { contents: "read", "pull-requests": "write" });
        assert.doesNotMatch(JSON.stringify(job), /secrets\.|vars\./, "no cloud credentials: only the workflow's own token");
        const all = steps(job);
        const baseCheckout = all.findIndex((s) => s.uses?.startsWith("actions/checkout@") && s.with?.ref === "${{ github.event.pull_request.base.sha }}" && s.with.path === "base");
        const baseInstall = all.findIndex((s) => s.run === "npm ci --no-audit --no-fund" && s["working-directory"] === "base");
        const compare = all.findIndex((s) => s.run?.startsWith("bash scripts/ci/plan-diff-comment.sh "));
        const comment = all.findIndex((s) => s.uses?.startsWith("actions/github-script@"));
        assert.ok(baseCheckout >= 0 && baseCheckout < baseInstall && baseInstall < compare && compare < comment, "checks out and installs the base branch, compares, then comments");
        assert.equal(all[compare].run, `bash scripts/ci/plan-diff-comment.sh base out/plan-diff ${(workflows["pull-request"].jobs["offline-plan"].strategy?.matrix.environment ?? []).join(" ")}`, "every environment the offline plan covers");
        assert.equal(all[comment].if, "always() && github.event.pull_request.head.repo.full_name == github.repository", "posted even when a plan fails; a fork's token may not comment");
        assert.ok(all.some((s) => s.if === "always()" && s.run === 'cat out/plan-diff/comment.md >> "$GITHUB_STEP_SUMMARY"'), "forks see it in the job summary");
        assert.equal(action(job, "actions/upload-artifact").with?.path, "out/plan-diff/");
    });

    test("pull requests: the comment step creates one comment, then updates it on every push", async () => {
        const script = String(steps(workflows["pull-request"].jobs["plan-diff"]).find((s) => s.uses?.startsWith("actions/github-script@"))?.with?.script);
        const body = "<!-- keel-plan-diff -->\n### Offline plan";
        const calls: [string, Record<string, unknown>][] = [];
        const github = (existing: Record<string, unknown>[]) => ({
            paginate: (_list: unknown, options: Record<string, unknown>) => {
                calls.push(["list", options]);
                return Promise.resolve(existing);
            },
            rest: {
                issues: {
                    listComments: {},
                    createComment: (options: Record<string, unknown>) => Promise.resolve(calls.push(["create", options])),
                    updateComment: (options: Record<string, unknown>) => Promise.resolve(calls.push(["update", options])),
                },
            },
        });
        const context = { repo: { owner: "acme", repo: "keel" }, issue: { number: 7 } };
        const fakeRequire = (module: string) => {
            assert.equal(module, "fs");
            return { readFileSync: (file: string) => (assert.equal(file, "out/plan-diff/comment.md"), body) };
        };
        const run = new (Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<void>)("require", "github", "context", script);
        await run(fakeRequire, github([{ id: 1, user: { type: "User" }, body: "<!-- keel-plan-diff --> quoted by a person" }, { id: 2, user: { type: "Bot" }, body: "Pulumi preview" }]), context);
        await run(fakeRequire, github([{ id: 2, user: { type: "Bot" }, body: "Pulumi preview" }, { id: 3, user: { type: "Bot" }, body: `${body} (older)` }]), context);
        assert.deepEqual(calls, [
            ["list", { owner: "acme", repo: "keel", issue_number: 7, per_page: 100 }],
            ["create", { owner: "acme", repo: "keel", issue_number: 7, body }],
            ["list", { owner: "acme", repo: "keel", issue_number: 7, per_page: 100 }],
            ["update", { owner: "acme", repo: "keel", comment_id: 3, body }],
        ]);
    });

    test("pull requests: the comparison script plans the base branch and this one and writes the comment", (t) => {
        // The base branch: this tree with dev running the previous application image.
        const base = mkdtempSync(join(tmpdir(), "keel-base-"));
        const files = spawnSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: projectRoot, encoding: "utf8" }).stdout.split("\0").filter((f) => f !== "" && existsSync(join(projectRoot, f)));
        for (const file of files) cpSync(join(projectRoot, file), join(base, file), { recursive: true });
        symlinkSync(join(projectRoot, "node_modules"), join(base, "node_modules"));
        const devStack = join(base, "Pulumi.dev.yaml");
        writeFileSync(devStack, readFileSync(devStack, "utf8").replace(/keel-app:[\d.]+/, "keel-app:1.4.1"));
        const out = mkdtempSync(join(tmpdir(), "keel-plan-diff-"));
        t.after(() => [base, out].forEach((dir) => rmSync(dir, { recursive: true, force: true })));
        const compare = (...environments: string[]) => spawnSync("bash", [join(projectRoot, "scripts/ci/plan-diff-comment.sh"), base, out, ...environments], { cwd: projectRoot, encoding: "utf8", env: { ...process.env, BASE_REF: "main" } });

        const result = compare("dev");
        assert.equal(result.status, 0, result.stdout + result.stderr);
        const comment = readFileSync(join(out, "comment.md"), "utf8");
        const image = /keel-app:([\d.]+)/.exec(readFileSync(join(projectRoot, "Pulumi.dev.yaml"), "utf8"))?.[1];
        assert.ok(comment.startsWith("<!-- keel-plan-diff -->\n### Offline plan: this pull request against main\n"), comment);
        assert.match(comment, /^<details><summary><b>dev<\/b>: Resources: ~ 2 to update, \d+ unchanged · policies passed<\/summary>$/m);
        assert.match(comment, new RegExp(`^ {6}application\\.image: ".*keel-app:1\\.4\\.1" → ".*keel-app:${image?.replaceAll(".", "\\.")}"$`, "m"));
        assert.match(comment, /^ {6}userData \(base64, decoded\): .*keel-app:1\.4\.1.* → .*keel-app:/m);
        assert.match(comment, /^Policies:\n {4}keel: all policies passed\n```$/m);

        const refused = compare("nosuch");
        assert.equal(refused.status, 1, "a refused plan fails the job, after the comment is written");
        const refusedComment = readFileSync(join(out, "comment.md"), "utf8");
        assert.match(refusedComment, /^<details><summary><b>nosuch<\/b>: no plan · \*\*plan refused \(exit 2\)\*\*<\/summary>$/m);
        assert.match(refusedComment, /^no plan of the base branch \(no stack "nosuch": there is no policies\/config\/nosuch\.json \(known stacks: .*\)\): every resource is new$/m);
    });

    test("pull requests: helm template of every Kubernetes environment's releases against the pinned charts, without cloud secrets", () => {
        const job = workflows["pull-request"].jobs["helm-template"];
        assert.ok(job, "no helm-template job");
        assert.equal(job.permissions, undefined, "no extra permissions");
        assert.doesNotMatch(JSON.stringify(job), /secrets\.|vars\.AWS_/, "works for forks: no cloud secrets");
        assert.match(String(action(job, "azure/setup-helm").with?.version), /^v3\.\d+\.\d+$/, "a pinned Helm version");
        const environments = job.strategy?.matrix.environment;
        assert.deepEqual(environments, ["staging", "production"]);
        const runs = steps(job).map((s) => s.run ?? "");
        const plan = runs.findIndex((r) => r === "npm run -s plan -- ${{ matrix.environment }} --json out/${{ matrix.environment }}.json --quiet");
        const render = runs.findIndex((r) => r === "npm run -s helm-template -- out/${{ matrix.environment }}.json --out out/helm");
        assert.ok(plan >= 0, "plans each environment offline into a plan document");
        assert.ok(render > plan, "renders the plan document after planning");
        assert.ok(steps(job).findIndex((s) => s.uses?.startsWith("azure/setup-helm@")) < render, "helm is installed before rendering");
        const upload = action(job, "actions/upload-artifact");
        assert.equal(upload.if, "always()");
        assert.match(String(upload.with?.path), /^out\/helm\/?$/);
    });

    test("merges deploy dev, then staging, then production, each with pulumi up and the policy pack", () => {
        const { on, jobs } = workflows.deploy;
        assert.deepEqual(on.push, { branches: ["main"] });
        assert.deepEqual(["dev", "staging", "production"].map((env) => [env, jobs[env].needs, jobs[env].uses, jobs[env].with?.environment]), [
            ["dev", "test", "./.github/workflows/pulumi-up.yml", "dev"],
            ["staging", "dev", "./.github/workflows/pulumi-up.yml", "staging"],
            ["production", "staging", "./.github/workflows/pulumi-up.yml", "production"],
        ]);
        const up = workflows["pulumi-up"].jobs.up;
        assert.equal(up.environment, "${{ inputs.environment }}", "the GitHub environment (production: required reviewers) gates the job");
        assert.deepEqual(up.concurrency, { group: "deploy-${{ inputs.environment }}", "cancel-in-progress": false });
        const pulumi = action(up, "pulumi/actions");
        assert.equal(pulumi.with?.command, "up");
        assert.equal(pulumi.with?.policyPacks, "policies");
        assert.equal(pulumi.with?.policyPackConfigs, "policies/config/${{ inputs.environment }}.json");
        assert.ok(steps(up).findIndex((s) => s.run?.includes("npm run plan")) < steps(up).indexOf(pulumi), "the offline plan runs before up");
    });

    test("drift is detected nightly per environment and fails loudly; backups are verified", () => {
        const { on, jobs } = workflows.drift;
        assert.ok(Array.isArray(on.schedule) && on.schedule.length === 1);
        assert.deepEqual(included(jobs.drift), ["dev", "staging", "production"]);
        const preview = action(jobs.drift, "pulumi/actions");
        assert.deepEqual([preview.with?.command, preview.with?.refresh, preview.with?.["expect-no-changes"]], ["preview", true, true]);
        assert.equal(preview.with?.policyPackConfigs, "${{ steps.pack.outputs.config }}", "a nightly check outside the change windows is no drift");
        assert.ok(steps(jobs.drift).some((s) => s.if === "failure()" && s.run?.includes("gh issue create")));
        assert.ok(steps(jobs["verify-backups"]).some((s) => s.run?.startsWith("npm run verify-backups -- --stack")));
    });
    test("jobs that reach a cluster run where its API endpoint is reachable", () => {
        const up = workflows["pulumi-up"].jobs.up;
        const preview = workflows["pull-request"].jobs.preview;
        const drift = workflows.drift.jobs.drift;
        assert.equal(up["runs-on"], "${{ fromJSON(inputs.runner) }}");
        assert.equal(preview["runs-on"], "${{ fromJSON(matrix.runner) }}");
        assert.equal(drift["runs-on"], "${{ fromJSON(matrix.runner) }}");
        for (const environment of ["dev", "staging", "production"]) {
            const stack = loadStackConfig(projectRoot, environment, []);
            const config = resolveKeelConfig(stack.config, environment);
            const expected = expectedRunner(config, environment);
            const deploy = workflows.deploy.jobs[environment];
            assert.equal(typeof deploy.with?.runner, "string", `deploy.${environment}: the runner is a JSON string`);
            assert.deepEqual(JSON.parse(deploy.with?.runner as string), expected, `deploy.${environment} runs pulumi up on ${JSON.stringify(expected)}`);
            assert.deepEqual(includedRunner(preview, environment), expected, `the ${environment} preview runs on ${JSON.stringify(expected)}`);
            assert.deepEqual(includedRunner(drift, environment), expected, `the ${environment} drift check runs on ${JSON.stringify(expected)}`);
            // A public endpoint (open to deployerCidrs) is reached from GitHub's runners: the check tells them apart.
            const publicEndpoint: KeelConfig = { ...config, kubernetes: { ...config.kubernetes, deployerAccess: "public" } };
            assert.equal(expectedRunner(publicEndpoint, environment), "ubuntu-24.04");
            if (config.kubernetes.enabled && config.kubernetes.deployerAccess === "private") {
                assert.notDeepEqual(expectedRunner(publicEndpoint, environment), expected, `${environment}: a GitHub-hosted runner would be caught`);
            }
        }
    });
});
