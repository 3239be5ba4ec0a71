import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumedBy } from "../iam";
import { requireNoProblems, type Problem } from "../problems";
import { natGatewayCount, natGatewayForZone, networkDefaults, planSubnets, subnetLayoutProblems, type NatGatewayMode, type SubnetTier } from "./subnets";
import { publicOutputs } from "../outputs";

export interface NetworkArgs {
    /**
     * CIDR of the VPC, /16 to /20. A plain string: subnets are planned from it when the
     * component is constructed. Default `10.0.0.0/16`.
     */
    readonly cidrBlock?: string;
    /** Availability zones to spread subnets over (2–6). Default 3. */
    readonly availabilityZoneCount?: number;
    /**
     * NAT gateways for the private subnets: `one-per-az` keeps egress working when a zone
     * fails, `single` saves cost, `none` leaves private subnets without internet egress.
     * Default `one-per-az`.
     */
    readonly natGateways?: NatGatewayMode;
    /** Retention of the VPC flow log group, in days (a CloudWatch Logs retention value). Default 90. */
    readonly flowLogRetentionInDays?: pulumi.Input<number>;
    /** Tags added to every resource, on top of the provider's default tags. */
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Problems with Network's arguments, before anything is registered; the messages leave the values to `given`. */
export function networkProblems(args: NetworkArgs): Problem[] {
    return subnetLayoutProblems(args.cidrBlock ?? networkDefaults.cidrBlock, args.availabilityZoneCount ?? networkDefaults.availabilityZoneCount);
}

/** Where Kubernetes load balancer controllers place public and internal load balancers. */
const subnetRoleTags: Record<SubnetTier, Record<string, string>> = {
    public: { "kubernetes.io/role/elb": "1" },
    private: { "kubernetes.io/role/internal-elb": "1" },
    database: {},
};

/** What every step of `Network` builds in. */
interface VpcContext {
    readonly name: string;
    readonly vpc: aws.ec2.Vpc;
    /** The component's tags plus the `Name` of the child `<name>-<suffix>`. */
    readonly named: (suffix: string) => pulumi.Output<Record<string, string>>;
    readonly defaults: pulumi.CustomResourceOptions;
}

/**
 * A VPC across availability zones with public, private and database subnets, NAT egress,
 * an isolated database tier, VPC flow logs to CloudWatch and an S3 gateway endpoint.
 * The region is the provider's: pass one with `{ provider }`.
 */
export class Network extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly cidrBlock: pulumi.Output<string>;
    public readonly region: pulumi.Output<string>;
    public readonly availabilityZones: pulumi.Output<string[]>;
    public readonly publicSubnetIds: pulumi.Output<string[]>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    public readonly databaseSubnetIds: pulumi.Output<string[]>;
    public readonly privateRouteTableIds: pulumi.Output<string[]>;
    public readonly databaseRouteTableId: pulumi.Output<string>;
    /** The private (one per zone) and database route tables, one Output each: where routes to a peered VPC go. */
    public readonly routeTableIds: { readonly private: pulumi.Output<string>[]; readonly database: pulumi.Output<string> };
    /** CIDRs of the private subnets (where instances and Kubernetes nodes run), by zone. */
    public readonly privateSubnetCidrBlocks: string[];
    public readonly natGatewayIds: pulumi.Output<string[]>;
    public readonly flowLogGroupName: pulumi.Output<string>;

    constructor(name: string, args: NetworkArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        const cidrBlock = args.cidrBlock ?? networkDefaults.cidrBlock;
        const zoneCount = args.availabilityZoneCount ?? networkDefaults.availabilityZoneCount;
        // Refuse a layout that does not fit before anything is registered.
        requireNoProblems(`Network ${name}`, networkProblems(args), args);
        const layout = planSubnets(cidrBlock, zoneCount);
        super("keel:network:Network", name, args, opts);

        const natMode = args.natGateways ?? "one-per-az";
        const defaults = { parent: this };
        const named = (suffix: string) => pulumi.output(args.tags ?? {}).apply((tags): Record<string, string> => ({ ...tags, Name: `${name}-${suffix}` }));
        const region = aws.getRegionOutput({}, defaults).region;
        const zones = this.usableZones(name, zoneCount);

        const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
            cidrBlock,
            enableDnsHostnames: true,
            enableDnsSupport: true,
            tags: named("vpc"),
        }, defaults);
        const net: VpcContext = { name, vpc, named, defaults };

        // The default security group admits all traffic between its members; strip its rules
        // so nothing lands in it by accident (CIS AWS 5.4).
        new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, tags: named("default-sg") }, defaults);

        const internetGateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: named("igw") }, defaults);
        const publicSubnets = this.subnets(net, "public", layout.public, zones);
        const privateSubnets = this.subnets(net, "private", layout.private, zones);
        const databaseSubnets = this.subnets(net, "database", layout.database, zones);

        const publicRouteTable = new aws.ec2.RouteTable(`${name}-public`, {
            vpcId: vpc.id,
            routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: internetGateway.id }],
            tags: named("public"),
        }, defaults);
        publicSubnets.forEach((subnet, zone) =>
            new aws.ec2.RouteTableAssociation(`${name}-public-${zone}`, { subnetId: subnet.id, routeTableId: publicRouteTable.id }, defaults));
        const natGateways = this.natGateways(net, natGatewayCount(natMode, zoneCount), publicSubnets, internetGateway);
        const privateRouteTables = this.privateRouteTables(net, privateSubnets, natMode, natGateways);

        // The database tier has no route to the internet in either direction: Keel adds none
        // here, only a peered VPC's (VpcPeering), so replicas and exporters across regions connect.
        const databaseRouteTable = new aws.ec2.RouteTable(`${name}-database`, { vpcId: vpc.id, tags: named("database") }, defaults);
        databaseSubnets.forEach((subnet, zone) =>
            new aws.ec2.RouteTableAssociation(`${name}-database-${zone}`, { subnetId: subnet.id, routeTableId: databaseRouteTable.id }, defaults));

        // Backups and artifacts reach S3 without NAT charges or internet exposure.
        new aws.ec2.VpcEndpoint(`${name}-s3`, {
            vpcId: vpc.id,
            serviceName: pulumi.interpolate`com.amazonaws.${region}.s3`,
            vpcEndpointType: "Gateway",
            routeTableIds: [...privateRouteTables.map((rt) => rt.id), databaseRouteTable.id],
            tags: named("s3"),
        }, defaults);
        const flowLogGroup = this.flowLogs(net, args.flowLogRetentionInDays ?? 90);

        const ids = (resources: { id: pulumi.Output<string> }[]) => pulumi.all(resources.map((r) => r.id));
        this.vpcId = vpc.id;
        this.cidrBlock = vpc.cidrBlock;
        this.region = region;
        this.availabilityZones = zones;
        this.publicSubnetIds = ids(publicSubnets);
        this.privateSubnetIds = ids(privateSubnets);
        this.databaseSubnetIds = ids(databaseSubnets);
        this.privateRouteTableIds = ids(privateRouteTables);
        this.databaseRouteTableId = databaseRouteTable.id;
        this.routeTableIds = { private: privateRouteTables.map((table) => table.id), database: databaseRouteTable.id };
        this.privateSubnetCidrBlocks = [...layout.private];
        this.natGatewayIds = ids(natGateways);
        this.flowLogGroupName = flowLogGroup.name;
        this.registerOutputs(publicOutputs(this));
    }

    /** The first `zoneCount` zones the region offers without opting in. */
    private usableZones(name: string, zoneCount: number): pulumi.Output<string[]> {
        return aws
            .getAvailabilityZonesOutput({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }, { parent: this })
            .names.apply((names) => {
                if (names.length < zoneCount) throw new Error(`${name}: the region offers ${names.length} availability zones, ${zoneCount} requested`);
                return names.slice(0, zoneCount);
            });
    }

    /** One subnet of the tier per zone, tagged with its tier and the Kubernetes load balancer role. */
    private subnets(net: VpcContext, tier: SubnetTier, cidrs: readonly string[], zones: pulumi.Output<string[]>): aws.ec2.Subnet[] {
        return cidrs.map((cidr, zone) =>
            new aws.ec2.Subnet(`${net.name}-${tier}-${zone}`, {
                vpcId: net.vpc.id,
                cidrBlock: cidr,
                availabilityZone: zones.apply((z) => z[zone]),
                // Nothing gets a public address implicitly, not even in public subnets.
                mapPublicIpOnLaunch: false,
                tags: net.named(`${tier}-${zone}`).apply((tags) => ({ ...tags, ...subnetRoleTags[tier], "keel:tier": tier })),
            }, net.defaults),
        );
    }

    /** NAT gateways in the first `count` public subnets, each with its Elastic IP. */
    private natGateways(net: VpcContext, count: number, publicSubnets: aws.ec2.Subnet[], internetGateway: aws.ec2.InternetGateway): aws.ec2.NatGateway[] {
        return [...Array(count).keys()].map((zone) => {
            const eip = new aws.ec2.Eip(`${net.name}-nat-${zone}`, { domain: "vpc", tags: net.named(`nat-${zone}`) }, net.defaults);
            return new aws.ec2.NatGateway(`${net.name}-nat-${zone}`, {
                allocationId: eip.id,
                subnetId: publicSubnets[zone].id,
                connectivityType: "public",
                tags: net.named(`nat-${zone}`),
            }, { ...net.defaults, dependsOn: [internetGateway] });
        });
    }

    /**
     * A route table per private subnet, to the internet through its zone's NAT gateway (if the
     * mode gives it one). Routes are `aws.ec2.Route` resources, not inline `routes`: a table takes
     * one or the other (the provider overwrites one with the other), and peering (VpcPeering)
     * adds its routes to these tables from outside the component.
     */
    private privateRouteTables(net: VpcContext, privateSubnets: aws.ec2.Subnet[], natMode: NatGatewayMode, natGateways: aws.ec2.NatGateway[]): aws.ec2.RouteTable[] {
        const { name, defaults } = net;
        return privateSubnets.map((subnet, zone) => {
            const nat = natGatewayForZone(natMode, zone);
            const routeTable = new aws.ec2.RouteTable(`${name}-private-${zone}`, { vpcId: net.vpc.id, tags: net.named(`private-${zone}`) }, defaults);
            if (nat !== undefined) {
                new aws.ec2.Route(`${name}-private-${zone}-internet`, { routeTableId: routeTable.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: natGateways[nat].id }, defaults);
            }
            new aws.ec2.RouteTableAssociation(`${name}-private-${zone}`, { subnetId: subnet.id, routeTableId: routeTable.id }, defaults);
            return routeTable;
        });
    }

    /** All the VPC's traffic to CloudWatch Logs each minute, through a role only flow logs acting for this account assume. */
    private flowLogs(net: VpcContext, retentionInDays: pulumi.Input<number>): aws.cloudwatch.LogGroup {
        const { name, named, defaults } = net;
        const accountId = aws.getCallerIdentityOutput({}, defaults).accountId;
        const flowLogGroup = new aws.cloudwatch.LogGroup(`${name}-flow-logs`, {
            namePrefix: `/keel/vpc/${name}/flow-logs-`,
            retentionInDays,
            tags: named("flow-logs"),
        }, defaults);
        const flowLogRole = new aws.iam.Role(`${name}-flow-logs`, {
            assumeRolePolicy: assumedBy("vpc-flow-logs.amazonaws.com", { sourceAccount: accountId }),
            tags: named("flow-logs"),
        }, defaults);
        new aws.iam.RolePolicy(`${name}-flow-logs`, {
            role: flowLogRole.id,
            policy: flowLogGroup.arn.apply((arn) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{
                    Effect: "Allow",
                    Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    Resource: [arn, `${arn}:*`],
                }],
            })),
        }, defaults);
        new aws.ec2.FlowLog(`${name}-flow-logs`, {
            vpcId: net.vpc.id,
            trafficType: "ALL",
            logDestinationType: "cloud-watch-logs",
            logDestination: flowLogGroup.arn,
            iamRoleArn: flowLogRole.arn,
            maxAggregationInterval: 60,
            tags: named("flow-logs"),
        }, defaults);
        return flowLogGroup;
    }
}
