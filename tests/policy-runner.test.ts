import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { checkPlanDocument, evaluatePolicies, knownStack, knownStacks, loadPolicyPackConfig, planDocumentLimits, RefusedInput } from "../policies/offline";
import { keelPolicies } from "../policies/rules";
import type { PlanDocument, PlanResource } from "../offline-plan/record";
import { policyCommand, usage } from "../scripts/policy";
import { openForChanges, packConfigFor, planStack, projectRoot } from "./plans";

/**
 * The runner's side of the policy pack: which stack's config judges a plan, what plan
 * documents `npm run policy` refuses (exit 2, one message naming the resource), and that a
 * plan forty times production's size is judged at the pace of 50,000 resources a minute.
 */

const work = mkdtempSync(join(tmpdir(), "keel-policy-runner-"));
let files = 0;

/** A document written to a fresh file: JSON unless given as text. */
function saved(document: unknown): string {
    const file = join(work, `plan-${++files}.json`);
    writeFileSync(file, typeof document === "string" ? document : JSON.stringify(document));
    return file;
}

/** `npm run policy -- ...args` in-process, at a date outside every freeze unless given one. */
async function policy(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const withDate = args.includes("--as-of") || args.includes("--help") ? args : [...args, "--as-of", openForChanges];
    const status = await policyCommand(withDate, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { status, stdout: out.join("\n"), stderr: err.join("\n") };
}

/** Refused with exit 2, nothing on stdout and one clear message: never a TypeError or stack trace. */
async function refused(args: string[], message: RegExp): Promise<void> {
    const result = await policy(...args);
    assert.equal(result.status, 2, `expected exit 2, got ${result.status}: ${result.stdout}${result.stderr}`);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /TypeError|RangeError|Maximum call stack|\n\s+at /);
}

function spawnScript(script: "plan" | "policy", ...args: string[]) {
    return spawnSync(process.execPath, ["--import", "tsx", join(projectRoot, "scripts", `${script}.ts`), ...args], { encoding: "utf8", cwd: projectRoot });
}

let production: PlanDocument;
const document = (resources: unknown[], stack: unknown = "production"): unknown => ({ project: "keel", stack, resources, outputs: {}, policy: { violations: [] } });
/** A copy of the production plan's resources. */
const resources = (): PlanResource[] => structuredClone(production.resources);
const record = (rs: PlanResource[], type: string, name?: string): Record<string, unknown> => {
    const found = rs.find((r) => r.type === type && (name === undefined || r.name === name));
    assert.ok(found, `the production plan has no ${type} ${name ?? ""}`);
    return found as unknown as Record<string, unknown>;
};
const inputsOf = (rs: PlanResource[], type: string, name?: string) => record(rs, type, name).inputs as Record<string, unknown>;
const bucketType = "aws:s3/bucket:Bucket";

before(async () => {
    production = { project: "keel", stack: "production", ...(await planStack("production")), policy: { violations: [] } };
});

describe("the stack whose policy config judges a plan", () => {
    test("the known stacks are those with a policies/config/<stack>.json, and each is a stack of the project", () => {
        assert.deepEqual(knownStacks(), ["dev", "local", "production", "staging"]);
        const projectStacks = readdirSync(projectRoot).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);
        assert.deepEqual(projectStacks.sort(), knownStacks());
    });

    for (const stack of ["../../etc/passwd", "production/../x", "/etc/passwd", "C:\\Windows\\win.ini", "..", ".", ".production", "", "production\u0000", "prod uction", "production/"]) {
        test(`refuses ${JSON.stringify(stack)} as not a plain stack name`, () => {
            assert.throws(() => knownStack(stack), (error: Error) => error instanceof RefusedInput && /is not a plain stack name .*known stacks: dev, local, production, staging/.test(error.message));
            assert.throws(() => loadPolicyPackConfig(stack), RefusedInput);
        });
    }

    for (const stack of ["qa", "Production", "production.json", "PRODUCTION"]) {
        test(`refuses ${JSON.stringify(stack)}, which has no policies/config file of its own name`, () => {
            assert.throws(() => knownStack(stack), { message: `no stack "${stack}": there is no policies/config/${stack}.json (known stacks: dev, local, production, staging)` });
        });
    }

    test("reads the stacks of a config directory, ignoring files that are not plain stack configs", () => {
        const directory = mkdtempSync(join(work, "config-"));
        for (const file of ["prod.json", "qa.yaml", "..json", "notes.txt"]) writeFileSync(join(directory, file), "{}");
        assert.deepEqual(knownStacks(directory), ["prod"]);
        assert.equal(knownStack("prod", directory), "prod");
        assert.throws(() => knownStack("qa", directory), /no stack "qa": there is no policies\/config\/qa\.json \(known stacks: prod\)/);
    });

    test("npm run policy judges by the plan's own stack", async () => {
        const result = await policy(saved(production));
        assert.equal(result.status, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /^Policy pack keel on .* \(stack production, \d+ resources\)/);
    });

    test("--stack chooses another known stack's config, and says so", async () => {
        const result = await policy(saved(production), "--stack", "dev");
        assert.match(result.stdout, /\(stack production, judged as dev, \d+ resources\)/);
    });

    for (const stack of ["../../etc/passwd", "production/../x", "/etc/passwd"]) {
        test(`npm run policy refuses --stack ${stack}`, async () => {
            await refused([saved(production), "--stack", stack], new RegExp(`^stack ${JSON.stringify(stack).replaceAll("/", "\\/").replaceAll(".", "\\.")} is not a plain stack name`));
        });
        test(`npm run policy refuses a plan whose stack is ${stack}`, async () => {
            await refused([saved(document(production.resources, stack))], /: not a Keel plan document: "stack" is ".*", not a plain stack name$/);
        });
    }

    test("npm run policy refuses --stack qa, and a plan of stack qa, which have no policy config", async () => {
        await refused([saved(production), "--stack", "qa"], /^no stack "qa": there is no policies\/config\/qa\.json \(known stacks: dev, local, production, staging\)$/);
        await refused([saved(document(production.resources, "qa"))], /^no stack "qa": there is no policies\/config\/qa\.json/);
    });
});

describe("npm run policy: usage", () => {
    test("--help prints the usage and exits 0", async () => {
        for (const flag of ["--help", "-h"]) {
            const result = await policy(flag);
            assert.equal(result.status, 0);
            assert.equal(result.stdout, usage);
            assert.match(result.stdout, /^usage: npm run policy -- PLAN\.json \[--stack STACK\] \[--as-of DATE\] \[--enforce-freeze\]$/m);
            assert.equal(result.stderr, "");
        }
    });

    const mistakes: [string, string[], RegExp][] = [
        ["no plan document", [], /^no plan document given\nusage: npm run policy/],
        ["two plan documents", ["a.json", "b.json"], /^one plan document at a time, got 2\nusage:/],
        ["an unknown option", ["plan.json", "--stak", "production"], /^unknown option --stak; the options are --stack, --as-of, --enforce-freeze, --help \(-h\)\nusage:/],
        ["--stack without a value", ["plan.json", "--as-of", openForChanges, "--stack"], /^--stack needs a value\nusage:/],
        ["a file that does not exist", [join(work, "missing.json")], /^cannot read .*missing\.json: ENOENT/],
        ["a directory", [work], /^cannot read .*: EISDIR/],
    ];
    for (const [what, args, message] of mistakes) {
        test(`refuses ${what}`, async () => refused(args, message));
    }

    test("refuses a date --as-of cannot read", async () => {
        await refused([saved(production), "--as-of", "next tuesday"], /^--as-of expects an ISO 8601 date or instant, got "next tuesday"; e\.g\. 2026-10-15 or 2026-10-15T12:00:00Z$/);
    });
});

describe("npm run policy: malformed plan documents", () => {
    const valid = (): Record<string, unknown> => structuredClone(production.resources[1]) as unknown as Record<string, unknown>;
    const withResource = (resource: unknown) => saved(document([...production.resources.slice(0, 1), resource]));

    const documents: [string, unknown, RegExp][] = [
        ["text that is not JSON", "resources: []", /^.*plan-\d+\.json is not JSON \(Unexpected token .*\); expected a plan document from `npm run plan -- <stack> --json .*plan-\d+\.json`$/],
        ["an empty file", "", /is not JSON \(Unexpected end of JSON input\)/],
        ["a JSON list", [], /: not a Keel plan document: it is a list, expected an object with "stack" and "resources"$/],
        ["null", null, /: not a Keel plan document: it is null, expected an object/],
        ["a JSON string", "\"production\"", /: not a Keel plan document: it is a string, expected an object/],
        ["no stack", { resources: [] }, /: not a Keel plan document: "stack" is missing, expected the stack's name$/],
        ["a stack that is a number", { stack: 1, resources: [] }, /: not a Keel plan document: "stack" is a number, expected the stack's name$/],
        ["no resources", { stack: "production" }, /: not a Keel plan document: "resources" is missing, expected a list of resources$/],
        ["resources as an object", { stack: "production", resources: {} }, /: not a Keel plan document: "resources" is an object, expected a list of resources$/],
        ["resources as a string", { stack: "production", resources: "[]" }, /"resources" is a string, expected a list of resources$/],
        ["no resource at all", { stack: "production", resources: [] }, /: not a Keel plan document: "resources" is empty; every plan has at least its stack resource$/],
    ];
    for (const [what, given, message] of documents) {
        test(`refuses ${what}`, async () => refused([saved(given)], message));
    }

    for (const [what, resource, message] of [
        ["a resource that is a string", "urn:pulumi:production::keel::x::y", /: resources\[1\]: is a string, expected a resource object$/],
        ["a resource that is null", null, /: resources\[1\]: is null, expected a resource object$/],
        ["a resource that is a list", [], /: resources\[1\]: is a list, expected a resource object$/],
    ] as const) {
        test(`refuses ${what}`, async () => refused([withResource(resource)], message));
    }

    const fields = ["urn", "type", "name", "parent", "provider", "region", "custom", "inputs", "protect", "retainOnDelete", "dependencies"];
    for (const field of fields) {
        test(`refuses a resource without "${field}", naming it`, async () => {
            const resource = valid();
            delete resource[field];
            const label = field === "urn" ? `resources\\[1\\] \\(type "${resource.type as string}"\\)` : `resources\\[1\\] \\("${(resource.urn as string).replaceAll("$", "\\$")}"\\)`;
            await refused([withResource(resource)], new RegExp(`: ${label}: has no "${field}" \\(expected `));
        });
    }

    test("names a resource with neither URN nor type by its index", async () => {
        await refused([withResource({ name: "x" })], /: resources\[1\]: has no "urn" \(expected a non-empty string\)$/);
    });

    const wrong: [string, unknown, RegExp][] = [
        ["inputs", "{\"bucket\":\"x\"}", /"inputs" is a string, expected an object$/],
        ["inputs", ["a"], /"inputs" is a list, expected an object$/],
        ["inputs", null, /"inputs" is null, expected an object$/],
        ["inputs", 3, /"inputs" is a number, expected an object$/],
        ["dependencies", "urn:pulumi:production::keel::x::y", /"dependencies" is a string, expected a list of URNs$/],
        ["dependencies", { 0: "urn" }, /"dependencies" is an object, expected a list of URNs$/],
        ["dependencies", ["urn:pulumi:production::keel::pulumi:pulumi:Stack::keel-production", 7], /"dependencies\[1\]" is a number, expected a URN$/],
        ["dependencies", [null], /"dependencies\[0\]" is null, expected a URN$/],
        ["dependencies", [""], /"dependencies\[0\]" is a string, expected a URN$/],
        ["urn", 42, /: resources\[1\] \(type ".*"\): "urn" is a number, expected a non-empty string$/],
        ["urn", "", /: resources\[1\] \(type ".*"\): "urn" is a string, expected a non-empty string$/],
        ["type", ["aws:s3/bucket:Bucket"], /"type" is a list, expected a non-empty string$/],
        ["parent", 1, /"parent" is a number, expected a string or null$/],
        ["provider", {}, /"provider" is an object, expected a string or null$/],
        ["protect", "true", /"protect" is a string, expected true or false$/],
    ];
    for (const [field, value, message] of wrong) {
        test(`refuses ${field} given as ${JSON.stringify(value)}`, async () => refused([withResource({ ...valid(), [field]: value })], message));
    }

    test("refuses a URN given twice, naming both resources", async () => {
        const [stack, first] = production.resources;
        await refused([saved(document([stack, first, { ...first, name: "other" }]))], new RegExp(`: resources\\[2\\] \\(".*"\\): has the URN of resources\\[1\\]; every resource's URN is unique$`));
    });

    for (const field of ["parent", "provider"] as const) {
        test(`refuses a ${field} that is not in the plan`, async () => {
            const rs = resources();
            const withReference = rs.find((r) => r[field] !== null);
            assert.ok(withReference);
            rs.splice(rs.findIndex((r) => r.urn === withReference[field]), 1);
            await refused([saved(document(rs))], new RegExp(`: resources\\[\\d+\\] \\(".*"\\): "${field}" names "urn:pulumi:production::keel::.*", which is not a resource of the plan$`));
        });
    }

    test("refuses a dependency that is not in the plan", async () => {
        const resource = { ...valid(), dependencies: ["urn:pulumi:production::keel::aws:s3/bucket:Bucket::gone"] };
        await refused([withResource(resource)], /"dependencies\[0\]" names "urn:pulumi:production::keel::aws:s3\/bucket:Bucket::gone", which is not a resource of the plan$/);
    });

    /** The JSON of a value nested `depth` deep, as objects or as lists (JSON.stringify would overflow the stack). */
    const nested = (depth: number, as: "object" | "list"): string => (as === "object" ? `${'{"a":'.repeat(depth)}"leaf"${"}".repeat(depth)}` : `${"[".repeat(depth)}"leaf"${"]".repeat(depth)}`);
    const withInputsText = (inputs: string) => saved(JSON.stringify(document([production.resources[0], { ...valid(), inputs: "INPUTS" }])).replace('"INPUTS"', inputs));

    for (const as of ["object", "list"] as const) {
        for (const depth of [planDocumentLimits.depth, 100_000]) {
            test(`refuses inputs nested ${depth} deep as ${as}s, without overflowing the stack`, async () => {
                const path = as === "object" ? /inputs\.deep\.a\.a…\.a\.a nests deeper than 64 levels; no plan does$/ : /inputs\.deep\[0\]\[0\]…\[0\]\[0\] nests deeper than 64 levels; no plan does$/;
                await refused([withInputsText(`{"deep":${nested(depth, as)}}`)], path);
            });
        }
    }

    test("accepts nesting well beyond the production plan's (14 levels)", async () => {
        const rs = resources();
        inputsOf(rs, bucketType).padding = JSON.parse(nested(40, "object"));
        const result = await policy(saved(document(rs)));
        assert.notEqual(result.status, 2, result.stderr);
    });

    test("refuses a string longer than any plan value, naming where it is", async () => {
        const huge = "x".repeat(planDocumentLimits.stringLength + 1);
        await refused([withResource({ ...valid(), inputs: { tags: { note: huge } } })], /: resources\[1\] \(".*"\): inputs\.tags\.note is a string of 1048577 characters; no plan value is longer than 1048576$/);
        await refused([withResource({ ...valid(), name: huge })], /: resources\[1\] \(".*"\): name is a string of 1048577 characters/);
    });

    test("refuses a huge URN without printing it whole", async () => {
        const result = await policy(withResource({ ...valid(), urn: `urn:${"u".repeat(planDocumentLimits.stringLength)}` }));
        assert.equal(result.status, 2);
        assert.match(result.stderr, /: resources\[1\] \("urn:u+…"\): urn is a string of 1048580 characters/);
        assert.ok(result.stderr.length < 1000);
    });

    test("refuses a key longer than any plan's", async () => {
        await refused([withResource({ ...valid(), inputs: { ["k".repeat(planDocumentLimits.stringLength + 1)]: 1 } })], /: inputs has a key of 1048577 characters; no plan has one longer than 1048576$/);
    });

    test("refuses a string nesting brackets deeper than a rule parsing it should recurse", async () => {
        await refused([withResource({ ...valid(), inputs: { policy: `${"[".repeat(200_000)}${"]".repeat(200_000)}` } })], /: inputs\.policy is a string nesting brackets more than 64 deep; no plan value does$/);
    });

    test("checkPlanDocument hands back the stack and the very resources", () => {
        const checked = checkPlanDocument(production);
        assert.equal(checked.stack, "production");
        assert.equal(checked.resources, production.resources);
    });
});

describe("npm run policy: values real plans carry as strings are still judged", () => {
    const refusedBy = async (rs: PlanResource[], policyName: string) => {
        const result = await policy(saved(document(rs)));
        assert.equal(result.status, 1, `expected ${policyName} to refuse: ${result.stdout}${result.stderr}`);
        assert.match(result.stdout, new RegExp(`\\[mandatory\\] {2}${policyName} `));
    };

    test("user data, base64-encoded, with an AWS secret key in it", async () => {
        const rs = resources();
        const template = inputsOf(rs, "aws:ec2/launchTemplate:LaunchTemplate");
        const script = Buffer.from(String(template.userData), "base64").toString("utf8");
        template.userData = Buffer.from(`${script}\nexport AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n`).toString("base64");
        await refusedBy(rs, "keel-ec2-user-data-secrets");
    });

    test("an IAM role policy given as a JSON string that allows everything", async () => {
        const rs = resources();
        inputsOf(rs, "aws:iam/rolePolicy:RolePolicy").policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
        await refusedBy(rs, "keel-iam-no-wildcard-admin");
    });

    test("Alertmanager's configuration given in Helm values as a silent YAML string", async () => {
        const rs = resources();
        const values = inputsOf(rs, "kubernetes:helm.sh/v3:Release", "monitoring-kube-prometheus-stack").values as Record<string, Record<string, unknown>>;
        values.alertmanager.config = "route:\n  receiver: slack\nreceivers:\n  - name: slack\n    slack_configs:\n      - channel: '#alerts'\n        api_url_file: /etc/alertmanager/secrets/slack-webhook-url\n";
        await refusedBy(rs, "keel-critical-alerts-page");
    });
});

describe("a policy that throws", () => {
    test("is reported with the policy and the resource it was judging", async () => {
        const rs = resources();
        const crashing = { name: "test-crash", description: "reads a property of null", validateResource: () => void (null as unknown as { x: number }).x };
        await assert.rejects(evaluatePolicies({ resources: rs }, [crashing]), { name: "PolicyFailure", message: `policy test-crash failed on ${rs[0].urn}: Cannot read properties of null (reading 'x')` });
    });
});

describe("the scripts themselves", () => {
    test("npm run policy: --help exits 0, a malformed plan exits 2 with one line and no stack trace", () => {
        const help = spawnScript("policy", "--help");
        assert.equal(help.status, 0);
        assert.equal(help.stdout, `${usage}\n`);
        const malformed = spawnScript("policy", saved(document([{ ...production.resources[0], inputs: "x" }])));
        assert.equal(malformed.status, 2);
        assert.match(malformed.stderr, /^.*plan-\d+\.json: resources\[0\] \("urn:pulumi:production::keel::pulumi:pulumi:Stack::keel-production"\): "inputs" is a string, expected an object\n$/);
        assert.equal(malformed.stdout, "");
    });

    test("npm run plan: --help exits 0", () => {
        const help = spawnScript("plan", "--help");
        assert.equal(help.status, 0);
        assert.match(help.stdout, /^usage: npm run plan -- <stack> /);
    });

    const planMistakes: [string[], RegExp][] = [
        [["qa"], /^no stack "qa": there is no policies\/config\/qa\.json \(known stacks: dev, local, production, staging\)\n$/],
        [["../../etc/passwd"], /^stack "\.\.\/\.\.\/etc\/passwd" is not a plain stack name/],
        [["production/../x"], /^stack "production\/\.\.\/x" is not a plain stack name/],
        [["/etc/passwd"], /^stack "\/etc\/passwd" is not a plain stack name/],
        [[], /^no stack given\nusage: npm run plan -- <stack>/],
        [["production", "staging"], /^one stack at a time, got 2: production, staging\nusage:/],
        [["production", "--jsn", "x"], /^unknown option --jsn; the options are --diff, --json, .*\nusage:/],
        [["production", "--as-of", "soon"], /^--as-of expects an ISO 8601 date or instant, got "soon"; e\.g\. 2026-10-15 or 2026-10-15T12:00:00Z\n$/],
        [["production", "--config", "dr.active"], /^invalid Keel configuration \(1 problem\):\n  - --config "dr\.active": expected namespace:path=value, such as keel:database\.backupRetentionDays=14, got no "="\n$/],
    ];
    for (const [args, message] of planMistakes) {
        test(`npm run plan refuses ${JSON.stringify(args)} before planning`, () => {
            const result = spawnScript("plan", ...args);
            assert.equal(result.status, 2, result.stdout + result.stderr);
            assert.equal(result.stdout, "");
            assert.match(result.stderr, message);
            assert.doesNotMatch(result.stderr, /\n\s+at /);
        });
    }
});

describe("a plan forty times production's size", () => {
    /** The production plan repeated under other stack names, so every URN and reference is its own. */
    function largePlan(size: number): PlanResource[] {
        const text = JSON.stringify(production.resources);
        const copies = Math.ceil(size / production.resources.length);
        return Array.from({ length: copies }, (_, i) => JSON.parse(i === 0 ? text : text.replaceAll("urn:pulumi:production::", `urn:pulumi:production${i}::`)) as PlanResource[]).flat();
    }

    // The pace asked of the runner: 50,000 resources checked and judged within a minute.
    const resourcesPerSecond = 50_000 / 60;

    test("is checked and judged by the whole pack at 50,000 resources a minute or faster", async (t) => {
        const plan = largePlan(40 * production.resources.length);
        const started = performance.now();
        const checked = checkPlanDocument(document(plan));
        const checkedAfter = performance.now() - started;
        await evaluatePolicies(checked, keelPolicies, packConfigFor("production"));
        const seconds = (performance.now() - started) / 1000;
        t.diagnostic(`${plan.length} resources: document checked in ${(checkedAfter / 1000).toFixed(1)} s, checked and judged in ${seconds.toFixed(1)} s`);
        assert.ok(seconds < plan.length / resourcesPerSecond, `${plan.length} resources took ${seconds.toFixed(1)} s`);
    });
});
