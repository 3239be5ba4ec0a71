import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { unknownCheckingProxy } from "@pulumi/policy";
import type { PlanResource } from "../../offline-plan/record";
import { east, found, messages, production, resource, runPolicy, staging, type Fixture, type PlanInput } from "../testing";
import { isInternetWide, parseCidr } from "./network-addresses";
import { known, notKnown, settled } from "./network-graph";
import { defaultSecurityGroupClosed, networkPolicies, noInternetIngress, privateComputeSubnets, vpcFlowLogs } from "./network";

/** The sentinel @pulumi/policy's proxy throws on: a string not known at preview. */
const unknownString = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const ids = {
    vpc: "vpc-0a1b2c3d4e5f60718",
    igw: "igw-0a1b2c3d4e5f60718",
    publicSubnet: "subnet-0aaa0000000000001",
    privateSubnet: "subnet-0bbb0000000000002",
    publicTable: "rtb-0aaa0000000000001",
    privateTable: "rtb-0bbb0000000000002",
    albGroup: "sg-0aaa0000000000001",
    instancesGroup: "sg-0bbb0000000000002",
    defaultGroup: "sg-0ddd0000000000004",
};

type Changes = Record<string, unknown>;

/** `inputs` with `changes` applied: a change to undefined drops the input. */
function changed(inputs: Changes, changes: Changes = {}): Changes {
    const result: Changes = { ...inputs, ...changes };
    for (const [key, value] of Object.entries(changes)) if (value === undefined) delete result[key];
    return result;
}

/**
 * A network as components/network and components/traffic build it: a VPC with its default group
 * adopted, a flow log, a public subnet routed to the internet gateway, a private one routed to
 * NAT, the load balancer's group open on 80/443, the instances' group open to it only, and an
 * Auto Scaling group in the private subnet. `changes` replace inputs per resource; `without`
 * leaves resources out.
 */
function network(changes: Record<string, Changes> = {}, without: string[] = []) {
    const made = new Map<string, Fixture>();
    const add = (key: string, type: string, inputs: Changes, dependsOn: string[] = []) => {
        if (without.includes(key)) return;
        made.set(key, resource(type, changed(inputs, changes[key]), { name: key, provider: east, dependsOn: dependsOn.flatMap((d) => made.get(d)?.resource ?? []) }));
    };
    add("vpc", "aws:ec2/vpc:Vpc", { cidrBlock: "10.0.0.0/16", enableDnsHostnames: true });
    add("default-sg", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", { vpcId: ids.vpc }, ["vpc"]);
    add("igw", "aws:ec2/internetGateway:InternetGateway", { vpcId: ids.vpc }, ["vpc"]);
    add("public-0", "aws:ec2/subnet:Subnet", { vpcId: ids.vpc, cidrBlock: "10.0.192.0/22", mapPublicIpOnLaunch: false }, ["vpc"]);
    add("private-0", "aws:ec2/subnet:Subnet", { vpcId: ids.vpc, cidrBlock: "10.0.0.0/19", mapPublicIpOnLaunch: false }, ["vpc"]);
    add("public", "aws:ec2/routeTable:RouteTable", { vpcId: ids.vpc, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: ids.igw }] }, ["igw", "vpc"]);
    add("private", "aws:ec2/routeTable:RouteTable", { vpcId: ids.vpc }, ["vpc"]);
    add("private-internet", "aws:ec2/route:Route", { routeTableId: ids.privateTable, destinationCidrBlock: "0.0.0.0/0", natGatewayId: "nat-0a1b2c3d4e5f60718" }, ["private"]);
    add("public-assoc", "aws:ec2/routeTableAssociation:RouteTableAssociation", { subnetId: ids.publicSubnet, routeTableId: ids.publicTable }, ["public", "public-0"]);
    add("private-assoc", "aws:ec2/routeTableAssociation:RouteTableAssociation", { subnetId: ids.privateSubnet, routeTableId: ids.privateTable }, ["private", "private-0"]);
    add("flow-logs", "aws:ec2/flowLog:FlowLog", { vpcId: ids.vpc, trafficType: "ALL", logDestinationType: "cloud-watch-logs", logDestination: "arn:aws:logs:us-east-1:123456789012:log-group:/keel/vpc/flow-logs", iamRoleArn: "arn:aws:iam::123456789012:role/flow-logs" }, ["vpc"]);
    add("alb", "aws:ec2/securityGroup:SecurityGroup", { vpcId: ids.vpc, description: "internet to the load balancer" }, ["vpc"]);
    add("instances", "aws:ec2/securityGroup:SecurityGroup", { vpcId: ids.vpc, description: "load balancer to the instances" }, ["vpc"]);
    add("alb-https", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: ids.albGroup, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443 }, ["alb"]);
    add("alb-http", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: ids.albGroup, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 80, toPort: 80 }, ["alb"]);
    add("instances-from-alb", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: ids.instancesGroup, referencedSecurityGroupId: ids.albGroup, ipProtocol: "tcp", fromPort: 3000, toPort: 3000 }, ["alb", "instances"]);
    add("instances-scrape", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: ids.instancesGroup, cidrIpv4: "10.0.0.0/19", ipProtocol: "tcp", fromPort: 9100, toPort: 9100 }, ["instances"]);
    add("instances-https-out", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", { securityGroupId: ids.instancesGroup, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443 }, ["instances"]);
    add("web-alb", "aws:lb/loadBalancer:LoadBalancer", { loadBalancerType: "application", internal: false, securityGroups: [ids.albGroup], subnets: [ids.publicSubnet] }, ["alb", "public-0"]);
    add("web", "aws:ec2/launchTemplate:LaunchTemplate", { imageId: "ami-0c7217cdde317cfec", networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: "false", securityGroups: [ids.instancesGroup] }] }, ["instances"]);
    add("web-group", "aws:autoscaling/group:Group", { vpcZoneIdentifiers: [ids.privateSubnet], minSize: 2, maxSize: 6, launchTemplate: { id: "lt-0a1b2c3d4e5f60718", version: "1" } }, ["web", "private-0"]);
    return made;
}

const plan = (made: Map<string, Fixture>, ...extra: PlanInput[]): PlanInput[] => [...made.values(), ...extra];
const only = (made: Map<string, Fixture>, key: string): PlanResource => made.get(key)!.resource;

/** A plan resource whose inputs are behind @pulumi/policy's unknown-checking proxy, as under `pulumi preview`. */
function underPreview(fixture: Fixture): PlanResource {
    return { ...fixture.resource, inputs: unknownCheckingProxy(fixture.resource.inputs) as Record<string, unknown> };
}

describe("network policies", () => {
    test("a network as Keel builds it passes every policy under every config", async () => {
        for (const [environment, config] of [["default", {}], ["staging", staging], ["production", production]] as const) {
            for (const policy of networkPolicies) assert.deepEqual(await found(policy, plan(network()), config), [], `${policy.name} under ${environment}`);
        }
    });
});

describe("network addresses", () => {
    test("parses IPv4 and IPv6 CIDRs, clearing host bits, and refuses what is not one", () => {
        assert.deepEqual(parseCidr("10.1.2.3/16"), { version: 4, first: 0x0a010000n, last: 0x0a01ffffn, prefix: 16 });
        assert.equal(parseCidr("::/0")?.last, (1n << 128n) - 1n);
        assert.equal(parseCidr(" 0.0.0.0/0 ")?.prefix, 0);
        for (const bad of ["0.0.0.0", "0.0.0.0/33", "256.0.0.0/8", "::/129", "any", "0.0.0.0/0/0", "01.0.0.0/8"]) assert.equal(parseCidr(bad), undefined, bad);
    });

    test("the internet is any broad public range, in either family, however spelt", () => {
        const limits = { ipv4: 16, ipv6: 48 };
        const wide = (cidr: string) => isInternetWide(parseCidr(cidr)!, limits);
        for (const cidr of ["0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1", "1.0.0.0/8", "52.0.0.0/15", "8.8.8.8/0", "::/0", "::/1", "2000::/3", "2600::/12", "::ffff:0:0/96", "0:0:0:0:0:0:0:0/0"]) assert.equal(wide(cidr), true, cidr);
        for (const cidr of ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "203.0.113.0/24", "52.1.0.0/16", "fc00::/7", "2001:db8:1::/48", "::ffff:10.0.0.0/104"]) assert.equal(wide(cidr), false, cidr);
    });
});

describe("settled props under preview", () => {
    test("values the engine does not know yet become notKnown instead of stopping the policy", () => {
        const props = unknownCheckingProxy({ vpcId: unknownString, cidrBlocks: ["10.0.0.0/8", unknownString], nested: { id: unknownString } });
        assert.deepEqual(settled(props), { vpcId: notKnown, cidrBlocks: ["10.0.0.0/8", notKnown], nested: { id: notKnown } });
        assert.equal(known(() => (props as Record<string, unknown>).vpcId), notKnown);
        assert.equal(settled("[unknown]"), notKnown, "the offline plan's marker");
        assert.throws(() => known(() => { throw new Error("boom"); }), /boom/);
    });
});

describe("keel-sg-no-internet-ingress", () => {
    test("passes the load balancer's group open on 443 and 80, and egress to the internet", async () => {
        assert.deepEqual(await found(noInternetIngress, plan(network())), []);
    });

    test("refuses any other group admitting the internet: rule resources, SecurityGroupRule and inline ingress", async () => {
        const ssh = network({ "instances-scrape": { cidrIpv4: "0.0.0.0/0", fromPort: 22, toPort: 22 } });
        const violations = await runPolicy(noInternetIngress, plan(ssh));
        assert.deepEqual(messages(violations), ['SecurityGroupIngressRule "instances-scrape" admits the internet (0.0.0.0/0) on tcp 22: only a load balancer\'s security group may, on 80/443 (AWS FSBP EC2.18/EC2.19, CIS AWS 5.2/5.3)']);
        assert.equal(violations[0].urn, only(ssh, "instances-scrape").urn);

        const made = network({ instances: { ingress: [{ protocol: "tcp", fromPort: 3000, toPort: 3000, cidrBlocks: ["10.0.0.0/8"], ipv6CidrBlocks: ["::/0"] }] } });
        const legacy = resource("aws:ec2/securityGroupRule:SecurityGroupRule", { type: "ingress", securityGroupId: ids.instancesGroup, protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }, { name: "all-in", provider: east, dependsOn: [only(made, "instances")] });
        const egress = resource("aws:ec2/securityGroupRule:SecurityGroupRule", { type: "egress", securityGroupId: ids.instancesGroup, protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }, { name: "all-out", provider: east, dependsOn: [only(made, "instances")] });
        assert.deepEqual(await found(noInternetIngress, plan(made, legacy, egress)), [
            'SecurityGroup "instances" admits the internet (::/0) on tcp 3000: only a load balancer\'s security group may, on 80/443 (AWS FSBP EC2.18/EC2.19, CIS AWS 5.2/5.3)',
            'SecurityGroupRule "all-in" admits the internet (0.0.0.0/0) on all traffic: only a load balancer\'s security group may, on 80/443 (AWS FSBP EC2.18/EC2.19, CIS AWS 5.2/5.3)',
        ]);
    });

    test("counts halves of the internet, broad public ranges and IPv6 as the internet", async () => {
        for (const cidr of [{ cidrIpv4: "0.0.0.0/1" }, { cidrIpv4: "128.0.0.0/1" }, { cidrIpv4: "3.0.0.0/8" }, { cidrIpv4: undefined, cidrIpv6: "::/0" }, { cidrIpv4: undefined, cidrIpv6: "2000::/3" }]) {
            const made = network({ "instances-scrape": cidr });
            assert.equal((await found(noInternetIngress, plan(made))).length, 1, JSON.stringify(cidr));
        }
    });

    test("refuses a load balancer's group opened on other ports, port ranges, all protocols or UDP", async () => {
        for (const [changes, opened] of [
            [{ fromPort: 0, toPort: 65535 }, "tcp 0-65535"],
            [{ fromPort: 80, toPort: 443 }, "tcp 80-443"],
            [{ fromPort: 22, toPort: 22 }, "tcp 22"],
            [{ ipProtocol: "-1", fromPort: undefined, toPort: undefined }, "all traffic"],
            [{ ipProtocol: "all" }, "all traffic"],
            [{ ipProtocol: "udp" }, "udp 443"],
            [{ ipProtocol: "icmp", fromPort: -1, toPort: -1 }, "all of icmp"],
        ] as const) {
            assert.deepEqual(await found(noInternetIngress, plan(network({ "alb-https": changes }))), [
                `SecurityGroupIngressRule "alb-https" admits the internet (0.0.0.0/0) to a load balancer's group on ${opened}: only tcp 80 and 443, one port a rule (AWS FSBP EC2.18)`,
            ], JSON.stringify(changes));
        }
    });

    test("knows the load balancer's group by the load balancer's securityGroups, not by its name", async () => {
        // The instances' group renamed "alb" is still no load balancer's.
        const renamed = network({ "instances-scrape": { cidrIpv4: "0.0.0.0/0", fromPort: 443, toPort: 443 } });
        assert.equal((await found(noInternetIngress, plan(renamed))).length, 1);
        // Without the load balancer, its group is just a group open to the internet.
        assert.equal((await found(noInternetIngress, plan(network({}, ["web-alb"])))).length, 2);
        // Inline ingress on the load balancer's group is judged the same way.
        const inline = network({ alb: { ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }, { protocol: "tcp", fromPort: 8080, toPort: 8080, cidrBlocks: ["0.0.0.0/0"] }] } });
        assert.deepEqual(await found(noInternetIngress, plan(inline)), ['SecurityGroup "alb" admits the internet (0.0.0.0/0) to a load balancer\'s group on tcp 8080: only tcp 80 and 443, one port a rule (AWS FSBP EC2.18)']);
    });

    test("refuses the load balancer's open group attached to instances as well", async () => {
        const made = network({ web: { networkInterfaces: [{ deviceIndex: 0, securityGroups: [ids.instancesGroup, ids.albGroup] }] } });
        assert.deepEqual(await found(noInternetIngress, plan(made)), ['LaunchTemplate "web" is in a load balancer\'s security group that admits the internet: it would take 80/443 from anywhere; give it its own group (AWS FSBP EC2.18)']);
    });

    test("reads sources from customer-managed prefix lists in the stack", async () => {
        const made = network();
        const list = resource("aws:ec2/managedPrefixList:ManagedPrefixList", { addressFamily: "IPv4", maxEntries: 5, entries: [{ cidr: "10.0.0.0/8" }] }, { name: "partners", provider: east });
        const entry = resource("aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry", { prefixListId: "pl-0a1b2c3d4e5f60718", cidr: "0.0.0.0/0" }, { name: "everyone", provider: east, dependsOn: [list.resource] });
        const rule = resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: ids.instancesGroup, prefixListId: "pl-0a1b2c3d4e5f60718", ipProtocol: "tcp", fromPort: 5432, toPort: 5432 }, { name: "partners-in", provider: east, dependsOn: [only(made, "instances"), list.resource] });
        assert.deepEqual(await found(noInternetIngress, plan(made, list, entry, rule)), ['SecurityGroupIngressRule "partners-in" admits the internet (0.0.0.0/0) on tcp 5432: only a load balancer\'s security group may, on 80/443 (AWS FSBP EC2.18/EC2.19, CIS AWS 5.2/5.3)']);
        assert.deepEqual(await found(noInternetIngress, plan(made, list, rule)), []);
    });

    test("refuses a source that is not a CIDR rather than guess", async () => {
        assert.deepEqual(await found(noInternetIngress, plan(network({ "instances-scrape": { cidrIpv4: "everyone" } }))), ['SecurityGroupIngressRule "instances-scrape" admits "everyone", which is not a CIDR: the policy cannot tell it from the internet']);
    });

    test("under preview, judges by what is known: an unknown group id is resolved through the rule's dependencies", async () => {
        const made = network({ "alb-https": { securityGroupId: unknownString }, "alb-http": { securityGroupId: unknownString }, "web-alb": { securityGroups: [unknownString] } });
        const records = plan(made).map((f) => ("resource" in f ? (["alb-https", "alb-http", "web-alb"].includes(f.resource.name) ? underPreview(f) : f.resource) : f));
        assert.deepEqual(await found(noInternetIngress, records), []);
        const open = network({ "instances-scrape": { securityGroupId: unknownString, cidrIpv4: "0.0.0.0/0", fromPort: 443, toPort: 443 }, "instances-from-alb": { cidrIpv4: unknownString } });
        const previewed = plan(open).map((f) => ("resource" in f ? (["instances-scrape", "instances-from-alb"].includes(f.resource.name) ? underPreview(f) : f.resource) : f));
        assert.deepEqual(await found(noInternetIngress, previewed), ['SecurityGroupIngressRule "instances-scrape" admits the internet (0.0.0.0/0) on tcp 443: only a load balancer\'s security group may, on 80/443 (AWS FSBP EC2.18/EC2.19, CIS AWS 5.2/5.3)']);
    });

    test("config: the load balancer's ports and the broadest public prefix", async () => {
        const config = { "keel-sg-no-internet-ingress": { loadBalancerPorts: [443], minimumPublicIpv4Prefix: 24 } };
        assert.deepEqual(await found(noInternetIngress, plan(network()), config), ['SecurityGroupIngressRule "alb-http" admits the internet (0.0.0.0/0) to a load balancer\'s group on tcp 80: only tcp 443, one port a rule (AWS FSBP EC2.18)']);
        const office = network({ "instances-scrape": { cidrIpv4: "203.0.112.0/23" } });
        assert.equal((await found(noInternetIngress, plan(office), config)).length, 2);
        assert.equal((await found(noInternetIngress, plan(office))).length, 0);
    });
});

describe("keel-default-sg-closed", () => {
    test("passes a VPC whose default group is adopted without rules", async () => {
        assert.deepEqual(await found(defaultSecurityGroupClosed, plan(network())), []);
    });

    test("refuses a default group that keeps ingress or egress rules", async () => {
        const made = network({ "default-sg": { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }], egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] } });
        const violations = await runPolicy(defaultSecurityGroupClosed, plan(made));
        assert.deepEqual(messages(violations), ['DefaultSecurityGroup "default-sg" keeps ingress and egress rules: a default security group must allow nothing (AWS FSBP EC2.2, CIS AWS 5.4)']);
        assert.equal(violations[0].urn, only(made, "default-sg").urn);
    });

    test("refuses rule resources on the default group, by the DefaultSecurityGroup or the VPC's defaultSecurityGroupId", async () => {
        const made = network();
        const onAdopted = resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: ids.defaultGroup, cidrIpv4: "10.0.0.0/16", ipProtocol: "-1" }, { name: "on-adopted", provider: east, dependsOn: [only(made, "default-sg")] });
        const onVpcDefault = resource("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", { securityGroupId: "sg-0eee0000000000005", cidrIpv4: "0.0.0.0/0", ipProtocol: "-1" }, { name: "on-vpc-default", provider: east, dependsOn: [only(made, "vpc")] });
        const legacy = resource("aws:ec2/securityGroupRule:SecurityGroupRule", { type: "ingress", securityGroupId: "sg-0eee0000000000005", protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["10.0.0.0/8"] }, { name: "legacy", provider: east, dependsOn: [only(made, "vpc")] });
        assert.deepEqual(await found(defaultSecurityGroupClosed, plan(made, onAdopted, onVpcDefault, legacy)), [
            'SecurityGroupIngressRule "on-adopted" adds a rule to a VPC\'s default security group: it must allow nothing; put the rule on a group of its own (AWS FSBP EC2.2, CIS AWS 5.4)',
            'SecurityGroupEgressRule "on-vpc-default" adds a rule to a VPC\'s default security group: it must allow nothing; put the rule on a group of its own (AWS FSBP EC2.2, CIS AWS 5.4)',
            'SecurityGroupRule "legacy" adds a rule to a VPC\'s default security group: it must allow nothing; put the rule on a group of its own (AWS FSBP EC2.2, CIS AWS 5.4)',
        ]);
    });

    test("a rule on a group of its own that names the VPC's CIDR is no rule on the default group", async () => {
        const made = network();
        const fromVpc = resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { securityGroupId: ids.instancesGroup, cidrIpv4: "10.0.0.0/16", ipProtocol: "tcp", fromPort: 3000, toPort: 3000 }, { name: "from-vpc", provider: east, dependsOn: [only(made, "vpc"), only(made, "instances")] });
        assert.deepEqual(await found(defaultSecurityGroupClosed, plan(made, fromVpc)), []);
    });

    test("refuses a VPC whose default group is left as AWS creates it, unless requireAdoption is false", async () => {
        const made = network({}, ["default-sg"]);
        assert.deepEqual(await found(defaultSecurityGroupClosed, plan(made)), ['Vpc "vpc" leaves its default security group as AWS creates it (all traffic between members, all egress): adopt it with a DefaultSecurityGroup without rules (AWS FSBP EC2.2, CIS AWS 5.4)']);
        assert.deepEqual(await found(defaultSecurityGroupClosed, plan(made), { "keel-default-sg-closed": { requireAdoption: false } }), []);
    });
});

describe("keel-vpc-flow-logs", () => {
    test("passes a VPC with a flow log of ALL traffic, or of REJECT traffic", async () => {
        assert.deepEqual(await found(vpcFlowLogs, plan(network())), []);
        assert.deepEqual(await found(vpcFlowLogs, plan(network({ "flow-logs": { trafficType: "REJECT" } }))), []);
    });

    test("refuses a VPC without a flow log, reported on the VPC", async () => {
        const made = network({}, ["flow-logs"]);
        const violations = await runPolicy(vpcFlowLogs, plan(made));
        assert.deepEqual(messages(violations), ['Vpc "vpc" has no flow log: record ALL or REJECT traffic of the whole VPC (AWS FSBP EC2.6, CIS AWS 3.7)']);
        assert.equal(violations[0].urn, only(made, "vpc").urn);
    });

    test("refuses flow logs of accepted traffic only, without a destination, or of a subnet only", async () => {
        assert.deepEqual(await found(vpcFlowLogs, plan(network({ "flow-logs": { trafficType: "ACCEPT" } }))), ['Vpc "vpc" has no complete flow log (FlowLog "flow-logs" records ACCEPT traffic): record ALL or REJECT traffic of the whole VPC (AWS FSBP EC2.6, CIS AWS 3.7)']);
        assert.deepEqual(await found(vpcFlowLogs, plan(network({ "flow-logs": { logDestination: undefined } }))), ['Vpc "vpc" has no complete flow log (FlowLog "flow-logs" has no destination): record ALL or REJECT traffic of the whole VPC (AWS FSBP EC2.6, CIS AWS 3.7)']);
        const subnetOnly = network({}, ["flow-logs"]);
        const log = resource("aws:ec2/flowLog:FlowLog", { subnetId: ids.privateSubnet, trafficType: "ALL", logDestination: "arn:aws:s3:::flow-logs", logDestinationType: "s3" }, { name: "subnet-log", provider: east, dependsOn: [only(subnetOnly, "private-0")] });
        assert.deepEqual(await found(vpcFlowLogs, plan(subnetOnly, log)), ['Vpc "vpc" has no flow log: record ALL or REJECT traffic of the whole VPC (AWS FSBP EC2.6, CIS AWS 3.7)']);
    });

    test("matches flow logs to VPCs by id: a flow log moved to another VPC does not cover this one", async () => {
        const made = network({ "flow-logs": { vpcId: "vpc-0fff0000000000009" } });
        assert.deepEqual(await found(vpcFlowLogs, plan(made)), ['Vpc "vpc" has no flow log: record ALL or REJECT traffic of the whole VPC (AWS FSBP EC2.6, CIS AWS 3.7)']);
    });

    test("config: production may require ALL", async () => {
        assert.equal((await found(vpcFlowLogs, plan(network({ "flow-logs": { trafficType: "REJECT" } })), { "keel-vpc-flow-logs": { trafficTypes: ["ALL"] } })).length, 1);
    });
});

describe("keel-compute-private-subnets", () => {
    const message = (subnet: string, reason: string) => `Group "web-group" runs in public subnets "${subnet}" (${reason}): instances belong in private subnets behind the load balancer (AWS FSBP EC2.9, AutoScaling.5)`;

    test("passes a group in private subnets routed through NAT", async () => {
        assert.deepEqual(await found(privateComputeSubnets, plan(network())), []);
    });

    test("refuses a group in a subnet whose route table routes to the internet gateway", async () => {
        const made = network({ "web-group": { vpcZoneIdentifiers: [ids.publicSubnet] } });
        const violations = await runPolicy(privateComputeSubnets, plan(made));
        assert.deepEqual(messages(violations), [message("public-0", 'its route table "public" routes to an internet gateway')]);
        assert.equal(violations[0].urn, only(made, "web-group").urn);
    });

    test("refuses a subnet that maps public IPs, a route to the gateway added, or the association moved to the public table", async () => {
        assert.deepEqual(await found(privateComputeSubnets, plan(network({ "private-0": { mapPublicIpOnLaunch: true } }))), [message("private-0", "maps public IPs on launch")]);
        assert.deepEqual(await found(privateComputeSubnets, plan(network({ "private-internet": { natGatewayId: undefined, gatewayId: ids.igw } }))), [message("private-0", 'its route table "private" routes to an internet gateway')]);
        assert.deepEqual(await found(privateComputeSubnets, plan(network({ "private-assoc": { routeTableId: ids.publicTable } }))), [message("private-0", 'its route table "public" routes to an internet gateway')]);
    });

    test("follows unassociated subnets to the VPC's main route table where the stack manages it", async () => {
        const made = network({}, ["private-assoc"]);
        const main = resource("aws:ec2/defaultRouteTable:DefaultRouteTable", { defaultRouteTableId: "rtb-0ccc0000000000003", routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: ids.igw }] }, { name: "main", provider: east, dependsOn: [only(made, "vpc"), only(made, "igw")] });
        assert.deepEqual(await found(privateComputeSubnets, plan(made, main)), [message("private-0", 'its route table "main" routes to an internet gateway')]);
        assert.deepEqual(await found(privateComputeSubnets, plan(made)), []);
    });

    test("refuses a group without subnets (the default VPC's public ones), instances and node groups in public subnets", async () => {
        const made = network({ "web-group": { vpcZoneIdentifiers: undefined, availabilityZones: ["us-east-1a"] } });
        const nowhere = await found(privateComputeSubnets, plan(new Map([...made].map(([k, f]) => [k, k === "web-group" ? resource(f.resource.type, f.resource.inputs, { name: k, provider: east }) : f]))));
        assert.deepEqual(nowhere, ['Group "web-group" names no subnets: it launches into the default VPC, whose subnets are public — place it in private subnets (AWS FSBP EC2.9, AutoScaling.5)']);
        const base = network();
        const bastion = resource("aws:ec2/instance:Instance", { ami: "ami-0c7217cdde317cfec", subnetId: ids.publicSubnet }, { name: "bastion", provider: east, dependsOn: [only(base, "public-0")] });
        const nodes = resource("aws:eks/nodeGroup:NodeGroup", { clusterName: "monitoring", subnetIds: [ids.privateSubnet, ids.publicSubnet] }, { name: "nodes", provider: east, dependsOn: [only(base, "private-0"), only(base, "public-0")] });
        assert.deepEqual(await found(privateComputeSubnets, plan(base, bastion, nodes)), [
            'Instance "bastion" runs in public subnets "public-0" (its route table "public" routes to an internet gateway): instances belong in private subnets behind the load balancer (AWS FSBP EC2.9, AutoScaling.5)',
            'NodeGroup "nodes" runs in public subnets "public-0" (its route table "public" routes to an internet gateway): instances belong in private subnets behind the load balancer (AWS FSBP EC2.9, AutoScaling.5)',
        ]);
    });

    test("under preview, follows subnets through dependencies when their ids are not known", async () => {
        const made = network({ "web-group": { vpcZoneIdentifiers: [unknownString] } });
        const group = made.get("web-group")!;
        const previewed = { ...underPreview(group), dependencies: [only(made, "web").urn, only(made, "public-0").urn] };
        const rest = plan(made).filter((f) => f !== group);
        assert.deepEqual(await found(privateComputeSubnets, [...rest, previewed]), [message("public-0", 'its route table "public" routes to an internet gateway')]);
    });
});
