import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { problem, type Problem } from "../problems";
import { ipv4BlockProblems } from "../traffic/settings";

/**
 * The pure rules of the edge: CloudFront and WAF settings with their defaults, what CloudFront,
 * WAF and the Terraform AWS provider would refuse (each rule cited), and the WAF rules.
 */

/** AWS-managed CloudFront policies (CloudFront Developer Guide, "Use managed cache policies", "Use managed origin request policies"). */
export const managedPolicies = {
    /** CachingDisabled: the application's responses pass through uncached (dynamic pages, API). */
    cachingDisabled: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    /** CachingOptimized: static files, cached by path (and compressed). */
    cachingOptimized: "658327ea-f89d-4fab-a63d-7e88639e58f6",
    /**
     * AllViewer: every header, cookie and query string to the origin — the Host header too, so
     * the load balancer's certificate (the service's name) matches what CloudFront asks for.
     */
    allViewer: "216adef6-5c7f-47e4-b989-5492eafa07d3",
} as const;

/** CloudFront's hosted zone for alias records (Route 53 API reference, AliasTarget). */
export const cloudFrontZoneId = "Z2FDTNDATAQYW2";

/** The AWS-managed prefix list of CloudFront's origin-facing addresses (it counts as 55 rules in a security group). */
export const cloudFrontOriginFacingPrefixList = "com.amazonaws.global.cloudfront.origin-facing";

/** The AWS-managed prefix list of Route 53's health checkers in a region (Route 53 Developer Guide, "IP address ranges of Amazon Route 53 servers"). */
export const healthCheckerPrefixList = (region: string) => `com.amazonaws.${region}.route53-healthchecks`;

/** The header CloudFront adds to every origin request; load balancers forward only requests that carry its secret value. */
export const originVerifyHeader = "X-Origin-Verify";

/** The AWS managed rule groups the security guide asks for: common exploits, known bad inputs (scanners, Log4j), SQL injection. */
export const managedRuleGroups = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet"] as const;

/** HTTP methods an origin group serves: CloudFront fails over only GET, HEAD and OPTIONS, and refuses an origin group behind a behavior allowing others. */
export const failoverMethods = ["GET", "HEAD", "OPTIONS"] as const;
/** Origin responses that send a GET to the other region (CloudFront accepts 400, 403, 404, 416, 500, 502, 503, 504). */
export const failoverStatusCodes = [500, 502, 503, 504] as const;

export type PriceClass = "PriceClass_100" | "PriceClass_200" | "PriceClass_All";

/** What an EdgeDistribution runs, with the defaults applied. */
export interface EdgeSettings {
    /**
     * Requests one client IP may make in `rateWindowSeconds` before WAF blocks it (a rate-based
     * rule; WAF: 10 to 2,000,000,000). Default 2000 per 5 minutes. The emergency procedure
     * ("tighten rate limits") lowers it.
     */
    readonly rateLimit: number;
    /** WAF's evaluation window of the rate rule: 60, 120, 300 or 600 seconds. Default 300. */
    readonly rateWindowSeconds: 60 | 120 | 300 | 600;
    /** IPv4 networks refused at the edge (WAF IP set, at most 10,000). Default none. */
    readonly blockedIpv4Cidrs: readonly string[];
    /** Path patterns of static files: cached at the edge and served from either region (GET, HEAD, OPTIONS). Default `/static/*`. */
    readonly staticPaths: readonly string[];
    /** Edge locations served from. Default PriceClass_100 (North America and Europe). */
    readonly priceClass: PriceClass;
}

export const edgeDefaults: EdgeSettings = {
    rateLimit: 2000,
    rateWindowSeconds: 300,
    blockedIpv4Cidrs: [],
    staticPaths: ["/static/*"],
    priceClass: "PriceClass_100",
};

/** What WAF, CloudFront or the provider would refuse, at the settings' paths. */
export function edgeSettingsProblems(s: EdgeSettings): Problem[] {
    return [
        // wafv2 rate_based_statement.limit: IntBetween(10, 2000000000).
        ...(Number.isInteger(s.rateLimit) && s.rateLimit >= 10 && s.rateLimit <= 2_000_000_000 ? [] : [problem("rateLimit", "expected a whole number of requests from 10 to 2000000000 (WAF's rate-based rule)")]),
        // evaluation_window_sec: IntInSlice(60, 120, 300, 600).
        ...([60, 120, 300, 600].includes(s.rateWindowSeconds) ? [] : [problem("rateWindowSeconds", "expected 60, 120, 300 or 600 (WAF's evaluation windows)")]),
        // wafv2 ip_set addresses: MaxItems 10000; WAF takes CIDRs only.
        ...(s.blockedIpv4Cidrs.length <= 10_000 ? [] : [problem("blockedIpv4Cidrs", "expected at most 10000 networks (a WAF IP set's limit)")]),
        // WAF takes networks by their address, /32 for one address, never /0 (AWS WAF Developer Guide, IP sets).
        ...ipv4BlockProblems(s.blockedIpv4Cidrs, ["blockedIpv4Cidrs"]),
        ...s.blockedIpv4Cidrs.flatMap((cidr, i) => (cidr.endsWith("/0") ? [problem(["blockedIpv4Cidrs", i], "expected a network narrower than /0 (WAF refuses /0: block everything by turning the service off)")] : [])),
        ...(new Set(s.blockedIpv4Cidrs).size === s.blockedIpv4Cidrs.length ? [] : [problem("blockedIpv4Cidrs", "expected each network once (WAF refuses duplicates in an IP set)")]),
        // CloudFront path patterns: up to 255 characters of a-z A-Z 0-9 _ - . * $ / ~ " ' @ : +, and & passed as &amp;.
        ...s.staticPaths.flatMap((path, i) => (/^\/[A-Za-z0-9_\-.*$/~"'@:+]{0,254}$/.test(path) && path !== "/*" && path !== "*"
            ? []
            : [problem(["staticPaths", i], "expected a CloudFront path pattern under / such as /static/* (not every path: the application's own pages are never cached)")])),
        ...(new Set(s.staticPaths).size === s.staticPaths.length ? [] : [problem("staticPaths", "expected each path pattern once (CloudFront refuses duplicate behaviors)")]),
        ...(["PriceClass_100", "PriceClass_200", "PriceClass_All"].includes(s.priceClass) ? [] : [problem("priceClass", "expected PriceClass_100, PriceClass_200 or PriceClass_All")]),
    ];
}

const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });

/**
 * The web ACL's rules, in WAF's order: the block list first (nothing else spends capacity on a
 * blocked address), then the per-IP rate limit, then the managed groups with their own actions
 * (`overrideAction: none`: a `count` override would only watch).
 */
export function webAclRules(s: EdgeSettings, ipSetArn: pulumi.Input<string>): aws.types.input.wafv2.WebAclRule[] {
    return [
        {
            name: "blocked-addresses",
            priority: 0,
            action: { block: {} },
            statement: { ipSetReferenceStatement: { arn: ipSetArn } },
            visibilityConfig: visibility("blocked-addresses"),
        },
        {
            name: "rate-limit",
            priority: 1,
            action: { block: {} },
            statement: { rateBasedStatement: { limit: s.rateLimit, evaluationWindowSec: s.rateWindowSeconds, aggregateKeyType: "IP" } },
            visibilityConfig: visibility("rate-limit"),
        },
        ...managedRuleGroups.map((group, i) => ({
            name: group,
            priority: 10 + i,
            overrideAction: { none: {} },
            statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
            visibilityConfig: visibility(group),
        })),
    ];
}
