import * as aws from "@pulumi/aws";
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import { idOf, object, ofType, only, planComponents, refusedArguments, twoRegions, plannedBeforeTests } from "../../tests/plans";
import { FailoverDns } from "./failover-dns";
import { HostedZone } from "./hosted-zone";

const primary = { dnsName: "app-alb-1.us-east-1.elb.amazonaws.com", zoneId: "Z35SXDOTRQ7X7K" };
const secondary = { dnsName: "app-dr-alb-1.us-west-2.elb.amazonaws.com", zoneId: "Z1H1FL5HABSF5" };
const healthCheck = "aws:route53/healthCheck:HealthCheck";
const record = "aws:route53/record:Record";

describe("FailoverDns across two regions", () => {
    const plan = plannedBeforeTests(() =>
        planComponents(() => {
            const { primary: east, dr: west } = twoRegions();
            const zone = new HostedZone("dns", { domain: "app.example.com", parentZoneId: "Z0123456789ABCDEFGHIJ" }, { provider: east, retainOnDelete: true });
            const dns = new FailoverDns("app", { zoneId: zone.zoneId, domain: "app.example.com", primary, secondary: { ...secondary, provider: west } }, { provider: east });
            return { zoneId: zone.zoneId, nameServers: zone.nameServers, url: dns.url, failoverSeconds: dns.failoverSeconds, switch: dns.failoverSwitch, primaryCheck: dns.primaryHealthCheckId };
        }),
    );
    const check = (name: string) => only(plan(), healthCheck, name);

    test("creates the zone, retained on delete, and exports its name servers", () => {
        const zone = only(plan(), "aws:route53/zone:Zone");
        assert.deepEqual([zone.inputs.name, zone.inputs.forceDestroy, zone.retainOnDelete], ["app.example.com", false, true]);
        assert.equal((plan().outputs.nameServers as string[]).length, 4);
    });

    test("one name, a PRIMARY and a SECONDARY alias with their own set identifiers, both evaluating target health", () => {
        const records = ofType(plan(), record).filter((r) => r.inputs.type === "A").map((r) => r.inputs).sort((x, y) => String(x.setIdentifier).localeCompare(String(y.setIdentifier)));
        assert.deepEqual(records.map((r) => [r.name, r.type, r.zoneId, r.setIdentifier, r.failoverRoutingPolicies]), [
            ["app.example.com", "A", plan().outputs.zoneId, "app-primary", [{ type: "PRIMARY" }]],
            ["app.example.com", "A", plan().outputs.zoneId, "app-secondary", [{ type: "SECONDARY" }]],
        ]);
        assert.deepEqual(records[0].aliases, [{ name: primary.dnsName, zoneId: primary.zoneId, evaluateTargetHealth: true }]);
        assert.deepEqual(records[1].aliases, [{ name: secondary.dnsName, zoneId: secondary.zoneId, evaluateTargetHealth: true }]);
        assert.equal(records[0].healthCheckId, idOf(check("app-primary")));
        assert.equal(records[0].healthCheckId, plan().outputs.primaryCheck);
        assert.equal(records[1].healthCheckId, undefined);
        assert.equal(records.some((r) => r.ttl !== undefined), false, "alias records take the load balancer's TTL");
    });

    test("the primary endpoint check: HTTPS /health on the load balancer, every 10 s, 3 failures, US and EU checkers", () => {
        const endpoint = check("app-primary-endpoint").inputs;
        assert.deepEqual(
            [endpoint.type, endpoint.fqdn, endpoint.port, endpoint.resourcePath, endpoint.enableSni, endpoint.requestInterval, endpoint.failureThreshold, endpoint.regions],
            ["HTTPS", primary.dnsName, 443, "/health", false, 10, 3, ["us-east-1", "us-west-1", "us-west-2", "eu-west-1"]],
        );
        assert.equal(plan().outputs.failoverSeconds, 10 * 3 + 60);
    });

    test("the PRIMARY is healthy only while both the endpoint and the manual switch are", () => {
        const calculated = check("app-primary").inputs;
        assert.deepEqual([calculated.type, calculated.childHealthThreshold], ["CALCULATED", 2]);
        assert.deepEqual(calculated.childHealthchecks, [idOf(check("app-primary-endpoint")), idOf(check("app-failover-switch"))]);
    });

    test("the manual switch is an alarm in the DR region, held at its last state", () => {
        const alarm = only(plan(), "aws:cloudwatch/metricAlarm:MetricAlarm");
        assert.equal(alarm.region, "us-west-2");
        const a = alarm.inputs;
        assert.deepEqual(
            [a.namespace, a.metricName, a.dimensions, a.statistic, a.period, a.evaluationPeriods, a.comparisonOperator, a.threshold, a.treatMissingData],
            ["Keel/Failover", "PrimaryOutOfService", { Record: "app.example.com" }, "Maximum", 60, 1, "GreaterThanOrEqualToThreshold", 1, "ignore"],
        );
        const switchCheck = check("app-failover-switch").inputs;
        assert.deepEqual([switchCheck.type, switchCheck.cloudwatchAlarmRegion, switchCheck.insufficientDataHealthStatus], ["CLOUDWATCH_METRIC", "us-west-2", "LastKnownStatus"]);
        assert.equal(switchCheck.cloudwatchAlarmName, object(plan().outputs.switch, "switch").alarmName);
        assert.deepEqual(plan().outputs.switch, { region: "us-west-2", namespace: "Keel/Failover", metricName: "PrimaryOutOfService", dimensions: { Record: "app.example.com" }, alarmName: switchCheck.cloudwatchAlarmName });
    });

    test("health checks and records go through the primary provider; nothing else needs us-east-1 to fail over", () => {
        for (const r of [...ofType(plan(), healthCheck), ...ofType(plan(), record)]) assert.equal(r.region, "us-east-1", r.name);
    });
});

describe("FailoverDns in one region", () => {
    let plan: PlanRecord;
    before(async () => {
        plan = await planComponents(() => {
            const provider = new aws.Provider("primary", { region: "us-east-1" });
            const zone = new HostedZone("dns", { domain: "dev.example.com", zoneId: "Z0123456789ABC" }, { provider });
            const dns = new FailoverDns("app", { zoneId: zone.zoneId, domain: "dev.example.com", primary }, { provider });
            return { url: dns.url, failoverSeconds: dns.failoverSeconds, nameServers: zone.nameServers };
        });
    });

    test("a simple alias record in the adopted zone, no health checks, no switch", () => {
        assert.deepEqual(ofType(plan, record).map((r) => r.inputs), [{
            zoneId: "Z0123456789ABC",
            name: "dev.example.com",
            type: "A",
            aliases: [{ name: primary.dnsName, zoneId: primary.zoneId, evaluateTargetHealth: true }],
        }]);
        assert.deepEqual([ofType(plan, healthCheck).length, ofType(plan, "aws:cloudwatch/metricAlarm:MetricAlarm").length, ofType(plan, "aws:route53/zone:Zone").length], [0, 0, 0]);
        assert.deepEqual([plan.outputs.url, plan.outputs.failoverSeconds, plan.outputs.nameServers], ["https://dev.example.com", undefined, []]);
    });
});

describe("FailoverDns refusals", () => {
    test("refuses health-check settings Route 53 refuses before registering anything", async () => {
        const refusal = await refusedArguments(() => {
            const { primary: east, dr: west } = twoRegions();
            new FailoverDns("app", {
                zoneId: "Z0123456789ABC",
                domain: "app.example.com",
                primary,
                secondary: { ...secondary, provider: west },
                healthCheck: { requestIntervalSeconds: 5, regions: ["us-east-1"] },
            }, { provider: east });
        });
        assert.equal(refusal.message, [
            "FailoverDns app: invalid arguments:",
            "  - healthCheck.requestIntervalSeconds: expected 10 or 30 (the intervals Route 53 accepts), got 5",
            '  - healthCheck.regions: expected at least 3 distinct checker regions, got ["us-east-1"]',
        ].join("\n"));
    });
});
