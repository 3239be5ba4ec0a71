import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { evaluatePolicies, mandatoryViolations } from "../policies/offline";
import { keelPolicies } from "../policies/rules";
import type { PlanRecord } from "../offline-plan/engine";
import { loadStackConfig } from "../offline-plan/stack-config";
import { arnOf, mockOf, object, ofType, only, componentPackConfigFor, planComponents, projectRoot, text } from "../tests/plans";
import { backups } from "./backup";
import { productionBackupBuckets } from "./presets";
import { ConfigError, resolveKeelConfig, type KeelConfig } from "./config";
import { databases, localDatabases, type DatabaseOptions } from "./database";
import type { Environment } from "./environments";
import { regionalNetworks } from "./network";
import { regionalProviders } from "./providers";

/** The environment's stack file (it names the application and the zone a serving environment needs), with `raw` over it. */
function configFor(environment: Environment, raw: Record<string, unknown> = {}): KeelConfig {
    const stack = loadStackConfig(projectRoot, environment).config;
    return resolveKeelConfig({ ...stack, ...Object.fromEntries(Object.entries(raw).map(([key, value]) => [`keel:${key}`, JSON.stringify(value)])) }, environment);
}

/** The environment's network and database (with its backup plan, which selects the database by tag). */
function planDatabase(config: KeelConfig, opts?: DatabaseOptions) {
    // The stack file's other namespaces too: the alarms' PagerDuty URL is secret config.
    return planComponents(() => {
        const providers = regionalProviders(config);
        const networks = regionalNetworks(config, providers);
        const { exports: outputs } = databases(config, providers, networks, opts);
        backups(config, providers, productionBackupBuckets);
        return outputs;
    }, loadStackConfig(projectRoot, config.environment).config, config.environment);
}

const instances = (record: PlanRecord) => ofType(record, "aws:rds/instance:Instance");
const instance = (record: PlanRecord, site: "primary" | "dr") => only(record, "aws:rds/instance:Instance", `database-${site}`);

describe("production", () => {
    let normal: PlanRecord;
    let drMode: PlanRecord;
    before(async () => {
        normal = await planDatabase(configFor("production"));
        drMode = await planDatabase(configFor("production", { dr: { active: true } }));
    });

    test("an encrypted, Multi-AZ, protected, private PostgreSQL 15 primary in us-east-1 with 35 days of backups (AWS Backup's continuous rule)", () => {
        const primary = instance(normal, "primary");
        const i = primary.inputs;
        assert.equal(primary.region, "us-east-1");
        assert.deepEqual([i.engine, i.engineVersion, i.instanceClass, i.allocatedStorage, i.maxAllocatedStorage], ["postgres", "15", "db.m6g.2xlarge", 500, 2000]);
        assert.deepEqual([i.storageEncrypted, i.multiAz, i.backupRetentionPeriod, i.deletionProtection, i.publiclyAccessible, i.password], [true, true, 35, true, false, "[secret]"]);
        assert.match(text(i.kmsKeyId, "kmsKeyId"), /^arn:aws:kms:us-east-1:/);
        assert.deepEqual([primary.protect, primary.retainOnDelete], [true, true]);
        const subnetGroup = only(normal, "aws:rds/subnetGroup:SubnetGroup", "database-primary");
        const databaseSubnets = ofType(normal, "aws:ec2/subnet:Subnet").filter((s) => s.name.startsWith("primary-database-")).map((s) => mockOf(s).id);
        assert.deepEqual(subnetGroup.inputs.subnetIds, databaseSubnets);
        assert.equal(databaseSubnets.length, 3);
    });

    test("a protected, encrypted replica in us-west-2 replicating the primary, in the DR VPC's database subnets", () => {
        const replica = instance(normal, "dr");
        assert.equal(replica.region, "us-west-2");
        assert.equal(replica.inputs.replicateSourceDb, arnOf(instance(normal, "primary")));
        assert.equal(replica.inputs.instanceClass, "db.m6g.xlarge");
        assert.deepEqual([replica.inputs.storageEncrypted, replica.protect, replica.retainOnDelete], [true, true, true]);
        assert.match(text(replica.inputs.kmsKeyId, "kmsKeyId"), /^arn:aws:kms:us-west-2:/);
        const drSubnets = ofType(normal, "aws:ec2/subnet:Subnet").filter((s) => s.name.startsWith("dr-database-")).map((s) => mockOf(s).id);
        assert.deepEqual(only(normal, "aws:rds/subnetGroup:SubnetGroup", "database-dr").inputs.subnetIds, drSubnets);
    });

    test("a replica-lag alarm within the 5-minute RPO, evaluated every minute", () => {
        const lag = only(normal, "aws:cloudwatch/metricAlarm:MetricAlarm", "database-dr-replication-lag");
        assert.equal(lag.inputs.metricName, "ReplicaLag");
        assert.ok(Number(lag.inputs.threshold) <= 300, `threshold ${String(lag.inputs.threshold)}`);
        assert.deepEqual([lag.inputs.threshold, lag.inputs.period, lag.region], [300, 60, "us-west-2"]);
    });

    test("the databases are selected by the AWS Backup plans' tag, in both regions (the DR one's once promoted)", () => {
        for (const [name, region] of [["backup-selection", "us-east-1"], ["backup-dr-selection", "us-west-2"]]) {
            const selection = only(normal, "aws:backup/selection:Selection", name);
            assert.equal(selection.region, region);
            assert.deepEqual(selection.inputs.resources, ["arn:aws:rds:*:*:db:*"]);
            assert.deepEqual(selection.inputs.conditions, [{ stringEquals: [{ key: "aws:ResourceTag/backup", value: "true" }] }]);
        }
        assert.equal(object(instance(normal, "primary").inputs.tags, "tags").backup, "true");
    });

    test("application tiers join a database-clients group per region, the only source admitted", () => {
        for (const [site, region] of [["primary", "us-east-1"], ["dr", "us-west-2"]]) {
            const clients = only(normal, "aws:ec2/securityGroup:SecurityGroup", `database-clients-${site}`);
            assert.equal(clients.region, region);
            const rule = only(normal, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", `database-${site}-client-0`);
            assert.deepEqual([rule.inputs.referencedSecurityGroupId, rule.inputs.fromPort], [mockOf(clients).id, 5432]);
        }
    });

    test("outputs: stable endpoints, port, secret ARNs in both regions", () => {
        const o = normal.outputs;
        assert.deepEqual([o.engine, o.writerEndpoint, o.readerEndpoint, o.port, o.writerSite], ["postgres", "writer.db.production.internal", "reader.db.production.internal", 5432, "primary"]);
        assert.match(text(o.secretArn, "secretArn"), /^arn:aws:secretsmanager:us-east-1:123456789012:secret:database-credentials-/);
        assert.match(text(o.secretReplicaArn, "secretReplicaArn"), /^arn:aws:secretsmanager:us-west-2:123456789012:secret:database-credentials-/);
    });

    test("no mandatory policy violation, in normal and in DR mode", async () => {
        const config = componentPackConfigFor("production");
        for (const record of [normal, drMode]) {
            assert.deepEqual(mandatoryViolations(await evaluatePolicies(record, keelPolicies, config)), []);
        }
    });

    test("with keel:dr.active=true the us-west-2 database is promoted and becomes the writer", () => {
        const promoted = instance(drMode, "dr");
        assert.deepEqual([promoted.region, promoted.inputs.replicateSourceDb, promoted.inputs.backupRetentionPeriod, promoted.protect], ["us-west-2", undefined, 35, true]);
        assert.deepEqual(only(drMode, "aws:route53/record:Record", "database-writer").inputs.records, [text(mockOf(promoted).state.address, "address")]);
        assert.deepEqual([drMode.outputs.writerSite, drMode.outputs.writerEndpoint], ["dr", "writer.db.production.internal"]);
        // The old primary is kept, protected, exactly as it was.
        assert.deepEqual(instance(drMode, "primary").inputs, instance(normal, "primary").inputs);
        assert.deepEqual([instance(drMode, "primary").protect, instance(drMode, "primary").retainOnDelete], [true, true]);
    });

    test("no secret in plaintext anywhere in the record", () => {
        const password = ofType(normal, "random:index/randomPassword:RandomPassword");
        assert.equal(password.length, 1);
        for (const record of [normal, drMode]) {
            for (const resource of record.resources) {
                for (const key of ["password", "masterPassword", "secretString"]) {
                    if (key in resource.inputs) assert.equal(resource.inputs[key], "[secret]", `${resource.urn}.${key}`);
                }
            }
        }
    });
});

describe("staging and dev", () => {
    let staging: PlanRecord;
    let dev: PlanRecord;
    before(async () => {
        staging = await planDatabase(configFor("staging"));
        dev = await planDatabase(configFor("dev"));
    });

    test("staging: one single-AZ, deletion-protected database in us-east-1 keeping 7 days of backups, no replica", () => {
        assert.deepEqual(instances(staging).map((r) => [r.name, r.region, r.inputs.multiAz, r.inputs.backupRetentionPeriod, r.inputs.instanceClass, r.inputs.deletionProtection]), [
            ["database-primary", "us-east-1", false, 7, "db.m6g.large", true],
        ]);
        assert.ok(Number(instance(staging, "primary").inputs.backupRetentionPeriod) >= 7);
        assert.deepEqual(only(staging, "aws:route53/record:Record", "database-reader").inputs.records, [text(mockOf(instance(staging, "primary")).state.address, "address")]);
        assert.deepEqual(ofType(staging, "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"), []);
    });

    test("dev: small, a day of backups, no deletion protection, no enhanced monitoring or Performance Insights on a micro class", () => {
        const i = instance(dev, "primary").inputs;
        assert.deepEqual([i.instanceClass, i.backupRetentionPeriod, i.deletionProtection, i.monitoringInterval, i.monitoringRoleArn, i.performanceInsightsEnabled], ["db.t4g.micro", 1, false, 0, undefined, false]);
        assert.deepEqual(ofType(dev, "aws:iam/role:Role").filter((r) => r.name === "database-monitoring"), []);
        assert.deepEqual([instance(dev, "primary").protect, instance(dev, "primary").retainOnDelete], [false, false]);
        assert.equal(dev.outputs.writerEndpoint, "writer.db.dev.internal");
    });
});

describe("bad configuration is refused", () => {
    const refused = (environment: Environment, raw: Record<string, unknown>) => {
        try {
            configFor(environment, raw);
        } catch (error) {
            assert.ok(error instanceof ConfigError);
            return error.problems.join("\n");
        }
        return "";
    };

    test("a DR region equal to the primary", () => {
        assert.match(refused("production", { regions: { primary: "us-east-1", dr: "us-east-1" } }), /keel:regions\.dr: expected a region other than the primary region us-east-1/);
    });
    test("retention out of range, or under the environment's minimum", () => {
        assert.match(refused("production", { database: { backupRetentionDays: 40 } }), /keel:database\.backupRetentionDays: expected an integer from 0 to 35/);
        assert.match(refused("staging", { database: { backupRetentionDays: 3 } }), /keel:database\.backupRetentionDays: expected at least 7 days in staging/);
    });
    test("a replica without backups on its source", () => {
        assert.match(refused("local", { regions: { primary: "us-east-1", dr: "us-west-2" }, database: { replicaInDr: true, backupRetentionDays: 0 } }), /keel:database\.backupRetentionDays: expected a whole number from 1 to 35 \(the source of a read replica must keep automated backups\), got 0/);
    });
    test("a database retention other than AWS Backup's continuous rule is refused", () => {
        assert.match(
            refused("production", { database: { backupRetentionDays: 30 } }),
            /keel:database\.backupRetentionDays: expected 35: AWS Backup's continuous rule "pitr" manages the automated backups and keeps them 35 days, got 30/,
        );
    });
    test("the stack refuses it too when handed such a configuration, before registering anything", async () => {
        let message = "";
        const config = configFor("production");
        const record = await planComponents(() => {
            const providers = regionalProviders(config);
            const networks = regionalNetworks(config, providers);
            try {
                databases({ ...config, database: { ...config.database, backupRetentionDays: 0 } }, providers, networks);
            } catch (error) {
                message = (error as Error).message;
            }
        }, loadStackConfig(projectRoot, "production").config, "production");
        assert.match(message, /backupRetentionDays: expected a whole number from 1 to 35 \(the source of a read replica must keep automated backups\), got 0/);
        assert.deepEqual(instances(record), []);
    });
});

test("local: writer and streaming replica containers with the AWS output shape", async () => {
    const record = await planComponents(() => localDatabases(configFor("local"), "keel-local"));
    assert.deepEqual(Object.keys(record.outputs).sort(), ["engine", "hostPorts", "port", "readerEndpoint", "secret", "writerEndpoint"]);
    assert.deepEqual([record.outputs.writerEndpoint, record.outputs.readerEndpoint, record.outputs.port, record.outputs.secret], ["writer.db.local.internal", "reader.db.local.internal", 5432, "[secret]"]);
    assert.equal(only(record, "docker:index/remoteImage:RemoteImage").inputs.name, "postgres:15.14-bookworm");
    for (const container of ofType(record, "docker:index/container:Container")) {
        assert.deepEqual(container.inputs.labels, [
            { label: "service", value: "keel-app" },
            { label: "owner", value: "platform-team" },
            { label: "environment", value: "local" },
            { label: "managed-by", value: "pulumi" },
        ], container.name);
    }
});
