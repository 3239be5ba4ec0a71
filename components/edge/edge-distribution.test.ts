import * as aws from "@pulumi/aws";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import { arnOf, list, mockOf, object, ofType, only, plannedBeforeTests, planComponents, refusedArguments } from "../../tests/plans";
import { EdgeDistribution, type EdgeDistributionArgs } from "./edge-distribution";
import { managedPolicies } from "./settings";

function build(overrides: Partial<EdgeDistributionArgs> = {}) {
    const provider = new aws.Provider("edge", { region: "us-east-1" });
    const edge = new EdgeDistribution("edge", {
        domainName: "app.example.com",
        zoneId: "Z0123456789ABCDEFGHIJ",
        origins: { primary: "origin.app.example.com", secondary: "origin-dr.app.example.com" },
        originVerifySecret: "generated-elsewhere",
        webAclName: "keel-test-edge",
        blockedIpv4Cidrs: ["203.0.113.0/24"],
        rateLimitAlarmTopicArn: "arn:aws:sns:us-east-1:123456789012:warnings",
        ...overrides,
    }, { provider });
    return { url: edge.url, distributionId: edge.distributionId, aliasTarget: edge.aliasTarget };
}

const distribution = (record: PlanRecord) => only(record, "aws:cloudfront/distribution:Distribution");
const behaviors = (record: PlanRecord) => [object(distribution(record).inputs.defaultCacheBehavior, "default"), ...list(distribution(record).inputs.orderedCacheBehaviors, "ordered").map((b) => object(b, "behavior"))];

describe("EdgeDistribution in front of two regions", () => {
    const record = plannedBeforeTests(() => planComponents(() => build()));

    test("viewers: the service's name with its us-east-1 certificate, TLS 1.2 or later over SNI, HTTP redirected", () => {
        const inputs = distribution(record()).inputs;
        assert.deepEqual(inputs.aliases, ["app.example.com"]);
        const certificate = object(inputs.viewerCertificate, "viewerCertificate");
        assert.deepEqual([certificate.sslSupportMethod, certificate.minimumProtocolVersion], ["sni-only", "TLSv1.2_2021"]);
        assert.equal(certificate.acmCertificateArn, arnOf(only(record(), "aws:acm/certificate:Certificate")));
        assert.equal(only(record(), "aws:acm/certificate:Certificate").region, "us-east-1");
        for (const behavior of behaviors(record())) assert.equal(behavior.viewerProtocolPolicy, "redirect-to-https");
    });

    test("origins: HTTPS with TLS 1.2 only and the secret X-Origin-Verify header; every method to the failover name, uncached, the viewer's Host passed on", () => {
        for (const origin of list(distribution(record()).inputs.origins, "origins").map((o) => object(o, "origin"))) {
            const config = object(origin.customOriginConfig, "customOriginConfig");
            assert.deepEqual([config.originProtocolPolicy, config.originSslProtocols], ["https-only", ["TLSv1.2"]]);
            assert.deepEqual(origin.customHeaders, [{ name: "X-Origin-Verify", value: "[secret]" }]);
            assert.deepEqual([origin.connectionAttempts, origin.connectionTimeout], [2, 5]);
        }
        const [application] = behaviors(record());
        assert.equal(application.targetOriginId, "primary");
        assert.deepEqual(application.allowedMethods, ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]);
        assert.deepEqual([application.cachePolicyId, application.originRequestPolicyId], [managedPolicies.cachingDisabled, managedPolicies.allViewer]);
    });

    test("static paths: cached, and failed over to the other region on 5xx — GET, HEAD and OPTIONS only, as CloudFront requires of an origin group", () => {
        const [, statics] = behaviors(record());
        assert.deepEqual([statics.pathPattern, statics.targetOriginId, statics.allowedMethods, statics.cachePolicyId], ["/static/*", "regions", ["GET", "HEAD", "OPTIONS"], managedPolicies.cachingOptimized]);
        const [group] = list(distribution(record()).inputs.originGroups, "originGroups").map((g) => object(g, "group"));
        assert.deepEqual(group, { originId: "regions", failoverCriteria: { statusCodes: [500, 502, 503, 504] }, members: [{ originId: "primary" }, { originId: "secondary" }] });
    });

    test("WAF: the block list first, the per-IP rate limit, then AWS's common, known-bad-inputs and SQL injection groups, each blocking", () => {
        const acl = only(record(), "aws:wafv2/webAcl:WebAcl");
        assert.deepEqual([acl.inputs.scope, acl.region, acl.inputs.defaultAction], ["CLOUDFRONT", "us-east-1", { allow: {} }]);
        const rules = list(acl.inputs.rules, "rules").map((r) => object(r, "rule"));
        assert.deepEqual(rules.map((r) => [r.name, r.priority]), [["blocked-addresses", 0], ["rate-limit", 1], ["AWSManagedRulesCommonRuleSet", 10], ["AWSManagedRulesKnownBadInputsRuleSet", 11], ["AWSManagedRulesSQLiRuleSet", 12]]);
        assert.deepEqual(object(rules[1].statement, "statement").rateBasedStatement, { limit: 2000, evaluationWindowSec: 300, aggregateKeyType: "IP" });
        assert.ok(rules.slice(2).every((r) => JSON.stringify(r.overrideAction) === JSON.stringify({ none: {} })));
        const blocked = only(record(), "aws:wafv2/ipSet:IpSet");
        assert.deepEqual([blocked.inputs.scope, blocked.inputs.addresses], ["CLOUDFRONT", ["203.0.113.0/24"]]);
        assert.equal(object(object(rules[0].statement, "s").ipSetReferenceStatement, "ref").arn, arnOf(blocked));
        assert.equal(distribution(record()).inputs.webAclId, arnOf(acl));
    });

    test("clients blocked by the rate limit reach the team (the guides: alert on exceeded rate limits)", () => {
        const alarm = only(record(), "aws:cloudwatch/metricAlarm:MetricAlarm", "edge-rate-limited");
        assert.deepEqual([alarm.inputs.namespace, alarm.inputs.metricName, alarm.inputs.dimensions, alarm.inputs.statistic, alarm.inputs.period, alarm.inputs.threshold], ["AWS/WAFV2", "BlockedRequests", { WebACL: "keel-test-edge", Rule: "rate-limit" }, "Sum", 300, 0]);
        assert.deepEqual(alarm.inputs.alarmActions, ["arn:aws:sns:us-east-1:123456789012:warnings"]);
    });

    test("the alias target it gives the caller: the distribution in CloudFront's zone", () => {
        assert.deepEqual(record().outputs.aliasTarget, { name: mockOf(distribution(record())).state.domainName, zoneId: "Z2FDTNDATAQYW2" });
        assert.deepEqual(ofType(record(), "aws:route53/record:Record").map((r) => r.name), ["edge-cert-validation"], "the service's records are the caller's");
    });
});

describe("EdgeDistribution in one region", () => {
    const record = plannedBeforeTests(() => planComponents(() => build({ origins: { primary: "origin.app.example.com" } })));

    test("no origin group: static paths go to the one origin", () => {
        assert.equal(distribution(record()).inputs.originGroups, undefined);
        assert.equal(behaviors(record())[1].targetOriginId, "primary");
    });
});

describe("EdgeDistribution refuses what CloudFront and WAF would", () => {
    test("every problem at once, at its argument, with the value given (never the secret)", async () => {
        const error = await refusedArguments(() => build({
            rateLimit: 5,
            rateWindowSeconds: 30 as 60,
            blockedIpv4Cidrs: ["203.0.113.7/24", "0.0.0.0/0", "not-an-address"],
            staticPaths: ["/*"],
            webAclName: "keel edge",
            origins: { primary: "origin.app.example.com", secondary: "origin.app.example.com" },
        }));
        assert.deepEqual(error.problems.map((p) => p.path.join(".")), [
            "origins.secondary", "webAclName", "rateLimit", "rateWindowSeconds", "blockedIpv4Cidrs.0", "blockedIpv4Cidrs.2", "blockedIpv4Cidrs.1", "staticPaths.0",
        ]);
        assert.match(error.message, /rateLimit: expected a whole number of requests from 10 to 2000000000 \(WAF's rate-based rule\), got 5/);
        assert.doesNotMatch(error.message, /generated-elsewhere/);
    });
});
