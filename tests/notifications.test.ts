import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../offline-plan/engine";
import type { PlanResource } from "../offline-plan/record";
import { arnOf, list, ofType, planStack, text } from "./plans";

/**
 * An alarm is done when a person hears it: every SNS topic an alarm, an RDS event subscription
 * or a backup vault publishes to has a subscriber, and every alarm has its actions enabled —
 * except the failover switch, the alarm a Route 53 health check reads and nobody is paged by.
 */

const types = {
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    topic: "aws:sns/topic:Topic",
    subscription: "aws:sns/topicSubscription:TopicSubscription",
    events: "aws:rds/eventSubscription:EventSubscription",
    vaultNotifications: "aws:backup/vaultNotifications:VaultNotifications",
} as const;

/** The alarm FailoverDns creates for its manual switch: read by a health check, never notifying. */
const isFailoverSwitch = (alarm: PlanResource) => alarm.name.endsWith("-failover-switch");

/** Topic ARN → what publishes to it. */
function publishers(plan: PlanRecord): Map<string, string[]> {
    const by = new Map<string, string[]>();
    const add = (arn: unknown, who: string) => {
        // Alarm actions also name scaling policies; only SNS topics notify people.
        if (typeof arn !== "string" || !arn.startsWith("arn:aws:sns:")) return;
        by.set(arn, [...(by.get(arn) ?? []), who]);
    };
    for (const alarm of ofType(plan, types.alarm)) {
        for (const key of ["alarmActions", "okActions", "insufficientDataActions"]) for (const arn of (alarm.inputs[key] as unknown[] | undefined) ?? []) add(arn, `alarm ${alarm.name}`);
    }
    for (const events of ofType(plan, types.events)) add(events.inputs.snsTopic, `RDS events ${events.name}`);
    for (const vault of ofType(plan, types.vaultNotifications)) add(vault.inputs.snsTopicArn, `backup vault ${vault.name}`);
    return by;
}

const scenarios: [string, readonly string[]][] = [["production", []], ["production in DR mode", ["keel:dr.active=true"]]];

for (const [label, overrides] of scenarios) {
    describe(`${label}: every alarm reaches a person`, () => {
        let plan: PlanRecord;
        before(async () => {
            plan = await planStack("production", overrides);
        });

        test("every topic something publishes to has a subscriber", () => {
            const subscribed = new Set(ofType(plan, types.subscription).map((s) => text(s.inputs.topic, `${s.name}.topic`)));
            const topics = new Map(ofType(plan, types.topic).map((t) => [arnOf(t), t.name]));
            const silent = [...publishers(plan)].filter(([arn]) => !subscribed.has(arn)).map(([arn, who]) => `${topics.get(arn) ?? arn} (${who.join(", ")})`);
            assert.deepEqual(silent, []);
            assert.ok(publishers(plan).size >= 4, "expected the database and backup topics in both regions");
        });

        test("every alarm but the failover switch has its actions enabled and notifies a topic", () => {
            const mute = ofType(plan, types.alarm).filter((a) => !isFailoverSwitch(a))
                .filter((a) => a.inputs.actionsEnabled === false || list(a.inputs.alarmActions ?? [], `${a.name}.alarmActions`).length === 0)
                .map((a) => a.name);
            assert.deepEqual(mute, []);
        });

        test("the critical topics page through PagerDuty", () => {
            const paging = new Set(ofType(plan, types.subscription).filter((s) => s.inputs.protocol === "https" && s.inputs.endpointAutoConfirms === true).map((s) => s.inputs.topic));
            const critical = ofType(plan, types.events).map((e) => e.inputs.snsTopic);
            assert.ok(critical.length > 0);
            for (const arn of critical) assert.ok(paging.has(arn), `${String(arn)} does not page`);
        });
    });
}
