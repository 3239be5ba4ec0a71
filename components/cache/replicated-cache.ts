import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { AlarmSpec } from "../database/settings";
import { customerManagedKey } from "../kms";
import { admittingSecurityGroup } from "../network/admitting-group";
import { publicOutputs } from "../outputs";
import { requireNoProblems, type Problem } from "../problems";
import {
    authTokenRules,
    cacheAlarms,
    cacheDefaults,
    cachePort,
    cacheSettingsProblems,
    memberClusterIds,
    replicationGroupIdProblems,
    type CacheSettings,
} from "./settings";

export type CacheSiteName = "primary" | "dr";

/** One region's placement of the cache. */
export interface CacheSite {
    /** The region's provider. Default: the component's. */
    readonly provider?: pulumi.ProviderResource;
    readonly vpcId: pulumi.Input<string>;
    /** Subnets of the cache's subnet group (the network's database subnets), in at least two zones for Multi-AZ. */
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Security groups admitted on the cache's port, e.g. the monitoring cluster's (an application tier adds its own rule). Default none. */
    readonly clientSecurityGroupIds?: readonly pulumi.Input<string>[];
    /** Networks admitted on the cache's port, e.g. a peered VPC's subnets in another region. Default none. */
    readonly clientCidrBlocks?: readonly string[];
    /** The SNS topics the site's alarms notify, by severity: `critical` pages, `warning` reaches the team. */
    readonly alarmTopicArns: { readonly critical: pulumi.Input<string>; readonly warning: pulumi.Input<string> };
}

export interface ReplicatedCacheArgs extends Partial<CacheSettings> {
    /**
     * The primary region's replication group id (1–40 letters, digits, hyphens; starts with a
     * letter), e.g. `keel-production-cache`. The DR secondary is `<id>-dr`, and the Global
     * Datastore's name ends in it (AWS prefixes five letters).
     */
    readonly replicationGroupId: string;
    readonly primary: CacheSite;
    /** A Global Datastore secondary in another region, read-only until the DR failover promotes it. Default: none. */
    readonly dr?: CacheSite;
    /**
     * The DR failover has promoted the secondary (scripts/dr: the provider cannot fail a Global
     * Datastore over): the DR region's group writes, and the primary region's is the one whose
     * lag is watched. Default false.
     */
    readonly drActive?: boolean;
    readonly tags?: Readonly<Record<string, pulumi.Input<string>>>;
}

/** The settings with the defaults applied. */
function cacheSettings(args: ReplicatedCacheArgs): CacheSettings {
    const pick = <K extends keyof CacheSettings>(key: K): CacheSettings[K] => (args[key] as CacheSettings[K] | undefined) ?? cacheDefaults[key];
    return {
        engine: pick("engine"),
        engineVersion: pick("engineVersion"),
        nodeType: pick("nodeType"),
        nodes: pick("nodes"),
        multiAz: pick("multiAz"),
        snapshotRetentionDays: pick("snapshotRetentionDays"),
        snapshotWindow: pick("snapshotWindow"),
        maintenanceWindow: pick("maintenanceWindow"),
        rpoSeconds: pick("rpoSeconds"),
        alarms: { ...cacheDefaults.alarms, ...args.alarms },
    };
}

function argumentProblems(args: ReplicatedCacheArgs, settings: CacheSettings): Problem[] {
    return [
        ...replicationGroupIdProblems(args.replicationGroupId, ["replicationGroupId"]),
        // The secondary's id adds "-dr".
        ...(args.dr ? replicationGroupIdProblems(`${args.replicationGroupId}-dr`, ["replicationGroupId"]) : []),
        ...cacheSettingsProblems(settings, args.dr !== undefined),
        ...(args.drActive && !args.dr ? [{ path: ["drActive"], message: "needs a DR site to have failed over to" }] : []),
    ];
}

/** What each site builds with. */
interface BuiltSite {
    readonly name: CacheSiteName;
    readonly spec: CacheSite;
    readonly options: pulumi.CustomResourceOptions;
    /** The same plus the component's retainOnDelete (children do not inherit it), for what holds data or keys. */
    readonly stateful: pulumi.CustomResourceOptions;
    readonly key: aws.kms.Key;
    readonly subnetGroup: aws.elasticache.SubnetGroup;
    readonly securityGroup: aws.ec2.SecurityGroup;
}

/**
 * A Valkey or Redis OSS cache: an ElastiCache replication group in the primary region's
 * database subnets — encrypted at rest (a customer-managed key) and in transit (TLS required),
 * AUTH with a generated token, Multi-AZ with automatic failover where asked, daily snapshots —
 * and, with `dr`, a Global Datastore secondary in the DR region. Each region's connection
 * (host, port, token) is a Secrets Manager secret there: applications build REDIS_URL from it.
 * CloudWatch alarms (engine CPU, memory, evictions, replica lag and the secondary's lag behind
 * the primary region) notify the sites' topics.
 *
 * The provider cannot fail a Global Datastore over: the DR failover script does it
 * (FailoverGlobalReplicationGroup), then `drActive` records it. The Global Datastore's primary
 * and the groups' membership are the script's to change, so the stack ignores them.
 */
export class ReplicatedCache extends pulumi.ComponentResource {
    /** Each region's replication group id (CloudWatch's member clusters are `<id>-001`, …). */
    public readonly replicationGroupIds: pulumi.Output<{ primary: string; dr?: string }>;
    /** Each region's primary endpoint: the writer in the primary region; the secondary's, read-only until promoted. */
    public readonly endpoints: pulumi.Output<{ primary: string; dr?: string }>;
    public readonly port: pulumi.Output<number>;
    /** Each region's connection secret (JSON: host, port, authToken), encrypted with the site's key. */
    public readonly secretArns: pulumi.Output<{ primary: string; dr?: string }>;
    /** The customer-managed key of each region (storage, snapshots, the connection secret). */
    public readonly kmsKeyArns: pulumi.Output<{ primary: string; dr?: string }>;
    public readonly securityGroupIds: pulumi.Output<{ primary: string; dr?: string }>;
    /** The Global Datastore's id (AWS-prefixed), with a DR site. */
    public readonly globalDatastoreId: pulumi.Output<string | undefined>;
    /** Where writes go: the primary region, or the DR region once failed over. */
    public readonly writerSite: pulumi.Output<CacheSiteName>;
    /** The AUTH token (a Pulumi secret), for in-cluster clients such as the exporter. */
    public readonly authToken: pulumi.Output<string>;

    constructor(name: string, args: ReplicatedCacheArgs, opts?: pulumi.ComponentResourceOptions) {
        const settings = cacheSettings(args);
        requireNoProblems(`ReplicatedCache ${name}`, argumentProblems(args, settings), { ...args, ...settings });
        super("keel:cache:ReplicatedCache", name, {}, opts);
        const tags = (child: string) => ({ ...args.tags, Name: child });

        const retainOnDelete = opts?.retainOnDelete ?? false;
        const token = new random.RandomPassword(`${name}-auth-token`, { ...authTokenRules }, { parent: this });
        const ids = { primary: args.replicationGroupId, dr: `${args.replicationGroupId}-dr` };
        const primarySite = this.site(name, "primary", ids.primary, args.primary, settings, tags, retainOnDelete);
        const drSite = args.dr && this.site(name, "dr", ids.dr, args.dr, settings, tags, retainOnDelete);
        const primary = this.primaryGroup(name, ids.primary, primarySite, settings, token.result, tags);
        const global = drSite && this.globalDatastore(name, ids.primary, primary, primarySite);
        const secondary = drSite && global && this.secondaryGroup(name, ids.dr, drSite, global, settings, token.result, tags);

        const writer: CacheSiteName = args.drActive ? "dr" : "primary";
        const groups: [BuiltSite, aws.elasticache.ReplicationGroup, string][] = [
            [primarySite, primary, ids.primary],
            ...(drSite && secondary ? [[drSite, secondary, ids.dr] as [BuiltSite, aws.elasticache.ReplicationGroup, string]] : []),
        ];
        const secrets = groups.map(([site, group]) => this.connectionSecret(name, site, group, token.result, tags));
        for (const [site, , id] of groups) {
            const role = drSite === undefined || site.name === writer ? "primary" : "secondary";
            this.alarms(name, site, memberClusterIds(id, settings.nodes), cacheAlarms(settings, role), tags);
        }

        const perSite = <T>(of: (index: number) => pulumi.Input<T>) =>
            pulumi.all([of(0), ...(groups.length > 1 ? [of(1)] : [])]).apply(([p, d]) => ({ primary: p as T, ...(d !== undefined ? { dr: d as T } : {}) }));
        this.replicationGroupIds = perSite((i) => groups[i][1].replicationGroupId);
        this.endpoints = perSite((i) => groups[i][1].primaryEndpointAddress);
        this.port = pulumi.output(cachePort);
        this.secretArns = perSite((i) => secrets[i].arn);
        this.kmsKeyArns = perSite((i) => groups[i][0].key.arn);
        this.securityGroupIds = perSite((i) => groups[i][0].securityGroup.id);
        this.globalDatastoreId = global ? global.globalReplicationGroupId.apply((id): string | undefined => id) : pulumi.output(undefined);
        this.writerSite = pulumi.output(writer);
        this.authToken = pulumi.secret(token.result);
        this.registerOutputs(publicOutputs(this));
    }

    /** One region's key, subnet group and security group (admitting the named clients only). */
    private site(name: string, siteName: CacheSiteName, groupId: string, spec: CacheSite, settings: CacheSettings, tags: (child: string) => Record<string, pulumi.Input<string>>, retainOnDelete: boolean): BuiltSite {
        const options: pulumi.CustomResourceOptions = { parent: this, ...(spec.provider ? { provider: spec.provider } : {}) };
        const stateful = { ...options, retainOnDelete };
        const prefix = `${name}-${siteName}`;
        const key = customerManagedKey(`${prefix}-key`, { description: `Storage, snapshots and connection secret of ${name} (${siteName})`, tags: tags(`${prefix}-key`) }, stateful);
        const subnetGroup = new aws.elasticache.SubnetGroup(prefix, {
            // Named as its group, unique in the account; ElastiCache keeps the names in lower case (the provider lowercases them).
            name: groupId.toLowerCase(),
            description: `Database subnets of ${name} (${siteName})`,
            subnetIds: spec.subnetIds,
            tags: tags(prefix),
        }, options);
        const securityGroup = admittingSecurityGroup(prefix, {
            placement: spec,
            description: `${settings.engine === "valkey" ? "Valkey" : "Redis OSS"} of ${name} (${siteName}): admits the client security groups and networks only`,
            port: cachePort,
            ruleDescriptions: { group: "The cache from a client tier", network: "The cache from a peered network" },
            tags,
        }, options);
        return { name: siteName, spec, options, stateful, key, subnetGroup, securityGroup };
    }

    /** What both regions' groups share: placement, encryption key, AUTH, snapshots and windows. */
    private sharedGroupArgs(site: BuiltSite, settings: CacheSettings, authToken: pulumi.Output<string>) {
        return {
            numCacheClusters: settings.nodes,
            automaticFailoverEnabled: settings.multiAz,
            multiAzEnabled: settings.multiAz,
            subnetGroupName: site.subnetGroup.name,
            securityGroupIds: [site.securityGroup.id],
            kmsKeyId: site.key.arn,
            // AUTH needs in-transit encryption (ElastiCache User Guide, "Authenticating with the AUTH command").
            authToken: pulumi.secret(authToken),
            snapshotRetentionLimit: settings.snapshotRetentionDays,
            snapshotWindow: settings.snapshotWindow,
            maintenanceWindow: settings.maintenanceWindow,
            autoMinorVersionUpgrade: true,
        };
    }

    private primaryGroup(name: string, id: string, site: BuiltSite, settings: CacheSettings, authToken: pulumi.Output<string>, tags: (child: string) => Record<string, pulumi.Input<string>>): aws.elasticache.ReplicationGroup {
        return new aws.elasticache.ReplicationGroup(`${name}-primary`, {
            replicationGroupId: id,
            description: `${name}: the primary region's cache`,
            engine: settings.engine,
            engineVersion: settings.engineVersion,
            nodeType: settings.nodeType,
            port: cachePort,
            atRestEncryptionEnabled: true,
            transitEncryptionEnabled: true,
            // Plain-text connections are refused, not merely offered TLS.
            transitEncryptionMode: "required",
            ...this.sharedGroupArgs(site, settings, authToken),
            finalSnapshotIdentifier: `${id}-final`,
            tags: tags(`${name}-primary`),
        }, {
            ...site.stateful,
            // After a failover (the script's), AWS reports this group as a Global Datastore member; that is no change of ours.
            ignoreChanges: ["globalReplicationGroupId"],
        });
    }

    /** The Global Datastore around the primary group. Its primary moves with a failover the script makes: never a replacement. */
    private globalDatastore(name: string, id: string, primary: aws.elasticache.ReplicationGroup, site: BuiltSite): aws.elasticache.GlobalReplicationGroup {
        return new aws.elasticache.GlobalReplicationGroup(name, {
            globalReplicationGroupIdSuffix: id,
            globalReplicationGroupDescription: `${name}: the primary region's cache and its DR secondary`,
            primaryReplicationGroupId: primary.replicationGroupId,
        }, { ...site.stateful, ignoreChanges: ["primaryReplicationGroupId"] });
    }

    /**
     * The DR secondary: it inherits engine, version, node type and encryption from the primary
     * (the provider refuses them beside `global_replication_group_id`); it takes the same AUTH
     * token and its own region's key, subnets and security group.
     */
    private secondaryGroup(name: string, id: string, site: BuiltSite, global: aws.elasticache.GlobalReplicationGroup, settings: CacheSettings, authToken: pulumi.Output<string>, tags: (child: string) => Record<string, pulumi.Input<string>>): aws.elasticache.ReplicationGroup {
        return new aws.elasticache.ReplicationGroup(`${name}-dr`, {
            replicationGroupId: id,
            description: `${name}: the DR region's Global Datastore secondary`,
            globalReplicationGroupId: global.globalReplicationGroupId,
            ...this.sharedGroupArgs(site, settings, authToken),
            finalSnapshotIdentifier: `${id}-final`,
            tags: tags(`${name}-dr`),
        }, { ...site.stateful, ignoreChanges: ["globalReplicationGroupId"] });
    }

    /** The region's connection for applications: the group's primary endpoint, the port and the token, encrypted with the site's key. */
    private connectionSecret(name: string, site: BuiltSite, group: aws.elasticache.ReplicationGroup, authToken: pulumi.Output<string>, tags: (child: string) => Record<string, pulumi.Input<string>>): aws.secretsmanager.Secret {
        const secretName = `${name}-${site.name}-connection`;
        const secret = new aws.secretsmanager.Secret(secretName, {
            description: `${name} (${site.name}): host, port and AUTH token; applications build REDIS_URL from it`,
            kmsKeyId: site.key.arn,
            tags: tags(secretName),
        }, site.stateful);
        const document = pulumi.jsonStringify({ host: group.primaryEndpointAddress, port: cachePort, authToken });
        new aws.secretsmanager.SecretVersion(secretName, { secretId: secret.id, secretString: pulumi.secret(document) }, site.options);
        return secret;
    }

    /** One alarm per spec over the highest of the group's nodes (ElastiCache reports per node), to the site's topic of its severity. */
    private alarms(name: string, site: BuiltSite, members: readonly string[], specs: readonly AlarmSpec[], tags: (child: string) => Record<string, pulumi.Input<string>>): void {
        for (const spec of specs) {
            const alarmName = `${name}-${site.name}-${spec.key}`;
            const topic = site.spec.alarmTopicArns[spec.severity];
            new aws.cloudwatch.MetricAlarm(alarmName, {
                alarmDescription: `${name} (${site.name}): ${spec.description}`,
                metricQueries: [
                    ...members.map((member, i) => ({
                        id: `node${i + 1}`,
                        returnData: false,
                        metric: { namespace: "AWS/ElastiCache", metricName: spec.metricName, stat: spec.statistic, period: spec.periodSeconds, dimensions: { CacheClusterId: member } },
                    })),
                    { id: "highest", expression: `MAX([${members.map((_, i) => `node${i + 1}`).join(", ")}])`, label: `${spec.metricName} (highest node)`, returnData: true },
                ],
                comparisonOperator: spec.comparisonOperator,
                threshold: spec.threshold,
                evaluationPeriods: spec.evaluationPeriods,
                datapointsToAlarm: spec.datapointsToAlarm,
                treatMissingData: spec.treatMissingData,
                actionsEnabled: true,
                alarmActions: [topic],
                okActions: [topic],
                tags: tags(alarmName),
                // Alarms move between the groups with the DR phases: never protected.
            }, { ...site.options, protect: false });
        }
    }
}
