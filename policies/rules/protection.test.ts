import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { messages, resource, runPolicy } from "../testing";
import { protectStatefulResources } from "./protection";
import { statefulAwsTypes } from "./resource-types";

const requireProtect = { "keel-protect-stateful-resources": { requireProtect: true } };

describe("keel-protect-stateful-resources", () => {
    const stateful: readonly [string, string][] = [
        ["aws:rds/instance:Instance", "primary"],
        ["aws:s3/bucket:Bucket", "backups"],
        ["aws:kms/key:Key", "backup-key"],
        ["aws:backup/vault:Vault", "vault"],
        ["aws:secretsmanager/secret:Secret", "db-password"],
    ];

    for (const [type, name] of stateful) {
        describe(type, () => {
            it("violates when unprotected and requireProtect is true", async () => {
                const fixture = resource(type, {}, { name });
                const violations = await runPolicy(protectStatefulResources, [fixture], requireProtect);
                assert.deepEqual(messages(violations), [`${type} "${name}" holds state but is not protected: set protect (and retainOnDelete) on it.`]);
                assert.equal(violations[0]!.urn, fixture.resource.urn);
                assert.equal(violations[0]!.enforcementLevel, "mandatory");
            });

            it("passes when protected", async () => {
                assert.deepEqual(await runPolicy(protectStatefulResources, [resource(type, {}, { name, protect: true, retainOnDelete: true })], requireProtect), []);
            });

            it("reports nothing with the default config (requireProtect false)", async () => {
                assert.deepEqual(await runPolicy(protectStatefulResources, [resource(type, {}, { name })]), []);
                assert.deepEqual(await runPolicy(protectStatefulResources, [resource(type, {}, { name })], { "keel-protect-stateful-resources": { requireProtect: false } }), []);
            });
        });
    }

    it("does not accept retainOnDelete alone", async () => {
        const violations = await runPolicy(protectStatefulResources, [resource("aws:rds/instance:Instance", {}, { name: "db", retainOnDelete: true })], requireProtect);
        assert.equal(violations.length, 1);
    });

    it("reports each unprotected stateful resource and only those", async () => {
        const unprotected = [...statefulAwsTypes].map((type, i) => resource(type, {}, { name: `s${i}` }));
        const protectedOnes = [...statefulAwsTypes].map((type, i) => resource(type, {}, { name: `p${i}`, protect: true }));
        const violations = await runPolicy(protectStatefulResources, [...unprotected, ...protectedOnes], requireProtect);
        assert.deepEqual(
            violations.map((v) => v.urn),
            unprotected.map((f) => f.resource.urn),
        );
    });

    const stateless = [
        "aws:ec2/vpc:Vpc",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:kms/alias:Alias",
        "aws:rds/subnetGroup:SubnetGroup",
        "aws:autoscaling/group:Group",
        "keel:database:ReplicatedDatabase",
        "kubernetes:core/v1:PersistentVolumeClaim",
    ];
    for (const type of stateless) {
        it(`ignores non-stateful ${type}`, async () => {
            assert.deepEqual(await runPolicy(protectStatefulResources, [resource(type, {})], requireProtect), []);
        });
    }
});
