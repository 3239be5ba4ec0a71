import type { BackupClient } from "@aws-sdk/client-backup";
import { GetMetricStatisticsCommand, type CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CreateInvalidationCommand, type CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { DescribeTargetHealthCommand, type ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { DescribeGlobalReplicationGroupsCommand, DescribeReplicationGroupsCommand, FailoverGlobalReplicationGroupCommand, type ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { DescribeDBInstancesCommand, type RDSClient } from "@aws-sdk/client-rds";
import { defaultVerifyOptions, verifyBackups, type Check } from "../backups/verify";

/**
 * The AWS checks of the DR plan (ops guides: verify readiness, promote, switch, verify):
 * replica lag against the RPO, an endpoint's `/health`, the newest recovery point of the DR
 * vault, and whether a database is an available writer. Clients are injected.
 */

export type { Check };

export interface Clients {
    cloudwatch(region: string): CloudWatchClient;
    rds(region: string): RDSClient;
    backup(region: string): BackupClient;
    elasticache(region: string): ElastiCacheClient;
    elbv2(region: string): ElasticLoadBalancingV2Client;
    /** CloudFront's API (global; its endpoint is in us-east-1). */
    cloudfront(): CloudFrontClient;
    /**
     * HTTPS GET of `https://<host><path>` presenting `serverName` (TLS SNI and `Host`): the
     * load balancer's certificate names the service, not the load balancer. Resolves the status.
     */
    httpsGet(host: string, serverName: string, path: string): Promise<number>;
}

/** `arn:aws:rds:us-west-2:123456789012:db:database-dr-1` → its region and instance identifier. */
export function rdsInstanceOf(arn: string): { region: string; identifier: string } {
    const match = /^arn:aws[\w-]*:rds:([a-z0-9-]+):\d+:db:(.+)$/.exec(arn);
    if (!match) {
        // Aurora exports cluster ARNs (`:cluster:`): its lag metric and promotion differ (docs/runbooks/database-failover.md, "Aurora").
        throw new Error(`not an RDS DB instance ARN: ${arn} (Aurora clusters fail over by the database runbook, not this script)`);
    }
    return { region: match[1], identifier: match[2] };
}

/** How far back the lag is read: the guides' RPO is measured over the last 5 minutes. */
export const lagWindowMinutes = 5;

/**
 * `ReplicaLag` (AWS/RDS, seconds) of a read replica: the maximum of the one-minute maxima
 * over the last five minutes. For PostgreSQL it is `now() - pg_last_xact_replay_timestamp()`;
 * -1 means replication is not active (RDS user guide, "Monitoring read replication").
 */
export async function checkReplicaLag(label: string, replicaArn: string, rpoSeconds: number, clients: Clients, now: Date): Promise<Check> {
    const { region, identifier } = rdsInstanceOf(replicaArn);
    const name = `${label} ${identifier}: ReplicaLag (max over ${lagWindowMinutes} min)`;
    const answer = await clients.cloudwatch(region).send(new GetMetricStatisticsCommand({
        Namespace: "AWS/RDS",
        MetricName: "ReplicaLag",
        Dimensions: [{ Name: "DBInstanceIdentifier", Value: identifier }],
        StartTime: new Date(now.getTime() - lagWindowMinutes * 60_000),
        EndTime: now,
        Period: 60,
        Statistics: ["Maximum"],
    }));
    const maxima = (answer.Datapoints ?? []).flatMap((point) => (point.Maximum === undefined ? [] : [point.Maximum]));
    if (maxima.length === 0) return { name, ok: false, detail: `no data in the last ${lagWindowMinutes} min` };
    if (maxima.some((value) => value < 0)) return { name, ok: false, detail: "-1: replication is not active" };
    const lag = Math.max(...maxima);
    return { name, ok: lag < rpoSeconds, detail: `${lag} s (RPO ${rpoSeconds} s)` };
}

/** `GET /health` on a region's load balancer, expecting 200 (the target group's and Route 53's check). */
export async function checkEndpoint(label: string, loadBalancerDnsName: string, serviceUrl: string, clients: Clients): Promise<Check> {
    const serverName = new URL(serviceUrl).hostname;
    const name = `${label} endpoint https://${loadBalancerDnsName}/health (as ${serverName})`;
    try {
        const status = await clients.httpsGet(loadBalancerDnsName, serverName, "/health");
        return { name, ok: status === 200, detail: `HTTP ${status}` };
    } catch (error) {
        return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
}

/**
 * A region's targets as its load balancer sees them (DescribeTargetHealth, in that region): behind
 * the edge the load balancer admits only CloudFront and Route 53's checkers, so this is how the
 * script judges a region; at least one target healthy.
 */
export async function checkTargets(label: string, targetGroupArn: string, clients: Clients): Promise<Check> {
    const region = /^arn:aws[\w-]*:elasticloadbalancing:([a-z0-9-]+):/.exec(targetGroupArn)?.[1];
    const name = `${label} targets (${targetGroupArn.slice(targetGroupArn.indexOf("targetgroup/"))}): at least one healthy`;
    if (region === undefined) return { name, ok: false, detail: `not a target group ARN: ${targetGroupArn}` };
    try {
        const answer = await clients.elbv2(region).send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
        const states = (answer.TargetHealthDescriptions ?? []).map((d) => d.TargetHealth?.State ?? "unknown");
        const healthy = states.filter((state) => state === "healthy").length;
        return { name, ok: healthy > 0, detail: `${healthy} of ${states.length} healthy` };
    } catch (error) {
        return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
}

/**
 * Clears CloudFront's cache of the whole service ("Clear CDN cache" in the guides' failover
 * checklist): pages cached from the other region are not served again. The caller reference is
 * the run's own, so a retry of the same run is not a second invalidation.
 */
export async function invalidateEdgeCache(distributionId: string, callerReference: string, clients: Clients): Promise<string> {
    const answer = await clients.cloudfront().send(new CreateInvalidationCommand({
        DistributionId: distributionId,
        InvalidationBatch: { CallerReference: callerReference, Paths: { Quantity: 1, Items: ["/*"] } },
    }));
    return `CloudFront invalidation ${answer.Invalidation?.Id ?? "(no id)"} of /* on ${distributionId}`;
}

/** The DR vault's newest completed recovery point is younger than 26 h (the backup verification's rule). */
export async function checkDrRecoveryPoint(drVaultArn: string, clients: Clients, now: Date): Promise<Check> {
    const [vault] = await verifyBackups({ vaultArn: drVaultArn, buckets: {} }, { backup: clients.backup, s3: () => { throw new Error("no bucket is read"); } }, defaultVerifyOptions(now));
    return { ...vault, name: vault.name.replace(/^primary vault/, "DR vault") };
}

/**
 * A database's role as RDS reports it: a writer is `available` and replicates from nothing
 * (promoted); a replica names its source in `ReadReplicaSourceDBInstanceIdentifier`.
 */
export async function checkDatabaseRole(label: string, arn: string, role: "writer" | "replica", clients: Clients): Promise<Check> {
    const { region, identifier } = rdsInstanceOf(arn);
    const name = `${label} ${identifier}: available ${role}`;
    const answer = await clients.rds(region).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
    const instance = answer.DBInstances?.[0];
    if (instance === undefined) return { name, ok: false, detail: "not found" };
    const source = instance.ReadReplicaSourceDBInstanceIdentifier;
    const status = instance.DBInstanceStatus ?? "unknown";
    const detail = `${status}, ${source === undefined ? "no replication source" : `replica of ${source}`}`;
    return { name, ok: status === "available" && (role === "writer") === (source === undefined), detail };
}

/** A cache region's replication group, as the stack exports it (`cache.replicationGroupIds`, `cache.regions`). */
export interface CacheMember {
    readonly region: string;
    readonly replicationGroupId: string;
}

/**
 * The group's role as ElastiCache reports it from `region`: the Global Datastore's PRIMARY or
 * SECONDARY; STANDALONE once detached from it (an available group in no Global Datastore, which
 * takes writes); undefined when there is no such group.
 */
async function cacheRole(globalDatastoreId: string, member: CacheMember, clients: Clients): Promise<{ role?: string; status?: string }> {
    const client = clients.elasticache(member.region);
    const answer = await client.send(new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: globalDatastoreId, ShowMemberInfo: true }));
    const found = answer.GlobalReplicationGroups?.[0]?.Members?.find((m) => m.ReplicationGroupId === member.replicationGroupId);
    if (found !== undefined) return { ...(found.Role !== undefined ? { role: found.Role } : {}), ...(found.Status !== undefined ? { status: found.Status } : {}) };
    const group = (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: member.replicationGroupId }))).ReplicationGroups?.[0];
    if (group === undefined) return {};
    const detached = group.GlobalReplicationGroupInfo?.GlobalReplicationGroupId === undefined;
    return { ...(detached ? { role: "STANDALONE" } : {}), ...(group.Status !== undefined ? { status: group.Status } : {}) };
}

/** The cache's group takes writes: the Global Datastore's primary, or detached from it and available. */
export async function checkCachePrimary(label: string, globalDatastoreId: string, member: CacheMember, clients: Clients): Promise<Check> {
    const name = `${label} ${member.replicationGroupId}: primary of the Global Datastore ${globalDatastoreId}, or detached from it`;
    try {
        const { role, status } = await cacheRole(globalDatastoreId, member, clients);
        const writes = role === "PRIMARY" || (role === "STANDALONE" && status === "available");
        return { name, ok: writes, detail: role === undefined ? "no such replication group" : `${role === "STANDALONE" ? "detached" : role.toLowerCase()}, ${status ?? "status unknown"}` };
    } catch (error) {
        return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
}

/**
 * Makes `to` the Global Datastore's primary (FailoverGlobalReplicationGroup, asked of `to`'s own
 * region), unless it already takes writes — the primary after a re-run, or detached by hand when
 * the failover could not complete (docs/runbooks/dr-failover.md). The provider cannot do this
 * (terraform-provider-aws never calls the API), hence the script. Resolves what was done.
 */
export async function failOverCache(globalDatastoreId: string, to: CacheMember, clients: Clients): Promise<string> {
    const { role } = await cacheRole(globalDatastoreId, to, clients);
    if (role === "PRIMARY") return `${to.replicationGroupId} is already the primary`;
    if (role === "STANDALONE") return `${to.replicationGroupId} is detached from the Global Datastore: a stand-alone writer`;
    await clients.elasticache(to.region).send(new FailoverGlobalReplicationGroupCommand({
        GlobalReplicationGroupId: globalDatastoreId,
        PrimaryRegion: to.region,
        PrimaryReplicationGroupId: to.replicationGroupId,
    }));
    return `FailoverGlobalReplicationGroup: ${to.replicationGroupId} (${to.region}) becomes the primary`;
}
