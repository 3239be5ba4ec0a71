import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import type { PlanResource } from "../../offline-plan/record";
import { arnOf, childrenOf, json, list, object, ofType, only, planComponents, refusedArguments } from "../../tests/plans";
import { RegionWatch, regionWatchProblems, watchEvaluation, type RegionWatchArgs } from "./region-watch";

/**
 * The RegionWatch component's contract, read from an offline plan of the DR region: alarms on
 * the load balancer's healthy targets and the replica's lag, paging through the region's own
 * encrypted topic.
 */

const types = {
    watch: "keel:monitoring:RegionWatch",
    provider: "pulumi:providers:aws",
    key: "aws:kms/key:Key",
    topic: "aws:sns/topic:Topic",
    subscription: "aws:sns/topicSubscription:TopicSubscription",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
} as const;

const pagerDutyUrl = "https://events.pagerduty.com/integration/abc/enqueue";
const loadBalancerDimensions = { LoadBalancer: "app/x/1", TargetGroup: "targetgroup/y/2" };

describe("RegionWatch in us-west-2 over a load balancer and a replica", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => {
            const provider = new aws.Provider("dr", { region: "us-west-2" });
            const watch = new RegionWatch("dr-watch", {
                notifications: { pagerDutyUrl: pulumi.secret(pagerDutyUrl), emails: ["oncall@example.com"] },
                loadBalancer: { dimensions: loadBalancerDimensions, minHealthyTargets: 1 },
                replica: { instanceIdentifier: "db-dr", maxLagSeconds: 300 },
            }, { provider });
            return { topicArn: watch.topicArn, alarmNames: watch.alarmNames };
        });
    });
    const topic = () => only(record, types.topic, "dr-watch-alarms");
    const key = () => only(record, types.key, "dr-watch-alarms");
    const alarm = (suffix: string) => only(record, types.alarm, `dr-watch-${suffix}`);

    test("creates a key, a topic, two subscriptions and two alarms, all children of the component in us-west-2", () => {
        const component = only(record, types.watch, "dr-watch");
        const children = childrenOf(record, component);
        assert.deepEqual(children.map((r) => `${r.type} ${r.name}`).sort(), [
            `${types.alarm} dr-watch-healthy-targets`,
            `${types.alarm} dr-watch-replica-lag`,
            `${types.key} dr-watch-alarms`,
            `${types.topic} dr-watch-alarms`,
            `${types.subscription} dr-watch-email-0`,
            `${types.subscription} dr-watch-pagerduty`,
        ].sort());
        const provider = only(record, types.provider, "dr").urn;
        for (const r of record.resources.filter((r) => r.type.startsWith("aws:"))) {
            assert.deepEqual([r.region, r.provider, r.parent], ["us-west-2", provider, component.urn], `${r.type} ${r.name}`);
        }
    });

    test("the topic is encrypted with the component's rotating key, whose policy lets CloudWatch publish", () => {
        assert.equal(topic().inputs.kmsMasterKeyId, arnOf(key()));
        assert.match(arnOf(key()), /^arn:aws:kms:us-west-2:123456789012:key\//);
        assert.deepEqual([key().inputs.enableKeyRotation, key().inputs.deletionWindowInDays], [true, 30]);
        const statements = list(json(key().inputs.policy, "policy").Statement, "Statement").map((s) => object(s, "statement"));
        const grant = statements.find((s) => s.Sid === "CloudWatchAlarmsPublish");
        assert.deepEqual(grant, { Sid: "CloudWatchAlarmsPublish", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*" });
        assert.equal(record.outputs.topicArn, arnOf(topic()));
    });

    test("PagerDuty subscribes over HTTPS, confirming itself, with the URL kept secret everywhere in the record", () => {
        const subscription = only(record, types.subscription, "dr-watch-pagerduty");
        assert.deepEqual(
            [subscription.inputs.topic, subscription.inputs.protocol, subscription.inputs.endpoint, subscription.inputs.endpointAutoConfirms],
            [arnOf(topic()), "https", "[secret]", true],
        );
        const plan = JSON.stringify(record);
        assert.ok(!plan.includes("integration/abc"), "the PagerDuty integration URL appears in the plan record");
        assert.ok(!plan.includes("events.pagerduty.com"), "the PagerDuty host appears in the plan record");
    });

    test("each team address gets an email subscription", () => {
        const subscription = only(record, types.subscription, "dr-watch-email-0");
        assert.deepEqual([subscription.inputs.topic, subscription.inputs.protocol, subscription.inputs.endpoint], [arnOf(topic()), "email", "oncall@example.com"]);
        assert.equal(ofType(record, types.subscription).length, 2);
    });

    const summary = (a: PlanResource) => {
        const i = a.inputs;
        return [i.namespace, i.metricName, i.statistic, i.comparisonOperator, i.threshold, i.dimensions];
    };
    const pages: [string, string, unknown[]][] = [
        ["healthy targets: pages below 1 healthy host behind the load balancer's target group", "healthy-targets", ["AWS/ApplicationELB", "HealthyHostCount", "Minimum", "LessThanThreshold", 1, loadBalancerDimensions]],
        ["replica lag: pages above 300 s on the DR replica", "replica-lag", ["AWS/RDS", "ReplicaLag", "Maximum", "GreaterThanThreshold", 300, { DBInstanceIdentifier: "db-dr" }]],
    ];
    for (const [title, name, expected] of pages) test(title, () => assert.deepEqual(summary(alarm(name)), expected));

    test("both alarms: three one-minute periods, missing data breaches, alarm and OK both notify the topic", () => {
        assert.deepEqual(watchEvaluation, { periodSeconds: 60, evaluationPeriods: 3 });
        for (const a of ofType(record, types.alarm)) {
            const i = a.inputs;
            assert.deepEqual([i.period, i.evaluationPeriods, i.treatMissingData, i.actionsEnabled], [60, 3, "breaching", true], a.name);
            assert.deepEqual([i.alarmActions, i.okActions], [[arnOf(topic())], [arnOf(topic())]], a.name);
            assert.ok(a.dependencies.includes(topic().urn), `${a.name} does not depend on the topic`);
        }
        assert.equal(ofType(record, types.alarm).length, 2);
        assert.equal(list(record.outputs.alarmNames, "alarmNames").length, 2);
    });
});

describe("regionWatchProblems", () => {
    const valid: RegionWatchArgs = {
        notifications: { pagerDutyUrl: "https://events.pagerduty.com/integration/abc/enqueue", emails: ["oncall@example.com"] },
        loadBalancer: { dimensions: loadBalancerDimensions, minHealthyTargets: 1 },
        replica: { instanceIdentifier: "db-dr", maxLagSeconds: 300 },
    };

    test("accepts a load balancer and a replica, or either alone", () => {
        assert.deepEqual(regionWatchProblems(valid), []);
        assert.deepEqual(regionWatchProblems({ ...valid, replica: undefined }), []);
        assert.deepEqual(regionWatchProblems({ ...valid, loadBalancer: undefined }), []);
    });

    test("refuses fewer than one healthy target", () => {
        assert.deepEqual(regionWatchProblems({ ...valid, loadBalancer: { dimensions: loadBalancerDimensions, minHealthyTargets: 0 } }), [
            { path: ["loadBalancer", "minHealthyTargets"], message: "expected a whole number of at least 1, got 0" },
        ]);
        assert.deepEqual(regionWatchProblems({ ...valid, loadBalancer: { dimensions: loadBalancerDimensions, minHealthyTargets: 1.5 } }), [
            { path: ["loadBalancer", "minHealthyTargets"], message: "expected a whole number of at least 1, got 1.5" },
        ]);
    });

    test("refuses a lag limit of 0", () => {
        assert.deepEqual(regionWatchProblems({ ...valid, replica: { instanceIdentifier: "db-dr", maxLagSeconds: 0 } }), [
            { path: ["replica", "maxLagSeconds"], message: "expected more than 0 seconds, got 0" },
        ]);
    });

    test("refuses something that is not an email address", () => {
        assert.deepEqual(regionWatchProblems({ ...valid, notifications: { emails: ["oncall@example.com", "oncall"] } }), [
            { path: ["notifications", "emails"], message: '"oncall" is not an email address' },
        ]);
        assert.deepEqual(regionWatchProblems({ ...valid, notifications: { emails: [] } }), [
            { path: ["notifications", "emails"], message: "give at least one address (warnings reach nobody else)" },
        ]);
    });

    test("refuses nothing to watch", () => {
        assert.deepEqual(regionWatchProblems({ notifications: valid.notifications }), [{ path: [], message: "nothing to watch: give a loadBalancer, a replica or both" }]);
    });

    test("the constructor refuses with every problem and registers nothing", async () => {
        const refusal = await refusedArguments(() => {
            const provider = new aws.Provider("dr", { region: "us-west-2" });
            new RegionWatch("bad", { notifications: { pagerDutyUrl: "https://events.pagerduty.com/integration/abc/enqueue", emails: ["nobody"] } }, { provider });
        });
        assert.equal(refusal.message, [
            "RegionWatch bad: invalid arguments:",
            '  - notifications.emails: "nobody" is not an email address',
            "  - nothing to watch: give a loadBalancer, a replica or both",
        ].join("\n"));
    });
});
