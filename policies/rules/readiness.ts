import type { PolicyPackConfig, PolicyResource } from "@pulumi/policy";
import type { Bound, Objectives, PlanReadiness, Readiness, StoreReadiness } from "../../offline-plan/record";
import { list, object, ofType, regionOf } from "./props";
import { setting, settingValues, stackPolicy, type Settings, type Values } from "./policy";
import { dependsOn } from "./storage-helpers";
import { cacheGroupType, isNodeOf } from "./cache";

/**
 * Disaster-recovery readiness read from a plan: for the loss of the region the stack serves
 * from, the worst case its settings allow for each data store's recovery point (RPO) and for
 * the traffic path's recovery time (RTO), each figure with its basis (a setting of the plan,
 * or AWS's documented figure, cited). `npm run plan` prints it and writes it in the plan
 * document as `readiness`; `keel-dr-readiness` refuses a change that breaks an objective.
 */

/** AWS's documented figures the computation relies on, each cited. */
export const documentedFigures = {
    /** Amazon S3 User Guide, "Meeting compliance requirements with S3 Replication Time Control". */
    replicationTimeControl: { seconds: 15 * 60, basis: "S3 Replication Time Control replicates 99.99 percent of objects within 15 minutes (S3 User Guide, S3 RTC)" },
    /** Elastic Load Balancing User Guide, "How Elastic Load Balancing works": the load balancer's DNS entry has a 60 s TTL, which alias records take. */
    loadBalancerTtl: { seconds: 60, basis: "resolvers keep the load balancer's alias answer for its 60 s TTL (ELB User Guide; Route 53 alias records use the resource's TTL)" },
} as const;

/** What the plan cannot tell and the team measures in its DR drills (docs/runbooks/database-failover.md). */
export interface DrillFigures {
    /**
     * Seconds from starting the failover to the promoted DR database taking writes (with a cache,
     * after the script has failed its Global Datastore over too). RDS documents
     * no bound ("several minutes or longer, depending on the size of the read replica", RDS User
     * Guide, "Promoting a read replica"), so it is the team's own measurement.
     */
    readonly promotionSeconds: number;
}

const instanceType = "aws:rds/instance:Instance";
const alarmType = "aws:cloudwatch/metricAlarm:MetricAlarm";
const replicationType = "aws:s3/bucketReplicationConfig:BucketReplicationConfig";
const backupPlanType = "aws:backup/plan:Plan";
const healthCheckType = "aws:route53/healthCheck:HealthCheck";
const recordType = "aws:route53/record:Record";
const groupType = "aws:autoscaling/group:Group";
const backupBucketType = "keel:backup:BackupBucket";

const hours = (h: number) => h * 3600;

/**
 * The longest gap between two runs of an AWS Backup cron schedule (`cron(M H DoM Mon DoW Y)`),
 * by its day and hour fields: a weekday list or a day of the month make it weekly or monthly,
 * hour lists and steps make it hourly. Undefined for what it cannot read.
 */
export function scheduleIntervalSeconds(schedule: string): number | undefined {
    const fields = /^cron\(([^)]*)\)$/.exec(schedule.trim())?.[1].split(/\s+/);
    if (fields === undefined || fields.length !== 6) return undefined;
    const [, hour, dayOfMonth, , dayOfWeek] = fields;
    if (dayOfMonth !== "?" && dayOfMonth !== "*") return hours(31 * 24);
    if (dayOfWeek !== "?" && dayOfWeek !== "*") {
        const days = dayOfWeek.split(",").length;
        return days === 1 && !dayOfWeek.includes("-") ? hours(7 * 24) : undefined;
    }
    if (hour === "*") return hours(1);
    const step = /^(?:\*|\d+)\/(\d+)$/.exec(hour);
    if (step) return hours(Number(step[1]));
    const list = hour.split(",").map(Number).sort((a, b) => a - b);
    if (list.some((h) => !Number.isInteger(h))) return undefined;
    return hours(Math.max(...list.map((h, i) => (i + 1 < list.length ? list[i + 1] - h : 24 - h + list[0]))));
}

/** The database's worst-case loss: the DR replica's lag where an alarm pages above it, else the backups copied out of the region. */
function databaseRpo(resources: readonly PolicyResource[], servingRegion: string | undefined, backupCopies: Bound | undefined): Bound {
    const replicas = ofType(resources, instanceType).filter((r) => typeof r.props.replicateSourceDb === "string" && regionOf(r) !== servingRegion);
    const paging = ofType(resources, alarmType).filter((a) =>
        a.props.metricName === "ReplicaLag" && a.props.namespace === "AWS/RDS" && a.props.actionsEnabled !== false && list(a.props.alarmActions).length > 0 &&
        a.props.comparisonOperator === "GreaterThanThreshold" && replicas.some((replica) => dependsOn(a, replica)));
    const thresholds = paging.map((a) => Number(a.props.threshold)).filter(Number.isFinite);
    if (thresholds.length > 0) {
        const seconds = Math.min(...thresholds);
        return { seconds, basis: `the DR replica's lag pages above ${seconds} s (cross-Region replication is asynchronous: what it has not received is lost)` };
    }
    if (replicas.length > 0) return backupCopies ?? { basis: "a DR replica whose lag no alarm bounds, and no backup copied out of the region" };
    return backupCopies ?? { basis: "no replica and no backup outside the serving region" };
}

/**
 * The cache's worst-case loss, as a transactional store: a Global Datastore's lag where an alarm
 * pages above it (AWS documents no bound on the lag, so the alarm is what bounds it), else
 * nothing (snapshots stay in their region). Which member lags swaps with a failover: an alarm on
 * any member's nodes counts.
 */
function cacheRpo(resources: readonly PolicyResource[], servingRegion: string | undefined): StoreReadiness[] {
    const groups = ofType(resources, cacheGroupType);
    if (groups.length === 0) return [];
    const secondaries = groups.filter((g) => typeof g.props.globalReplicationGroupId === "string" && g.props.globalReplicationGroupId !== "");
    const outside = groups.some((g) => regionOf(g) !== servingRegion);
    const memberIds = groups.map((g) => String(g.props.replicationGroupId));
    const paging = ofType(resources, alarmType).filter((a) => a.props.actionsEnabled !== false && list(a.props.alarmActions).length > 0 && a.props.comparisonOperator === "GreaterThanThreshold" &&
        list(a.props.metricQueries).some((q) => object(q.metric).metricName === "GlobalDatastoreReplicationLag" && memberIds.some((id) => isNodeOf(String(object(object(q.metric).dimensions).CacheClusterId ?? ""), id))));
    const thresholds = paging.map((a) => Number(a.props.threshold)).filter(Number.isFinite);
    const rpo: Bound = secondaries.length === 0 || !outside
        ? { basis: "no copy outside the serving region (snapshots stay in their region)" }
        : thresholds.length > 0
            ? { seconds: Math.min(...thresholds), basis: `the Global Datastore's lag pages above ${Math.min(...thresholds)} s (replication across regions is asynchronous; AWS documents no bound on the lag)` }
            : { basis: "a Global Datastore secondary whose lag no alarm bounds" };
    return [{ store: "cache", dataClass: "transactional", rpo }];
}

/** The most frequent AWS Backup copy out of the serving region, by its rule's schedule. */
function backupCopyRpo(resources: readonly PolicyResource[], servingRegion: string | undefined): StoreReadiness[] {
    return ofType(resources, backupPlanType).filter((p) => regionOf(p) === servingRegion).map((plan) => {
        const copying = list(plan.props.rules).filter((rule) => list(rule.copyActions).some((c) => !String(c.destinationVaultArn ?? "").includes(`:${servingRegion}:`)));
        // AWS Backup bounds a backup job by its rule's completion window; AWS documents no bound on the copy that follows it.
        // Unset, AWS Backup's completion window is 7 days (10,080 minutes).
        const bounds = copying.flatMap((rule) => {
            const interval = scheduleIntervalSeconds(String(rule.schedule ?? ""));
            return interval === undefined ? [] : [{ rule: String(rule.ruleName), interval, seconds: interval + Number(rule.completionWindow ?? 10_080) * 60 }];
        }).sort((x, y) => x.seconds - y.seconds);
        const best = bounds[0];
        const rpo: Bound = best !== undefined
            ? { seconds: best.seconds, basis: `rule "${best.rule}" backs up every ${minutes(best.interval)} and copies out of ${String(servingRegion)}, each backup within its completion window (AWS does not bound the copy's own duration)` }
            : { basis: "no rule copies its backups out of the region" };
        return { store: `AWS Backup plan ${plan.name}`, dataClass: "backups" as const, rpo };
    });
}

/** Each backup bucket's worst-case loss: Replication Time Control's 15 minutes, or nothing that bounds it. */
function bucketRpo(resources: readonly PolicyResource[]): StoreReadiness[] {
    return ofType(resources, backupBucketType).map((bucket) => {
        const rules = ofType(resources, replicationType).filter((c) => c.parent?.urn === bucket.urn).flatMap((c) => list(c.props.rules));
        const timed = rules.length > 0 && rules.every((rule) => rule.status === "Enabled" && object(object(rule.destination).replicationTime).status === "Enabled");
        const rpo: Bound = timed
            ? documentedFigures.replicationTimeControl
            : { basis: rules.length > 0 ? "replicated without Replication Time Control (no SLA bounds the delay)" : "not replicated out of the region" };
        return { store: `bucket ${bucket.name}`, dataClass: "files" as const, rpo };
    });
}

/**
 * How long until the DR region serves: Route 53 calling the primary endpoint unhealthy (the
 * checkers' failure threshold × request interval: Route 53 Developer Guide, "How Amazon Route 53
 * determines whether a health check is healthy"), resolvers dropping the old answer, the DR
 * database promoted, and instances already serving there (pilot light: launching one has no
 * documented duration).
 */
function trafficRto(resources: readonly PolicyResource[], servingRegion: string | undefined, drill: DrillFigures): (Bound & { step: string })[] {
    const endpoints = ofType(resources, healthCheckType).filter((c) => ["HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP"].includes(String(c.props.type)));
    const detection = endpoints.map((c) => Number(c.props.requestInterval ?? 30) * Number(c.props.failureThreshold ?? 3)).filter(Number.isFinite);
    if (detection.length === 0) return [{ step: "failover", basis: "no Route 53 health check watches the serving endpoint: nothing moves traffic" }];
    const seconds = Math.max(...detection);
    const standby = ofType(resources, groupType).filter((g) => regionOf(g) !== servingRegion);
    const serving = standby.reduce((sum, g) => sum + Number(g.props.minSize ?? 0), 0);
    const hasReplica = ofType(resources, instanceType).some((r) => typeof r.props.replicateSourceDb === "string" && regionOf(r) !== servingRegion);
    return [
        { step: "detection", seconds, basis: `Route 53 calls the endpoint unhealthy after failureThreshold × requestInterval = ${seconds} s` },
        { step: "DNS", ...documentedFigures.loadBalancerTtl },
        ...(hasReplica ? [{
            step: "promotion",
            seconds: drill.promotionSeconds,
            basis: ofType(resources, "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup").length > 0
                ? "the failover script's Global Datastore failover and the DR database's promotion as the last drill measured them (AWS documents no bound on either)"
                : "the DR database's promotion as the last drill measured it (RDS documents no bound)",
        }] : []),
        serving > 0
            ? { step: "capacity", seconds: 0, basis: `${serving} instance(s) already serve in the DR region (pilot light)` }
            : { step: "capacity", basis: "no instance runs in the DR region: launching one has no documented duration" },
    ];
}

const regionIn = (host: string, service: "rds" | "elb") => new RegExp(`\\.([a-z]{2}(?:-[a-z]+)+-\\d)\\.${service}\\.amazonaws\\.com\\.?$`).exec(host)?.[1];

/**
 * The region the stack's database serves from: the region of the RDS endpoint its writer's
 * DNS name points at (Keel's `writer.<zone>`), else its one writer's.
 */
function servingRegionOf(resources: readonly PolicyResource[]): string | undefined {
    const writers = ofType(resources, instanceType).filter((r) => typeof r.props.replicateSourceDb !== "string");
    const writerRegions = new Set(writers.map(regionOf));
    // A reader name points at the replica's region: only a region with a writer serves writes.
    const pointed = ofType(resources, recordType).flatMap((r) => list(r.props.records).map((v) => regionIn(String(v), "rds"))).filter((r) => r !== undefined && writerRegions.has(r));
    if (pointed.length > 0) return pointed[0];
    return writers.length === 1 ? regionOf(writers[0]) : undefined;
}

/** The region of the load balancer the failover PRIMARY record aliases. */
function primaryRegionOf(resources: readonly PolicyResource[]): string | undefined {
    const primary = ofType(resources, recordType).find((r) => list(r.props.failoverRoutingPolicies).some((p) => p.type === "PRIMARY"));
    return primary && list(primary.props.aliases).map((a) => regionIn(String(a.name ?? ""), "elb")).find((r) => r !== undefined);
}

export function readinessOf(resources: readonly PolicyResource[], drill: DrillFigures): Readiness {
    const servingRegion = servingRegionOf(resources);
    const primaryRegion = primaryRegionOf(resources);
    const backups = backupCopyRpo(resources, servingRegion);
    const copies = backups.map((b) => b.rpo).filter((b) => b.seconds !== undefined).sort((a, b) => Number(a.seconds) - Number(b.seconds))[0];
    const hasDatabase = ofType(resources, instanceType).length > 0;
    const stores: StoreReadiness[] = [
        ...(hasDatabase ? [{ store: "database", dataClass: "transactional" as const, rpo: databaseRpo(resources, servingRegion, copies) }] : []),
        ...cacheRpo(resources, servingRegion),
        ...bucketRpo(resources),
        ...backups,
    ];
    const rtoParts = trafficRto(resources, servingRegion, drill);
    const rto: Bound = rtoParts.every((p) => p.seconds !== undefined)
        ? { seconds: rtoParts.reduce((sum, p) => sum + Number(p.seconds), 0), basis: rtoParts.map((p) => p.step).join(" + ") }
        : { basis: rtoParts.find((p) => p.seconds === undefined)?.basis ?? "" };
    return { ...(servingRegion !== undefined ? { servingRegion } : {}), ...(primaryRegion !== undefined ? { primaryRegion } : {}), stores, rto, rtoParts };
}

/** `5 min`, `90 s`, or `unbounded`. */
export function minutes(seconds: number | undefined): string {
    if (seconds === undefined) return "unbounded";
    const round = (n: number) => String(Math.round(n * 10) / 10);
    return seconds < 120 ? `${seconds} s` : seconds < 7200 ? `${round(seconds / 60)} min` : `${round(seconds / 3600)} h`;
}

/** Where the readiness breaks the objectives: one sentence per store or path. */
export function objectiveProblems(readiness: Readiness, objectives: Objectives): string[] {
    const stores = readiness.stores.flatMap((store) => {
        const limit = objectives.rpoMinutes[store.dataClass];
        return limit === undefined || (store.rpo.seconds !== undefined && store.rpo.seconds <= limit * 60)
            ? []
            : [`${store.store}: worst-case RPO ${minutes(store.rpo.seconds)} breaks the ${limit} min objective for ${store.dataClass} (${store.rpo.basis})`];
    });
    const rto = readiness.rto.seconds !== undefined && readiness.rto.seconds <= objectives.rtoMinutes * 60
        ? []
        : [`traffic: worst-case RTO ${minutes(readiness.rto.seconds)} breaks the ${objectives.rtoMinutes} min objective (${readiness.rto.basis})`];
    return [...stores, ...rto];
}

/** True while the database serves from another region than the failover PRIMARY's: the stack is recovering, not ready. */
export const failedOver = (readiness: Readiness) =>
    readiness.servingRegion !== undefined && readiness.primaryRegion !== undefined && readiness.servingRegion !== readiness.primaryRegion;

const readinessSettings = {
    required: setting.switch(false),
    rtoMinutes: setting.number(15),
    transactionalRpoMinutes: setting.number(5),
    filesRpoMinutes: setting.number(240),
    /** Unset: AWS Backup's copies are reported, not judged (the database's own RPO counts them). */
    backupsRpoMinutes: setting.optional<number>({ type: "number" }),
    promotionMinutes: setting.number(10),
} satisfies Settings;

/** The readiness of a plan judged by the settings of keel-dr-readiness (its defaults where the pack config is silent). */
function judged(resources: readonly PolicyResource[], config: Values<typeof readinessSettings>): PlanReadiness {
    const readiness = readinessOf(resources, { promotionSeconds: config.promotionMinutes * 60 });
    const objectives: Objectives = {
        rtoMinutes: config.rtoMinutes,
        rpoMinutes: {
            transactional: config.transactionalRpoMinutes,
            files: config.filesRpoMinutes,
            ...(config.backupsRpoMinutes !== undefined ? { backups: config.backupsRpoMinutes } : {}),
        },
    };
    const recovering = failedOver(readiness);
    return { ...readiness, objectives, failedOver: recovering, problems: recovering ? [] : objectiveProblems(readiness, objectives) };
}

export const drReadiness = stackPolicy({
    name: "keel-dr-readiness",
    description: "Where required, the plan's settings meet the environment's recovery objectives for the loss of its serving region: each data store's worst-case RPO (replica-lag alarm, replication time control, backup copies) and the traffic path's RTO (health checks, DNS TTL, the drilled promotion time, standby capacity), computed from the plan. A stack that has failed over is recovering: it is not judged until it serves from its primary region again.",
    config: readinessSettings,
    check: function* ({ resources }, config) {
        for (const problem of judged(resources, config).problems) yield [problem];
    },
});

/**
 * The readiness the plan prints and writes, for an environment whose pack config names
 * keel-dr-readiness (production, staging): judged by those settings whether or not required.
 */
export function planReadiness(resources: readonly PolicyResource[], packConfig: PolicyPackConfig): PlanReadiness | undefined {
    const given = packConfig[drReadiness.name];
    if (given === undefined) return undefined;
    return judged(resources, settingValues(readinessSettings, typeof given === "string" ? {} : (given as Record<string, unknown>)));
}
