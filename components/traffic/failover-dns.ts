import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { requireNoProblems, under } from "../problems";
import { defaultCheckerRegions, endpointCheckProblems, failoverSeconds, guideEndpointCheck, type EndpointCheckSettings } from "./failover";
import { alarmPeriodSeconds, domainNameProblems, guideApplication, route53HealthCheckPathLength, urlPathProblems } from "./settings";
import { publicOutputs } from "../outputs";

/** A load balancer an alias record points at. */
export interface AliasTarget {
    readonly dnsName: pulumi.Input<string>;
    /** The load balancer's canonical hosted zone id. */
    readonly zoneId: pulumi.Input<string>;
}

export interface FailoverDnsArgs {
    /** The zone the records go in. */
    readonly zoneId: pulumi.Input<string>;
    /** The name clients resolve, e.g. `app.example.com`. */
    readonly domain: string;
    /** The active region's load balancer. Alone, it gets a simple alias record. */
    readonly primary: AliasTarget;
    /**
     * The standby region's load balancer and provider. With it, the name becomes a PRIMARY /
     * SECONDARY failover pair, and the manual failover switch lives in the standby region.
     */
    readonly secondary?: AliasTarget & { readonly provider: aws.Provider };
    /** The primary's endpoint check. Default: HTTPS `/health` every 10 s, 3 failures, US and EU checkers. */
    readonly healthCheck?: Partial<EndpointCheckSettings> & { readonly path?: string };
}

/** What an operator publishes to hold traffic on the secondary (docs/traffic.md). */
export interface FailoverSwitch {
    readonly region: string;
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Record<string, string>;
    readonly alarmName: string;
}

const switchNamespace = "Keel/Failover";
const switchMetric = "PrimaryOutOfService";

/**
 * DNS for a service: a simple alias record in one region, or active-passive failover across
 * two. Route 53's control plane lives in us-east-1 — the primary region — so failing over must
 * never need a change to Route 53: the PRIMARY and SECONDARY records and their health checks
 * exist ahead of time and only health-check state moves traffic.
 *
 * The PRIMARY record carries a calculated health check that is healthy only while both its
 * children are: an HTTPS check of the primary load balancer's `/health`, and a check of a
 * CloudWatch alarm in the secondary region — the manual switch. Publishing 1 to the switch's
 * metric (a CloudWatch data-plane call in the secondary region) fails the primary over; 0
 * brings it back. Route 53 evaluates the alarm's data stream itself, with "last known status"
 * while no data arrives, so one data point holds the switch either way.
 */
export class FailoverDns extends pulumi.ComponentResource {
    public readonly url: pulumi.Output<string>;
    /** The primary endpoint's health check (undefined for a simple record). */
    public readonly endpointHealthCheckId: pulumi.Output<string | undefined>;
    /** The calculated health check on the PRIMARY record (undefined for a simple record). */
    public readonly primaryHealthCheckId: pulumi.Output<string | undefined>;
    /** Worst-case seconds from the primary failing to clients resolving the secondary (undefined for a simple record). */
    public readonly failoverSeconds: pulumi.Output<number | undefined>;
    public readonly failoverSwitch: pulumi.Output<FailoverSwitch | undefined>;

    constructor(name: string, args: FailoverDnsArgs, opts?: pulumi.ComponentResourceOptions) {
        const check = {
            requestIntervalSeconds: args.healthCheck?.requestIntervalSeconds ?? guideEndpointCheck.requestIntervalSeconds,
            failureThreshold: args.healthCheck?.failureThreshold ?? guideEndpointCheck.failureThreshold,
            regions: args.healthCheck?.regions ?? defaultCheckerRegions,
            path: args.healthCheck?.path ?? guideApplication.healthCheckPath,
        };
        requireNoProblems(`FailoverDns ${name}`, [
            ...domainNameProblems(args.domain),
            ...(args.secondary ? [...under("healthCheck", endpointCheckProblems(check)), ...urlPathProblems(check.path, ["healthCheck", "path"], route53HealthCheckPathLength)] : []),
        ], { domain: args.domain, healthCheck: check });
        super("keel:traffic:FailoverDns", name, args, opts);
        const defaults = { parent: this };
        const alias = (target: AliasTarget) => [{ name: target.dnsName, zoneId: target.zoneId, evaluateTargetHealth: true }];
        this.url = pulumi.output(`https://${args.domain}`);

        // A record whose name changes is deleted before its replacement is created: the name it
        // leaves may be taken at once by another record (the edge's alias, when a stack moves behind
        // CloudFront), and Route 53 refuses a second A record of one name.
        // And they wait for what the component was told to wait for: a component's dependsOn does not reach its children.
        const recordOptions: pulumi.CustomResourceOptions = { ...defaults, deleteBeforeReplace: true, ...(opts?.dependsOn !== undefined ? { dependsOn: opts.dependsOn } : {}) };
        if (!args.secondary) {
            new aws.route53.Record(name, { zoneId: args.zoneId, name: args.domain, type: "A", aliases: alias(args.primary) }, recordOptions);
            this.endpointHealthCheckId = pulumi.output(undefined);
            this.primaryHealthCheckId = pulumi.output(undefined);
            this.failoverSeconds = pulumi.output(undefined);
            this.failoverSwitch = pulumi.output(undefined);
            this.registerOutputs(publicOutputs(this));
            return;
        }

        const endpoint = new aws.route53.HealthCheck(`${name}-primary-endpoint`, {
            type: "HTTPS",
            // The load balancer's own name: checking the record's name would check whichever region it answers.
            fqdn: args.primary.dnsName,
            port: 443,
            resourcePath: check.path,
            // The certificate names the service, not the load balancer: without SNI the ALB presents
            // its default (only) certificate, and the checkers need no second, SNI-less handshake.
            enableSni: false,
            requestInterval: check.requestIntervalSeconds,
            failureThreshold: check.failureThreshold,
            regions: [...check.regions],
            tags: { Name: `${args.domain} primary endpoint` },
        }, defaults);

        const secondaryDefaults = { parent: this, provider: args.secondary.provider };
        const switchRegion = aws.getRegionOutput({}, secondaryDefaults).region;
        const dimensions = { Record: args.domain };
        const manualSwitch = new aws.cloudwatch.MetricAlarm(`${name}-failover-switch`, {
            alarmDescription: `Keel ${args.domain}: publish ${switchNamespace}/${switchMetric} = 1 to serve from the secondary region, 0 to return (docs/traffic.md)`,
            namespace: switchNamespace,
            metricName: switchMetric,
            dimensions,
            statistic: "Maximum",
            period: alarmPeriodSeconds,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
            // The switch stays where it was last set.
            treatMissingData: "ignore",
            tags: { Name: `${args.domain} failover switch` },
        }, secondaryDefaults);
        const switchCheck = new aws.route53.HealthCheck(`${name}-failover-switch`, {
            type: "CLOUDWATCH_METRIC",
            cloudwatchAlarmName: manualSwitch.name,
            cloudwatchAlarmRegion: switchRegion,
            insufficientDataHealthStatus: "LastKnownStatus",
            tags: { Name: `${args.domain} failover switch` },
        }, defaults);
        const primaryCheck = new aws.route53.HealthCheck(`${name}-primary`, {
            type: "CALCULATED",
            childHealthchecks: [endpoint.id, switchCheck.id],
            // Healthy only while the endpoint answers and the switch is off.
            childHealthThreshold: 2,
            tags: { Name: `${args.domain} primary` },
        }, defaults);

        const failoverRecord = (role: "PRIMARY" | "SECONDARY", target: AliasTarget, healthCheckId?: pulumi.Input<string>) =>
            new aws.route53.Record(`${name}-${role.toLowerCase()}`, {
                zoneId: args.zoneId,
                name: args.domain,
                type: "A",
                setIdentifier: `${name}-${role.toLowerCase()}`,
                failoverRoutingPolicies: [{ type: role }],
                aliases: alias(target),
                ...(healthCheckId !== undefined ? { healthCheckId } : {}),
            }, recordOptions);
        failoverRecord("PRIMARY", args.primary, primaryCheck.id);
        failoverRecord("SECONDARY", args.secondary);

        this.endpointHealthCheckId = endpoint.id;
        this.primaryHealthCheckId = primaryCheck.id;
        this.failoverSeconds = pulumi.output(failoverSeconds(check));
        this.failoverSwitch = pulumi.all([switchRegion, manualSwitch.name]).apply(([region, alarmName]) => ({
            region,
            namespace: switchNamespace,
            metricName: switchMetric,
            dimensions,
            alarmName,
        }));
        this.registerOutputs(publicOutputs(this));
    }
}
