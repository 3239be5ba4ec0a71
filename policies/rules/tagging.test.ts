import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { found, messages, resource, runPolicy } from "../testing";
import { awsTypesWithoutDefaultTags, taggableAwsTypes, untaggableAwsTypes } from "./resource-types";
import { defaultRequiredTags, providerDefaultTags, requiredTags } from "./tagging";

const allTags = { environment: "dev", service: "keel", owner: "platform", "managed-by": "pulumi" } as const;
const bucket = "aws:s3/bucket:Bucket";

describe("keel-required-tags", () => {
    it("requires environment, service, owner and managed-by by default", () => {
        assert.deepEqual(defaultRequiredTags, ["environment", "service", "owner", "managed-by"]);
    });

    it("passes a resource that carries every required tag itself", async () => {
        assert.deepEqual(await runPolicy(requiredTags, [resource(bucket, { tags: { ...allTags } })]), []);
    });

    for (const defaultTagsAs of ["json", "object"] as const) {
        it(`passes a resource whose tags all come from the provider's defaultTags (${defaultTagsAs} form)`, async () => {
            const fixture = resource(bucket, {}, { provider: { region: "us-east-1", defaultTags: allTags, defaultTagsAs } });
            assert.equal(typeof fixture.provider?.inputs.defaultTags, defaultTagsAs === "json" ? "string" : "object");
            assert.deepEqual(await runPolicy(requiredTags, [fixture]), []);
        });

        it(`reports the tags neither the resource nor the provider's defaultTags (${defaultTagsAs} form) set`, async () => {
            const fixture = resource(bucket, { tags: { owner: "platform" } }, { name: "logs", provider: { region: "us-east-1", defaultTags: { environment: "dev" }, defaultTagsAs } });
            const violations = await runPolicy(requiredTags, [fixture]);
            assert.deepEqual(messages(violations), [
                `aws:s3/bucket:Bucket "logs" is missing the tags service, managed-by (set them on the resource or in the provider's defaultTags).`,
            ]);
            assert.equal(violations[0]!.urn, fixture.resource.urn);
            assert.equal(violations[0]!.policyName, "keel-required-tags");
            assert.equal(violations[0]!.enforcementLevel, "mandatory");
        });
    }

    it("merges resource tags over the provider's defaultTags", async () => {
        const fixture = resource(bucket, { tags: { service: "keel", owner: "platform" } }, { provider: { region: "us-east-1", defaultTags: { environment: "dev", "managed-by": "pulumi" } } });
        assert.deepEqual(await runPolicy(requiredTags, [fixture]), []);
    });

    it("names the single missing tag in the message", async () => {
        const withoutOwner = Object.fromEntries(Object.entries(allTags).filter(([key]) => key !== "owner"));
        const violations = await runPolicy(requiredTags, [resource("aws:kms/key:Key", { tags: withoutOwner }, { name: "backups" })]);
        assert.deepEqual(messages(violations), [
            `aws:kms/key:Key "backups" is missing the tag owner (set them on the resource or in the provider's defaultTags).`,
        ]);
    });

    const invalidValues: readonly [string, unknown][] = [
        ["an empty string", ""],
        ["a number", 42],
        ["null", null],
    ];
    for (const [label, value] of invalidValues) {
        it(`treats a tag whose value is ${label} as missing`, async () => {
            const violations = await runPolicy(requiredTags, [resource(bucket, { tags: { ...allTags, service: value } }, { name: "data" })]);
            assert.deepEqual(messages(violations), [
                `aws:s3/bucket:Bucket "data" is missing the tag service (set them on the resource or in the provider's defaultTags).`,
            ]);
        });
    }

    it("counts an empty resource tag as missing even where the provider's defaultTags set it", async () => {
        const fixture = resource(bucket, { tags: { owner: "" } }, { name: "data", provider: { region: "us-east-1", defaultTags: allTags } });
        assert.deepEqual(await found(requiredTags, [fixture]), [
            `aws:s3/bucket:Bucket "data" is missing the tag owner (set them on the resource or in the provider's defaultTags).`,
        ]);
    });

    it("reports every required tag on an untagged resource with no provider", async () => {
        const violations = await runPolicy(requiredTags, [resource("aws:ec2/vpc:Vpc", {}, { name: "main" })]);
        assert.deepEqual(messages(violations), [
            `aws:ec2/vpc:Vpc "main" is missing the tags environment, service, owner, managed-by (set them on the resource or in the provider's defaultTags).`,
        ]);
    });

    it("ignores defaultTags of a provider that is not the AWS provider", async () => {
        const fixture = resource(bucket, {}, { name: "data", provider: { type: "pulumi:providers:kubernetes", defaultTags: allTags } });
        assert.equal((await found(requiredTags, [fixture])).length, 1);
        assert.deepEqual(providerDefaultTags({ type: "pulumi:providers:kubernetes", props: { defaultTags: JSON.stringify({ tags: allTags }) }, urn: "u", name: "k" }), {});
    });

    it("reads malformed defaultTags as no tags", () => {
        const aws = (defaultTags: unknown) => providerDefaultTags({ type: "pulumi:providers:aws", props: { defaultTags }, urn: "u", name: "aws" });
        assert.deepEqual(aws("{not json"), {});
        assert.deepEqual(aws(JSON.stringify({ tags: ["a"] })), {});
        assert.deepEqual(aws(undefined), {});
        assert.deepEqual(aws(JSON.stringify({ tags: { environment: "dev" } })), { environment: "dev" });
        assert.deepEqual(aws({ tags: JSON.stringify({ environment: "dev" }) }), { environment: "dev" });
    });

    const ignored: readonly [string, string][] = [
        ["an untaggable AWS type", "aws:ec2/routeTableAssociation:RouteTableAssociation"],
        ["another untaggable AWS type", "aws:s3/bucketVersioning:BucketVersioning"],
        ["a component", "keel:network:Network"],
        ["a Kubernetes resource", "kubernetes:apps/v1:Deployment"],
        ["a random resource", "random:index/randomPassword:RandomPassword"],
        ["the AWS provider itself", "pulumi:providers:aws"],
    ];
    for (const [label, type] of ignored) {
        it(`ignores ${label} (${type})`, async () => {
            assert.deepEqual(await runPolicy(requiredTags, [resource(type, {})]), []);
        });
    }

    it("checks every taggable type, and only those", async () => {
        const taggable = [...taggableAwsTypes].map((type, i) => resource(type, {}, { name: `r${i}` }));
        const untaggable = [...untaggableAwsTypes].map((type, i) => resource(type, {}, { name: `u${i}` }));
        const violations = await runPolicy(requiredTags, [...taggable, ...untaggable]);
        assert.deepEqual(
            violations.map((v) => v.urn),
            taggable.map((f) => f.resource.urn),
        );
    });

    describe("requiredTags config", () => {
        it("replaces the default list", async () => {
            const config = { "keel-required-tags": { requiredTags: ["cost-center"] } };
            const tagged = resource(bucket, { tags: { "cost-center": "42" } }, { name: "a" });
            const untagged = resource(bucket, { tags: { ...allTags } }, { name: "b" });
            assert.deepEqual(await found(requiredTags, [tagged, untagged], config), [
                `aws:s3/bucket:Bucket "b" is missing the tag cost-center (set them on the resource or in the provider's defaultTags).`,
            ]);
        });

        it("an empty list requires nothing", async () => {
            const config = { "keel-required-tags": { requiredTags: [] } };
            assert.deepEqual(await runPolicy(requiredTags, [resource(bucket, {})], config), []);
        });
    });

    describe("autoscaling groups (no provider defaultTags)", () => {
        const group = "aws:autoscaling/group:Group";
        const asgTags = (tags: Readonly<Record<string, string>>) => Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true }));

        it("is the only taggable type the provider's defaultTags skip", () => {
            assert.deepEqual([...awsTypesWithoutDefaultTags], [group]);
            assert.ok(taggableAwsTypes.has(group));
        });

        it("passes a group whose tag list carries every required tag", async () => {
            assert.deepEqual(await runPolicy(requiredTags, [resource(group, { tags: asgTags(allTags) })]), []);
        });

        it("does not count the provider's defaultTags, which AWS does not apply to a group", async () => {
            const fixture = resource(group, { tags: asgTags({ environment: "dev" }) }, { name: "web", provider: { region: "us-east-1", defaultTags: allTags } });
            assert.deepEqual(await found(requiredTags, [fixture]), [
                `aws:autoscaling/group:Group "web" is missing the tags service, owner, managed-by (set them on the resource: the provider's defaultTags do not reach this type).`,
            ]);
        });

        it("skips malformed entries of the tag list", async () => {
            const tags = [...asgTags({ service: "keel", owner: "platform", "managed-by": "pulumi" }), { value: "dev" }, "environment"];
            assert.deepEqual(await found(requiredTags, [resource(group, { tags }, { name: "web" })]), [
                `aws:autoscaling/group:Group "web" is missing the tag environment (set them on the resource: the provider's defaultTags do not reach this type).`,
            ]);
        });
    });
});
