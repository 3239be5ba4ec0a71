import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { InstanceType } from "@pulumi/aws/types/enums/ec2";
import { loadStackConfig } from "../offline-plan/stack-config";
import { object as asObject, projectRoot } from "../tests/plans";
import { ConfigError, configNamespaces, deepMerge, ec2InstanceTypes, keelConfigSchema, resolveKeelConfig, servingRegions } from "./config";
import { environmentDefaults, environments, minimumsOf } from "./environments";

/** Pulumi's flat config map from structured values, as the CLI hands it to a program. */
function raw(values: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [`keel:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
}

/** The `keel:*` values of `Pulumi.<stack>.yaml` (the application and the zone every serving stack names), if the stack exists. */
function stackValues(stack: string): Record<string, unknown> {
    if (!existsSync(join(projectRoot, `Pulumi.${stack}.yaml`))) return {};
    const { config } = loadStackConfig(projectRoot, stack);
    return Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith("keel:")).map(([k, v]) => [k.slice("keel:".length), JSON.parse(v) as unknown]));
}

/** `values` over the stack file's, as `pulumi config set` changes a stack. */
function onStack(values: Record<string, unknown>, stack: string): Record<string, string> {
    return raw(deepMerge(stackValues(stack) as never, values as never) as Record<string, unknown>);
}

const keyOf = (problem: string) => /^(\S+?):\s/.exec(problem)?.[1];

/** The stack file without its application (`keel:compute`) and zone (`keel:dns`), `values` instead. */
function withoutApplicationAndZone(values: Record<string, unknown>, stack: string): Record<string, string> {
    const rest = Object.fromEntries(Object.entries(stackValues(stack)).filter(([key]) => key !== "compute" && key !== "dns"));
    return raw({ ...rest, ...values });
}

function problemsOf(values: Record<string, unknown>, stack = "production", base: "stack file" | "no application or zone" = "stack file"): string[] {
    try {
        resolveKeelConfig(base === "stack file" ? onStack(values, stack) : withoutApplicationAndZone(values, stack), stack);
    } catch (error) {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
        return [...error.problems];
    }
    assert.fail("expected the configuration to be refused");
}

describe("environment defaults", () => {
    for (const environment of environments) {
        test(`${environment}: the defaults with its stack file are valid`, () => {
            const config = resolveKeelConfig(onStack({}, environment), environment);
            assert.equal(config.environment, environment);
            assert.ok(config.database.backupRetentionDays >= minimumsOf(environment).backupRetentionDays);
        });
    }

    test("the defaults name no application and no zone: a serving environment needs both from its stack", () => {
        for (const environment of ["dev", "staging", "production"] as const) {
            const problems = problemsOf({}, environment, "no application or zone");
            assert.deepEqual(problems.map(keyOf), ["keel:dns.zoneId", "keel:compute.image"], `${environment}:\n${problems.join("\n")}`);
        }
        assert.doesNotThrow(() => resolveKeelConfig(onStack({}, "local"), "local"), "local serves nothing (keel:dns.mode none)");
    });

    test("the stack files name a pinned example image and a placeholder zone", () => {
        assert.equal(asObject(stackValues("production").dns, "dns").parentZoneId, "Z0123456789ABCDEFGHIJ");
        for (const stack of ["dev", "staging", "production"]) {
            assert.equal(asObject(stackValues(stack).compute, "compute").image, "123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:1.4.2");
        }
        for (const stack of ["dev", "staging"]) assert.match(String(asObject(stackValues(stack).dns, "dns").zoneId), /^Z0[0-9A-Z]{19}$/);
    });

    test("production follows the ops guides", () => {
        const config = resolveKeelConfig(onStack({}, "production"), "production");
        assert.deepEqual(config.regions, { primary: "us-east-1", dr: "us-west-2" });
        assert.equal(config.protect, true);
        assert.equal(config.database.backupRetentionDays, 35);
        assert.equal(config.database.multiAz, true);
        assert.equal(config.database.engineVersion, "15");
        assert.deepEqual([config.compute.minSize, config.compute.maxSize, config.compute.cpuTargetPercent, config.compute.memoryTargetPercent], [2, 10, 70, 80]);
        assert.deepEqual([config.compute.instanceWarmupSeconds, config.compute.scaleInCooldownSeconds], [300, 600]);
        assert.equal(config.network.natGateways, "one-per-az");
        assert.equal(config.dns.mode, "failover");
        assert.equal(config.monitoring.logRetentionDays, 90);
        assert.equal(config.monitoring.traceSamplingRate, 0.001);
        assert.equal(config.dr.active, false);
    });

    test("staging keeps 7 days of backups, weekly, single region", () => {
        const config = resolveKeelConfig(onStack({}, "staging"), "staging");
        assert.equal(config.database.backupRetentionDays, 7);
        assert.equal(config.backup.schedule, "weekly");
        assert.equal(config.regions.dr, undefined);
    });

    test("dev and local have no backups", () => {
        assert.equal(resolveKeelConfig(onStack({}, "dev"), "dev").backup.enabled, false);
        assert.equal(resolveKeelConfig({}, "local").backup.enabled, false);
    });

    test("environment defaults are independent copies", () => {
        const first = environmentDefaults("dev");
        first.network.availabilityZones = 2;
        assert.equal(environmentDefaults("dev").network.availabilityZones, 3);
    });
});

describe("stack values merge over the defaults", () => {
    test("a nested key changes only itself", () => {
        const config = resolveKeelConfig(onStack({ database: { rpoSeconds: 120 } }, "production"), "production");
        assert.equal(config.database.rpoSeconds, 120);
        assert.equal(config.database.instanceClass, "db.m6g.2xlarge");
    });

    test("keel:environment picks the defaults for a differently named stack", () => {
        const config = resolveKeelConfig(onStack({ environment: "staging" }, "staging"), "acme-staging");
        assert.equal(config.environment, "staging");
        assert.equal(config.database.backupRetentionDays, 7);
    });

    test("numbers and booleans given as strings (pulumi config set) are accepted", () => {
        const config = resolveKeelConfig(onStack({ dr: { active: "true" }, database: { rpoSeconds: "240" } }, "production"), "production");
        assert.equal(config.dr.active, true);
        assert.equal(config.database.rpoSeconds, 240);
    });

    test("extra tags are kept", () => {
        const config = resolveKeelConfig(onStack({ tags: { "cost-center": "cc-42" } }, "dev"), "dev");
        assert.deepEqual(config.tags, { service: "keel-app", owner: "platform-team", "cost-center": "cc-42" });
    });

    test("deepMerge merges objects and replaces everything else", () => {
        assert.deepEqual(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 }), { a: { b: 1, c: [3] }, d: 1, e: 2 });
    });
});

describe("a serving environment names its application and a zone it can validate in", () => {
    const ecr = (region: string, tag = "1.4.2") => `123456789012.dkr.ecr.${region}.amazonaws.com/keel-app:${tag}`;
    const only = (values: Record<string, unknown>, stack = "production") => problemsOf(values, stack, "no application or zone");
    const accepted = (values: Record<string, unknown>, stack = "production") => resolveKeelConfig(withoutApplicationAndZone(values, stack), stack);
    const zone = { parentZoneId: "Z0123456789ABCDEFGHIJ" };

    test("no application: keel:compute.image is named, with keel:compute.amiId as the alternative", () => {
        for (const stack of ["production", "staging", "dev"]) {
            assert.deepEqual(only({ dns: zone }, stack), [
                `keel:compute.image: expected the application: a container image pinned by tag or digest (keel:compute.image, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:1.4.2) or a baked AMI (keel:compute.amiId): ${stack} serves the application behind its load balancers (keel:dns.mode ${stack === "production" ? "failover" : "simple"}), and instances without it fail the health checks, got nothing`,
            ]);
        }
    });

    test("both an image and an AMI", () => {
        assert.deepEqual(only({ dns: zone, compute: { image: ecr("us-east-1"), amiId: "ami-0123456789abcdef0" } }, "staging"), [
            'keel:compute.amiId: expected either keel:compute.image or keel:compute.amiId, not both, got "ami-0123456789abcdef0"',
        ]);
    });

    test("images that are not pinned, in a single value or a region's entry", () => {
        assert.deepEqual(only({ dns: zone, compute: { image: ecr("us-east-1", "latest") } }, "staging"), [
            `keel:compute.image: expected an image pinned by a version tag or a sha256 digest, not the moving tag latest, got "${ecr("us-east-1", "latest")}"`,
        ]);
        assert.deepEqual(only({ dns: zone, compute: { image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app" } }, "dev"), [
            'keel:compute.image: expected an image pinned by a version tag or a sha256 digest (untagged means whatever latest is each time one starts), got "123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app"',
        ]);
        assert.deepEqual(only({ dns: zone, compute: { image: { "us-east-1": ecr("us-east-1"), "us-west-2": ecr("us-west-2", "latest") } } }), [
            `keel:compute.image.us-west-2: expected an image pinned by a version tag or a sha256 digest, not the moving tag latest, got "${ecr("us-west-2", "latest")}"`,
        ]);
        assert.match(only({ dns: zone, compute: { image: "Keel App" } }, "dev")[0], /^keel:compute\.image: expected a container image reference such as /);
    });

    test("one image serves every region; a region map needs exactly the serving regions", () => {
        assert.deepEqual(servingRegions(resolveKeelConfig(onStack({}, "production"), "production")), ["us-east-1", "us-west-2"]);
        assert.deepEqual(servingRegions(resolveKeelConfig(onStack({}, "staging"), "staging")), ["us-east-1"]);
        assert.doesNotThrow(() => accepted({ dns: zone, compute: { image: ecr("us-east-1") } }));
        assert.deepEqual(only({ dns: zone, compute: { image: { "us-east-1": ecr("us-east-1"), "eu-west-1": ecr("eu-west-1") } } }), [
            `keel:compute.image: expected an entry for us-west-2, where production serves, got {"us-east-1":"${ecr("us-east-1")}","eu-west-1":"${ecr("eu-west-1")}"}`,
            `keel:compute.image.eu-west-1: expected only serving regions (us-east-1, us-west-2), got "${ecr("eu-west-1")}"`,
        ]);
    });

    test("AMI ids are regional: one id where two regions serve is refused", () => {
        assert.doesNotThrow(() => accepted({ dns: { zoneId: "Z0223456789ABCDEFGHIJ" }, compute: { amiId: "ami-0123456789abcdef0" } }, "staging"));
        assert.deepEqual(only({ dns: zone, compute: { amiId: "ami-0123456789abcdef0" } }), [
            'keel:compute.amiId: expected a map of region to AMI id, e.g. {"us-east-1": "ami-…", "us-west-2": "ami-…"}: AMI ids are regional and production serves from us-east-1 and us-west-2, got "ami-0123456789abcdef0"',
        ]);
        assert.deepEqual(only({ dns: zone, compute: { amiId: { "us-east-1": "ami-0123456789abcdef0" } } }), [
            'keel:compute.amiId: expected an entry for us-west-2, where production serves, got {"us-east-1":"ami-0123456789abcdef0"}',
        ]);
        assert.doesNotThrow(() => accepted({ dns: zone, compute: { amiId: { "us-east-1": "ami-0123456789abcdef0", "us-west-2": "ami-0fedcba9876543210" } } }));
        assert.deepEqual(only({ dns: zone, compute: { amiId: { "us-east-1": "ami-123" } } }, "staging")[0], 'keel:compute.amiId.us-east-1: expected an AMI id such as ami-0123456789abcdef0, got "ami-123"');
    });

    test("environment variables Keel sets itself, or that cannot be written, are refused", () => {
        assert.deepEqual(only({ dns: zone, compute: { image: ecr("us-east-1"), environment: { NODE_ENV: "production", WORKERS: 4, DATABASE_URL: "postgres://x", "BAD-NAME": "x" } } }, "staging"), [
            'keel:compute.environment.DATABASE_URL: expected a variable Keel does not set itself (APP_PORT, PORT, DATABASE_URL, DATABASE_READER_URL, PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, REDIS_URL), got "postgres://x"',
            'keel:compute.environment.BAD-NAME: expected a variable name of letters, digits and underscores, not starting with a digit, got "x"',
        ]);
        assert.deepEqual(accepted({ dns: zone, compute: { image: ecr("us-east-1"), environment: { WORKERS: 4, DEBUG: false } } }, "staging").compute.environment, { WORKERS: "4", DEBUG: "false" });
    });

    test("no zone to validate the certificate in: keel:dns.zoneId is named, with keel:dns.parentZoneId as the alternative", () => {
        for (const stack of ["production", "staging", "dev"]) {
            assert.deepEqual(only({ compute: { image: ecr("us-east-1") } }, stack), [
                `keel:dns.zoneId: expected the id of an existing public hosted zone for app.example.com (or of its parent domain), or keel:dns.parentZoneId to create the zone and delegate it from its parent: ACM validates the certificate by DNS, and a zone nothing delegates to never answers, got nothing`,
            ]);
        }
        assert.deepEqual(only({ compute: { image: ecr("us-east-1") }, dns: { zoneId: "Z0223456789ABCDEFGHIJ", parentZoneId: "Z0123456789ABCDEFGHIJ" } }, "staging"), [
            'keel:dns.parentZoneId: expected either keel:dns.zoneId (use that zone) or keel:dns.parentZoneId (create the zone and delegate it), not both, got "Z0123456789ABCDEFGHIJ"',
        ]);
    });

    test("hosted zone ids are Route 53's", () => {
        for (const id of ["/hostedzone/Z0123456789ABC", "z0123456789abc", `Z${"1".repeat(32)}`]) {
            assert.deepEqual(only({ compute: { image: ecr("us-east-1") }, dns: { zoneId: id } }, "staging"), [
                `keel:dns.zoneId: expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (Z and up to 31 upper-case letters and digits, without /hostedzone/), got ${JSON.stringify(id)}`,
            ]);
        }
        assert.match(only({ compute: { image: ecr("us-east-1") }, dns: { parentZoneId: "example.com" } }, "staging")[0], /^keel:dns\.parentZoneId: expected a Route 53 hosted zone id/);
    });

    test("an environment that serves nothing needs neither", () => {
        assert.doesNotThrow(() => resolveKeelConfig({}, "local"));
        assert.doesNotThrow(() => accepted({ dns: { mode: "none" } }, "dev"));
    });
});

describe("refusals name the key, what is expected and what was given", () => {
    const cases: { name: string; values: Record<string, unknown>; stack?: string; expected: RegExp }[] = [
        { name: "negative retention", values: { database: { backupRetentionDays: -3 } }, expected: /^keel:database\.backupRetentionDays: expected an integer from 0 to 35, got -3$/ },
        { name: "retention of the wrong type", values: { database: { backupRetentionDays: "thirty" } }, expected: /^keel:database\.backupRetentionDays: .*got "thirty"$/ },
        { name: "fractional retention", values: { database: { backupRetentionDays: 7.5 } }, expected: /^keel:database\.backupRetentionDays: expected an integer from 0 to 35, got 7\.5$/ },
        { name: "retention below production's minimum", values: { database: { backupRetentionDays: 14 } }, expected: /^keel:database\.backupRetentionDays: expected at least 30 days in production \(ops guides\), got 14$/ },
        { name: "retention below staging's minimum", stack: "staging", values: { database: { backupRetentionDays: 3 } }, expected: /^keel:database\.backupRetentionDays: expected at least 7 days in staging/ },
        { name: "DR region equal to primary", values: { regions: { dr: "us-east-1" } }, expected: /^keel:regions\.dr: expected a region other than the primary region us-east-1, got "us-east-1"$/ },
        { name: "malformed region", values: { regions: { primary: "virginia" } }, expected: /^keel:regions\.primary: expected an AWS region code such as us-east-1, got "virginia"$/ },
        { name: "unknown top-level key", values: { databse: { multiAz: true } }, expected: /^keel:databse: unknown key \(expected one of: environment, regions, .*database/ },
        { name: "unknown nested key", values: { database: { multiAZ: true } }, expected: /^keel:database\.multiAZ: unknown key \(expected one of: engine, engineVersion, /s },
        { name: "enum out of set", values: { network: { natGateways: "two" } }, expected: /^keel:network\.natGateways: .*"one-per-az".*got "two"$/ },
        { name: "CIDR too small for the layout", values: { network: { primaryCidr: "10.0.0.0/24" } }, expected: /^keel:network\.primaryCidr: expected a VPC prefix from \/16 to \/20/ },
        { name: "CIDR with a bad octet", values: { network: { primaryCidr: "10.0.300.0/16" } }, expected: /^keel:network\.primaryCidr: expected octets from 0 to 255/ },
        { name: "flow log retention CloudWatch refuses", values: { network: { flowLogRetentionDays: 10 } }, expected: /^keel:network\.flowLogRetentionDays: expected a CloudWatch Logs retention period .*got 10$/ },
        { name: "min above max", values: { compute: { minSize: 5, maxSize: 3 } }, expected: /^keel:compute\.minSize: expected at most the maximum size \(3\), got 5$/ },
        { name: "DR min above DR max (AutoscaledService's own check)", values: { compute: { drMinSize: 3, drMaxSize: 2 } }, expected: /^keel:compute\.drMinSize: expected at most the maximum size \(2\), got 3$/ },
        { name: "a scale-in cooldown of no whole alarm periods (AutoscaledService's own check)", values: { compute: { scaleInCooldownSeconds: 90 } }, expected: /^keel:compute\.scaleInCooldownSeconds: expected a multiple of 60 from 60 to 86400 \(whole CloudWatch alarm periods\), got 90$/ },
        { name: "production below two instances", values: { compute: { minSize: 1 } }, expected: /^keel:compute\.minSize: expected at least 2 in production/ },
        { name: "health check interval Route53 refuses", values: { dns: { healthCheckIntervalSeconds: 15 } }, expected: /^keel:dns\.healthCheckIntervalSeconds: expected 10 or 30/ },
        { name: "sampling rate above 1", values: { monitoring: { traceSamplingRate: 2 } }, expected: /^keel:monitoring\.traceSamplingRate: .*got 2$/ },
        { name: "production unprotected", values: { protect: false }, expected: /^keel:protect: expected true in production/ },
        { name: "production single-AZ database", values: { database: { multiAz: false } }, expected: /^keel:database\.multiAz: expected true in production/ },
        { name: "production without a DR region", values: { regions: { primary: "us-east-1", dr: null } }, expected: /^keel:regions\.dr: / },
        { name: "DR mode without a DR region", stack: "staging", values: { dr: { active: true } }, expected: /^keel:dr\.active: requires keel:regions\.dr: DR mode serves from the DR region, got true$/ },
        { name: "replica without backups on the source", stack: "dev", values: { regions: { dr: "us-west-2" }, database: { replicaInDr: true, backupRetentionDays: 0 } }, expected: /^keel:database\.backupRetentionDays: / },
        { name: "same CIDR in both regions", values: { network: { drCidr: "10.0.0.0/16" } }, expected: /^keel:network\.drCidr: expected a CIDR that does not overlap keel:network\.primaryCidr 10\.0\.0\.0\/16/ },
        { name: "overlapping CIDRs in the two regions", values: { network: { drCidr: "10.0.16.0/20" } }, expected: /^keel:network\.drCidr: expected a CIDR that does not overlap .*AWS refuses overlapping peers.*got "10\.0\.16\.0\/20"$/ },
        { name: "a heartbeat without Alertmanager", stack: "staging", values: { monitoring: { heartbeat: true } }, expected: /^keel:monitoring\.heartbeat: expected level "full": Alertmanager pings the heartbeat, and level standard runs none, got true$/ },
        { name: "a cache version with a patch number (ReplicatedCache's own check)", values: { cache: { engineVersion: "8.0.1" } }, expected: /^keel:cache\.engineVersion: expected a Valkey major\.minor version such as 8\.0, got "8\.0\.1"$/ },
        { name: "a cache node type Global Datastore refuses", values: { cache: { nodeType: "cache.t4g.small" } }, expected: /^keel:cache\.nodeType: expected a node type Global Datastore supports .*got "cache\.t4g\.small"$/ },
        { name: "a production cache without failover", values: { cache: { multiAz: false } }, expected: /^keel:cache\.multiAz: expected true in production \(ops guides\), got false$/ },
        { name: "a production cache without its DR copy", values: { cache: { replicaInDr: false } }, expected: /^keel:cache\.replicaInDr: expected true in production: it runs active-passive across two regions, and its cache with it, got false$/ },
        { name: "cache snapshots kept less than staging's backups", stack: "staging", values: { cache: { snapshotRetentionDays: 3 } }, expected: /^keel:cache\.snapshotRetentionDays: expected at least 7 days in staging \(its backup floor\), got 3$/ },
        { name: "Multi-AZ with one cache node", stack: "staging", values: { cache: { nodes: 1 } }, expected: /^keel:cache\.multiAz: needs at least 2 nodes: a replica in another zone to fail over to, got true$/ },
        { name: "a cache DR copy without a DR region", stack: "staging", values: { cache: { replicaInDr: true } }, expected: /^keel:cache\.replicaInDr: requires keel:regions\.dr: the cache's Global Datastore secondary lives in the DR region, got true$/ },
        { name: "a cache on a laptop", stack: "local", values: { cache: { enabled: true } }, expected: /^keel:cache\.enabled: expected false in local: ElastiCache runs in AWS environments only, got true$/ },
        { name: "cache snapshots during maintenance", stack: "dev", values: { cache: { snapshotWindow: "02:00-03:00" } }, expected: /^keel:cache\.snapshotWindow: overlaps maintenanceWindow "sun:02:00-sun:04:00": a snapshot would run during maintenance, when a node may restart, got "02:00-03:00"$/ },
        { name: "a WAF rate limit below WAF's minimum", values: { edge: { rateLimit: 5 } }, expected: /^keel:edge\.rateLimit: expected an integer from 10 to 2000000000, got 5$/ },
        { name: "a blocked address by a host, not its network", values: { edge: { blockedIpv4Cidrs: ["203.0.113.7/24"] } }, expected: /^keel:edge\.blockedIpv4Cidrs\.0: expected an IPv4 CIDR block by its network address, such as 10\.1\.0\.0\/16, got "203\.0\.113\.7\/24"$/ },
        { name: "every path cached at the edge", values: { edge: { staticPaths: ["/*"] } }, expected: /^keel:edge\.staticPaths\.0: expected a CloudFront path pattern under \/ such as \/static\/\* .*got "\/\*"$/ },
        { name: "an edge without a public name", stack: "dev", values: { edge: { enabled: true }, dns: { mode: "none" } }, expected: /^keel:edge\.enabled: requires keel:dns\.mode simple or failover/ },
        { name: "an edge on a laptop", stack: "local", values: { edge: { enabled: true } }, expected: /^keel:edge\.enabled: expected false in local: CloudFront and WAF run in AWS environments only, got true$/ },
        { name: "an alarm email that is not one", values: { monitoring: { alarmEmails: ["oncall"] } }, expected: /^keel:monitoring\.alarmEmails\.0: expected an email address/ },
        { name: "an AWS environment whose alarms reach nobody", stack: "dev", values: { monitoring: { alarmEmails: [] } }, expected: /^keel:monitoring\.alarmEmails: expected at least one address in dev: the database and backup alarms would reach nobody \(docs\/alerting\.md\), got \[\]$/ },
        { name: "an AWS environment without a budget", stack: "dev", values: { cost: { monthlyBudgetUsd: 0 } }, expected: /^keel:cost\.monthlyBudgetUsd: expected the monthly budget of dev in USD: every AWS environment has budget alerts \(docs\/cost\.md\), got 0$/ },
        { name: "more budget thresholds than AWS Budgets' five notifications (CostAlerts' own check)", stack: "staging", values: { cost: { actualAlertPercent: [50, 70, 80, 90, 100] } }, expected: /^keel:cost\.actualAlertPercent: expected 1 to 5 thresholds in all \(AWS Budgets' notifications per budget\), got \[50,70,80,90,100\]$/ },
        { name: "a budget threshold of 0 %", stack: "staging", values: { cost: { forecastAlertPercent: [0] } }, expected: /^keel:cost\.forecastAlertPercent\.0: expected a percentage above 0, got 0$/ },
        { name: "more budget subscribers than AWS Budgets takes (CostAlerts' own check)", stack: "dev", values: { monitoring: { alarmEmails: Array.from({ length: 11 }, (_, i) => `team${i}@example.com`) } }, expected: /^keel:monitoring\.alarmEmails: expected 1 to 10 addresses \(AWS Budgets' email subscribers per notification\), got \[/ },
        { name: "unknown environment", stack: "qa", values: {}, expected: /^keel:environment: expected one of local, dev, staging, production .*got "qa"$/ },
        { name: "production backups without a compliance vault lock", values: { backup: { vaultLock: "governance" } }, expected: /^keel:backup\.vaultLock: expected at least a compliance vault lock in production .*got "governance"$/ },
        { name: "staging backups without a vault lock", stack: "staging", values: { backup: { vaultLock: "none" } }, expected: /^keel:backup\.vaultLock: expected at least a governance vault lock in staging/ },
        { name: "copying backups without a DR region", stack: "staging", values: { backup: { copyToDr: true } }, expected: /^keel:backup\.copyToDr: requires keel:regions\.dr: backups are copied into the DR region, got true$/ },
        { name: "backups without the cluster their dump job runs on", stack: "dev", values: { backup: { enabled: true } }, expected: /^keel:backup\.enabled: requires keel:kubernetes\.enabled: the database dump job runs on the environment's cluster \(docs\/backups\.md\), got true$/ },
        { name: "dumps starting in the maintenance window", values: { backup: { dumpTime: "02:30" } }, expected: /^keel:backup\.dumpTime: expected a start outside the database's maintenanceWindow "sun:02:00-sun:04:00": the dump would compete with the snapshot or lose its connection to a maintenance reboot, got "02:30"$/ },
        { name: "weekly dumps starting in the daily backup window", stack: "staging", values: { backup: { dumpTime: "00:15" } }, expected: /^keel:backup\.dumpTime: expected a start outside the database's backupWindow "00:00-01:00"/ },
        { name: "daily dumps where the dumps bucket keeps weekly ones only", stack: "staging", values: { backup: { schedule: "daily" } }, expected: /^keel:backup\.schedule: expected a schedule whose dumps staging's database-dumps bucket keeps \(it has no daily\/ tier\), got "daily"$/ },
        { name: "a dump time that is no time", values: { backup: { dumpTime: "4.30" } }, expected: /^keel:backup\.dumpTime: expected hh:mm in UTC, such as 04:30, got "4\.30"$/ },
        { name: "negative Object Lock days", values: { backup: { objectLockDays: -1 } }, expected: /^keel:backup\.objectLockDays: expected an integer from 0 to 3650, got -1$/ },
        { name: "an EKS version out of standard support", values: { kubernetes: { version: "1.33" } }, expected: /^keel:kubernetes\.version: EKS version 1\.33 left standard support on 2026-07-29 .*got "1\.33"$/ },
        { name: "a public Kubernetes endpoint without the deployer's CIDRs", values: { kubernetes: { deployerAccess: "public" } }, expected: /^keel:kubernetes\.deployerCidrs: expected the egress CIDRs of the deploy runners: a public endpoint is never opened to 0\.0\.0\.0\/0, got \[\]$/ },
        { name: "the Kubernetes API open to the world", values: { kubernetes: { deployerAccess: "public", deployerCidrs: ["0.0.0.0/0"] } }, expected: /^keel:kubernetes\.deployerCidrs\.0: expected the deployer's own addresses, got 0\.0\.0\.0\/0 .*got "0\.0\.0\.0\/0"$/ },
        { name: "a public endpoint opened to a private range", values: { kubernetes: { deployerAccess: "public", deployerCidrs: ["10.8.0.0/16"] } }, expected: /^keel:kubernetes\.deployerCidrs\.0: expected public addresses for a public endpoint, got the private range 10\.8\.0\.0\/16/ },
        { name: "a private endpoint for a runner outside the VPC", values: { kubernetes: { deployerCidrs: ["203.0.113.7/32"] } }, expected: /^keel:kubernetes\.deployerCidrs\.0: expected private \(RFC 1918\) addresses of a runner inside the VPC, got 203\.0\.113\.7\/32/ },
        { name: "a deployer CIDR with a bad prefix", values: { kubernetes: { deployerCidrs: ["10.0.0.0/33"] } }, expected: /^keel:kubernetes\.deployerCidrs\.0: expected a prefix from \/0 to \/32, got "10\.0\.0\.0\/33"$/ },
    ];
    for (const { name, values, stack, expected } of cases) {
        test(name, () => {
            const problems = problemsOf(values, stack);
            assert.ok(problems.some((p) => expected.test(p)), `no problem matched ${expected}:\n${problems.join("\n")}`);
        });
    }

    test("every problem is reported in one run", () => {
        const problems = problemsOf({
            database: { backupRetentionDays: 14, foo: 1 },
            regions: { dr: "us-east-1" },
            network: { natGateways: "two" },
            compute: { minSize: 5, maxSize: 3 },
            bogus: true,
        });
        assert.equal(problems.length, 7, problems.join("\n"));
        for (const key of ["keel:bogus", "keel:database.foo", "keel:database.backupRetentionDays", "keel:regions.dr", "keel:network.natGateways", "keel:compute.minSize"]) {
            assert.ok(problems.some((p) => p.startsWith(`${key}:`)), `${key} not reported:\n${problems.join("\n")}`);
        }
    });

    test("the database component's own checks are reported at the keys that set its arguments, with what was given", () => {
        const problems = problemsOf({ database: { maintenanceWindow: "sun:02:00-sun:02:10", instanceClass: "db.z9.huge" }, dr: { primaryDatabase: "rebuilding" } });
        assert.deepEqual(problems.filter((p) => /maintenanceWindow|instanceClass|primaryDatabase/.test(p)).sort(), [
            'keel:database.instanceClass: expected an RDS instance class whose memory is known (db.t3/db.t4g, db.m*, db.r*, db.x2g), got "db.z9.huge"',
            'keel:database.maintenanceWindow: RDS needs at least 30 minutes, got "sun:02:00-sun:02:10"',
            'keel:dr.primaryDatabase: the primary region\'s database replicates from the DR writer, which needs drActive, got "rebuilding"',
        ]);
    });

    test("the error message lists every problem", () => {
        assert.throws(() => resolveKeelConfig(onStack({ database: { backupRetentionDays: -3 }, compute: { maxSize: 0 } }, "production"), "production"), (error: Error) => {
            assert.match(error.message, /^invalid Keel configuration \(2 problems\):/);
            assert.match(error.message, /keel:database\.backupRetentionDays/);
            assert.match(error.message, /keel:compute\.maxSize/);
            return true;
        });
    });

});

describe("configuration holes closed (#16)", () => {
    const namespaces = Object.keys(configNamespaces).join(", ");

    test("keys under a namespace Keel does not read are refused, as `pulumi up` hands them over; the namespaces it reads are not", () => {
        assert.doesNotThrow(() => resolveKeelConfig({ ...onStack({}, "dev"), "aws:region": "us-east-1", "alertmanager:smtpPassword": "x", "alerting:pagerdutyCloudwatchUrl": "x" }, "dev"));
        assert.throws(() => resolveKeelConfig({ ...onStack({}, "dev"), "kee:compute": '{"minSize":3}', other: "x" }, "dev"), (error: ConfigError) => {
            assert.deepEqual(error.problems, [
                `kee:compute: expected a namespace Keel reads (${namespaces}), got "kee"`,
                "other: expected namespace:key, such as keel:other, got no namespace",
            ]);
            return true;
        });
    });

    test("every namespace the program reads and the docs set is on the list", () => {
        const read = readdirSync(join(projectRoot, "stacks")).filter((f) => f.endsWith(".ts")).flatMap((f) =>
            [...readFileSync(join(projectRoot, "stacks", f), "utf8").matchAll(/new pulumi\.Config\("([^"]+)"\)/g)].map((m) => m[1]));
        const docs = ["README.md", ...readdirSync(join(projectRoot, "docs"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".md")).map((f) => join("docs", f))];
        const documented = docs.flatMap((f) => [...readFileSync(join(projectRoot, f), "utf8").matchAll(/pulumi config set (?:--\w+ )*'?([\w-]+):/g)].map((m) => m[1]));
        assert.deepEqual([...new Set(read)].sort(), ["alerting", "alertmanager", "kubernetes"]);
        for (const namespace of [...read, ...documented]) assert.ok(namespace in configNamespaces, `${namespace} is read or documented but not on the list`);
    });

    test("numbers where a version is meant: --config keel:database.engineVersion=16 and YAML's unquoted versions", () => {
        const fromFlag = resolveKeelConfig(loadStackConfig(projectRoot, "production", ["keel:database.engineVersion=16"]).config, "production");
        assert.equal(fromFlag.database.engineVersion, "16");
        const fromYaml = resolveKeelConfig(onStack({ database: { engineVersion: 15.4 }, kubernetes: { version: 1.35 } }, "production"), "production");
        assert.deepEqual([fromYaml.database.engineVersion, fromYaml.kubernetes.version], ["15.4", "1.35"]);
        assert.deepEqual(problemsOf({ kubernetes: { version: 1.3 } }), [
            'keel:kubernetes.version: expected an EKS version such as 1.35 (quoted in YAML, "1.30": unquoted, 1.30 is the number 1.3), got 1.3',
        ]);
        assert.deepEqual(resolveKeelConfig(onStack({ tags: { "cost-center": 4200 } }, "dev"), "dev").tags["cost-center"], "4200");
    });

    test("a CIDR with host bits set is refused with the network address it should be", () => {
        assert.deepEqual(problemsOf({ network: { primaryCidr: "10.0.0.1/16" } }), [
            'keel:network.primaryCidr: expected the block\'s network address, 10.0.0.0/16 (host bits are set, which AWS refuses), got "10.0.0.1/16"',
        ]);
        assert.deepEqual(problemsOf({ network: { drCidr: "10.1.16.0/16" } }), [
            'keel:network.drCidr: expected the block\'s network address, 10.1.0.0/16 (host bits are set, which AWS refuses), got "10.1.16.0/16"',
        ]);
        assert.deepEqual(problemsOf({ kubernetes: { deployerCidrs: ["10.8.1.2/16"] } }), [
            'keel:kubernetes.deployerCidrs.0: expected the block\'s network address, 10.8.0.0/16 (host bits are set, which AWS refuses), got "10.8.1.2/16"',
        ]);
        assert.doesNotThrow(() => resolveKeelConfig(onStack({ kubernetes: { deployerCidrs: ["10.8.1.2/32"] } }, "production"), "production"));
    });

    test("a DR VPC overlapping the primary is refused, naming the subnets that would collide", () => {
        const refused = 'keel:network.drCidr: expected a CIDR that does not overlap keel:network.primaryCidr 10.0.0.0/16 (the VPCs are peered; AWS refuses overlapping peers)';
        assert.deepEqual(problemsOf({ network: { drCidr: "10.0.32.0/20" } }), [
            `${refused}: the DR private subnet 10.0.32.0/23 (zone 1) shares addresses with the primary's private subnet 10.0.32.0/19 (zone 2), and 8 more pairs, got "10.0.32.0/20"`,
        ]);
        // 10.0.96.0/20 lies in the primary's unused fourth eighth: no subnet collides, yet peering refuses the VPCs.
        assert.deepEqual(problemsOf({ network: { drCidr: "10.0.96.0/20" } }), [`${refused}: no subnets collide, but the VPCs do, got "10.0.96.0/20"`]);
        assert.doesNotThrow(() => resolveKeelConfig(onStack({ network: { drCidr: "10.2.0.0/20" } }, "production"), "production"));
    });

    test("blank tag values are refused, any tag", () => {
        assert.deepEqual(problemsOf({ tags: { service: "", owner: " ", "cost-center": "\t" } }, "dev"), [
            'keel:tags.service: expected a tag value that is not blank, got ""',
            'keel:tags.owner: expected a tag value that is not blank, got " "',
            'keel:tags.cost-center: expected a tag value that is not blank, got "\\t"',
        ]);
    });

    describe("EC2 instance types: a documented family and a size", () => {
        const schema = keelConfigSchema.shape.compute.shape.instanceType;
        const families = Object.values(ec2InstanceTypes.families).flatMap((list) => list.split(" "));
        const realTypes = Object.values(InstanceType) as string[];

        test("misspelt types are refused, saying which part is wrong and what is valid", () => {
            assert.deepEqual(problemsOf({ compute: { instanceType: "t3.hugee" }, kubernetes: { nodeInstanceTypes: ["m5.large2"] }, traffic: { spot: { alternativeInstanceTypes: ["t3x.small", "g5.xlarge", "c6ixlarge"] } } }, "dev"), [
                'keel:compute.instanceType: expected a size after "t3.": nano, micro, small, medium, large, xlarge, 2xlarge, 4xlarge … 48xlarge, metal, got "t3.hugee"',
                'keel:traffic.spot.alternativeInstanceTypes.0: expected one of the t families (t2, t3, t3a, t4g) before the dot, got "t3x.small"',
                'keel:traffic.spot.alternativeInstanceTypes.1: expected a general purpose (m, t), compute optimized (c) or memory optimized (r, x, z) family before the dot, such as c6i.xlarge, got "g5.xlarge"',
                'keel:traffic.spot.alternativeInstanceTypes.2: expected an EC2 instance type, family.size, such as c6i.xlarge, got "c6ixlarge"',
                'keel:kubernetes.nodeInstanceTypes.0: expected a size after "m5.": nano, micro, small, medium, large, xlarge, 2xlarge, 4xlarge … 48xlarge, metal, got "m5.large2"',
            ]);
        });

        test("every type the stacks use today is accepted", () => {
            const used = environments.flatMap((environment) => {
                const { compute, traffic, kubernetes } = resolveKeelConfig(onStack({}, environment), environment);
                return [compute.instanceType, ...(traffic.spot?.alternativeInstanceTypes ?? []), ...kubernetes.nodeInstanceTypes];
            });
            assert.deepEqual([...new Set(used)].sort(), ["c5.large", "c6a.large", "c6i.large", "c6i.xlarge", "m5.xlarge", "m6i.xlarge", "t3.large", "t3.small", "t3a.small"]);
        });

        test("the families are real, and every real type of them is accepted (the AWS provider's list of instance types)", () => {
            for (const family of families) assert.ok(realTypes.some((type) => type.startsWith(`${family}.`)), `${family} is no EC2 family`);
            const ofFamilies = realTypes.filter((type) => families.includes(type.split(".")[0]));
            assert.ok(ofFamilies.length > 500, `only ${ofFamilies.length} types`);
            for (const type of ofFamilies) assert.ok(schema.safeParse(type).success, `${type} refused`);
            for (const type of ["g5.xlarge", "i4i.large", "p5.48xlarge", "mac2.metal", "m4.large", "t1.micro"]) assert.ok(realTypes.includes(type) && !schema.safeParse(type).success, `${type} accepted`);
        });
    });
});
