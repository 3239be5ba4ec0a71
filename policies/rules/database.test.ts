import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PlanResource } from "../../offline-plan/record";
import { loadPolicyPackConfig } from "../offline";
import { east, found, messages, production, resource, runPolicy, staging, west, type Fixture } from "../testing";
import {
    databasePolicies,
    rdsBackupRetention,
    rdsCrossRegion,
    rdsDeletionProtection,
    rdsEncryption,
    rdsIamAuthentication,
    rdsMultiAz,
    rdsNotPublic,
    rdsPerformanceInsights,
    rdsAutoMinorVersionUpgrade,
    rdsCopyTagsToSnapshot,
    rdsFinalSnapshot,
    rdsForceSsl,
} from "./database";

const instanceType = "aws:rds/instance:Instance";
const clusterType = "aws:rds/cluster:Cluster";
const clusterInstanceType = "aws:rds/clusterInstance:ClusterInstance";
const backupReplicationType = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication";

const eastKey = "arn:aws:kms:us-east-1:123456789012:key/0b9f3c1e-5d6a-4f7b-8c2d-1e3f5a7b9c0d";
const westKey = "arn:aws:kms:us-west-2:123456789012:key/7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";

const dev = loadPolicyPackConfig("dev");

/** The primary RDS for PostgreSQL instance as components/database/rds.ts builds it in production. */
const primaryInputs: Record<string, unknown> = {
    instanceClass: "db.r6g.large",
    engine: "postgres",
    engineVersion: "15",
    username: "keel_admin",
    password: "[secret]",
    dbName: "app",
    storageType: "gp3",
    allocatedStorage: 100,
    storageEncrypted: true,
    kmsKeyId: eastKey,
    multiAz: true,
    publiclyAccessible: false,
    iamDatabaseAuthenticationEnabled: true,
    deletionProtection: true,
    performanceInsightsEnabled: true,
    backupRetentionPeriod: 30,
    backupWindow: "00:00-01:00",
    skipFinalSnapshot: false,
    finalSnapshotIdentifier: "orders-primary-final",
    deleteAutomatedBackups: false,
    copyTagsToSnapshot: true,
    autoMinorVersionUpgrade: true,
    parameterGroupName: "orders-primary-9ea0be8",
};

/** Its cross-region read replica: no engine, credentials or backup settings (inherited), the DR region's key. */
const replicaInputs: Record<string, unknown> = {
    instanceClass: "db.r6g.large",
    replicateSourceDb: "arn:aws:rds:us-east-1:123456789012:db:orders-primary-3f2a1b7",
    storageType: "gp3",
    allocatedStorage: 100,
    storageEncrypted: true,
    kmsKeyId: westKey,
    multiAz: false,
    publiclyAccessible: false,
    iamDatabaseAuthenticationEnabled: false,
    deletionProtection: true,
    performanceInsightsEnabled: true,
    skipFinalSnapshot: true,
    copyTagsToSnapshot: true,
    autoMinorVersionUpgrade: true,
    parameterGroupName: "orders-dr-b996cb0",
};

/** A primary instance in us-east-1 with `changes` applied (`undefined` drops an input). */
function primary(changes: Record<string, unknown> = {}, name = "orders-primary"): Fixture {
    return resource(instanceType, withChanges(primaryInputs, changes), { name, provider: east });
}

function replica(changes: Record<string, unknown> = {}, region: PlanResource = west, name = "orders-dr"): Fixture {
    return resource(instanceType, withChanges(replicaInputs, changes), { name, provider: region });
}

/** The Aurora primary cluster as components/database/aurora.ts builds it. */
function cluster(changes: Record<string, unknown> = {}, region: PlanResource = east, name = "orders-primary"): Fixture {
    const inputs = {
        engine: "aurora-postgresql",
        engineVersion: "15.4",
        globalClusterIdentifier: "keel-orders",
        storageEncrypted: true,
        kmsKeyId: region === east ? eastKey : westKey,
        backupRetentionPeriod: 30,
        deletionProtection: true,
        iamDatabaseAuthenticationEnabled: true,
        skipFinalSnapshot: false,
        masterUsername: "keel_admin",
        copyTagsToSnapshot: true,
        dbClusterParameterGroupName: `${name}-5d6e7f8`,
    };
    return resource(clusterType, withChanges(inputs, changes), { name, provider: region });
}

/** The Aurora secondary cluster in the DR region: a member of the global cluster without a master user, taking no final snapshot. */
const secondary = (changes: Record<string, unknown> = {}) => cluster({ masterUsername: undefined, skipFinalSnapshot: true, ...changes }, west, "orders-dr");

/** A parameter group of the stack forcing TLS, as components/database builds them. */
function parameterGroup(name: string, region: PlanResource, parameters: Record<string, unknown>[] = [{ name: "rds.force_ssl", value: "1", applyMethod: "immediate" }], type = "aws:rds/parameterGroup:ParameterGroup", family = "postgres15"): Fixture {
    return resource(type, { family, parameters }, { name, provider: region });
}
const clusterParameterGroup = (name: string, region: PlanResource) => parameterGroup(name, region, undefined, "aws:rds/clusterParameterGroup:ClusterParameterGroup", "aurora-postgresql15");

/** The primary's automated backups replicated into the DR region, as components/database/rds.ts does in production. */
function backupsToDr(changes: Record<string, unknown> = {}): Fixture {
    const inputs = { sourceDbInstanceArn: "arn:aws:rds:us-east-1:123456789012:db:orders-primary-3f2a1b7", kmsKeyId: westKey, retentionPeriod: 35 };
    return resource(backupReplicationType, withChanges(inputs, changes), { name: "orders-backups-to-dr", provider: west });
}

/** The parameter groups every fixture database uses. */
const groups = [parameterGroup("orders-primary", east), parameterGroup("orders-dr", west), clusterParameterGroup("orders-primary", east), clusterParameterGroup("orders-dr", west)];

function clusterInstance(changes: Record<string, unknown> = {}, name = "orders-primary-0"): Fixture {
    const inputs = { clusterIdentifier: "orders-primary", engine: "aurora-postgresql", instanceClass: "db.r6g.large", publiclyAccessible: false, performanceInsightsEnabled: true, promotionTier: 0 };
    return resource(clusterInstanceType, withChanges(inputs, changes), { name, provider: east });
}

function withChanges(inputs: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
    const result = { ...inputs, ...changes };
    for (const [key, value] of Object.entries(changes)) if (value === undefined) delete result[key];
    return result;
}

describe("database policies", () => {
    test("the production primary, its DR replica and an Aurora global database pass every policy under every environment's config", async () => {
        const plan = [primary(), replica(), cluster(), secondary(), clusterInstance(), backupsToDr(), ...groups];
        for (const [environment, config] of [["default", {}], ["dev", dev], ["staging", staging], ["production", production]] as const) {
            for (const policy of databasePolicies) assert.deepEqual(await found(policy, plan, config), [], `${policy.name} under ${environment}`);
        }
    });

    test("violations carry the resource's URN and the policy's level", async () => {
        const database = primary({ publiclyAccessible: true });
        assert.deepEqual(await runPolicy(rdsNotPublic, [database]), [
            { policyName: "keel-rds-not-public", enforcementLevel: "mandatory", message: 'Instance "orders-primary" is publicly accessible', urn: database.resource.urn },
        ]);
    });
});

describe("keel-rds-encryption", () => {
    test("passes instances and clusters encrypted with a customer-managed key", async () => {
        assert.deepEqual(await found(rdsEncryption, [primary(), cluster()]), []);
    });

    test("refuses unencrypted storage", async () => {
        assert.deepEqual(await found(rdsEncryption, [primary({ storageEncrypted: undefined })]), ['Instance "orders-primary" does not encrypt its storage']);
        assert.deepEqual(await found(rdsEncryption, [primary({ storageEncrypted: false, kmsKeyId: undefined })]), ['Instance "orders-primary" does not encrypt its storage']);
        assert.deepEqual(await found(rdsEncryption, [cluster({ storageEncrypted: false })]), ['Cluster "orders-primary" does not encrypt its storage']);
    });

    test("refuses the AWS-managed aws/rds key", async () => {
        assert.deepEqual(await found(rdsEncryption, [primary({ kmsKeyId: undefined })]), ['Instance "orders-primary" encrypts with the AWS-managed aws/rds key instead of a customer-managed key']);
        assert.deepEqual(await found(rdsEncryption, [cluster({ kmsKeyId: "" })]), ['Cluster "orders-primary" encrypts with the AWS-managed aws/rds key instead of a customer-managed key']);
    });

    test("judges a read replica by its own key: one of its region, not the source's settings", async () => {
        // RDS inherits encryption on a replica: storageEncrypted is not what makes it encrypted.
        assert.deepEqual(await found(rdsEncryption, [replica({ storageEncrypted: undefined })]), []);
        assert.deepEqual(await found(rdsEncryption, [replica({ kmsKeyId: undefined })]), ['Instance "orders-dr" is a replica without a KMS key of its region (kmsKeyId)']);
        assert.deepEqual(await found(rdsEncryption, [replica({ kmsKeyId: "" })]), ['Instance "orders-dr" is a replica without a KMS key of its region (kmsKeyId)']);
        assert.deepEqual(await found(rdsEncryption, [replica({ kmsKeyId: eastKey })]), [
            'Instance "orders-dr" is a replica in us-west-2 with a KMS key of us-east-1 (kmsKeyId): it needs a key of its own region',
        ]);
    });

    test("reads the replica's region from its own region input before the provider's", async () => {
        const ownRegion = resource(instanceType, { ...replicaInputs, region: "us-east-1", kmsKeyId: eastKey }, { name: "orders-dr", provider: west });
        assert.deepEqual(await found(rdsEncryption, [ownRegion]), []);
        const noProvider = resource(instanceType, { ...replicaInputs, region: "us-west-2", kmsKeyId: eastKey }, { name: "orders-dr" });
        assert.deepEqual(await found(rdsEncryption, [noProvider]), ['Instance "orders-dr" is a replica in us-west-2 with a KMS key of us-east-1 (kmsKeyId): it needs a key of its own region']);
    });

    test("accepts a replica key given by id or alias (they name a key of the replica's region)", async () => {
        assert.deepEqual(await found(rdsEncryption, [replica({ kmsKeyId: "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f" }), replica({ kmsKeyId: "alias/keel-orders" }, west, "orders-dr-2")]), []);
    });

    test("does not judge Aurora cluster instances (their cluster is encrypted)", async () => {
        assert.deepEqual(await found(rdsEncryption, [clusterInstance({ storageEncrypted: false })]), []);
    });

    test("enabled: false turns it off", async () => {
        const unencrypted = [primary({ storageEncrypted: false })];
        assert.equal((await found(rdsEncryption, unencrypted, { "keel-rds-encryption": { enabled: true } })).length, 1);
        assert.deepEqual(await found(rdsEncryption, unencrypted, { "keel-rds-encryption": { enabled: false } }), []);
    });
});

describe("keel-rds-not-public", () => {
    test("passes private instances, cluster instances and replicas", async () => {
        assert.deepEqual(await found(rdsNotPublic, [primary(), primary({ publiclyAccessible: undefined }, "unset"), replica(), clusterInstance()]), []);
    });

    test("refuses publicly accessible instances, Aurora instances and replicas", async () => {
        const plan = [primary({ publiclyAccessible: true }), clusterInstance({ publiclyAccessible: true }), replica({ publiclyAccessible: true })];
        assert.deepEqual(await found(rdsNotPublic, plan), [
            'Instance "orders-primary" is publicly accessible',
            'ClusterInstance "orders-primary-0" is publicly accessible',
            'Instance "orders-dr" is publicly accessible',
        ]);
    });

    test("does not judge clusters (accessibility is an instance setting)", async () => {
        assert.deepEqual(await found(rdsNotPublic, [cluster({ publiclyAccessible: true })]), []);
    });
});

describe("keel-rds-backup-retention", () => {
    test("requires a day by default: unset and 0 days fail, 1 passes", async () => {
        assert.deepEqual(await found(rdsBackupRetention, [primary({ backupRetentionPeriod: 1 })]), []);
        assert.deepEqual(await found(rdsBackupRetention, [primary({ backupRetentionPeriod: undefined })]), ['Instance "orders-primary" keeps backups 0 days; at least 1 required']);
        assert.deepEqual(await found(rdsBackupRetention, [primary({ backupRetentionPeriod: 0 })]), ['Instance "orders-primary" keeps backups 0 days; at least 1 required']);
        assert.deepEqual(await found(rdsBackupRetention, [primary({ backupRetentionPeriod: 1 })], dev), []);
    });

    test("staging requires 7 days", async () => {
        assert.deepEqual(await found(rdsBackupRetention, [primary({ backupRetentionPeriod: 7 })], staging), []);
        assert.deepEqual(await found(rdsBackupRetention, [primary({ backupRetentionPeriod: 6 })], staging), ['Instance "orders-primary" keeps backups 6 days; at least 7 required']);
    });

    test("production requires 30 days, of instances and Aurora clusters", async () => {
        assert.deepEqual(await found(rdsBackupRetention, [primary({ backupRetentionPeriod: 30 }), cluster({ backupRetentionPeriod: 35 })], production), []);
        assert.deepEqual(await found(rdsBackupRetention, [primary({ backupRetentionPeriod: 29 }), cluster({ backupRetentionPeriod: 7 })], production), [
            'Instance "orders-primary" keeps backups 29 days; at least 30 required',
            'Cluster "orders-primary" keeps backups 7 days; at least 30 required',
        ]);
    });

    test("does not apply to a read replica (RDS keeps no automated backups of PostgreSQL replicas)", async () => {
        assert.deepEqual(await found(rdsBackupRetention, [replica()], production), []);
        assert.deepEqual(await found(rdsBackupRetention, [replica({ replicateSourceDb: "" })], production), ['Instance "orders-dr" keeps backups 0 days; at least 30 required']);
    });
});

describe("keel-rds-deletion-protection", () => {
    test("is not required by default, in dev or in staging", async () => {
        const unprotected = [primary({ deletionProtection: false }), cluster({ deletionProtection: undefined })];
        for (const config of [{}, dev, staging]) assert.deepEqual(await found(rdsDeletionProtection, unprotected, config), []);
    });

    test("production refuses instances, clusters and replicas without it", async () => {
        const plan = [primary({ deletionProtection: false }), cluster({ deletionProtection: undefined }), replica({ deletionProtection: false })];
        assert.deepEqual(await found(rdsDeletionProtection, plan, production), [
            'Instance "orders-primary" has no deletion protection',
            'Cluster "orders-primary" has no deletion protection',
            'Instance "orders-dr" has no deletion protection',
        ]);
        assert.deepEqual(await found(rdsDeletionProtection, [primary(), cluster(), replica()], production), []);
    });
});

describe("keel-rds-multi-az", () => {
    test("is not required by default or in staging", async () => {
        for (const config of [{}, staging]) assert.deepEqual(await found(rdsMultiAz, [primary({ multiAz: false })], config), []);
    });

    test("production refuses a single-AZ primary", async () => {
        assert.deepEqual(await found(rdsMultiAz, [primary({ multiAz: false })], production), ['Instance "orders-primary" is not Multi-AZ']);
        assert.deepEqual(await found(rdsMultiAz, [primary({ multiAz: undefined })], production), ['Instance "orders-primary" is not Multi-AZ']);
        assert.deepEqual(await found(rdsMultiAz, [primary()], production), []);
    });

    test("does not apply to a read replica, nor to Aurora clusters (Multi-AZ there is a second instance)", async () => {
        assert.deepEqual(await found(rdsMultiAz, [replica({ multiAz: false }), cluster()], production), []);
    });
});

describe("keel-rds-iam-authentication", () => {
    test("passes instances and clusters that accept IAM authentication", async () => {
        assert.deepEqual(await found(rdsIamAuthentication, [primary(), cluster()]), []);
    });

    test("refuses instances and clusters that do not", async () => {
        assert.deepEqual(await found(rdsIamAuthentication, [primary({ iamDatabaseAuthenticationEnabled: undefined }), cluster({ iamDatabaseAuthenticationEnabled: false })]), [
            'Instance "orders-primary" does not enable IAM database authentication',
            'Cluster "orders-primary" does not enable IAM database authentication',
        ]);
    });

    test("does not apply to a read replica (it follows its source)", async () => {
        assert.deepEqual(await found(rdsIamAuthentication, [replica({ iamDatabaseAuthenticationEnabled: false })], production), []);
    });

    test("enabled: false turns it off", async () => {
        assert.deepEqual(await found(rdsIamAuthentication, [primary({ iamDatabaseAuthenticationEnabled: false })], { "keel-rds-iam-authentication": { enabled: false } }), []);
    });
});

describe("keel-rds-performance-insights", () => {
    const without = [primary({ performanceInsightsEnabled: false }), clusterInstance({ performanceInsightsEnabled: undefined }), replica({ performanceInsightsEnabled: false })];

    test("is not required by default or in dev", async () => {
        for (const config of [{}, dev]) assert.deepEqual(await found(rdsPerformanceInsights, without, config), []);
    });

    for (const [environment, config] of [["staging", staging], ["production", production]] as const) {
        test(`${environment} requires it of instances, Aurora instances and replicas`, async () => {
            assert.deepEqual(await found(rdsPerformanceInsights, without, config), [
                'Instance "orders-primary" does not enable Performance Insights',
                'ClusterInstance "orders-primary-0" does not enable Performance Insights',
                'Instance "orders-dr" does not enable Performance Insights',
            ]);
            assert.deepEqual(await found(rdsPerformanceInsights, [primary(), clusterInstance(), replica()], config), []);
        });
    }

    test("does not judge clusters (Performance Insights runs per instance)", async () => {
        assert.deepEqual(await found(rdsPerformanceInsights, [cluster({ performanceInsightsEnabled: false })], production), []);
    });
});

describe("keel-rds-cross-region", () => {
    test("is not required by default or in staging", async () => {
        for (const config of [{}, staging]) assert.deepEqual(await found(rdsCrossRegion, [primary()], config), []);
    });

    test("production passes a primary in us-east-1 with its replica in us-west-2 and its automated backups replicated there", async () => {
        assert.deepEqual(await found(rdsCrossRegion, [primary(), replica(), backupsToDr()], production), []);
    });

    test("production passes Aurora clusters in two regions", async () => {
        assert.deepEqual(await found(rdsCrossRegion, [cluster(), cluster({}, west, "orders-dr"), clusterInstance()], production), []);
    });

    test("production refuses a primary and replica in one region, or a lone primary", async () => {
        const violations = await runPolicy(rdsCrossRegion, [primary(), replica({ kmsKeyId: eastKey }, east), backupsToDr()], production);
        assert.deepEqual(messages(violations), ["every database is in us-east-1: a DR replica in another region is required"]);
        assert.equal(violations[0].urn, undefined, "a stack violation");
        assert.deepEqual(await found(rdsCrossRegion, [primary(), backupsToDr()], production), ["every database is in us-east-1: a DR replica in another region is required"]);
    });

    test("does not count Aurora cluster instances as databases of their own", async () => {
        const westInstance = resource(clusterInstanceType, { clusterIdentifier: "orders-dr", engine: "aurora-postgresql", instanceClass: "db.r6g.large" }, { name: "orders-dr-0", provider: west });
        assert.deepEqual(await found(rdsCrossRegion, [cluster(), westInstance], production), ["every database is in us-east-1: a DR replica in another region is required"]);
    });

    test("reads a database's own region input (AWS provider v7) before its provider's", async () => {
        const drByInput = resource(instanceType, { ...replicaInputs, region: "us-west-2" }, { name: "orders-dr", provider: east });
        assert.deepEqual(await found(rdsCrossRegion, [primary(), drByInput, backupsToDr()], production), []);
    });

    test("names no region when it cannot tell where the databases are", async () => {
        const nowhere = resource(instanceType, { ...primaryInputs }, { name: "orders" });
        assert.deepEqual(await found(rdsCrossRegion, [nowhere], { "keel-rds-cross-region": { required: true } }), ["every database is in one region: a DR replica in another region is required"]);
    });

    test("passes a stack without databases", async () => {
        assert.deepEqual(await found(rdsCrossRegion, [resource("aws:s3/bucket:Bucket", {}, { provider: east })], production), []);
    });
});

describe("keel-rds-encryption and AWS-managed keys", () => {
    test("refuses alias/aws/rds on a primary, a cluster and a replica, by alias or alias ARN", async () => {
        assert.deepEqual(await found(rdsEncryption, [primary({ kmsKeyId: "alias/aws/rds" }), cluster({ kmsKeyId: "arn:aws:kms:us-east-1:123456789012:alias/aws/rds" }), replica({ kmsKeyId: "alias/aws/rds" })]), [
            'Instance "orders-primary" encrypts with the AWS-managed key alias/aws/rds instead of a customer-managed key',
            'Cluster "orders-primary" encrypts with the AWS-managed key arn:aws:kms:us-east-1:123456789012:alias/aws/rds instead of a customer-managed key',
            'Instance "orders-dr" is a replica encrypted with the AWS-managed key alias/aws/rds instead of a customer-managed key',
        ]);
    });
});

describe("keel-rds-cross-region: automated backups replicated to another region", () => {
    const refusal = (why: string) => `no automated backups of "orders-primary" are replicated to another region${why}`;

    test("staging and the default do not require it; production passes the primary's backups kept 35 days in us-west-2", async () => {
        for (const config of [{}, staging]) assert.deepEqual(await found(rdsCrossRegion, [primary(), replica()], config), []);
        assert.deepEqual(await found(rdsCrossRegion, [primary(), replica(), backupsToDr()], production), []);
    });

    test("production refuses them removed, kept too short (RDS's default 7 days included), or copied from elsewhere", async () => {
        const cases: [Fixture[], string][] = [
            [[], " (aws:rds/instanceAutomatedBackupsReplication)"],
            [[backupsToDr({ retentionPeriod: 7 })], ': "orders-backups-to-dr" keeps "orders-primary"\'s backups 7 days in us-west-2; at least 30 required'],
            [[backupsToDr({ retentionPeriod: undefined })], ': "orders-backups-to-dr" keeps "orders-primary"\'s backups 7 days in us-west-2; at least 30 required'],
            [[backupsToDr({ sourceDbInstanceArn: "arn:aws:rds:us-east-1:123456789012:db:scratch" })], ': "orders-backups-to-dr" copies from no database of the stack'],
            [[backupsToDr({ sourceDbInstanceArn: "arn:aws:rds:us-west-2:123456789012:db:orders-dr-1234567" })], ': "orders-backups-to-dr" copies from the read replica "orders-dr", which keeps no automated backups'],
        ];
        for (const [replication, why] of cases) assert.deepEqual(await found(rdsCrossRegion, [primary(), replica(), ...replication], production), [refusal(why)]);
        const sameRegion = resource(backupReplicationType, { sourceDbInstanceArn: "arn:aws:rds:us-east-1:123456789012:db:orders-primary-3f2a1b7", retentionPeriod: 35 }, { name: "orders-backups-here", provider: east });
        assert.deepEqual(await found(rdsCrossRegion, [primary(), replica(), sameRegion], production), [refusal(': "orders-backups-here" copies "orders-primary"\'s backups within its own region (us-east-1)')]);
    });

    test("finds the source by dependency when its ARN is not given, and asks nothing of Aurora (no automated-backup replication there)", async () => {
        const source = primary();
        const byDependency = resource(backupReplicationType, { retentionPeriod: 35 }, { name: "orders-backups-to-dr", provider: west, dependsOn: [source.resource] });
        assert.deepEqual(await found(rdsCrossRegion, [source, replica(), byDependency], production), []);
        assert.deepEqual(await found(rdsCrossRegion, [cluster(), secondary()], production), []);
    });
});

describe("keel-rds-final-snapshot", () => {
    test("is not required by default or in dev", async () => {
        for (const config of [{}, dev]) assert.deepEqual(await found(rdsFinalSnapshot, [primary({ skipFinalSnapshot: true })], config), []);
    });

    for (const [environment, config] of [["staging", staging], ["production", production]] as const) {
        test(`${environment} refuses a primary instance or cluster that skips it, or drops its automated backups with it`, async () => {
            assert.deepEqual(await found(rdsFinalSnapshot, [primary({ skipFinalSnapshot: true }), cluster({ skipFinalSnapshot: "true" }), primary({ deleteAutomatedBackups: true }, "orders-2")], config), [
                'Instance "orders-primary" skips the final snapshot (skipFinalSnapshot true): deleting it would leave no last copy',
                'Cluster "orders-primary" skips the final snapshot (skipFinalSnapshot true): deleting it would leave no last copy',
                'Instance "orders-2" deletes its automated backups with it (deleteAutomatedBackups true)',
            ]);
            assert.deepEqual(await found(rdsFinalSnapshot, [primary(), cluster(), primary({ skipFinalSnapshot: undefined }, "orders-2")], config), []);
        });
    }

    test("asks nothing of copies: a read replica or an Aurora secondary takes no snapshot of its own", async () => {
        assert.deepEqual(await found(rdsFinalSnapshot, [replica(), secondary(), cluster({ replicationSourceIdentifier: "arn:aws:rds:us-east-1:123456789012:cluster:orders", skipFinalSnapshot: true }, west, "orders-copy")], production), []);
    });

    test("judges a promoted replica (no source any more) as a primary", async () => {
        assert.deepEqual(await found(rdsFinalSnapshot, [replica({ replicateSourceDb: undefined })], production), ['Instance "orders-dr" skips the final snapshot (skipFinalSnapshot true): deleting it would leave no last copy']);
    });
});

describe("keel-rds-auto-minor-version-upgrade", () => {
    test("passes databases that take minor upgrades, or leave the setting to its default (on)", async () => {
        assert.deepEqual(await found(rdsAutoMinorVersionUpgrade, [primary(), replica({ autoMinorVersionUpgrade: undefined }), clusterInstance(), cluster()]), []);
    });

    test("refuses turning them off on instances, replicas, Aurora instances and clusters", async () => {
        const plan = [primary({ autoMinorVersionUpgrade: false }), replica({ autoMinorVersionUpgrade: "false" }), clusterInstance({ autoMinorVersionUpgrade: false }), cluster({ autoMinorVersionUpgrade: false })];
        const turnsOff = (what: string) => `${what} turns automatic minor version upgrades off (autoMinorVersionUpgrade false)`;
        assert.deepEqual(await found(rdsAutoMinorVersionUpgrade, plan), [turnsOff('Instance "orders-primary"'), turnsOff('Instance "orders-dr"'), turnsOff('ClusterInstance "orders-primary-0"'), turnsOff('Cluster "orders-primary"')]);
    });
});

describe("keel-rds-copy-tags-to-snapshot", () => {
    test("passes instances, replicas and clusters that copy their tags", async () => {
        assert.deepEqual(await found(rdsCopyTagsToSnapshot, [primary(), replica(), cluster()]), []);
    });

    test("refuses it off or left to its default (off)", async () => {
        assert.deepEqual(await found(rdsCopyTagsToSnapshot, [primary({ copyTagsToSnapshot: false }), cluster({ copyTagsToSnapshot: undefined })]), [
            'Instance "orders-primary" does not copy its tags to its snapshots (copyTagsToSnapshot false)',
            'Cluster "orders-primary" does not copy its tags to its snapshots (copyTagsToSnapshot unset)',
        ]);
    });
});

describe("keel-rds-force-ssl", () => {
    test("passes instances, replicas and Aurora clusters whose parameter groups set rds.force_ssl to 1, and a MySQL group requiring secure transport", async () => {
        assert.deepEqual(await found(rdsForceSsl, [primary(), replica(), cluster(), secondary(), ...groups]), []);
        const mysql = parameterGroup("shop", east, [{ name: "require_secure_transport", value: "ON" }], undefined, "mysql8.0");
        assert.deepEqual(await found(rdsForceSsl, [primary({ engine: "mysql", parameterGroupName: "shop-0a1b2c3" }, "shop"), mysql]), []);
    });

    test("finds the group through a dependency when its name is not known", async () => {
        const group = parameterGroup("orders-primary", east);
        const database = resource(instanceType, withChanges(primaryInputs, { parameterGroupName: undefined }), { name: "orders-primary", provider: east, dependsOn: [group.resource] });
        assert.deepEqual(await found(rdsForceSsl, [database, group]), []);
    });

    test("refuses rds.force_ssl off or missing, the default group and a group outside the stack", async () => {
        const off = parameterGroup("orders-primary", east, [{ name: "rds.force_ssl", value: "0" }]);
        const missing = parameterGroup("orders-dr", west, [{ name: "log_min_duration_statement", value: "1000" }]);
        const plan = [primary(), replica(), off, missing, primary({ parameterGroupName: undefined }, "orders-default"), primary({ parameterGroupName: "default.postgres15" }, "orders-shared")];
        assert.deepEqual(await found(rdsForceSsl, plan), [
            'Instance "orders-primary" accepts connections without TLS: its parameter group "orders-primary" sets rds.force_ssl to 0',
            'Instance "orders-dr" accepts connections without TLS: its parameter group "orders-dr" does not set rds.force_ssl',
            'Instance "orders-default" uses the default parameter group (no parameterGroupName): set rds.force_ssl to 1 in a parameter group of its own',
            'Instance "orders-shared" uses the parameter group "default.postgres15", none of the stack\'s: rds.force_ssl must be set to 1 in a parameter group of the stack',
        ]);
    });

    test("judges an Aurora cluster by its cluster parameter group, and a MySQL group by require_secure_transport", async () => {
        const clusterGroup = resource("aws:rds/clusterParameterGroup:ClusterParameterGroup", { family: "aurora-postgresql15", parameters: [{ name: "rds.force_ssl", value: "0" }] }, { name: "orders-primary", provider: east });
        const mysql = parameterGroup("shop", east, [{ name: "require_secure_transport", value: "OFF" }], undefined, "mysql8.0");
        assert.deepEqual(await found(rdsForceSsl, [cluster(), clusterGroup, primary({ parameterGroupName: "shop-0a1b2c3" }, "shop"), mysql]), [
            'Cluster "orders-primary" accepts connections without TLS: its parameter group "orders-primary" sets rds.force_ssl to 0',
            'Instance "shop" accepts connections without TLS: its parameter group "shop" sets require_secure_transport to off',
        ]);
    });

    test("enabled: false turns it off", async () => {
        assert.deepEqual(await found(rdsForceSsl, [primary({ parameterGroupName: undefined })], { "keel-rds-force-ssl": { enabled: false } }), []);
    });
});
