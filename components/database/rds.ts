import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { AlarmTarget, BuildContext, BuiltDatabase, BuiltMember, Site } from "./context";
import {
    databaseParameters,
    instanceAlarms,
    parameterFamily,
    postgresPort,
    replicationLagAlarm,
    supportsPerformanceInsights,
    type DatabaseSiteName,
    type MemberPlan,
} from "./settings";

/** The log types RDS for PostgreSQL exports to CloudWatch Logs. */
export const postgresLogExports = ["postgresql", "upgrade"];

/**
 * RDS for PostgreSQL: a DB instance per site, the DR one a cross-region read replica of the
 * primary (`replicateSourceDb` = the primary's ARN, encrypted with the DR region's key) until
 * DR mode promotes it.
 *
 * Promotion is the AWS provider's documented behaviour when `replicateSourceDb` is removed: it
 * calls PromoteReadReplica with the instance's `backupRetentionPeriod` and `backupWindow`, waits
 * until the instance is available, then applies the remaining changes with ModifyDBInstance. So:
 * - a replica never carries backup settings (RDS refuses automated backups on PostgreSQL
 *   replicas), and the promoted one gets them in the same `pulumi up` (no second apply);
 * - a promoted replica keeps its instance class and Multi-AZ setting: any other change would
 *   be a ModifyDBInstance the provider waits for before the writer name can move (RTO);
 * - members created as replicas never get a master user, password, database name or engine
 *   (inherited from the source; the provider refuses them on a replica, and adding them
 *   after promotion would replace the database).
 */
export function buildRdsInstances(ctx: BuildContext): BuiltDatabase {
    const { name, settings: s, topology, sites } = ctx;
    const family = parameterFamily("postgres", s.engineVersion);
    const parameterGroup = (site: Site) =>
        new aws.rds.ParameterGroup(`${name}-${site.name}`, {
            family,
            description: `PostgreSQL ${s.engineVersion} parameters of ${name} (${site.name})`,
            parameters: databaseParameters(s.logMinDurationMs),
            tags: ctx.tags(`${name}-${site.name}`),
        }, site.options);

    const instances: Partial<Record<DatabaseSiteName, aws.rds.Instance>> = {};
    const alarms: AlarmTarget[] = [];
    // A replica's source is registered first: it needs the source's ARN.
    const order: DatabaseSiteName[] = topology.primary.source === "dr" ? ["dr", "primary"] : ["primary", "dr"];
    for (const siteName of order) {
        const plan = topology[siteName];
        const site = sites[siteName];
        if (plan === undefined || site === undefined) continue;
        const source = plan.source === undefined ? undefined : instances[plan.source];
        // The primary region's database keeps the writer's class in every phase, the DR one the replica's.
        const instanceClass = siteName === "primary" ? s.instanceClass : s.replicaInstanceClass;
        const instance = new aws.rds.Instance(`${name}-${siteName}`, {
            ...instanceArgs(ctx, site, plan, instanceClass, parameterGroup(site).name),
            ...(source !== undefined ? { replicateSourceDb: source.arn } : {}),
        }, site.stateful);
        instances[siteName] = instance;
        alarms.push({
            site: siteName,
            name: `${name}-${siteName}`,
            dimensions: { DBInstanceIdentifier: instance.identifier },
            specs: [
                ...instanceAlarms(instanceClass, s.alarmThresholds, s.allocatedStorageGb),
                ...(plan.role === "replica" ? [replicationLagAlarm("postgres", s.rpoSeconds)] : []),
            ],
        });
    }

    const replication = topology.backupReplication;
    const target = replication && sites[replication.to];
    const origin = replication && instances[replication.from];
    if (replication && target && origin) {
        // Automated backups (snapshots and transaction logs) copied into the other region as they
        // are taken: point-in-time restore there even without the replica. Not protected: it is
        // a setting that comes and goes between DR phases, not data.
        new aws.rds.InstanceAutomatedBackupsReplication(`${name}-backups-to-${replication.to}`, {
            sourceDbInstanceArn: origin.arn,
            kmsKeyId: target.key.arn,
            retentionPeriod: s.backupRetentionDays,
        }, { ...target.options, protect: false });
    }

    const member = (instance: aws.rds.Instance | undefined): BuiltMember | undefined =>
        instance && { arn: instance.arn, address: instance.address };
    const address = (siteName: DatabaseSiteName) => {
        const instance = instances[siteName];
        if (instance === undefined) throw new Error(`${name}: no ${siteName} instance`);
        return instance.address;
    };
    const primary = member(instances.primary);
    if (primary === undefined) throw new Error(`${name}: no primary instance`);
    const dr = member(instances.dr);
    return {
        members: { primary, ...(dr ? { dr } : {}) },
        writerAddress: address(topology.writer),
        readerAddress: address(topology.reader),
        alarms,
    };
}

function instanceArgs(ctx: BuildContext, site: Site, plan: MemberPlan, instanceClass: string, parameterGroupName: pulumi.Output<string>): aws.rds.InstanceArgs {
    const { name, settings: s } = ctx;
    const replica = plan.role === "replica";
    const performanceInsights = supportsPerformanceInsights(instanceClass);
    return {
        instanceClass,
        ...(plan.bornAsReplica ? {} : {
            engine: "postgres",
            engineVersion: s.engineVersion,
            username: s.masterUsername,
            password: ctx.password,
            dbName: s.databaseName,
        }),
        storageType: "gp3",
        allocatedStorage: s.allocatedStorageGb,
        // Storage autoscaling only with a ceiling above the allocation.
        ...(s.maxAllocatedStorageGb > s.allocatedStorageGb ? { maxAllocatedStorage: s.maxAllocatedStorageGb } : {}),
        storageEncrypted: true,
        kmsKeyId: site.key.arn,
        multiAz: s.multiAz,
        dbSubnetGroupName: site.subnetGroup.name,
        vpcSecurityGroupIds: [site.securityGroup.id],
        parameterGroupName,
        publiclyAccessible: false,
        port: postgresPort,
        iamDatabaseAuthenticationEnabled: true,
        copyTagsToSnapshot: true,
        deletionProtection: s.deletionProtection,
        autoMinorVersionUpgrade: true,
        maintenanceWindow: s.maintenanceWindow,
        // The DR writer applies its changes now; everything else waits for the maintenance window.
        applyImmediately: site.name === "dr" && plan.role === "writer",
        enabledCloudwatchLogsExports: postgresLogExports,
        monitoringInterval: s.monitoringIntervalSeconds,
        ...(ctx.monitoringRoleArn !== undefined ? { monitoringRoleArn: ctx.monitoringRoleArn } : {}),
        performanceInsightsEnabled: performanceInsights,
        ...(performanceInsights ? { performanceInsightsKmsKeyId: site.key.arn, performanceInsightsRetentionPeriod: s.performanceInsightsRetentionDays } : {}),
        ...(replica
            ? { skipFinalSnapshot: true }
            : {
                  backupRetentionPeriod: s.backupRetentionDays,
                  backupWindow: s.backupWindow,
                  skipFinalSnapshot: false,
                  finalSnapshotIdentifier: `${name}-${site.name}-final`,
                  // Automated backups outlive the instance (until their retention ends).
                  deleteAutomatedBackups: false,
              }),
        // Writers and standalone databases are what AWS Backup selects (`backup=true`); replicas are copies.
        tags: ctx.tags(`${name}-${site.name}`, replica ? {} : { backup: "true" }),
    };
}
