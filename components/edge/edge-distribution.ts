import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { publicOutputs } from "../outputs";
import { problem, requireNoProblems, type Problem } from "../problems";
import { dnsValidatedCertificate } from "../traffic/certificate";
import { domainNameProblems } from "../traffic/settings";
import {
    cloudFrontZoneId,
    edgeDefaults,
    edgeSettingsProblems,
    failoverMethods,
    failoverStatusCodes,
    managedPolicies,
    originVerifyHeader,
    webAclRules,
    type EdgeSettings,
} from "./settings";

export interface EdgeDistributionArgs extends Partial<EdgeSettings> {
    /** The service's name: the distribution's alias and certificate, e.g. `app.example.com`. */
    readonly domainName: string;
    /** The public zone of the certificate's validation record. */
    readonly zoneId: pulumi.Input<string>;
    /**
     * Validation records that already exist for `domainName` (a load balancer's certificate wrote
     * them: ACM gives a name the same record in every region). Unset: this component writes one.
     */
    readonly validationRecordFqdns?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * The names CloudFront connects to: `primary` serves every request (a failover name whose
     * Route 53 health checks move it between the regions), `secondary` is the other region's
     * load balancer, which GET, HEAD and OPTIONS of `staticPaths` fail over to at once. Their
     * certificates need not name them: CloudFront forwards the viewer's Host header, the service's
     * name, which the load balancers' certificates carry.
     */
    readonly origins: { readonly primary: string; readonly secondary?: string };
    /** The value of the `X-Origin-Verify` header the load balancers require (a secret: the generated one the stack also gives them). */
    readonly originVerifySecret: pulumi.Input<string>;
    /**
     * An SNS topic of us-east-1 (WAF's CloudFront metrics are there) that hears when the rate
     * limit blocks clients (the guides: alert on exceeded rate limits). Default: no alarm.
     */
    readonly rateLimitAlarmTopicArn?: pulumi.Input<string>;
    /** The web ACL's and IP set's name (1–128 letters, digits, `-`, `_`), e.g. `keel-production-edge`. */
    readonly webAclName: string;
    readonly tags?: Readonly<Record<string, pulumi.Input<string>>>;
}

function edgeSettings(args: EdgeDistributionArgs): EdgeSettings {
    return {
        rateLimit: args.rateLimit ?? edgeDefaults.rateLimit,
        rateWindowSeconds: args.rateWindowSeconds ?? edgeDefaults.rateWindowSeconds,
        blockedIpv4Cidrs: args.blockedIpv4Cidrs ?? edgeDefaults.blockedIpv4Cidrs,
        staticPaths: args.staticPaths ?? edgeDefaults.staticPaths,
        priceClass: args.priceClass ?? edgeDefaults.priceClass,
    };
}

function argumentProblems(args: EdgeDistributionArgs, settings: EdgeSettings): Problem[] {
    return [
        ...domainNameProblems(args.domainName, ["domainName"]),
        ...domainNameProblems(args.origins.primary, ["origins", "primary"]),
        ...(args.origins.secondary !== undefined ? domainNameProblems(args.origins.secondary, ["origins", "secondary"]) : []),
        ...(args.origins.secondary === args.origins.primary ? [problem(["origins", "secondary"], "expected the other region's name, not the primary origin again")] : []),
        // wafv2 name: StringLenBetween(1, 128) and ^[0-9A-Za-z_-]+$ (the IP set adds "-blocked").
        ...(/^[0-9A-Za-z_-]{1,120}$/.test(args.webAclName) ? [] : [problem("webAclName", "expected 1 to 120 letters, digits, hyphens and underscores (WAF names)")]),
        ...edgeSettingsProblems(settings),
    ];
}

/**
 * The service's edge, built with a us-east-1 provider (CloudFront's certificates and
 * CLOUDFRONT-scope WAF live there): a CloudFront distribution answering the service's name over
 * TLS 1.2 or later (an ACM certificate in us-east-1, SNI), HTTP redirected to HTTPS, HTTPS only
 * to the origins with the secret `X-Origin-Verify` header; every method passed through uncached
 * to the primary origin (a Route 53 failover name), static paths cached and failed over between
 * the regions on 5xx (an origin group: GET, HEAD and OPTIONS only); a WAF web ACL with an IP
 * block list, a per-IP rate limit and AWS's managed rule groups (common, known bad inputs, SQL
 * injection). The service's alias records are the caller's (`aliasTarget`). Nothing in it changes with DR mode:
 * a failover needs no CloudFront or WAF change (their control plane is in us-east-1).
 */
export class EdgeDistribution extends pulumi.ComponentResource {
    public readonly distributionId: pulumi.Output<string>;
    public readonly distributionArn: pulumi.Output<string>;
    /** `dXXXX.cloudfront.net`. */
    public readonly distributionDomainName: pulumi.Output<string>;
    /**
     * What the service's A and AAAA alias records point at (CloudFront's zone). The caller writes
     * them — after whatever held the name before, when a stack moves behind the edge.
     */
    public readonly aliasTarget: pulumi.Output<{ name: string; zoneId: string }>;
    public readonly webAclArn: pulumi.Output<string>;
    public readonly blockedAddressesArn: pulumi.Output<string>;
    public readonly certificateArn: pulumi.Output<string>;
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: EdgeDistributionArgs, opts?: pulumi.ComponentResourceOptions) {
        const settings = edgeSettings(args);
        requireNoProblems(`EdgeDistribution ${name}`, argumentProblems(args, settings), { ...args, ...settings, originVerifySecret: undefined });
        super("keel:edge:EdgeDistribution", name, {}, opts);
        const defaults = { parent: this };
        const tags = (child: string) => ({ ...args.tags, Name: child });

        // In us-east-1 (the component's provider; keel-cloudfront refuses another region's): CloudFront takes no other.
        const { certificateArn } = dnsValidatedCertificate(name, {
            domainName: args.domainName,
            zoneId: args.zoneId,
            ...(args.validationRecordFqdns !== undefined ? { validationRecordFqdns: args.validationRecordFqdns } : {}),
            tags: tags(`${name}-cert`),
        }, defaults);
        const { webAcl, blocked } = this.firewall(name, args.webAclName, settings, tags);
        const distribution = this.distribution(name, args, settings, certificateArn, webAcl.arn, tags);
        if (args.rateLimitAlarmTopicArn !== undefined) this.rateLimitAlarm(name, args.webAclName, args.rateLimitAlarmTopicArn, tags);

        this.distributionId = distribution.id;
        this.distributionArn = distribution.arn;
        this.distributionDomainName = distribution.domainName;
        this.aliasTarget = distribution.domainName.apply((domainName) => ({ name: domainName, zoneId: cloudFrontZoneId }));
        this.webAclArn = webAcl.arn;
        this.blockedAddressesArn = blocked.arn;
        this.certificateArn = certificateArn;
        this.url = pulumi.output(`https://${args.domainName}`);
        this.registerOutputs(publicOutputs(this));
    }

    /**
     * Clients blocked by the rate limit, in any 5 minutes, reach the team: an attack, a scraper,
     * or a limit too tight for real users (AWS/WAFV2 BlockedRequests by WebACL and Rule; a
     * CloudFront web ACL's metrics have no Region dimension).
     */
    private rateLimitAlarm(name: string, aclName: string, topicArn: pulumi.Input<string>, tags: (child: string) => Record<string, pulumi.Input<string>>): void {
        new aws.cloudwatch.MetricAlarm(`${name}-rate-limited`, {
            alarmDescription: `${name}: WAF's rate limit blocked clients in the last 5 minutes (docs/runbooks/edge-emergency.md)`,
            namespace: "AWS/WAFV2",
            metricName: "BlockedRequests",
            dimensions: { WebACL: aclName, Rule: "rate-limit" },
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanThreshold",
            threshold: 0,
            treatMissingData: "notBreaching",
            actionsEnabled: true,
            alarmActions: [topicArn],
            okActions: [topicArn],
            tags: tags(`${name}-rate-limited`),
        }, { parent: this });
    }

    /** The web ACL (CLOUDFRONT scope) and its IP block list, which exists even when empty: blocking an address is a change of configuration, not a new resource. */
    private firewall(name: string, aclName: string, settings: EdgeSettings, tags: (child: string) => Record<string, pulumi.Input<string>>) {
        const defaults = { parent: this };
        const blocked = new aws.wafv2.IpSet(`${name}-blocked`, {
            name: `${aclName}-blocked`,
            description: "Addresses refused at the edge (keel:edge.blockedIpv4Cidrs)",
            scope: "CLOUDFRONT",
            ipAddressVersion: "IPV4",
            addresses: [...settings.blockedIpv4Cidrs],
            tags: tags(`${name}-blocked`),
        }, defaults);
        const webAcl = new aws.wafv2.WebAcl(name, {
            name: aclName,
            description: "Keel's edge: block list, per-IP rate limit, AWS managed rules",
            scope: "CLOUDFRONT",
            defaultAction: { allow: {} },
            rules: webAclRules(settings, blocked.arn),
            visibilityConfig: { cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: aclName },
            tags: tags(name),
        }, defaults);
        return { webAcl, blocked };
    }

    private distribution(name: string, args: EdgeDistributionArgs, settings: EdgeSettings, certificateArn: pulumi.Output<string>, webAclArn: pulumi.Output<string>, tags: (child: string) => Record<string, pulumi.Input<string>>): aws.cloudfront.Distribution {
        const origin = (originId: string, domainName: string): aws.types.input.cloudfront.DistributionOrigin => ({
            originId,
            domainName,
            customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"], originReadTimeout: 30, originKeepaliveTimeout: 5 },
            // Two attempts of 5 s: a GET of a static path reaches the other region within 10 s of the first failing to connect.
            connectionAttempts: 2,
            connectionTimeout: 5,
            customHeaders: [{ name: originVerifyHeader, value: pulumi.secret(args.originVerifySecret) }],
        });
        const secondary = args.origins.secondary;
        const staticTarget = secondary !== undefined ? "regions" : "primary";
        return new aws.cloudfront.Distribution(name, {
            enabled: true,
            comment: `${args.domainName}: Keel's edge`,
            aliases: [args.domainName],
            isIpv6Enabled: true,
            httpVersion: "http2and3",
            priceClass: settings.priceClass,
            webAclId: webAclArn,
            viewerCertificate: { acmCertificateArn: certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" },
            origins: [origin("primary", args.origins.primary), ...(secondary !== undefined ? [origin("secondary", secondary)] : [])],
            ...(secondary !== undefined
                ? { originGroups: [{ originId: "regions", failoverCriteria: { statusCodes: [...failoverStatusCodes] }, members: [{ originId: "primary" }, { originId: "secondary" }] }] }
                : {}),
            // The application: every method, never cached, everything the viewer sent passed on.
            defaultCacheBehavior: {
                targetOriginId: "primary",
                viewerProtocolPolicy: "redirect-to-https",
                allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                cachedMethods: ["GET", "HEAD"],
                cachePolicyId: managedPolicies.cachingDisabled,
                originRequestPolicyId: managedPolicies.allViewer,
                compress: true,
            },
            orderedCacheBehaviors: settings.staticPaths.map((pathPattern) => ({
                pathPattern,
                targetOriginId: staticTarget,
                viewerProtocolPolicy: "redirect-to-https",
                allowedMethods: [...failoverMethods],
                cachedMethods: ["GET", "HEAD"],
                cachePolicyId: managedPolicies.cachingOptimized,
                originRequestPolicyId: managedPolicies.allViewer,
                compress: true,
            })),
            restrictions: { geoRestriction: { restrictionType: "none" } },
            tags: tags(name),
        }, { parent: this });
    }
}
