import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { found, messages, provider, resource, runPolicy } from "../testing";
import { allowedRegions, defaultAllowedRegions } from "./regions";

const bucket = "aws:s3/bucket:Bucket";

describe("keel-allowed-regions", () => {
    it("allows us-east-1 and us-west-2 by default", () => {
        assert.deepEqual(defaultAllowedRegions, ["us-east-1", "us-west-2"]);
    });

    for (const region of ["us-east-1", "us-west-2"]) {
        it(`passes a provider in ${region} and the resources that use it`, async () => {
            const fixture = resource(bucket, {}, { provider: { region } });
            assert.equal(fixture.resource.region, region);
            assert.deepEqual(await runPolicy(allowedRegions, [fixture]), []);
        });
    }

    const outside: readonly string[] = ["eu-central-1", "us-east-2", "ap-southeast-2"];
    for (const region of outside) {
        it(`reports a provider in ${region}, once (not once per resource using it)`, async () => {
            const aws = provider({ name: "dr", region });
            const violations = await runPolicy(allowedRegions, [aws, resource(bucket, {}, { name: "a", provider: aws }), resource(bucket, {}, { name: "b", provider: aws })]);
            assert.deepEqual(messages(violations), [`AWS provider "dr" uses region ${region}; allowed: us-east-1, us-west-2.`]);
            assert.equal(violations[0]!.urn, aws.urn);
            assert.equal(violations[0]!.enforcementLevel, "mandatory");
        });
    }

    it("reports a provider that sets no region", async () => {
        const aws = provider({ name: "ambient" });
        assert.equal(aws.inputs.region, undefined);
        const violations = await runPolicy(allowedRegions, [resource(bucket, {}, { provider: aws })]);
        assert.deepEqual(messages(violations), [
            `AWS provider "ambient" sets no region: it would fall back to the environment (AWS_REGION) of whoever runs it.`,
        ]);
        assert.equal(violations[0]!.urn, aws.urn);
    });

    it("reports a provider whose region is not a plain string (e.g. unknown or secret)", async () => {
        const aws = { ...provider({ name: "odd", region: "us-east-1" }), inputs: { region: ["us-east-1"] } };
        assert.deepEqual(await found(allowedRegions, [aws]), [`AWS provider "odd" uses region us-east-1; allowed: us-east-1, us-west-2.`]);
    });

    it("reports a resource whose own region input is outside the list, even under an allowed provider", async () => {
        const fixture = resource(bucket, { region: "eu-central-1" }, { name: "replica", provider: { region: "us-east-1" } });
        assert.equal(fixture.resource.region, "eu-central-1");
        const violations = await runPolicy(allowedRegions, [fixture]);
        assert.deepEqual(messages(violations), [`aws:s3/bucket:Bucket "replica" uses region eu-central-1; allowed: us-east-1, us-west-2.`]);
        assert.equal(violations[0]!.urn, fixture.resource.urn);
    });

    it("passes a resource whose own region input is allowed", async () => {
        assert.deepEqual(await runPolicy(allowedRegions, [resource(bucket, { region: "us-west-2" }, { provider: { region: "us-east-1" } })]), []);
    });

    it("ignores types that are not AWS, and their providers", async () => {
        const k8s = resource("kubernetes:apps/v1:Deployment", { region: "eu-central-1" }, { provider: { type: "pulumi:providers:kubernetes" } });
        const component = resource("keel:network:Network", { region: "eu-central-1" });
        assert.deepEqual(await runPolicy(allowedRegions, [k8s, component]), []);
    });

    describe("allowedRegions config", () => {
        const config = { "keel-allowed-regions": { allowedRegions: ["eu-central-1"] } };

        it("makes a region allowed", async () => {
            assert.deepEqual(await runPolicy(allowedRegions, [resource(bucket, {}, { provider: { region: "eu-central-1" } })], config), []);
        });

        it("replaces the defaults rather than adding to them", async () => {
            const violations = await runPolicy(allowedRegions, [provider({ name: "primary", region: "us-east-1" }), resource(bucket, { region: "us-west-2" }, { name: "logs" })], config);
            assert.deepEqual(messages(violations), [
                `AWS provider "primary" uses region us-east-1; allowed: eu-central-1.`,
                `aws:s3/bucket:Bucket "logs" uses region us-west-2; allowed: eu-central-1.`,
            ]);
        });
    });
});
