import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { changesShown, diffPlans, renderDiff, resourceIdentity, valueChanges, type ComparedPlan } from "./diff";
import type { PlanResource } from "../../offline-plan/record";
import { formatChange, formatValue } from "./values";

/** A resource of stack `stack` as the recorder writes it. */
function resource(stack: string, type: string, name: string, inputs: Record<string, unknown>, extra: Partial<PlanResource> = {}): PlanResource {
    return {
        urn: `urn:pulumi:${stack}::keel::${type}::${name}`,
        type,
        name,
        parent: null,
        provider: null,
        region: type.startsWith("aws:") ? "us-east-1" : null,
        custom: true,
        inputs,
        protect: false,
        retainOnDelete: false,
        dependencies: [],
        ...extra,
    };
}

const plan = (resources: PlanResource[], outputs: Record<string, unknown> = {}): ComparedPlan => ({ resources, outputs });

describe("valueChanges: the leaves that differ", () => {
    test("names nested paths, list indices and keys that are not identifiers", () => {
        const before = { tags: { owner: "a", "kubernetes.io/role/elb": "1" }, ingress: [{ fromPort: 443 }, { fromPort: 80 }] };
        const after = { tags: { owner: "b", "kubernetes.io/role/elb": "1" }, ingress: [{ fromPort: 443 }, { fromPort: 8080 }, { fromPort: 22 }] };
        assert.deepEqual(valueChanges(before, after), [
            { path: "tags.owner", before: "a", after: "b" },
            { path: "ingress[1].fromPort", before: 80, after: 8080 },
            { path: "ingress[2]", before: undefined, after: { fromPort: 22 } },
        ]);
        assert.deepEqual(valueChanges({ tags: { "a b": 1 } }, { tags: { "a b": 2 } }), [{ path: 'tags["a b"]', before: 1, after: 2 }]);
    });

    test("a list of plain values, an added or removed key and a changed kind are one change each", () => {
        assert.deepEqual(valueChanges({ records: ["a"], gone: 1 }, { records: ["b"], added: { x: 1 } }), [
            { path: "records", before: ["a"], after: ["b"] },
            { path: "gone", before: 1, after: undefined },
            { path: "added", before: undefined, after: { x: 1 } },
        ]);
        assert.deepEqual(valueChanges({ a: { x: 1 } }, { a: [{ x: 1 }] }), [{ path: "a", before: { x: 1 }, after: [{ x: 1 }] }]);
    });

    test("reads JSON strings (IAM policies, dashboards) by their content", () => {
        const policy = (resource: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Resource: resource }] });
        assert.deepEqual(valueChanges({ policy: policy("arn:a") }, { policy: policy("arn:b") }), [{ path: "policy.Statement[0].Resource", before: "arn:a", after: "arn:b" }]);
        // Same content, other spacing: the strings differ, and that is what is shown.
        assert.deepEqual(valueChanges({ p: '{"a":1}' }, { p: '{ "a": 1 }' }), [{ path: "p", before: '{"a":1}', after: '{ "a": 1 }' }]);
    });

    test("reads base64 user data as the text it encodes; other strings stay as they are", () => {
        const userData = (image: string) => Buffer.from(`#!/bin/bash\ndocker run ${image}\n`).toString("base64");
        assert.deepEqual(valueChanges({ userData: userData("app:1.4.1") }, { userData: userData("app:1.4.2") }), [
            { path: "userData (base64, decoded)", before: "#!/bin/bash\ndocker run app:1.4.1\n", after: "#!/bin/bash\ndocker run app:1.4.2\n" },
        ]);
        assert.deepEqual(valueChanges({ id: "subnet0123456789" }, { id: "subnet9876543210" }), [{ path: "id", before: "subnet0123456789", after: "subnet9876543210" }]);
    });

    test("secrets are compared as the marker: a secret's change is invisible, never revealed", () => {
        assert.deepEqual(valueChanges({ password: "[secret]" }, { password: "[secret]" }), []);
        assert.deepEqual(valueChanges({ password: "[secret]" }, { password: "plain" }), [{ path: "password", before: "[secret]", after: "plain" }]);
    });
});

describe("values on one line", () => {
    test("absent, markers, strings and structures", () => {
        assert.equal(formatValue(undefined), "(unset)");
        assert.equal(formatValue("[secret]"), "[secret]");
        assert.equal(formatValue("[unknown]"), "[unknown]");
        assert.equal(formatValue("a\"b"), '"a\\"b"');
        assert.equal(formatValue(35), "35");
        assert.equal(formatValue(["a", "b"]), '["a","b"]');
        assert.equal(formatChange(undefined, 35), "(unset) → 35");
    });

    test("long values are cut with their length; two long strings are shown where they start to differ", () => {
        const long = "x".repeat(200);
        assert.equal(formatValue(long), `"${"x".repeat(80)}"… (200 chars)`);
        assert.equal(formatValue({ list: Array.from({ length: 40 }, (_, i) => i) }), `${JSON.stringify({ list: Array.from({ length: 40 }, (_, i) => i) }).slice(0, 80)}…`);
        const script = (n: number) => `#!/bin/bash\n${"echo setting up the instance; ".repeat(5)}export WORKERS=${n}\n${"echo done; ".repeat(20)}`;
        const change = formatChange(script(2), script(4));
        assert.match(change, /^…"export WORKERS=2\\necho done;[^"]*"… \(\d+ chars\) → …"export WORKERS=4\\necho done;[^"]*"… \(\d+ chars\)$/);
    });
});

describe("diffPlans", () => {
    const bucket = (stack: string, inputs: Record<string, unknown>, extra: Partial<PlanResource> = {}) => resource(stack, "aws:s3/bucket:Bucket", "uploads", inputs, extra);
    const before = plan([resource("production", "pulumi:pulumi:Stack", "keel-production", {}), bucket("production", { tags: { owner: "a" } }), resource("production", "aws:sns/topic:Topic", "old", {})], { url: "https://a", drActive: false });
    const after = plan([resource("production", "pulumi:pulumi:Stack", "keel-production", {}), bucket("production", { tags: { owner: "b" } }), resource("production", "aws:sns/topic:Topic", "new", {})], { url: "https://a", drActive: true });

    test("created, updated and deleted resources, unchanged ones counted, changed outputs", () => {
        const diff = diffPlans(before, after);
        assert.deepEqual(diff.added.map((r) => r.name), ["new"]);
        assert.deepEqual(diff.removed.map((r) => r.name), ["old"]);
        assert.deepEqual(diff.changed.map((u) => [u.resource.name, u.changes]), [["uploads", [{ path: "tags.owner", before: "a", after: "b" }]]]);
        assert.equal(diff.unchanged, 1);
        assert.deepEqual(diff.outputs, [{ path: "drActive", before: false, after: true }]);
        assert.equal(
            renderDiff(diff),
            [
                "  + aws:sns:Topic new (us-east-1)",
                "  ~ aws:s3:Bucket uploads (us-east-1)",
                '      tags.owner: "a" → "b"',
                "  - aws:sns:Topic old (us-east-1)",
                "Outputs:",
                "  ~ drActive: false → true",
                "Resources: + 1 to create, ~ 1 to update, - 1 to delete, 1 unchanged",
            ].join("\n"),
        );
    });

    test("no difference is only the summary line", () => {
        assert.equal(renderDiff(diffPlans(before, before)), "Resources: 3 unchanged");
    });

    test("protect, retainOnDelete and the provider are changes too", () => {
        const provider = (name: string) => `urn:pulumi:production::keel::pulumi:providers:aws::${name}`;
        const diff = diffPlans(plan([bucket("production", {}, { provider: provider("primary") })]), plan([bucket("production", {}, { protect: true, provider: provider("dr") })]));
        assert.equal(
            renderDiff(diff),
            ["  ~ aws:s3:Bucket uploads (us-east-1)", "      protect (option): false → true", '      provider (option): "pulumi:providers:aws::primary" → "pulumi:providers:aws::dr"', "Resources: ~ 1 to update"].join("\n"),
        );
    });

    test("plans of two stacks are matched by type and name, not by URN", () => {
        assert.equal(resourceIdentity("urn:pulumi:staging::keel::keel:backup:BackupBucket$aws:s3/bucket:Bucket::uploads"), "keel:backup:BackupBucket$aws:s3/bucket:Bucket::uploads");
        const diff = diffPlans(plan([bucket("staging", { tags: { environment: "staging" } })]), plan([bucket("production", { tags: { environment: "production" } })]));
        assert.deepEqual([diff.added.length, diff.removed.length, diff.changed.length], [0, 0, 1]);
    });

    test(`shows at most ${changesShown} changes of a resource and counts the rest`, () => {
        const many = (value: number) => Object.fromEntries(Array.from({ length: changesShown + 3 }, (_, i) => [`key${i}`, value]));
        const lines = renderDiff(diffPlans(plan([bucket("production", many(1))]), plan([bucket("production", many(2))]))).split("\n");
        assert.equal(lines.length, 1 + changesShown + 1 + 1);
        assert.equal(lines.at(-2), "      … 3 more changes");
    });
});
