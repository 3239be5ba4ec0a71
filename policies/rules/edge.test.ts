import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { east, found, messages, production, resource, runPolicy, staging, type Fixture, type PlanInput } from "../testing";
import { unknownCheckingProxy } from "@pulumi/policy";
import { edgePolicies, failoverHealth, failoverRecords, listenerTls, loadBalancerHardening, modernTlsPolicies } from "./edge";

const listenerType = "aws:lb/listener:Listener";
const loadBalancerType = "aws:lb/loadBalancer:LoadBalancer";
const recordType = "aws:route53/record:Record";

const loadBalancerArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-alb-2b3c4d5/0123456789abcdef";
const targetGroupArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg-3c1d2e4/0123456789abcdef";
const forward = { type: "forward", targetGroupArn };
const redirectToHttps = { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } };

/** The HTTPS listener as components/traffic/autoscaled-service.ts builds it. */
function https(changes: Record<string, unknown> = {}, name = "web-https"): Fixture {
    const inputs = {
        loadBalancerArn,
        protocol: "HTTPS",
        port: 443,
        sslPolicy: "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/5f1e2d3c-4b5a-4697-8877-665544332211",
        defaultActions: [forward],
        ...changes,
    };
    return resource(listenerType, inputs, { name, provider: east });
}

/** The plain HTTP listener: only a permanent redirect to HTTPS. */
function http(defaultActions: unknown[] = [redirectToHttps], changes: Record<string, unknown> = {}, name = "web-http"): Fixture {
    return resource(listenerType, { loadBalancerArn, protocol: "HTTP", port: 80, defaultActions, ...changes }, { name, provider: east });
}

function loadBalancer(changes: Record<string, unknown> = {}, name = "web-alb"): Fixture {
    const inputs = {
        loadBalancerType: "application",
        internal: false,
        securityGroups: ["sg-0a1b2c3d4e5f60718"],
        subnets: ["subnet-0a1", "subnet-0a2"],
        dropInvalidHeaderFields: true,
        enableDeletionProtection: true,
        accessLogs: { bucket: "keel-production-alb-logs-us-east-1", prefix: "web", enabled: true },
        ...changes,
    };
    return resource(loadBalancerType, inputs, { name, provider: east });
}

const zoneId = "Z0123456789ABCDEFGHIJ";
const alias = (name: string) => [{ name, zoneId: "Z35SXDOTRQ7X7K", evaluateTargetHealth: true }];

/** A failover alias record as components/traffic/failover-dns.ts builds it; `changes` replaces (undefined drops) inputs. */
function failover(role: string, changes: Record<string, unknown> = {}, name = `app-${role.toLowerCase()}`): Fixture {
    const inputs: Record<string, unknown> = {
        zoneId,
        name: "app.example.com",
        type: "A",
        setIdentifier: `app-${role.toLowerCase()}`,
        failoverRoutingPolicies: [{ type: role }],
        aliases: alias(`${role.toLowerCase()}-alb-1234567890.us-east-1.elb.amazonaws.com`),
        ...(role === "PRIMARY" ? { healthCheckId: "3f2a1b7c-8d9e-4f01-a2b3-c4d5e6f70819" } : {}),
        ...changes,
    };
    for (const [key, value] of Object.entries(changes)) if (value === undefined) delete inputs[key];
    return resource(recordType, inputs, { name, provider: east });
}

const healthCheckType = "aws:route53/healthCheck:HealthCheck";
const primaryAlb = "web-alb-2b3c4d5-1234567890.us-east-1.elb.amazonaws.com";
const checkIds = { endpoint: "6edc4649-59a0-4141-ac50-9f1aca11d1cf", switch: "c71b101e-1dc0-496a-a6aa-5d8bdf8fad42", primary: "3f2a1b7c-8d9e-4f01-a2b3-c4d5e6f70819" };

/**
 * A FailoverDns as components/traffic/failover-dns.ts builds it: the endpoint check of the
 * primary load balancer and the manual switch under a CALCULATED check that needs both, on the
 * PRIMARY record. `changes` replace inputs per part (endpoint, switch, primary, record).
 */
function guardedPair(changes: Partial<Record<"endpoint" | "switch" | "primary" | "record", Record<string, unknown>>> = {}): PlanInput[] {
    const check = (name: string, inputs: Record<string, unknown>, dependsOn: Fixture[] = []) => {
        const merged: Record<string, unknown> = { ...inputs, ...changes[name as keyof typeof changes] };
        for (const [key, value] of Object.entries(changes[name as keyof typeof changes] ?? {})) if (value === undefined) delete merged[key];
        return resource(healthCheckType, merged, { name: `app-${name}`, provider: east, dependsOn: dependsOn.map((d) => d.resource) });
    };
    const endpoint = check("endpoint", { type: "HTTPS", fqdn: primaryAlb, port: 443, resourcePath: "/health", enableSni: false, requestInterval: 10, failureThreshold: 3, regions: ["us-east-1", "us-west-1", "us-west-2", "eu-west-1"] });
    const manual = check("switch", { type: "CLOUDWATCH_METRIC", cloudwatchAlarmName: "app-failover-switch-243e1cd", cloudwatchAlarmRegion: "us-west-2", insufficientDataHealthStatus: "LastKnownStatus" });
    const primary = check("primary", { type: "CALCULATED", childHealthchecks: [checkIds.endpoint, checkIds.switch], childHealthThreshold: 2 }, [endpoint, manual]);
    const record = failover("PRIMARY", { aliases: alias(primaryAlb), healthCheckId: checkIds.primary, ...changes.record });
    const guarded = resource(recordType, record.resource.inputs, { name: record.resource.name, provider: east, dependsOn: [primary.resource] });
    return [endpoint, manual, primary, guarded, failover("SECONDARY")];
}

describe("edge policies", () => {
    test("an AutoscaledService's load balancer and listeners and a FailoverDns pair pass every policy under every config", async () => {
        const plan = [loadBalancer(), https(), http(), ...guardedPair()];
        for (const [environment, config] of [["default", {}], ["staging", staging], ["production", production]] as const) {
            for (const policy of edgePolicies) assert.deepEqual(await found(policy, plan, config), [], `${policy.name} under ${environment}`);
        }
    });
});

describe("keel-alb-https-only", () => {
    test("passes HTTPS listeners with every modern TLS policy", async () => {
        for (const sslPolicy of modernTlsPolicies) assert.deepEqual(await found(listenerTls, [https({ sslPolicy })]), [], sslPolicy);
    });

    test("refuses HTTPS listeners with an old TLS policy, or none (the provider's default)", async () => {
        const violations = await runPolicy(listenerTls, [https({ sslPolicy: "ELBSecurityPolicy-2016-08" })]);
        assert.deepEqual(messages(violations), ['Listener "web-https" uses TLS policy ELBSecurityPolicy-2016-08, not a modern one']);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::aws:lb/listener:Listener::web-https");
        assert.deepEqual(await found(listenerTls, [https({ sslPolicy: "ELBSecurityPolicy-TLS-1-1-2017-01" })]), ['Listener "web-https" uses TLS policy ELBSecurityPolicy-TLS-1-1-2017-01, not a modern one']);
        assert.deepEqual(await found(listenerTls, [https({ sslPolicy: undefined })]), ['Listener "web-https" uses TLS policy (the default), not a modern one']);
    });

    test("judges TLS (Network Load Balancer) listeners by their TLS policy too", async () => {
        assert.deepEqual(await found(listenerTls, [https({ protocol: "TLS", port: 443, defaultActions: [forward] }, "nlb-tls")]), []);
        assert.deepEqual(await found(listenerTls, [https({ protocol: "TLS", sslPolicy: "ELBSecurityPolicy-2016-08" }, "nlb-tls")]), ['Listener "nlb-tls" uses TLS policy ELBSecurityPolicy-2016-08, not a modern one']);
    });

    test("passes HTTP listeners that only redirect to HTTPS", async () => {
        assert.deepEqual(await found(listenerTls, [http(), http([{ type: "redirect", redirect: { protocol: "HTTPS", statusCode: "HTTP_302" } }], {}, "temporary")]), []);
    });

    test("refuses HTTP listeners that forward, answer themselves or redirect to plain HTTP", async () => {
        const plan = [
            http([forward], {}, "forwards"),
            http([{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "200", messageBody: "ok" } }], {}, "answers"),
            http([{ type: "redirect", redirect: { protocol: "#{protocol}", host: "www.example.com", statusCode: "HTTP_301" } }], {}, "same-protocol"),
            http([redirectToHttps, forward], {}, "mixed"),
            http([], {}, "no-actions"),
        ];
        assert.deepEqual(await found(listenerTls, plan), [
            'Listener "forwards" serves plain HTTP instead of redirecting to HTTPS',
            'Listener "answers" serves plain HTTP instead of redirecting to HTTPS',
            'Listener "same-protocol" serves plain HTTP instead of redirecting to HTTPS',
            'Listener "mixed" serves plain HTTP instead of redirecting to HTTPS',
            'Listener "no-actions" serves plain HTTP instead of redirecting to HTTPS',
        ]);
    });

    test("treats a listener without a protocol as the load balancer's default, plain HTTP", async () => {
        assert.deepEqual(await found(listenerTls, [http([forward], { protocol: undefined })]), ['Listener "web-http" serves plain HTTP instead of redirecting to HTTPS']);
        assert.deepEqual(await found(listenerTls, [http([redirectToHttps], { protocol: undefined })]), []);
    });

    test("allowedSslPolicies replaces the list of modern policies", async () => {
        const config = { "keel-alb-https-only": { allowedSslPolicies: ["ELBSecurityPolicy-TLS13-1-3-2021-06"] } };
        assert.deepEqual(await found(listenerTls, [https({ sslPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06" })], config), []);
        assert.deepEqual(await found(listenerTls, [https({ sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" })], config), ['Listener "web-https" uses TLS policy ELBSecurityPolicy-TLS13-1-2-2021-06, not a modern one']);
    });

    test("does not judge other types", async () => {
        assert.deepEqual(await found(listenerTls, [resource("aws:lb/targetGroup:TargetGroup", { protocol: "HTTP", port: 3000 }, { provider: east }), loadBalancer()]), []);
    });
});

describe("keel-alb-hardening", () => {
    const bare = { enableDeletionProtection: false, accessLogs: undefined };

    test("by default and in staging requires only that invalid header fields are dropped", async () => {
        for (const config of [{}, staging]) {
            assert.deepEqual(await found(loadBalancerHardening, [loadBalancer(bare)], config), []);
            assert.deepEqual(await found(loadBalancerHardening, [loadBalancer({ ...bare, dropInvalidHeaderFields: false })], config), ['LoadBalancer "web-alb" does not drop invalid header fields']);
        }
        assert.deepEqual(await found(loadBalancerHardening, [loadBalancer({ dropInvalidHeaderFields: undefined })]), ['LoadBalancer "web-alb" does not drop invalid header fields']);
    });

    test("judges a load balancer without a type as an application load balancer, and not network or gateway ones", async () => {
        assert.deepEqual(await found(loadBalancerHardening, [loadBalancer({ loadBalancerType: undefined, dropInvalidHeaderFields: false })]), ['LoadBalancer "web-alb" does not drop invalid header fields']);
        const nlb = loadBalancer({ loadBalancerType: "network", dropInvalidHeaderFields: undefined, enableDeletionProtection: false, accessLogs: undefined }, "nlb");
        const gwlb = loadBalancer({ loadBalancerType: "gateway", dropInvalidHeaderFields: undefined, enableDeletionProtection: false, accessLogs: undefined }, "gwlb");
        assert.deepEqual(await found(loadBalancerHardening, [nlb, gwlb], production), []);
    });

    test("production also requires deletion protection and access logs", async () => {
        assert.deepEqual(await found(loadBalancerHardening, [loadBalancer()], production), []);
        const violations = await runPolicy(loadBalancerHardening, [loadBalancer(bare)], production);
        assert.deepEqual(messages(violations), ['LoadBalancer "web-alb" has no deletion protection', 'LoadBalancer "web-alb" writes no access logs']);
        assert.deepEqual(violations.map((v) => v.urn), [loadBalancer().resource.urn, loadBalancer().resource.urn]);
    });

    test("production refuses deletion protection left unset (the provider's default is off)", async () => {
        assert.deepEqual(await found(loadBalancerHardening, [loadBalancer({ enableDeletionProtection: undefined })], production), ['LoadBalancer "web-alb" has no deletion protection']);
    });

    test("production refuses access logs that are configured but not enabled (the provider's default is off)", async () => {
        assert.deepEqual(await found(loadBalancerHardening, [loadBalancer({ accessLogs: { bucket: "logs", prefix: "web", enabled: false } })], production), ['LoadBalancer "web-alb" writes no access logs']);
        assert.deepEqual(await found(loadBalancerHardening, [loadBalancer({ accessLogs: { bucket: "logs", prefix: "web" } })], production), ['LoadBalancer "web-alb" writes no access logs']);
    });

    test("production reports every problem of one load balancer", async () => {
        assert.deepEqual(await found(loadBalancerHardening, [loadBalancer({ ...bare, dropInvalidHeaderFields: false })], production), [
            'LoadBalancer "web-alb" does not drop invalid header fields',
            'LoadBalancer "web-alb" has no deletion protection',
            'LoadBalancer "web-alb" writes no access logs',
        ]);
    });
});

describe("keel-route53-failover", () => {
    test("passes a PRIMARY/SECONDARY pair with unique set identifiers and a health check on PRIMARY", async () => {
        assert.deepEqual(await found(failoverRecords, [failover("PRIMARY"), failover("SECONDARY")]), []);
    });

    test("ignores records without a failover routing policy", async () => {
        const plain = resource(recordType, { zoneId, name: "www.example.com", type: "CNAME", ttl: 300, records: ["app.example.com"] }, { name: "www", provider: east });
        const weighted = resource(recordType, { zoneId, name: "api.example.com", type: "A", setIdentifier: "blue", weightedRoutingPolicies: [{ weight: 100 }], aliases: alias("blue") }, { name: "api", provider: east });
        assert.deepEqual(await found(failoverRecords, [plain, weighted]), []);
    });

    test("refuses a lone PRIMARY, reported on it", async () => {
        const primary = failover("PRIMARY");
        const violations = await runPolicy(failoverRecords, [primary]);
        assert.deepEqual(messages(violations), ["failover record app.example.com has PRIMARY: exactly one PRIMARY and one SECONDARY are required"]);
        assert.equal(violations[0].urn, primary.resource.urn);
    });

    test("refuses a lone SECONDARY and a second PRIMARY", async () => {
        assert.deepEqual(await found(failoverRecords, [failover("SECONDARY")]), ["failover record app.example.com has SECONDARY: exactly one PRIMARY and one SECONDARY are required"]);
        const twoPrimaries = [failover("PRIMARY"), failover("PRIMARY", { setIdentifier: "app-primary-2" }, "app-primary-2"), failover("SECONDARY")];
        assert.deepEqual(await found(failoverRecords, twoPrimaries), ["failover record app.example.com has PRIMARY and PRIMARY and SECONDARY: exactly one PRIMARY and one SECONDARY are required"]);
    });

    test("refuses duplicate or missing set identifiers", async () => {
        const duplicate = [failover("PRIMARY", { setIdentifier: "app" }), failover("SECONDARY", { setIdentifier: "app" })];
        assert.deepEqual(await found(failoverRecords, duplicate), ["failover record app.example.com needs a unique set identifier per record"]);
        const missing = [failover("PRIMARY"), failover("SECONDARY", { setIdentifier: undefined })];
        assert.deepEqual(await found(failoverRecords, missing), ["failover record app.example.com needs a unique set identifier per record"]);
    });

    test("refuses a PRIMARY without a health check, reported on the PRIMARY", async () => {
        const primary = failover("PRIMARY", { healthCheckId: undefined });
        const secondary = failover("SECONDARY");
        const violations = await runPolicy(failoverRecords, [secondary, primary]);
        assert.deepEqual(messages(violations), ["PRIMARY failover record app.example.com has no health check"]);
        assert.equal(violations[0].urn, primary.resource.urn);
        assert.deepEqual(await found(failoverRecords, [failover("PRIMARY", { healthCheckId: "" }), secondary]), ["PRIMARY failover record app.example.com has no health check"]);
    });

    test("does not require a health check on the SECONDARY", async () => {
        assert.deepEqual(await found(failoverRecords, [failover("PRIMARY"), failover("SECONDARY", { healthCheckId: undefined })]), []);
    });

    test("pairs records per zone, name and type", async () => {
        const otherZone = failover("SECONDARY", { zoneId: "Z9876543210ZYXWVUTSRQ" });
        assert.deepEqual(await found(failoverRecords, [failover("PRIMARY"), otherZone]), [
            "failover record app.example.com has PRIMARY: exactly one PRIMARY and one SECONDARY are required",
            "failover record app.example.com has SECONDARY: exactly one PRIMARY and one SECONDARY are required",
        ]);
        const ipv6 = [failover("PRIMARY", { type: "AAAA" }, "app-primary-v6"), failover("SECONDARY", { type: "AAAA" }, "app-secondary-v6")];
        assert.deepEqual(await found(failoverRecords, [failover("PRIMARY"), failover("SECONDARY"), ...ipv6]), []);
        assert.deepEqual(await found(failoverRecords, [failover("PRIMARY"), failover("SECONDARY", { type: "AAAA" })]), [
            "failover record app.example.com has PRIMARY: exactly one PRIMARY and one SECONDARY are required",
            "failover record app.example.com has SECONDARY: exactly one PRIMARY and one SECONDARY are required",
        ]);
    });

    test("reports every problem of a broken pair", async () => {
        const broken = [failover("PRIMARY", { setIdentifier: "app", healthCheckId: undefined }), failover("PRIMARY", { setIdentifier: "app", healthCheckId: undefined }, "app-primary-2")];
        assert.deepEqual(await found(failoverRecords, broken), [
            "failover record app.example.com has PRIMARY and PRIMARY: exactly one PRIMARY and one SECONDARY are required",
            "failover record app.example.com needs a unique set identifier per record",
            "PRIMARY failover record app.example.com has no health check",
            "PRIMARY failover record app.example.com has no health check",
        ]);
    });

    test("under preview, a zone id not known yet does not stop the policy, nor counts as a problem", async () => {
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const previewed = [failover("PRIMARY", { zoneId: unknown, healthCheckId: undefined }), failover("SECONDARY", { zoneId: unknown })].map((f) => ({ ...f.resource, inputs: unknownCheckingProxy(f.resource.inputs) as Record<string, unknown> }));
        assert.deepEqual(await found(failoverRecords, previewed), ["PRIMARY failover record app.example.com has no health check"]);
        const checkNotKnown = [failover("PRIMARY", { healthCheckId: unknown }), failover("SECONDARY")].map((f) => ({ ...f.resource, inputs: unknownCheckingProxy(f.resource.inputs) as Record<string, unknown> }));
        assert.deepEqual(await found(failoverRecords, checkNotKnown), []);
    });

    test("enabled: false turns it off", async () => {
        assert.equal((await found(failoverRecords, [failover("PRIMARY")], { "keel-route53-failover": { enabled: true } })).length, 1);
        assert.deepEqual(await found(failoverRecords, [failover("PRIMARY")], { "keel-route53-failover": { enabled: false } }), []);
    });
});

describe("keel-route53-failover-health", () => {
    const where = 'PRIMARY failover record "app-primary" (app.example.com)';

    test("passes FailoverDns's checks under every config, production's 90 s included", async () => {
        for (const config of [{}, staging, production]) assert.deepEqual(await found(failoverHealth, guardedPair(), config), []);
    });

    test("refuses a disabled or inverted check anywhere in the tree, reported on the PRIMARY record", async () => {
        const violations = await runPolicy(failoverHealth, guardedPair({ primary: { disabled: true } }));
        assert.deepEqual(messages(violations), [`${where}: health check "app-primary" is disabled: Route 53 counts a disabled check as healthy, so the PRIMARY never fails over`]);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::aws:route53/record:Record::app-primary");
        assert.deepEqual(await found(failoverHealth, guardedPair({ endpoint: { disabled: "true" } })), [`${where}: health check "app-endpoint" is disabled: Route 53 counts a disabled check as healthy, so the PRIMARY never fails over`]);
        assert.deepEqual(await found(failoverHealth, guardedPair({ endpoint: { invertHealthcheck: true } })), [`${where}: health check "app-endpoint" is inverted: it reports healthy while its target fails`]);
        assert.deepEqual(await found(failoverHealth, guardedPair({ primary: { invertHealthcheck: true } })), [`${where}: health check "app-primary" is inverted: it reports healthy while its target fails`]);
    });

    test("refuses a CALCULATED check that stays healthy while children fail", async () => {
        assert.deepEqual(await found(failoverHealth, guardedPair({ primary: { childHealthThreshold: 1 } })), [`${where}: health check "app-primary" stays healthy while 1 of its 2 children fail (childHealthThreshold 1): it must need every child healthy`]);
        assert.deepEqual(await found(failoverHealth, guardedPair({ primary: { childHealthThreshold: 0 } })), [`${where}: health check "app-primary" stays healthy while 2 of its 2 children fail (childHealthThreshold 0): it must need every child healthy`]);
        assert.deepEqual(await found(failoverHealth, guardedPair({ primary: { childHealthThreshold: undefined } })), [`${where}: health check "app-primary" stays healthy while 2 of its 2 children fail (childHealthThreshold unset): it must need every child healthy`]);
    });

    test("refuses detection slower than the environment allows: interval × threshold + the alias's 60 s TTL", async () => {
        const slow = guardedPair({ endpoint: { requestInterval: 30, failureThreshold: 3 } });
        assert.deepEqual(await found(failoverHealth, slow, production), [`${where}: health check "app-endpoint" fails over after 150 s (30 s × 3 failures + 60 s TTL): the environment allows 90 s`]);
        assert.deepEqual(await found(failoverHealth, slow, staging), []);
        assert.deepEqual(await found(failoverHealth, guardedPair({ endpoint: { requestInterval: undefined, failureThreshold: 10 } })), [`${where}: health check "app-endpoint" fails over after 360 s (30 s × 10 failures + 60 s TTL): the environment allows 300 s`]);
    });

    test("refuses a tree that never probes the endpoint, or probes another host than the record's", async () => {
        const [, manual, primary, record, secondary] = guardedPair({ primary: { childHealthchecks: [checkIds.switch], childHealthThreshold: 1 } });
        const switchOnly = [manual, resource(healthCheckType, (primary as Fixture).resource.inputs, { name: "app-primary", provider: east, dependsOn: [(manual as Fixture).resource] }), record, secondary];
        assert.deepEqual(await found(failoverHealth, switchOnly), [`${where}: its health check never probes the primary's endpoint (only CloudWatch alarms or routing controls, such as a latency alarm): nothing fails over when the primary stops answering`]);
        assert.deepEqual(await found(failoverHealth, guardedPair({ endpoint: { fqdn: "status.example.com" } })), [`${where}: its health check probes status.example.com, not the endpoint the record answers with (${primaryAlb})`]);
        assert.deepEqual(await found(failoverHealth, guardedPair({ endpoint: { fqdn: `dualstack.${primaryAlb.toUpperCase()}.` } })), []);
    });

    test("refuses a health check that is not one of the stack's; a PRIMARY without one is keel-route53-failover's", async () => {
        assert.deepEqual(await found(failoverHealth, [failover("PRIMARY"), failover("SECONDARY")]), [`${where} uses health check ${checkIds.primary}, which is not one of this stack's: the policy cannot see that it can fail (Route 53 failover needs a health check that fails with the primary)`]);
        assert.deepEqual(await found(failoverHealth, [failover("PRIMARY", { healthCheckId: undefined }), failover("SECONDARY")]), []);
        const withoutChild = guardedPair().filter((f) => !("resource" in f && f.resource.name === "app-switch"));
        assert.deepEqual(await found(failoverHealth, withoutChild), [`${where}: health check "app-primary" has children that are not health checks of this stack: the policy cannot see that they can fail`]);
    });

    test("requireFailover (production) refuses a stack without a PRIMARY record: failover replaced by simple or latency records", async () => {
        const latency = resource(recordType, { zoneId, name: "app.example.com", type: "A", setIdentifier: "us-east-1", latencyRoutingPolicies: [{ region: "us-east-1" }], aliases: alias(primaryAlb) }, { name: "app-latency", provider: east });
        assert.deepEqual(await found(failoverHealth, [latency], production), ["no Route 53 failover record (PRIMARY/SECONDARY): this environment serves from its DR region when the primary fails, through a failover pair"]);
        assert.deepEqual(await found(failoverHealth, [latency], staging), []);
    });

    test("under preview, does not judge what is not known yet", async () => {
        const previewed = guardedPair({ endpoint: { fqdn: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" } }).map((f) => {
            const record = "resource" in f ? f.resource : f;
            return record.name === "app-endpoint" ? { ...record, inputs: unknownCheckingProxy(record.inputs) as Record<string, unknown> } : record;
        });
        assert.deepEqual(await found(failoverHealth, previewed), []);
    });
});
