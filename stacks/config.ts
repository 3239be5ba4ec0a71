import { z } from "zod";
import { validateDatabaseSettings, windowsContaining } from "../components/database/settings";
import { valueAt, type Problem } from "../components/problems";
import { cacheSettingsProblems, type CacheSettings } from "../components/cache/settings";
import { edgeSettingsProblems, type EdgeSettings } from "../components/edge/settings";
import { costAlertsProblems, type CostAlertsSettings } from "../components/cost/settings";
import { eksVersionProblem } from "../components/kubernetes/versions";
import { containerImageProblems } from "../components/container-image";
import { amiIdProblems, environmentProblems } from "../components/traffic/application";
import { failoverSeconds, loadBalancerAliasTtlSeconds } from "../components/traffic/failover";
import { capacityProblems, hostedZoneIdPattern, scalingProblems, type Capacity } from "../components/traffic/settings";
import { cidrContains, cidrsOverlap, maxAvailabilityZones, minAvailabilityZones, networkCidr, overlappingSubnets, planSubnets, vpcPrefixRange, type PlannedSubnet } from "../components/network/subnets";
import { ConfigError, namespaceProblem } from "./config-keys";
import { environmentDefaults, environments, minimumsOf, switchesOf, type Environment } from "./environments";
import { databaseDumpsBucket, dumpTier } from "./presets";

export { ConfigError, configNamespaces } from "./config-keys";

/**
 * The typed configuration of a Keel stack: every `keel:*` key, after the environment's
 * defaults (stacks/environments.ts) have been merged under what `Pulumi.<stack>.yaml` sets.
 * Bad values are refused all at once, before any resource is registered.
 */

/** Config values arrive as strings from `pulumi config set` and `--config`; accept numeric strings. */
const numeric = (schema: z.ZodNumber) =>
    z.preprocess((v) => (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v), schema);
const integer = (min: number, max: number) => {
    const error = `expected an integer from ${min} to ${max}`;
    return numeric(z.int({ error }).min(min, { error }).max(max, { error }));
};
const flag = () => z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean());
/** A string `problem` finds nothing wrong with; what it finds is the refusal. */
const checked = (problem: (value: string) => string | undefined) =>
    z.string().superRefine((value, ctx) => {
        const message = problem(value);
        if (message !== undefined) ctx.addIssue({ code: "custom", message });
    });
/** Where text is meant (a version, a tag), YAML and `--config` read 16 as a number: take it as its text. */
const textual = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (typeof v === "number" ? String(v) : v), schema);

const awsRegion = z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, {
    error: "expected an AWS region code such as us-east-1",
});

const cidrForm = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

/** What is wrong with an IPv4 CIDR: its form, its octets, its prefix (outside `prefixes`: their `error`), or host bits set. */
function cidrProblem(cidr: string, example: string, prefixes: { largest: number; smallest: number; error: string }): string | undefined {
    if (!cidrForm.test(cidr)) return `expected an IPv4 CIDR such as ${example}`;
    const [address, prefix] = cidr.split("/");
    if (address.split(".").some((octet) => Number(octet) > 255)) return "expected octets from 0 to 255";
    if (Number(prefix) < prefixes.largest || Number(prefix) > prefixes.smallest) return prefixes.error;
    const network = networkCidr(cidr);
    // AWS refuses host bits; the block or the one address (/32) may have been meant, so nothing is rounded.
    if (network !== cidr) return `expected the block's network address, ${network} (host bits are set, which AWS refuses)`;
    return undefined;
}

const ipv4Cidr = (example: string, prefixes: Parameters<typeof cidrProblem>[2]) => checked((cidr) => cidrProblem(cidr, example, prefixes));

const vpcCidr = ipv4Cidr("10.0.0.0/16", {
    ...vpcPrefixRange,
    error: `expected a VPC prefix from /${vpcPrefixRange.largest} to /${vpcPrefixRange.smallest} (room for 3 tiers in up to ${maxAvailabilityZones} zones)`,
});

/** CloudWatch Logs accepts only these retention periods (PutRetentionPolicy). */
export const cloudWatchRetentionDays = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
const logRetentionDays = numeric(z.number()).refine(
    (d) => (cloudWatchRetentionDays as readonly number[]).includes(d),
    { error: `expected a CloudWatch Logs retention period (${cloudWatchRetentionDays.join(", ")})` },
);

/** AWS tag values: text, never blank (a blank owner or service tag names nobody). */
const tagValue = textual(z.string().refine((v) => v.trim() !== "", { error: "expected a tag value that is not blank" }));
const tagsSchema = z
    .object({
        service: tagValue,
        owner: tagValue,
    })
    .catchall(tagValue);

const networkSchema = z.strictObject({
    /** CIDR of the VPC in the primary region. */
    primaryCidr: vpcCidr,
    /** CIDR of the VPC in the DR region; must not overlap the primary one (peering, replication). */
    drCidr: vpcCidr,
    /** Availability zones per VPC. */
    availabilityZones: integer(minAvailabilityZones, maxAvailabilityZones),
    /** NAT gateways: one per AZ (AZ-independent egress), a single shared one, or none. */
    natGateways: z.enum(["none", "single", "one-per-az"]),
    /** Retention of the VPC flow log group. */
    flowLogRetentionDays: logRetentionDays,
});

const databaseSchema = z.strictObject({
    engine: z.enum(["postgres", "aurora-postgresql"]),
    engineVersion: textual(z.string().regex(/^\d+(\.\d+)?$/, { error: "expected a PostgreSQL major or major.minor version such as 15" })),
    instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { error: "expected an RDS instance class such as db.m6g.large" }),
    replicaInstanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { error: "expected an RDS instance class such as db.m6g.large" }),
    allocatedStorageGb: integer(20, 65536),
    maxAllocatedStorageGb: integer(20, 65536),
    /** Automated backup retention; RDS allows 0 to 35 days, environments set a minimum. */
    backupRetentionDays: integer(0, 35),
    multiAz: flag(),
    deletionProtection: flag(),
    /** Keep a cross-region read replica in the DR region. */
    replicaInDr: flag(),
    /** Replica lag beyond this raises the replica-lag alarm (ops guides: production RPO 5 min). */
    rpoSeconds: integer(1, 86400),
    /** Daily automated backup window, UTC, before the maintenance window. */
    backupWindow: z.string(),
    /** Weekly maintenance window, UTC (ops guides: Sunday 02:00–04:00). */
    maintenanceWindow: z.string(),
    /** Enhanced monitoring interval in seconds; 0 turns it off. */
    monitoringIntervalSeconds: integer(0, 60),
    performanceInsightsRetentionDays: integer(7, 731),
    /** Statements slower than this are logged (log_min_duration_statement). */
    logMinDurationMs: integer(-1, 3_600_000),
    /** CloudWatch alarm thresholds (ops guides: CPU > 80 %, memory > 85 % used, disk > 90 % used, connections > 80). */
    alarms: z.strictObject({
        cpuPercent: integer(1, 99),
        freeMemoryPercent: integer(1, 99),
        freeStoragePercent: integer(1, 99),
        connections: integer(1, 100000),
    }),
});

const cacheSchema = z.strictObject({
    /** An ElastiCache replication group in the primary region, whose connection the application reads as REDIS_URL. */
    enabled: flag(),
    engine: z.enum(["valkey", "redis"]),
    /** `major.minor`, e.g. 8.0 (Valkey) or 7.1 (Redis OSS). */
    engineVersion: textual(z.string()),
    nodeType: z.string(),
    /** Nodes in each region: one primary and the rest replicas. */
    nodes: integer(1, 6),
    /** Replicas in other zones take over automatically from a failed primary. */
    multiAz: flag(),
    /** A Global Datastore secondary in the DR region, which the DR failover promotes. */
    replicaInDr: flag(),
    snapshotRetentionDays: integer(0, 35),
    /** Daily snapshot window, UTC, outside the maintenance window. */
    snapshotWindow: z.string(),
    /** Weekly maintenance window, UTC. */
    maintenanceWindow: z.string(),
    /** The DR secondary's lag above which the replication-lag alarm pages (ops guides: production RPO 5 min). */
    rpoSeconds: integer(1, 86400),
    /** CloudWatch alarm thresholds (ops guides: CPU > 80 %, memory > 85 %). */
    alarms: z.strictObject({
        engineCpuPercent: integer(1, 99),
        memoryPercent: integer(1, 99),
        evictionsPerMinute: integer(0, 1_000_000),
        replicaLagSeconds: integer(1, 3600),
    }),
});

const backupSchema = z.strictObject({
    enabled: flag(),
    schedule: z.enum(["daily", "weekly"]),
    /** Copy recovery points and replicate backup buckets into the DR region. */
    copyToDr: flag(),
    vaultLock: z.enum(["none", "governance", "compliance"]),
    /** Object Lock (governance) retention on database dump buckets, in days; 0 turns it off. */
    objectLockDays: integer(0, 3650),
    /** Restore the newest recovery point weekly and validate it (AWS Backup restore testing). */
    restoreTesting: flag(),
    /** When the database dump job starts, `hh:mm` UTC: every day (`schedule` daily) or every Sunday. */
    dumpTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: "expected hh:mm in UTC, such as 04:30" }),
});

/**
 * The EC2 instance types Keel runs its application and cluster nodes on: family.size. The
 * families are the general purpose (M, T), compute optimized (C) and memory optimized (R, X,
 * z1d) ones of AWS's "Amazon EC2 instance types" guide ("Instance type naming conventions",
 * "Specifications"): M, C and R from the fifth (Nitro) generation, T2 to T4g, X2 and later.
 * Accelerated, storage optimized, HPC and Mac instances are not for a web tier. Sizes follow
 * the naming conventions; which sizes a family offers is AWS's to refuse.
 */
export const ec2InstanceTypes = {
    families: {
        c: "c5 c5a c5ad c5d c5n c6a c6g c6gd c6gn c6i c6id c6in c7a c7g c7gd c7gn c7i c7i-flex c8a c8g c8gb c8gd c8gn c8i c8i-flex c8ib c8id c8in c8ine c9g c9gd",
        m: "m5 m5a m5ad m5d m5dn m5n m5zn m6a m6g m6gd m6i m6id m6idn m6in m7a m7g m7gd m7i m7i-flex m8a m8azn m8g m8gb m8gd m8gn m8i m8i-flex m8ib m8id m8idb m8idn m8in m8ine m9g m9gd",
        r: "r5 r5a r5ad r5b r5d r5dn r5n r6a r6g r6gd r6i r6id r6idn r6in r7a r7g r7gd r7i r7iz r8a r8g r8gb r8gd r8gn r8i r8i-flex r8ib r8id r8idb r8idn r8in",
        t: "t2 t3 t3a t4g",
        x: "x2gd x2idn x2iedn x2iezn x8aedz x8g x8i",
        z: "z1d",
    },
    sizes: /^(nano|micro|small|medium|large|xlarge|([2-9]|[1-9]\d{1,2})xlarge|metal(-[1-9]\d{0,2}xl)?)$/,
} as const;

const sizeNames = "nano, micro, small, medium, large, xlarge, 2xlarge, 4xlarge … 48xlarge, metal";

/** What is wrong with an EC2 instance type: its form, its family (among its series' families) or its size. */
function instanceTypeProblem(type: string): string | undefined {
    const [family, size, ...more] = type.split(".");
    if (size === undefined || more.length > 0) return "expected an EC2 instance type, family.size, such as c6i.xlarge";
    const series = /^[a-z]+/.exec(family)?.[0] ?? "";
    const families = (ec2InstanceTypes.families as Record<string, string | undefined>)[series]?.split(" ");
    if (families === undefined) return `expected a general purpose (m, t), compute optimized (c) or memory optimized (r, x, z) family before the dot, such as c6i.xlarge`;
    if (!families.includes(family)) return `expected one of the ${series} families (${families.join(", ")}) before the dot`;
    if (!ec2InstanceTypes.sizes.test(size)) return `expected a size after "${family}.": ${sizeNames}`;
    return undefined;
}

const instanceType = checked(instanceTypeProblem);

/** A value for every serving region, or one for all of them: `{"us-east-1": …, "us-west-2": …}`. */
const perRegion = <T extends z.ZodType<string>>(value: T, what: string) =>
    z.union([value, z.record(z.string(), value)], { error: `expected ${what}, or a map of AWS region code to ${what}` });
/** A container image pinned by a version tag or a sha256 digest: every instance (and every rollback) runs the same build. */
const containerImage = checked((image) => containerImageProblems(image)[0]?.message);
const hostedZoneId = z.string().regex(hostedZoneIdPattern, { error: "expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (Z and up to 31 upper-case letters and digits, without /hostedzone/)" });
const amiId = checked((id) => amiIdProblems(id)[0]?.message);

const computeSchema = z.strictObject({
    instanceType,
    minSize: integer(0, 1000),
    maxSize: integer(1, 1000),
    /** Capacity kept in the DR region while it is passive (pilot light). */
    drMinSize: integer(0, 1000),
    drMaxSize: integer(0, 1000),
    cpuTargetPercent: integer(10, 95),
    memoryTargetPercent: integer(10, 95),
    /** Seconds a new instance is excluded from the group's metrics (the guides' 300 s scale-up cooldown). */
    instanceWarmupSeconds: integer(1, 3600),
    /** Seconds of sustained low load before scaling in (the guides' 600 s scale-down cooldown). */
    scaleInCooldownSeconds: integer(0, 3600),
    /**
     * The application, a container image pinned by tag or digest (never `latest`), which Docker
     * runs under systemd on Canonical's Ubuntu; or a map of region to image (an ECR replica per
     * region keeps the DR region independent of the primary's registry). Exactly one of image
     * and amiId in an environment that serves (keel:dns.mode simple or failover).
     */
    image: perRegion(containerImage, "a container image").optional(),
    /** A baked AMI that starts the application itself: AMI ids are regional, so a map of region to AMI id where two regions serve. */
    amiId: perRegion(amiId, "an AMI id").optional(),
    /** Plain environment variables of the application (never credentials: they are written into user data). */
    environment: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
});

const trafficSchema = z.strictObject({
    /** The application's port (guides: APP_PORT=3000). */
    appPort: integer(1, 65535),
    /** The path load balancers and Route53 probe. */
    healthCheckPath: z.string().regex(/^\/[\x21-\x7e]*$/, { error: "expected an absolute URL path such as /health" }),
    /** ALB requests per instance per minute to track; unset: no request-count scaling policy. */
    requestsPerTarget: integer(1, 1_000_000).optional(),
    /** ALB access logs to an SSE-S3 bucket per region. */
    accessLogs: flag(),
    deletionProtection: flag(),
    /** Spot capacity above an on-demand floor (never in production). */
    spot: z.strictObject({ alternativeInstanceTypes: z.array(instanceType).min(1), onDemandBaseCapacity: integer(0, 1000) }).optional(),
    /** SSM parameter holding the AMI id. */
    amiParameter: z.string().regex(/^\/[\w./-]+$/, { error: "expected an SSM parameter name such as /aws/service/..." }),
    rootVolumeGb: integer(8, 16384),
});

/** Any IPv4 CIDR (/0 to /32), e.g. a runner's egress address as 203.0.113.7/32. */
const anyIpv4Cidr = ipv4Cidr("203.0.113.0/24", { largest: 0, smallest: 32, error: "expected a prefix from /0 to /32" });

const kubernetesSchema = z.strictObject({
    /** Run the monitoring stack on an EKS cluster in the primary region (staging, production). */
    enabled: flag(),
    /** EKS Kubernetes version: one in standard support on the day of the plan (components/kubernetes/versions.ts). */
    version: textual(z.string().regex(/^1\.\d{2}$/, { error: 'expected an EKS version such as 1.35 (quoted in YAML, "1.30": unquoted, 1.30 is the number 1.3)' })),
    /**
     * How the deployer (`pulumi up`, previews, drift checks) reaches the Kubernetes API
     * (docs/kubernetes.md): `private` keeps the endpoint inside the VPC and admits
     * `deployerCidrs` on 443 (a self-hosted runner in the VPC; the workflows select it by the
     * labels `self-hosted, keel-<environment>`); `public` also opens a public endpoint, to
     * `deployerCidrs` only (the runners' egress addresses).
     */
    deployerAccess: z.enum(["private", "public"]),
    /** Source CIDRs of the deployer. Private access with none: the primary VPC's CIDR (a runner inside it). Never /0. */
    deployerCidrs: z.array(anyIpv4Cidr),
    nodeInstanceTypes: z.array(instanceType).min(1),
    nodeMinSize: integer(0, 100),
    nodeMaxSize: integer(1, 100),
});

const dnsSchema = z.strictObject({
    mode: z.enum(["none", "simple", "failover"]),
    domain: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, { error: "expected a DNS name such as app.example.com" }),
    /**
     * An existing public hosted zone the internet resolves for the domain (its own zone, or a
     * parent's such as example.com's): records and certificate validation go there.
     */
    zoneId: hostedZoneId.optional(),
    /** Or: Keel creates the domain's zone and delegates it with an NS record in this existing public parent zone. */
    parentZoneId: hostedZoneId.optional(),
    /** Route53 health checks accept 10 (fast) or 30 seconds. */
    healthCheckIntervalSeconds: numeric(z.number()).refine((s) => s === 10 || s === 30, {
        error: "expected 10 or 30 (the intervals Route53 health checks accept)",
    }),
    healthCheckFailureThreshold: integer(1, 10),
    ttlSeconds: integer(0, 86400),
});

const monitoringSchema = z.strictObject({
    /** basic: health checks and Prometheus; standard: + Grafana and Loki; full: + Alertmanager routing and Jaeger. */
    level: z.enum(["basic", "standard", "full"]),
    scrapeIntervalSeconds: integer(1, 300),
    applicationScrapeIntervalSeconds: integer(1, 300),
    retentionDays: integer(1, 3650),
    retentionSizeGb: integer(1, 100000),
    logRetentionDays: integer(1, 3650),
    securityLogRetentionDays: integer(1, 3650),
    debugLogRetentionDays: integer(1, 3650),
    traceSamplingRate: numeric(z.number().min(0).max(1)),
    traceRetentionDays: integer(1, 365),
    /**
     * Alertmanager pings a dead man's switch while the always-firing Watchdog alert arrives; the
     * heartbeat check pages when the pings stop (Alertmanager, Prometheus or the whole primary
     * region gone). Its URL is secret config `alertmanager:heartbeatUrl`. Needs level full.
     */
    heartbeat: flag(),
    /**
     * Team addresses that receive the AWS-side alarms: database alarms and RDS events, failed
     * backup jobs, the DR region's watch (docs/alerting.md). At least one in an AWS environment.
     */
    alarmEmails: z.array(z.email({ error: "expected an email address" })),
    /**
     * Critical AWS-side conditions page through PagerDuty's CloudWatch integration (secret config
     * `alerting:pagerdutyCloudwatchUrl`), and the DR region watches itself (RegionWatch).
     */
    paging: flag(),
});

const percentages = z.array(numeric(z.number({ error: "expected a percentage" }).positive({ error: "expected a percentage above 0" }).max(1000, { error: "expected a percentage of at most 1000" })));

const costSchema = z.strictObject({
    /**
     * The environment's monthly budget in USD, counted over its `environment` cost allocation tag
     * (docs/cost.md). Required in AWS environments; 0 is unset.
     */
    monthlyBudgetUsd: numeric(z.number().min(0, { error: "expected an amount in USD, at least 0" })),
    /** Percentages of the budget that actual spend reaching notifies `keel:monitoring.alarmEmails`. */
    actualAlertPercent: percentages,
    /** Percentages of the budget that the month's forecast reaching notifies them. */
    forecastAlertPercent: percentages,
    /** Cost anomaly detection: a daily email of anomalies whose total impact reaches this many USD; 0 is off. */
    anomalyImpactUsd: numeric(z.number().min(0, { error: "expected an amount in USD, at least 0" })),
});

const edgeSchema = z.strictObject({
    /** CloudFront and WAF in front of the service; the load balancers then admit only the edge. */
    enabled: flag(),
    /** Requests one client IP may make per `rateWindowSeconds` before WAF blocks it (emergency procedures: tighten it). */
    rateLimit: integer(10, 2_000_000_000),
    rateWindowSeconds: z.union([z.literal(60), z.literal(120), z.literal(300), z.literal(600)], { error: "expected 60, 120, 300 or 600" }),
    /** IPv4 networks refused at the edge (emergency procedures: block source IPs). */
    blockedIpv4Cidrs: z.array(z.string()),
    /** Path patterns of static files, cached at the edge and failed over between the regions. */
    staticPaths: z.array(z.string()),
    priceClass: z.enum(["PriceClass_100", "PriceClass_200", "PriceClass_All"]),
});

const drSchema = z.strictObject({
    /** Serve from the DR region: promote its database and give it production capacity. */
    active: flag(),
    /** The primary region's database through a failback (docs/runbooks/database-failover.md). */
    primaryDatabase: z.enum(["original", "rebuilding", "rebuilt"]),
});

export const keelConfigSchema = z.strictObject({
    environment: z.enum(environments),
    regions: z.strictObject({ primary: awsRegion, dr: awsRegion.optional() }),
    tags: tagsSchema,
    /** `protect` and `retainOnDelete` on stateful resources (databases, buckets, keys, vaults). */
    protect: flag(),
    network: networkSchema,
    database: databaseSchema,
    cache: cacheSchema,
    backup: backupSchema,
    compute: computeSchema,
    traffic: trafficSchema,
    kubernetes: kubernetesSchema,
    dns: dnsSchema,
    monitoring: monitoringSchema,
    cost: costSchema,
    edge: edgeSchema,
    dr: drSchema,
});

export type KeelConfig = z.infer<typeof keelConfigSchema>;

/** Where a ReplicatedDatabase argument is set in Keel's configuration: `keel:database.*`, but for these. */
const databaseArgumentKeys: Readonly<Record<string, readonly string[]>> = {
    drActive: ["dr", "active"],
    primaryDatabase: ["dr", "primaryDatabase"],
    alarmThresholds: ["database", "alarms"],
    hasDr: ["database", "replicaInDr"],
};

/** A ReplicatedDatabase problem at the configuration key that sets the argument. */
function databaseProblem({ path: [argument, ...rest], message }: Problem): [(string | number)[], string] {
    const key = String(argument);
    return [[...(databaseArgumentKeys[key] ?? ["database", key]), ...rest], message];
}


/** Where a CostAlerts argument is set in Keel's configuration, longest argument path first. */
const costArgumentKeys: readonly (readonly [readonly string[], readonly string[]])[] = [
    [["thresholds", "actualPercent"], ["cost", "actualAlertPercent"]],
    [["thresholds", "forecastPercent"], ["cost", "forecastAlertPercent"]],
    [["anomalyDetection", "minimumImpactUsd"], ["cost", "anomalyImpactUsd"]],
    [["thresholds"], ["cost", "actualAlertPercent"]],
    [["monthlyLimitUsd"], ["cost", "monthlyBudgetUsd"]],
    [["emails"], ["monitoring", "alarmEmails"]],
    // The cost allocation tag's value is the environment's name.
    [["costAllocationTag"], ["environment"]],
];

/** A CostAlerts problem at the configuration key that sets the argument. */
function costProblem({ path, message }: Problem): Problem {
    const [argument, key] = costArgumentKeys.find(([prefix]) => prefix.every((part, i) => path[i] === part)) ?? [[], ["cost"]];
    return { path: [...key, ...path.slice(argument.length)], message };
}

/** The budget an AWS environment must have, and what CostAlerts would refuse in it, at the keys that set them. */
function costProblems(cost: KeelConfig["cost"], emails: readonly string[], required: boolean, environment: string): Problem[] {
    if (cost.monthlyBudgetUsd === 0) {
        return required ? [{ path: ["cost", "monthlyBudgetUsd"], message: `expected the monthly budget of ${environment} in USD: every AWS environment has budget alerts (docs/cost.md)` }] : [];
    }
    return costAlertsProblems(costAlertsSettings(cost, emails, environment)).map(costProblem);
}

/** CostAlerts' settings from the configuration: the budget over the environment's cost allocation tag. */
export function costAlertsSettings(cost: KeelConfig["cost"], emails: readonly string[], environment: string): CostAlertsSettings {
    return {
        monthlyLimitUsd: cost.monthlyBudgetUsd,
        thresholds: { actualPercent: cost.actualAlertPercent, forecastPercent: cost.forecastAlertPercent },
        emails,
        costAllocationTag: { key: "environment", value: environment },
        ...(cost.anomalyImpactUsd > 0 ? { anomalyDetection: { minimumImpactUsd: cost.anomalyImpactUsd } } : {}),
    };
}

/**
 * Rules that span keys. Each runs when the sections it reads are themselves valid, so one
 * run reports every problem: the per-key ones and these.
 */
function crossKeyProblems(c: Partial<KeelConfig>): Problem[] {
    const problems: Problem[] = [];
    const problem = (path: (string | number)[], message: string) => problems.push({ path, message });
    const { environment, regions, database, cache, compute, traffic, kubernetes, monitoring, network, backup, dns, dr } = c;
    if (environment === undefined) return problems;
    const minimums = minimumsOf(environment);
    if (c.protect === false && minimums.protect) problem(["protect"], `expected true in ${environment}: stateful resources must be protected`);
    if (regions !== undefined) {
        if (regions.dr !== undefined && regions.dr === regions.primary) {
            problem(["regions", "dr"], `expected a region other than the primary region ${regions.primary}`);
        }
        const needsDr: [boolean | undefined, (string | number)[], string][] = [
            [minimums.requiresDrRegion, ["regions", "dr"], `${environment} runs active-passive across two regions`],
            [dr?.active, ["dr", "active"], "DR mode serves from the DR region"],
            [database?.replicaInDr, ["database", "replicaInDr"], "a DR replica lives in the DR region"],
            [cache?.enabled === true && cache.replicaInDr, ["cache", "replicaInDr"], "the cache's Global Datastore secondary lives in the DR region"],
            [backup?.copyToDr, ["backup", "copyToDr"], "backups are copied into the DR region"],
            [dns?.mode === "failover", ["dns", "mode"], "failover records point at the DR region"],
        ];
        for (const [needed, path, why] of needsDr) {
            if (needed === true && regions.dr === undefined) problem(path, `requires keel:regions.dr: ${why}`);
        }
        const overlap = network !== undefined && regions.dr !== undefined ? drCidrProblem(network) : undefined;
        if (overlap !== undefined) problem(["network", "drCidr"], overlap);
    }
    const lockStrength = ["none", "governance", "compliance"];
    if (backup?.enabled && lockStrength.indexOf(backup.vaultLock) < lockStrength.indexOf(minimums.vaultLock)) {
        problem(["backup", "vaultLock"], `expected at least a ${minimums.vaultLock} vault lock in ${environment} (recovery points must not be deletable)`);
    }
    if (backup?.enabled && kubernetes !== undefined && !kubernetes.enabled) {
        problem(["backup", "enabled"], "requires keel:kubernetes.enabled: the database dump job runs on the environment's cluster (docs/backups.md)");
    }
    const dumps = backup?.enabled ? switchesOf({ environment }).backup.buckets.find((bucket) => bucket.name === databaseDumpsBucket) : undefined;
    if (backup !== undefined && dumps !== undefined && !dumps.tiers.some((tier) => tier.prefix === dumpTier(backup.schedule).prefix)) {
        problem(["backup", "schedule"], `expected a schedule whose dumps ${environment}'s ${databaseDumpsBucket} bucket keeps (it has no ${dumpTier(backup.schedule).prefix} tier)`);
    }
    if (backup?.enabled && database !== undefined) {
        const clashes = windowsContaining(backup.dumpTime, backup.schedule === "daily" ? [0, 1, 2, 3, 4, 5, 6] : [0], database.backupWindow, database.maintenanceWindow);
        if (clashes.length > 0) problem(["backup", "dumpTime"], `expected a start outside the database's ${clashes.join(" and ")}: the dump would compete with the snapshot or lose its connection to a maintenance reboot`);
    }
    if (database !== undefined) {
        if (database.backupRetentionDays < minimums.backupRetentionDays) {
            problem(["database", "backupRetentionDays"], `expected at least ${minimums.backupRetentionDays} days in ${environment} (ops guides)`);
        }
        const continuous = backup?.enabled ? switchesOf({ environment }).backup.rules.find((rule) => rule.continuous === true) : undefined;
        if (continuous !== undefined && continuous.deleteAfterDays !== database.backupRetentionDays) {
            // AWS Backup's continuous rule takes over the automated backups and keeps them its own
            // retention; RDS then refuses a different one (terraform-provider-aws #33465).
            problem(["database", "backupRetentionDays"], `expected ${continuous.deleteAfterDays}: AWS Backup's continuous rule "${continuous.name}" manages the automated backups and keeps them ${continuous.deleteAfterDays} days`);
        }
        if (dr !== undefined) {
            // The ReplicatedDatabase component's own checks (engine, classes, windows, DR phases), before anything is registered.
            const settings = { ...database, alarmThresholds: database.alarms, hasDr: database.replicaInDr, drActive: dr.active, primaryDatabase: dr.primaryDatabase };
            for (const found of validateDatabaseSettings(settings)) problem(...databaseProblem(found));
        }
        if (minimums.multiAz && !database.multiAz) problem(["database", "multiAz"], `expected true in ${environment} (ops guides)`);
    }
    if (cache !== undefined) problems.push(...cacheConfigProblems(cache, environment, database?.replicaInDr));
    if (c.edge?.enabled === true) {
        if (switchesOf({ environment }).platform === "docker") problem(["edge", "enabled"], `expected false in ${environment}: CloudFront and WAF run in AWS environments only`);
        else if (dns?.mode === "none") problem(["edge", "enabled"], "requires keel:dns.mode simple or failover: the edge answers the service's name, whose certificate is validated in its zone");
        for (const found of edgeSettingsProblems(edgeSettings(c.edge))) problem(["edge", ...found.path], found.message);
    }
    if (compute !== undefined) {
        // AutoscaledService's own checks, for each region's group (a DR group of no size is none) and the scaling both share.
        for (const found of capacityProblems({ minSize: compute.minSize, maxSize: compute.maxSize })) problem(["compute", ...found.path], found.message);
        if (compute.drMinSize > 0 || compute.drMaxSize > 0) {
            for (const found of capacityProblems({ minSize: compute.drMinSize, maxSize: compute.drMaxSize })) problem(["compute", found.path[0] === "minSize" ? "drMinSize" : "drMaxSize"], found.message);
        }
        for (const found of scalingProblems(compute)) problem(["compute", ...found.path], found.message);
        if (compute.minSize < minimums.computeMinSize) {
            problem(["compute", "minSize"], `expected at least ${minimums.computeMinSize} in ${environment} (ops guides)`);
        }
    }
    if (dns !== undefined && dns.mode !== "none") problems.push(...servingProblems(c, dns));
    if (dns?.mode === "failover" && compute !== undefined && compute.drMaxSize < 1) {
        problem(["compute", "drMaxSize"], "expected at least 1: failover DNS needs a service in the DR region");
    }
    if (dns?.mode === "failover") {
        const seconds = failoverSeconds({ requestIntervalSeconds: dns.healthCheckIntervalSeconds, failureThreshold: dns.healthCheckFailureThreshold });
        if (seconds > minimums.maxFailoverSeconds) {
            problem(["dns", "healthCheckFailureThreshold"], `expected failover within ${minimums.maxFailoverSeconds} s in ${environment}; interval × threshold + ${loadBalancerAliasTtlSeconds} s TTL gives ${seconds} s`);
        }
    }
    if (traffic !== undefined && minimums.hardenedLoadBalancers) {
        if (!traffic.accessLogs) problem(["traffic", "accessLogs"], `expected true in ${environment}`);
        if (!traffic.deletionProtection) problem(["traffic", "deletionProtection"], `expected true in ${environment}`);
        if (traffic.spot !== undefined) problem(["traffic", "spot"], `expected none in ${environment}: production capacity is on-demand`);
    }
    if (kubernetes !== undefined) {
        if (kubernetes.nodeMinSize > kubernetes.nodeMaxSize) problem(["kubernetes", "nodeMinSize"], `expected at most nodeMaxSize (${kubernetes.nodeMaxSize})`);
        problems.push(...deployerProblems(kubernetes));
        // Judged on the day of the plan: a version leaving standard support fails the next plan, not a later upgrade.
        const version = eksVersionProblem(kubernetes.version);
        if (kubernetes.enabled && version !== undefined) problem(["kubernetes", "version"], version);
    }
    if (monitoring !== undefined && minimums.requiresAlarmEmails && monitoring.alarmEmails.length === 0) {
        problem(["monitoring", "alarmEmails"], `expected at least one address in ${environment}: the database and backup alarms would reach nobody (docs/alerting.md)`);
    }
    if (c.cost !== undefined && monitoring !== undefined) problems.push(...costProblems(c.cost, monitoring.alarmEmails, minimums.requiresBudget, environment));
    if (monitoring?.heartbeat === true && monitoring.level !== "full") {
        problem(["monitoring", "heartbeat"], `expected level "full": Alertmanager pings the heartbeat, and level ${monitoring.level} runs none`);
    }
    if (monitoring !== undefined && monitoring.logRetentionDays < minimums.logRetentionDays) {
        problem(["monitoring", "logRetentionDays"], `expected at least ${minimums.logRetentionDays} days in ${environment} (ops guides)`);
    }
    return problems;
}

/** ReplicatedCache's own checks at `keel:cache.*`, and the environment's floors (the database's: snapshots kept as long as its backups, Multi-AZ, a DR copy). */
function cacheConfigProblems(cache: KeelConfig["cache"], environment: Environment, databaseReplicaInDr: boolean | undefined): Problem[] {
    if (!cache.enabled) return [];
    const minimums = minimumsOf(environment);
    const at = (key: string, message: string): Problem => ({ path: ["cache", key], message });
    return [
        ...(switchesOf({ environment }).platform === "docker" ? [at("enabled", `expected false in ${environment}: ElastiCache runs in AWS environments only`)] : []),
        ...cacheSettingsProblems(cacheSettings(cache), cache.replicaInDr).map((found) => ({ path: ["cache", ...found.path], message: found.message })),
        ...(cache.snapshotRetentionDays < Math.min(minimums.backupRetentionDays, 35) ? [at("snapshotRetentionDays", `expected at least ${Math.min(minimums.backupRetentionDays, 35)} days in ${environment} (its backup floor)`)] : []),
        ...(minimums.multiAz && !cache.multiAz ? [at("multiAz", `expected true in ${environment} (ops guides)`)] : []),
        ...(minimums.requiresDrRegion && !cache.replicaInDr ? [at("replicaInDr", `expected true in ${environment}: it runs active-passive across two regions, and its cache with it`)] : []),
        // Unknown (the database section is itself refused): judged once it is valid.
        ...(cache.replicaInDr && databaseReplicaInDr === false ? [at("replicaInDr", "requires keel:database.replicaInDr: the secondary's alarms notify the DR database's topics")] : []),
    ];
}

/** EdgeDistribution's settings from `keel:edge.*`. */
export function edgeSettings(edge: KeelConfig["edge"]): EdgeSettings {
    const { rateLimit, rateWindowSeconds, blockedIpv4Cidrs, staticPaths, priceClass } = edge;
    return { rateLimit, rateWindowSeconds, blockedIpv4Cidrs, staticPaths, priceClass };
}

/** ReplicatedCache's settings from `keel:cache.*`. */
export function cacheSettings(cache: KeelConfig["cache"]): CacheSettings {
    const { engine, engineVersion, nodeType, nodes, multiAz, snapshotRetentionDays, snapshotWindow, maintenanceWindow, rpoSeconds, alarms } = cache;
    return { engine, engineVersion, nodeType, nodes, multiAz, snapshotRetentionDays, snapshotWindow, maintenanceWindow, rpoSeconds, alarms };
}

/**
 * Capacity per region. The DR region runs a pilot light (`drMinSize`–`drMaxSize`); with
 * `keel:dr.active` it takes at least production capacity (`minSize`–`maxSize`).
 */
export function regionCapacity(config: Pick<KeelConfig, "compute" | "dr">): { primary: Capacity; dr: Capacity } {
    const { compute } = config;
    const primary = { minSize: compute.minSize, maxSize: compute.maxSize };
    const pilotLight = { minSize: compute.drMinSize, maxSize: compute.drMaxSize };
    const dr = config.dr.active
        ? { minSize: Math.max(primary.minSize, pilotLight.minSize), maxSize: Math.max(primary.maxSize, pilotLight.maxSize) }
        : pilotLight;
    return { primary, dr };
}

/** The regions an environment serves from: the primary, and the DR region while it has capacity (the pilot light, or DR mode). */
export function servingRegions(c: Pick<KeelConfig, "regions" | "compute" | "dr">): string[] {
    return [c.regions.primary, ...(c.regions.dr !== undefined && regionCapacity(c).dr.maxSize > 0 ? [c.regions.dr] : [])];
}

/**
 * What an environment that serves (an AutoscaledService behind an HTTPS listener) needs: an
 * application to run, and a zone the internet resolves, where ACM can validate the certificate.
 */
function servingProblems(c: Partial<KeelConfig>, dns: KeelConfig["dns"]): Problem[] {
    const problems: Problem[] = [];
    const problem = (path: (string | number)[], message: string) => problems.push({ path, message });
    const serves = `${c.environment} serves the application behind its load balancers (keel:dns.mode ${dns.mode})`;
    if (dns.zoneId === undefined && dns.parentZoneId === undefined) {
        problem(["dns", "zoneId"], `expected the id of an existing public hosted zone for ${dns.domain} (or of its parent domain), or keel:dns.parentZoneId to create the zone and delegate it from its parent: ACM validates the certificate by DNS, and a zone nothing delegates to never answers`);
    }
    if (dns.zoneId !== undefined && dns.parentZoneId !== undefined) {
        problem(["dns", "parentZoneId"], "expected either keel:dns.zoneId (use that zone) or keel:dns.parentZoneId (create the zone and delegate it), not both");
    }
    const { compute, regions, dr } = c;
    if (compute === undefined) return problems;
    if (compute.image === undefined && compute.amiId === undefined) {
        problem(["compute", "image"], `expected the application: a container image pinned by tag or digest (keel:compute.image, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:1.4.2) or a baked AMI (keel:compute.amiId): ${serves}, and instances without it fail the health checks`);
    }
    if (compute.image !== undefined && compute.amiId !== undefined) {
        problem(["compute", "amiId"], "expected either keel:compute.image or keel:compute.amiId, not both");
    }
    // Credential-looking names are left to AutoscaledService, whose refusal does not echo the value.
    for (const p of environmentProblems(compute.environment ?? {}).filter((p) => !p.credential)) problem(["compute", "environment", p.name], p.message);
    // A DR region equal to the primary is reported on its own; per-region values wait for a real one.
    if (regions === undefined || dr === undefined || regions.dr === regions.primary) return problems;
    const serving = servingRegions({ regions, compute, dr });
    for (const key of ["image", "amiId"] as const) {
        const value = compute[key];
        if (value === undefined) continue;
        if (typeof value === "string") {
            if (key === "amiId" && serving.length > 1) {
                problem(["compute", "amiId"], `expected a map of region to AMI id, e.g. {"${serving[0]}": "ami-…", "${serving[1]}": "ami-…"}: AMI ids are regional and ${c.environment} serves from ${serving.join(" and ")}`);
            }
            continue;
        }
        for (const region of serving.filter((r) => value[r] === undefined)) problem(["compute", key], `expected an entry for ${region}, where ${c.environment} serves`);
        for (const region of Object.keys(value).filter((r) => !serving.includes(r))) problem(["compute", key, region], `expected only serving regions (${serving.join(", ")})`);
    }
    return problems;
}

const subnetName = ({ tier, zone, cidr }: PlannedSubnet) => `${tier} subnet ${cidr} (zone ${zone + 1})`;

/**
 * The DR VPC must not share an address with the primary's: AWS refuses to peer overlapping
 * VPCs. The subnets each region's Network would lay out that collide are named, the first pair.
 */
function drCidrProblem(network: KeelConfig["network"]): string | undefined {
    if (!cidrsOverlap(network.drCidr, network.primaryCidr)) return undefined;
    const layout = (cidr: string) => planSubnets(cidr, network.availabilityZones);
    const collisions = overlappingSubnets(layout(network.primaryCidr), layout(network.drCidr));
    const [first] = collisions;
    const subnets = first === undefined
        ? "no subnets collide, but the VPCs do"
        : `the DR ${subnetName(first[1])} shares addresses with the primary's ${subnetName(first[0])}${collisions.length > 1 ? `, and ${collisions.length - 1} more pair${collisions.length > 2 ? "s" : ""}` : ""}`;
    return `expected a CIDR that does not overlap keel:network.primaryCidr ${network.primaryCidr} (the VPCs are peered; AWS refuses overlapping peers): ${subnets}`;
}

/** RFC 1918 ranges: where a runner inside a VPC has its address, and what a public endpoint cannot be opened to. */
const privateRanges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;
const isPrivateCidr = (cidr: string) => privateRanges.some((range) => cidrContains(range, cidr));

/** The deployer's path to the Kubernetes API: explicit, and never open to the world. */
function deployerProblems(kubernetes: KeelConfig["kubernetes"]): Problem[] {
    const problems: Problem[] = [];
    const at = (i: number): (string | number)[] => ["kubernetes", "deployerCidrs", i];
    kubernetes.deployerCidrs.forEach((cidr, i) => {
        if (cidr.endsWith("/0")) problems.push({ path: at(i), message: `expected the deployer's own addresses, got ${cidr} (the Kubernetes API open to every address)` });
        else if (kubernetes.deployerAccess === "public" && isPrivateCidr(cidr)) problems.push({ path: at(i), message: `expected public addresses for a public endpoint, got the private range ${cidr} (EKS refuses it; a runner inside the VPC uses deployerAccess "private")` });
        else if (kubernetes.deployerAccess === "private" && !isPrivateCidr(cidr)) problems.push({ path: at(i), message: `expected private (RFC 1918) addresses of a runner inside the VPC, got ${cidr} (a private endpoint is unreachable from it; use deployerAccess "public")` });
    });
    if (kubernetes.enabled && kubernetes.deployerAccess === "public" && kubernetes.deployerCidrs.length === 0) {
        problems.push({ path: ["kubernetes", "deployerCidrs"], message: "expected the egress CIDRs of the deploy runners: a public endpoint is never opened to 0.0.0.0/0" });
    }
    return problems;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; anything else (arrays included) replaces the default. */
export function deepMerge(base: Json, override: Json): Json {
    if (!isObject(base) || !isObject(override)) return override;
    const merged: Record<string, Json> = { ...base };
    for (const [key, value] of Object.entries(override)) {
        merged[key] = key in base ? deepMerge(base[key], value) : value;
    }
    return merged;
}

/** Config values are strings; objects and arrays are JSON, as Pulumi stores them. */
function parseConfigValue(raw: string): Json {
    try {
        return JSON.parse(raw) as Json;
    } catch {
        return raw;
    }
}

function keyName(path: readonly PropertyKey[]): string {
    return path.length === 0 ? "keel" : `keel:${path.map(String).join(".")}`;
}

function describe(value: unknown): string {
    return value === undefined ? "nothing" : JSON.stringify(value);
}

/**
 * Resolves a stack's configuration: `keel:environment` (or the stack name) picks the
 * environment's defaults, the stack's `keel:*` values merge over them, and the result is
 * validated. `rawConfig` is Pulumi's flat config map (`{"keel:database": "{...}"}`).
 */
export function resolveKeelConfig(rawConfig: Readonly<Record<string, string>>, stackName: string): KeelConfig {
    const given: Record<string, Json> = {};
    // Pulumi hands the program every key of the stack: a misspelt namespace would go unread.
    const namespaces = Object.keys(rawConfig).flatMap((fullKey) => {
        const problem = namespaceProblem(fullKey);
        return problem === undefined ? [] : [`${fullKey}: ${problem}`];
    });
    for (const [fullKey, raw] of Object.entries(rawConfig)) {
        const [namespace, key] = fullKey.split(/:(.*)/s);
        if (namespace === "keel" && key !== undefined) given[key] = parseConfigValue(raw);
    }
    const environment = given.environment ?? stackName;
    if (typeof environment !== "string" || !(environments as readonly string[]).includes(environment)) {
        throw new ConfigError([
            ...namespaces,
            `keel:environment: expected one of ${environments.join(", ")} (or a stack of that name), got ${describe(environment)}`,
        ]);
    }
    const merged = deepMerge(environmentDefaults(environment as Environment) as unknown as Json, { ...given, environment }) as Record<string, Json>;

    const problems = [...namespaces];
    const sections = keelConfigSchema.shape;
    const parsed: Record<string, unknown> = {};
    for (const key of Object.keys(merged)) {
        if (!(key in sections)) problems.push(`${keyName([key])}: unknown key (expected one of: ${Object.keys(sections).join(", ")})`);
    }
    for (const [key, schema] of Object.entries(sections)) {
        const result = (schema as z.ZodType).safeParse(merged[key]);
        if (result.success) {
            parsed[key] = result.data;
            continue;
        }
        // Unknown keys alone do not stop the cross-key rules from judging the known ones.
        const lenient = schema instanceof z.ZodObject ? z.object(schema.shape).safeParse(merged[key]) : undefined;
        if (lenient?.success) parsed[key] = lenient.data;
        for (const issue of result.error.issues) {
            const path = [key, ...issue.path];
            problems.push(
                issue.code === "unrecognized_keys"
                    ? issue.keys.map((k) => `${keyName([...path, k])}: unknown key (expected one of: ${expectedKeys(path).join(", ")})`).join("; ")
                    : `${keyName(path)}: ${issue.message}, got ${describe(valueAt(merged, path))}`,
            );
        }
    }
    for (const { path, message } of crossKeyProblems(parsed as Partial<KeelConfig>)) {
        problems.push(`${keyName(path)}: ${message}, got ${describe(valueAt(merged, path))}`);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return parsed as KeelConfig;
}

function expectedKeys(path: readonly PropertyKey[]): string[] {
    let shape: z.ZodType = keelConfigSchema;
    for (const key of path) {
        const inner: z.ZodType | undefined = shape instanceof z.ZodObject ? (shape.shape as Record<string, z.ZodType>)[String(key)] : undefined;
        if (inner === undefined) return [];
        shape = inner;
    }
    return shape instanceof z.ZodObject ? Object.keys(shape.shape) : [];
}
