import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { before, describe, test } from "node:test";
import { only, planComponents } from "../tests/plans";
import type { PlanRecord } from "./engine";
import { secretMarker } from "./record";

class Vault extends pulumi.ComponentResource {
    public readonly bucketArn: pulumi.Output<string>;
    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("keel:test:Vault", name, {}, opts);
        const key = new aws.kms.Key(`${name}-key`, { enableKeyRotation: true }, { parent: this, protect: true, retainOnDelete: true });
        const bucket = new aws.s3.Bucket(`${name}-bucket`, { tags: { purpose: "test" } }, { parent: this, dependsOn: [key] });
        this.bucketArn = bucket.arn;
        this.registerOutputs({ bucketArn: this.bucketArn });
    }
}

describe("the offline plan engine", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => {
            const west = new aws.Provider("west", { region: "us-west-2" });
            const vault = new Vault("vault", { provider: west });
            const password = new random.RandomPassword("db-password", { length: 24 });
            const secret = new aws.secretsmanager.Secret("db", {}, { provider: west });
            new aws.secretsmanager.SecretVersion("db", { secretId: secret.id, secretString: password.result }, { provider: west });
            new aws.ssm.Parameter("token", { type: "SecureString", value: pulumi.secret("plaintext-token") }, { provider: west });
            // No explicit provider: the default provider and the stack's aws:region.
            const topic = new aws.sns.Topic("alerts");
            // Provider v7 per-resource region overrides the provider's.
            new aws.sns.Topic("alerts-eu", { region: "eu-west-1" }, { provider: west });
            const zones = aws.getAvailabilityZonesOutput({}, { provider: west });
            return { bucketArn: vault.bucketArn, topicArn: topic.arn, zones: zones.names, password: password.result, plain: "visible" };
        }, { "aws:region": "us-east-1" });
    });

    test("records every resource with its type and name, the stack first", () => {
        assert.equal(record.resources[0].type, "pulumi:pulumi:Stack");
        assert.equal(record.resources[0].urn, "urn:pulumi:test::keel::pulumi:pulumi:Stack::keel-test");
        assert.deepEqual(
            record.resources.map((r) => `${r.type}::${r.name}`).sort(),
            [
                "aws:kms/key:Key::vault-key",
                "aws:s3/bucket:Bucket::vault-bucket",
                "aws:secretsmanager/secret:Secret::db",
                "aws:secretsmanager/secretVersion:SecretVersion::db",
                "aws:sns/topic:Topic::alerts",
                "aws:sns/topic:Topic::alerts-eu",
                "aws:ssm/parameter:Parameter::token",
                "keel:test:Vault::vault",
                "pulumi:providers:aws::default",
                "pulumi:providers:aws::west",
                "pulumi:providers:random::default",
                "pulumi:pulumi:Stack::keel-test",
                "random:index/randomPassword:RandomPassword::db-password",
            ],
        );
    });

    test("URNs follow Pulumi's scheme: parent type chain without the stack", () => {
        const bucket = only(record, "aws:s3/bucket:Bucket");
        assert.equal(bucket.urn, "urn:pulumi:test::keel::keel:test:Vault$aws:s3/bucket:Bucket::vault-bucket");
        assert.equal(only(record, "keel:test:Vault").urn, "urn:pulumi:test::keel::keel:test:Vault::vault");
    });

    test("parents link children to components and top-level resources to the stack", () => {
        const vault = only(record, "keel:test:Vault");
        assert.equal(only(record, "aws:s3/bucket:Bucket").parent, vault.urn);
        assert.equal(only(record, "aws:kms/key:Key").parent, vault.urn);
        assert.equal(vault.parent, record.resources[0].urn);
        assert.equal(record.resources[0].parent, null);
    });

    test("providers are inherited from components and resolve to regions", () => {
        const west = only(record, "pulumi:providers:aws", "west");
        assert.equal(west.region, "us-west-2");
        assert.equal(only(record, "aws:s3/bucket:Bucket").provider, west.urn);
        assert.equal(only(record, "aws:s3/bucket:Bucket").region, "us-west-2");
        assert.equal(only(record, "aws:kms/key:Key").region, "us-west-2");
        assert.equal(only(record, "aws:sns/topic:Topic", "alerts").region, "us-east-1");
        assert.equal(only(record, "aws:sns/topic:Topic", "alerts-eu").region, "eu-west-1");
        assert.equal(only(record, "random:index/randomPassword:RandomPassword").region, null);
    });

    test("resources without a provider get the engine's default provider, configured from the package's config", () => {
        const defaultAws = only(record, "pulumi:providers:aws", "default");
        assert.equal(defaultAws.urn, "urn:pulumi:test::keel::pulumi:providers:aws::default");
        assert.deepEqual(defaultAws.inputs, { region: "us-east-1" });
        assert.equal(defaultAws.region, "us-east-1");
        assert.equal(only(record, "aws:sns/topic:Topic", "alerts").provider, defaultAws.urn);
        const defaultRandom = only(record, "pulumi:providers:random", "default");
        assert.equal(only(record, "random:index/randomPassword:RandomPassword").provider, defaultRandom.urn);
        assert.equal(only(record, "keel:test:Vault").provider, null, "components have no provider");
        assert.equal(only(record, "aws:s3/bucket:Bucket").provider, only(record, "pulumi:providers:aws", "west").urn);
    });

    test("protect, retainOnDelete and dependencies are recorded", () => {
        const key = only(record, "aws:kms/key:Key");
        const bucket = only(record, "aws:s3/bucket:Bucket");
        assert.deepEqual([key.protect, key.retainOnDelete], [true, true]);
        assert.deepEqual([bucket.protect, bucket.retainOnDelete], [false, false]);
        assert.deepEqual(bucket.dependencies, [key.urn]);
        assert.deepEqual(only(record, "aws:secretsmanager/secretVersion:SecretVersion").dependencies.sort(), [
            only(record, "aws:secretsmanager/secret:Secret").urn,
            only(record, "random:index/randomPassword:RandomPassword").urn,
        ].sort());
    });

    test("inputs are recorded as given, secrets masked", () => {
        assert.deepEqual(only(record, "aws:kms/key:Key").inputs, { enableKeyRotation: true });
        assert.equal(only(record, "aws:secretsmanager/secretVersion:SecretVersion").inputs.secretString, secretMarker);
        assert.equal(only(record, "aws:ssm/parameter:Parameter").inputs.value, secretMarker);
        const everything = JSON.stringify(record);
        assert.ok(!everything.includes("plaintext-token"), "a secret input leaked into the record");
        assert.ok(!/offline-[0-9a-f]{24}/.test(everything), "a generated password leaked into the record");
    });

    test("wiring uses realistic mocked outputs", () => {
        const version = only(record, "aws:secretsmanager/secretVersion:SecretVersion");
        assert.match(String(version.inputs.secretId), /^arn:aws:secretsmanager:us-west-2:123456789012:secret:db-[0-9a-f]{7}-[0-9a-f]{6}$/);
    });

    test("stack outputs are recorded, secrets masked", () => {
        assert.match(String(record.outputs.bucketArn), /^arn:aws:s3:::vault-bucket-[0-9a-f]{7}$/);
        assert.match(String(record.outputs.topicArn), /^arn:aws:sns:us-east-1:123456789012:alerts-[0-9a-f]{7}$/);
        assert.deepEqual(record.outputs.zones, ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d", "us-west-2e", "us-west-2f"]);
        assert.equal(record.outputs.password, secretMarker);
        assert.equal(record.outputs.plain, "visible");
    });
});

/**
 * Runs a failing plan in a child process: a failed Pulumi program leaves rejected promises
 * behind in the SDK, which node's test runner would pin on whichever test runs next.
 */
function planInChild(program: string): { status: number | null; stderr: string } {
    const script = `
        const aws = require("@pulumi/aws");
        const { planProgram } = require(${JSON.stringify(require.resolve("./engine"))});
        planProgram(async () => { ${program} }, { project: "keel", stack: "child", config: { "aws:region": "us-east-1" } })
            .then(() => process.exit(0), (error) => { console.error(String(error.message)); process.exit(3); });`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { encoding: "utf8", cwd: __dirname });
    return { status: child.status, stderr: child.stderr };
}

describe("plan failures", () => {
    test("an invoke the engine cannot answer fails the plan and names the invoke", () => {
        const { status, stderr } = planInChild(`return { ami: aws.ec2.getAmiOutput({ owners: ["amazon"], mostRecent: true }).id };`);
        assert.equal(status, 3);
        assert.match(stderr, /no answer for invoke aws:ec2\/getAmi:getAmi: add one to offline-plan\/mocks.ts/);
    });

    test("an error thrown by the program fails the plan", () => {
        const { status, stderr } = planInChild(`new aws.sns.Topic("before"); throw new Error("bad component");`);
        assert.equal(status, 3);
        assert.match(stderr, /^bad component$/m);
    });

    test("plans run one after another in a process", async () => {
        const [first, second] = await Promise.all([
            planComponents(() => {
                new aws.sns.Topic("first");
            }, { "aws:region": "us-east-1" }, "one"),
            planComponents(() => {
                new aws.sns.Topic("second");
            }, { "aws:region": "us-west-2" }, "two"),
        ]);
        assert.deepEqual(first.resources.map((r) => [r.name, r.region]), [["keel-one", null], ["default", "us-east-1"], ["first", "us-east-1"]]);
        assert.deepEqual(second.resources.map((r) => [r.name, r.region]), [["keel-two", null], ["default", "us-west-2"], ["second", "us-west-2"]]);
    });
});
