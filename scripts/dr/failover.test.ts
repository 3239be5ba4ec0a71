import { BackupClient, ListRecoveryPointsByBackupVaultCommand } from "@aws-sdk/client-backup";
import { CloudWatchClient, GetMetricStatisticsCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { DescribeGlobalReplicationGroupsCommand, DescribeReplicationGroupsCommand, ElastiCacheClient, FailoverGlobalReplicationGroupCommand } from "@aws-sdk/client-elasticache";
import { CloudFrontClient, CreateInvalidationCommand } from "@aws-sdk/client-cloudfront";
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, type TargetHealthStateEnum } from "@aws-sdk/client-elastic-load-balancing-v2";
import { mockClient } from "aws-sdk-client-mock";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, test } from "node:test";
import { planStack, projectRoot } from "../../tests/plans";
import type { Clients } from "./checks";
import { evaluatePolicies, mandatoryViolations, RefusedInput } from "../../policies/offline";
import { keelPolicies } from "../../policies/rules";
import { calendarAsOf } from "../../policies/rules/change-calendar";
import { drFailoverCommand } from "../dr-failover";
import { databaseUrn, dryRunPhase, phases, RefusedError, runPhase, type DeployOptions, type DrStack, type RunOptions } from "./failover";

const start = new Date("2026-11-22T03:00:00Z");
const hoursAgo = (hours: number) => new Date(start.getTime() - hours * 3_600_000);

const primaryArn = "arn:aws:rds:us-east-1:123456789012:db:database-primary-a30d83e";
const drArn = "arn:aws:rds:us-west-2:123456789012:db:database-dr-58436c8";
const drVaultArn = "arn:aws:backup:us-west-2:123456789012:backup-vault:backup-dr-vault-9016521";
const primaryAlb = "app-primary-1.us-east-1.elb.amazonaws.com";
const globalDatastoreId = "ldgnf-keel-production-cache";
const cacheGroups = { primary: "keel-production-cache", dr: "keel-production-cache-dr" };
const drAlb = "app-dr-1.us-west-2.elb.amazonaws.com";

/** The production stack's outputs (the names stacks/aws.ts exports for production), in a given mode. */
const outputs = (writerSite: "primary" | "dr", drActive: boolean) => ({
    environment: "production",
    drActive,
    database: { engine: "postgres", primaryArn, drArn, writerSite, writerEndpoint: "writer.db.production.internal" },
    backup: { vaultArn: "arn:aws:backup:us-east-1:123456789012:backup-vault:backup-vault-7f66e06", drVaultArn },
    traffic: {
        url: "https://app.example.com",
        loadBalancerDnsNames: { primary: primaryAlb, dr: drAlb },
        failoverSwitch: { region: "us-west-2", namespace: "Keel/Failover", metricName: "PrimaryOutOfService", dimensions: { Record: "app.example.com" }, alarmName: "switch" },
    },
    cache: { engine: "valkey", globalDatastoreId, replicationGroupIds: cacheGroups, regions: { primary: "us-east-1", dr: "us-west-2" }, writerSite: drActive ? "dr" : "primary" },
});

/** A stack that records what the script does to it; `up` moves it to `after`. */
class FakeStack implements DrStack {
    readonly name = "production";
    readonly project = "keel";
    readonly calls: string[] = [];
    readonly deploys: DeployOptions[] = [];
    upResult = "succeeded";
    private current: Record<string, unknown>;

    constructor(
        readonly config: Map<string, string>,
        before: Record<string, unknown>,
        private readonly after: Record<string, unknown>,
    ) {
        this.current = before;
    }

    async outputs() {
        return this.current;
    }
    async getConfig(path: string) {
        return this.config.get(path);
    }
    async setConfig(path: string, value: string) {
        this.calls.push(`config ${path}=${value}`);
        this.config.set(path, value);
    }
    async unprotect(urn: string) {
        this.calls.push(`unprotect ${urn}`);
    }
    async preview(options: DeployOptions) {
        this.calls.push("preview");
        this.deploys.push(options);
        return { changeSummary: { same: 180, update: 5, replace: 1 } };
    }
    async up(options: DeployOptions) {
        this.calls.push("up");
        this.deploys.push(options);
        options.onOutput("Updating (production)\n");
        if (this.upResult === "succeeded") this.current = this.after;
        return { result: this.upResult };
    }
}

const cloudwatchEast = new CloudWatchClient({ region: "us-east-1" });
const cloudwatchWest = new CloudWatchClient({ region: "us-west-2" });
const rdsEast = new RDSClient({ region: "us-east-1" });
const rdsWest = new RDSClient({ region: "us-west-2" });
const backupWest = new BackupClient({ region: "us-west-2" });
const elasticacheEast = new ElastiCacheClient({ region: "us-east-1" });
const elasticacheWest = new ElastiCacheClient({ region: "us-west-2" });
const elbEast = new ElasticLoadBalancingV2Client({ region: "us-east-1" });
const elbWest = new ElasticLoadBalancingV2Client({ region: "us-west-2" });
const cloudfront = new CloudFrontClient({ region: "us-east-1" });
const mocks = {
    cloudwatchEast: mockClient(cloudwatchEast),
    cloudwatchWest: mockClient(cloudwatchWest),
    rdsEast: mockClient(rdsEast),
    rdsWest: mockClient(rdsWest),
    backupWest: mockClient(backupWest),
    elasticacheEast: mockClient(elasticacheEast),
    elasticacheWest: mockClient(elasticacheWest),
    elbEast: mockClient(elbEast),
    elbWest: mockClient(elbWest),
    cloudfront: mockClient(cloudfront),
};
/** Which region's group the Global Datastore's primary is, as ElastiCache answers; FailoverGlobalReplicationGroup moves it. */
let cachePrimaryGroup: string;
const cacheFailovers: { region: string; input: object }[] = [];
let health: Record<string, number | Error>;
const healthRequests: string[] = [];
const clients: Clients = {
    cloudwatch: (region) => (region === "us-west-2" ? cloudwatchWest : cloudwatchEast),
    rds: (region) => (region === "us-west-2" ? rdsWest : rdsEast),
    backup: (region) => {
        assert.equal(region, "us-west-2", "only the DR vault is read");
        return backupWest;
    },
    elasticache: (region) => (region === "us-west-2" ? elasticacheWest : elasticacheEast),
    elbv2: (region) => (region === "us-west-2" ? elbWest : elbEast),
    cloudfront: () => cloudfront,
    httpsGet: async (host, serverName, path) => {
        healthRequests.push(`${host} ${serverName} ${path}`);
        const answer = health[host];
        if (answer instanceof Error) throw answer;
        return answer;
    },
};

const lag = (mock: typeof mocks.cloudwatchWest, identifier: string, maxima: number[]) =>
    mock.on(GetMetricStatisticsCommand, { MetricName: "ReplicaLag", Dimensions: [{ Name: "DBInstanceIdentifier", Value: identifier }] })
        .resolves({ Datapoints: maxima.map((Maximum, i) => ({ Maximum, Timestamp: new Date(start.getTime() - i * 60_000) })) });

/** A DR region ready to take over: lag 12 s, DR ALB healthy, a DR recovery point 3 h old; promotion works. */
function ready() {
    for (const mock of Object.values(mocks)) mock.reset();
    healthRequests.length = 0;
    health = { [drAlb]: 200, [primaryAlb]: 200 };
    lag(mocks.cloudwatchWest, "database-dr-58436c8", [4, 12, 7]);
    mocks.backupWest.on(ListRecoveryPointsByBackupVaultCommand, { BackupVaultName: "backup-dr-vault-9016521" }).resolves({ RecoveryPoints: [{ Status: "COMPLETED", CreationDate: hoursAgo(3) }] });
    mocks.rdsWest.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "database-dr-58436c8" }).resolves({ DBInstances: [{ DBInstanceStatus: "available" }] });
    cachePrimaryGroup = cacheGroups.primary;
    cacheFailovers.length = 0;
    for (const [region, mock] of [["us-east-1", mocks.elasticacheEast], ["us-west-2", mocks.elasticacheWest]] as const) {
        mock.on(DescribeGlobalReplicationGroupsCommand, { GlobalReplicationGroupId: globalDatastoreId, ShowMemberInfo: true }).callsFake(() => ({
            GlobalReplicationGroups: [{ Members: Object.values(cacheGroups).map((id) => ({ ReplicationGroupId: id, Role: id === cachePrimaryGroup ? "PRIMARY" : "SECONDARY", Status: "associated" })) }],
        }));
        mock.on(FailoverGlobalReplicationGroupCommand).callsFake((input: { PrimaryReplicationGroupId: string }) => {
            cacheFailovers.push({ region, input });
            cachePrimaryGroup = input.PrimaryReplicationGroupId;
            return {};
        });
    }
}

/** Each reading of the clock is one minute after the last. */
function minuteClock() {
    let tick = 0;
    return () => new Date(start.getTime() + tick++ * 60_000);
}

/** The offline plan difference, as the script prints it (scripts/dr/plan-diff.ts renders the real one). */
const fakeDiff = async () => "  ~ aws:rds:Instance database-dr: replicateSourceDb\n  0 to add, 1 to change, 0 to remove";
const nobodyAsked = async () => assert.fail("asked for confirmation although --yes was given");

/** A run with --yes unless `extra` says otherwise. */
function run(stack: FakeStack, extra: Partial<RunOptions> = {}, phase = phases.failover) {
    const log: string[] = [];
    const result = runPhase(phase, {
        stack, clients, rpoSeconds: 300, force: false, yes: true, confirm: nobodyAsked, planDiff: fakeDiff,
        policyPack: "policies", policyPackConfig: "policies/config/production.json",
        clock: minuteClock(), log: (line) => log.push(line), ...extra,
    });
    return result.then((r) => ({ ...r, log: log.join("\n") }));
}

const failoverStack = () => new FakeStack(new Map(), outputs("primary", false), outputs("dr", true));

describe("dr-failover", () => {
    beforeEach(ready);

    test("fails over: preflight, switch, config, up with the policy pack, verify, timeline with the RTO", async () => {
        const stack = failoverStack();
        const result = await run(stack);
        assert.equal(result.ok, true);
        assert.deepEqual(stack.calls, ["config keel:dr.active=true", "up"]);
        const [up] = stack.deploys;
        assert.deepEqual([up.policyPacks, up.policyPackConfigs, up.replace], [["policies"], ["policies/config/production.json"], []]);
        assert.match(result.log, /Updating \(production\)/, "pulumi's output is streamed");
        assert.match(result.log, /PASS {2}DR replica database-dr-58436c8: ReplicaLag \(max over 5 min\): 12 s \(RPO 300 s\)/);
        assert.match(result.log, /PASS {2}DR endpoint https:\/\/app-dr-1\.us-west-2\.elb\.amazonaws\.com\/health \(as app\.example\.com\): HTTP 200/);
        assert.match(result.log, /PASS {2}DR vault backup-dr-vault-9016521: newest recovery point: 3\.0 h old \(limit 26 h\)/);
        assert.match(result.log, /PASS {2}DR database database-dr-58436c8: available writer: available, no replication source/);
        assert.deepEqual(healthRequests, [`${drAlb} app.example.com /health`, `${drAlb} app.example.com /health`]);

        const lagQuery = mocks.cloudwatchWest.commandCalls(GetMetricStatisticsCommand)[0].args[0].input;
        assert.deepEqual(lagQuery, {
            Namespace: "AWS/RDS", MetricName: "ReplicaLag", Dimensions: [{ Name: "DBInstanceIdentifier", Value: "database-dr-58436c8" }],
            StartTime: new Date(start.getTime() + 60_000 - 300_000), EndTime: new Date(start.getTime() + 60_000), Period: 60, Statistics: ["Maximum"],
        });
        const switchCall = mocks.cloudwatchWest.commandCalls(PutMetricDataCommand);
        assert.deepEqual(switchCall.map((c) => c.args[0].input), [{
            Namespace: "Keel/Failover", MetricData: [{ MetricName: "PrimaryOutOfService", Dimensions: [{ Name: "Record", Value: "app.example.com" }], Value: 1 }],
        }]);
        assert.deepEqual(result.timeline.split("\n"), [
            "timeline",
            "  2026-11-22T03:00:00.000Z  +0m00s  start: fail over to the DR region (stack production)",
            "  2026-11-22T03:02:00.000Z  +2m00s  preflight passed",
            "  2026-11-22T03:03:00.000Z  +3m00s  confirmed by --yes",
            "  2026-11-22T03:04:00.000Z  +4m00s  traffic switch PrimaryOutOfService=1 published",
            "  2026-11-22T03:05:00.000Z  +5m00s  cache: FailoverGlobalReplicationGroup: keel-production-cache-dr (us-west-2) becomes the primary",
            "  2026-11-22T03:06:00.000Z  +6m00s  config set: keel:dr.active=true",
            "  2026-11-22T03:07:00.000Z  +7m00s  pulumi up: succeeded",
            "  2026-11-22T03:09:00.000Z  +9m00s  verified",
            "  measured RTO 9m00s against the 15-minute objective: met",
        ]);
        // The Global Datastore was failed over from the DR region itself, before the up; the verification read it back.
        assert.deepEqual(cacheFailovers, [{ region: "us-west-2", input: { GlobalReplicationGroupId: globalDatastoreId, PrimaryRegion: "us-west-2", PrimaryReplicationGroupId: cacheGroups.dr } }]);
        assert.match(result.log, /PASS {2}DR cache keel-production-cache-dr: primary of the Global Datastore ldgnf-keel-production-cache, or detached from it: primary, associated/);
    });

    const refusals: [string, () => void, RegExp][] = [
        ["replica lag above the RPO", () => lag(mocks.cloudwatchWest, "database-dr-58436c8", [12, 301]), /FAIL {2}DR replica database-dr-58436c8: ReplicaLag \(max over 5 min\): 301 s \(RPO 300 s\)/],
        ["replication not active", () => lag(mocks.cloudwatchWest, "database-dr-58436c8", [-1]), /FAIL {2}DR replica .*: -1: replication is not active/],
        ["no lag data", () => lag(mocks.cloudwatchWest, "database-dr-58436c8", []), /FAIL {2}DR replica .*: no data in the last 5 min/],
        ["the DR endpoint unhealthy", () => (health[drAlb] = 503), /FAIL {2}DR endpoint .*: HTTP 503/],
        ["the DR endpoint unreachable", () => (health[drAlb] = new Error("connect ETIMEDOUT")), /FAIL {2}DR endpoint .*: connect ETIMEDOUT/],
        ["a stale DR recovery point", () => mocks.backupWest.on(ListRecoveryPointsByBackupVaultCommand).resolves({ RecoveryPoints: [{ Status: "COMPLETED", CreationDate: hoursAgo(27) }] }), /FAIL {2}DR vault backup-dr-vault-9016521: newest recovery point: 27\.0 h old \(limit 26 h\)/],
        ["DR mode already on", () => undefined, /FAIL {2}config keel:dr\.active: true/],
    ];
    for (const [what, breakIt, message] of refusals) {
        test(`refuses on ${what}, touching nothing`, async () => {
            breakIt();
            const stack = failoverStack();
            if (what === "DR mode already on") stack.config.set("keel:dr.active", "true");
            const result = await run(stack);
            assert.equal(result.ok, false);
            assert.match(result.log, message);
            assert.match(result.log, /Refused: .*re-run with --force --reason/);
            assert.deepEqual(stack.calls, []);
            assert.equal(mocks.cloudwatchWest.commandCalls(PutMetricDataCommand).length, 0);
            assert.match(result.timeline, /refused: 1 preflight check\(s\) failed\n {2}not verified after 2m00s/);
        });
    }

    test("--force with a reason proceeds past a failed preflight and records the reason", async () => {
        lag(mocks.cloudwatchWest, "database-dr-58436c8", [900]);
        const stack = failoverStack();
        const result = await run(stack, { force: true, reason: "INC-42: us-east-1 down, lag accepted by the IC" });
        assert.equal(result.ok, true);
        assert.deepEqual(stack.calls, ["config keel:dr.active=true", "up"]);
        assert.match(result.timeline, /preflight overridden \(--force\): INC-42: us-east-1 down, lag accepted by the IC/);
    });

    test("--force without --reason is refused before anything is read", async () => {
        const stack = failoverStack();
        await assert.rejects(run(stack, { force: true }), (error: unknown) => error instanceof RefusedError && /--force needs --reason/.test(error.message));
        await assert.rejects(run(stack, { force: true, reason: "  " }), RefusedError);
        assert.equal(mocks.cloudwatchWest.calls().length, 0);
        assert.deepEqual(stack.calls, []);
    });

    test("fails when the promoted database is still a replica, without an RTO", async () => {
        mocks.rdsWest.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: "modifying", ReadReplicaSourceDBInstanceIdentifier: primaryArn }] });
        const result = await run(failoverStack());
        assert.equal(result.ok, false);
        assert.match(result.log, /FAIL {2}DR database database-dr-58436c8: available writer: modifying, replica of arn:aws:rds:us-east-1/);
        assert.match(result.timeline, /verification failed: DR database database-dr-58436c8: available writer\n {2}not verified after 9m00s/);
    });

    test("fails when the DR endpoint is unhealthy after the up, or the writer did not move", async () => {
        const stack = new FakeStack(new Map(), outputs("primary", false), outputs("primary", true));
        let calls = 0;
        const flaky: Clients = { ...clients, httpsGet: async () => (++calls === 1 ? 200 : 502) };
        const result = await run(stack, { clients: flaky });
        assert.equal(result.ok, false);
        assert.match(result.log, /FAIL {2}stack output database\.writerSite: primary/);
        assert.match(result.log, /FAIL {2}DR endpoint .*: HTTP 502/);
    });

    test("a DR cache group detached by hand (the failover could not complete) is a stand-alone writer: nothing to fail over, and verified", async () => {
        mocks.elasticacheWest.on(DescribeGlobalReplicationGroupsCommand).resolves({ GlobalReplicationGroups: [{ Members: [{ ReplicationGroupId: cacheGroups.primary, Role: "PRIMARY", Status: "associated" }] }] });
        mocks.elasticacheWest.on(DescribeReplicationGroupsCommand, { ReplicationGroupId: cacheGroups.dr }).resolves({ ReplicationGroups: [{ ReplicationGroupId: cacheGroups.dr, Status: "available" }] });
        const result = await run(failoverStack());
        assert.equal(result.ok, true, result.log);
        assert.deepEqual(cacheFailovers, []);
        assert.match(result.timeline, /cache: keel-production-cache-dr is detached from the Global Datastore: a stand-alone writer\n/);
        assert.match(result.log, /PASS {2}DR cache keel-production-cache-dr: .*: detached, available/);
    });

    test("a refused cache failover stops the run before the configuration changes", async () => {
        mocks.elasticacheWest.on(FailoverGlobalReplicationGroupCommand).rejects(new Error("InvalidGlobalReplicationGroupState: the primary region does not respond"));
        const stack = failoverStack();
        await assert.rejects(run(stack), /InvalidGlobalReplicationGroupState/);
        assert.deepEqual(stack.calls, [], "no config set, no up: the runbook's detach, then a re-run");
    });

    test("reports a missed RTO", async () => {
        let tick = 0;
        const result = await run(failoverStack(), { clock: () => new Date(start.getTime() + tick++ * 180_000) });
        assert.equal(result.ok, true);
        assert.equal(result.timeline.split("\n").at(-1), "  measured RTO 27m00s against the 15-minute objective: MISSED");
    });

    test("a failed up stops before verification", async () => {
        const stack = failoverStack();
        stack.upResult = "failed";
        const result = await run(stack);
        assert.equal(result.ok, false);
        assert.equal(mocks.rdsWest.commandCalls(DescribeDBInstancesCommand).length, 0);
        assert.match(result.timeline, /pulumi up: failed\n {2}not verified/);
    });

    test("without --yes and without a terminal: preflight, what changes and the steps, then nothing changes", async () => {
        const stack = failoverStack();
        const questions: string[] = [];
        const result = await run(stack, { yes: false, confirm: async (question) => (questions.push(question), false) });
        assert.equal(result.declined, true);
        assert.equal(result.ok, false);
        assert.deepEqual(stack.calls, []);
        assert.equal(mocks.cloudwatchWest.commandCalls(PutMetricDataCommand).length, 0, "the traffic switch stays where it is");
        assert.match(result.log, /PASS {2}DR replica database-dr-58436c8/);
        assert.match(result.log, /what changes \(offline plans: the current configuration → keel:dr\.active=true\):\n {2}~ aws:rds:Instance database-dr: replicateSourceDb/);
        assert.match(result.log, /steps:\n {2}1\. publish the traffic switch \(stack output traffic\.failoverSwitch\) = 1: Route 53 serves from the DR region\n {2}2\. fail the cache's Global Datastore over to the DR region's group [^\n]+\n {2}3\. pulumi config set --path keel:dr\.active true\n {2}4\. pulumi up --policy-pack policies --policy-pack-config policies\/config\/production\.json\n/);
        assert.deepEqual(questions, ["Type the stack's name (production) to fail over to the DR region, anything else to stop: "]);
        assert.match(result.log, /Nothing changed\. To fail over to the DR region, re-run with --yes, or run it in a terminal and confirm\./);
        assert.match(result.timeline, /not confirmed: nothing changed/);
    });

    test("confirmed at the terminal: the same failover as with --yes", async () => {
        const stack = failoverStack();
        const result = await run(stack, { yes: false, confirm: async () => true });
        assert.equal(result.ok, true);
        assert.deepEqual(stack.calls, ["config keel:dr.active=true", "up"]);
        assert.match(result.timeline, /confirmed at the terminal/);
    });

    test("--dry-run, offline: the checks it would make, its steps and the plan difference; reads and changes nothing", async () => {
        const log: string[] = [];
        const asked: string[][] = [];
        await dryRunPhase(phases.failover, {
            stack: { name: "production", project: "keel" }, rpoSeconds: 300, policyPackConfig: "policies/config/production.json", log: (line) => log.push(line),
            planDiff: async (before, after) => (asked.push(before, after), fakeDiff()),
        });
        assert.deepEqual(asked, [[], ["keel:dr.active=true"]]);
        assert.equal(log.join("\n"), [
            "dry run: fail over to the DR region (stack production); offline: nothing is read from AWS or Pulumi, and nothing changes",
            "",
            "preflight it would check (and refuse on any failure):",
            "  - config keel:dr.active is false or unset",
            "  - DR replica (stack output database.drArn): ReplicaLag, max over 5 min, under the RPO (300 s)",
            "  - DR endpoint: GET https://<traffic.loadBalancerDnsNames.dr>/health answers 200 (behind the edge: a healthy target in traffic.targetGroupArns.dr)",
            "  - DR vault (stack output backup.drVaultArn): newest completed recovery point younger than 26 h",
            "",
            "then, once confirmed:",
            "  1. publish the traffic switch (stack output traffic.failoverSwitch) = 1: Route 53 serves from the DR region",
            "  2. fail the cache's Global Datastore over to the DR region's group (stack output cache.replicationGroupIds.dr; where the stack has one): FailoverGlobalReplicationGroup, which the provider cannot make",
            "  3. pulumi config set --path keel:dr.active true",
            "  4. pulumi up --policy-pack policies --policy-pack-config policies/config/production.json",
            "  5. clear the edge's cache (stack output traffic.edge.distributionId; where the stack has one): CloudFront invalidation of /*, best effort — its API is in us-east-1",
            "  6. verify: stack output database.writerSite is dr",
            "  7. verify: DR database (stack output database.drArn): an available writer",
            "  8. verify: DR cache (stack output cache.replicationGroupIds.dr): the Global Datastore's primary, or detached from it (where the stack has one)",
            "  9. verify: DR endpoint: GET https://<traffic.loadBalancerDnsNames.dr>/health answers 200 (behind the edge: a healthy target in traffic.targetGroupArns.dr)",
            "  10. verify: the service: GET <traffic.url>/health answers 200 (through CloudFront, where the stack has an edge)",
            "",
            "what changes (offline plans: the current configuration → keel:dr.active=true):",
            "  ~ aws:rds:Instance database-dr: replicateSourceDb\n  0 to add, 1 to change, 0 to remove",
        ].join("\n"));
        for (const mock of Object.values(mocks)) assert.equal(mock.calls().length, 0);
    });
});

describe("dr-failover failback", () => {
    beforeEach(ready);

    const rebuildStack = () => new FakeStack(new Map([["keel:dr.active", "true"], ["keel:dr.primaryDatabase", "original"]]), outputs("dr", true), outputs("dr", true));

    test("rebuild: previews the replacement of the primary database and stops without --yes", async () => {
        const stack = rebuildStack();
        const result = await run(stack, { yes: false, confirm: async () => false }, phases.rebuild);
        assert.equal(result.declined, true);
        assert.deepEqual(stack.calls, ["preview"]);
        assert.deepEqual(stack.deploys[0].replace, [databaseUrn(stack, "primary")]);
        assert.match(result.log, /pulumi preview: same 180, update 5, replace 1/);
        assert.match(result.log, /and the primary database is replaced \(--replace; not visible offline\)/);
        assert.match(result.log, /Nothing changed\. To failback 1\/2: rebuild the primary region's database as a replica of the DR writer, re-run with --yes/);
    });

    test("rebuild --yes: config, unprotect, up with --replace, then the new primary is a replica", async () => {
        mocks.rdsEast.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "database-primary-a30d83e" }).resolves({ DBInstances: [{ DBInstanceStatus: "available", ReadReplicaSourceDBInstanceIdentifier: drArn }] });
        const stack = rebuildStack();
        const result = await run(stack, { yes: true }, phases.rebuild);
        assert.equal(result.ok, true, result.log);
        const urn = "urn:pulumi:production::keel::keel:database:ReplicatedDatabase$aws:rds/instance:Instance::database-primary";
        assert.deepEqual(stack.calls, ["preview", "config keel:dr.primaryDatabase=rebuilding", `unprotect ${urn}`, "up"]);
        assert.deepEqual(stack.deploys[1].replace, [urn]);
        assert.match(result.log, /PASS {2}rebuilt primary database database-primary-a30d83e: available replica: available, replica of arn:aws:rds:us-west-2/);
    });

    test("rebuild refuses outside DR mode", async () => {
        const stack = new FakeStack(new Map(), outputs("primary", false), outputs("primary", false));
        mocks.rdsWest.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: "available", ReadReplicaSourceDBInstanceIdentifier: primaryArn }] });
        const result = await run(stack, { yes: true }, phases.rebuild);
        assert.equal(result.ok, false);
        assert.match(result.log, /FAIL {2}config keel:dr\.active: \(unset\)/);
        assert.match(result.log, /FAIL {2}DR database database-dr-58436c8: available writer: available, replica of/);
        assert.deepEqual(stack.calls, []);
    });

    const switchBackStack = () => new FakeStack(new Map([["keel:dr.active", "true"], ["keel:dr.primaryDatabase", "rebuilding"]]), outputs("dr", true), outputs("primary", false));

    test("switch-back --yes: checks the rebuilt replica's lag, replaces the DR database, hands traffic back", async () => {
        lag(mocks.cloudwatchEast, "database-primary-a30d83e", [0, 1]);
        mocks.rdsEast.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "database-primary-a30d83e" }).resolves({ DBInstances: [{ DBInstanceStatus: "available" }] });
        cachePrimaryGroup = cacheGroups.dr;
        const stack = switchBackStack();
        const result = await run(stack, { yes: true }, phases["switch-back"]);
        assert.equal(result.ok, true, result.log);
        // The cache goes back after the up, from the primary region, before traffic does.
        assert.deepEqual(cacheFailovers, [{ region: "us-east-1", input: { GlobalReplicationGroupId: globalDatastoreId, PrimaryRegion: "us-east-1", PrimaryReplicationGroupId: cacheGroups.primary } }]);
        assert.match(result.log, /PASS {2}rebuilt primary replica database-primary-a30d83e: ReplicaLag \(max over 5 min\): 1 s \(RPO 300 s\)/);
        assert.deepEqual(stack.calls, ["preview", "config keel:dr.active=false", "config keel:dr.primaryDatabase=rebuilt", `unprotect ${databaseUrn(stack, "dr")}`, "up"]);
        assert.deepEqual(mocks.cloudwatchWest.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData?.[0].Value), [0]);
        assert.match(result.timeline, /pulumi up: succeeded\n.*cache: FailoverGlobalReplicationGroup: keel-production-cache \(us-east-1\) becomes the primary\n.*traffic switch PrimaryOutOfService=0 published\n.*verified\n {2}measured RTO/);
    });

    test("switch-back refuses while the rebuilt replica lags, and before the rebuild", async () => {
        lag(mocks.cloudwatchEast, "database-primary-a30d83e", [420]);
        const lagging = await run(switchBackStack(), { yes: true }, phases["switch-back"]);
        assert.equal(lagging.ok, false);
        assert.match(lagging.log, /FAIL {2}rebuilt primary replica database-primary-a30d83e: ReplicaLag \(max over 5 min\): 420 s \(RPO 300 s\)/);
        lag(mocks.cloudwatchEast, "database-primary-a30d83e", [0]);
        const early = await run(rebuildStack(), { yes: true }, phases["switch-back"]);
        assert.equal(early.ok, false);
        assert.match(early.log, /FAIL {2}config keel:dr\.primaryDatabase: original/);
    });
});

describe("npm run dr-failover: what a tired engineer types", () => {
    /** The command with everything outside it replaced: it records whether the stack was opened. */
    async function command(...args: string[]) {
        let out = "";
        let err = "";
        const opened: string[] = [];
        const code = await drFailoverCommand(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) }, {
            openStack: async (name) => {
                opened.push(name);
                throw new RefusedInput("the Pulumi CLI is not installed (or not on PATH): a failover or failback drives it, with AWS credentials for the stack. --dry-run needs neither.");
            },
            clients: () => clients,
            confirm: async () => false,
            planDiff: fakeDiff,
            clock: minuteClock(),
        });
        return { code, out, err, opened };
    }

    const refusals: [string, string[], RegExp][] = [
        ["no arguments at all", [], /^no --stack: name the stack to act on, e\.g\. --stack ORG\/keel\/production \(there is no default; acting on the wrong stack is an outage\)\nSee npm run dr-failover -- --help\.\n$/],
        ["a misspelt stack", ["--stack", "acme/keel/prod"], /^no stack "prod": there is no policies\/config\/prod\.json \(known stacks: dev, local, production, staging\)\n$/],
        ["a stack given twice", ["--stack", "acme/keel/production", "--stack", "acme/keel/staging"], /^--stack is given more than once: give it once/],
        ["--force without a reason", ["--stack", "acme/keel/production", "--force"], /^--force needs --reason "\.\.\."/],
        ["an unknown flag", ["--stack", "acme/keel/production", "--yess"], /^Unknown option '--yess'/],
        ["an unknown command", ["failbak", "--stack", "acme/keel/production"], /^unknown command "failbak": expected failover \(the default\) or failback/],
        ["failback without a phase", ["failback", "--stack", "acme/keel/production"], /^failback needs --phase rebuild or --phase switch-back/],
        ["an unknown phase", ["failback", "--phase", "sideways", "--stack", "acme/keel/production"], /^unknown phase "sideways": expected rebuild or switch-back/],
        ["a phase for a failover", ["--phase", "rebuild", "--stack", "acme/keel/production"], /^--phase is for failback/],
        ["no Pulumi CLI", ["--stack", "acme/keel/production"], /^the Pulumi CLI is not installed \(or not on PATH\).*--dry-run needs neither\.\n$/],
    ];
    for (const [what, args, message] of refusals) {
        test(`refuses ${what}: one message, exit 2`, async () => {
            const result = await command(...args);
            assert.equal(result.code, 2);
            assert.match(result.err, message);
            assert.equal(result.out, "");
        });
    }

    test("no arguments never reaches a stack", async () => {
        assert.deepEqual((await command()).opened, []);
    });

    test("--dry-run works offline: no stack opened, exit 0", async () => {
        const result = await command("--stack", "acme/keel/production", "--dry-run");
        assert.equal(result.code, 0, result.err);
        assert.deepEqual(result.opened, []);
        assert.match(result.out, /^dry run: fail over to the DR region \(stack production\)/);
        assert.match(result.out, /DR replica \(stack output database\.drArn\): ReplicaLag, max over 5 min, under the RPO \(300 s\)/);
    });

    test("a failover deploys with the change calendar reporting, never refusing: an outage does not wait for a change window", async () => {
        const result = await command("--stack", "acme/keel/production", "--dry-run");
        const file = /pulumi up --policy-pack policies --policy-pack-config (\S+)/.exec(result.out)?.[1];
        assert.ok(file !== undefined, result.out);
        const config = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, unknown>>;
        assert.deepEqual([config["keel-change-freeze"].enforcementLevel, config["keel-change-window"].enforcementLevel], ["advisory", "advisory"]);
        assert.equal(config["keel-change-window"].enabled, true, "still judged, and reported");
        assert.deepEqual(config["keel-rds-multi-az"], { required: true }, "every other policy as production's pack config sets it");
        const violations = await evaluatePolicies(await planStack("production", ["keel:dr.active=true"]), keelPolicies, calendarAsOf(config, "2026-12-24T03:00:00Z"));
        assert.deepEqual(mandatoryViolations(violations), [], "Christmas Eve at night, in a freeze and outside the windows: the failover goes through");
        assert.deepEqual(violations.map((v) => v.policyName).sort(), ["keel-change-freeze", "keel-change-window"]);
    });

    test("--help explains every option and exits 0", async () => {
        const result = await command("--help");
        assert.equal(result.code, 0);
        for (const option of ["--stack", "--phase", "--dry-run", "--yes", "--force", "--reason", "Exit code"]) assert.ok(result.out.includes(option), option);
    });

    test("the script itself exits 2 with the message and no stack trace", () => {
        const cli = spawnSync(process.execPath, ["--import", "tsx", join(projectRoot, "scripts", "dr-failover.ts")], { encoding: "utf8" });
        assert.equal(cli.status, 2);
        assert.match(cli.stderr, /^no --stack: /);
        assert.doesNotMatch(cli.stderr, /\n\s+at /);
    });
});

describe("dr-failover behind the edge", () => {
    beforeEach(ready);
    const distributionId = "E1C94E7D6627EE";
    const targetGroups = {
        primary: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-tg-dd1f225/dd1f22559bd56c09",
        dr: "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/app-dr-tg-7b7f774/7b7f774b9c746ee1",
    };
    const behindEdge = (o: ReturnType<typeof outputs>) => ({ ...o, traffic: { ...o.traffic, targetGroupArns: targetGroups, edge: { distributionId } } });
    const edgeStack = () => new FakeStack(new Map(), behindEdge(outputs("primary", false)), behindEdge(outputs("dr", true)));
    const targets = (mock: typeof mocks.elbWest, arn: string, states: TargetHealthStateEnum[]) =>
        mock.on(DescribeTargetHealthCommand, { TargetGroupArn: arn }).resolves({ TargetHealthDescriptions: states.map((State) => ({ TargetHealth: { State } })) });

    test("judges the DR region by its targets (its load balancer admits only the edge), clears the cache once traffic moved, and verifies the service through CloudFront", async () => {
        targets(mocks.elbWest, targetGroups.dr, ["healthy", "initial"]);
        mocks.cloudfront.on(CreateInvalidationCommand).resolves({ Invalidation: { Id: "I2J0I21PCUYOIK", Status: "InProgress", CreateTime: start, InvalidationBatch: undefined } });
        health = { "app.example.com": 200 };
        const result = await run(edgeStack());
        assert.equal(result.ok, true, result.log);
        assert.match(result.log, /PASS {2}DR targets \(targetgroup\/app-dr-tg-7b7f774\/7b7f774b9c746ee1\): at least one healthy: 1 of 2 healthy/);
        assert.deepEqual(healthRequests, ["app.example.com app.example.com /health"], "no request to a load balancer: only the service's name, through the edge");
        const [invalidation] = mocks.cloudfront.commandCalls(CreateInvalidationCommand).map((c) => c.args[0].input);
        assert.deepEqual([invalidation.DistributionId, invalidation.InvalidationBatch?.Paths], [distributionId, { Quantity: 1, Items: ["/*"] }]);
        assert.match(String(invalidation.InvalidationBatch?.CallerReference), /^keel-dr-failover-2026-11-22T03:\d\d:00\.000Z$/);
        assert.match(result.timeline, /pulumi up: succeeded\n.*edge cache: CloudFront invalidation I2J0I21PCUYOIK of \/\* on E1C94E7D6627EE\n.*verified/);
        assert.match(result.log, /PASS {2}the service through the edge endpoint https:\/\/app\.example\.com\/health \(as app\.example\.com\): HTTP 200/);
    });

    test("refuses a DR region without a healthy target", async () => {
        targets(mocks.elbWest, targetGroups.dr, ["unhealthy", "unhealthy"]);
        const stack = edgeStack();
        const result = await run(stack);
        assert.equal(result.ok, false);
        assert.match(result.log, /FAIL {2}DR targets .*: 0 of 2 healthy/);
        assert.deepEqual(stack.calls, []);
    });

    test("a cache that cannot be cleared (CloudFront's API is in us-east-1) does not stop the failover: the timeline says how to clear it later", async () => {
        targets(mocks.elbWest, targetGroups.dr, ["healthy"]);
        mocks.cloudfront.on(CreateInvalidationCommand).rejects(new Error("getaddrinfo ENOTFOUND cloudfront.amazonaws.com"));
        health = { "app.example.com": 200 };
        const result = await run(edgeStack());
        assert.equal(result.ok, true, result.log);
        assert.match(result.timeline, /edge cache NOT cleared \(getaddrinfo ENOTFOUND cloudfront\.amazonaws\.com\): run `aws cloudfront create-invalidation --distribution-id E1C94E7D6627EE --paths '\/\*'` once CloudFront's API answers/);
    });
});
