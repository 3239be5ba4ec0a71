import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { evaluatePolicies, mandatoryViolations } from "../policies/offline";
import { keelPolicies } from "../policies/rules";
import { taggableAwsTypes, untaggableAwsTypes } from "../policies/rules/resource-types";
import { plaintextCredentials } from "../policies/rules/secrets";
import type { PlanRecord } from "../offline-plan/engine";
import { environments, type Environment } from "../stacks/environments";
import { ofType, only, packConfigFor, planStack } from "./plans";

describe("every environment plans cleanly", () => {
    const plans = new Map<Environment, PlanRecord>();
    before(async () => {
        for (const environment of environments) plans.set(environment, await planStack(environment));
    });

    for (const environment of environments) {
        test(`${environment}: no mandatory policy violation`, async () => {
            const plan = plans.get(environment)!;
            const violations = await evaluatePolicies(plan, keelPolicies, packConfigFor(environment));
            assert.deepEqual(mandatoryViolations(violations), []);
        });

        test(`${environment}: every AWS resource goes through an explicit provider in an allowed region`, () => {
            for (const resource of plans.get(environment)!.resources.filter((r) => r.custom && r.type.startsWith("aws:"))) {
                assert.ok(resource.provider !== null && !resource.provider.endsWith("::default"), `${resource.urn} uses the default provider`);
                assert.ok(["us-east-1", "us-west-2"].includes(resource.region ?? ""), `${resource.urn} is in ${resource.region}`);
            }
        });

        test(`${environment}: every AWS type is classified for the tag policy`, () => {
            const unclassified = [...new Set(plans.get(environment)!.resources.map((r) => r.type))]
                .filter((type) => type.startsWith("aws:") && !taggableAwsTypes.has(type) && !untaggableAwsTypes.has(type));
            assert.deepEqual(unclassified, [], "add these types to policies/rules/resource-types.ts");
        });

        test(`${environment}: no secret-looking input or output in plaintext`, () => {
            const plan = plans.get(environment)!;
            for (const resource of plan.resources) assert.deepEqual(plaintextCredentials(resource.inputs), [], resource.urn);
            assert.deepEqual(plaintextCredentials(plan.outputs), []);
        });
    }

    test("production spans us-east-1 and us-west-2 with a NAT gateway per zone", () => {
        const plan = plans.get("production")!;
        assert.deepEqual(ofType(plan, "aws:ec2/vpc:Vpc").map((v) => [v.name, v.region, v.inputs.cidrBlock]).sort(), [
            ["dr-vpc", "us-west-2", "10.1.0.0/16"],
            ["primary-vpc", "us-east-1", "10.0.0.0/16"],
        ]);
        assert.equal(ofType(plan, "aws:ec2/natGateway:NatGateway").filter((n) => n.region === "us-east-1").length, 3);
        assert.equal(ofType(plan, "aws:ec2/natGateway:NatGateway").filter((n) => n.region === "us-west-2").length, 3);
        assert.deepEqual(ofType(plan, "aws:cloudwatch/logGroup:LogGroup").filter((g) => g.name.endsWith("flow-logs")).map((g) => g.inputs.retentionInDays), [90, 90]);
    });

    test("providers carry the standard tags of each environment", () => {
        for (const environment of ["dev", "staging", "production"] as const) {
            for (const provider of ofType(plans.get(environment)!, "pulumi:providers:aws")) {
                assert.deepEqual(JSON.parse(String(provider.inputs.defaultTags)), {
                    tags: { service: "keel-app", owner: "platform-team", environment, "managed-by": "pulumi" },
                });
            }
        }
    });

    for (const environment of ["dev", "staging"] as const) {
        test(`${environment} is one region with a single NAT gateway`, () => {
            const plan = plans.get(environment)!;
            assert.deepEqual(ofType(plan, "pulumi:providers:aws").map((p) => p.region), ["us-east-1"]);
            assert.equal(ofType(plan, "aws:ec2/vpc:Vpc").length, 1);
            assert.equal(ofType(plan, "aws:ec2/natGateway:NatGateway").length, 1);
            assert.equal(ofType(plan, "aws:ec2/subnet:Subnet").length, 9);
        });
    }

    test("production backs up to both regions: replicated buckets, a copied and locked AWS Backup plan", () => {
        const plan = plans.get("production")!;
        const backupBuckets = ["database-dumps", "uploads", "logs", "configuration"];
        const buckets = ofType(plan, "aws:s3/bucket:Bucket").filter((b) => [...backupBuckets, "access-logs"].includes(b.name.replace(/-(replica|dr)$/, "")));
        assert.deepEqual(buckets.filter((b) => b.region === "us-east-1").map((b) => b.name).sort(), [...backupBuckets, "access-logs"].sort());
        assert.deepEqual(buckets.filter((b) => b.region === "us-west-2").map((b) => b.name).sort(), [...backupBuckets.map((b) => `${b}-replica`), "access-logs-dr"].sort());
        for (const bucket of buckets) assert.deepEqual([bucket.protect, bucket.retainOnDelete], [true, true], bucket.name);
        // Loki's log store is a replicated BackupBucket too (monitoring on Kubernetes).
        const replications = ofType(plan, "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
        assert.equal(replications.length, backupBuckets.length + 1);
        const exported = (plan.outputs.backup as { buckets: Record<string, { name: string; replicaArn: string }> }).buckets;
        assert.deepEqual(Object.keys(exported).sort(), [...backupBuckets].sort());
        for (const name of backupBuckets) {
            const replication = replications.find((r) => r.inputs.bucket === exported[name].name);
            assert.ok(replication, `no replication from ${name}`);
            assert.equal(replication.region, "us-east-1");
            const [rule] = replication.inputs.rules as { destination: { bucket: string } }[];
            assert.equal(rule.destination.bucket, exported[name].replicaArn);
            assert.match(exported[name].replicaArn, new RegExp(`^arn:aws:s3:::${name}-replica-[0-9a-f]{7}$`));
        }
        for (const lifecycle of ofType(plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")) {
            for (const rule of lifecycle.inputs.rules as { transitions?: { days: number; storageClass: string }[] }[]) {
                for (const t of rule.transitions ?? []) if (t.storageClass.endsWith("_IA") && t.storageClass !== "GLACIER_IR") assert.ok(t.days >= 30, `${lifecycle.name}: ${t.storageClass} on day ${t.days}`);
            }
        }
        const vaults = ofType(plan, "aws:backup/vault:Vault");
        assert.deepEqual(vaults.map((v) => v.region).sort(), ["us-east-1", "us-west-2"]);
        const [backupPlan] = ofType(plan, "aws:backup/plan:Plan");
        for (const rule of backupPlan.inputs.rules as { ruleName: string; copyActions: { destinationVaultArn: string }[] }[]) {
            assert.match(rule.copyActions[0].destinationVaultArn, /^arn:aws:backup:us-west-2:123456789012:backup-vault:/, rule.ruleName);
        }
        assert.deepEqual(ofType(plan, "aws:backup/vaultLockConfiguration:VaultLockConfiguration").map((l) => l.inputs.changeableForDays), [3, 3]);
    });

    test("staging backs up weekly in one region under a governance lock; dev and local have no backups", () => {
        const staging = plans.get("staging")!;
        const [rule] = only(staging, "aws:backup/plan:Plan").inputs.rules as { ruleName: string; schedule: string; copyActions?: unknown[] }[];
        assert.deepEqual([rule.ruleName, rule.schedule, rule.copyActions ?? []], ["weekly", "cron(0 6 ? * SUN *)", []]);
        assert.equal(only(staging, "aws:backup/vaultLockConfiguration:VaultLockConfiguration").inputs.changeableForDays, undefined);
        assert.ok(ofType(staging, "aws:s3/bucket:Bucket").every((b) => b.region === "us-east-1"));
        assert.equal(ofType(staging, "aws:s3/bucketReplicationConfig:BucketReplicationConfig").length, 0);
        for (const environment of ["dev", "local"] as const) {
            assert.deepEqual(plans.get(environment)!.resources.filter((r) => r.type.startsWith("aws:backup/") || r.type.startsWith("aws:s3/")), []);
        }
    });

    test("local runs on Docker only: one network for the containers, nothing in AWS", () => {
        const plan = plans.get("local")!;
        assert.deepEqual(plan.resources.filter((r) => r.type.startsWith("aws:") || r.type === "pulumi:providers:aws"), []);
        const [network] = ofType(plan, "docker:index/network:Network");
        assert.equal(network.inputs.name, "keel-local");
        assert.equal(network.inputs.driver, "bridge");
        assert.equal(plan.outputs.dockerNetwork, "keel-local");
    });
});
