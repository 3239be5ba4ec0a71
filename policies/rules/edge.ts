import type { PolicyResource } from "@pulumi/policy";
import { inputsOf, knownStrings, notKnown, sources } from "./network-graph";
import { resourcePolicy, setting, stackPolicy } from "./policy";
import { isTrue, list, object } from "./props";

/** Load balancer and Route53 rules (AWS FSBP ELB.1/4/5/6, Checkov CKV_AWS_2/103/131, Route 53 Developer Guide). */

/** TLS 1.2+ policies with forward secrecy that Elastic Load Balancing recommends. */
export const modernTlsPolicies = [
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
];

export const listenerTls = resourcePolicy({
    name: "keel-alb-https-only",
    description: "Load balancer listeners serve HTTPS with a modern TLS policy; plain HTTP listeners only redirect to HTTPS.",
    types: ["aws:lb/listener:Listener"],
    config: { allowedSslPolicies: setting.strings(modernTlsPolicies) },
    check: function* (listener, { allowedSslPolicies }) {
        const protocol = listener.props.protocol;
        // Network load balancer listeners (TCP/UDP) carry no HTTP to redirect; a listener without
        // a protocol is an application load balancer's default, HTTP.
        if (["TCP", "UDP", "TCP_UDP", "GENEVE"].includes(String(protocol))) return;
        if (protocol === "HTTPS" || protocol === "TLS") {
            if (!allowedSslPolicies.includes(String(listener.props.sslPolicy))) yield `Listener "${listener.name}" uses TLS policy ${String(listener.props.sslPolicy ?? "(the default)")}, not a modern one`;
            return;
        }
        const actions = list(listener.props.defaultActions);
        const redirectsOnly = actions.length > 0 && actions.every((a) => a.type === "redirect" && object(a.redirect).protocol === "HTTPS");
        if (!redirectsOnly) yield `Listener "${listener.name}" serves plain ${String(protocol ?? "HTTP")} instead of redirecting to HTTPS`;
    },
});

export const loadBalancerHardening = resourcePolicy({
    name: "keel-alb-hardening",
    description: "Application load balancers drop invalid header fields; where required (production) they have deletion protection and access logs.",
    types: ["aws:lb/loadBalancer:LoadBalancer"],
    config: { requireDeletionProtectionAndLogs: setting.flag(false) },
    check: function* (loadBalancer, { requireDeletionProtectionAndLogs }) {
        if ((loadBalancer.props.loadBalancerType ?? "application") !== "application") return;
        if (loadBalancer.props.dropInvalidHeaderFields !== true) yield `LoadBalancer "${loadBalancer.name}" does not drop invalid header fields`;
        if (!requireDeletionProtectionAndLogs) return;
        if (loadBalancer.props.enableDeletionProtection !== true) yield `LoadBalancer "${loadBalancer.name}" has no deletion protection`;
        if (object(loadBalancer.props.accessLogs).enabled !== true) yield `LoadBalancer "${loadBalancer.name}" writes no access logs`;
    },
});

export const failoverRecords = stackPolicy({
    name: "keel-route53-failover",
    description: "Route53 failover records come in complete PRIMARY/SECONDARY pairs with unique set identifiers, and every PRIMARY has a health check.",
    check: function* ({ resources }) {
        // Settled inputs: under preview a zone id not known yet must not stop the whole policy.
        const failover = resources
            .filter((r) => r.type === "aws:route53/record:Record")
            .map((r) => ({ r, inputs: inputsOf(r) }))
            .map(({ r, inputs }) => ({ r, inputs, role: object(list(inputs.failoverRoutingPolicies)[0]).type, key: [inputs.zoneId, inputs.name, inputs.type].map((v) => (typeof v === "symbol" ? "(not known yet)" : String(v))).join("|") }))
            .filter((x): x is typeof x & { role: string } => typeof x.role === "string" && x.role !== "");
        const byName = new Map<string, typeof failover>();
        for (const entry of failover) byName.set(entry.key, [...(byName.get(entry.key) ?? []), entry]);
        for (const entries of byName.values()) {
            const name = entries[0].key.split("|")[1];
            const roles = entries.map((e) => e.role).sort();
            if (roles.join() !== "PRIMARY,SECONDARY") yield [`failover record ${name} has ${roles.join(" and ")}: exactly one PRIMARY and one SECONDARY are required`, entries[0].r.urn];
            const identifiers = entries.map((e) => e.inputs.setIdentifier).filter((i) => i !== notKnown);
            if (new Set(identifiers).size !== identifiers.length || identifiers.some((i) => typeof i !== "string" || i === "")) yield [`failover record ${name} needs a unique set identifier per record`, entries[0].r.urn];
            for (const primary of entries.filter((e) => e.role === "PRIMARY")) {
                const check = primary.inputs.healthCheckId;
                if (check !== notKnown && (typeof check !== "string" || check === "")) yield [`PRIMARY failover record ${name} has no health check`, primary.r.urn];
            }
        }
    },
});

const healthCheckType = "aws:route53/healthCheck:HealthCheck";
/** Health check types that probe an endpoint (the rest watch alarms, other checks or routing controls). */
const probeTypes = ["HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP"];
/** The TTL Route 53 gives an alias to a load balancer (Elastic Load Balancing's 60 s): clients keep the old answer that long. */
const aliasTtlSeconds = 60;

const hostName = (name: string) => name.toLowerCase().replace(/\.$/, "").replace(/^dualstack\./, "");

interface HealthTree {
    readonly problems: string[];
    /** Hosts the tree's endpoint checks probe; `notKnown` for a probe whose host is not known yet. */
    readonly probes: (string | typeof notKnown)[];
    /** Whether some part of the tree is not known yet (a type): then a missing probe is not judged. */
    readonly unsettled: boolean;
}

/** What keeps a health check from ever failing, or failing in time, walking CALCULATED checks down to their children. */
function judgeHealthCheck(check: PolicyResource, limits: { maxFailoverSeconds: number; ttlSeconds: number }, seen: Set<PolicyResource> = new Set()): HealthTree {
    if (seen.has(check)) return { problems: [], probes: [], unsettled: false };
    seen.add(check);
    const inputs = inputsOf(check);
    const problems: string[] = [];
    const where = `health check "${check.name}"`;
    if (isTrue(inputs.disabled)) problems.push(`${where} is disabled: Route 53 counts a disabled check as healthy, so the PRIMARY never fails over`);
    if (isTrue(inputs.invertHealthcheck)) problems.push(`${where} is inverted: it reports healthy while its target fails`);
    const type = inputs.type;
    if (type === notKnown) return { problems, probes: [], unsettled: true };
    if (probeTypes.includes(String(type))) {
        const setting = (v: unknown, fallback: number) => (v === undefined || v === null ? fallback : typeof v === "symbol" ? NaN : Number(v));
        const interval = setting(inputs.requestInterval, 30);
        const threshold = setting(inputs.failureThreshold, 3);
        const seconds = interval * threshold + limits.ttlSeconds;
        if (!Number.isNaN(seconds) && !(seconds <= limits.maxFailoverSeconds)) {
            problems.push(`${where} fails over after ${seconds} s (${interval} s × ${threshold} failures + ${limits.ttlSeconds} s TTL): the environment allows ${limits.maxFailoverSeconds} s`);
        }
        const host = inputs.fqdn ?? inputs.ipAddress;
        return { problems, probes: [typeof host === "string" ? hostName(host) : notKnown], unsettled: false };
    }
    if (type !== "CALCULATED") return { problems, probes: [], unsettled: false };
    const childIds = knownStrings(inputs.childHealthchecks);
    const children = sources(check, "childHealthchecks", [healthCheckType]);
    const count = Math.max(childIds.strings.length, children.length);
    const required = inputs.childHealthThreshold;
    if (required !== notKnown && !childIds.unknown) {
        const needed = Number(required ?? 0);
        if (count === 0 || !(needed >= count)) problems.push(`${where} stays healthy while ${count - Math.max(needed, 0)} of its ${count} children fail (childHealthThreshold ${String(required ?? "unset")}): it must need every child healthy`);
        if (children.length < childIds.strings.length) problems.push(`${where} has children that are not health checks of this stack: the policy cannot see that they can fail`);
    }
    const subtrees = children.map((c) => judgeHealthCheck(c, limits, seen));
    return {
        problems: [...problems, ...subtrees.flatMap((t) => t.problems)],
        probes: subtrees.flatMap((t) => t.probes),
        unsettled: childIds.unknown || subtrees.some((t) => t.unsettled),
    };
}

/** The names a record answers with: its alias targets and its values. */
function recordTargets(inputs: Record<string, unknown>): string[] {
    return [...list(inputs.aliases).map((a) => a.name), ...knownStrings(inputs.records).strings].filter((n): n is string => typeof n === "string").map(hostName);
}

export const failoverHealth = stackPolicy({
    name: "keel-route53-failover-health",
    description: "The health check of every PRIMARY failover record can fail, in time: one of the stack's, enabled, not inverted, probing the PRIMARY's own endpoint (CALCULATED checks need every child healthy), failing over within the environment's maxFailoverSeconds; where required (production) the stack serves through a failover pair.",
    config: { maxFailoverSeconds: setting.integer(300), requireFailover: setting.flag(false) },
    check: function* ({ resources }, { maxFailoverSeconds, requireFailover }) {
        const primaries = resources
            .filter((r) => r.type === "aws:route53/record:Record")
            .filter((r) => String(object(list(inputsOf(r).failoverRoutingPolicies)[0]).type ?? "").toUpperCase() === "PRIMARY");
        if (requireFailover && primaries.length === 0) yield ["no Route 53 failover record (PRIMARY/SECONDARY): this environment serves from its DR region when the primary fails, through a failover pair"];
        for (const record of primaries) {
            const inputs = inputsOf(record);
            const id = inputs.healthCheckId;
            // A PRIMARY without a health check is keel-route53-failover's to report.
            if (id === undefined || id === null || id === "") continue;
            const where = `PRIMARY failover record "${record.name}" (${typeof inputs.name === "string" ? inputs.name : "name not known yet"})`;
            const checks = sources(record, "healthCheckId", [healthCheckType]);
            if (checks.length === 0) {
                yield [`${where} uses health check ${typeof id === "string" ? id : "(not known yet)"}, which is not one of this stack's: the policy cannot see that it can fail (Route 53 failover needs a health check that fails with the primary)`, record.urn];
                continue;
            }
            const ttlSeconds = list(inputs.aliases).length > 0 ? aliasTtlSeconds : typeof inputs.ttl === "number" ? inputs.ttl : 0;
            const trees = checks.map((c) => judgeHealthCheck(c, { maxFailoverSeconds, ttlSeconds }));
            for (const problem of trees.flatMap((t) => t.problems)) yield [`${where}: ${problem}`, record.urn];
            const probes = trees.flatMap((t) => t.probes);
            if (probes.length === 0 && !trees.some((t) => t.unsettled)) {
                yield [`${where}: its health check never probes the primary's endpoint (only CloudWatch alarms or routing controls, such as a latency alarm): nothing fails over when the primary stops answering`, record.urn];
                continue;
            }
            const targets = recordTargets(inputs);
            const knownProbes = probes.filter((p): p is string => p !== notKnown);
            if (targets.length > 0 && knownProbes.length === probes.length && !knownProbes.some((p) => targets.includes(p))) {
                yield [`${where}: its health check probes ${knownProbes.join(", ")}, not the endpoint the record answers with (${targets.join(", ")})`, record.urn];
            }
        }
    },
});

export const edgePolicies = [listenerTls, loadBalancerHardening, failoverRecords, failoverHealth];
