import { describe } from "node:test";
import type { Policies } from "@pulumi/policy";
import { cdnPolicies } from "../policies/rules/cdn";
import { edgePolicies } from "../policies/rules/edge";
import { networkPolicies } from "../policies/rules/network";
import { secretPolicies } from "../policies/rules/secrets";
import type { PlanResource } from "../offline-plan/record";
import { added, inputs, named, redTeam, remove, type Attack } from "./red-team";

/** Bad changes to the edge and the origin lock: each must be refused by the policy it names. */

const policies: Policies = [...cdnPolicies, ...edgePolicies, ...networkPolicies, ...secretPolicies];
type Values = Record<string, unknown>;
const distribution = (rs: PlanResource[]) => inputs(named(rs, "Distribution", "edge"));
const acl = (rs: PlanResource[]) => inputs(named(rs, "WebAcl", "edge"));
const aclRules = (rs: PlanResource[]) => acl(rs).rules as Values[];
const managed = (rs: PlanResource[], group: string) => aclRules(rs).find((r) => ((r.statement as Values).managedRuleGroupStatement as Values | undefined)?.name === group) as Values;

const edgeAttacks = (balancer: string): Attack[] => [
    // ---- viewers ----
    ["viewers allowed TLS 1.0", "keel-cloudfront", (rs) => { (distribution(rs).viewerCertificate as Values).minimumProtocolVersion = "TLSv1"; }],
    ["a certificate of another region", "keel-cloudfront", (rs) => { (distribution(rs).viewerCertificate as Values).acmCertificateArn = "arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"; }],
    ["CloudFront's default certificate instead of the service's", "keel-cloudfront", (rs) => { distribution(rs).viewerCertificate = { cloudfrontDefaultCertificate: true }; }],
    ["the application served over plain HTTP", "keel-cloudfront", (rs) => { (distribution(rs).defaultCacheBehavior as Values).viewerProtocolPolicy = "allow-all"; }],
    // ---- origins ----
    ["the origin reached over HTTP", "keel-cloudfront", (rs) => { ((distribution(rs).origins as Values[])[0].customOriginConfig as Values).originProtocolPolicy = "http-only"; }],
    ["the origin offered TLS 1.0", "keel-cloudfront", (rs) => { ((distribution(rs).origins as Values[])[0].customOriginConfig as Values).originSslProtocols = ["TLSv1", "TLSv1.2"]; }],
    ["the origin-verify header dropped", "keel-cloudfront", (rs) => { (distribution(rs).origins as Values[])[0].customHeaders = []; }],
    ["a literal origin-verify value sent by CloudFront", "keel-cloudfront", (rs) => { ((distribution(rs).origins as Values[])[0].customHeaders as Values[])[0].value = "letmein"; }],
    ["a literal origin-verify value required by the load balancer", "keel-edge-origin-lock", (rs) => {
        ((inputs(named(rs, "ListenerRule", `${balancer}-from-edge`)).conditions as Values[])[0].httpHeader as Values).values = ["letmein"];
    }],
    // ---- WAF ----
    ["the web ACL detached", "keel-cloudfront", (rs) => { delete distribution(rs).webAclId; }],
    ["the web ACL removed", "keel-cloudfront", (rs) => remove(rs, (r) => r.type === "aws:wafv2/webAcl:WebAcl")],
    ["SQL injection rules only counted", "keel-waf", (rs) => { managed(rs, "AWSManagedRulesSQLiRuleSet").overrideAction = { count: {} }; }],
    ["the known-bad-inputs group removed", "keel-waf", (rs) => { acl(rs).rules = aclRules(rs).filter((r) => r !== managed(rs, "AWSManagedRulesKnownBadInputsRuleSet")); }],
    ["the common rule set's rules overridden to count", "keel-waf", (rs) => {
        ((managed(rs, "AWSManagedRulesCommonRuleSet").statement as Values).managedRuleGroupStatement as Values).ruleActionOverrides = [{ name: "SizeRestrictions_BODY", actionToUse: { count: {} } }];
    }],
    ["the rate limit raised to a million", "keel-waf", (rs) => { (((aclRules(rs)[1].statement as Values).rateBasedStatement) as Values).limit = 1_000_000; }],
    ["the rate limit only counting", "keel-waf", (rs) => { aclRules(rs)[1].action = { count: {} }; }],
    ["the block list only counting", "keel-waf", (rs) => { aclRules(rs)[0].action = { count: {} }; }],
    // ---- the origin lock ----
    ["the load balancer reopened to the internet on 443 beside CloudFront", "keel-edge-origin-lock", (rs) => {
        const like = named(rs, "SecurityGroupIngressRule", `${balancer}-alb-cloudfront`);
        rs.push(added(like, like.type, `${balancer}-alb-anywhere`, { ...inputs(like), prefixListId: undefined, cidrIpv4: "0.0.0.0/0" }));
    }],
    ["the load balancer forwarding everything by default", "keel-edge-origin-lock", (rs) => {
        const listener = named(rs, "Listener", `${balancer}-https`);
        inputs(listener).defaultActions = [{ type: "forward", targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0" }];
    }],
    ["the origin-verify rule removed", "keel-edge-origin-lock", (rs) => remove(rs, (r) => r.type === "aws:lb/listenerRule:ListenerRule" && r.name === `${balancer}-from-edge`)],
];

const production: Attack[] = [
    ...edgeAttacks("app"),
    ["POST failing over to the other region (an origin group behind every method)", "keel-cloudfront", (rs) => { (distribution(rs).defaultCacheBehavior as Values).targetOriginId = "regions"; }],
    ["the DR load balancer reopened to the internet", "keel-edge-origin-lock", (rs) => {
        Object.assign(inputs(named(rs, "SecurityGroupIngressRule", "app-dr-alb-healthchecks")), { prefixListId: undefined, cidrIpv4: "0.0.0.0/0" });
    }],
    ["the distribution removed", "keel-cloudfront", (rs) => remove(rs, (r) => r.type === "aws:cloudfront/distribution:Distribution")],
];

describe("red team: the edge in the production plan", () => redTeam("the clean production plan passes", policies, "production", [], production));
describe("red team: the edge in production's DR mode", () => redTeam("the clean DR-mode plan passes", policies, "production", ["keel:dr.active=true"], [
    ["the DR load balancer forwarding everything while it serves", "keel-edge-origin-lock", (rs) => {
        inputs(named(rs, "Listener", "app-dr-https")).defaultActions = [{ type: "forward", targetGroupArn: "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/app-dr/0" }];
    }],
]));
describe("red team: the edge in the staging plan", () => redTeam("the clean staging plan passes", policies, "staging", [], [
    ...edgeAttacks("app"),
    ["the distribution removed", "keel-cloudfront", (rs) => remove(rs, (r) => r.type === "aws:cloudfront/distribution:Distribution")],
]));
