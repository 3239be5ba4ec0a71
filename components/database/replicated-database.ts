import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumedBy, awsManagedPolicyArn } from "../iam";
import * as random from "@pulumi/random";
import { admittingSecurityGroup } from "../network/admitting-group";
import { customerManagedKey } from "../kms";
import { InvalidArgumentsError, problem } from "../problems";
import { notificationProblems, subscribeTopic, topicPublishGrant, type AlarmNotifications, type AlarmSeverity } from "../monitoring/notifications";
import { buildAuroraGlobalCluster } from "./aurora";
import type { BuildContext, BuiltDatabase, DatabaseEndpoints, ResolvedSettings, Site } from "./context";
import { buildRdsInstances } from "./rds";
import {
    databaseDefaults,
    databaseTopology,
    defaultBackupWindow,
    defaultMaintenanceWindow,
    guideAlarmThresholds,
    postgresPort,
    validateDatabaseSettings,
    type AlarmThresholds,
    type DatabaseEngine,
    type DatabaseSiteName,
    type PrimaryDatabaseState,
} from "./settings";
import { publicOutputs } from "../outputs";

/** Where a region's database lives. The region is the provider's. */
export interface DatabaseSite {
    readonly provider: aws.Provider;
    readonly vpcId: pulumi.Input<string>;
    /** The isolated database subnets, in at least two availability zones (a DB subnet group needs two). */
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Security groups whose members may connect to PostgreSQL; nothing else is admitted. Default: none. */
    readonly clientSecurityGroupIds?: readonly pulumi.Input<string>[];
    /**
     * Networks whose addresses may connect, such as a peered VPC's subnets in another region
     * (security groups cannot be referenced across regions). Default: none.
     */
    readonly clientCidrBlocks?: readonly string[];
}

/** The JSON document of the credentials secret. */
export interface DatabaseCredentials {
    readonly engine: "postgres";
    /** The stable writer name. */
    readonly host: string;
    readonly readerHost: string;
    readonly port: number;
    readonly dbname: string;
    readonly username: string;
    readonly password: string;
}

export interface ReplicatedDatabaseArgs {
    /** `postgres` (RDS for PostgreSQL) or `aurora-postgresql` (an Aurora global database). Default `postgres`. */
    readonly engine?: DatabaseEngine;
    /** PostgreSQL version: a major (`15`) or major.minor; Aurora needs major.minor (`15.4`). */
    readonly engineVersion: string;
    /** Class of the primary region's database (every phase). */
    readonly instanceClass: string;
    /** Class of the DR region's database, also once promoted: DR mode scales nothing down or up. Default `instanceClass`. */
    readonly replicaInstanceClass?: string;
    /** RDS: initial gp3 storage in GiB. Default 20. */
    readonly allocatedStorageGb?: number;
    /** RDS: storage autoscaling ceiling in GiB; autoscaling is on when it exceeds `allocatedStorageGb`. Default `allocatedStorageGb` (off). */
    readonly maxAllocatedStorageGb?: number;
    /** Automated backups (point-in-time restore) kept this many days, 0–35; at least 1 with a DR replica or Aurora. */
    readonly backupRetentionDays: number;
    /** Daily backup window, UTC. Default `00:00-01:00`, ending an hour before the maintenance window. */
    readonly backupWindow?: string;
    /** Weekly maintenance window, UTC. Default `sun:02:00-sun:04:00` (the ops guides' window). */
    readonly maintenanceWindow?: string;
    /** A standby in a second zone (RDS Multi-AZ; Aurora: a second instance per cluster). Default true. */
    readonly multiAz?: boolean;
    /** Default true. */
    readonly deletionProtection?: boolean;
    /** Default `app`. */
    readonly databaseName?: string;
    /** Default `keel_admin`. */
    readonly masterUsername?: string;
    /** The primary region. */
    readonly primary: DatabaseSite;
    /** The DR region: a cross-region replica (RDS) or secondary cluster (Aurora). Default: none. */
    readonly dr?: DatabaseSite;
    /** DR mode: promote the DR database and make it the writer. Default false. */
    readonly drActive?: boolean;
    /**
     * The primary region's database after a failover (see `databaseTopology`): `original`, or
     * `rebuilding` (a new replica of the DR writer, the first step of failing back), or `rebuilt`
     * (that replica, promoted). RDS only. Default `original`.
     */
    readonly primaryDatabase?: PrimaryDatabaseState;
    /** The recovery point objective: replication lag beyond it raises an alarm. */
    readonly rpoSeconds: number;
    /** Default: the ops guides' thresholds (`guideAlarmThresholds`). */
    readonly alarmThresholds?: AlarmThresholds;
    /** Enhanced monitoring interval (0, 1, 5, 10, 15, 30, 60). Default 60. */
    readonly monitoringIntervalSeconds?: number;
    /** Performance Insights retention: 7, a multiple of 31, or 731. Default 7 (free tier). */
    readonly performanceInsightsRetentionDays?: number;
    /** Statements slower than this are logged. Default 1000 ms. */
    readonly logMinDurationMs?: number;
    /** The private hosted zone of the stable names (`writer.<zone>`, `reader.<zone>`), e.g. `db.production.internal`. */
    readonly privateZoneName: string;
    /** TTL of the stable names: how long clients may keep resolving the old writer. Default 30 s. */
    readonly dnsTtlSeconds?: number;
    /** Aurora: the global cluster identifier, unique in the account. Default `<name>-global`. */
    readonly globalClusterIdentifier?: string;
    /**
     * Who hears the alarms and RDS events: critical ones (replication beyond the RPO, a failed or
     * failed-over database) page, warnings reach the team. Default: nobody — the topics are
     * created unsubscribed (`alarmTopicArns`, `warningTopicArns`) for the caller to subscribe.
     */
    readonly notifications?: AlarmNotifications;
    /** Tags added to every taggable child, on top of the providers' default tags. */
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** The settings with their defaults, validated: throws `InvalidArgumentsError` before anything is registered. */
export function resolveDatabaseSettings(name: string, args: ReplicatedDatabaseArgs): ResolvedSettings {
    const allocatedStorageGb = args.allocatedStorageGb ?? databaseDefaults.allocatedStorageGb;
    const settings: ResolvedSettings = {
        engine: args.engine ?? databaseDefaults.engine,
        engineVersion: args.engineVersion,
        instanceClass: args.instanceClass,
        replicaInstanceClass: args.replicaInstanceClass ?? args.instanceClass,
        allocatedStorageGb,
        maxAllocatedStorageGb: args.maxAllocatedStorageGb ?? allocatedStorageGb,
        backupRetentionDays: args.backupRetentionDays,
        backupWindow: args.backupWindow ?? defaultBackupWindow,
        maintenanceWindow: args.maintenanceWindow ?? defaultMaintenanceWindow,
        monitoringIntervalSeconds: args.monitoringIntervalSeconds ?? databaseDefaults.monitoringIntervalSeconds,
        performanceInsightsRetentionDays: args.performanceInsightsRetentionDays ?? databaseDefaults.performanceInsightsRetentionDays,
        rpoSeconds: args.rpoSeconds,
        alarmThresholds: args.alarmThresholds ?? guideAlarmThresholds,
        hasDr: args.dr !== undefined,
        drActive: args.drActive ?? false,
        primaryDatabase: args.primaryDatabase ?? "original",
        multiAz: args.multiAz ?? true,
        deletionProtection: args.deletionProtection ?? true,
        databaseName: args.databaseName ?? databaseDefaults.databaseName,
        masterUsername: args.masterUsername ?? databaseDefaults.masterUsername,
        logMinDurationMs: args.logMinDurationMs ?? databaseDefaults.logMinDurationMs,
        globalClusterIdentifier: args.globalClusterIdentifier ?? `${name}-global`,
    };
    const problems = validateDatabaseSettings(settings);
    if (args.dr !== undefined && args.dr.provider === args.primary.provider) {
        problems.push(problem("dr", "the DR site uses the primary site's provider; it must be a provider of another region"));
    }
    if (args.notifications !== undefined) problems.push(...notificationProblems(args.notifications));
    if (problems.length > 0) throw new InvalidArgumentsError(`ReplicatedDatabase ${name}`, problems, settings);
    return settings;
}

/** What every site of a `ReplicatedDatabase` takes from the component. */
interface SiteOwner {
    readonly name: string;
    readonly notifications: ReplicatedDatabaseArgs["notifications"];
    readonly retainOnDelete: boolean | undefined;
    readonly tags: BuildContext["tags"];
}

/** The private zone and its writer and reader records. */
interface StableNames {
    readonly zone: aws.route53.Zone;
    readonly writer: aws.route53.Record;
    readonly reader: aws.route53.Record;
}

/**
 * PostgreSQL with a standby in a second region, and the failover to it as a reviewed,
 * previewable `pulumi up`. RDS for PostgreSQL (a cross-region read replica) or Aurora
 * PostgreSQL (a global database) behind the same interface.
 *
 * Per region: a customer-managed KMS key (storage, Performance Insights, secret), a DB subnet
 * group in the database subnets, a security group admitting PostgreSQL from the given client
 * groups only, a parameter group (pg_stat_statements, slow-statement log, TLS required), and
 * encrypted SNS topics for critical alarms and RDS events (they page) and for warnings (they
 * reach the team), subscribed from `notifications`. Credentials are a random password in a Secrets Manager
 * secret replicated to the DR region. Applications connect to stable names in a private hosted
 * zone (`writer.<zone>`, `reader.<zone>`) that follow the writer through DR mode.
 *
 * The master password is not RDS-managed: RDS does not manage it in Secrets Manager for a
 * source of read replicas ("creating a read replica when the source DB ... manages credentials
 * with Secrets Manager" is unsupported), and a managed secret lives in the source region only.
 */
export class ReplicatedDatabase extends pulumi.ComponentResource implements DatabaseEndpoints {
    /** `writer.<zone>`: where applications write, in every phase. */
    public readonly writerEndpoint: pulumi.Output<string>;
    /** `reader.<zone>`: the replica, or the writer when there is none. */
    public readonly readerEndpoint: pulumi.Output<string>;
    public readonly port: pulumi.Output<number>;
    /** The credentials secret's ARN in the primary region (JSON: engine, host, port, dbname, username, password). */
    public readonly secret: pulumi.Output<string>;
    /** The database applications use (created with the instance). */
    public readonly databaseName: pulumi.Output<string>;
    /** What the credentials secret holds (a Pulumi secret): for in-cluster clients such as the exporter. */
    public readonly credentials: pulumi.Output<DatabaseCredentials>;
    /** The same secret's replica in the DR region; undefined without a DR site. */
    public readonly secretReplicaArn: pulumi.Output<string | undefined>;
    /** The endpoint the writer name currently resolves to. */
    public readonly writerAddress: pulumi.Output<string>;
    public readonly readerAddress: pulumi.Output<string>;
    /** Which site writes: `primary`, or `dr` in DR mode. */
    public readonly writerSite: pulumi.Output<DatabaseSiteName>;
    public readonly primaryArn: pulumi.Output<string>;
    public readonly drArn: pulumi.Output<string | undefined>;
    /** Per site, the topic critical alarms and RDS events (failure, failover, replication) publish to: it pages. */
    public readonly alarmTopicArns: pulumi.Output<{ primary: string; dr?: string }>;
    /** Per site, the topic warnings (CPU, memory, storage, connections) publish to: it reaches the team. */
    public readonly warningTopicArns: pulumi.Output<{ primary: string; dr?: string }>;
    public readonly securityGroupIds: pulumi.Output<{ primary: string; dr?: string }>;
    public readonly privateZoneId: pulumi.Output<string>;

    constructor(name: string, args: ReplicatedDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        const settings = resolveDatabaseSettings(name, args);
        super("keel:database:ReplicatedDatabase", name, args, opts);

        const topology = databaseTopology(settings.hasDr, settings.drActive, settings.primaryDatabase);
        const tags = (child: string, extra: Record<string, string> = {}): pulumi.Output<Record<string, string>> =>
            pulumi.output(args.tags ?? {}).apply((t): Record<string, string> => ({ ...t, ...extra, Name: child }));
        const accountId = aws.getCallerIdentityOutput({}, { parent: this, provider: args.primary.provider }).accountId;
        const primaryRegion = aws.getRegionOutput({}, { parent: this, provider: args.primary.provider }).region;
        const siteOf = { name, notifications: args.notifications, retainOnDelete: opts?.retainOnDelete, tags };
        const primary = this.site(siteOf, "primary", args.primary, primaryRegion);
        const dr = args.dr && this.site(siteOf, "dr", args.dr, pulumi
            .all([primaryRegion, aws.getRegionOutput({}, { parent: this, provider: args.dr.provider }).region])
            .apply(([primaryName, drName]) => {
                if (drName === primaryName) throw new InvalidArgumentsError(`ReplicatedDatabase ${name}`, [problem("dr", `the DR region must differ from the primary region (${primaryName})`)]);
                return drName;
            }));

        // RDS master passwords: 8–128 printable ASCII characters except /, ", @ and space.
        const password = new random.RandomPassword(`${name}-master-password`, {
            length: 40,
            special: true,
            overrideSpecial: "!#$%&*()-_=+[]{}<>:?",
        }, { parent: this });

        const monitoringRoleArn = settings.monitoringIntervalSeconds > 0 ? this.monitoringRole(name, accountId, primary.options, tags) : undefined;
        const context: BuildContext = {
            name,
            settings,
            topology,
            sites: { primary, ...(dr ? { dr } : {}) },
            password: password.result,
            ...(monitoringRoleArn ? { monitoringRoleArn } : {}),
            tags,
        };
        const built = settings.engine === "aurora-postgresql" ? buildAuroraGlobalCluster(context) : buildRdsInstances(context);
        this.alarms(context, built.alarms);
        this.eventSubscriptions(context, built);
        const names = this.stableNames(context, args, built);
        const credentials = this.credentialsSecret(context, names, password.result);

        this.writerEndpoint = names.writer.fqdn;
        this.readerEndpoint = names.reader.fqdn;
        this.port = pulumi.output(postgresPort);
        this.databaseName = pulumi.output(settings.databaseName);
        this.credentials = pulumi.secret(credentials.document);
        this.secret = credentials.secret.arn;
        this.secretReplicaArn = dr
            ? pulumi.all([credentials.secret.arn, primary.region, dr.region]).apply(([arn, from, to]) => arn.replace(`:${from}:`, `:${to}:`))
            : pulumi.output(undefined);
        this.writerAddress = built.writerAddress;
        this.readerAddress = built.readerAddress;
        this.writerSite = pulumi.output(topology.writer);
        this.primaryArn = built.members.primary.arn;
        this.drArn = built.members.dr?.arn ?? pulumi.output(undefined);
        const perSite = (value: (s: Site) => pulumi.Output<string>) => pulumi.output({ primary: value(primary), ...(dr ? { dr: value(dr) } : {}) });
        this.alarmTopicArns = perSite((s) => s.alarmTopics.critical.arn);
        this.warningTopicArns = perSite((s) => s.alarmTopics.warning.arn);
        this.securityGroupIds = perSite((s) => s.securityGroup.id);
        this.privateZoneId = names.zone.zoneId;
        this.registerOutputs(publicOutputs(this));
    }

    /**
     * One site's own pieces: its key, subnet group and security group (admitting the client
     * groups and networks only), and its encrypted alarm topics.
     */
    private site(of: SiteOwner, siteName: DatabaseSiteName, spec: DatabaseSite, region: pulumi.Output<string>): Site {
        const { name, tags } = of;
        const options: pulumi.CustomResourceOptions = { parent: this, provider: spec.provider };
        const stateful = { ...options, retainOnDelete: of.retainOnDelete };
        const prefix = `${name}-${siteName}`;
        const key = customerManagedKey(`${prefix}-key`, { description: `Storage, Performance Insights and credentials of ${name} (${siteName})`, tags: tags(`${prefix}-key`) }, stateful);
        const subnetGroup = new aws.rds.SubnetGroup(prefix, {
            description: `Database subnets of ${name} (${siteName})`,
            subnetIds: spec.subnetIds,
            tags: tags(prefix),
        }, options);
        const securityGroup = admittingSecurityGroup(prefix, {
            placement: spec,
            description: `PostgreSQL of ${name} (${siteName}): admits the client security groups and networks only`,
            port: postgresPort,
            ruleDescriptions: { group: "PostgreSQL from an application tier", network: "PostgreSQL from a peered network" },
            tags,
        }, options);
        // CloudWatch alarms and RDS events publish to an encrypted topic only if the key's policy
        // lets those services use it (the AWS-managed alias/aws/sns key cannot be granted).
        const alarmsKey = customerManagedKey(`${prefix}-alarms-key`, {
            description: `Alarm notifications of ${name} (${siteName})`,
            serviceGrants: [
                topicPublishGrant("CloudWatchAlarmsPublish", "cloudwatch.amazonaws.com"),
                topicPublishGrant("RdsEventsPublish", "events.rds.amazonaws.com"),
            ],
            tags: tags(`${prefix}-alarms-key`),
        }, stateful);
        const topic = (severity: AlarmSeverity, suffix: string) => {
            const created = new aws.sns.Topic(`${prefix}-${suffix}`, { kmsMasterKeyId: alarmsKey.arn, tags: tags(`${prefix}-${suffix}`) }, options);
            if (of.notifications) subscribeTopic(`${prefix}-${suffix}`, created, severity, of.notifications, options);
            return created;
        };
        const alarmTopics = { critical: topic("critical", "alarms"), warning: topic("warning", "warnings") };
        return { name: siteName, options, stateful, key, subnetGroup, securityGroup, alarmTopics, region };
    }

    /** The engine builder's alarms, each to its site's topic of its severity. */
    private alarms(context: BuildContext, targets: BuiltDatabase["alarms"]): void {
        for (const target of targets) {
            const targetSite = context.sites[target.site];
            if (targetSite === undefined) continue;
            for (const spec of target.specs) {
                new aws.cloudwatch.MetricAlarm(`${target.name}-${spec.key}`, {
                    alarmDescription: `${context.name}: ${spec.description}`,
                    namespace: "AWS/RDS",
                    metricName: spec.metricName,
                    dimensions: target.dimensions,
                    statistic: spec.statistic,
                    comparisonOperator: spec.comparisonOperator,
                    threshold: spec.threshold,
                    period: spec.periodSeconds,
                    evaluationPeriods: spec.evaluationPeriods,
                    datapointsToAlarm: spec.datapointsToAlarm,
                    treatMissingData: spec.treatMissingData,
                    actionsEnabled: true,
                    alarmActions: [targetSite.alarmTopics[spec.severity].arn],
                    okActions: [targetSite.alarmTopics[spec.severity].arn],
                    tags: context.tags(`${target.name}-${spec.key}`),
                    // Alarms come and go with the DR phases (a promoted replica has no lag): never protected.
                }, { ...targetSite.options, protect: false });
            }
        }
    }

    /** RDS's own events — a failed, unavailable or failed-over database, a stopped replica — page. */
    private eventSubscriptions(context: BuildContext, built: BuiltDatabase): void {
        const { name, tags } = context;
        const events = context.settings.engine === "aurora-postgresql"
            ? { sourceType: "db-cluster", eventCategories: ["failover", "failure", "global-failover"] }
            : { sourceType: "db-instance", eventCategories: ["availability", "failover", "failure", "low storage", "read replica"] };
        for (const siteName of ["primary", "dr"] as const) {
            const member = built.members[siteName];
            const targetSite = context.sites[siteName];
            if (member === undefined || targetSite === undefined) continue;
            new aws.rds.EventSubscription(`${name}-${siteName}-events`, {
                snsTopic: targetSite.alarmTopics.critical.arn,
                ...events,
                sourceIds: [member.arn.apply((arn) => arn.slice(arn.lastIndexOf(":") + 1))],
                enabled: true,
                tags: tags(`${name}-${siteName}-events`),
            }, targetSite.options);
        }
    }

    /**
     * The stable names, resolvable from both VPCs. DR mode changes only the records' values,
     * and only after the promotion has completed (they depend on the promoted database).
     */
    private stableNames(context: BuildContext, args: ReplicatedDatabaseArgs, built: BuiltDatabase): StableNames {
        const { name, tags, sites: { primary, dr } } = context;
        const zone = new aws.route53.Zone(`${name}-zone`, {
            name: args.privateZoneName,
            comment: `Stable names of ${name}: writer and reader follow the writing region`,
            vpcs: [
                { vpcId: args.primary.vpcId, vpcRegion: primary.region },
                ...(args.dr && dr ? [{ vpcId: args.dr.vpcId, vpcRegion: dr.region }] : []),
            ],
            tags: tags(`${name}-zone`),
        }, primary.stateful);
        const record = (label: "writer" | "reader", target: pulumi.Output<string>) =>
            new aws.route53.Record(`${name}-${label}`, {
                zoneId: zone.zoneId,
                name: `${label}.${args.privateZoneName}`,
                type: "CNAME",
                ttl: args.dnsTtlSeconds ?? 30,
                records: [target],
            }, primary.options);
        return { zone, writer: record("writer", built.writerAddress), reader: record("reader", built.readerAddress) };
    }

    /** The master credentials and stable endpoint in Secrets Manager, replicated to the DR region. */
    private credentialsSecret(context: BuildContext, names: StableNames, password: pulumi.Output<string>) {
        const { name, tags, settings, sites: { primary, dr } } = context;
        const secret = new aws.secretsmanager.Secret(`${name}-credentials`, {
            description: `Master credentials and stable endpoint of ${name}`,
            kmsKeyId: primary.key.arn,
            // The DR region's applications read the replica: it stays readable when the primary region is down.
            ...(dr ? { replicas: [{ region: dr.region, kmsKeyId: dr.key.arn }] } : {}),
            recoveryWindowInDays: 30,
            tags: tags(`${name}-credentials`),
        }, primary.stateful);
        // The host is the stable writer name: the secret never changes on failover.
        const document = pulumi.output({
            engine: "postgres" as const,
            host: names.writer.fqdn,
            readerHost: names.reader.fqdn,
            port: postgresPort,
            dbname: settings.databaseName,
            username: settings.masterUsername,
            password,
        });
        new aws.secretsmanager.SecretVersion(`${name}-credentials`, { secretId: secret.id, secretString: pulumi.secret(pulumi.jsonStringify(document)) }, primary.options);
        return { secret, document };
    }

    /** The role RDS enhanced monitoring assumes to publish OS metrics (IAM is global: one for both regions). */
    private monitoringRole(
        name: string,
        accountId: pulumi.Output<string>,
        options: pulumi.CustomResourceOptions,
        tags: (child: string) => pulumi.Output<Record<string, string>>,
    ): pulumi.Output<string> {
        const role = new aws.iam.Role(`${name}-monitoring`, {
            description: `RDS enhanced monitoring of ${name}`,
            assumeRolePolicy: assumedBy("monitoring.rds.amazonaws.com", { sourceAccount: accountId }),
            tags: tags(`${name}-monitoring`),
        }, options);
        const attachment = new aws.iam.RolePolicyAttachment(`${name}-monitoring`, {
            role: role.name,
            policyArn: awsManagedPolicyArn("service-role/AmazonRDSEnhancedMonitoringRole"),
        }, options);
        // Databases wait for the policy, or RDS refuses the role as lacking permissions.
        return pulumi.all([role.arn, attachment.id]).apply(([arn]) => arn);
    }
}
