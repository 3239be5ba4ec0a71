import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { evaluatePolicies, mandatoryViolations } from "../policies/offline";
import { keelPolicies } from "../policies/rules";
import type { PlanRecord } from "../offline-plan/engine";
import type { PlanResource } from "../offline-plan/record";
import { packConfigFor, planStack } from "./plans";

/**
 * Known-bad variations of the production plan, each made by editing a copy of the real
 * record the way a careless change would, must each be refused by the policy pack.
 */

type Mutation = (resources: PlanResource[]) => void;

const ofType = (resources: PlanResource[], type: string) => {
    const found = resources.filter((r) => r.type === type);
    assert.ok(found.length > 0, `the production plan has no ${type}`);
    return found;
};
const first = (resources: PlanResource[], type: string, where: (r: PlanResource) => boolean = () => true) => {
    const found = ofType(resources, type).find(where);
    assert.ok(found, `no matching ${type}`);
    return found;
};
const inputs = (r: PlanResource) => r.inputs as Record<string, unknown>;
const writable = (r: PlanResource) => r as { -readonly [K in keyof PlanResource]: PlanResource[K] };
const primaryDatabase = (resources: PlanResource[]) => first(resources, "aws:rds/instance:Instance", (r) => r.region === "us-east-1");
const remove = (resources: PlanResource[], predicate: (r: PlanResource) => boolean) => {
    const before = resources.length;
    resources.splice(0, resources.length, ...resources.filter((r) => !predicate(r)));
    assert.ok(resources.length < before, "nothing to remove");
};

const mutations: [string, string, Mutation][] = [
    ["unencrypted database storage", "keel-rds-encryption", (rs) => { inputs(primaryDatabase(rs)).storageEncrypted = false; }],
    ["a public database", "keel-rds-not-public", (rs) => { inputs(primaryDatabase(rs)).publiclyAccessible = true; }],
    ["short database backup retention", "keel-rds-backup-retention", (rs) => { inputs(primaryDatabase(rs)).backupRetentionPeriod = 7; }],
    ["no deletion protection on the database", "keel-rds-deletion-protection", (rs) => { inputs(primaryDatabase(rs)).deletionProtection = false; }],
    ["a single-AZ primary database", "keel-rds-multi-az", (rs) => { inputs(primaryDatabase(rs)).multiAz = false; }],
    ["no IAM database authentication", "keel-rds-iam-authentication", (rs) => { inputs(primaryDatabase(rs)).iamDatabaseAuthenticationEnabled = false; }],
    ["no DR database", "keel-rds-cross-region", (rs) => remove(rs, (r) => r.type === "aws:rds/instance:Instance" && r.region === "us-west-2")],
    ["a plain-text database password", "keel-no-plaintext-secrets", (rs) => { inputs(primaryDatabase(rs)).password = "hunter22"; }],
    ["an unprotected database", "keel-protect-stateful-resources", (rs) => { writable(primaryDatabase(rs)).protect = false; }],
    ["an open bucket", "keel-s3-public-access-block", (rs) => { inputs(first(rs, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")).blockPublicPolicy = false; }],
    ["a bucket encrypted with SSE-S3", "keel-s3-kms-encryption", (rs) => {
        inputs(first(rs, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", (r) => r.name === "database-dumps")).rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }];
    }],
    ["an unversioned bucket", "keel-s3-versioning", (rs) => { inputs(first(rs, "aws:s3/bucketVersioning:BucketVersioning")).versioningConfiguration = { status: "Suspended" }; }],
    ["a bucket without its TLS-only policy", "keel-s3-tls-only", (rs) => remove(rs, (r) => r.type === "aws:s3/bucketPolicy:BucketPolicy" && r.name === "uploads")],
    ["Standard-IA before day 30", "keel-s3-lifecycle", (rs) => {
        inputs(first(rs, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", (r) => r.name === "logs")).rules = [{ id: "x", status: "Enabled", filter: { prefix: "" }, transitions: [{ days: 7, storageClass: "STANDARD_IA" }], expiration: { days: 90 } }];
    }],
    ["a backup bucket without its DR replica", "keel-s3-replication", (rs) => remove(rs, (r) => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig" && r.name === "uploads-replication")],
    ["a KMS key that does not rotate", "keel-kms-key-rotation", (rs) => { inputs(first(rs, "aws:kms/key:Key")).enableKeyRotation = false; }],
    ["IMDSv1", "keel-ec2-imdsv2", (rs) => { inputs(first(rs, "aws:ec2/launchTemplate:LaunchTemplate")).metadataOptions = { httpEndpoint: "enabled", httpTokens: "optional" }; }],
    ["an unencrypted root volume", "keel-ec2-encrypted-volumes", (rs) => {
        const template = inputs(first(rs, "aws:ec2/launchTemplate:LaunchTemplate"));
        template.blockDeviceMappings = [{ deviceName: "/dev/sda1", ebs: { encrypted: "false", volumeSize: 100 } }];
    }],
    ["instances with public IPs", "keel-ec2-no-public-ip", (rs) => { inputs(first(rs, "aws:ec2/launchTemplate:LaunchTemplate")).networkInterfaces = [{ associatePublicIpAddress: "true" }]; }],
    ["one application server in the primary region", "keel-asg-minimum-capacity", (rs) => { inputs(first(rs, "aws:autoscaling/group:Group", (r) => r.region === "us-east-1")).minSize = 1; }],
    ["an autoscaling group without scaling policies", "keel-asg-scaling-policy", (rs) => remove(rs, (r) => r.type === "aws:autoscaling/policy:Policy")],
    ["plain HTTP served", "keel-alb-https-only", (rs) => {
        inputs(first(rs, "aws:lb/listener:Listener", (r) => inputs(r).protocol === "HTTP")).defaultActions = [{ type: "forward", targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/1" }];
    }],
    ["an outdated TLS policy", "keel-alb-https-only", (rs) => { inputs(first(rs, "aws:lb/listener:Listener", (r) => inputs(r).protocol === "HTTPS")).sslPolicy = "ELBSecurityPolicy-2016-08"; }],
    ["a load balancer passing invalid headers", "keel-alb-hardening", (rs) => { inputs(first(rs, "aws:lb/loadBalancer:LoadBalancer")).dropInvalidHeaderFields = false; }],
    ["a PRIMARY record without a health check", "keel-route53-failover", (rs) => {
        delete inputs(first(rs, "aws:route53/record:Record", (r) => JSON.stringify(inputs(r).failoverRoutingPolicies ?? "").includes("PRIMARY"))).healthCheckId;
    }],
    ["administrator rights for a role", "keel-iam-no-wildcard-admin", (rs) => { inputs(first(rs, "aws:iam/rolePolicy:RolePolicy")).policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }); }],
    ["missing tags", "keel-required-tags", (rs) => { inputs(first(rs, "pulumi:providers:aws", (r) => r.region === "us-east-1")).defaultTags = JSON.stringify({ tags: { service: "keel-app" } }); }],
    ["backups without the database dump job", "keel-database-dumps", (rs) => remove(rs, (r) => r.type === "kubernetes:batch/v1:CronJob")],
    ["a suspended database dump job", "keel-database-dumps", (rs) => { (inputs(first(rs, "kubernetes:batch/v1:CronJob")).spec as Record<string, unknown>).suspend = true; }],
    ["a region outside the allowed ones", "keel-allowed-regions", (rs) => {
        const provider = first(rs, "pulumi:providers:aws", (r) => r.region === "us-west-2");
        inputs(provider).region = "ap-south-1";
    }],
];

describe("the policy pack refuses known-bad variations of the production plan", () => {
    let plan: PlanRecord;
    before(async () => {
        plan = await planStack("production");
    });

    test("the clean production plan passes", async () => {
        assert.deepEqual(mandatoryViolations(await evaluatePolicies(plan, keelPolicies, packConfigFor("production"))), []);
    });

    for (const [name, policy, mutate] of mutations) {
        test(`${name} is refused by ${policy}`, async () => {
            const resources = structuredClone(plan.resources);
            mutate(resources);
            const refused = mandatoryViolations(await evaluatePolicies({ resources }, keelPolicies, packConfigFor("production")));
            assert.ok(refused.some((v) => v.policyName === policy), `${policy} did not refuse it; refused: ${refused.map((v) => v.policyName).join(", ") || "nothing"}`);
        });
    }
});
