import { named } from "./network-graph";
import { resourcePolicy, setting, stackPolicy } from "./policy";
import { arnRegion, list, ofType, regionOf } from "./props";
import { isMasked } from "./kubernetes-manifests";
import { isAwsManagedKey } from "./storage-helpers";

/**
 * ElastiCache rules (AWS Foundational Security Best Practices ElastiCache.1–.7: automatic
 * backups, automatic failover, encryption at rest and in transit, AUTH; and the DR guide's
 * Redis replica in the DR region).
 */

export const cacheGroupType = "aws:elasticache/replicationGroup:ReplicationGroup";
export const globalDatastoreType = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup";
const clusterType = "aws:elasticache/cluster:Cluster";

const given = (value: unknown) => value !== undefined && value !== null && value !== "";
const knownString = (value: unknown): value is string => typeof value === "string" && !isMasked(value);
/** A Global Datastore secondary inherits engine and encryption from its primary (the provider refuses them beside its id). */
const isSecondary = (props: Record<string, unknown>) => given(props.globalReplicationGroupId);

type Props = { readonly props: Record<string, unknown> };
/** Whether a replication group is a secondary of a Global Datastore, which AWS names `<five letters>-<suffix>`. */
export const isSecondaryOf = (group: Props, datastore: Props) =>
    isSecondary(group.props) && given(datastore.props.globalReplicationGroupIdSuffix) && String(group.props.globalReplicationGroupId).endsWith(`-${String(datastore.props.globalReplicationGroupIdSuffix)}`);
/** Whether a CloudWatch `CacheClusterId` is one of a group's nodes: the provider names them `<group>-001`, `<group>-002`, … */
export const isNodeOf = (cacheClusterId: string, replicationGroupId: string) =>
    cacheClusterId.startsWith(replicationGroupId) && /^-\d{3}$/.test(cacheClusterId.slice(replicationGroupId.length));

export const cacheEncryption = resourcePolicy({
    name: "keel-elasticache-encryption",
    description: "Caches encrypt at rest with a customer-managed KMS key of their region, require TLS (transit encryption mode required) and AUTH; no stand-alone cache clusters (Memcached or unencrypted nodes).",
    types: [cacheGroupType, clusterType],
    check: function* (cache) {
        const { props } = cache;
        if (cache.type === clusterType) {
            // A replication group member names its group; anything else is a cluster outside Keel's rules.
            if (!given(props.replicationGroupId)) yield `${named(cache)} is a stand-alone cache cluster: Keel's caches are replication groups (encryption in transit, AUTH, failover)`;
            return;
        }
        const kmsKeyId = props.kmsKeyId;
        if (!isSecondary(props)) {
            if (props.atRestEncryptionEnabled !== true) yield `${named(cache)} does not encrypt at rest (atRestEncryptionEnabled)`;
            if (props.transitEncryptionEnabled !== true) yield `${named(cache)} does not encrypt in transit (transitEncryptionEnabled): the AUTH token and the data would cross the network in plain text`;
            else if (props.transitEncryptionMode === "preferred") yield `${named(cache)} still accepts plain-text connections (transitEncryptionMode preferred, a migration setting): use required`;
        }
        if (!knownString(kmsKeyId) || kmsKeyId === "") yield `${named(cache)} encrypts with the AWS-managed key instead of a customer-managed key (kmsKeyId)`;
        else if (isAwsManagedKey(kmsKeyId)) yield `${named(cache)} encrypts with the AWS-managed key ${kmsKeyId} instead of a customer-managed key`;
        else {
            const keyIn = arnRegion(kmsKeyId, "kms");
            const region = regionOf(cache);
            if (keyIn !== undefined && region !== undefined && keyIn !== region) yield `${named(cache)} in ${region} names a KMS key of ${keyIn}: a cache needs a key of its own region`;
        }
        if (!given(props.authToken) && list(props.userGroupIds).length === 0) yield `${named(cache)} admits clients without AUTH (authToken, or user groups)`;
    },
});

export const cacheResilience = resourcePolicy({
    name: "keel-elasticache-resilience",
    description: "Caches keep daily snapshots at least the environment's minimum and a final snapshot; where required (production) they fail over automatically across zones.",
    types: [cacheGroupType],
    config: { minimumSnapshotDays: setting.integer(1), requireMultiAz: setting.flag(false) },
    check: function* (cache, { minimumSnapshotDays, requireMultiAz }) {
        const { props } = cache;
        const days = typeof props.snapshotRetentionLimit === "number" ? props.snapshotRetentionLimit : 0;
        if (days < minimumSnapshotDays) yield `${named(cache)} keeps snapshots ${days} days; at least ${minimumSnapshotDays} required`;
        if (!given(props.finalSnapshotIdentifier)) yield `${named(cache)} takes no final snapshot (finalSnapshotIdentifier): deleting it would lose its data`;
        if (requireMultiAz) {
            if (props.automaticFailoverEnabled !== true || props.multiAzEnabled !== true) yield `${named(cache)} does not fail over automatically across zones (automaticFailoverEnabled, multiAzEnabled)`;
            if (typeof props.numCacheClusters === "number" && props.numCacheClusters < 2) yield `${named(cache)} has ${props.numCacheClusters} node: a Multi-AZ failover needs a replica`;
        }
    },
});

export const cacheDrCopy = stackPolicy({
    name: "keel-elasticache-dr-copy",
    description: "Where required (production), every cache has a Global Datastore secondary in another region, which the DR failover promotes.",
    config: { required: setting.switch(false) },
    check: function* ({ resources }) {
        const groups = ofType(resources, cacheGroupType);
        const datastores = ofType(resources, globalDatastoreType);
        for (const primary of groups.filter((g) => !isSecondary(g.props))) {
            const datastore = datastores.find((d) => d.props.primaryReplicationGroupId === primary.props.replicationGroupId);
            const secondaries = datastore === undefined ? [] : groups.filter((g) => isSecondaryOf(g, datastore));
            if (datastore === undefined) yield [`${named(primary)} has no Global Datastore: a loss of ${regionOf(primary) ?? "its region"} loses the cache`, primary.urn];
            else if (!secondaries.some((s) => regionOf(s) !== regionOf(primary))) yield [`${named(primary)}'s Global Datastore has no secondary in another region`, primary.urn];
        }
    },
});

export const cachePolicies = [cacheEncryption, cacheResilience, cacheDrCopy];
