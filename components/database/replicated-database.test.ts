import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import type { PlanResource } from "../../offline-plan/record";
import { arnOf, childrenOf, json, mockOf, object, ofType, only, planComponents, text, twoRegions } from "../../tests/plans";
import { guideSizing, unregioned } from "./testing";
import { ReplicatedDatabase, type DatabaseSite, type ReplicatedDatabaseArgs } from "./replicated-database";
import type { PrimaryDatabaseState } from "./settings";

const gib = 1024 ** 3;

/** Production-like settings over two regions; the providers are made inside the program. */
function build(overrides: Partial<ReplicatedDatabaseArgs> = {}, sites: { primary?: Partial<DatabaseSite>; dr?: Partial<DatabaseSite> } = {}) {
    const { primary, dr } = twoRegions();
    const db = new ReplicatedDatabase("db", {
        ...guideSizing,
        monitoringIntervalSeconds: 15,
        rpoSeconds: 300,
        privateZoneName: "db.test.internal",
        notifications: { pagerDutyUrl: pulumi.secret("https://events.pagerduty.com/integration/db-key/enqueue"), emails: ["dba@example.com"] },
        primary: { provider: primary, vpcId: "vpc-0aaa", subnetIds: ["subnet-0a1", "subnet-0a2", "subnet-0a3"], clientSecurityGroupIds: ["sg-0app0east"], ...sites.primary },
        dr: { provider: dr, vpcId: "vpc-0bbb", subnetIds: ["subnet-0b1", "subnet-0b2", "subnet-0b3"], clientSecurityGroupIds: ["sg-0app0west"], ...sites.dr },
        ...overrides,
    }, { protect: true, retainOnDelete: true });
    return {
        writerEndpoint: db.writerEndpoint,
        readerEndpoint: db.readerEndpoint,
        port: db.port,
        secret: db.secret,
        secretReplicaArn: db.secretReplicaArn,
        writerAddress: db.writerAddress,
        readerAddress: db.readerAddress,
        writerSite: db.writerSite,
        alarmTopicArns: db.alarmTopicArns,
        databaseName: db.databaseName,
        credentials: db.credentials,
    };
}

const plans = new Map<string, PlanRecord>();
const phase = (drActive: boolean, primaryDatabase: PrimaryDatabaseState) => `${drActive}/${primaryDatabase}`;
before(async () => {
    for (const [drActive, primaryDatabase] of [[false, "original"], [true, "original"], [true, "rebuilding"], [false, "rebuilt"]] as const) {
        plans.set(phase(drActive, primaryDatabase), await planComponents(() => build({ drActive, primaryDatabase })));
    }
});
const normal = () => plans.get(phase(false, "original"))!;
const drMode = () => plans.get(phase(true, "original"))!;

const instance = (record: PlanRecord, site: "primary" | "dr") => only(record, "aws:rds/instance:Instance", `db-${site}`);
const address = (resource: PlanResource) => text(mockOf(resource).state.address, `${resource.name}.address`);
const keyArn = (record: PlanRecord, name: string) => arnOf(only(record, "aws:kms/key:Key", name));
const recordValue = (record: PlanRecord, label: string) => only(record, "aws:route53/record:Record", `db-${label}`).inputs.records;
/** Inputs a member created as a replica never carries: inherited from the source, refused by the provider. */
const sourceOnly = ["engine", "engineVersion", "username", "password", "dbName"];

describe("ReplicatedDatabase (RDS for PostgreSQL): normal operation", () => {
    test("creates per region a key, subnet group, security group, parameter group and alarm topic; the instances; DNS; credentials", () => {
        const component = only(normal(), "keel:database:ReplicatedDatabase");
        const children = childrenOf(normal(), component).map((r) => `${r.type} ${r.name} ${r.region ?? ""}`).sort();
        const alarms = (site: string, region: string, keys: string[]) => keys.map((k) => `aws:cloudwatch/metricAlarm:MetricAlarm db-${site}-${k} ${region}`);
        const perSite = (site: string, region: string) => [
            `aws:ec2/securityGroup:SecurityGroup db-${site} ${region}`,
            `aws:kms/key:Key db-${site}-alarms-key ${region}`,
            `aws:kms/key:Key db-${site}-key ${region}`,
            `aws:rds/instance:Instance db-${site} ${region}`,
            `aws:rds/parameterGroup:ParameterGroup db-${site} ${region}`,
            `aws:rds/subnetGroup:SubnetGroup db-${site} ${region}`,
            `aws:rds/eventSubscription:EventSubscription db-${site}-events ${region}`,
            `aws:sns/topic:Topic db-${site}-alarms ${region}`,
            `aws:sns/topic:Topic db-${site}-warnings ${region}`,
            `aws:sns/topicSubscription:TopicSubscription db-${site}-alarms-email-0 ${region}`,
            `aws:sns/topicSubscription:TopicSubscription db-${site}-alarms-pagerduty ${region}`,
            `aws:sns/topicSubscription:TopicSubscription db-${site}-warnings-email-0 ${region}`,
            `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule db-${site}-client-0 ${region}`,
        ];
        assert.deepEqual(children, [
            ...alarms("primary", "us-east-1", ["cpu", "memory", "storage", "connections"]),
            ...alarms("dr", "us-west-2", ["cpu", "memory", "storage", "connections", "replication-lag"]),
            ...perSite("primary", "us-east-1"),
            ...perSite("dr", "us-west-2"),
            "aws:iam/role:Role db-monitoring us-east-1",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment db-monitoring us-east-1",
            "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication db-backups-to-dr us-west-2",
            "aws:route53/record:Record db-reader us-east-1",
            "aws:route53/record:Record db-writer us-east-1",
            "aws:route53/zone:Zone db-zone us-east-1",
            "aws:secretsmanager/secret:Secret db-credentials us-east-1",
            "aws:secretsmanager/secretVersion:SecretVersion db-credentials us-east-1",
            "random:index/randomPassword:RandomPassword db-master-password ",
        ].sort());
    });

    test("the primary: encrypted Multi-AZ gp3 with autoscaling, 30-day backups before maintenance, protected, private", () => {
        const primary = instance(normal(), "primary");
        const i = primary.inputs;
        assert.equal(primary.region, "us-east-1");
        assert.deepEqual(
            [i.engine, i.engineVersion, i.instanceClass, i.storageType, i.allocatedStorage, i.maxAllocatedStorage, i.storageEncrypted, i.kmsKeyId, i.multiAz],
            ["postgres", "15", "db.m6g.2xlarge", "gp3", 500, 2000, true, keyArn(normal(), "db-primary-key"), true],
        );
        assert.deepEqual([i.backupRetentionPeriod, i.backupWindow, i.maintenanceWindow], [30, "00:00-01:00", "sun:02:00-sun:04:00"]);
        assert.deepEqual([i.deletionProtection, i.skipFinalSnapshot, i.finalSnapshotIdentifier, i.deleteAutomatedBackups], [true, false, "db-primary-final", false]);
        assert.deepEqual([i.publiclyAccessible, i.port, i.iamDatabaseAuthenticationEnabled, i.copyTagsToSnapshot, i.enabledCloudwatchLogsExports], [false, 5432, true, true, ["postgresql", "upgrade"]]);
        assert.deepEqual([i.performanceInsightsEnabled, i.performanceInsightsKmsKeyId, i.performanceInsightsRetentionPeriod], [true, keyArn(normal(), "db-primary-key"), 7]);
        assert.deepEqual([i.monitoringInterval, i.monitoringRoleArn], [15, arnOf(only(normal(), "aws:iam/role:Role", "db-monitoring"))]);
        assert.deepEqual([i.username, i.password, i.dbName, i.applyImmediately, i.replicateSourceDb], ["keel_admin", "[secret]", "app", false, undefined]);
        assert.deepEqual(i.tags, { Name: "db-primary", backup: "true" });
        assert.deepEqual([primary.protect, primary.retainOnDelete], [true, true]);
        assert.equal(i.dbSubnetGroupName, mockOf(only(normal(), "aws:rds/subnetGroup:SubnetGroup", "db-primary")).state.name);
        assert.deepEqual(only(normal(), "aws:rds/subnetGroup:SubnetGroup", "db-primary").inputs.subnetIds, ["subnet-0a1", "subnet-0a2", "subnet-0a3"]);
        assert.deepEqual(i.vpcSecurityGroupIds, [mockOf(only(normal(), "aws:ec2/securityGroup:SecurityGroup", "db-primary")).id]);
        assert.equal(i.parameterGroupName, mockOf(only(normal(), "aws:rds/parameterGroup:ParameterGroup", "db-primary")).state.name);
    });

    test("the DR replica: a cross-region replica of the primary's ARN, encrypted with the DR key, its own groups, no backups", () => {
        const replica = instance(normal(), "dr");
        const i = replica.inputs;
        assert.equal(replica.region, "us-west-2");
        assert.equal(i.replicateSourceDb, arnOf(instance(normal(), "primary")));
        assert.match(text(i.replicateSourceDb, "replicateSourceDb"), /^arn:aws:rds:us-east-1:123456789012:db:db-primary-/);
        assert.deepEqual([i.storageEncrypted, i.kmsKeyId, i.instanceClass, i.multiAz], [true, keyArn(normal(), "db-dr-key"), "db.m6g.xlarge", true]);
        assert.match(text(i.kmsKeyId, "kmsKeyId"), /^arn:aws:kms:us-west-2:/);
        for (const [input, type] of [["dbSubnetGroupName", "aws:rds/subnetGroup:SubnetGroup"], ["parameterGroupName", "aws:rds/parameterGroup:ParameterGroup"]] as const) {
            assert.equal(i[input], mockOf(only(normal(), type, "db-dr")).state.name, input);
        }
        assert.deepEqual(i.vpcSecurityGroupIds, [mockOf(only(normal(), "aws:ec2/securityGroup:SecurityGroup", "db-dr")).id]);
        for (const input of [...sourceOnly, "backupRetentionPeriod", "backupWindow", "finalSnapshotIdentifier"]) assert.equal(i[input], undefined, input);
        assert.deepEqual([i.skipFinalSnapshot, i.deletionProtection, i.publiclyAccessible, i.applyImmediately], [true, true, false, false]);
        assert.deepEqual(i.tags, { Name: "db-dr" });
        assert.deepEqual([replica.protect, replica.retainOnDelete], [true, true]);
    });

    test("automated backups are also replicated into the DR region, encrypted there", () => {
        const replication = only(normal(), "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication");
        assert.equal(replication.region, "us-west-2");
        assert.deepEqual(replication.inputs, { sourceDbInstanceArn: arnOf(instance(normal(), "primary")), kmsKeyId: keyArn(normal(), "db-dr-key"), retentionPeriod: 30 });
        assert.equal(replication.protect, false, "a setting that changes with the DR phases must not be protected");
    });

    test("parameter groups: postgres15 family, pg_stat_statements, slow statements, TLS only", () => {
        for (const site of ["primary", "dr"]) {
            const group = only(normal(), "aws:rds/parameterGroup:ParameterGroup", `db-${site}`);
            assert.equal(group.inputs.family, "postgres15");
            assert.deepEqual(group.inputs.parameters, [
                { name: "shared_preload_libraries", value: "pg_stat_statements", applyMethod: "pending-reboot" },
                { name: "log_min_duration_statement", value: "1000", applyMethod: "immediate" },
                { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
            ]);
        }
    });

    test("security groups admit PostgreSQL from the client groups only, and nothing leaves", () => {
        for (const [site, client, vpc] of [["primary", "sg-0app0east", "vpc-0aaa"], ["dr", "sg-0app0west", "vpc-0bbb"]]) {
            const group = only(normal(), "aws:ec2/securityGroup:SecurityGroup", `db-${site}`);
            assert.deepEqual([group.inputs.vpcId, group.inputs.ingress, group.inputs.egress], [vpc, undefined, undefined]);
            const rules = ofType(normal(), "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === mockOf(group).id);
            assert.deepEqual(rules.map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]), [[client, "tcp", 5432, 5432, undefined]]);
        }
    });

    test("the writer and reader names: a private zone in both VPCs, CNAMEs to the primary and the replica", () => {
        const zone = only(normal(), "aws:route53/zone:Zone");
        assert.deepEqual([zone.inputs.name, zone.inputs.vpcs, zone.protect, zone.retainOnDelete], ["db.test.internal", [{ vpcId: "vpc-0aaa", vpcRegion: "us-east-1" }, { vpcId: "vpc-0bbb", vpcRegion: "us-west-2" }], true, true]);
        const writer = only(normal(), "aws:route53/record:Record", "db-writer").inputs;
        assert.deepEqual([writer.zoneId, writer.name, writer.type, writer.ttl, writer.records], [mockOf(zone).id, "writer.db.test.internal", "CNAME", 30, [address(instance(normal(), "primary"))]]);
        assert.deepEqual(recordValue(normal(), "reader"), [address(instance(normal(), "dr"))]);
        assert.deepEqual(
            [normal().outputs.writerEndpoint, normal().outputs.readerEndpoint, normal().outputs.port, normal().outputs.writerSite, normal().outputs.writerAddress],
            ["writer.db.test.internal", "reader.db.test.internal", 5432, "primary", address(instance(normal(), "primary"))],
        );
    });

    test("credentials: a random password in a KMS-encrypted secret replicated to the DR region, never in plaintext", () => {
        const secret = only(normal(), "aws:secretsmanager/secret:Secret");
        assert.deepEqual([secret.inputs.kmsKeyId, secret.inputs.replicas, secret.inputs.recoveryWindowInDays], [keyArn(normal(), "db-primary-key"), [{ region: "us-west-2", kmsKeyId: keyArn(normal(), "db-dr-key") }], 30]);
        assert.deepEqual([secret.protect, secret.retainOnDelete], [true, true]);
        const version = only(normal(), "aws:secretsmanager/secretVersion:SecretVersion");
        assert.deepEqual([version.inputs.secretId, version.inputs.secretString], [mockOf(secret).id, "[secret]"]);
        assert.equal(normal().outputs.secret, arnOf(secret));
        assert.equal(normal().outputs.secretReplicaArn, arnOf(secret).replace(":us-east-1:", ":us-west-2:"));
        const password = text(unregioned(only(normal(), "random:index/randomPassword:RandomPassword")).state.result, "password");
        assert.ok(!JSON.stringify(normal()).includes(password), "the password appears in the plan record");
        assert.deepEqual(only(normal(), "random:index/randomPassword:RandomPassword").inputs, { length: 40, special: true, overrideSpecial: "!#$%&*()-_=+[]{}<>:?" });
    });

    test("alarms: the guides' thresholds on each instance, replica lag at the 300 s RPO every minute, to the region's topic of their severity", () => {
        const alarm = (name: string) => only(normal(), "aws:cloudwatch/metricAlarm:MetricAlarm", name);
        const topic = (site: string, critical: boolean) => arnOf(only(normal(), "aws:sns/topic:Topic", `db-${site}-${critical ? "alarms" : "warnings"}`));
        const summary = (name: string) => {
            const i = alarm(name).inputs;
            return [i.namespace, i.metricName, i.statistic, i.comparisonOperator, i.threshold, i.period, i.evaluationPeriods, i.datapointsToAlarm];
        };
        assert.deepEqual(summary("db-primary-cpu"), ["AWS/RDS", "CPUUtilization", "Average", "GreaterThanThreshold", 80, 60, 5, 5]);
        assert.deepEqual(summary("db-primary-memory"), ["AWS/RDS", "FreeableMemory", "Minimum", "LessThanThreshold", Math.round(0.15 * 32 * gib), 60, 5, 5]);
        assert.deepEqual(summary("db-dr-memory"), ["AWS/RDS", "FreeableMemory", "Minimum", "LessThanThreshold", Math.round(0.15 * 16 * gib), 60, 5, 5]);
        assert.deepEqual(summary("db-primary-storage"), ["AWS/RDS", "FreeStorageSpace", "Minimum", "LessThanThreshold", 50 * gib, 60, 5, 5]);
        assert.deepEqual(summary("db-primary-connections"), ["AWS/RDS", "DatabaseConnections", "Maximum", "GreaterThanThreshold", 80, 60, 5, 5]);
        const lag = alarm("db-dr-replication-lag");
        assert.deepEqual(summary("db-dr-replication-lag"), ["AWS/RDS", "ReplicaLag", "Maximum", "GreaterThanThreshold", 300, 60, 2, 2]);
        assert.ok(Number(lag.inputs.threshold) <= 300 && lag.inputs.period === 60);
        assert.deepEqual([lag.region, lag.inputs.treatMissingData, lag.inputs.dimensions], ["us-west-2", "breaching", { DBInstanceIdentifier: mockOf(instance(normal(), "dr")).id }]);
        for (const a of ofType(normal(), "aws:cloudwatch/metricAlarm:MetricAlarm")) {
            const site = a.name.startsWith("db-primary") ? "primary" : "dr";
            // Only a breach of the RPO pages; CPU, memory, storage and connections reach the team.
            const critical = a.name.endsWith("replication-lag");
            assert.deepEqual([a.inputs.actionsEnabled, a.inputs.alarmActions, a.inputs.okActions], [true, [topic(site, critical)], [topic(site, critical)]], a.name);
            assert.equal(a.protect, false, `${a.name}: alarms come and go with the DR phases`);
        }
    });

    test("critical topics page (PagerDuty, confirmed by PagerDuty) and mail the team; warning topics only mail; RDS events page", () => {
        const subscriptions = ofType(normal(), "aws:sns/topicSubscription:TopicSubscription");
        for (const site of ["primary", "dr"]) {
            const of = (suffix: string) => subscriptions.filter((sub) => sub.inputs.topic === arnOf(only(normal(), "aws:sns/topic:Topic", `db-${site}-${suffix}`)))
                .map((sub) => [sub.inputs.protocol, sub.inputs.endpoint, sub.inputs.endpointAutoConfirms]).sort();
            assert.deepEqual(of("alarms"), [["email", "dba@example.com", undefined], ["https", "[secret]", true]]);
            assert.deepEqual(of("warnings"), [["email", "dba@example.com", undefined]]);
            const events = only(normal(), "aws:rds/eventSubscription:EventSubscription", `db-${site}-events`);
            assert.deepEqual([events.inputs.snsTopic, events.inputs.sourceType, events.inputs.sourceIds, events.inputs.eventCategories], [
                arnOf(only(normal(), "aws:sns/topic:Topic", `db-${site}-alarms`)), "db-instance", [mockOf(instance(normal(), site as "primary" | "dr")).id],
                ["availability", "failover", "failure", "low storage", "read replica"],
            ]);
        }
        assert.ok(!JSON.stringify(normal().resources).includes("db-key/enqueue"), "the PagerDuty URL leaked");
    });

    test("alarm topics are encrypted with keys CloudWatch may use", () => {
        for (const site of ["primary", "dr"]) {
            const topic = only(normal(), "aws:sns/topic:Topic", `db-${site}-alarms`);
            assert.equal(topic.inputs.kmsMasterKeyId, keyArn(normal(), `db-${site}-alarms-key`));
            const policy = json(only(normal(), "aws:kms/key:Key", `db-${site}-alarms-key`).inputs.policy, "policy");
            const grant = (policy.Statement as Record<string, unknown>[]).find((s) => s.Sid === "CloudWatchAlarmsPublish");
            assert.deepEqual(grant && [grant.Principal, grant.Action], [{ Service: "cloudwatch.amazonaws.com" }, ["kms:Decrypt", "kms:GenerateDataKey*"]]);
        }
    });

    test("enhanced monitoring: a role only RDS monitoring of this account may assume, with AWS's managed policy", () => {
        const trust = json(only(normal(), "aws:iam/role:Role", "db-monitoring").inputs.assumeRolePolicy, "assumeRolePolicy");
        assert.deepEqual(trust.Statement, [{
            Effect: "Allow",
            Principal: { Service: "monitoring.rds.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
        }]);
        assert.equal(only(normal(), "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "db-monitoring").inputs.policyArn, "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole");
    });
});

describe("ReplicatedDatabase: DR mode promotes the DR database", () => {
    test("the DR instance loses replicateSourceDb and gains backups now, same class and Multi-AZ, no source-only inputs", () => {
        const promoted = instance(drMode(), "dr").inputs;
        assert.equal(promoted.replicateSourceDb, undefined);
        assert.deepEqual([promoted.backupRetentionPeriod, promoted.backupWindow, promoted.applyImmediately], [30, "00:00-01:00", true]);
        assert.deepEqual([promoted.skipFinalSnapshot, promoted.finalSnapshotIdentifier, promoted.deleteAutomatedBackups], [false, "db-dr-final", false]);
        assert.deepEqual([promoted.instanceClass, promoted.multiAz, promoted.kmsKeyId], ["db.m6g.xlarge", true, keyArn(drMode(), "db-dr-key")]);
        for (const input of sourceOnly) assert.equal(promoted[input], undefined, input);
        assert.deepEqual(promoted.tags, { Name: "db-dr", backup: "true" });
        assert.deepEqual([instance(drMode(), "dr").protect, instance(drMode(), "dr").retainOnDelete], [true, true]);
    });

    test("the stable names move to the promoted database", () => {
        const promoted = address(instance(drMode(), "dr"));
        assert.deepEqual([recordValue(drMode(), "writer"), recordValue(drMode(), "reader")], [[promoted], [promoted]]);
        assert.deepEqual([drMode().outputs.writerSite, drMode().outputs.writerAddress, drMode().outputs.writerEndpoint], ["dr", promoted, "writer.db.test.internal"]);
        const writer = only(drMode(), "aws:route53/record:Record", "db-writer");
        assert.ok(writer.dependencies.includes(instance(drMode(), "dr").urn), "the writer record waits for the promotion");
    });

    test("nothing in the primary region changes: the old primary, its alarms, keys and secret stay as they were", () => {
        const east = (record: PlanRecord) => new Map(record.resources.filter((r) => r.region === "us-east-1" && !r.type.startsWith("pulumi:providers")).map((r) => [r.urn, r]));
        const before = east(normal());
        const after = east(drMode());
        assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
        for (const [urn, resource] of after) {
            if (resource.type === "aws:route53/record:Record") continue; // Route53 is global: the records are the switch
            const was = before.get(urn)!;
            assert.deepEqual([resource.inputs, resource.protect, resource.retainOnDelete], [was.inputs, was.protect, was.retainOnDelete], urn);
        }
        assert.deepEqual([instance(drMode(), "primary").protect, instance(drMode(), "primary").retainOnDelete], [true, true]);
    });

    test("the replica-lag alarm goes; the old primary's backup replication into the DR region stays", () => {
        assert.deepEqual(ofType(drMode(), "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.metricName === "ReplicaLag"), []);
        const replication = only(drMode(), "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication");
        assert.deepEqual(replication.inputs, only(normal(), "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication").inputs);
    });
});

describe("ReplicatedDatabase: failing back", () => {
    const rebuilding = () => plans.get(phase(true, "rebuilding"))!;
    const rebuilt = () => plans.get(phase(false, "rebuilt"))!;

    test("rebuilding: the primary region's database is a new replica of the DR writer; backups replicate towards it", () => {
        const primary = instance(rebuilding(), "primary").inputs;
        assert.equal(primary.replicateSourceDb, arnOf(instance(rebuilding(), "dr")));
        for (const input of [...sourceOnly, "backupRetentionPeriod"]) assert.equal(primary[input], undefined, input);
        assert.deepEqual([primary.instanceClass, primary.kmsKeyId], ["db.m6g.2xlarge", keyArn(rebuilding(), "db-primary-key")]);
        assert.deepEqual(recordValue(rebuilding(), "writer"), [address(instance(rebuilding(), "dr"))]);
        const replication = only(rebuilding(), "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication");
        assert.deepEqual([replication.name, replication.region, replication.inputs.sourceDbInstanceArn], ["db-backups-to-primary", "us-east-1", arnOf(instance(rebuilding(), "dr"))]);
        const lag = only(rebuilding(), "aws:cloudwatch/metricAlarm:MetricAlarm", "db-primary-replication-lag");
        assert.deepEqual([lag.region, lag.inputs.threshold], ["us-east-1", 300]);
    });

    test("rebuilt: that replica is promoted and writes again; the DR database replicates it", () => {
        const primary = instance(rebuilt(), "primary").inputs;
        assert.deepEqual([primary.replicateSourceDb, primary.backupRetentionPeriod, primary.username, primary.password], [undefined, 30, undefined, undefined]);
        assert.equal(instance(rebuilt(), "dr").inputs.replicateSourceDb, arnOf(instance(rebuilt(), "primary")));
        assert.deepEqual(recordValue(rebuilt(), "writer"), [address(instance(rebuilt(), "primary"))]);
        assert.equal(rebuilt().outputs.writerSite, "primary");
    });
});

describe("ReplicatedDatabase refuses settings AWS or the DR design would not take", () => {
    const refusal = async (args: Partial<ReplicatedDatabaseArgs>, sameProvider = false) => {
        let message = "";
        await planComponents(() => {
            try {
                const provider = new aws.Provider("only", { region: "us-east-1" });
                const site = { provider, vpcId: "vpc-0aaa", subnetIds: ["subnet-0a1", "subnet-0a2"] };
                new ReplicatedDatabase("db", {
                    engineVersion: "15",
                    instanceClass: "db.m6g.large",
                    backupRetentionDays: 7,
                    rpoSeconds: 300,
                    privateZoneName: "db.test.internal",
                    primary: site,
                    ...(sameProvider ? { dr: site } : {}),
                    ...args,
                });
            } catch (error) {
                message = (error as Error).message;
            }
        });
        return message;
    };

    test("a DR site on the primary's provider", async () => {
        assert.match(await refusal({}, true), /dr: the DR site uses the primary site's provider; it must be a provider of another region/);
    });
    test("retention outside 0–35 days", async () => {
        assert.match(await refusal({ backupRetentionDays: 36 }), /backupRetentionDays: expected a whole number from 0 to 35, got 36/);
    });
    test("a replica whose source keeps no backups", async () => {
        assert.match(await refusal({ backupRetentionDays: 0 }, true), /backupRetentionDays: expected a whole number from 1 to 35 \(the source of a read replica must keep automated backups\), got 0/);
    });
    test("DR mode without a DR database", async () => {
        assert.match(await refusal({ drActive: true }), /drActive: there is no DR database to promote \(give the dr site\), got true/);
    });
    test("nothing is registered for refused settings", async () => {
        const record = await planComponents(() => {
            try {
                build({ backupRetentionDays: 0 });
            } catch {
                // refused
            }
        });
        assert.deepEqual(ofType(record, "keel:database:ReplicatedDatabase"), []);
    });
});

test("the component's outputs are what a stack exports", () => {
    assert.deepEqual(object(normal().outputs.alarmTopicArns, "alarmTopicArns"), {
        primary: arnOf(only(normal(), "aws:sns/topic:Topic", "db-primary-alarms")),
        dr: arnOf(only(normal(), "aws:sns/topic:Topic", "db-dr-alarms")),
    });
});

describe("ReplicatedDatabase admits client networks by CIDR", () => {
    const cidrs = { primary: ["10.1.0.0/19", "10.1.32.0/19"], dr: ["10.0.0.0/19"] };
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => build({}, { primary: { clientCidrBlocks: cidrs.primary }, dr: { clientCidrBlocks: cidrs.dr } }));
    });

    test("each CIDR gives one PostgreSQL rule on its site's database security group, in its region, beside the client groups", () => {
        for (const [site, region, client] of [["primary", "us-east-1", "sg-0app0east"], ["dr", "us-west-2", "sg-0app0west"]] as const) {
            const group = only(record, "aws:ec2/securityGroup:SecurityGroup", `db-${site}`);
            const rules = ofType(record, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === mockOf(group).id);
            assert.deepEqual(
                rules.map((r) => [r.name, r.region, r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4 ?? null, r.inputs.referencedSecurityGroupId ?? null]).sort(),
                [
                    [`db-${site}-client-0`, region, "tcp", 5432, 5432, null, client],
                    ...cidrs[site].map((cidr, i) => [`db-${site}-network-${i}`, region, "tcp", 5432, 5432, cidr, null]),
                ].sort(),
                site,
            );
        }
    });

    test("without clientCidrBlocks no site admits a network", () => {
        assert.deepEqual(ofType(normal(), "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.cidrIpv4 !== undefined), []);
    });
});

test("the credentials output is kept secret; the database name is app", () => {
    assert.equal(normal().outputs.credentials, "[secret]");
    assert.equal(normal().outputs.databaseName, "app");
    const password = text(unregioned(only(normal(), "random:index/randomPassword:RandomPassword")).state.result, "password");
    assert.ok(!JSON.stringify(normal().outputs).includes(password), "the password appears in the outputs");
});

test("storage autoscaling is off without a ceiling above the allocation", async () => {
    const record = await planComponents(() => build({ maxAllocatedStorageGb: undefined }));
    assert.deepEqual(instance(record, "primary").inputs.maxAllocatedStorage, undefined);
    assert.equal(instance(record, "primary").inputs.allocatedStorage, 500);
});
