import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumedBy, awsManagedPolicyArn } from "../iam";
import { ecrRepository } from "../container-image";
import { problem, requireNoProblems, under, type Problem } from "../problems";
import { applicationProblems, secretRegion, type ServiceApplication } from "./application";
import {
    alarmPeriodSeconds,
    capacityProblems,
    guideScaling,
    instanceRefreshProblems,
    ipv4BlockProblems,
    launchBeforeTerminating,
    portProblems,
    type InstanceRefreshCapacity,
    scaleInBelowPercentOfTarget,
    scaleInEvaluationPeriods,
    scalingProblems,
    spotProblems,
    targetGroupHealthCheckPathLength,
    urlPathProblems,
    type ScalingSettings,
    type SpotCapacity,
    guideApplication,
    ubuntu2204AmiParameter,
} from "./settings";
import { agentNamespace, memoryMetricName, nodeExporterPort, renderUserData, type ApplicationBoot } from "./user-data";
import { publicOutputs } from "../outputs";
import { originVerifyHeader } from "../edge/settings";
import { dnsValidatedCertificate } from "./certificate";

/**
 * Current ALB policy for TLS 1.3 and 1.2 with restricted, forward-secret ciphers and hybrid
 * post-quantum key exchange (the console's default since 2025; the guides ask for TLS 1.2/1.3).
 */
export const modernTlsPolicy = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09";

export interface ServiceCertificate {
    /** The name clients use (the record FailoverDns creates); the ALB's ACM certificate covers it. */
    readonly domainName: string;
    /** The Route 53 zone holding the DNS validation record. */
    readonly zoneId: pulumi.Input<string>;
    /**
     * FQDNs of validation records that already exist — another region's service created them.
     * ACM gives a domain the same validation CNAME in every region of an account, so only one
     * region writes it. Unset: this service creates the record.
     */
    readonly validationRecordFqdns?: pulumi.Input<pulumi.Input<string>[]>;
}

export interface AutoscaledServiceArgs {
    readonly vpcId: pulumi.Input<string>;
    /** Subnets of the internet-facing load balancer (at least two zones). */
    readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Subnets of the instances; nothing there gets a public address. */
    readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    readonly instanceType: string;
    readonly minSize: number;
    readonly maxSize: number;
    /** Scaling targets and timings. Default: the guides' (CPU 70 %, memory 80 %, 300 s, 600 s). */
    readonly scaling?: ScalingSettings;
    readonly certificate: ServiceCertificate;
    /**
     * What the instances run: a pinned container image Docker runs under systemd, or a baked
     * AMI; its environment; and the database credentials secret it reads at start.
     */
    readonly application: ServiceApplication;
    /** Port the application listens on. Default 3000 (the guides' APP_PORT). */
    readonly appPort?: number;
    /** Path that answers 200 while the instance can serve. Default `/health`. */
    readonly healthCheckPath?: string;
    /** SSM parameter naming the AMI of a container image's instances. Default: Canonical's Ubuntu 22.04 LTS amd64. */
    readonly amiParameter?: string;
    /** Device name of the AMI's root volume. Default `/dev/sda1` (Ubuntu's). */
    readonly rootDeviceName?: string;
    /** Root volume size in GiB. Default 100 (the guides' application servers). */
    readonly rootVolumeGb?: number;
    /** Seconds after launch before failed load-balancer health checks replace an instance. Default 300. */
    readonly healthCheckGracePeriodSeconds?: number;
    /**
     * How a deploy (an instance refresh) replaces instances, as percentages of the desired
     * capacity. Default `launchBeforeTerminating` (100 %–200 %): nothing running stops before its
     * replacement serves. A lower minimum deploys faster with less headroom.
     */
    readonly instanceRefresh?: InstanceRefreshCapacity;
    /** ALB deletion protection. Default false. */
    readonly deletionProtection?: boolean;
    /**
     * Who scrapes the instances' metrics — the application's on `appPort`, node exporter's on
     * `nodeExporterPort` — as security groups of this region, or CIDRs (a peered VPC in another
     * region: security groups cannot be referenced across regions). Default: nobody.
     */
    readonly metricsScrapers?: { readonly securityGroupIds?: readonly pulumi.Input<string>[]; readonly cidrBlocks?: readonly string[] };
    /**
     * Serve only through the edge (EdgeDistribution): the load balancer admits CloudFront's
     * origin-facing addresses and Route 53's health checkers on 443 and nothing else (no 80, no
     * internet), forwards only requests carrying `X-Origin-Verify` with the secret, and the
     * health-check path (for the checkers); everything else gets 403. The prefix lists are the
     * region's AWS-managed ones (`cloudFrontOriginFacingPrefixList`, `healthCheckerPrefixList`).
     * Default: open to the internet on 443, and 80 redirecting.
     */
    readonly edgeOnly?: EdgeOnlyAccess;
    /** ALB access logs, to an SSE-S3 bucket in the same region (an AlbLogBucket). Default: off. */
    readonly accessLogs?: { readonly bucketName: pulumi.Input<string>; readonly prefix: string };
    /** Spot capacity above an on-demand floor (mixed instances). Default: on-demand only. */
    readonly spot?: SpotCapacity;
    /** A database the instances may reach: the egress rule here, and the ingress rule on its group. */
    readonly database?: DataStoreAccess;
    /** A cache the instances may reach (ReplicatedCache's group of this region), as the database. */
    readonly cache?: DataStoreAccess;
    /**
     * Tags of the group and of what it launches. An autoscaling group does not receive the
     * provider's default tags, so these must include every required tag.
     */
    readonly tags: Readonly<Record<string, pulumi.Input<string>>>;
}

/** How a load balancer behind CloudFront admits only the edge. */
export interface EdgeOnlyAccess {
    readonly originVerifySecret: pulumi.Input<string>;
    readonly cloudFrontPrefixListId: pulumi.Input<string>;
    readonly healthCheckerPrefixListId: pulumi.Input<string>;
}

/** A data store's security group and port: the instances get an egress rule to it, and it an ingress rule from them. */
export interface DataStoreAccess {
    readonly securityGroupId: pulumi.Input<string>;
    readonly port: number;
}

/** The group-level metrics published every minute (the monitoring stack graphs them). */
const groupMetrics = [
    "GroupMinSize",
    "GroupMaxSize",
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupPendingInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
] as const;

/** The settings `AutoscaledService` applies defaults to. */
interface TierSettings {
    readonly scaling: ScalingSettings;
    readonly appPort: number;
    readonly healthCheckPath: string;
    readonly rootVolumeGb: number;
    readonly gracePeriod: number;
    readonly instanceRefresh: InstanceRefreshCapacity;
}

function tierSettings(args: AutoscaledServiceArgs): TierSettings {
    return {
        scaling: args.scaling ?? guideScaling,
        appPort: args.appPort ?? guideApplication.port,
        healthCheckPath: args.healthCheckPath ?? guideApplication.healthCheckPath,
        rootVolumeGb: args.rootVolumeGb ?? guideApplication.rootVolumeGb,
        gracePeriod: args.healthCheckGracePeriodSeconds ?? 300,
        instanceRefresh: args.instanceRefresh ?? launchBeforeTerminating,
    };
}

/** What AWS would refuse, or what could not work, at the arguments' paths. */
function tierProblems(args: AutoscaledServiceArgs, { scaling, appPort, healthCheckPath, rootVolumeGb, gracePeriod, instanceRefresh }: TierSettings): Problem[] {
    return [
        ...capacityProblems(args),
        ...under("scaling", scalingProblems(scaling)),
        ...(args.spot ? spotProblems(args.spot, args) : []),
        ...under("application", applicationProblems(args.application)),
        ...portProblems(appPort, ["appPort"]),
        ...(appPort === nodeExporterPort ? [problem("appPort", `expected a port other than node exporter's (${nodeExporterPort}), which every instance runs`)] : []),
        ...(args.database ? portProblems(args.database.port, ["database", "port"]) : []),
        ...(args.cache ? portProblems(args.cache.port, ["cache", "port"]) : []),
        ...urlPathProblems(healthCheckPath, ["healthCheckPath"], targetGroupHealthCheckPathLength),
        ...ipv4BlockProblems(args.metricsScrapers?.cidrBlocks ?? [], ["metricsScrapers", "cidrBlocks"]),
        ...(Number.isInteger(rootVolumeGb) && rootVolumeGb >= 8 && rootVolumeGb <= 16_384 ? [] : [problem("rootVolumeGb", "expected a whole number from 8 to 16384 (gp3)")]),
        ...(Number.isInteger(gracePeriod) && gracePeriod >= 0 ? [] : [problem("healthCheckGracePeriodSeconds", "expected a whole number of at least 0")]),
        ...under("instanceRefresh", instanceRefreshProblems(instanceRefresh)),
    ];
}

/** The arguments with their defaults applied, as the problems quote them; never the application's environment values. */
function judgedArguments(args: AutoscaledServiceArgs, settings: TierSettings): object {
    const application = { ...args.application, environment: undefined };
    return { ...args, application, scaling: settings.scaling, appPort: settings.appPort, healthCheckPath: settings.healthCheckPath, rootVolumeGb: settings.rootVolumeGb, healthCheckGracePeriodSeconds: settings.gracePeriod, instanceRefresh: settings.instanceRefresh };
}

/** What every step of `AutoscaledService` builds with. */
interface Tier {
    readonly name: string;
    readonly args: AutoscaledServiceArgs;
    readonly settings: TierSettings;
    readonly defaults: pulumi.CustomResourceOptions;
    /** The tags of the child named `<name>-<suffix>`. */
    readonly named: (suffix: string) => Record<string, pulumi.Input<string>>;
}

interface PortRule {
    readonly securityGroupId: pulumi.Input<string>;
    readonly description: string;
    readonly port: number;
    readonly peer: { readonly cidrIpv4: string } | { readonly referencedSecurityGroupId: pulumi.Input<string> } | { readonly prefixListId: pulumi.Input<string> };
}

interface InstanceIdentity {
    readonly role: aws.iam.Role;
    readonly profile: aws.iam.InstanceProfile;
    readonly applicationPolicy: aws.iam.RolePolicy | undefined;
}

/**
 * An application tier in one region: an internet-facing ALB (HTTPS with a DNS-validated ACM
 * certificate, HTTP only redirecting), an Auto Scaling group of hardened instances across the
 * private subnets behind it running the application (a pinned container image under systemd,
 * or a baked AMI, with its environment and database credentials), target tracking on CPU,
 * memory and optionally request count, a gradual scale-in policy, and rolling instance refresh
 * that launches before terminating, with automatic rollback.
 * The region is the provider's: pass one with `{ provider }`.
 */
export class AutoscaledService extends pulumi.ComponentResource {
    public readonly loadBalancerArn: pulumi.Output<string>;
    public readonly loadBalancerDnsName: pulumi.Output<string>;
    /** The load balancer's canonical hosted zone, for alias records. */
    public readonly loadBalancerZoneId: pulumi.Output<string>;
    public readonly targetGroupArn: pulumi.Output<string>;
    /** The `LoadBalancer` and `TargetGroup` dimensions of their CloudWatch metrics (AWS/ApplicationELB). */
    public readonly metricDimensions: pulumi.Output<{ LoadBalancer: string; TargetGroup: string }>;
    public readonly autoScalingGroupName: pulumi.Output<string>;
    public readonly launchTemplateId: pulumi.Output<string>;
    public readonly albSecurityGroupId: pulumi.Output<string>;
    public readonly instanceSecurityGroupId: pulumi.Output<string>;
    public readonly instanceRoleName: pulumi.Output<string>;
    /** The validated certificate (resolves once ACM has issued it). */
    public readonly certificateArn: pulumi.Output<string>;
    /** Validation records the certificate used; pass them to the same domain's service in another region. */
    public readonly certificateValidationFqdns: pulumi.Output<string[]>;

    constructor(name: string, args: AutoscaledServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        const settings = tierSettings(args);
        // Refuse what AWS would refuse, or what could not work, before anything is registered.
        requireNoProblems(`AutoscaledService ${name}`, tierProblems(args, settings), judgedArguments(args, settings));
        super("keel:traffic:AutoscaledService", name, args, opts);
        const tier: Tier = { name, args, settings, defaults: { parent: this }, named: (suffix) => ({ ...args.tags, Name: `${name}-${suffix}` }) };

        const groups = this.securityGroups(tier);
        const certificate = dnsValidatedCertificate(name, { ...args.certificate, tags: tier.named("cert") }, tier.defaults);
        const { loadBalancer, targetGroup } = this.loadBalancer(tier, [groups.alb, ...groups.albExtra], certificate.certificateArn);
        const instances = this.instanceRole(tier);
        const launchTemplate = this.launchTemplate(tier, groups.instances, instances);
        const group = this.autoScalingGroup(tier, launchTemplate, targetGroup);
        const { scaling } = settings;
        this.scalingPolicies(name, group, scaling, tier.named("low-load"), scaling.requestsPerTarget === undefined ? undefined : {
            requestsPerTarget: scaling.requestsPerTarget,
            resourceLabel: pulumi.interpolate`${loadBalancer.arnSuffix}/${targetGroup.arnSuffix}`,
            targetGroupArnSuffix: targetGroup.arnSuffix,
        });

        this.loadBalancerArn = loadBalancer.arn;
        this.loadBalancerDnsName = loadBalancer.dnsName;
        this.loadBalancerZoneId = loadBalancer.zoneId;
        this.targetGroupArn = targetGroup.arn;
        this.metricDimensions = pulumi.all([loadBalancer.arnSuffix, targetGroup.arnSuffix]).apply(([LoadBalancer, TargetGroup]) => ({ LoadBalancer, TargetGroup }));
        this.autoScalingGroupName = group.name;
        this.launchTemplateId = launchTemplate.id;
        this.albSecurityGroupId = groups.alb.id;
        this.instanceSecurityGroupId = groups.instances.id;
        this.instanceRoleName = instances.role.name;
        this.certificateArn = certificate.certificateArn;
        this.certificateValidationFqdns = pulumi.output(certificate.validationRecordFqdns);
        this.registerOutputs(publicOutputs(this));
    }

    /** One TCP port from or to one peer (a CIDR, or another security group), as its own rule resource. */
    private portRule(tier: Tier, direction: "ingress" | "egress", suffix: string, rule: PortRule): void {
        const Rule = direction === "ingress" ? aws.vpc.SecurityGroupIngressRule : aws.vpc.SecurityGroupEgressRule;
        const { securityGroupId, description, port, peer } = rule;
        new Rule(`${tier.name}-${suffix}`, { securityGroupId, description, ipProtocol: "tcp", fromPort: port, toPort: port, ...peer, tags: tier.named(suffix) }, tier.defaults);
    }

    /**
     * The ALB takes 443/80 from anywhere — or, behind the edge, 443 from CloudFront and, in a
     * group of their own, from Route 53's health checkers (CloudFront's list counts as 55 of a
     * group's 60 rules); the instances only the app port from the ALB (and metrics ports from the scrapers).
     */
    private securityGroups(tier: Tier): { alb: aws.ec2.SecurityGroup; albExtra: aws.ec2.SecurityGroup[]; instances: aws.ec2.SecurityGroup } {
        const { name, args, settings: { appPort } } = tier;
        const securityGroup = (suffix: string, description: string) =>
            new aws.ec2.SecurityGroup(`${name}-${suffix}`, { vpcId: args.vpcId, description, tags: tier.named(suffix) }, tier.defaults);
        const edge = args.edgeOnly;
        const alb = securityGroup("alb", edge ? `Keel ${name}: CloudFront to the load balancer` : `Keel ${name}: internet to the load balancer`);
        const instances = securityGroup("instances", `Keel ${name}: load balancer to the instances`);
        const anywhere = { cidrIpv4: "0.0.0.0/0" };
        const albExtra: aws.ec2.SecurityGroup[] = [];
        if (edge) {
            this.portRule(tier, "ingress", "alb-cloudfront", { securityGroupId: alb.id, description: "HTTPS from CloudFront's origin-facing addresses", port: 443, peer: { prefixListId: edge.cloudFrontPrefixListId } });
            const checkers = securityGroup("alb-healthchecks", `Keel ${name}: Route 53 health checkers to the load balancer`);
            this.portRule(tier, "ingress", "alb-healthchecks", { securityGroupId: checkers.id, description: "HTTPS from Route 53's health checkers", port: 443, peer: { prefixListId: edge.healthCheckerPrefixListId } });
            albExtra.push(checkers);
        } else {
            for (const [port, what] of [[443, "https"], [80, "http"]] as const) {
                this.portRule(tier, "ingress", `alb-${what}`, { securityGroupId: alb.id, description: `${what.toUpperCase()} from the internet`, port, peer: anywhere });
            }
        }
        this.portRule(tier, "egress", "alb-to-instances", { securityGroupId: alb.id, description: "Application port of the instances", port: appPort, peer: { referencedSecurityGroupId: instances.id } });
        this.portRule(tier, "ingress", "instances-from-alb", { securityGroupId: instances.id, description: "Application port from the load balancer", port: appPort, peer: { referencedSecurityGroupId: alb.id } });
        // AWS APIs (SSM, CloudWatch) and package downloads over HTTPS; Ubuntu's EC2 mirrors serve apt over HTTP.
        for (const [port, what] of [[443, "https"], [80, "http"]] as const) {
            this.portRule(tier, "egress", `instances-${what}`, { securityGroupId: instances.id, description: `${what.toUpperCase()} out (AWS APIs, packages)`, port, peer: anywhere });
        }
        const scrapers = [
            ...(args.metricsScrapers?.securityGroupIds ?? []).map((id, i) => ({ key: `group-${i}`, peer: { referencedSecurityGroupId: id } })),
            ...(args.metricsScrapers?.cidrBlocks ?? []).map((cidr, i) => ({ key: `cidr-${i}`, peer: { cidrIpv4: cidr } })),
        ];
        for (const [port, what] of [[appPort, "app"], [nodeExporterPort, "node"]] as const) {
            for (const { key, peer } of scrapers) {
                const description = `Prometheus scrapes ${what === "app" ? "the application's metrics" : "node exporter"}`;
                this.portRule(tier, "ingress", `scrape-${what}-${key}`, { securityGroupId: instances.id, description, port, peer });
            }
        }
        for (const [store, access] of [["database", args.database], ["cache", args.cache]] as const) {
            if (access === undefined) continue;
            const { securityGroupId, port } = access;
            this.portRule(tier, "egress", `instances-to-${store}`, { securityGroupId: instances.id, description: store === "database" ? "Database" : "Cache", port, peer: { referencedSecurityGroupId: securityGroupId } });
            this.portRule(tier, "ingress", `${store}-from-instances`, { securityGroupId, description: `Keel ${name} instances`, port, peer: { referencedSecurityGroupId: instances.id } });
        }
        return { alb, albExtra, instances };
    }

    /** The internet-facing ALB, its target group, HTTPS forwarding to it and HTTP only redirecting. */
    private loadBalancer(tier: Tier, albGroups: aws.ec2.SecurityGroup[], certificateArn: pulumi.Output<string>): { loadBalancer: aws.lb.LoadBalancer; targetGroup: aws.lb.TargetGroup } {
        const { name, args, defaults, named } = tier;
        const loadBalancer = new aws.lb.LoadBalancer(`${name}-alb`, {
            loadBalancerType: "application",
            internal: false,
            securityGroups: albGroups.map((group) => group.id),
            subnets: args.publicSubnetIds,
            // Requests with header names that are not valid HTTP are dropped, not passed on (request smuggling).
            dropInvalidHeaderFields: true,
            enableDeletionProtection: args.deletionProtection ?? false,
            ...(args.accessLogs ? { accessLogs: { bucket: args.accessLogs.bucketName, prefix: args.accessLogs.prefix, enabled: true } } : {}),
            tags: named("alb"),
        }, defaults);
        const targetGroup = new aws.lb.TargetGroup(`${name}-tg`, {
            vpcId: args.vpcId,
            targetType: "instance",
            protocol: "HTTP",
            port: tier.settings.appPort,
            // Deregistering instances (scale-in, refresh) finish in-flight requests, then leave quickly.
            deregistrationDelay: 60,
            healthCheck: {
                enabled: true,
                protocol: "HTTP",
                port: "traffic-port",
                path: tier.settings.healthCheckPath,
                matcher: "200",
                interval: 15,
                timeout: 5,
                healthyThreshold: 2,
                unhealthyThreshold: 3,
            },
            tags: named("tg"),
        }, defaults);
        const edge = args.edgeOnly;
        const forward = { type: "forward", targetGroupArn: targetGroup.arn };
        const https = new aws.lb.Listener(`${name}-https`, {
            loadBalancerArn: loadBalancer.arn,
            protocol: "HTTPS",
            port: 443,
            sslPolicy: modernTlsPolicy,
            certificateArn,
            // Behind the edge, only what the rules below let through reaches the instances.
            defaultActions: [edge ? { type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "403", messageBody: "Forbidden" } } : forward],
            tags: named("https"),
        }, defaults);
        if (edge) {
            new aws.lb.ListenerRule(`${name}-from-edge`, {
                listenerArn: https.arn,
                priority: 10,
                conditions: [{ httpHeader: { httpHeaderName: originVerifyHeader, values: [pulumi.secret(edge.originVerifySecret)] } }],
                actions: [forward],
                tags: named("from-edge"),
            }, defaults);
            // Route 53's checkers send no custom header: the health-check path alone, which the security group admits from them and CloudFront only.
            new aws.lb.ListenerRule(`${name}-health-checks`, {
                listenerArn: https.arn,
                priority: 20,
                conditions: [{ pathPattern: { values: [tier.settings.healthCheckPath] } }],
                actions: [forward],
                tags: named("health-checks"),
            }, defaults);
        }
        // Plain HTTP only ever answers with a permanent redirect to HTTPS.
        new aws.lb.Listener(`${name}-http`, {
            loadBalancerArn: loadBalancer.arn,
            protocol: "HTTP",
            port: 80,
            defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
            tags: named("http"),
        }, defaults);
        return { loadBalancer, targetGroup };
    }

    /** The instances' role and profile: Session Manager instead of SSH, the CloudWatch agent's PutMetricData, and what the application needs. */
    private instanceRole(tier: Tier): InstanceIdentity {
        const { name, defaults, named } = tier;
        const role = new aws.iam.Role(`${name}-instances`, {
            assumeRolePolicy: assumedBy("ec2.amazonaws.com"),
            tags: named("instances"),
        }, defaults);
        for (const policy of ["AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy"]) {
            new aws.iam.RolePolicyAttachment(`${name}-${policy}`, { role: role.name, policyArn: awsManagedPolicyArn(policy) }, defaults);
        }
        const profile = new aws.iam.InstanceProfile(`${name}-instances`, { role: role.name, tags: named("instances") }, defaults);
        return { role, profile, applicationPolicy: this.applicationPolicy(name, role, tier.args.application, defaults) };
    }

    /** What every instance launches from: the image, hardened metadata and network, the encrypted root volume, the boot script. */
    private launchTemplate(tier: Tier, instanceGroup: aws.ec2.SecurityGroup, identity: InstanceIdentity): aws.ec2.LaunchTemplate {
        const { name, args, defaults, named } = tier;
        const application = args.application;
        // A baked AMI, or Canonical's image resolved here, not with `resolve:ssm:` in the template:
        // instance refresh can roll back only to a template naming its AMI (and only to a numbered version).
        const imageId = application.amiId !== undefined
            ? pulumi.output(application.amiId)
            : aws.ssm.getParameterOutput({ name: args.amiParameter ?? ubuntu2204AmiParameter }, defaults).value;
        const region = aws.getRegionOutput({}, defaults).region;
        const userData = pulumi.all([region, application.databaseSecret?.arn, application.cacheSecret?.arn]).apply(([r, secretArn, cacheArn]) => {
            const registry = application.image === undefined ? undefined : ecrRepository(application.image);
            const boot: ApplicationBoot = {
                port: tier.settings.appPort,
                ...(application.image !== undefined ? { image: application.image } : {}),
                ...(registry ? { registryLogin: { registry: registry.registry, region: registry.region } } : {}),
                environment: application.environment ?? {},
                ...(secretArn !== undefined ? { databaseSecret: { arn: secretArn, region: requireSecretRegion(name, secretArn) } } : {}),
                ...(cacheArn !== undefined ? { cacheSecret: { arn: cacheArn, region: requireSecretRegion(name, cacheArn) } } : {}),
            };
            return Buffer.from(renderUserData(r, boot)).toString("base64");
        });
        const launchedTags = named("instance");
        return new aws.ec2.LaunchTemplate(`${name}`, {
            imageId,
            instanceType: args.instanceType,
            updateDefaultVersion: true,
            iamInstanceProfile: { arn: identity.profile.arn },
            // IMDSv2 only; one hop, so containers on the host cannot reach the instance's credentials.
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
            // Detailed monitoring: 1-minute EC2 metrics, which target tracking reacts to.
            monitoring: { enabled: true },
            networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: "false", securityGroups: [instanceGroup.id], deleteOnTermination: "true" }],
            blockDeviceMappings: [{
                deviceName: args.rootDeviceName ?? "/dev/sda1",
                // Encrypted with the account's EBS key: Auto Scaling's service-linked role can use it without key-policy grants.
                ebs: { volumeType: "gp3", volumeSize: tier.settings.rootVolumeGb, encrypted: "true", deleteOnTermination: "true" },
            }],
            userData,
            tagSpecifications: [
                { resourceType: "volume", tags: launchedTags },
                { resourceType: "network-interface", tags: launchedTags },
            ],
            tags: named("launch-template"),
        }, {
            ...defaults,
            // Instances launched before the role may pull the image and read the secret would fail their start.
            ...(identity.applicationPolicy ? { dependsOn: [identity.applicationPolicy] } : {}),
        });
    }

    /** The group across the private subnets behind the target group: on-demand, or spot above an on-demand floor; rolling refresh. */
    private autoScalingGroup(tier: Tier, launchTemplate: aws.ec2.LaunchTemplate, targetGroup: aws.lb.TargetGroup): aws.autoscaling.Group {
        const { name, args, defaults, named, settings } = tier;
        const templateVersion = { launchTemplateId: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) };
        return new aws.autoscaling.Group(`${name}`, {
            vpcZoneIdentifiers: args.privateSubnetIds,
            minSize: args.minSize,
            maxSize: args.maxSize,
            desiredCapacity: args.minSize,
            targetGroupArns: [targetGroup.arn],
            healthCheckType: "ELB",
            healthCheckGracePeriod: settings.gracePeriod,
            // The guides' 300 s scale-up cooldown: a new instance's metrics stay out of the group's
            // aggregate while it warms up, so target tracking does not add capacity for load the
            // new instance is about to take (applies to scaling policies and instance refresh).
            defaultInstanceWarmup: settings.scaling.instanceWarmupSeconds,
            ...(args.spot
                ? {
                      capacityRebalance: true,
                      mixedInstancesPolicy: {
                          instancesDistribution: {
                              onDemandBaseCapacity: args.spot.onDemandBaseCapacity,
                              onDemandPercentageAboveBaseCapacity: 0,
                              spotAllocationStrategy: "price-capacity-optimized",
                          },
                          launchTemplate: {
                              launchTemplateSpecification: templateVersion,
                              overrides: [args.instanceType, ...args.spot.alternativeInstanceTypes].map((instanceType) => ({ instanceType })),
                          },
                      },
                  }
                : { launchTemplate: { id: templateVersion.launchTemplateId, version: templateVersion.version } }),
            // Rolling deploys launch before terminating: a new template version's instances come into
            // service (and warm up) before the ones they replace leave, so capacity never drops below
            // the desired count; a failed refresh rolls back to the previous version.
            instanceRefresh: { strategy: "Rolling", preferences: { ...settings.instanceRefresh, autoRollback: true } },
            enabledMetrics: [...groupMetrics],
            metricsGranularity: "1Minute",
            tags: Object.entries(named("instance")).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
        }, {
            ...defaults,
            // Scaling policies own the desired capacity once the group exists; the stack must not reset it.
            ignoreChanges: ["desiredCapacity"],
        });
    }

    /**
     * What the instance role needs for the application beyond SSM and the agent: pulling its
     * image from a private ECR repository (an authorization token, which has no resource, and
     * that repository's layers), and reading its database and cache secrets (those secrets only,
     * and a customer-managed key only through Secrets Manager for that secret). Nothing when none.
     */
    private applicationPolicy(name: string, role: aws.iam.Role, app: ServiceApplication, defaults: pulumi.ResourceOptions): aws.iam.RolePolicy | undefined {
        const repository = app.image === undefined ? undefined : ecrRepository(app.image);
        const secrets = ([["Database", app.databaseSecret], ["Cache", app.cacheSecret]] as const).flatMap(([what, secret]) => (secret ? [{ what, secret }] : []));
        if (repository === undefined && secrets.length === 0) return undefined;
        const identity = aws.getCallerIdentityOutput({}, defaults);
        const partition = aws.getPartitionOutput({}, defaults).partition;
        const region = aws.getRegionOutput({}, defaults).region;
        const resolved = pulumi.all(secrets.map(({ secret }) => pulumi.all([secret.arn, secret.kmsKeyArn])));
        const policy = pulumi.all([resolved, identity.accountId, partition, region]).apply(([arns, account, part, r]) => {
            const statements: Record<string, unknown>[] = [];
            if (repository) {
                statements.push(
                    { Sid: "EcrAuthorizationToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
                    { Sid: "EcrPullApplicationImage", Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: repository.repositoryArn },
                );
            }
            secrets.forEach(({ what, secret }, i) => {
                const [secretArn, keyArn] = arns[i];
                const secretIn = requireSecretRegion(name, secretArn);
                if (secretIn !== r) {
                    throw new Error(`AutoscaledService ${name}: application.${what.toLowerCase()}Secret.arn must be the secret (or its replica) in the service's region ${r}, got ${secretArn}`);
                }
                statements.push({ Sid: `Read${what}Secret`, Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArn });
                if (secret.customerManagedKey ?? true) {
                    statements.push({
                        Sid: `Decrypt${what}Secret`,
                        Effect: "Allow",
                        Action: "kms:Decrypt",
                        Resource: keyArn ?? `arn:${part}:kms:${secretIn}:${account}:key/*`,
                        Condition: {
                            StringEquals: {
                                "kms:ViaService": `secretsmanager.${secretIn}.amazonaws.com`,
                                "kms:EncryptionContext:SecretARN": secretArn,
                            },
                        },
                    });
                }
            });
            return JSON.stringify({ Version: "2012-10-17", Statement: statements });
        });
        return new aws.iam.RolePolicy(`${name}-application`, { role: role.id, policy }, defaults);
    }

    /**
     * Target tracking adds capacity on CPU, memory and (optionally) requests per target, never
     * removes it (`disableScaleIn`); one simple policy removes an instance at a time once every
     * metric has stayed under half its target for `scaleInCooldownSeconds`, then waits as long
     * again (its cooldown) before the next removal — the guides' 600 s scale-down cooldown.
     */
    private scalingPolicies(
        name: string,
        group: aws.autoscaling.Group,
        scaling: ScalingSettings,
        alarmTags: Record<string, pulumi.Input<string>>,
        requests?: { requestsPerTarget: number; resourceLabel: pulumi.Output<string>; targetGroupArnSuffix: pulumi.Output<string> },
    ): void {
        const defaults = { parent: this };
        const groupDimension = { AutoScalingGroupName: group.name };
        const targetTracking = (suffix: string, targetValue: number, metric: Pick<aws.types.input.autoscaling.PolicyTargetTrackingConfiguration, "predefinedMetricSpecification" | "customizedMetricSpecification">) =>
            new aws.autoscaling.Policy(`${name}-${suffix}`, {
                autoscalingGroupName: group.name,
                policyType: "TargetTrackingScaling",
                targetTrackingConfiguration: { targetValue, disableScaleIn: true, ...metric },
            }, defaults);
        targetTracking("cpu", scaling.cpuTargetPercent, { predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" } });
        targetTracking("memory", scaling.memoryTargetPercent, {
            customizedMetricSpecification: {
                namespace: agentNamespace,
                metricName: memoryMetricName,
                statistic: "Average",
                metricDimensions: [{ name: "AutoScalingGroupName", value: group.name }],
            },
        });
        if (requests) {
            targetTracking("requests", requests.requestsPerTarget, {
                predefinedMetricSpecification: { predefinedMetricType: "ALBRequestCountPerTarget", resourceLabel: requests.resourceLabel },
            });
        }

        const scaleIn = new aws.autoscaling.Policy(`${name}-scale-in`, {
            autoscalingGroupName: group.name,
            policyType: "SimpleScaling",
            adjustmentType: "ChangeInCapacity",
            scalingAdjustment: -1,
            cooldown: scaling.scaleInCooldownSeconds,
        }, defaults);
        const metric = (id: string, namespace: string, metricName: string, stat: string, dimensions: Record<string, pulumi.Input<string>>) =>
            ({ id, returnData: false, metric: { namespace, metricName, stat, period: alarmPeriodSeconds, dimensions } });
        const loads: [string, number][] = [["cpu", scaling.cpuTargetPercent], ["memory", scaling.memoryTargetPercent], ...(requests ? [["requests", requests.requestsPerTarget] as [string, number]] : [])];
        const periods = scaleInEvaluationPeriods(scaling);
        new aws.cloudwatch.MetricAlarm(`${name}-low-load`, {
            alarmDescription: `Keel ${name}: every scaling metric under ${scaleInBelowPercentOfTarget} % of its target for ${scaling.scaleInCooldownSeconds} s; removes one instance`,
            metricQueries: [
                metric("cpu", "AWS/EC2", "CPUUtilization", "Average", groupDimension),
                metric("memory", agentNamespace, memoryMetricName, "Average", groupDimension),
                ...(requests ? [metric("requests", "AWS/ApplicationELB", "RequestCountPerTarget", "Sum", { TargetGroup: requests.targetGroupArnSuffix })] : []),
                // Load as a percentage of target, the highest of the metrics at each minute.
                { id: "load", expression: `100 * MAX([${loads.map(([id, target]) => `${id} / ${target}`).join(", ")}])`, label: "Load (% of target)", returnData: true },
            ],
            comparisonOperator: "LessThanThreshold",
            threshold: scaleInBelowPercentOfTarget,
            evaluationPeriods: periods,
            datapointsToAlarm: periods,
            // No data (instances booting, agent down) is no evidence of low load.
            treatMissingData: "notBreaching",
            alarmActions: [scaleIn.arn],
            tags: alarmTags,
        }, defaults);
    }
}

/** The region of a secret ARN; a malformed ARN fails the deployment with the service's name. */
function requireSecretRegion(service: string, arn: string): string {
    const region = secretRegion(arn);
    if (region === undefined) throw new Error(`AutoscaledService ${service}: an application secret's ARN must be a Secrets Manager secret ARN, got ${JSON.stringify(arn)}`);
    return region;
}
