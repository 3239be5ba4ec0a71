import type { PolicyResource } from "@pulumi/policy";
import { named } from "./network-graph";
import { resourcePolicy, setting, stackPolicy, type Settings, type Switchable, type Values } from "./policy";
import { arnRegion, isTrue, list, regionOf } from "./props";
import { couldBeNameOf, dayCount, isAwsManagedKey } from "./storage-helpers";
import { whenKnown } from "./preview";

/** RDS and Aurora rules (AWS Foundational Security Best Practices RDS.2–RDS.11, CIS 2.3). */

const instanceType = "aws:rds/instance:Instance";
const clusterType = "aws:rds/cluster:Cluster";
const clusterInstanceType = "aws:rds/clusterInstance:ClusterInstance";
const backupReplicationType = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication";

const given = (value: unknown) => typeof value === "string" && value !== "";
/** An RDS read replica (`replicateSourceDb`) takes its engine, master user and backups from its source. */
const isReplica = (props: Record<string, unknown>) => given(props.replicateSourceDb);
/**
 * A copy of another database: an RDS read replica, or an Aurora secondary (a cluster replicating
 * another one, or a member of a global cluster created without a master user of its own).
 * Copies take no final snapshot and keep no backups of their own; their source does.
 */
export const isDatabaseCopy = (props: Record<string, unknown>) =>
    isReplica(props) || given(props.replicationSourceIdentifier) || (given(props.globalClusterIdentifier) && !given(props.masterUsername) && !given(props.snapshotIdentifier));


/** A policy over the RDS resources of `types`: `check` says why one fails it, or undefined. */
function rdsPolicy<S extends Settings = Switchable>(name: string, description: string, types: readonly string[], check: (props: Record<string, unknown>, config: Values<S>, region: string | undefined) => string | undefined, config?: S) {
    return resourcePolicy<S>({
        name,
        description,
        types,
        config,
        check: function* (database, settings) {
            const problem = check(database.props, settings, regionOf(database));
            if (problem !== undefined) yield `${named(database)} ${problem}`;
        },
    });
}

export const rdsEncryption = rdsPolicy("keel-rds-encryption", "Databases encrypt storage at rest with a customer-managed KMS key, never the AWS-managed alias/aws/rds (a cross-region replica with a key of its own region).", [instanceType, clusterType], (props, _config, region) => {
    if (isReplica(props)) {
        if (typeof props.kmsKeyId !== "string" || props.kmsKeyId === "") return "is a replica without a KMS key of its region (kmsKeyId)";
        if (isAwsManagedKey(props.kmsKeyId)) return `is a replica encrypted with the AWS-managed key ${props.kmsKeyId} instead of a customer-managed key`;
        const keyIn = arnRegion(props.kmsKeyId, "kms");
        return keyIn !== undefined && region !== undefined && keyIn !== region ? `is a replica in ${region} with a KMS key of ${keyIn} (kmsKeyId): it needs a key of its own region` : undefined;
    }
    if (props.storageEncrypted !== true) return "does not encrypt its storage";
    if (isAwsManagedKey(props.kmsKeyId)) return `encrypts with the AWS-managed key ${String(props.kmsKeyId)} instead of a customer-managed key`;
    return typeof props.kmsKeyId === "string" && props.kmsKeyId !== "" ? undefined : "encrypts with the AWS-managed aws/rds key instead of a customer-managed key";
});

export const rdsNotPublic = rdsPolicy("keel-rds-not-public", "Databases are never publicly accessible.", [instanceType, clusterInstanceType], (props) =>
    props.publiclyAccessible === true ? "is publicly accessible" : undefined);

export const rdsBackupRetention = rdsPolicy(
    "keel-rds-backup-retention",
    "Primary databases keep automated backups at least the environment's minimum (production 30 days, staging 7).",
    [instanceType, clusterType],
    (props, { minimumDays }) => {
        if (isReplica(props)) return undefined;
        const days = typeof props.backupRetentionPeriod === "number" ? props.backupRetentionPeriod : 0;
        return days < minimumDays ? `keeps backups ${days} days; at least ${minimumDays} required` : undefined;
    },
    { minimumDays: setting.integer(1) },
);

const whereRequired = { required: setting.switch(false) };

export const rdsDeletionProtection = rdsPolicy("keel-rds-deletion-protection", "Where required (production), databases have deletion protection.", [instanceType, clusterType], (props) =>
    props.deletionProtection !== true ? "has no deletion protection" : undefined,
whereRequired);

export const rdsMultiAz = rdsPolicy("keel-rds-multi-az", "Where required (production), primary database instances are Multi-AZ.", [instanceType], (props) =>
    !isReplica(props) && props.multiAz !== true ? "is not Multi-AZ" : undefined,
whereRequired);

export const rdsIamAuthentication = rdsPolicy("keel-rds-iam-authentication", "Databases accept IAM authentication, so people and services need no long-lived passwords.", [instanceType, clusterType], (props) =>
    isReplica(props) || props.iamDatabaseAuthenticationEnabled === true ? undefined : "does not enable IAM database authentication");

export const rdsPerformanceInsights = rdsPolicy("keel-rds-performance-insights", "Where required, database instances run Performance Insights.", [instanceType, clusterInstanceType], (props) =>
    props.performanceInsightsEnabled !== true ? "does not enable Performance Insights" : undefined,
whereRequired);

/** The non-replica RDS instance of the stack an automated-backups replication copies from, if it can tell. */
function replicatedInstance(replication: PolicyResource, instances: readonly PolicyResource[]): PolicyResource | undefined {
    const declared = replication.propertyDependencies?.sourceDbInstanceArn?.find((r) => r.type === instanceType);
    if (declared) return declared;
    const arn = whenKnown(() => replication.props.sourceDbInstanceArn, undefined);
    const identifier = typeof arn === "string" ? /^arn:[^:]+:rds:[^:]*:[^:]*:db:(.+)$/.exec(arn)?.[1] : undefined;
    if (identifier !== undefined) return instances.find((i) => whenKnown(() => couldBeNameOf(identifier, i, "identifier"), false));
    const depended = replication.dependencies.filter((r) => r.type === instanceType);
    return depended.length === 1 ? depended[0] : undefined;
}

/** Why a replication does not keep a writer's automated backups in another region long enough, or undefined. */
function backupReplicationProblem(replication: PolicyResource, instances: readonly PolicyResource[], minimumDays: number): string | undefined {
    const source = replicatedInstance(replication, instances);
    if (source === undefined) return `"${replication.name}" copies from no database of the stack`;
    if (isReplica(source.props)) return `"${replication.name}" copies from the read replica "${source.name}", which keeps no automated backups`;
    if (regionOf(source) === regionOf(replication)) return `"${replication.name}" copies "${source.name}"'s backups within its own region (${String(regionOf(source))})`;
    // RDS keeps replicated backups 7 days unless told otherwise.
    const days = replication.props.retentionPeriod ?? 7;
    return typeof days === "number" && days < minimumDays ? `"${replication.name}" keeps "${source.name}"'s backups ${dayCount(days)} in ${String(regionOf(replication))}; at least ${minimumDays} required` : undefined;
}

export const rdsCrossRegion = stackPolicy({
    name: "keel-rds-cross-region",
    description: "Where required (production), databases run in two regions: the primary and its DR replica (or, after a failover, the promoted DR database). With `requireBackupReplication`, a primary RDS instance's automated backups are also replicated to another region (point-in-time restore there without the replica) and kept at least `backupReplicationMinimumDays`.",
    config: { required: setting.switch(false), requireBackupReplication: setting.flag(false), backupReplicationMinimumDays: setting.integer(1) },
    check: function* ({ resources }, config) {
        const databases = resources.filter((r) => r.type === instanceType || r.type === clusterType);
        const regions = new Set(databases.map(regionOf).filter((r) => r !== undefined));
        if (databases.length > 0 && regions.size < 2) yield [`every database is in ${[...regions].join(", ") || "one region"}: a DR replica in another region is required`];

        const instances = databases.filter((r) => r.type === instanceType);
        const writers = instances.filter((i) => !whenKnown(() => isReplica(i.props), true));
        if (!config.requireBackupReplication || writers.length === 0) return;
        const problems = resources
            .filter((r) => r.type === backupReplicationType)
            .map((r) => whenKnown(() => backupReplicationProblem(r, instances, config.backupReplicationMinimumDays), undefined));
        if (problems.some((p) => p === undefined)) return;
        const why = problems.length > 0 ? `: ${problems.join("; ")}` : " (aws:rds/instanceAutomatedBackupsReplication)";
        yield [`no automated backups of ${writers.map((w) => `"${w.name}"`).join(", ")} are replicated to another region${why}`];
    },
});

export const rdsFinalSnapshot = rdsPolicy(
    "keel-rds-final-snapshot",
    "Where required (production, staging), deleting a primary database leaves a final snapshot (skipFinalSnapshot not true) and, for an instance, its automated backups (deleteAutomatedBackups false): the last copy survives a deletion. Replicas and Aurora secondaries are copies and take none.",
    [instanceType, clusterType],
    (props) => {
        if (isDatabaseCopy(props)) return undefined;
        if (isTrue(props.skipFinalSnapshot)) return "skips the final snapshot (skipFinalSnapshot true): deleting it would leave no last copy";
        if (isTrue(props.deleteAutomatedBackups)) return "deletes its automated backups with it (deleteAutomatedBackups true)";
        return undefined;
    },
    whereRequired,
);

export const rdsAutoMinorVersionUpgrade = rdsPolicy(
    "keel-rds-auto-minor-version-upgrade",
    "Databases take automatic minor version upgrades in their maintenance window (security fixes; FSBP RDS.13).",
    [instanceType, clusterType, clusterInstanceType],
    (props) => (props.autoMinorVersionUpgrade === false || props.autoMinorVersionUpgrade === "false" ? "turns automatic minor version upgrades off (autoMinorVersionUpgrade false)" : undefined),
);

export const rdsCopyTagsToSnapshot = rdsPolicy(
    "keel-rds-copy-tags-to-snapshot",
    "Databases copy their tags to their snapshots (copyTagsToSnapshot true; FSBP RDS.16, RDS.17), so snapshots carry the owner, environment and backup tags that select, protect and bill them.",
    [instanceType, clusterType],
    (props) => (props.copyTagsToSnapshot === true ? undefined : `does not copy its tags to its snapshots (copyTagsToSnapshot ${String(props.copyTagsToSnapshot ?? "unset")})`),
);

// ---- TLS to the database, in its parameter group ----

const parameterGroupTypes = { instance: "aws:rds/parameterGroup:ParameterGroup", cluster: "aws:rds/clusterParameterGroup:ClusterParameterGroup" } as const;

/** The stack's parameter group a database names (`property`), by its name or dependency; undefined when it names none of them. */
function parameterGroupOf(database: PolicyResource, groups: readonly PolicyResource[], property: string): PolicyResource | undefined {
    const declared = database.propertyDependencies?.[property]?.find((r) => groups.includes(r));
    if (declared) return declared;
    const name = database.props[property];
    if (typeof name === "string") return groups.find((g) => whenKnown(() => couldBeNameOf(name, g, "name"), false));
    const depended = database.dependencies.filter((r) => groups.includes(r));
    return depended.length === 1 ? depended[0] : undefined;
}

/** The parameter that makes an engine refuse connections without TLS, by parameter group family. */
function tlsParameter(family: unknown): string | undefined {
    const name = String(family ?? "");
    if (/^(aurora-)?(mysql|mariadb)/.test(name)) return "require_secure_transport";
    if (/^(aurora-postgresql|postgres|sqlserver)/.test(name)) return "rds.force_ssl";
    return undefined;
}

/** Why a database's parameter group does not refuse plaintext connections, or undefined. */
function forceSslProblem(database: PolicyResource, groups: readonly PolicyResource[]): string | undefined {
    const property = database.type === clusterType ? "dbClusterParameterGroupName" : "parameterGroupName";
    const group = parameterGroupOf(database, groups, property);
    if (group === undefined) {
        const named = database.props[property];
        return typeof named === "string" && named !== ""
            ? `uses the parameter group "${named}", none of the stack's: rds.force_ssl must be set to 1 in a parameter group of the stack`
            : `uses the default parameter group (no ${property}): set rds.force_ssl to 1 in a parameter group of its own`;
    }
    const parameter = tlsParameter(group.props.family) ?? "rds.force_ssl";
    const values = list(group.props.parameters).filter((p) => String(p.name).toLowerCase() === parameter).map((p) => String(p.value).toLowerCase());
    if (values.length === 0) return `accepts connections without TLS: its parameter group "${group.name}" does not set ${parameter}`;
    const off = values.find((v) => !["1", "on", "true"].includes(v));
    return off === undefined ? undefined : `accepts connections without TLS: its parameter group "${group.name}" sets ${parameter} to ${off}`;
}

export const rdsForceSsl = stackPolicy({
    name: "keel-rds-force-ssl",
    description: "Databases refuse connections without TLS: each instance (replicas too) and Aurora cluster uses a parameter group of the stack setting rds.force_ssl (PostgreSQL, SQL Server) or require_secure_transport (MySQL, MariaDB) to 1 (FSBP RDS.33; RDS user guide, \"Using SSL with a PostgreSQL DB instance\").",
    check: function* ({ resources }) {
        const instanceGroups = resources.filter((r) => r.type === parameterGroupTypes.instance);
        const clusterGroups = resources.filter((r) => r.type === parameterGroupTypes.cluster);
        for (const database of resources.filter((r) => r.type === instanceType || r.type === clusterType)) {
            const problem = whenKnown(() => forceSslProblem(database, database.type === clusterType ? clusterGroups : instanceGroups), undefined);
            if (problem !== undefined) yield [`${database.type.split(":").pop()} "${database.name}" ${problem}`, database.urn];
        }
    },
});

export const databasePolicies = [
    rdsEncryption,
    rdsNotPublic,
    rdsBackupRetention,
    rdsDeletionProtection,
    rdsMultiAz,
    rdsIamAuthentication,
    rdsPerformanceInsights,
    rdsCrossRegion,
    rdsFinalSnapshot,
    rdsAutoMinorVersionUpgrade,
    rdsCopyTagsToSnapshot,
    rdsForceSsl,
];
