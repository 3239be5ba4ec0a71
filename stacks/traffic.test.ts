import type * as aws from "@pulumi/aws";
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { LogBucket } from "../components/backup";
import { evaluatePolicies, mandatoryViolations } from "../policies/offline";
import { keelPolicies } from "../policies/rules";
import type { PlanRecord } from "../offline-plan/engine";
import type { PlanResource } from "../offline-plan/record";
import { parse } from "yaml";
import { loadStackConfig } from "../offline-plan/stack-config";
import { arnOf, list, mockOf, object, ofType, only, componentPackConfigFor, planComponents, planRefusal, plannedBeforeTests, planStack, projectRoot, text } from "../tests/plans";
import { regionCapacity, resolveKeelConfig, type KeelConfig } from "./config";
import { regionalNetworks } from "./network";
import { regionalProviders, statefulOptions } from "./providers";
import { traffic } from "./traffic";

/**
 * Plans the traffic half of an environment the way its stack composes it; where backups run,
 * with the backups' per-region server access-log buckets (as stacks/backup.ts creates them).
 */
function planTraffic(config: KeelConfig): Promise<PlanRecord> {
    return planComponents(() => {
        const providers = regionalProviders(config);
        const logs = (name: string, provider: aws.Provider | undefined) => provider && new LogBucket(name, {}, { provider, ...statefulOptions(config) }).bucketName;
        const primary = config.backup.enabled ? logs("access-logs", providers.primary) : undefined;
        const dr = config.backup.copyToDr ? logs("access-logs-dr", providers.dr) : undefined;
        return traffic(config, providers, regionalNetworks(config, providers), {
            ...(primary ? { serverAccessLogBuckets: { primary, ...(dr ? { dr } : {}) } } : {}),
        }).exports;
    });
}

/** An environment's configuration as its stack file sets it (the application and the zone come from there). */
const configOf = (environment: string, overrides: readonly string[] = []) => resolveKeelConfig(loadStackConfig(projectRoot, environment, overrides).config, environment);
const production = configOf("production");
const drActive = configOf("production", ["keel:dr.active=true"]);
const staging = configOf("staging");
const dev = configOf("dev");

const groups = (plan: PlanRecord, region: string) => ofType(plan, "aws:autoscaling/group:Group").filter((g) => g.region === region);
const sizes = (group: PlanResource) => [group.inputs.minSize, group.inputs.maxSize];

describe("production traffic", () => {
    const plan = plannedBeforeTests(() => planTraffic(production));
    const drPlan = plannedBeforeTests(() => planTraffic(drActive));

    test("the service's name is CloudFront's; the origin name CloudFront connects to is a PRIMARY/SECONDARY pair, the PRIMARY health-checked", () => {
        const aliases = (name: string) => ofType(plan(), "aws:route53/record:Record").filter((r) => r.inputs.name === name);
        const distribution = only(plan(), "aws:cloudfront/distribution:Distribution");
        assert.deepEqual(aliases("app.example.com").filter((r) => r.inputs.type !== "NS").map((r) => [r.inputs.type, object(list(r.inputs.aliases, "aliases")[0], "alias").name]), [["A", mockOf(distribution).state.domainName], ["AAAA", mockOf(distribution).state.domainName]]);
        const records = aliases("origin.app.example.com").filter((r) => r.inputs.type === "A");
        const byRole = Object.fromEntries(records.map((r) => [object(list(r.inputs.failoverRoutingPolicies, "policies")[0], "policy").type, r]));
        assert.deepEqual(Object.keys(byRole).sort(), ["PRIMARY", "SECONDARY"]);
        assert.notEqual(byRole.PRIMARY.inputs.setIdentifier, byRole.SECONDARY.inputs.setIdentifier);
        assert.equal(typeof byRole.PRIMARY.inputs.healthCheckId, "string");
        const aliasTarget = (r: PlanResource) => object(list(r.inputs.aliases, "aliases")[0], "alias").name;
        assert.match(String(aliasTarget(byRole.PRIMARY)), /\.us-east-1\.elb\.amazonaws\.com$/);
        assert.match(String(aliasTarget(byRole.SECONDARY)), /\.us-west-2\.elb\.amazonaws\.com$/);
        // The static paths' second origin: the DR region's load balancer by a name of its own.
        assert.match(String(aliasTarget(only(plan(), "aws:route53/record:Record", "app-origin-dr"))), /\.us-west-2\.elb\.amazonaws\.com$/);
        assert.equal(plan().outputs.url, "https://app.example.com");
        // Moving a stack behind the edge: the distribution first, then the failover records leave the name, then the alias takes it.
        const edgeChildren = ofType(plan(), "aws:cloudfront/distribution:Distribution").map((d) => d.urn);
        for (const record of records) assert.ok(edgeChildren.every((urn) => record.dependencies.includes(urn)), `${record.name} waits for the distribution`);
        for (const alias of aliases("app.example.com").filter((r) => r.inputs.type !== "NS")) {
            for (const record of records) assert.ok(alias.dependencies.includes(record.urn), `${alias.name} waits for ${record.name}`);
        }
    });

    test("the endpoint checks fail over within 90 s: interval × threshold + the 60 s alias TTL", () => {
        const endpointChecks = ofType(plan(), "aws:route53/healthCheck:HealthCheck").filter((c) => c.inputs.type === "HTTPS");
        assert.equal(endpointChecks.length, 1);
        for (const check of endpointChecks) {
            const seconds = Number(check.inputs.requestInterval) * Number(check.inputs.failureThreshold) + 60;
            assert.equal(seconds, 90);
            assert.ok(seconds <= 90);
        }
        assert.equal(plan().outputs.failoverSeconds, 90);
    });

    test("2–10 instances in us-east-1 and a pilot light of 1–10 in us-west-2", () => {
        assert.deepEqual(groups(plan(), "us-east-1").map(sizes), [[2, 10]]);
        assert.deepEqual(groups(plan(), "us-west-2").map(sizes), [[1, 10]]);
        assert.deepEqual(regionCapacity(production), { primary: { minSize: 2, maxSize: 10 }, dr: { minSize: 1, maxSize: 10 } });
    });

    test("with keel:dr.active the DR region takes production capacity", () => {
        assert.deepEqual(groups(drPlan(), "us-west-2").map(sizes), [[2, 10]]);
        assert.deepEqual(groups(drPlan(), "us-east-1").map(sizes), [[2, 10]]);
        // Failing over never edits DNS: the same records and health checks as without DR mode.
        const dnsOf = (p: PlanRecord) => p.resources.filter((r) => r.type.startsWith("aws:route53/")).map((r) => [r.type, r.name, JSON.stringify(r.inputs)]);
        assert.deepEqual(dnsOf(drPlan()), dnsOf(plan()));
    });

    test("target tracking at 70 % CPU in both regions", () => {
        const cpu = ofType(plan(), "aws:autoscaling/policy:Policy").filter((p) => object(p.inputs.targetTrackingConfiguration ?? {}, "tt").predefinedMetricSpecification !== undefined);
        assert.deepEqual(cpu.map((p) => [p.region, object(p.inputs.targetTrackingConfiguration, "tt").targetValue]).sort(), [["us-east-1", 70], ["us-west-2", 70]]);
    });

    test("deploys launch before terminating in both regions: running capacity never drops", () => {
        for (const p of [plan(), drPlan()]) {
            for (const group of ofType(p, "aws:autoscaling/group:Group")) {
                assert.deepEqual(group.inputs.instanceRefresh, { strategy: "Rolling", preferences: { minHealthyPercentage: 100, maxHealthyPercentage: 200, autoRollback: true } }, `${group.name} ${group.region}`);
            }
        }
    });

    test("the app.example.com zone is created and delegated from the parent zone the stack names", () => {
        const zone = only(plan(), "aws:route53/zone:Zone");
        const delegation = only(plan(), "aws:route53/record:Record", "dns-delegation");
        assert.deepEqual([delegation.inputs.zoneId, delegation.inputs.name, delegation.inputs.type, delegation.inputs.records], ["Z0123456789ABCDEFGHIJ", "app.example.com", "NS", mockOf(zone).state.nameServers]);
        assert.deepEqual([delegation.protect, delegation.retainOnDelete], [true, true]);
        const validation = ofType(plan(), "aws:route53/record:Record").filter((r) => r.name.endsWith("-cert-validation"));
        assert.equal(validation.length, 1, "the DR region reuses the primary's validation record");
        assert.ok(validation[0].dependencies.includes(delegation.urn), "ACM's record is written once the zone is delegated");
        assert.equal(plan().outputs.zoneId, mockOf(zone).id);
    });

    test("IMDSv2 required on every launch template", () => {
        const templates = ofType(plan(), "aws:ec2/launchTemplate:LaunchTemplate");
        assert.equal(templates.length, 2);
        for (const template of templates) assert.equal(object(template.inputs.metadataOptions, "metadata").httpTokens, "required", template.name);
    });

    test("a load balancer per region with an HTTPS listener; plain HTTP only redirects", () => {
        assert.deepEqual(ofType(plan(), "aws:lb/loadBalancer:LoadBalancer").map((lb) => lb.region).sort(), ["us-east-1", "us-west-2"]);
        for (const listener of ofType(plan(), "aws:lb/listener:Listener")) {
            const actions = list(listener.inputs.defaultActions, "actions").map((a) => object(a, "action"));
            if (listener.inputs.protocol === "HTTPS") {
                // Behind the edge: 403 unless a rule lets the request through.
                assert.deepEqual(actions, [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "403", messageBody: "Forbidden" } }]);
            } else {
                assert.deepEqual([listener.inputs.protocol, actions], ["HTTP", [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]]);
            }
        }
        assert.deepEqual(ofType(plan(), "aws:lb/listener:Listener").map((l) => l.inputs.protocol).sort(), ["HTTP", "HTTP", "HTTPS", "HTTPS"]);
    });

    test("behind the edge each load balancer admits only CloudFront and Route 53's checkers on 443, and forwards only verified requests and the health path", () => {
        for (const lb of ofType(plan(), "aws:lb/loadBalancer:LoadBalancer")) {
            const groups = list(lb.inputs.securityGroups, "securityGroups");
            const ingress = ofType(plan(), "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => groups.includes(r.inputs.securityGroupId));
            assert.deepEqual(ingress.map((r) => [r.inputs.fromPort, r.inputs.toPort, typeof r.inputs.prefixListId, r.inputs.cidrIpv4]), [[443, 443, "string", undefined], [443, 443, "string", undefined]], lb.name);
            assert.equal(groups.length, 2, "CloudFront's list (55 rules) and the checkers' in groups of their own");
        }
        const rules = ofType(plan(), "aws:lb/listenerRule:ListenerRule").map((r) => [r.region, r.inputs.priority, list(r.inputs.conditions, "conditions")[0]]);
        assert.deepEqual(rules.sort(), [
            ["us-east-1", 10, { httpHeader: { httpHeaderName: "X-Origin-Verify", values: ["[secret]"] } }],
            ["us-east-1", 20, { pathPattern: { values: ["/health"] } }],
            ["us-west-2", 10, { httpHeader: { httpHeaderName: "X-Origin-Verify", values: ["[secret]"] } }],
            ["us-west-2", 20, { pathPattern: { values: ["/health"] } }],
        ]);
        // One generated secret for CloudFront's header and both regions' rules.
        assert.deepEqual(only(plan(), "random:index/randomPassword:RandomPassword", "edge-origin-verify").inputs, { length: 48, special: false });
    });

    test("deletion protection, access logs to a protected SSE-S3 bucket in each region, no spot", () => {
        for (const lb of ofType(plan(), "aws:lb/loadBalancer:LoadBalancer")) {
            assert.equal(lb.inputs.enableDeletionProtection, true);
            assert.equal(object(lb.inputs.accessLogs, "accessLogs").enabled, true);
        }
        const buckets = ofType(plan(), "aws:s3/bucket:Bucket").filter((b) => b.name.startsWith("alb-logs"));
        assert.deepEqual(buckets.map((b) => [b.name, b.region, b.protect, b.retainOnDelete]).sort(), [["alb-logs", "us-east-1", true, true], ["alb-logs-dr", "us-west-2", true, true]]);
        const logging = ofType(plan(), "aws:s3/bucketLogging:BucketLogging").filter((l) => l.name.startsWith("alb-logs"));
        assert.deepEqual(logging.map((l) => [l.name, l.region, l.inputs.targetPrefix]).sort(), [["alb-logs", "us-east-1", "alb-logs/"], ["alb-logs-dr", "us-west-2", "alb-logs-dr/"]]);
        for (const group of ofType(plan(), "aws:autoscaling/group:Group")) assert.equal(group.inputs.mixedInstancesPolicy, undefined);
        assert.deepEqual([only(plan(), "aws:route53/zone:Zone").protect, only(plan(), "aws:route53/zone:Zone").retainOnDelete], [true, true]);
    });

    test("passes the policy pack (tags on the groups, protection, regions)", async () => {
        for (const p of [plan(), drPlan()]) assert.deepEqual(mandatoryViolations(await evaluatePolicies(p, keelPolicies, componentPackConfigFor("production"))), []);
    });

    test("exports the URL, load balancer names, group names and the failover switch", () => {
        assert.equal(plan().outputs.url, "https://app.example.com");
        const names = object(plan().outputs.autoScalingGroupNames, "asgs");
        assert.deepEqual(Object.keys(names).sort(), ["dr", "primary"]);
        assert.match(String(object(plan().outputs.loadBalancerDnsNames, "lbs").dr), /us-west-2\.elb\.amazonaws\.com$/);
        assert.equal(object(plan().outputs.failoverSwitch, "switch").region, "us-west-2");
    });
});

describe("single-region environments", () => {
    const stagingPlan = plannedBeforeTests(() => planTraffic(staging));
    const devPlan = plannedBeforeTests(() => planTraffic(dev));

    test("staging and dev adopt the zone their stack names; nothing to delegate", () => {
        for (const [p, zoneId] of [[stagingPlan(), "Z0223456789ABCDEFGHIJ"], [devPlan(), "Z0323456789ABCDEFGHIJ"]] as const) {
            assert.deepEqual(ofType(p, "aws:route53/zone:Zone"), []);
            const records = ofType(p, "aws:route53/record:Record");
            assert.ok(records.length >= 2 && records.every((r) => r.inputs.zoneId === zoneId), records.map((r) => `${r.name} ${String(r.inputs.zoneId)}`).join(", "));
            assert.deepEqual(p.outputs.nameServers, []);
        }
    });

    test("staging: 2–4 instances, spot above one on-demand instance, a simple record", () => {
        assert.deepEqual(ofType(stagingPlan(), "aws:autoscaling/group:Group").map((g) => [g.region, ...sizes(g)]), [["us-east-1", 2, 4]]);
        const distribution = object(object(only(stagingPlan(), "aws:autoscaling/group:Group").inputs.mixedInstancesPolicy, "mixed").instancesDistribution, "distribution");
        assert.equal(distribution.onDemandBaseCapacity, 1);
        // Its name is the edge's (A and AAAA); the origin name CloudFront connects to is a simple record.
        assert.deepEqual(ofType(stagingPlan(), "aws:route53/record:Record").filter((r) => r.inputs.name === "staging.app.example.com").map((r) => [r.inputs.type, r.inputs.failoverRoutingPolicies]), [["A", undefined], ["AAAA", undefined]]);
        assert.deepEqual(ofType(stagingPlan(), "aws:route53/record:Record").filter((r) => r.inputs.name === "origin.staging.app.example.com").map((r) => r.inputs.failoverRoutingPolicies), [undefined]);
        assert.equal(ofType(stagingPlan(), "aws:route53/healthCheck:HealthCheck").length, 0);
    });

    test("dev: 1–2 instances, no access logs, no deletion protection", () => {
        assert.deepEqual(ofType(devPlan(), "aws:autoscaling/group:Group").map(sizes), [[1, 2]]);
        const lb = only(devPlan(), "aws:lb/loadBalancer:LoadBalancer");
        assert.deepEqual([lb.inputs.enableDeletionProtection, lb.inputs.accessLogs], [false, undefined]);
        assert.equal(ofType(devPlan(), "aws:s3/bucket:Bucket").length, 0);
        const names = object(devPlan().outputs.autoScalingGroupNames, "names");
        assert.deepEqual([names.primary, names.dr], [mockOf(only(devPlan(), "aws:autoscaling/group:Group")).state.name, undefined]);
    });

    test("both pass the policy pack", async () => {
        assert.deepEqual(mandatoryViolations(await evaluatePolicies(stagingPlan(), keelPolicies, componentPackConfigFor("staging"))), []);
        assert.deepEqual(mandatoryViolations(await evaluatePolicies(devPlan(), keelPolicies, componentPackConfigFor("dev"))), []);
    });

    test("refuses an environment without DNS before registering a traffic resource", async () => {
        const { refusal, registered } = await planRefusal(() => {
            const config = resolveKeelConfig({}, "local");
            const providers = regionalProviders(config);
            traffic(config, providers, regionalNetworks(config, providers));
        });
        assert.ok(refusal instanceof Error);
        assert.match(refusal.message, /keel:dns\.mode is none/);
        assert.deepEqual(registered.filter((r) => r.type.startsWith("keel:traffic")), []);
    });
});

interface CloudConfig {
    packages: string[];
    write_files: { path: string; permissions: string; content: string }[];
    runcmd: string[][];
}

/** A launch template's decoded cloud-config. */
function cloudConfigOf(template: PlanResource): CloudConfig {
    const config = parse(Buffer.from(text(template.inputs.userData, `${template.name}.userData`), "base64").toString()) as CloudConfig;
    assert.ok(Array.isArray(config.write_files), template.name);
    return config;
}
const fileOf = (config: CloudConfig, path: string) => {
    const file = config.write_files.find((f) => f.path === path);
    assert.ok(file, `${path} in the user data`);
    return file.content;
};

describe("every serving launch template starts the configured application", () => {
    // The whole stacks, as `npm run plan` plans them: the database's secrets reach the instances.
    const variants = [
        { name: "production", overrides: [] as string[] },
        { name: "production in DR mode", overrides: ["keel:dr.active=true"] },
    ];
    for (const { name, overrides } of variants) {
        describe(name, () => {
            let plan: PlanRecord;
            before(async () => {
                plan = await planStack("production", overrides);
            });
            const config = configOf("production", overrides);

            test("both regions' instances run the stack's pinned image with systemd, on the app port", () => {
                const templates = ofType(plan, "aws:ec2/launchTemplate:LaunchTemplate");
                assert.deepEqual(templates.map((t) => t.region).sort(), ["us-east-1", "us-west-2"]);
                const image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:1.4.2";
                assert.equal(config.compute.image, image);
                for (const template of templates) {
                    const cloud = cloudConfigOf(template);
                    assert.ok(cloud.packages.includes("docker.io"), template.name);
                    const unit = fileOf(cloud, "/etc/systemd/system/keel-app.service");
                    assert.ok(unit.split("\n").includes(`ExecStart=/usr/bin/docker run --rm --name keel-app --publish 3000:3000 --env-file /run/keel/app.env --log-driver journald ${image}`), unit);
                    assert.ok(unit.split("\n").includes("Restart=always"), unit);
                    assert.ok(unit.split("\n").includes(`ExecStartPre=/usr/bin/docker pull ${image}`), unit);
                    // The registry's region, wherever the instance runs.
                    assert.match(fileOf(cloud, "/usr/local/lib/keel/registry-login"), /--region us-east-1 \| docker login --username AWS --password-stdin 123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com$/m);
                    assert.match(fileOf(cloud, "/etc/keel/app.env"), /^APP_PORT=3000$/m);
                    assert.deepEqual(cloud.runcmd.at(-1), ["systemctl", "enable", "--now", "--no-block", "keel-app.service"]);
                }
            });

            test("each region's instances read that region's copy of the database secret at start, with only that permission", () => {
                const secret = only(plan, "aws:secretsmanager/secret:Secret", "database-credentials");
                const primaryArn = text(mockOf(secret).state.arn, "secret arn");
                const database = object(plan.outputs.database, "database");
                const arnIn: Record<string, string> = { "us-east-1": primaryArn, "us-west-2": text(database.secretReplicaArn, "replica arn") };
                assert.match(arnIn["us-west-2"], /^arn:aws:secretsmanager:us-west-2:123456789012:secret:/);
                for (const template of ofType(plan, "aws:ec2/launchTemplate:LaunchTemplate")) {
                    const region = String(template.region);
                    const script = fileOf(cloudConfigOf(template), "/usr/local/lib/keel/app-env");
                    assert.ok(script.includes(`aws secretsmanager get-secret-value --region ${region} --secret-id '${arnIn[region]}'`), script);
                    assert.match(script, /"DATABASE_URL=postgresql:/);
                    const policy = ofType(plan, "aws:iam/rolePolicy:RolePolicy").find((p) => p.region === region && p.name.endsWith("-application"));
                    assert.ok(policy, `the application policy in ${region}`);
                    const statements = list(JSON.parse(text(policy.inputs.policy, "policy")).Statement, "statements").map((st) => object(st, "statement"));
                    assert.deepEqual(statements.find((st) => st.Sid === "ReadDatabaseSecret"), { Sid: "ReadDatabaseSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: arnIn[region] });
                    assert.deepEqual(object(statements.find((st) => st.Sid === "DecryptDatabaseSecret")?.Condition, "condition").StringEquals, {
                        "kms:ViaService": `secretsmanager.${region}.amazonaws.com`,
                        "kms:EncryptionContext:SecretARN": arnIn[region],
                    });
                    assert.equal(statements.find((st) => st.Sid === "EcrPullApplicationImage")?.Resource, "arn:aws:ecr:us-east-1:123456789012:repository/keel-app");
                }
                // And the cache's connection: each region's own secret, as REDIS_URL over TLS with the token.
                const cacheSecretIn = (region: string) => arnOf(ofType(plan, "aws:secretsmanager/secret:Secret").find((s) => s.region === region && s.name.startsWith("cache-") && s.name.endsWith("-connection"))!);
                for (const template of ofType(plan, "aws:ec2/launchTemplate:LaunchTemplate")) {
                    const region = String(template.region);
                    const script = fileOf(cloudConfigOf(template), "/usr/local/lib/keel/app-env");
                    assert.ok(script.includes(`aws secretsmanager get-secret-value --region ${region} --secret-id '${cacheSecretIn(region)}'`), script);
                    assert.ok(script.includes(String.raw`"REDIS_URL=rediss://:\(.authToken|@uri)@\(.host):\(.port)"`), script);
                    const policy = ofType(plan, "aws:iam/rolePolicy:RolePolicy").find((p) => p.region === region && p.name.endsWith("-application"));
                    const statements = list(JSON.parse(text(policy?.inputs.policy, "policy")).Statement, "statements").map((st) => object(st, "statement"));
                    assert.deepEqual(statements.find((st) => st.Sid === "ReadCacheSecret"), { Sid: "ReadCacheSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: cacheSecretIn(region) });
                    assert.equal(statements.find((st) => st.Sid === "DecryptCacheSecret")?.Resource, arnOf(only(plan, "aws:kms/key:Key", `cache-${region === "us-east-1" ? "primary" : "dr"}-key`)));
                }
                // The credentials themselves are never in the user data.
                for (const template of ofType(plan, "aws:ec2/launchTemplate:LaunchTemplate")) assert.doesNotMatch(JSON.stringify(cloudConfigOf(template)), /"password"\s*:/);
            });

            test("instance refresh never goes below running capacity", () => {
                for (const group of ofType(plan, "aws:autoscaling/group:Group")) {
                    const preferences = object(object(group.inputs.instanceRefresh, "instanceRefresh").preferences, "preferences");
                    assert.deepEqual([preferences.minHealthyPercentage, preferences.maxHealthyPercentage], [100, 200], `${group.name} ${group.region}`);
                }
            });
        });
    }

    test("with one image per region, each region pulls its own registry's copy", async () => {
        const images = { "us-east-1": "123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:1.4.2", "us-west-2": "123456789012.dkr.ecr.us-west-2.amazonaws.com/keel-app:1.4.2" };
        const stack = loadStackConfig(projectRoot, "production").config;
        const plan = await planTraffic(resolveKeelConfig({ ...stack, "keel:compute": JSON.stringify({ image: images }) }, "production"));
        for (const template of ofType(plan, "aws:ec2/launchTemplate:LaunchTemplate")) {
            const region = String(template.region) as keyof typeof images;
            assert.match(fileOf(cloudConfigOf(template), "/etc/systemd/system/keel-app.service"), new RegExp(`^ExecStart=.* ${images[region].replace(/\./g, "\\.")}$`, "m"));
            const policy = ofType(plan, "aws:iam/rolePolicy:RolePolicy").find((p) => p.region === region && p.name.endsWith("-application"));
            const pull = list(JSON.parse(text(policy?.inputs.policy, "policy")).Statement, "statements").map((st) => object(st, "statement")).find((st) => st.Sid === "EcrPullApplicationImage");
            assert.equal(pull?.Resource, `arn:aws:ecr:${region}:123456789012:repository/keel-app`);
        }
    });

    test("a stack with a baked AMI per region launches those AMIs", async () => {
        const amis = { "us-east-1": "ami-0123456789abcdef0", "us-west-2": "ami-0fedcba9876543210" };
        const stack = loadStackConfig(projectRoot, "production").config;
        const plan = await planTraffic(resolveKeelConfig({ ...stack, "keel:compute": JSON.stringify({ amiId: amis }) }, "production"));
        const templates = ofType(plan, "aws:ec2/launchTemplate:LaunchTemplate");
        assert.deepEqual(templates.map((t) => [t.region, t.inputs.imageId]).sort(), Object.entries(amis));
        for (const template of templates) {
            const cloud = cloudConfigOf(template);
            assert.ok(cloud.write_files.some((f) => f.path === "/etc/systemd/system/keel-app-env.service"), template.name);
            assert.ok(!cloud.packages.includes("docker.io"), template.name);
        }
    });
});
