import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { list, object } from "./props";

/** Load balancer and Route53 rules (AWS FSBP ELB.1/4/5/6, Checkov CKV_AWS_2/103/131). */

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


export const listenerTls: ResourceValidationPolicy = {
    name: "keel-alb-https-only",
    description: "Load balancer listeners serve HTTPS with a modern TLS policy; plain HTTP listeners only redirect to HTTPS.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { allowedSslPolicies: { type: "array", items: { type: "string" }, default: modernTlsPolicies } } },
    validateResource: (args, reportViolation) => {
        if (args.type !== "aws:lb/listener:Listener") return;
        const { allowedSslPolicies = modernTlsPolicies } = args.getConfig<{ allowedSslPolicies?: string[] }>();
        const protocol = args.props.protocol;
        // Network load balancer listeners (TCP/UDP) carry no HTTP to redirect; a listener without
        // a protocol is an application load balancer's default, HTTP.
        if (["TCP", "UDP", "TCP_UDP", "GENEVE"].includes(String(protocol))) return;
        if (protocol === "HTTPS" || protocol === "TLS") {
            if (!allowedSslPolicies.includes(String(args.props.sslPolicy))) reportViolation(`Listener "${args.name}" uses TLS policy ${String(args.props.sslPolicy ?? "(the default)")}, not a modern one`);
            return;
        }
        const actions = list(args.props.defaultActions);
        const redirectsOnly = actions.length > 0 && actions.every((a) => a.type === "redirect" && object(a.redirect).protocol === "HTTPS");
        if (!redirectsOnly) reportViolation(`Listener "${args.name}" serves plain ${String(protocol ?? "HTTP")} instead of redirecting to HTTPS`);
    },
};

export const loadBalancerHardening: ResourceValidationPolicy = {
    name: "keel-alb-hardening",
    description: "Application load balancers drop invalid header fields; where required (production) they have deletion protection and access logs.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { requireDeletionProtectionAndLogs: { type: "boolean", default: false } } },
    validateResource: (args, reportViolation) => {
        if (args.type !== "aws:lb/loadBalancer:LoadBalancer" || (args.props.loadBalancerType ?? "application") !== "application") return;
        if (args.props.dropInvalidHeaderFields !== true) reportViolation(`LoadBalancer "${args.name}" does not drop invalid header fields`);
        if (!args.getConfig<{ requireDeletionProtectionAndLogs?: boolean }>().requireDeletionProtectionAndLogs) return;
        if (args.props.enableDeletionProtection !== true) reportViolation(`LoadBalancer "${args.name}" has no deletion protection`);
        if (object(args.props.accessLogs).enabled !== true) reportViolation(`LoadBalancer "${args.name}" writes no access logs`);
    },
};

export const failoverRecords: StackValidationPolicy = {
    name: "keel-route53-failover",
    description: "Route53 failover records come in complete PRIMARY/SECONDARY pairs with unique set identifiers, and every PRIMARY has a health check.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { enabled: { type: "boolean", default: true } } },
    validateStack: (args, reportViolation) => {
        if (args.getConfig<{ enabled?: boolean }>().enabled === false) return;
        const failover = args.resources
            .filter((r) => r.type === "aws:route53/record:Record")
            .map((r) => ({ r, role: String(object(list(r.props.failoverRoutingPolicies)[0]).type ?? ""), key: `${String(r.props.zoneId)}|${String(r.props.name)}|${String(r.props.type)}` }))
            .filter((x) => x.role !== "");
        const byName = new Map<string, typeof failover>();
        for (const entry of failover) byName.set(entry.key, [...(byName.get(entry.key) ?? []), entry]);
        for (const entries of byName.values()) {
            const name = String(entries[0].r.props.name);
            const roles = entries.map((e) => e.role).sort();
            if (roles.join() !== "PRIMARY,SECONDARY") reportViolation(`failover record ${name} has ${roles.join(" and ")}: exactly one PRIMARY and one SECONDARY are required`, entries[0].r.urn);
            const identifiers = entries.map((e) => e.r.props.setIdentifier);
            if (new Set(identifiers).size !== identifiers.length || identifiers.some((i) => typeof i !== "string" || i === "")) reportViolation(`failover record ${name} needs a unique set identifier per record`, entries[0].r.urn);
            for (const primary of entries.filter((e) => e.role === "PRIMARY")) {
                if (typeof primary.r.props.healthCheckId !== "string" || primary.r.props.healthCheckId === "") reportViolation(`PRIMARY failover record ${name} has no health check`, primary.r.urn);
            }
        }
    },
};

export const edgePolicies = [listenerTls, loadBalancerHardening, failoverRecords];
