import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { EdgeDistribution, cloudFrontOriginFacingPrefixList, healthCheckerPrefixList } from "../components/edge";
import type { EdgeOnlyAccess } from "../components/traffic";
import { edgeSettings, type KeelConfig } from "./config";
import { standardTags } from "./tags";

/** The names the edge reaches the regions by: a Route 53 failover name, and the DR region's load balancer. */
export const originNames = (domain: string) => ({ primary: `origin.${domain}`, secondary: `origin-dr.${domain}` });

/**
 * The origin lock of an environment with `keel:edge.enabled`: one generated secret for the
 * `X-Origin-Verify` header (CloudFront sends it, the load balancers require it), and each
 * region's AWS-managed prefix lists of CloudFront's origin-facing addresses and Route 53's
 * health checkers.
 */
export function edgeOrigins(config: KeelConfig) {
    if (!config.edge.enabled) return undefined;
    const secret = new random.RandomPassword("edge-origin-verify", { length: 48, special: false });
    const accessIn = (provider: aws.Provider, region: string): EdgeOnlyAccess => ({
        originVerifySecret: pulumi.secret(secret.result),
        cloudFrontPrefixListId: aws.ec2.getManagedPrefixListOutput({ name: cloudFrontOriginFacingPrefixList }, { provider }).id,
        healthCheckerPrefixListId: aws.ec2.getManagedPrefixListOutput({ name: healthCheckerPrefixList(region) }, { provider }).id,
    });
    return { secret: secret.result, accessIn };
}

export interface EdgeOptions {
    readonly zoneId: pulumi.Input<string>;
    readonly validationRecordFqdns: pulumi.Input<pulumi.Input<string>[]>;
    readonly originVerifySecret: pulumi.Input<string>;
    /** With a DR region serving, its load balancer is the static paths' second origin. */
    readonly hasDrOrigin: boolean;
    /** The primary region's provider: reused when the primary region is us-east-1. */
    readonly primaryProvider: aws.Provider;
    /** The primary region's warning topic: the rate limit's alarm notifies it where that region is us-east-1 (WAF's CloudFront metrics are there). */
    readonly warningTopicArn?: pulumi.Input<string>;
}

/**
 * CloudFront and WAF in front of the service (EdgeDistribution), with a us-east-1 provider —
 * the primary region's when that is us-east-1 — named after the environment.
 */
export function edgeDistribution(config: KeelConfig, options: EdgeOptions): EdgeDistribution {
    const provider = config.regions.primary === "us-east-1"
        ? options.primaryProvider
        : new aws.Provider("edge-us-east-1", { region: "us-east-1", defaultTags: { tags: standardTags(config) } });
    const names = originNames(config.dns.domain);
    return new EdgeDistribution("edge", {
        domainName: config.dns.domain,
        zoneId: options.zoneId,
        validationRecordFqdns: options.validationRecordFqdns,
        origins: { primary: names.primary, ...(options.hasDrOrigin ? { secondary: names.secondary } : {}) },
        originVerifySecret: options.originVerifySecret,
        webAclName: `keel-${config.environment}-edge`,
        ...(config.regions.primary === "us-east-1" && options.warningTopicArn !== undefined ? { rateLimitAlarmTopicArn: options.warningTopicArn } : {}),
        ...edgeSettings(config.edge),
        tags: standardTags(config),
    }, { provider });
}

/**
 * The service's name (A and AAAA) aliasing the distribution, written `after` the records that
 * held the name: moving a stack behind the edge, those are deleted first (Route 53 refuses two A
 * records of one name), and the name answers again as soon as they are gone.
 */
export function edgeAliases(config: KeelConfig, zoneId: pulumi.Input<string>, distribution: EdgeDistribution, provider: aws.Provider, after: readonly pulumi.Resource[]): aws.route53.Record[] {
    return (["A", "AAAA"] as const).map((type) => new aws.route53.Record(`edge-${type.toLowerCase()}`, {
        zoneId,
        name: config.dns.domain,
        type,
        aliases: [{ name: distribution.aliasTarget.name, zoneId: distribution.aliasTarget.zoneId, evaluateTargetHealth: false }],
    }, { provider, dependsOn: [...after] }));
}
