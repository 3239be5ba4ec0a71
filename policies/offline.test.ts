import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    validateResourceOfType,
    type PolicyPackConfig,
    type PolicyResource,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    type StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyViolation } from "../offline-plan/record";
import { evaluatePolicies, loadPolicyPackConfig, mandatoryViolations } from "./offline";
import { keelPolicies } from "./rules";
import { calendarAsOf } from "./rules/change-calendar";
import { messages, planOf, provider, resource, runPolicy } from "./testing";

const bucketType = "aws:s3/bucket:Bucket";

/** A resource policy that reports every resource it sees, as "<name>". */
function reportEveryResource(overrides: Partial<ResourceValidationPolicy> = {}): ResourceValidationPolicy {
    return {
        name: "test-every-resource",
        description: "reports every resource",
        validateResource: (args, report) => report(args.name),
        ...overrides,
    };
}

/** A resource policy that keeps the args it was called with. */
function capture(overrides: Partial<ResourceValidationPolicy> = {}): { policy: ResourceValidationPolicy; seen: ResourceValidationArgs[] } {
    const seen: ResourceValidationArgs[] = [];
    return { seen, policy: { name: "test-capture", description: "captures args", validateResource: (args) => void seen.push(args), ...overrides } };
}

describe("evaluatePolicies", () => {
    describe("enforcement levels", () => {
        const one = [resource(bucketType, {}, { name: "b" })];
        const levels = async (policy: ResourceValidationPolicy, config?: PolicyPackConfig) => (await runPolicy(policy, one, config)).map((v) => v.enforcementLevel);

        it("takes the level from the policy", async () => {
            assert.deepEqual(await levels(reportEveryResource({ enforcementLevel: "mandatory" })), ["mandatory"]);
            assert.deepEqual(await levels(reportEveryResource({ enforcementLevel: "advisory" })), ["advisory"]);
        });

        it("defaults to advisory when neither the policy nor the config sets one", async () => {
            assert.deepEqual(await levels(reportEveryResource()), ["advisory"]);
        });

        const overrides: readonly [string, PolicyPackConfig[string]][] = [
            ["a plain string", "advisory"],
            ["{ enforcementLevel }", { enforcementLevel: "advisory" }],
            ["{ enforcementLevel, settings }", { enforcementLevel: "advisory", unrelated: 1 }],
        ];
        for (const [form, given] of overrides) {
            it(`lets pack config given as ${form} override the policy's level`, async () => {
                assert.deepEqual(await levels(reportEveryResource({ enforcementLevel: "mandatory" }), { "test-every-resource": given }), ["advisory"]);
            });
        }

        it("keeps the policy's level when the config object sets only settings", async () => {
            assert.deepEqual(await levels(reportEveryResource({ enforcementLevel: "mandatory" }), { "test-every-resource": { unrelated: 1 } }), ["mandatory"]);
        });

        it("ignores config for other policies", async () => {
            assert.deepEqual(await levels(reportEveryResource({ enforcementLevel: "mandatory" }), { "some-other-policy": "disabled" }), ["mandatory"]);
        });

        for (const disabled of ["disabled", { enforcementLevel: "disabled" }] as const) {
            it(`skips a policy disabled by ${JSON.stringify(disabled)} without running it`, async () => {
                const { policy, seen } = capture({ enforcementLevel: "mandatory" });
                assert.deepEqual(await runPolicy(policy, one, { "test-capture": disabled }), []);
                assert.equal(seen.length, 0);
            });
        }

        it("skips a policy whose own level is disabled", async () => {
            assert.deepEqual(await levels(reportEveryResource({ enforcementLevel: "disabled" })), []);
        });

        it("reports a violation at remediate as mandatory, as @pulumi/policy's analyzer does", async () => {
            assert.deepEqual(await levels(reportEveryResource({ enforcementLevel: "remediate" })), ["mandatory"]);
            assert.deepEqual(await levels(reportEveryResource(), { "test-every-resource": "remediate" }), ["mandatory"]);
        });
    });

    describe("policy config", () => {
        const schemaPolicy = (seen: object[]): ResourceValidationPolicy => ({
            name: "test-config",
            description: "records its config",
            enforcementLevel: "advisory",
            configSchema: {
                properties: {
                    limit: { type: "number", default: 3 },
                    names: { type: "array", items: { type: "string" }, default: ["a"] },
                    optional: { type: "string" },
                },
            },
            validateResource: (args) => void seen.push(args.getConfig<object>()),
        });
        const one = [resource(bucketType, {})];

        it("hands schema defaults to getConfig()", async () => {
            const seen: object[] = [];
            await runPolicy(schemaPolicy(seen), one);
            assert.deepEqual(seen, [{ limit: 3, names: ["a"] }]);
        });

        it("lets pack config override defaults and add settings, without enforcementLevel", async () => {
            const seen: object[] = [];
            await runPolicy(schemaPolicy(seen), one, { "test-config": { enforcementLevel: "mandatory", limit: 7, optional: "x" } });
            assert.deepEqual(seen, [{ limit: 7, names: ["a"], optional: "x" }]);
        });

        it("keeps the defaults when the config is just a level", async () => {
            const seen: object[] = [];
            await runPolicy(schemaPolicy(seen), one, { "test-config": "mandatory" });
            assert.deepEqual(seen, [{ limit: 3, names: ["a"] }]);
        });

        it("gives an empty config to a policy without a schema", async () => {
            const seen: object[] = [];
            await runPolicy({ ...schemaPolicy(seen), configSchema: undefined }, one);
            assert.deepEqual(seen, [{}]);
        });
    });

    describe("resource validation args", () => {
        it("carries the record's type, name, urn, props and options", async () => {
            const parent = resource("keel:backup:BackupBucket", {}, { name: "backups" });
            const fixture = resource(bucketType, { bucketPrefix: "keel-" }, { name: "primary", parent: parent.resource, protect: true });
            const { policy, seen } = capture();
            await runPolicy(policy, [parent, fixture]);
            const args = seen.find((a) => a.urn === fixture.resource.urn);
            assert.ok(args);
            assert.equal(args.type, bucketType);
            assert.equal(args.name, "primary");
            assert.equal(args.urn, "urn:pulumi:test::keel::keel:backup:BackupBucket$aws:s3/bucket:Bucket::primary");
            assert.deepEqual(args.props, { bucketPrefix: "keel-" });
            assert.equal(args.opts.protect, true);
            assert.equal(args.opts.parent, parent.resource.urn);
            assert.equal(seen.find((a) => a.urn === parent.resource.urn)?.opts.protect, false);
        });

        it("gives args.provider the provider record's type, props, urn and name", async () => {
            const fixture = resource(bucketType, {}, { provider: { name: "primary", region: "us-west-2", defaultTags: { owner: "platform" } } });
            const { policy, seen } = capture();
            await runPolicy(policy, [fixture]);
            const args = seen.find((a) => a.type === bucketType);
            assert.deepEqual(args?.provider, {
                type: "pulumi:providers:aws",
                props: { region: "us-west-2", defaultTags: '{"tags":{"owner":"platform"}}' },
                urn: "urn:pulumi:test::keel::pulumi:providers:aws::primary",
                name: "primary",
            });
        });

        it("leaves args.provider undefined for a resource without one, or whose provider is not in the plan", async () => {
            const orphan = { ...resource(bucketType, {}, { name: "orphan" }).resource, provider: "urn:pulumi:test::keel::pulumi:providers:aws::missing" };
            const { policy, seen } = capture();
            await runPolicy(policy, [resource(bucketType, {}, { name: "none" }), orphan]);
            assert.deepEqual(
                seen.map((a) => a.provider),
                [undefined, undefined],
            );
        });

        it("makes isType/asType answer for real resource classes", async () => {
            const bucket = resource(bucketType, { forceDestroy: true }, { name: "b" });
            const versioning = resource("aws:s3/bucketVersioning:BucketVersioning", {}, { name: "v" });
            const { policy, seen } = capture();
            await runPolicy(policy, [bucket, versioning]);
            const [onBucket, onVersioning] = seen;
            assert.ok(onBucket && onVersioning);
            assert.equal(onBucket.isType(aws.s3.Bucket), true);
            assert.equal(onBucket.isType(aws.s3.BucketVersioning), false);
            assert.equal(onBucket.isType(aws.rds.Instance), false);
            assert.equal(onVersioning.isType(aws.s3.BucketVersioning), true);
            assert.deepEqual(onBucket.asType(aws.s3.Bucket), { forceDestroy: true });
            assert.equal(onBucket.asType(aws.kms.Key), undefined);
        });

        it("falls back to isInstance for a class without a registered type token", async () => {
            class Component extends pulumi.ComponentResource {
                static isInstance(obj: unknown): obj is Component {
                    return typeof obj === "object" && obj !== null && (obj as { __pulumiType?: unknown }).__pulumiType === "keel:test:Component";
                }
            }
            const { policy, seen } = capture();
            await runPolicy(policy, [resource("keel:test:Component", {}, { name: "c" }), resource(bucketType, {}, { name: "b" })]);
            assert.deepEqual(
                seen.map((a) => a.isType(Component)),
                [true, false],
            );
        });

        it("runs validateResourceOfType from @pulumi/policy on the matching type only", async () => {
            const policy: ResourceValidationPolicy = {
                name: "test-typed",
                description: "buckets must not force-destroy",
                enforcementLevel: "mandatory",
                validateResource: validateResourceOfType(aws.s3.Bucket, (bucket, _args, report) => {
                    if (bucket.forceDestroy) report("forceDestroy is set");
                }),
            };
            const violations = await runPolicy(policy, [
                resource(bucketType, { forceDestroy: true }, { name: "bad" }),
                resource(bucketType, { forceDestroy: false }, { name: "good" }),
                resource("aws:kms/key:Key", { forceDestroy: true }, { name: "key" }),
            ]);
            assert.deepEqual(
                violations.map((v) => [v.message, v.urn]),
                [["forceDestroy is set", "urn:pulumi:test::keel::aws:s3/bucket:Bucket::bad"]],
            );
        });

        it("runs every validation of an array and awaits async ones", async () => {
            const policy = reportEveryResource({
                validateResource: [
                    (args, report) => report(`first ${args.name}`),
                    async (args, report) => {
                        await new Promise((resolve) => setImmediate(resolve));
                        report(`second ${args.name}`);
                    },
                ],
            });
            assert.deepEqual(messages(await runPolicy(policy, [resource(bucketType, {}, { name: "x" })])), ["first x", "second x"]);
        });

        it("attributes a violation to the resource unless the policy names another URN", async () => {
            const policy = reportEveryResource({ validateResource: (args, report) => report(args.name, args.name === "b" ? "urn:other" : undefined) });
            const violations = await runPolicy(policy, [resource(bucketType, {}, { name: "a" }), resource(bucketType, {}, { name: "b" })]);
            assert.deepEqual(
                violations.map((v) => v.urn),
                ["urn:pulumi:test::keel::aws:s3/bucket:Bucket::a", "urn:other"],
            );
        });

        it("swallows notApplicable() and keeps checking other resources", async () => {
            const policy = reportEveryResource({
                validateResource: (args, report) => {
                    if (args.name !== "checked") args.notApplicable(`only "checked" applies`);
                    report(`checked ${args.name}`);
                },
            });
            const violations = await runPolicy(policy, [resource(bucketType, {}, { name: "skipped" }), resource(bucketType, {}, { name: "checked" })]);
            assert.deepEqual(messages(violations), ["checked checked"]);
        });

        it("lets any other error out, naming the policy and the resource", async () => {
            const fixture = resource(bucketType, {}, { name: "b" });
            const failing = (validateResource: ResourceValidationPolicy["validateResource"]) => runPolicy(reportEveryResource({ validateResource }), [fixture]);
            const failure = { name: "PolicyFailure", message: `policy test-every-resource failed on ${fixture.resource.urn}: boom` };
            await assert.rejects(
                failing(() => {
                    throw new Error("boom");
                }),
                failure,
            );
            await assert.rejects(
                failing(async () => {
                    await new Promise((resolve) => setImmediate(resolve));
                    throw new Error("boom");
                }),
                failure,
            );
        });

        it("swallows notApplicable() from an async validation", async () => {
            const policy = reportEveryResource({
                validateResource: async (args) => {
                    await new Promise((resolve) => setImmediate(resolve));
                    args.notApplicable();
                },
            });
            assert.deepEqual(await runPolicy(policy, [resource(bucketType, {})]), []);
        });

        it("says a value nests too deeply rather than that the call stack overflowed", async () => {
            const recurse = (depth: number): number => (depth === 0 ? 0 : 1 + recurse(depth - 1));
            const policy = reportEveryResource({ validateResource: () => void recurse(1e7) });
            await assert.rejects(runPolicy(policy, [resource(bucketType, {}, { name: "b" })]), { message: /^policy test-every-resource failed on urn:pulumi:test::keel::aws:s3\/bucket:Bucket::b: a value nests too deeply to judge$/ });
        });
    });

    describe("stack validation", () => {
        const component = resource("keel:backup:BackupBucket", {}, { name: "backups" });
        const aws1 = provider({ name: "primary", region: "us-east-1" });
        const bucket = resource(bucketType, {}, { name: "backups-bucket", parent: component.resource, provider: aws1, protect: true });
        const versioning = resource("aws:s3/bucketVersioning:BucketVersioning", { bucket: bucket.resource.urn }, { name: "backups-versioning", parent: component.resource, provider: aws1, dependsOn: [bucket.resource] });
        const plan = [component, bucket, versioning];

        it("sees every resource once, with parent, dependencies and provider resolved", async () => {
            let seen: readonly PolicyResource[] = [];
            const policy: StackValidationPolicy = {
                name: "test-stack",
                description: "captures the stack",
                enforcementLevel: "mandatory",
                validateStack: (args) => {
                    seen = args.resources;
                },
            };
            assert.deepEqual(await runPolicy(policy, plan), []);
            assert.deepEqual(
                seen.map((r) => r.name),
                ["backups", "primary", "backups-bucket", "backups-versioning"],
            );
            const byName = new Map(seen.map((r) => [r.name, r]));
            const [componentResource, bucketResource, versioningResource] = [byName.get("backups"), byName.get("backups-bucket"), byName.get("backups-versioning")];
            assert.ok(componentResource && bucketResource && versioningResource);
            assert.equal(bucketResource.parent, componentResource);
            assert.equal(versioningResource.parent, componentResource);
            assert.equal(componentResource.parent, undefined, "the stack is not a plan record here");
            assert.deepEqual(versioningResource.dependencies, [bucketResource]);
            assert.equal(versioningResource.dependencies[0], bucketResource);
            assert.deepEqual(bucketResource.dependencies, []);
            assert.equal(bucketResource.provider?.name, "primary");
            assert.deepEqual(bucketResource.provider?.props, { region: "us-east-1" });
            assert.equal(bucketResource.opts.protect, true);
            assert.equal(bucketResource.isType(aws.s3.Bucket), true);
            assert.equal(versioningResource.isType(aws.s3.Bucket), false);
            assert.deepEqual(versioningResource.asType(aws.s3.BucketVersioning), { bucket: bucket.resource.urn });
        });

        it("reports stack violations with and without a URN, at the policy's level", async () => {
            const policy: StackValidationPolicy = {
                name: "test-stack",
                description: "every bucket needs versioning",
                enforcementLevel: "advisory",
                validateStack: (args, report) => {
                    const versioned = new Set(args.resources.flatMap((r) => (r.isType(aws.s3.BucketVersioning) ? r.dependencies.map((d) => d.urn) : [])));
                    for (const r of args.resources.filter((r) => r.isType(aws.s3.Bucket) && !versioned.has(r.urn))) report(`${r.name} is not versioned`, r.urn);
                    report(`${args.resources.length} resources`);
                },
            };
            const lonely = resource(bucketType, {}, { name: "lonely" });
            const violations = await runPolicy(policy, [...plan, lonely]);
            assert.deepEqual(violations, [
                { policyName: "test-stack", enforcementLevel: "advisory", message: "lonely is not versioned", urn: lonely.resource.urn },
                { policyName: "test-stack", enforcementLevel: "advisory", message: "5 resources" },
            ]);
        });

        it("names the failing stack policy", async () => {
            const policy: StackValidationPolicy = {
                name: "test-stack",
                description: "throws",
                validateStack: () => {
                    throw new TypeError("no");
                },
            };
            await assert.rejects(runPolicy(policy, plan), { name: "PolicyFailure", message: "policy test-stack failed: no" });
        });

        it("swallows notApplicable() from a stack policy", async () => {
            const policy: StackValidationPolicy = {
                name: "test-stack",
                description: "not applicable",
                validateStack: (args, report) => {
                    args.notApplicable();
                    report("unreachable");
                },
            };
            assert.deepEqual(await runPolicy(policy, plan), []);
        });

        it("runs resource and stack policies of one pack together, in order", async () => {
            const stack: StackValidationPolicy = { name: "test-stack", description: "d", enforcementLevel: "mandatory", validateStack: (_args, report) => report("stack") };
            const violations = await evaluatePolicies({ resources: planOf([bucket]) }, [stack, reportEveryResource()]);
            assert.deepEqual(
                violations.map((v) => [v.policyName, v.message]),
                [
                    ["test-stack", "stack"],
                    ["test-every-resource", "primary"],
                    ["test-every-resource", "backups-bucket"],
                ],
            );
        });
    });

    it("runs the Keel policies over a plan and finds each policy's violation", async () => {
        const aws1 = provider({ name: "frankfurt", region: "eu-central-1" });
        const plan = planOf([aws1, resource("aws:rds/instance:Instance", {}, { name: "db", provider: aws1 })]);
        const violations = await evaluatePolicies({ resources: plan }, keelPolicies, calendarAsOf(loadPolicyPackConfig("production"), "2026-10-15T10:00:00Z"));
        // The pack grows; this adapter test asserts only that each of these policies reported, in pack order.
        const reported = violations.map((v) => v.policyName);
        const expected = [
            "keel-required-tags",
            "keel-allowed-regions",
            "keel-protect-stateful-resources",
            "keel-rds-encryption",
            "keel-rds-backup-retention",
            "keel-rds-deletion-protection",
            "keel-rds-multi-az",
            "keel-rds-iam-authentication",
            "keel-rds-performance-insights",
            "keel-rds-cross-region",
        ];
        assert.deepEqual(
            reported.filter((name) => expected.includes(name)).filter((name, i, all) => all.indexOf(name) === i),
            expected,
        );
    });
});

describe("mandatoryViolations", () => {
    it("keeps only mandatory violations, in order", () => {
        const violations: PolicyViolation[] = [
            { policyName: "a", enforcementLevel: "mandatory", message: "1" },
            { policyName: "b", enforcementLevel: "advisory", message: "2" },
            { policyName: "c", enforcementLevel: "mandatory", message: "3", urn: "u" },
            { policyName: "d", enforcementLevel: "remediate", message: "4" },
        ];
        assert.deepEqual(
            mandatoryViolations(violations).map((v) => v.message),
            ["1", "3"],
        );
        assert.deepEqual(mandatoryViolations([]), []);
    });
});

describe("loadPolicyPackConfig", () => {
    it("requires protection in production", () => {
        assert.deepEqual(loadPolicyPackConfig("production")["keel-protect-stateful-resources"], { requireProtect: true });
    });

    for (const stack of ["local", "dev", "staging"]) {
        it(`does not require protection in ${stack}`, () => {
            assert.deepEqual(loadPolicyPackConfig(stack)["keel-protect-stateful-resources"], { requireProtect: false });
        });
    }

    it("refuses a stack without a config file, and a name that is a path", () => {
        assert.throws(() => loadPolicyPackConfig("no-such-stack"), { name: "RefusedInput", message: /^no stack "no-such-stack": there is no policies\/config\/no-such-stack\.json/ });
        assert.throws(() => loadPolicyPackConfig("../config/production"), { name: "RefusedInput", message: /is not a plain stack name/ });
    });
});
