import type { PolicyResource } from "@pulumi/policy";
import { named } from "./network-graph";
import { setting, stackPolicy } from "./policy";
import { arnRegion, list, object, ofType, regionOf } from "./props";
import { dependsOn } from "./storage-helpers";
import { drawsOn, secretValueSources } from "./secrets";
import { secretMarker } from "../../offline-plan/record";

/**
 * The edge: CloudFront in front of the service, WAF on it, and load balancers that admit only
 * the edge (AWS FSBP CloudFront.1–.10, WAF.10; the security guide's SQL injection and scanners;
 * the emergency procedures' rate limits and blocked addresses).
 */

const distributionType = "aws:cloudfront/distribution:Distribution";
const webAclType = "aws:wafv2/webAcl:WebAcl";
const loadBalancerType = "aws:lb/loadBalancer:LoadBalancer";
const listenerType = "aws:lb/listener:Listener";
const listenerRuleType = "aws:lb/listenerRule:ListenerRule";
const ingressRuleType = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const groupRuleType = "aws:ec2/securityGroupRule:SecurityGroupRule";

/** TLS policies of CloudFront's viewers that take TLS 1.2 or later only (CloudFront Developer Guide, "Supported protocols and ciphers between viewers and CloudFront"). */
export const modernViewerPolicies = ["TLSv1.2_2021", "TLSv1.3_2025"];
const failoverMethods = ["GET", "HEAD", "OPTIONS"];

/**
 * A value kept secret: masked in the offline plan's record, or — under the engine, which hands
 * policies secrets decrypted — drawn from a generated password or a secret's version.
 */
const isSecret = (resource: PolicyResource, property: string, value: unknown) => value === secretMarker || drawsOn(resource, property, secretValueSources);

const behaviorsOf = (props: Record<string, unknown>) => [object(props.defaultCacheBehavior), ...list(props.orderedCacheBehaviors)];

/** Why a distribution does not serve TLS 1.2+ end to end, or sends the origins what they cannot check. */
function* distributionProblems(distribution: PolicyResource, headerName: string): Generator<string> {
    const where = named(distribution);
    const certificate = object(distribution.props.viewerCertificate);
    if (certificate.cloudfrontDefaultCertificate === true || typeof certificate.acmCertificateArn !== "string") {
        yield `${where} serves *.cloudfront.net's certificate, not an ACM certificate of the service's name (viewerCertificate.acmCertificateArn)`;
    }
    const certificateRegion = arnRegion(String(certificate.acmCertificateArn ?? ""), "acm");
    // ACM User Guide: "To use an ACM certificate with Amazon CloudFront, you must request or import the certificate in the US East (N. Virginia) region."
    if (certificateRegion !== undefined && certificateRegion !== "us-east-1") yield `${where} names a certificate of ${certificateRegion}: CloudFront takes certificates from us-east-1 only`;
    if (!modernViewerPolicies.includes(String(certificate.minimumProtocolVersion))) yield `${where} accepts viewers below TLS 1.2 (minimumProtocolVersion ${String(certificate.minimumProtocolVersion ?? "TLSv1, the default")})`;
    if (certificate.sslSupportMethod !== undefined && certificate.sslSupportMethod !== "sni-only") yield `${where} uses ${String(certificate.sslSupportMethod)} instead of sni-only (a dedicated-IP certificate costs $600 a month and adds nothing)`;
    for (const behavior of behaviorsOf(distribution.props)) {
        const path = String(behavior.pathPattern ?? "the default behavior");
        if (!["redirect-to-https", "https-only"].includes(String(behavior.viewerProtocolPolicy))) yield `${where} serves ${path} over plain HTTP (viewerProtocolPolicy ${String(behavior.viewerProtocolPolicy)})`;
    }
    const groups = list(distribution.props.originGroups).map((g) => String(g.originId));
    for (const behavior of behaviorsOf(distribution.props).filter((b) => groups.includes(String(b.targetOriginId)))) {
        const others = (Array.isArray(behavior.allowedMethods) ? behavior.allowedMethods : []).map(String).filter((m) => !failoverMethods.includes(m));
        // CloudFront: "AllowedMethods cannot include POST, PUT, PATCH, or DELETE for a cached behavior associated with an origin group".
        if (others.length > 0) yield `${where} sends ${others.join(", ")} of ${String(behavior.pathPattern ?? "the default behavior")} to an origin group: CloudFront refuses it (origin failover covers GET, HEAD and OPTIONS only)`;
    }
    for (const origin of list(distribution.props.origins)) {
        const id = String(origin.originId);
        const custom = object(origin.customOriginConfig);
        if (Object.keys(custom).length === 0) continue;
        if (custom.originProtocolPolicy !== "https-only") yield `${where} reaches origin ${id} over ${String(custom.originProtocolPolicy)}, not https-only`;
        const old = (Array.isArray(custom.originSslProtocols) ? custom.originSslProtocols : []).map(String).filter((p) => p !== "TLSv1.2");
        if (old.length > 0) yield `${where} offers origin ${id} ${old.join(", ")}: TLS 1.2 only`;
        const header = list(origin.customHeaders).find((h) => String(h.name).toLowerCase() === headerName.toLowerCase() && h.value !== undefined && h.value !== "");
        if (header === undefined) yield `${where} sends origin ${id} no ${headerName} header: its load balancer cannot tell the edge from anyone else`;
        else if (!isSecret(distribution, "origins", header.value)) yield `${where} sends origin ${id} a ${headerName} value in plain text: anyone who reads the code or the state can walk around the WAF (a generated secret)`;
    }
}

export const cloudFrontDistributions = stackPolicy({
    name: "keel-cloudfront",
    description: "CloudFront distributions serve the service's own certificate with TLS 1.2 or later, redirect HTTP to HTTPS, reach their origins over HTTPS (TLS 1.2) with the origin-verify header, attach a WAF web ACL of the stack, and fail over only what CloudFront can (GET, HEAD, OPTIONS); where required (production, staging), the stack has one.",
    config: { required: setting.flag(false), originHeader: setting.text("X-Origin-Verify") },
    check: function* ({ resources }, { required, originHeader }) {
        const distributions = ofType(resources, distributionType);
        if (required && distributions.length === 0) yield ["the stack has no CloudFront distribution: the service must be reached through the edge (WAF, origin lock)"];
        const webAcls = ofType(resources, webAclType);
        for (const distribution of distributions) {
            for (const problem of distributionProblems(distribution, originHeader)) yield [problem, distribution.urn];
            const acl = distribution.props.webAclId;
            const attached = webAcls.some((w) => w.props.scope === "CLOUDFRONT" && dependsOn(distribution, w));
            if (typeof acl !== "string" || acl === "" || !attached) yield [`${named(distribution)} has no WAF web ACL of this stack (webAclId, a CLOUDFRONT-scope WAFv2 ACL)`, distribution.urn];
        }
    },
});

const guideManagedGroups = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet"];

/** Why a web ACL does not do what the security guide and the emergency procedures ask of the edge. */
function* webAclProblems(acl: PolicyResource, requiredGroups: readonly string[], maxRateLimit: number): Generator<string> {
    const where = named(acl);
    const rules = list(acl.props.rules);
    for (const group of requiredGroups) {
        const rule = rules.find((r) => object(object(r.statement).managedRuleGroupStatement).name === group && object(object(r.statement).managedRuleGroupStatement).vendorName === "AWS");
        if (rule === undefined) yield `${where} does not run AWS's ${group}`;
        else if (object(rule.overrideAction).count !== undefined) yield `${where} only counts what ${group} matches (overrideAction count): it blocks nothing`;
        else if (list(object(object(rule.statement).managedRuleGroupStatement).ruleActionOverrides).some((o) => object(o.actionToUse).count !== undefined)) {
            yield `${where} counts some of ${group}'s rules instead of blocking them (ruleActionOverrides)`;
        }
    }
    const blocks = (rule: Record<string, unknown>) => object(rule.action).block !== undefined;
    const rate = rules.filter((r) => Object.keys(object(object(r.statement).rateBasedStatement)).length > 0 && blocks(r));
    const limits = rate.map((r) => Number(object(object(r.statement).rateBasedStatement).limit)).filter(Number.isFinite);
    if (limits.length === 0) yield `${where} has no per-IP rate limit that blocks (a rate-based rule)`;
    else if (Math.min(...limits) > maxRateLimit) yield `${where} limits a client to ${Math.min(...limits)} requests per window, above the ${maxRateLimit} the environment allows`;
    if (!rules.some((r) => Object.keys(object(object(r.statement).ipSetReferenceStatement)).length > 0 && blocks(r))) yield `${where} has no rule blocking the IP block list (an IP set reference with action block)`;
    if (object(acl.props.defaultAction).allow === undefined && object(acl.props.defaultAction).block === undefined) yield `${where} has no default action`;
}

export const webAcls = stackPolicy({
    name: "keel-waf",
    description: "WAF web ACLs block what AWS's managed rule groups match (common, known bad inputs, SQL injection; not merely counted), limit each client IP with a blocking rate-based rule no looser than the environment allows, and block an IP set (the emergency block list).",
    config: { managedRuleGroups: setting.strings(guideManagedGroups), maxRateLimit: setting.integer(2000) },
    check: function* ({ resources }, { managedRuleGroups, maxRateLimit }) {
        for (const acl of ofType(resources, webAclType)) {
            for (const problem of webAclProblems(acl, managedRuleGroups, maxRateLimit)) yield [problem, acl.urn];
            // WAF: CLOUDFRONT-scope resources are created through us-east-1's endpoint.
            const region = regionOf(acl);
            if (acl.props.scope === "CLOUDFRONT" && region !== undefined && region !== "us-east-1") yield [`${named(acl)} is a CLOUDFRONT web ACL in ${region}: WAF creates those in us-east-1 only`, acl.urn];
        }
    },
});

/** Ingress that comes from an address range rather than a prefix list or a security group. */
const fromAddresses = (rule: PolicyResource) =>
    [rule.props.cidrIpv4, rule.props.cidrIpv6, ...(Array.isArray(rule.props.cidrBlocks) ? rule.props.cidrBlocks : []), ...(Array.isArray(rule.props.ipv6CidrBlocks) ? rule.props.ipv6CidrBlocks : [])]
        .filter((c): c is string => typeof c === "string" && c !== "");

export const edgeOriginLock = stackPolicy({
    name: "keel-edge-origin-lock",
    description: "Where the stack serves through CloudFront, its internet-facing load balancers admit no address range (only managed prefix lists — CloudFront's, Route 53's health checkers — and security groups), and their HTTPS listeners forward nothing by default: only requests with the origin-verify header (and the health-check path) pass. Otherwise the WAF could be walked around.",
    config: { originHeader: setting.text("X-Origin-Verify") },
    check: function* ({ resources }, { originHeader }) {
        if (ofType(resources, distributionType).length === 0) return;
        const rules = [...ofType(resources, ingressRuleType), ...ofType(resources, groupRuleType).filter((r) => r.props.type === "ingress")];
        const listeners = ofType(resources, listenerType);
        const listenerRules = ofType(resources, listenerRuleType);
        for (const balancer of ofType(resources, loadBalancerType).filter((b) => b.props.internal !== true && (b.props.loadBalancerType ?? "application") === "application")) {
            const groups = (Array.isArray(balancer.props.securityGroups) ? balancer.props.securityGroups : []).map(String);
            for (const rule of rules.filter((r) => groups.includes(String(r.props.securityGroupId)))) {
                const ranges = fromAddresses(rule);
                if (ranges.length > 0) yield [`${named(rule)} admits ${ranges.join(", ")} to ${named(balancer)}, which serves through CloudFront: requests could walk around the WAF (admit CloudFront's origin-facing prefix list instead)`, rule.urn];
            }
            for (const listener of listeners.filter((l) => dependsOn(l, balancer) && l.props.protocol === "HTTPS")) {
                if (list(listener.props.defaultActions).some((a) => a.type === "forward")) yield [`${named(listener)} forwards every request by default: behind CloudFront only requests with ${originHeader} may reach the instances`, listener.urn];
                const verifying = listenerRules.filter((r) => dependsOn(r, listener) && list(r.props.conditions).some((c) => String(object(c.httpHeader).httpHeaderName).toLowerCase() === originHeader.toLowerCase()));
                if (verifying.length === 0) yield [`${named(listener)} has no rule forwarding requests that carry ${originHeader}: CloudFront's requests would be refused`, listener.urn];
                for (const rule of verifying) {
                    const values = list(rule.props.conditions).flatMap((c) => (Array.isArray(object(c.httpHeader).values) ? (object(c.httpHeader).values as unknown[]) : []));
                    if (values.some((v) => !isSecret(rule, "conditions", v))) yield [`${named(rule)} compares ${originHeader} with a value in plain text: anyone who reads the code or the state can walk around the WAF (a generated secret)`, rule.urn];
                }
            }
        }
    },
});

export const cdnPolicies = [cloudFrontDistributions, webAcls, edgeOriginLock];
