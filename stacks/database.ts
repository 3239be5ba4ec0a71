import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    LocalReplicatedDatabase,
    ReplicatedDatabase,
    postgresImage,
    postgresPort,
    type DatabaseCredentials,
} from "../components/database";
import type { Network } from "../components/network";
import type { KeelConfig } from "./config";
import { alarmNotifications } from "./alerting";
import type { RegionalNetworks } from "./network";
import { siteValue, statefulOptions, type RegionalProviders, type Site } from "./providers";
import { standardTags } from "./tags";

export interface DatabaseOptions {
    /** Security groups of application tiers admitted to PostgreSQL, besides the stack's database-clients groups. */
    readonly clientSecurityGroupIds?: { readonly primary?: readonly pulumi.Input<string>[]; readonly dr?: readonly pulumi.Input<string>[] };
    /** Networks admitted to PostgreSQL per region (a peered VPC's subnets: security groups do not cross regions). */
    readonly clientCidrBlocks?: { readonly primary?: readonly string[]; readonly dr?: readonly string[] };
}

/** Where in-cluster exporters connect, with the credentials secret's contents (a Pulumi secret). */
export interface DatabaseMonitoringTargets {
    readonly credentials: pulumi.Output<DatabaseCredentials>;
    readonly databaseName: pulumi.Output<string>;
    readonly writerEndpoint: pulumi.Output<string>;
    readonly replicaEndpoint?: pulumi.Output<string>;
    /** The DR replica's RDS identifier while it replicates (not in DR mode, not Aurora): CloudWatch's ReplicaLag dimension. */
    readonly drReplicaIdentifier?: pulumi.Output<string>;
}

/**
 * The database of an AWS environment: a `ReplicatedDatabase` in the primary region's database
 * subnets with, when `keel:database.replicaInDr`, its standby in the DR region; DR mode
 * (`keel:dr.active`) promotes the standby. Each region also gets a `database-clients` security
 * group: application tiers join it to be admitted.
 */
export function databases(config: KeelConfig, providers: RegionalProviders, networks: RegionalNetworks, opts: DatabaseOptions = {}) {
    const { database, environment } = config;
    if (database.replicaInDr && (providers.dr === undefined || networks.dr === undefined)) {
        throw new Error("keel:database.replicaInDr needs the DR region's provider and network");
    }
    const clients = (role: "primary" | "dr", provider: aws.Provider, network: Network) =>
        new aws.ec2.SecurityGroup(`database-clients-${role}`, {
            vpcId: network.vpcId,
            description: "Members may connect to the database",
            tags: { Name: `database-clients-${role}` },
        }, { provider });
    const site = (role: "primary" | "dr", provider: aws.Provider, network: Network) => {
        const group = clients(role, provider, network);
        return {
            group,
            site: {
                provider,
                vpcId: network.vpcId,
                subnetIds: network.databaseSubnetIds,
                clientSecurityGroupIds: [group.id, ...(opts.clientSecurityGroupIds?.[role] ?? [])],
                clientCidrBlocks: opts.clientCidrBlocks?.[role] ?? [],
            },
        };
    };
    const primary = site("primary", providers.primary, networks.primary);
    const dr = database.replicaInDr && providers.dr && networks.dr ? site("dr", providers.dr, networks.dr) : undefined;

    const db = new ReplicatedDatabase("database", {
        engine: database.engine,
        engineVersion: database.engineVersion,
        instanceClass: database.instanceClass,
        replicaInstanceClass: database.replicaInstanceClass,
        allocatedStorageGb: database.allocatedStorageGb,
        maxAllocatedStorageGb: database.maxAllocatedStorageGb,
        backupRetentionDays: database.backupRetentionDays,
        multiAz: database.multiAz,
        deletionProtection: database.deletionProtection,
        primary: primary.site,
        ...(dr ? { dr: dr.site } : {}),
        drActive: config.dr.active,
        primaryDatabase: config.dr.primaryDatabase,
        rpoSeconds: database.rpoSeconds,
        backupWindow: database.backupWindow,
        maintenanceWindow: database.maintenanceWindow,
        monitoringIntervalSeconds: database.monitoringIntervalSeconds,
        performanceInsightsRetentionDays: database.performanceInsightsRetentionDays,
        logMinDurationMs: database.logMinDurationMs,
        alarmThresholds: database.alarms,
        privateZoneName: `db.${environment}.internal`,
        notifications: alarmNotifications(config),
        globalClusterIdentifier: `keel-${environment}-database`,
    }, statefulOptions(config));

    /** What the application tier needs to reach the database in each region: its security group and port. */
    const groupIn = (site: Site) => siteValue(db.securityGroupIds, site, `the database has no ${site} security group`);
    // With the credentials secret of each region (the DR region reads its replica): the application reads it at start.
    const access = {
        primary: { securityGroupId: groupIn("primary"), port: postgresPort, secretArn: db.secret },
        ...(dr ? { dr: { securityGroupId: groupIn("dr"), port: postgresPort, secretArn: db.secretReplicaArn.apply((arn) => arn ?? "") } } : {}),
    };
    const exports = {
        engine: database.engine,
        writerEndpoint: db.writerEndpoint,
        readerEndpoint: db.readerEndpoint,
        port: db.port,
        secretArn: db.secret,
        secretReplicaArn: db.secretReplicaArn,
        writerSite: db.writerSite,
        writerAddress: db.writerAddress,
        readerAddress: db.readerAddress,
        primaryArn: db.primaryArn,
        drArn: db.drArn,
        alarmTopicArns: db.alarmTopicArns,
        warningTopicArns: db.warningTopicArns,
        clientSecurityGroupIds: { primary: primary.group.id, ...(dr ? { dr: dr.group.id } : {}) },
        securityGroupIds: db.securityGroupIds,
    };
    /** What an in-cluster exporter connects to: the stable writer name and, with a DR replica, the reader name (the replica). */
    const monitoring: DatabaseMonitoringTargets = {
        credentials: db.credentials,
        databaseName: db.databaseName,
        writerEndpoint: db.writerEndpoint,
        // RDS: the reader name is the DR replica. Aurora's is the writer cluster's own readers; its
        // secondary's lag is CloudWatch's AuroraGlobalDBReplicationLag, not a PostgreSQL metric.
        ...(dr && database.engine === "postgres" ? { replicaEndpoint: db.readerEndpoint } : {}),
        ...(dr && database.engine === "postgres" && !config.dr.active
            ? { drReplicaIdentifier: db.drArn.apply((arn) => (arn ?? "").slice((arn ?? "").lastIndexOf(":") + 1)) }
            : {}),
    };
    return { exports, access, monitoring };
}

/** The local stack's database: writer and streaming replica containers on the stack's Docker network. */
export function localDatabases(config: KeelConfig, networkName: pulumi.Input<string>) {
    const db = new LocalReplicatedDatabase("database", {
        networkName,
        image: postgresImage(config.database.engineVersion),
        zoneName: `db.${config.environment}.internal`,
        logMinDurationMs: config.database.logMinDurationMs,
        labels: standardTags(config),
    }, statefulOptions(config));
    return {
        engine: "postgres",
        writerEndpoint: db.writerEndpoint,
        readerEndpoint: db.readerEndpoint,
        port: db.port,
        secret: db.secret,
        hostPorts: db.hostPorts,
    };
}

