/**
 * Pure rules of the traffic components: what AWS (or plain sense) refuses in capacity,
 * scaling and instance settings, and how the guides' scaling figures become EC2 Auto Scaling
 * settings. Components run these before `super(...)`, so bad input registers nothing.
 */

import { isIpv4Cidr, networkCidr } from "../network/subnets";
import { problem, type Problem } from "../problems";
import type { HostedZoneArgs } from "./hosted-zone";

const isWhole = (n: number, min: number, max = Number.MAX_SAFE_INTEGER) => Number.isInteger(n) && n >= min && n <= max;

export interface Capacity {
    readonly minSize: number;
    readonly maxSize: number;
}

/** What an Auto Scaling group refuses in a capacity. */
export function capacityProblems({ minSize, maxSize }: Capacity): Problem[] {
    return [
        ...(isWhole(minSize, 0) ? [] : [problem("minSize", "expected a whole number of at least 0")]),
        ...(isWhole(maxSize, 1) ? [] : [problem("maxSize", "expected a whole number of at least 1")]),
        ...(minSize > maxSize ? [problem("minSize", `expected at most the maximum size (${maxSize})`)] : []),
    ];
}

/**
 * How the group scales. EC2 target tracking has no cooldowns: the guides' 300 s scale-up
 * cooldown is the group's default instance warmup, and the 600 s scale-down cooldown is the
 * scale-in policy's cooldown and the time low load must last before it acts (docs/traffic.md).
 */
export interface ScalingSettings {
    /** Target of average CPU across the group, percent. Guides: 70. */
    readonly cpuTargetPercent: number;
    /** Target of average memory used (CloudWatch agent `mem_used_percent`), percent. Guides: 80. */
    readonly memoryTargetPercent: number;
    /** Target of ALB requests per target per minute; unset: no request-count policy. */
    readonly requestsPerTarget?: number;
    /** Seconds a new instance's metrics are left out of the group's (the scale-up cooldown). Guides: 300. */
    readonly instanceWarmupSeconds: number;
    /** Seconds of sustained low load before one instance is removed, and between removals. Guides: 600. */
    readonly scaleInCooldownSeconds: number;
}

/** The guides' application: it listens on APP_PORT=3000 and answers `/health`; its servers have 100 GB SSD. */
export const guideApplication: Readonly<{ port: number; healthCheckPath: string; rootVolumeGb: number }> = { port: 3000, healthCheckPath: "/health", rootVolumeGb: 100 };

/** Canonical's parameter for the current Ubuntu 22.04 LTS amd64 AMI (the guides run Ubuntu 22.04). */
export const ubuntu2204AmiParameter = "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id";

/** The guides' figures: CPU 70 %, memory 80 %, scale-up cooldown 300 s, scale-down 600 s. */
export const guideScaling: ScalingSettings = {
    cpuTargetPercent: 70,
    memoryTargetPercent: 80,
    instanceWarmupSeconds: 300,
    scaleInCooldownSeconds: 600,
};

/** CloudWatch evaluates standard-resolution alarms over 60 s periods, for at most a day in all. */
export const alarmPeriodSeconds = 60;
const maxAlarmEvaluationSeconds = 86_400;

/** What target tracking and the scale-in alarm refuse in scaling settings. */
export function scalingProblems(s: ScalingSettings): Problem[] {
    const percent = (value: number, key: string) => (value > 0 && value < 100 ? [] : [problem(key, "expected above 0 and below 100")]);
    return [
        ...percent(s.cpuTargetPercent, "cpuTargetPercent"),
        ...percent(s.memoryTargetPercent, "memoryTargetPercent"),
        ...(s.requestsPerTarget === undefined || s.requestsPerTarget > 0 ? [] : [problem("requestsPerTarget", "expected above 0 when set")]),
        // EC2 Auto Scaling takes 0–3600; the AWS provider sends default_instance_warmup only when non-zero (d.GetOk), so 0 would leave it unset.
        ...(isWhole(s.instanceWarmupSeconds, 1, 3600) ? [] : [problem("instanceWarmupSeconds", "expected a whole number from 1 to 3600 (the AWS provider leaves a warmup of 0 unset)")]),
        ...(isWhole(s.scaleInCooldownSeconds, alarmPeriodSeconds, maxAlarmEvaluationSeconds) && s.scaleInCooldownSeconds % alarmPeriodSeconds === 0
            ? []
            : [problem("scaleInCooldownSeconds", `expected a multiple of ${alarmPeriodSeconds} from ${alarmPeriodSeconds} to ${maxAlarmEvaluationSeconds} (whole CloudWatch alarm periods)`)]),
    ];
}

/**
 * Scale in only while every scaling metric is under half its target. With N ≥ 2 instances,
 * removing one raises the per-instance load by N/(N−1) ≤ 2, so load under half the target
 * stays under the target afterwards and the scale-out policies are not woken again.
 */
export const scaleInBelowPercentOfTarget = 50;

/** The per-minute data points the scale-in alarm needs below its threshold before it acts. */
export function scaleInEvaluationPeriods(s: Pick<ScalingSettings, "scaleInCooldownSeconds">): number {
    return s.scaleInCooldownSeconds / alarmPeriodSeconds;
}

/** Spot capacity (outside production): the instance types to draw from and the on-demand floor. */
export interface SpotCapacity {
    /** Instance types equivalent to the launch template's, tried in addition to it. */
    readonly alternativeInstanceTypes: readonly string[];
    /** Instances always on demand before any spot capacity. */
    readonly onDemandBaseCapacity: number;
}

/** A mixed instances policy names at most 40 instance types (LaunchTemplateOverrides, EC2 Auto Scaling API Reference). */
export const maxInstanceTypes = 40;

/** Paths under `spot`; `instanceType` is the launch template's, which the group always draws from too. */
export function spotProblems(spot: SpotCapacity, capacity: Capacity & { readonly instanceType: string }): Problem[] {
    const types = spot.alternativeInstanceTypes;
    return [
        ...(types.length > 0 ? [] : [problem(["spot", "alternativeInstanceTypes"], "expected at least one alternative instance type (spot pools run dry one type at a time)")]),
        ...(new Set([capacity.instanceType, ...types]).size === types.length + 1 ? [] : [problem(["spot", "alternativeInstanceTypes"], `expected instance types other than instanceType (${capacity.instanceType}), each once`)]),
        ...(types.length + 1 <= maxInstanceTypes ? [] : [problem(["spot", "alternativeInstanceTypes"], `expected at most ${maxInstanceTypes - 1} alternatives (EC2 Auto Scaling takes ${maxInstanceTypes} instance types with the launch template's)`)]),
        ...(isWhole(spot.onDemandBaseCapacity, 0, capacity.maxSize) ? [] : [problem(["spot", "onDemandBaseCapacity"], `expected a whole number from 0 to maxSize (${capacity.maxSize})`)]),
    ];
}

export function portProblems(port: number, path: readonly (string | number)[]): Problem[] {
    return isWhole(port, 1, 65_535) ? [] : [problem(path, "expected a TCP port (1–65535)")];
}

/**
 * Printable ASCII without spaces, from a leading slash, at most `maxLength` characters: what a
 * health check requests. The AWS provider caps a target group's path at 1024 characters and a
 * Route 53 health check's resource path at 255 (StringLenBetween).
 */
export function urlPathProblems(urlPath: string, path: readonly (string | number)[], maxLength: number): Problem[] {
    return /^\/[\x21-\x7e]*$/.test(urlPath) && urlPath.length <= maxLength ? [] : [problem(path, `expected an absolute URL path such as /health, at most ${maxLength} characters`)];
}

/**
 * IPv4 blocks written by their network address (10.0.0.0/16, not 10.0.0.5/16 or a bare address):
 * what a security group rule's `cidr_ipv4` takes (terraform-provider-aws IPv4CIDRNetworkAddress).
 */
export function ipv4BlockProblems(cidrs: readonly string[], path: readonly (string | number)[]): Problem[] {
    const isNetworkAddress = (cidr: string) => isIpv4Cidr(cidr) && networkCidr(cidr) === cidr;
    return cidrs.flatMap((cidr, i) => (isNetworkAddress(cidr) ? [] : [problem([...path, i], "expected an IPv4 CIDR block by its network address, such as 10.1.0.0/16")]));
}

/** The longest path a load balancer target group's health check takes (terraform-provider-aws elbv2 `health_check.path`). */
export const targetGroupHealthCheckPathLength = 1024;
/** The longest resource path a Route 53 health check takes (terraform-provider-aws route53 `resource_path`). */
export const route53HealthCheckPathLength = 255;

/**
 * How an instance refresh (a rolling deploy) replaces instances, as percentages of the desired
 * capacity: at least `minHealthyPercentage` stays in service and healthy, at most
 * `maxHealthyPercentage` is in service or pending.
 */
export interface InstanceRefreshCapacity {
    readonly minHealthyPercentage: number;
    readonly maxHealthyPercentage: number;
}

/**
 * Launch before terminating: nothing running is terminated until its replacement is in service
 * and warm (100 %), and up to a full second set of instances may launch at once (200 %).
 */
export const launchBeforeTerminating: InstanceRefreshCapacity = { minHealthyPercentage: 100, maxHealthyPercentage: 200 };

/**
 * What EC2 Auto Scaling (RefreshPreferences) and the AWS provider accept: minimum 0–100, maximum
 * 100–200, both given, at most 100 points apart.
 */
export function instanceRefreshProblems(c: InstanceRefreshCapacity): Problem[] {
    const problems = [
        ...(isWhole(c.minHealthyPercentage, 0, 100) ? [] : [problem("minHealthyPercentage", "expected a whole number from 0 to 100")]),
        ...(isWhole(c.maxHealthyPercentage, 100, 200) ? [] : [problem("maxHealthyPercentage", "expected a whole number from 100 to 200")]),
    ];
    if (problems.length === 0 && c.maxHealthyPercentage - c.minHealthyPercentage > 100) {
        problems.push(problem("maxHealthyPercentage", `expected at most 100 above minHealthyPercentage (${c.minHealthyPercentage})`));
    }
    return problems;
}

/** Route 53 hosted zone ids: `Z` and upper-case letters and digits, at most 32 characters. */
export const hostedZoneIdPattern = /^Z[A-Z0-9]{1,31}$/;

/**
 * A lower-case DNS name without the trailing dot (Route 53 stores names lower-case): labels of
 * 1–63 letters, digits and inner hyphens, at most 253 characters (RFC 1035), ending in a
 * top-level domain of letters or an IDN's `xn--` form.
 */
export function domainNameProblems(domain: string, path: readonly (string | number)[] = ["domain"]): Problem[] {
    const label = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
    const name = new RegExp(`^(?:${label}\\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$`);
    return name.test(domain) && domain.length <= 253 ? [] : [problem(path, "expected a lower-case DNS name such as app.example.com (labels of letters, digits and inner hyphens up to 63 characters, 253 in all, no trailing dot)")];
}

export function hostedZoneProblems(args: HostedZoneArgs): Problem[] {
    const zoneIdProblems = (key: "zoneId" | "parentZoneId", id: string) =>
        hostedZoneIdPattern.test(id) ? [] : [problem(key, "expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (without /hostedzone/)")];
    return [
        ...domainNameProblems(args.domain),
        ...(args.zoneId !== undefined ? zoneIdProblems("zoneId", args.zoneId) : []),
        ...(args.parentZoneId !== undefined ? zoneIdProblems("parentZoneId", args.parentZoneId) : []),
        ...(args.zoneId === undefined && args.parentZoneId === undefined
            ? [problem([], `needs zoneId (an existing zone for ${args.domain}) or parentZoneId (create the zone and delegate it): a zone nothing delegates to never answers, and ACM's DNS validation in it waits forever`)]
            : []),
        ...(args.zoneId !== undefined && args.parentZoneId !== undefined ? [problem([], "takes zoneId or parentZoneId, not both")] : []),
    ];
}
