/**
 * Pure rules of the traffic components: what AWS (or plain sense) refuses in capacity,
 * scaling and instance settings, and how the guides' scaling figures become EC2 Auto Scaling
 * settings. Components run these before `super(...)`, so bad input registers nothing.
 */

import { InvalidArgumentsError, problem, type Problem } from "../problems";
import type { HostedZoneArgs } from "./hosted-zone";

/** Throws `InvalidArgumentsError` with every error, each a message that names its argument. */
export function requireNoErrors(component: string, errors: readonly string[]): void {
    if (errors.length > 0) throw new InvalidArgumentsError(component, errors.map((message) => problem([], message)));
}

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
        ...(isWhole(s.instanceWarmupSeconds, 0, 3600) ? [] : [problem("instanceWarmupSeconds", "expected a whole number from 0 to 3600")]),
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

export function spotErrors(spot: SpotCapacity, capacity: Capacity): string[] {
    return [
        ...(spot.alternativeInstanceTypes.length > 0 ? [] : ["spot needs at least one alternative instance type (spot pools run dry one type at a time)"]),
        ...(isWhole(spot.onDemandBaseCapacity, 0, capacity.maxSize) ? [] : [`spot.onDemandBaseCapacity must be a whole number from 0 to maxSize (${capacity.maxSize}), got ${spot.onDemandBaseCapacity}`]),
    ];
}

export function portErrors(port: number, what: string): string[] {
    return isWhole(port, 1, 65_535) ? [] : [`${what} must be a TCP port (1–65535), got ${port}`];
}

export function pathErrors(path: string, what: string): string[] {
    return /^\/[\x21-\x7e]*$/.test(path) ? [] : [`${what} must be an absolute URL path such as /health, got ${JSON.stringify(path)}`];
}

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
export function instanceRefreshErrors(c: InstanceRefreshCapacity): string[] {
    const errors = [
        ...(isWhole(c.minHealthyPercentage, 0, 100) ? [] : [`minHealthyPercentage must be a whole number from 0 to 100, got ${c.minHealthyPercentage}`]),
        ...(isWhole(c.maxHealthyPercentage, 100, 200) ? [] : [`maxHealthyPercentage must be a whole number from 100 to 200, got ${c.maxHealthyPercentage}`]),
    ];
    if (errors.length === 0 && c.maxHealthyPercentage - c.minHealthyPercentage > 100) {
        errors.push(`maxHealthyPercentage (${c.maxHealthyPercentage}) may exceed minHealthyPercentage (${c.minHealthyPercentage}) by at most 100`);
    }
    return errors;
}

/** Route 53 hosted zone ids: `Z` and upper-case letters and digits, at most 32 characters. */
export const hostedZoneIdPattern = /^Z[A-Z0-9]{1,31}$/;

export function hostedZoneErrors(args: HostedZoneArgs): string[] {
    const zoneIdError = (key: "zoneId" | "parentZoneId", id: string) =>
        hostedZoneIdPattern.test(id) ? [] : [`${key} must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (without /hostedzone/), got ${JSON.stringify(id)}`];
    return [
        ...(/^([a-z0-9-]+\.)+[a-z]{2,}$/.test(args.domain) ? [] : [`domain must be a DNS name such as app.example.com, got ${JSON.stringify(args.domain)}`]),
        ...(args.zoneId !== undefined ? zoneIdError("zoneId", args.zoneId) : []),
        ...(args.parentZoneId !== undefined ? zoneIdError("parentZoneId", args.parentZoneId) : []),
        ...(args.zoneId === undefined && args.parentZoneId === undefined
            ? [`needs zoneId (an existing zone for ${args.domain}) or parentZoneId (create the zone and delegate it): a zone nothing delegates to never answers, and ACM's DNS validation in it waits forever`]
            : []),
        ...(args.zoneId !== undefined && args.parentZoneId !== undefined ? ["takes zoneId or parentZoneId, not both"] : []),
    ];
}
