import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { found, resource, type Fixture } from "../testing";
import { alarmActions, deliversAlarms, promqlThreshold, replicaLagAlarm } from "./alerting";

const alarmType = "aws:cloudwatch/metricAlarm:MetricAlarm";
const topicArn = "arn:aws:sns:us-east-1:123456789012:alarms-1a2b3c4";

const topic = resource("aws:sns/topic:Topic", {}, { name: "alarms" });
const subscription = (inputs: Record<string, unknown> = {}, name = "alarms-email") =>
    resource("aws:sns/topicSubscription:TopicSubscription", { protocol: "email", endpoint: "oncall@example.com", topic: topicArn, ...inputs }, { name, dependsOn: [topic.resource] });
const alarm = (inputs: Record<string, unknown> = {}, name = "cpu", dependsOn: Fixture[] = [topic]) =>
    resource(alarmType, { metricName: "CPUUtilization", namespace: "AWS/RDS", threshold: 80, comparisonOperator: "GreaterThanThreshold", actionsEnabled: true, alarmActions: [topicArn], ...inputs }, { name, dependsOn: dependsOn.map((f) => f.resource) });

const refusals = (...fixtures: Fixture[]) => found(alarmActions, fixtures);

describe("keel-alarm-actions", () => {
    test("passes an alarm publishing to a subscribed topic, matched by dependency, ARN or name, and one acting on autoscaling", async () => {
        assert.deepEqual(await refusals(topic, subscription(), alarm()), []);
        const named = resource("aws:sns/topic:Topic", { arn: topicArn }, { name: "pager" });
        assert.deepEqual(await refusals(named, resource("aws:sns/topicSubscription:TopicSubscription", { protocol: "https", endpoint: "[secret]", topic: topicArn }), alarm({}, "cpu", [])), []);
        assert.deepEqual(await refusals(alarm({ alarmActions: ["arn:aws:autoscaling:us-east-1:123456789012:policy/scale-in"] }, "low-load", [])), []);
    });

    test("passes the failover switch a Route 53 health check reads, and only that alarm", async () => {
        const failoverSwitch = resource(alarmType, { metricName: "PrimaryOutOfService", namespace: "Keel/Failover", threshold: 1 }, { name: "app-failover-switch", provider: { region: "us-west-2" } });
        const check = resource("aws:route53/healthCheck:HealthCheck", { type: "CLOUDWATCH_METRIC", cloudwatchAlarmName: "app-failover-switch-243e1cd", cloudwatchAlarmRegion: "us-west-2" }, { name: "app-failover-switch", dependsOn: [failoverSwitch.resource] });
        assert.deepEqual(await refusals(failoverSwitch, check), []);
        // A health check naming one alarm does not exempt another that merely depends on nothing.
        const other = resource(alarmType, { metricName: "CPUUtilization" }, { name: "app-failover-switch-2", provider: { region: "us-west-2" } });
        assert.deepEqual(await refusals(failoverSwitch, check, other), ["alarm app-failover-switch-2 has no alarmActions: it changes state and tells nobody (CloudWatch alarms notify only through their actions)"]);
        const elsewhere = resource("aws:route53/healthCheck:HealthCheck", { type: "CLOUDWATCH_METRIC", cloudwatchAlarmName: "app-failover-switch-243e1cd", cloudwatchAlarmRegion: "eu-west-1" }, { dependsOn: [failoverSwitch.resource] });
        assert.equal((await refusals(failoverSwitch, elsewhere)).length, 1);
    });

    test("refuses an alarm without actions, with actions disabled or with an empty list", async () => {
        assert.deepEqual(await refusals(topic, subscription(), alarm({ actionsEnabled: false })), ["alarm cpu has its actions disabled (actionsEnabled: false): it changes state and tells nobody (CloudWatch alarms notify only through their actions)"]);
        assert.equal((await refusals(topic, subscription(), alarm({ actionsEnabled: "false" }))).length, 1);
        assert.equal((await refusals(topic, subscription(), alarm({ alarmActions: [] }))).length, 1);
        assert.equal((await refusals(topic, subscription(), alarm({ alarmActions: undefined, okActions: [topicArn] }))).length, 1);
        assert.equal((await refusals(resource("aws:cloudwatch/compositeAlarm:CompositeAlarm", { alarmRule: "ALARM(a)" }))).length, 1);
    });

    test("refuses an alarm publishing to a topic nobody receives: no subscription, a storage-only protocol, or a filter alarm messages never pass", async () => {
        const silent = "alarm cpu publishes to SNS topic alarms, which has no subscription that delivers alarm notifications: nobody would hear it";
        assert.deepEqual(await refusals(topic, alarm()), [silent]);
        assert.deepEqual(await refusals(topic, alarm({ alarmActions: ["[unknown]"] })), [silent]);
        assert.deepEqual(await refusals(topic, subscription({ protocol: "sqs", endpoint: "arn:aws:sqs:us-east-1:123456789012:sink" }), alarm()), [silent]);
        assert.deepEqual(await refusals(topic, subscription({ filterPolicy: JSON.stringify({ State: [{ "anything-but": "COMPLETED" }] }) }), alarm()), [silent]);
        assert.deepEqual(await refusals(topic, subscription({ filterPolicy: JSON.stringify({ State: [{ exists: false }] }) }), alarm()), []);
        // The alarm's ARN names a topic of the plan even when the dependency points elsewhere.
        const other = resource("aws:sns/topic:Topic", {}, { name: "other" });
        assert.deepEqual(await refusals(topic, subscription(), other, alarm({ alarmActions: ["arn:aws:sns:us-east-1:123456789012:other-7d6e5f4"] })), ["alarm cpu publishes to SNS topic other, which has no subscription that delivers alarm notifications: nobody would hear it"]);
    });

    test("refuses a topic encrypted with a key CloudWatch may not use: the AWS managed key, a policy without CloudWatch, a Deny", async () => {
        const grant = { Sid: "CloudWatchAlarmsPublish", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*" };
        const root = { Sid: "Account", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" };
        const key = (statements: unknown[] | undefined) => resource("aws:kms/key:Key", statements === undefined ? {} : { policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) }, { name: "alarms-key" });
        const encrypted = (k: Fixture) => resource("aws:sns/topic:Topic", { kmsMasterKeyId: "arn:aws:kms:us-east-1:123456789012:key/1234" }, { name: "alarms", dependsOn: [k.resource] });
        const plan = (k: Fixture) => [k, encrypted(k), subscription(), alarm()];
        assert.deepEqual(await refusals(...plan(key([root, grant]))), []);
        const refused = "alarm cpu publishes to SNS topic alarms, which is encrypted with KMS key alarms-key, whose key policy does not let cloudwatch.amazonaws.com use it (kms:GenerateDataKey*, kms:Decrypt): CloudWatch could not deliver the notification";
        assert.deepEqual(await refusals(...plan(key([root]))), [refused]);
        assert.deepEqual(await refusals(...plan(key(undefined))), [refused]);
        assert.deepEqual(await refusals(...plan(key([root, grant, { Effect: "Deny", Principal: "*", Action: "kms:Decrypt", Resource: "*" }]))), [refused]);
        assert.deepEqual(await refusals(...plan(key([root, { ...grant, Action: ["kms:Decrypt"] }]))), [refused]);
        const managed = resource("aws:sns/topic:Topic", { kmsMasterKeyId: "alias/aws/sns" }, { name: "alarms" });
        assert.match((await refusals(managed, subscription(), alarm()))[0], /encrypted with the AWS managed key alias\/aws\/sns/);
    });

    test("reads which subscriptions deliver alarm notifications", () => {
        assert.equal(deliversAlarms({ protocol: "https", endpoint: "[secret]" }), true);
        assert.equal(deliversAlarms({ protocol: "firehose" }), false);
        assert.equal(deliversAlarms({ protocol: "email", endpoint: "" }), false);
        assert.equal(deliversAlarms({ protocol: "email", filterPolicy: { NewStateValue: ["ALARM"] }, filterPolicyScope: "MessageBody" }), true);
    });
});

const rpo = { "keel-replica-lag-alarm": { rpoSeconds: 300 } };
const replica = resource("aws:rds/instance:Instance", { replicateSourceDb: "arn:aws:rds:us-east-1:123456789012:db:primary" }, { name: "database-dr" });
const lagAlarm = (inputs: Record<string, unknown> = {}) => alarm({
    metricName: "ReplicaLag", threshold: 300, statistic: "Maximum", period: 60, evaluationPeriods: 2, datapointsToAlarm: 2, treatMissingData: "breaching", ...inputs,
}, "replication-lag", [topic, replica]);
const lag = (...fixtures: Fixture[]) => found(replicaLagAlarm, fixtures, rpo);

describe("keel-replica-lag-alarm", () => {
    test("passes a lag alarm at the RPO for each replica, in seconds (RDS) or milliseconds (Aurora)", async () => {
        assert.deepEqual(await lag(replica, lagAlarm()), []);
        assert.deepEqual(await lag(replica, lagAlarm({ metricName: "AuroraGlobalDBReplicationLag", threshold: 300000 })), []);
        assert.deepEqual(await lag(resource("aws:rds/instance:Instance", {}, { name: "primary" })), []);
    });

    test("refuses a threshold above the RPO, in either unit", async () => {
        assert.deepEqual(await lag(replica, lagAlarm({ threshold: 3600 })), ["replica-lag alarm replication-lag fires only above 3600 s of lag (threshold 3600 on ReplicaLag), beyond the RPO of 300 s (guides: RPO 300 s)"]);
        assert.match((await lag(replica, lagAlarm({ metricName: "AuroraGlobalDBReplicationLag", threshold: 600000 })))[0], /above 600 s of lag/);
    });

    test("refuses an alarm that cannot fire or tell anyone: inverted, disabled, silent on missing data, slow, counting samples", async () => {
        assert.match((await lag(replica, lagAlarm({ comparisonOperator: "LessThanThreshold" })))[0], /compares with LessThanThreshold/);
        assert.match((await lag(replica, lagAlarm({ actionsEnabled: false })))[0], /actions disabled/);
        assert.match((await lag(replica, lagAlarm({ alarmActions: [] })))[0], /has no alarmActions/);
        assert.match((await lag(replica, lagAlarm({ treatMissingData: "notBreaching" })))[0], /treats missing data as "notBreaching"/);
        assert.match((await lag(replica, lagAlarm({ treatMissingData: undefined })))[0], /treats missing data as "missing"/);
        assert.match((await lag(replica, lagAlarm({ evaluationPeriods: 60, datapointsToAlarm: 60 })))[0], /needs 60 × 60 s = 3600 s/);
        assert.match((await lag(replica, lagAlarm({ statistic: "SampleCount" })))[0], /counts samples/);
    });

    test("refuses a lag computed through an expression it cannot compare with the RPO", async () => {
        const metricQueries = [
            { id: "m1", metric: { metricName: "ReplicaLag", namespace: "AWS/RDS", period: 60, stat: "Maximum" }, returnData: false },
            { id: "e1", expression: "m1 / 100", returnData: true },
        ];
        assert.match((await lag(replica, lagAlarm({ metricName: undefined, metricQueries })))[0], /alarms on the expression "m1 \/ 100" rather than ReplicaLag itself/);
        assert.deepEqual(await lag(replica, lagAlarm({ metricName: undefined, metricQueries: [{ ...metricQueries[0], returnData: true }] })), []);
    });

    test("refuses a replica without a lag alarm", async () => {
        assert.deepEqual(await lag(replica, alarm()), ["replica database-dr has no replication-lag alarm: nobody would learn that it fell more than the RPO (300 s) behind"]);
        const secondary = resource("aws:rds/cluster:Cluster", { globalClusterIdentifier: "[unknown]", engine: "aurora-postgresql" }, { name: "aurora-dr" });
        assert.equal((await lag(secondary)).length, 1);
    });

    test("refuses Prometheus' ReplicaLag rule above the RPO or scaled out of reach", async () => {
        const prometheus = (expr: string) => [
            resource("kubernetes:helm.sh/v3:Release", { chart: "kube-prometheus-stack", name: "kps", values: { prometheus: { prometheusSpec: { ruleSelectorNilUsesHelmValues: false } } } }, { name: "kps" }),
            resource("kubernetes:monitoring.coreos.com/v1:PrometheusRule", { metadata: { name: "keel-alerts", namespace: "default" }, spec: { groups: [{ name: "db", rules: [{ alert: "ReplicaLag", expr, labels: { severity: "critical" } }] }] } }, { name: "keel-alerts" }),
        ];
        assert.deepEqual(await lag(...prometheus("pg_replication_lag_seconds > 300")), []);
        assert.deepEqual(await lag(...prometheus("pg_replication_lag_seconds > 3600")), ["Prometheus ReplicaLag rule of kps (PrometheusRule keel-alerts) fires only above 3600 s of lag, beyond the RPO of 300 s"]);
        assert.match((await lag(...prometheus("pg_replication_lag_seconds / 60 > 300")))[0], /scales or combines the lag/);
        assert.equal(promqlThreshold('max by (instance) (pg_replication_lag_seconds{job="postgres-exporter"}) >= 5 * 60'), 300);
        assert.equal(promqlThreshold("pg_replication_lag_seconds > bool (10 + 2) * 60"), 720);
    });
});
