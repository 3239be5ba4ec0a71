import type * as aws from "@pulumi/aws";
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { LogBucket } from "../components/backup";
import { evaluatePolicies, mandatoryViolations } from "../policies/offline";
import { keelPolicies } from "../policies/rules";
import type { PlanRecord } from "../scripts/plan/engine";
import type { PlanResource } from "../scripts/plan/record";
import { list, mockOf, object, ofType, only, packConfigFor, planComponents } from "../tests/plans";
import { resolveKeelConfig, type KeelConfig } from "./config";
import { regionalNetworks } from "./network";
import { regionalProviders, statefulOptions } from "./providers";
import { albLogBucketNames, regionCapacity, traffic } from "./traffic";

/**
 * Plans the traffic half of an environment the way its stack composes it; where backups run,
 * with the backups' per-region server access-log buckets (as stacks/backup.ts creates them).
 */
function planTraffic(config: KeelConfig): Promise<PlanRecord> {
    return planComponents(() => {
        const providers = regionalProviders(config);
        const logs = (name: string, provider: aws.Provider | undefined) => provider && new LogBucket(name, {}, { provider, ...statefulOptions(config) }).bucketName;
        const primary = config.backup.enabled ? logs("access-logs", providers.primary) : undefined;
        const dr = config.backup.copyToDr ? logs("access-logs-dr", providers.dr) : undefined;
        return traffic(config, providers, regionalNetworks(config, providers), {
            ...(primary ? { serverAccessLogBuckets: { primary, ...(dr ? { dr } : {}) } } : {}),
        }).exports;
    });
}

/** The environment's policy pack config, with the ALB log buckets exempt from SSE-KMS (ELB supports SSE-S3 only). */
const packConfig = (environment: string) => ({
    ...packConfigFor(environment),
    "keel-s3-kms-encryption": { exemptBuckets: Object.values(albLogBucketNames) },
});

const production = resolveKeelConfig({}, "production");
const drActive = resolveKeelConfig({ "keel:dr": JSON.stringify({ active: true }) }, "production");
const staging = resolveKeelConfig({}, "staging");
const dev = resolveKeelConfig({}, "dev");

const groups = (plan: PlanRecord, region: string) => ofType(plan, "aws:autoscaling/group:Group").filter((g) => g.region === region);
const sizes = (group: PlanResource) => [group.inputs.minSize, group.inputs.maxSize];

describe("production traffic", () => {
    let plan: PlanRecord;
    let drPlan: PlanRecord;
    before(async () => {
        plan = await planTraffic(production);
        drPlan = await planTraffic(drActive);
    });

    test("one name served by a PRIMARY/SECONDARY pair, the PRIMARY health-checked", () => {
        const records = ofType(plan, "aws:route53/record:Record").filter((r) => r.inputs.name === "app.example.com");
        const byRole = Object.fromEntries(records.map((r) => [object(list(r.inputs.failoverRoutingPolicies, "policies")[0], "policy").type, r]));
        assert.deepEqual(Object.keys(byRole).sort(), ["PRIMARY", "SECONDARY"]);
        assert.notEqual(byRole.PRIMARY.inputs.setIdentifier, byRole.SECONDARY.inputs.setIdentifier);
        assert.equal(typeof byRole.PRIMARY.inputs.healthCheckId, "string");
        const aliasTarget = (r: PlanResource) => object(list(r.inputs.aliases, "aliases")[0], "alias").name;
        assert.match(String(aliasTarget(byRole.PRIMARY)), /\.us-east-1\.elb\.amazonaws\.com$/);
        assert.match(String(aliasTarget(byRole.SECONDARY)), /\.us-west-2\.elb\.amazonaws\.com$/);
    });

    test("the endpoint checks fail over within 90 s: interval × threshold + the 60 s alias TTL", () => {
        const endpointChecks = ofType(plan, "aws:route53/healthCheck:HealthCheck").filter((c) => c.inputs.type === "HTTPS");
        assert.equal(endpointChecks.length, 1);
        for (const check of endpointChecks) {
            const seconds = Number(check.inputs.requestInterval) * Number(check.inputs.failureThreshold) + 60;
            assert.equal(seconds, 90);
            assert.ok(seconds <= 90);
        }
        assert.equal(plan.outputs.failoverSeconds, 90);
    });

    test("2–10 instances in us-east-1 and a pilot light of 1–10 in us-west-2", () => {
        assert.deepEqual(groups(plan, "us-east-1").map(sizes), [[2, 10]]);
        assert.deepEqual(groups(plan, "us-west-2").map(sizes), [[1, 10]]);
        assert.deepEqual(regionCapacity(production), { primary: { minSize: 2, maxSize: 10 }, dr: { minSize: 1, maxSize: 10 } });
    });

    test("with keel:dr.active the DR region takes production capacity", () => {
        assert.deepEqual(groups(drPlan, "us-west-2").map(sizes), [[2, 10]]);
        assert.deepEqual(groups(drPlan, "us-east-1").map(sizes), [[2, 10]]);
        // Failing over never edits DNS: the same records and health checks as without DR mode.
        const dnsOf = (p: PlanRecord) => p.resources.filter((r) => r.type.startsWith("aws:route53/")).map((r) => [r.type, r.name, JSON.stringify(r.inputs)]);
        assert.deepEqual(dnsOf(drPlan), dnsOf(plan));
    });

    test("target tracking at 70 % CPU in both regions", () => {
        const cpu = ofType(plan, "aws:autoscaling/policy:Policy").filter((p) => object(p.inputs.targetTrackingConfiguration ?? {}, "tt").predefinedMetricSpecification !== undefined);
        assert.deepEqual(cpu.map((p) => [p.region, object(p.inputs.targetTrackingConfiguration, "tt").targetValue]).sort(), [["us-east-1", 70], ["us-west-2", 70]]);
    });

    test("IMDSv2 required on every launch template", () => {
        const templates = ofType(plan, "aws:ec2/launchTemplate:LaunchTemplate");
        assert.equal(templates.length, 2);
        for (const template of templates) assert.equal(object(template.inputs.metadataOptions, "metadata").httpTokens, "required", template.name);
    });

    test("a load balancer per region with an HTTPS listener; plain HTTP only redirects", () => {
        assert.deepEqual(ofType(plan, "aws:lb/loadBalancer:LoadBalancer").map((lb) => lb.region).sort(), ["us-east-1", "us-west-2"]);
        for (const listener of ofType(plan, "aws:lb/listener:Listener")) {
            const actions = list(listener.inputs.defaultActions, "actions").map((a) => object(a, "action"));
            if (listener.inputs.protocol === "HTTPS") {
                assert.deepEqual(actions.map((a) => a.type), ["forward"]);
            } else {
                assert.deepEqual([listener.inputs.protocol, actions], ["HTTP", [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]]);
            }
        }
        assert.deepEqual(ofType(plan, "aws:lb/listener:Listener").map((l) => l.inputs.protocol).sort(), ["HTTP", "HTTP", "HTTPS", "HTTPS"]);
    });

    test("deletion protection, access logs to a protected SSE-S3 bucket in each region, no spot", () => {
        for (const lb of ofType(plan, "aws:lb/loadBalancer:LoadBalancer")) {
            assert.equal(lb.inputs.enableDeletionProtection, true);
            assert.equal(object(lb.inputs.accessLogs, "accessLogs").enabled, true);
        }
        const buckets = ofType(plan, "aws:s3/bucket:Bucket").filter((b) => b.name.startsWith("alb-logs"));
        assert.deepEqual(buckets.map((b) => [b.name, b.region, b.protect, b.retainOnDelete]).sort(), [["alb-logs", "us-east-1", true, true], ["alb-logs-dr", "us-west-2", true, true]]);
        const logging = ofType(plan, "aws:s3/bucketLogging:BucketLogging").filter((l) => l.name.startsWith("alb-logs"));
        assert.deepEqual(logging.map((l) => [l.name, l.region, l.inputs.targetPrefix]).sort(), [["alb-logs", "us-east-1", "alb-logs/"], ["alb-logs-dr", "us-west-2", "alb-logs-dr/"]]);
        for (const group of ofType(plan, "aws:autoscaling/group:Group")) assert.equal(group.inputs.mixedInstancesPolicy, undefined);
        assert.deepEqual([only(plan, "aws:route53/zone:Zone").protect, only(plan, "aws:route53/zone:Zone").retainOnDelete], [true, true]);
    });

    test("passes the policy pack (tags on the groups, protection, regions)", async () => {
        for (const p of [plan, drPlan]) assert.deepEqual(mandatoryViolations(await evaluatePolicies(p, keelPolicies, packConfig("production"))), []);
    });

    test("exports the URL, load balancer names, group names and the failover switch", () => {
        assert.equal(plan.outputs.url, "https://app.example.com");
        const names = object(plan.outputs.autoScalingGroupNames, "asgs");
        assert.deepEqual(Object.keys(names).sort(), ["dr", "primary"]);
        assert.match(String(object(plan.outputs.loadBalancerDnsNames, "lbs").dr), /us-west-2\.elb\.amazonaws\.com$/);
        assert.equal(object(plan.outputs.failoverSwitch, "switch").region, "us-west-2");
    });
});

describe("single-region environments", () => {
    let stagingPlan: PlanRecord;
    let devPlan: PlanRecord;
    before(async () => {
        stagingPlan = await planTraffic(staging);
        devPlan = await planTraffic(dev);
    });

    test("staging: 2–4 instances, spot above one on-demand instance, a simple record", () => {
        assert.deepEqual(ofType(stagingPlan, "aws:autoscaling/group:Group").map((g) => [g.region, ...sizes(g)]), [["us-east-1", 2, 4]]);
        const distribution = object(object(only(stagingPlan, "aws:autoscaling/group:Group").inputs.mixedInstancesPolicy, "mixed").instancesDistribution, "distribution");
        assert.equal(distribution.onDemandBaseCapacity, 1);
        assert.deepEqual(ofType(stagingPlan, "aws:route53/record:Record").filter((r) => r.inputs.name === "app.example.com").map((r) => r.inputs.failoverRoutingPolicies), [undefined]);
        assert.equal(ofType(stagingPlan, "aws:route53/healthCheck:HealthCheck").length, 0);
    });

    test("dev: 1–2 instances, no access logs, no deletion protection", () => {
        assert.deepEqual(ofType(devPlan, "aws:autoscaling/group:Group").map(sizes), [[1, 2]]);
        const lb = only(devPlan, "aws:lb/loadBalancer:LoadBalancer");
        assert.deepEqual([lb.inputs.enableDeletionProtection, lb.inputs.accessLogs], [false, undefined]);
        assert.equal(ofType(devPlan, "aws:s3/bucket:Bucket").length, 0);
        const names = object(devPlan.outputs.autoScalingGroupNames, "names");
        assert.deepEqual([names.primary, names.dr], [mockOf(only(devPlan, "aws:autoscaling/group:Group")).state.name, undefined]);
    });

    test("both pass the policy pack", async () => {
        assert.deepEqual(mandatoryViolations(await evaluatePolicies(stagingPlan, keelPolicies, packConfig("staging"))), []);
        assert.deepEqual(mandatoryViolations(await evaluatePolicies(devPlan, keelPolicies, packConfig("dev"))), []);
    });

    test("refuses an environment without DNS before registering a traffic resource", async () => {
        let refusal: unknown;
        const plan = await planComponents(() => {
            const config = resolveKeelConfig({}, "local");
            const providers = regionalProviders(config);
            try {
                traffic(config, providers, regionalNetworks(config, providers));
            } catch (error) {
                refusal = error;
            }
        });
        assert.ok(refusal instanceof Error);
        assert.match(refusal.message, /keel:dns\.mode is none/);
        assert.deepEqual(plan.resources.filter((r) => r.type.startsWith("keel:traffic")), []);
    });
});
