import { problem, type Problem } from "../problems";
/**
 * Pure rules of Route 53 failover: the health-check settings Route 53 accepts and the time
 * they give between a dead primary and clients reaching the secondary.
 */

/**
 * The TTL of an alias record to a load balancer. Route 53 takes an alias record's TTL from its
 * target and it cannot be set; Elastic Load Balancing's DNS entries have a 60 s TTL.
 */
export const loadBalancerAliasTtlSeconds = 60;

/** The regions Route 53 runs health checkers in (HealthCheckConfig.Regions accepts only these). */
export const route53CheckerRegions = [
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
] as const;
export type CheckerRegion = (typeof route53CheckerRegions)[number];

/** Checkers on both US coasts and in Europe, so no single region's checkers decide alone. */
export const defaultCheckerRegions: readonly CheckerRegion[] = ["us-east-1", "us-west-1", "us-west-2", "eu-west-1"];

/** The guides' fast detection of a dead primary: a check every 10 s, unhealthy after 3 failures. */
export const guideEndpointCheck: Pick<EndpointCheckSettings, "requestIntervalSeconds" | "failureThreshold"> = { requestIntervalSeconds: 10, failureThreshold: 3 };

export interface EndpointCheckSettings {
    /** Seconds between one checker's requests: Route 53 accepts 10 (fast) or 30, fixed at creation. */
    readonly requestIntervalSeconds: number;
    /** Consecutive failures (or successes) that change the status, 1–10. */
    readonly failureThreshold: number;
    /** At least three checker regions. */
    readonly regions: readonly string[];
}

export function endpointCheckProblems(s: EndpointCheckSettings): Problem[] {
    const unknown = s.regions.filter((r) => !(route53CheckerRegions as readonly string[]).includes(r));
    return [
        ...(s.requestIntervalSeconds === 10 || s.requestIntervalSeconds === 30 ? [] : [problem("requestIntervalSeconds", "expected 10 or 30 (the intervals Route 53 accepts)")]),
        ...(Number.isInteger(s.failureThreshold) && s.failureThreshold >= 1 && s.failureThreshold <= 10 ? [] : [problem("failureThreshold", "expected a whole number from 1 to 10")]),
        ...(new Set(s.regions).size >= 3 ? [] : [problem("regions", "expected at least 3 distinct checker regions")]),
        ...(unknown.length === 0 ? [] : [problem("regions", `expected Route 53 checker regions (${route53CheckerRegions.join(", ")}); ${unknown.join(", ")} have none`)]),
    ];
}

/**
 * Worst-case seconds from the primary failing to every client resolving the secondary: the
 * checkers need `failureThreshold` failed requests `requestIntervalSeconds` apart to call the
 * endpoint unhealthy, then resolvers may hold the old answer for the record's TTL.
 */
export function failoverSeconds(s: Pick<EndpointCheckSettings, "requestIntervalSeconds" | "failureThreshold">, ttlSeconds = loadBalancerAliasTtlSeconds): number {
    return s.requestIntervalSeconds * s.failureThreshold + ttlSeconds;
}
