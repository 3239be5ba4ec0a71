import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PlanResource } from "../../offline-plan/record";
import { packConfigFor, plannedBeforeTests, planStack } from "../../tests/plans";
import { policyResourcesOf } from "../offline";
import { found } from "../testing";
import { drReadiness, minutes, planReadiness, readinessOf, scheduleIntervalSeconds } from "./readiness";

type Values = Record<string, unknown>;
const production = packConfigFor("production");
/** A copy of the plan's records with `edit` applied to the first record `pick` finds. */
function edited(resources: readonly PlanResource[], pick: (r: PlanResource) => boolean, edit: (inputs: Values) => void): PlanResource[] {
    const copy = structuredClone(resources) as PlanResource[];
    const target = copy.find(pick);
    assert.ok(target, "nothing to edit");
    edit(target.inputs);
    return copy;
}
const judge = (resources: readonly PlanResource[], settings: Values = {}) =>
    found(drReadiness, resources, { "keel-dr-readiness": { ...(production["keel-dr-readiness"] as Values), ...settings } });

describe("AWS Backup schedules", () => {
    const cases: [string, number | undefined][] = [
        ["cron(0 6 ? * * *)", 24 * 3600],
        ["cron(0 6 ? * SUN *)", 7 * 24 * 3600],
        ["cron(0 6 1 * ? *)", 31 * 24 * 3600],
        ["cron(0 * ? * * *)", 3600],
        ["cron(0 0/4 ? * * *)", 4 * 3600],
        ["cron(0 6,18 ? * * *)", 12 * 3600],
        ["cron(0 2,8 ? * * *)", 18 * 3600],
        ["cron(0 6 ? * MON-FRI *)", undefined],
        ["rate(1 hour)", undefined],
    ];
    for (const [schedule, seconds] of cases) test(`${schedule}: ${seconds === undefined ? "unread" : minutes(seconds)} at most between runs`, () => assert.equal(scheduleIntervalSeconds(schedule), seconds));
});

describe("readiness of the production plan", () => {
    const plan = plannedBeforeTests(() => planStack("production"));
    const readiness = () => readinessOf(policyResourcesOf(plan()), { promotionSeconds: 600 });

    test("judges the loss of us-east-1, where the database and the PRIMARY record serve, whatever order the names come in", () => {
        assert.deepEqual([readiness().servingRegion, readiness().primaryRegion], ["us-east-1", "us-east-1"]);
        const reversed = readinessOf(policyResourcesOf({ resources: [...plan().resources].reverse() }), { promotionSeconds: 600 });
        assert.equal(reversed.servingRegion, "us-east-1", "the reader name points at the replica's region, which serves no writes");
    });

    test("the database and the cache lose at most their lag alarms' 5 minutes; each replicated bucket RTC's 15 minutes", () => {
        const rpo = Object.fromEntries(readiness().stores.map((s) => [s.store, [s.dataClass, s.rpo.seconds]]));
        assert.deepEqual(rpo.database, ["transactional", 300]);
        assert.deepEqual(rpo.cache, ["transactional", 300]);
        for (const bucket of ["configuration", "uploads", "logs", "database-dumps", "monitoring-loki"]) assert.deepEqual(rpo[`bucket ${bucket}`], ["files", 900], bucket);
        assert.deepEqual(rpo["AWS Backup plan backup-plan"], ["backups", 24 * 3600 + 180 * 60]);
    });

    test("traffic moves within 11.5 minutes: 30 s of failed checks, the 60 s TTL, a 10-minute promotion, a pilot light already serving", () => {
        assert.deepEqual(readiness().rtoParts.map((p) => [p.step, p.seconds]), [["detection", 30], ["DNS", 60], ["promotion", 600], ["capacity", 0]]);
        assert.equal(readiness().rto.seconds, 690);
    });

    test("the plan document carries it, judged by production's objectives", () => {
        const judged = planReadiness(policyResourcesOf(plan()), production);
        assert.deepEqual([judged?.problems, judged?.failedOver, judged?.objectives], [[], false, { rtoMinutes: 15, rpoMinutes: { transactional: 5, files: 240 } }]);
        assert.equal(planReadiness(policyResourcesOf(plan()), packConfigFor("dev")), undefined, "dev states no objectives");
    });

    test("keel-dr-readiness passes the plan, and refuses changes that break an objective", async () => {
        assert.deepEqual(await judge(plan().resources), []);
        const lagAlarms = (r: PlanResource) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.inputs.metricName === "ReplicaLag";
        const lax = structuredClone(plan().resources) as PlanResource[];
        for (const alarm of lax.filter(lagAlarms)) alarm.inputs.threshold = 900;
        assert.deepEqual(await judge(lax), [
            "database: worst-case RPO 15 min breaks the 5 min objective for transactional (the DR replica's lag pages above 900 s (cross-Region replication is asynchronous: what it has not received is lost))",
        ]);
        const untimed = edited(plan().resources, (r) => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig" && r.name === "uploads-replication", (i) => {
            for (const rule of i.rules as Values[]) delete (rule.destination as Values).replicationTime;
        });
        assert.deepEqual(await judge(untimed), ["bucket uploads: worst-case RPO unbounded breaks the 240 min objective for files (replicated without Replication Time Control (no SLA bounds the delay))"]);
        const slow = edited(plan().resources, (r) => r.type === "aws:route53/healthCheck:HealthCheck" && r.inputs.type === "HTTPS", (i) => Object.assign(i, { requestInterval: 30, failureThreshold: 10 }));
        assert.match((await judge(slow))[0], /^traffic: worst-case RTO 16 min breaks the 15 min objective/);
        const cold = edited(plan().resources, (r) => r.type === "aws:autoscaling/group:Group" && r.region === "us-west-2", (i) => Object.assign(i, { minSize: 0, desiredCapacity: 0 }));
        assert.deepEqual(await judge(cold), ["traffic: worst-case RTO unbounded breaks the 15 min objective (no instance runs in the DR region: launching one has no documented duration)"]);
        assert.match((await judge(plan().resources, { promotionMinutes: 20 }))[0], /^traffic: worst-case RTO 21.5 min breaks the 15 min objective/);
        const cacheLag = (r: PlanResource) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.name.endsWith("-global-replication-lag");
        const laxCache = structuredClone(plan().resources) as PlanResource[];
        for (const alarm of laxCache.filter(cacheLag)) alarm.inputs.threshold = 1800;
        assert.deepEqual(await judge(laxCache), [
            "cache: worst-case RPO 30 min breaks the 5 min objective for transactional (the Global Datastore's lag pages above 1800 s (replication across regions is asynchronous; AWS documents no bound on the lag))",
        ]);
        const alone = plan().resources.filter((r) => r.type !== "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup" && r.name !== "cache-dr");
        assert.deepEqual(await judge(alone), ["cache: worst-case RPO unbounded breaks the 5 min objective for transactional (no copy outside the serving region (snapshots stay in their region))"]);
    });
});

describe("readiness while failed over", () => {
    const plan = plannedBeforeTests(() => planStack("production", ["keel:dr.active=true"]));

    test("the database serves from us-west-2 while the PRIMARY record still names us-east-1: recovering, not judged", async () => {
        const judged = planReadiness(policyResourcesOf(plan()), production);
        assert.deepEqual([judged?.servingRegion, judged?.primaryRegion, judged?.failedOver, judged?.problems], ["us-west-2", "us-east-1", true, []]);
        assert.deepEqual(await judge(plan().resources), []);
    });
});
