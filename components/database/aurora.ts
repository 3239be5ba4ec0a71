import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { AlarmTarget, BuildContext, BuiltDatabase, Site } from "./context";
import { databaseParameters, instanceAlarms, parameterFamily, postgresPort, replicationLagAlarm, supportsPerformanceInsights } from "./settings";

const engine = "aurora-postgresql";

/**
 * Aurora PostgreSQL as a global database: a primary cluster (writer, plus a reader in another
 * zone with `multiAz`) and a secondary cluster in the DR region that Aurora's storage layer
 * keeps about a second behind.
 *
 * DR mode detaches the secondary: the AWS provider calls RemoveFromGlobalCluster when a
 * cluster's `globalClusterIdentifier` is removed, which makes it a standalone, writable
 * cluster (Aurora's documented manual failover after an unplanned outage of the primary
 * region). Nothing in the primary region changes; the global cluster keeps the old primary.
 */
export function buildAuroraGlobalCluster(ctx: BuildContext): BuiltDatabase {
    const { name, settings: s, topology, sites } = ctx;
    const family = parameterFamily(engine, s.engineVersion);
    const parameterGroup = (site: Site) =>
        new aws.rds.ClusterParameterGroup(`${name}-${site.name}`, {
            family,
            description: `Aurora PostgreSQL ${s.engineVersion} parameters of ${name} (${site.name})`,
            parameters: databaseParameters(s.logMinDurationMs),
            tags: ctx.tags(`${name}-${site.name}`),
        }, site.options);

    const global = new aws.rds.GlobalCluster(`${name}-global`, {
        globalClusterIdentifier: s.globalClusterIdentifier,
        engine,
        engineVersion: s.engineVersion,
        databaseName: s.databaseName,
        storageEncrypted: true,
        deletionProtection: s.deletionProtection,
    }, sites.primary.stateful);

    /** The cluster settings both regions share. */
    const clusterArgs = (site: Site, writer: boolean): aws.rds.ClusterArgs => ({
        engine,
        engineVersion: s.engineVersion,
        dbSubnetGroupName: site.subnetGroup.name,
        vpcSecurityGroupIds: [site.securityGroup.id],
        dbClusterParameterGroupName: parameterGroup(site).name,
        port: postgresPort,
        storageEncrypted: true,
        kmsKeyId: site.key.arn,
        backupRetentionPeriod: s.backupRetentionDays,
        preferredBackupWindow: s.backupWindow,
        preferredMaintenanceWindow: s.maintenanceWindow,
        deletionProtection: s.deletionProtection,
        copyTagsToSnapshot: true,
        iamDatabaseAuthenticationEnabled: true,
        enabledCloudwatchLogsExports: ["postgresql"],
        // A secondary cluster has no snapshot of its own to take; a writer does.
        ...(writer ? { skipFinalSnapshot: false, finalSnapshotIdentifier: `${name}-${site.name}-final` } : { skipFinalSnapshot: true }),
        tags: ctx.tags(`${name}-${site.name}`, writer ? { backup: "true" } : {}),
    });

    const instancesOf = (site: Site, cluster: aws.rds.Cluster, instanceClass: string, dependsOn?: pulumi.Resource[]) => {
        const performanceInsights = supportsPerformanceInsights(instanceClass);
        // With Multi-AZ, a second instance in another zone takes over within a minute if the writer's zone fails.
        return Array.from({ length: s.multiAz ? 2 : 1 }, (_, index) =>
            new aws.rds.ClusterInstance(`${name}-${site.name}-${index}`, {
                clusterIdentifier: cluster.id,
                engine,
                engineVersion: s.engineVersion,
                instanceClass,
                dbSubnetGroupName: site.subnetGroup.name,
                publiclyAccessible: false,
                promotionTier: index,
                autoMinorVersionUpgrade: true,
                preferredMaintenanceWindow: s.maintenanceWindow,
                copyTagsToSnapshot: true,
                monitoringInterval: s.monitoringIntervalSeconds,
                ...(ctx.monitoringRoleArn !== undefined ? { monitoringRoleArn: ctx.monitoringRoleArn } : {}),
                performanceInsightsEnabled: performanceInsights,
                ...(performanceInsights ? { performanceInsightsKmsKeyId: site.key.arn, performanceInsightsRetentionPeriod: s.performanceInsightsRetentionDays } : {}),
                tags: ctx.tags(`${name}-${site.name}-${index}`),
            }, { ...site.stateful, ...(dependsOn ? { dependsOn } : {}) }));
    };

    const alarms: AlarmTarget[] = [];
    const instanceAlarmTargets = (site: Site, instances: aws.rds.ClusterInstance[], instanceClass: string) =>
        instances.forEach((instance, index) => alarms.push({
            site: site.name,
            name: `${name}-${site.name}-${index}`,
            dimensions: { DBInstanceIdentifier: instance.identifier },
            specs: instanceAlarms(instanceClass, s.alarmThresholds),
        }));

    const primary = new aws.rds.Cluster(`${name}-primary`, {
        ...clusterArgs(sites.primary, true),
        globalClusterIdentifier: global.id,
        masterUsername: s.masterUsername,
        masterPassword: ctx.password,
        databaseName: s.databaseName,
    }, sites.primary.stateful);
    const primaryInstances = instancesOf(sites.primary, primary, s.instanceClass);
    instanceAlarmTargets(sites.primary, primaryInstances, s.instanceClass);

    const drSite = sites.dr;
    const secondary = drSite && topology.dr && (() => {
        const detached = topology.dr.role === "writer";
        const cluster = new aws.rds.Cluster(`${name}-dr`, {
            ...clusterArgs(drSite, detached),
            // Removing the global cluster identifier detaches (promotes) the secondary.
            ...(detached ? {} : { globalClusterIdentifier: global.id }),
        }, {
            ...drSite.stateful,
            // Aurora adds a secondary only after the primary has an instance (AWS provider's global cluster example).
            dependsOn: primaryInstances,
            // Aurora sets it on secondaries itself; it is not an input to reconcile.
            ignoreChanges: ["replicationSourceIdentifier"],
        });
        const instances = instancesOf(drSite, cluster, s.replicaInstanceClass);
        instanceAlarmTargets(drSite, instances, s.replicaInstanceClass);
        if (!detached) {
            alarms.push({
                site: "dr",
                name: `${name}-dr`,
                dimensions: { DBClusterIdentifier: cluster.clusterIdentifier },
                specs: [replicationLagAlarm(engine, s.rpoSeconds)],
            });
        }
        return cluster;
    })();

    const writer = topology.writer === "dr" && secondary ? secondary : primary;
    return {
        members: {
            primary: { arn: primary.arn, address: primary.endpoint },
            ...(secondary ? { dr: { arn: secondary.arn, address: secondary.endpoint } } : {}),
        },
        writerAddress: writer.endpoint,
        // The writer cluster's reader endpoint: its replicas, or the writer when it has none.
        readerAddress: writer.readerEndpoint,
        alarms,
    };
}
