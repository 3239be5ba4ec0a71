import * as aws from "@pulumi/aws";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import { mockAccountId } from "../../offline-plan/mocks";
import type { PlanResource } from "../../offline-plan/record";
import { text, object, list, texts, mockOf, idOf, arnOf, childrenOf, only, planComponents, refusedArguments, publicOutputs } from "../../tests/plans";
import { Network, networkProblems, type NetworkArgs } from "./network";
import { planSubnets, type SubnetTier } from "./subnets";

/**
 * The Network component's contract, read from offline plans built the way the stacks build
 * it: an explicit regional `aws.Provider` with default tags, passed as `{ provider }`.
 */

const types = {
    stack: "pulumi:pulumi:Stack",
    network: "keel:network:Network",
    provider: "pulumi:providers:aws",
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    internetGateway: "aws:ec2/internetGateway:InternetGateway",
    eip: "aws:ec2/eip:Eip",
    natGateway: "aws:ec2/natGateway:NatGateway",
    routeTable: "aws:ec2/routeTable:RouteTable",
    route: "aws:ec2/route:Route",
    association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
    endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
    defaultSecurityGroup: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    flowLog: "aws:ec2/flowLog:FlowLog",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
} as const;

const tiers: SubnetTier[] = ["public", "private", "database"];
const zoneLetters = ["a", "b", "c"];
const stackUrn = "urn:pulumi:test::keel::pulumi:pulumi:Stack::keel-test";
const defaultTags = { environment: "test", service: "keel", owner: "platform", "managed-by": "pulumi" };



interface NetworkOutputs {
    readonly vpcId: string;
    readonly cidrBlock: string;
    readonly region: string;
    readonly availabilityZones: string[];
    readonly subnetIds: Record<SubnetTier, string[]>;
    readonly privateRouteTableIds: string[];
    readonly databaseRouteTableId: string;
    readonly natGatewayIds: string[];
    readonly flowLogGroupName: string;
}

function readOutputs(value: unknown, what: string): NetworkOutputs {
    const o = object(value, what);
    return {
        vpcId: text(o.vpcId, `${what}.vpcId`),
        cidrBlock: text(o.cidrBlock, `${what}.cidrBlock`),
        region: text(o.region, `${what}.region`),
        availabilityZones: texts(o.availabilityZones, `${what}.availabilityZones`),
        subnetIds: {
            public: texts(o.publicSubnetIds, `${what}.publicSubnetIds`),
            private: texts(o.privateSubnetIds, `${what}.privateSubnetIds`),
            database: texts(o.databaseSubnetIds, `${what}.databaseSubnetIds`),
        },
        privateRouteTableIds: texts(o.privateRouteTableIds, `${what}.privateRouteTableIds`),
        databaseRouteTableId: text(o.databaseRouteTableId, `${what}.databaseRouteTableId`),
        natGatewayIds: texts(o.natGatewayIds, `${what}.natGatewayIds`),
        flowLogGroupName: text(o.flowLogGroupName, `${what}.flowLogGroupName`),
    };
}


/** One Network of a plan: its component, its children and its exported outputs. */
class NetworkView {
    readonly component: PlanResource;
    readonly children: PlanResource[];
    readonly outputs: NetworkOutputs;

    constructor(readonly record: PlanRecord, readonly name: string) {
        this.component = only(record, types.network, name);
        this.children = childrenOf(record, this.component);
        this.outputs = readOutputs(record.outputs[name], `outputs.${name}`);
    }

    all(type: string): PlanResource[] {
        return this.children.filter((r) => r.type === type);
    }

    one(type: string, suffix: string): PlanResource {
        const matches = this.all(type).filter((r) => r.name === `${this.name}-${suffix}`);
        assert.equal(matches.length, 1, `expected one ${type} named ${this.name}-${suffix}, found ${matches.length}`);
        return matches[0];
    }

    /** The child of a type whose mock id is `id`. */
    byId(type: string, id: string): PlanResource {
        const matches = this.all(type).filter((r) => idOf(r) === id);
        assert.equal(matches.length, 1, `expected one ${type} with id ${id}, found ${matches.length}`);
        return matches[0];
    }

    get vpc(): PlanResource {
        return this.one(types.vpc, "vpc");
    }

    subnet(tier: SubnetTier, zone: number): PlanResource {
        return this.one(types.subnet, `${tier}-${zone}`);
    }

    get logGroupArn(): string {
        return `arn:aws:logs:${this.outputs.region}:${mockAccountId}:log-group:${this.outputs.flowLogGroupName}`;
    }
}

function providerUrnOf(record: PlanRecord, name: string): string {
    return only(record, types.provider, name).urn;
}

/** Child counts per type of a three-zone Network with `nats` NAT gateways. */
function expectedInventory(nats: number): Record<string, number> {
    const inventory: Record<string, number> = {
        [types.vpc]: 1,
        [types.defaultSecurityGroup]: 1,
        [types.internetGateway]: 1,
        [types.subnet]: 9,
        [types.routeTable]: 1 + 3 + 1,
        [types.association]: 9,
        [types.endpoint]: 1,
        [types.logGroup]: 1,
        [types.role]: 1,
        [types.rolePolicy]: 1,
        [types.flowLog]: 1,
    };
    // One internet route per private route table, through its NAT gateway.
    if (nats > 0) Object.assign(inventory, { [types.eip]: nats, [types.natGateway]: nats, [types.route]: 3 });
    return inventory;
}

function inventoryOf(resources: PlanResource[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
    return counts;
}

const sorted = (values: string[]) => [...values].sort();

// ---- the plans, each built once ----

/** Primary (us-east-1, component defaults) and DR (us-west-2, single NAT) side by side, as stacks/network.ts builds them. */
let twoRegions: Promise<PlanRecord> | undefined;
function planTwoRegions(): Promise<PlanRecord> {
    twoRegions ??= planComponents(() => {
        const primaryProvider = new aws.Provider("primary", { region: "us-east-1", defaultTags: { tags: defaultTags } });
        const drProvider = new aws.Provider("dr", { region: "us-west-2", defaultTags: { tags: defaultTags } });
        const primary = new Network("primary", { flowLogRetentionInDays: 365, tags: { "cost-center": "platform" } }, { provider: primaryProvider });
        const dr = new Network("dr", { cidrBlock: "10.1.0.0/16", availabilityZoneCount: 3, natGateways: "single" }, { provider: drProvider });
        return { primary: publicOutputs(primary), dr: publicOutputs(dr) };
    });
    return twoRegions;
}

function planIsolated(args: NetworkArgs): Promise<PlanRecord> {
    return planComponents(() => {
        const provider = new aws.Provider("primary", { region: "us-east-1", defaultTags: { tags: defaultTags } });
        const network = new Network("isolated", args, { provider });
        return { isolated: publicOutputs(network) };
    });
}

// ---- checks shared by every scenario ----

function checkStructure(view: () => NetworkView, provider: string, region: string, nats: number): void {
    it("registers a keel:network:Network component under the stack", () => {
        const { component, name } = view();
        assert.equal(component.type, "keel:network:Network");
        assert.equal(component.urn, `urn:pulumi:test::keel::keel:network:Network::${name}`);
        assert.equal(component.parent, stackUrn);
        assert.equal(component.custom, false);
    });

    it(`creates exactly the expected children (${nats} NAT gateways)`, () => {
        assert.deepEqual(inventoryOf(view().children), expectedInventory(nats));
    });

    it(`gives every child the component as parent and the ${provider} provider (${region}) explicitly`, () => {
        const { record, component, children } = view();
        const providerUrn = providerUrnOf(record, provider);
        assert.equal(only(record, types.provider, provider).inputs.region, region);
        for (const child of children) {
            assert.equal(child.parent, component.urn, `${child.type} ${child.name}`);
            assert.equal(child.custom, true, `${child.type} ${child.name}`);
            assert.equal(child.provider, providerUrn, `${child.type} ${child.name} uses another provider`);
            assert.equal(child.region, region, `${child.type} ${child.name}`);
            assert.ok(child.type.startsWith("aws:"), `${child.type} ${child.name} is not an AWS resource`);
            assert.ok(child.name.startsWith(`${view().name}-`), `${child.name} does not carry the component's name`);
        }
        // No AWS resource of the plan lives outside a component, nor on a default provider.
        const components = new Set(record.resources.filter((r) => r.type === types.network).map((r) => r.urn));
        for (const r of record.resources.filter((r) => r.type.startsWith("aws:"))) {
            assert.ok(r.parent !== null && components.has(r.parent), `${r.type} ${r.name} lives outside a Network`);
        }
        assert.deepEqual(record.resources.filter((r) => r.type === types.provider && r.name.startsWith("default")), []);
    });

    it("reports outputs that are the ids the plan gave the children", () => {
        const v = view();
        assert.equal(v.outputs.vpcId, idOf(v.vpc));
        for (const tier of tiers) assert.deepEqual(v.outputs.subnetIds[tier], [0, 1, 2].map((z) => idOf(v.subnet(tier, z))), tier);
        assert.deepEqual(v.outputs.privateRouteTableIds, [0, 1, 2].map((z) => idOf(v.one(types.routeTable, `private-${z}`))));
        assert.equal(v.outputs.databaseRouteTableId, idOf(v.one(types.routeTable, "database")));
        assert.deepEqual(v.outputs.natGatewayIds, [...Array(nats).keys()].map((z) => idOf(v.one(types.natGateway, `nat-${z}`))));
        assert.equal(v.outputs.flowLogGroupName, mockOf(v.one(types.logGroup, "flow-logs")).state.name);
    });

    it("exports a vpc- id, the region, three zones and three distinct subnet ids per tier", () => {
        const { outputs } = view();
        assert.match(outputs.vpcId, /^vpc-[0-9a-f]{17}$/);
        assert.equal(outputs.region, region);
        assert.deepEqual(outputs.availabilityZones, zoneLetters.map((l) => `${region}${l}`));
        for (const tier of tiers) {
            assert.equal(outputs.subnetIds[tier].length, 3, tier);
            for (const id of outputs.subnetIds[tier]) assert.match(id, /^subnet-[0-9a-f]{17}$/);
        }
        assert.equal(new Set(tiers.flatMap((tier) => outputs.subnetIds[tier])).size, 9);
        assert.equal(outputs.privateRouteTableIds.length, 3);
        assert.match(outputs.databaseRouteTableId, /^rtb-[0-9a-f]{17}$/);
        assert.equal(new Set(outputs.natGatewayIds).size, nats);
    });
}

function checkVpcAndSubnets(view: () => NetworkView, region: string, cidrBlock: string, expected: Record<SubnetTier, string[]>): void {
    it(`creates the VPC ${cidrBlock} with DNS support and DNS hostnames`, () => {
        const { vpc, outputs } = view();
        assert.equal(vpc.inputs.cidrBlock, cidrBlock);
        assert.equal(vpc.inputs.enableDnsSupport, true);
        assert.equal(vpc.inputs.enableDnsHostnames, true);
        assert.equal(outputs.cidrBlock, cidrBlock);
    });

    it("places three subnets per tier at the addresses planSubnets gives", () => {
        const v = view();
        assert.deepEqual(planSubnets(cidrBlock, 3), expected);
        for (const tier of tiers) {
            assert.deepEqual([0, 1, 2].map((z) => v.subnet(tier, z).inputs.cidrBlock), expected[tier], tier);
        }
        assert.equal(v.all(types.subnet).length, 9);
    });

    it(`spreads every tier over ${region}a, ${region}b and ${region}c`, () => {
        const v = view();
        for (const tier of tiers) {
            assert.deepEqual([0, 1, 2].map((z) => v.subnet(tier, z).inputs.availabilityZone), zoneLetters.map((l) => `${region}${l}`), tier);
        }
    });

    it("puts every subnet in the VPC and never maps public IPs on launch", () => {
        const v = view();
        const vpcId = idOf(v.vpc);
        for (const subnet of v.all(types.subnet)) {
            assert.equal(subnet.inputs.vpcId, vpcId, subnet.name);
            assert.equal(subnet.inputs.mapPublicIpOnLaunch, false, subnet.name);
        }
    });

    it("tags public subnets for internet-facing and private subnets for internal load balancers, database subnets for neither", () => {
        const v = view();
        const roleTags: Record<SubnetTier, Record<string, string>> = {
            public: { "kubernetes.io/role/elb": "1" },
            private: { "kubernetes.io/role/internal-elb": "1" },
            database: {},
        };
        for (const tier of tiers) {
            for (const zone of [0, 1, 2]) {
                const tags = object(v.subnet(tier, zone).inputs.tags, `${tier}-${zone}.tags`);
                const kubernetesTags = Object.fromEntries(Object.entries(tags).filter(([k]) => k.startsWith("kubernetes.io/")));
                assert.deepEqual(kubernetesTags, roleTags[tier], `${tier}-${zone}`);
                assert.equal(tags["keel:tier"], tier);
                assert.equal(tags.Name, `${v.name}-${tier}-${zone}`);
            }
        }
    });

    it("associates every subnet with exactly one route table: its tier's (private: its zone's)", () => {
        const v = view();
        const associations = v.all(types.association);
        const expectedTable: Record<SubnetTier, (zone: number) => string> = {
            public: () => idOf(v.one(types.routeTable, "public")),
            private: (zone) => v.outputs.privateRouteTableIds[zone],
            database: () => v.outputs.databaseRouteTableId,
        };
        for (const tier of tiers) {
            v.outputs.subnetIds[tier].forEach((subnetId, zone) => {
                const mine = associations.filter((a) => a.inputs.subnetId === subnetId);
                assert.equal(mine.length, 1, `${tier}-${zone} has ${mine.length} route table associations`);
                assert.equal(mine[0].inputs.routeTableId, expectedTable[tier](zone), `${tier}-${zone}`);
            });
        }
        assert.equal(associations.length, 9);
    });
}

function checkRouting(view: () => NetworkView): void {
    it("routes 0.0.0.0/0 of the public route table, and only that, to the VPC's internet gateway", () => {
        const v = view();
        const igw = v.one(types.internetGateway, "igw");
        assert.equal(igw.inputs.vpcId, idOf(v.vpc));
        const table = v.one(types.routeTable, "public");
        assert.equal(table.inputs.vpcId, idOf(v.vpc));
        assert.deepEqual(table.inputs.routes, [{ cidrBlock: "0.0.0.0/0", gatewayId: idOf(igw) }]);
        assert.match(idOf(igw), /^igw-/);
    });

    it("gives the database route table no route of its own (no internet either way); route tables take routes only as Route resources", () => {
        const v = view();
        const table = v.one(types.routeTable, "database");
        assert.equal(table.inputs.vpcId, idOf(v.vpc));
        assert.equal(v.all(types.route).filter((r) => r.inputs.routeTableId === idOf(table)).length, 0);
        // Inline routes would overwrite (and be overwritten by) the Route resources peering adds.
        for (const privateTable of v.all(types.routeTable).filter((t) => t.name.includes("-private-"))) assert.equal(privateTable.inputs.routes, undefined, privateTable.name);
    });

    it("attaches an S3 gateway endpoint to every private route table and the database route table, not the public one", () => {
        const v = view();
        const endpoint = v.one(types.endpoint, "s3");
        assert.equal(endpoint.inputs.serviceName, `com.amazonaws.${v.outputs.region}.s3`);
        assert.equal(endpoint.inputs.vpcEndpointType, "Gateway");
        assert.equal(endpoint.inputs.vpcId, idOf(v.vpc));
        const attached = texts(endpoint.inputs.routeTableIds, "routeTableIds");
        assert.deepEqual(sorted(attached), sorted([...v.outputs.privateRouteTableIds, v.outputs.databaseRouteTableId]));
        assert.ok(!attached.includes(idOf(v.one(types.routeTable, "public"))));
        for (const table of [0, 1, 2].map((z) => v.one(types.routeTable, `private-${z}`)).concat(v.one(types.routeTable, "database"))) {
            assert.ok(endpoint.dependencies.includes(table.urn), `the endpoint does not depend on ${table.name}`);
        }
    });

    it("manages the VPC's default security group with no ingress and no egress rules", () => {
        const v = view();
        const group = v.one(types.defaultSecurityGroup, "default-sg");
        assert.equal(group.inputs.vpcId, idOf(v.vpc));
        assert.deepEqual(group.inputs.ingress ?? [], []);
        assert.deepEqual(group.inputs.egress ?? [], []);
    });
}

function checkNat(view: () => NetworkView, nats: number): void {
    it(`creates ${nats} public NAT gateway(s), each with its own VPC EIP, in the public subnets of the first zone(s), after the internet gateway`, () => {
        const v = view();
        assert.equal(v.all(types.natGateway).length, nats);
        assert.equal(v.all(types.eip).length, nats);
        const igw = v.one(types.internetGateway, "igw");
        for (let zone = 0; zone < nats; zone++) {
            const nat = v.one(types.natGateway, `nat-${zone}`);
            const eip = v.one(types.eip, `nat-${zone}`);
            assert.equal(eip.inputs.domain, "vpc");
            assert.equal(nat.inputs.allocationId, idOf(eip));
            assert.equal(nat.inputs.connectivityType, "public");
            assert.equal(nat.inputs.subnetId, v.outputs.subnetIds.public[zone]);
            assert.ok(nat.dependencies.includes(igw.urn), `NAT gateway ${zone} does not wait for the internet gateway`);
        }
    });

    it(`routes each private route table's 0.0.0.0/0 through ${nats === 1 ? "the single" : "the same zone's"} NAT gateway`, () => {
        const v = view();
        const zoneOfSubnet = (id: string) => text(v.byId(types.subnet, id).inputs.availabilityZone, `${id}.availabilityZone`);
        v.outputs.privateRouteTableIds.forEach((tableId, zone) => {
            const table = v.byId(types.routeTable, tableId);
            const natId = v.outputs.natGatewayIds[nats === 1 ? 0 : zone];
            const routes = v.all(types.route).filter((r) => r.inputs.routeTableId === tableId).map((r) => ({ destinationCidrBlock: r.inputs.destinationCidrBlock, natGatewayId: r.inputs.natGatewayId }));
            assert.deepEqual(routes, [{ destinationCidrBlock: "0.0.0.0/0", natGatewayId: natId }], table.name);
            // Follow the wiring: the table's subnet and its NAT gateway's subnet share a zone
            // (with one NAT gateway per zone), or every table uses zone a's (with a single one).
            const association = v.all(types.association).find((a) => a.inputs.routeTableId === tableId);
            assert.ok(association, `no association for ${table.name}`);
            const privateZone = zoneOfSubnet(text(association.inputs.subnetId, "subnetId"));
            const natZone = zoneOfSubnet(text(v.byId(types.natGateway, natId).inputs.subnetId, "nat subnetId"));
            assert.equal(privateZone, `${v.outputs.region}${zoneLetters[zone]}`);
            assert.equal(natZone, nats === 1 ? `${v.outputs.region}a` : privateZone, `${table.name} leaves its zone for egress`);
        });
    });
}

function checkFlowLogs(view: () => NetworkView, retentionInDays: number): void {
    it(`logs ALL traffic of the VPC to CloudWatch Logs, kept ${retentionInDays} days`, () => {
        const v = view();
        const group = v.one(types.logGroup, "flow-logs");
        assert.equal(group.inputs.retentionInDays, retentionInDays);
        assert.equal(group.inputs.namePrefix, `/keel/vpc/${v.name}/flow-logs-`);
        assert.ok(v.outputs.flowLogGroupName.startsWith(`/keel/vpc/${v.name}/flow-logs-`));
        const flowLog = v.one(types.flowLog, "flow-logs");
        assert.equal(flowLog.inputs.vpcId, idOf(v.vpc));
        assert.equal(flowLog.inputs.trafficType, "ALL");
        assert.equal(flowLog.inputs.logDestinationType, "cloud-watch-logs");
        assert.equal(flowLog.inputs.logDestination, v.logGroupArn);
        assert.equal(arnOf(group), v.logGroupArn);
        assert.equal(flowLog.inputs.iamRoleArn, `arn:aws:iam::${mockAccountId}:role/${idOf(v.one(types.role, "flow-logs"))}`);
        assert.equal(flowLog.inputs.maxAggregationInterval, 60);
    });

    it("lets only this account's VPC flow logs service assume the delivery role", () => {
        const role = view().one(types.role, "flow-logs");
        assert.deepEqual(JSON.parse(text(role.inputs.assumeRolePolicy, "assumeRolePolicy")), {
            Version: "2012-10-17",
            Statement: [{
                Effect: "Allow",
                Principal: { Service: "vpc-flow-logs.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": mockAccountId } },
            }],
        });
    });

    it("limits the role's policy to writing into this log group", () => {
        const v = view();
        const policy = v.one(types.rolePolicy, "flow-logs");
        assert.equal(policy.inputs.role, idOf(v.one(types.role, "flow-logs")));
        const document = object(JSON.parse(text(policy.inputs.policy, "policy")), "policy");
        assert.equal(document.Version, "2012-10-17");
        const statements = list(document.Statement, "Statement").map((s, i) => object(s, `Statement[${i}]`));
        assert.equal(statements.length, 1);
        const [statement] = statements;
        assert.deepEqual(Object.keys(statement).sort(), ["Action", "Effect", "Resource"]);
        assert.equal(statement.Effect, "Allow");
        assert.deepEqual(sorted(texts(statement.Action, "Action")), ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]);
        assert.deepEqual(texts(statement.Resource, "Resource"), [v.logGroupArn, `${v.logGroupArn}:*`]);
    });
}

function checkTags(view: () => NetworkView, extraTags: Record<string, string>): void {
    it("names and tags every taggable child, adding the caller's tags", () => {
        const v = view();
        const untagged = v.children.filter((r) => r.inputs.tags === undefined).map((r) => r.type);
        assert.deepEqual(sorted([...new Set(untagged)]), [types.rolePolicy, types.association, types.route].sort());
        for (const child of v.children.filter((r) => r.inputs.tags !== undefined)) {
            const tags = object(child.inputs.tags, `${child.name}.tags`);
            assert.ok(text(tags.Name, `${child.name}.tags.Name`).startsWith(`${v.name}-`), `${child.type} ${child.name}`);
            for (const [key, value] of Object.entries(extraTags)) assert.equal(tags[key], value, `${child.type} ${child.name} lacks ${key}`);
        }
    });
}

// ---- scenarios ----

/** What every network scenario is checked for: where it is, its blocks, its NAT gateways and its flow logs. */
interface ScenarioContract {
    readonly provider: string;
    readonly region: string;
    readonly cidrBlock: string;
    readonly subnets: Record<SubnetTier, string[]>;
    /** NAT gateways; with none, the scenario checks their absence itself. */
    readonly natGateways: number;
    readonly flowLogRetentionInDays: number;
}

/** Plans a scenario once before its tests and checks its contract; the returned function gives its own tests the view. */
function scenario(plan: () => Promise<PlanRecord>, name: string, contract: ScenarioContract): () => NetworkView {
    let view: NetworkView | undefined;
    before(async () => {
        view = new NetworkView(await plan(), name);
    });
    const current = () => {
        assert.ok(view, `the ${name} scenario was not planned`);
        return view;
    };
    checkStructure(current, contract.provider, contract.region, contract.natGateways);
    checkVpcAndSubnets(current, contract.region, contract.cidrBlock, contract.subnets);
    checkRouting(current);
    if (contract.natGateways > 0) checkNat(current, contract.natGateways);
    checkFlowLogs(current, contract.flowLogRetentionInDays);
    return current;
}

describe("Network primary: us-east-1, defaults (10.0.0.0/16, 3 zones, one NAT gateway per zone)", () => {
    const current = scenario(() => planTwoRegions(), "primary", {
        provider: "primary",
        region: "us-east-1",
        cidrBlock: "10.0.0.0/16",
        subnets: {
            public: ["10.0.192.0/22", "10.0.196.0/22", "10.0.200.0/22"],
            private: ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"],
            database: ["10.0.224.0/22", "10.0.228.0/22", "10.0.232.0/22"],
        },
        natGateways: 3,
        flowLogRetentionInDays: 365,
    });
    checkTags(current, { "cost-center": "platform" });

    it("gives each zone a NAT gateway of its own (no two private route tables share one)", () => {
        const natIds = current().outputs.privateRouteTableIds.map((id) => {
            const route = current().all(types.route).find((r) => r.inputs.routeTableId === id);
            return text(route?.inputs.natGatewayId, "natGatewayId");
        });
        assert.equal(new Set(natIds).size, 3);
        assert.deepEqual(natIds, current().outputs.natGatewayIds);
    });
});

describe("Network dr: us-west-2 provider, 10.1.0.0/16, a single NAT gateway, default flow log retention", () => {
    const current = scenario(() => planTwoRegions(), "dr", {
        provider: "dr",
        region: "us-west-2",
        cidrBlock: "10.1.0.0/16",
        subnets: {
            public: ["10.1.192.0/22", "10.1.196.0/22", "10.1.200.0/22"],
            private: ["10.1.0.0/19", "10.1.32.0/19", "10.1.64.0/19"],
            database: ["10.1.224.0/22", "10.1.228.0/22", "10.1.232.0/22"],
        },
        natGateways: 1,
        flowLogRetentionInDays: 90,
    });

    it("shares the one NAT gateway between all private route tables", () => {
        assert.equal(current().outputs.natGatewayIds.length, 1);
        for (const id of current().outputs.privateRouteTableIds) {
            const routes = current().all(types.route).filter((r) => r.inputs.routeTableId === id);
            assert.deepEqual(routes.map((r) => [r.inputs.destinationCidrBlock, r.inputs.natGatewayId]), [["0.0.0.0/0", current().outputs.natGatewayIds[0]]]);
        }
    });

    it("reaches S3 through the us-west-2 endpoint and writes flow logs to a us-west-2 log group", () => {
        assert.equal(current().one(types.endpoint, "s3").inputs.serviceName, "com.amazonaws.us-west-2.s3");
        assert.match(current().logGroupArn, /^arn:aws:logs:us-west-2:123456789012:log-group:\/keel\/vpc\/dr\/flow-logs-/);
        assert.equal(current().one(types.flowLog, "flow-logs").inputs.logDestination, current().logGroupArn);
    });

    it("adds no tags of its own beyond Name and the tier tags when none are given", () => {
        const keys = new Set(current().children.flatMap((r) => (r.inputs.tags === undefined ? [] : Object.keys(object(r.inputs.tags, `${r.name}.tags`)))));
        assert.deepEqual(sorted([...keys]), ["Name", "keel:tier", "kubernetes.io/role/elb", "kubernetes.io/role/internal-elb"]);
    });
});

describe("Network isolated: a /20 without NAT gateways", () => {
    const current = scenario(() => planIsolated({ cidrBlock: "10.2.16.0/20", availabilityZoneCount: 3, natGateways: "none", flowLogRetentionInDays: 30 }), "isolated", {
        provider: "primary",
        region: "us-east-1",
        cidrBlock: "10.2.16.0/20",
        subnets: {
            public: ["10.2.28.0/26", "10.2.28.64/26", "10.2.28.128/26"],
            private: ["10.2.16.0/23", "10.2.18.0/23", "10.2.20.0/23"],
            database: ["10.2.30.0/26", "10.2.30.64/26", "10.2.30.128/26"],
        },
        natGateways: 0,
        flowLogRetentionInDays: 30,
    });

    it("creates no NAT gateway and no EIP", () => {
        assert.deepEqual(current().all(types.natGateway), []);
        assert.deepEqual(current().all(types.eip), []);
        assert.deepEqual(current().outputs.natGatewayIds, []);
    });

    it("leaves the private route tables without a route", () => {
        assert.equal(current().outputs.privateRouteTableIds.length, 3);
        for (const id of current().outputs.privateRouteTableIds) assert.deepEqual(current().all(types.route).filter((r) => r.inputs.routeTableId === id), []);
    });

    it("has no default route anywhere but in the public route table", () => {
        const withDefault = current().all(types.routeTable)
            .filter((t) => (Array.isArray(t.inputs.routes) ? t.inputs.routes : []).some((r) => object(r, "route").cidrBlock === "0.0.0.0/0"))
            .map((t) => t.name);
        assert.deepEqual(withDefault, ["isolated-public"]);
        assert.deepEqual(current().all(types.route).filter((r) => r.inputs.destinationCidrBlock === "0.0.0.0/0"), []);
    });
});

describe("Network refusals", () => {
    /** The message refusing `args`, given to the constructor in us-east-1. */
    const refusalOf = async (args: NetworkArgs) => (await refusedArguments(() => new Network("crowded", args, { provider: new aws.Provider("primary", { region: "us-east-1" }) }))).message;

    it("refuses more than six availability zones when constructed, before registering anything", async () => {
        assert.equal(await refusalOf({ availabilityZoneCount: 7 }), "Network crowded: invalid arguments:\n  - availabilityZoneCount: expected 2 to 6 availability zones, got 7");
    });

    it("refuses a VPC the layout does not fit and one that is not a CIDR, with the zone count, all at once", async () => {
        assert.equal(await refusalOf({ cidrBlock: "10.0.0.0/24", availabilityZoneCount: 1 }), [
            "Network crowded: invalid arguments:",
            '  - cidrBlock: expected a VPC from /16 to /20, got "10.0.0.0/24"',
            "  - availabilityZoneCount: expected 2 to 6 availability zones, got 1",
        ].join("\n"));
        assert.equal(await refusalOf({ cidrBlock: "10.0.0.0" }), 'Network crowded: invalid arguments:\n  - cidrBlock: expected an IPv4 CIDR such as 10.0.0.0/16, got "10.0.0.0"');
    });

    it("judges the defaults where the arguments are silent", () => {
        assert.deepEqual(networkProblems({}), []);
        assert.deepEqual(networkProblems({ cidrBlock: "10.0.0.0/12" }), [{ path: ["cidrBlock"], message: "expected a VPC from /16 to /20" }]);
    });
});
