import type { PolicyResource } from "@pulumi/policy";
import { isInternetWide, parseCidr, type PublicPrefixLimits } from "./network-addresses";
import { inputsOf, knownStrings, named, notKnown, ResourceIds, sources, type IdKind } from "./network-graph";
import { setting, stackPolicy } from "./policy";
import { isTrue, list } from "./props";

/**
 * Network exposure: security groups, default security groups, VPC flow logs and where compute
 * is placed (AWS FSBP EC2.2/6/18/19, CIS AWS 3.7, 5.2–5.4).
 */

const vpcType = "aws:ec2/vpc:Vpc";
const subnetType = "aws:ec2/subnet:Subnet";
const securityGroupType = "aws:ec2/securityGroup:SecurityGroup";
const defaultSecurityGroupType = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup";
const ingressRuleType = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const egressRuleType = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const groupRuleType = "aws:ec2/securityGroupRule:SecurityGroupRule";
const prefixListType = "aws:ec2/managedPrefixList:ManagedPrefixList";
const prefixListEntryType = "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry";
const flowLogType = "aws:ec2/flowLog:FlowLog";
const routeTableType = "aws:ec2/routeTable:RouteTable";
const defaultRouteTableType = "aws:ec2/defaultRouteTable:DefaultRouteTable";
const routeType = "aws:ec2/route:Route";
const associationType = "aws:ec2/routeTableAssociation:RouteTableAssociation";
const mainAssociationType = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation";
const internetGatewayType = "aws:ec2/internetGateway:InternetGateway";

const groupTypes = [securityGroupType, defaultSecurityGroupType];
const ruleTypes = [ingressRuleType, egressRuleType, groupRuleType];
const routeTableTypes = [routeTableType, defaultRouteTableType];
export const loadBalancerTypes = ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer", "aws:elb/loadBalancer:LoadBalancer"];

const idKinds: IdKind[] = [
    { types: [vpcType], shape: /^vpc-/ },
    { types: [subnetType], shape: /^subnet-/ },
    { types: groupTypes, shape: /^sg-/ },
    { types: routeTableTypes, shape: /^rtb-/ },
    { types: [internetGatewayType], shape: /^igw-/ },
    { types: [prefixListType], shape: /^pl-/ },
];

const ofType = (resources: readonly PolicyResource[], ...types: string[]) => resources.filter((r) => types.includes(r.type));

/** Whether a resource's inputs draw from `target`: per input under the engine, else any dependency. */
function drawsFrom(resource: PolicyResource, target: PolicyResource): boolean {
    const byInput = Object.values(resource.propertyDependencies ?? {});
    return byInput.length > 0 ? byInput.some((from) => from.includes(target)) : resource.dependencies.includes(target);
}

// ---- security group permissions ----

interface Ports {
    /** "all" for every protocol; else tcp, udp, icmp, icmpv6 or a protocol number. */
    readonly protocol: string;
    readonly from: number;
    readonly to: number;
}

const protocolNames = new Map(Object.entries({ "-1": "all", all: "all", "6": "tcp", tcp: "tcp", "17": "udp", udp: "udp", "1": "icmp", icmp: "icmp", "58": "icmpv6", icmpv6: "icmpv6" }));

/** What a permission opens; undefined when the engine does not know it yet. */
function portsOf(protocol: unknown, fromPort: unknown, toPort: unknown): Ports | undefined {
    if (protocol === notKnown || fromPort === notKnown || toPort === notKnown) return undefined;
    const name = protocolNames.get(String(protocol ?? "-1").trim().toLowerCase()) ?? String(protocol);
    const port = (v: unknown, fallback: number) => (v === undefined || v === null || v === "" || Number(v) < 0 || Number.isNaN(Number(v)) ? fallback : Number(v));
    if (name !== "tcp" && name !== "udp") return { protocol: name, from: 0, to: 65535 };
    return { protocol: name, from: port(fromPort, 0), to: port(toPort, 65535) };
}

const describePorts = (p: Ports | undefined) =>
    p === undefined ? "ports not known yet" : p.protocol === "all" ? "all traffic" : p.protocol !== "tcp" && p.protocol !== "udp" ? `all of ${p.protocol}` : p.from === p.to ? `${p.protocol} ${p.from}` : `${p.protocol} ${p.from}-${p.to}`;

/** An ingress permission: where it is written, the group it opens (the writer itself for inline rules), what from. */
interface Permission {
    readonly resource: PolicyResource;
    readonly inline: boolean;
    readonly cidrs: string[];
    readonly prefixLists: { readonly known: string[]; readonly unknown: boolean };
    readonly ports: Ports | undefined;
}

function inlinePermissions(group: PolicyResource): Permission[] {
    return list(inputsOf(group).ingress).map((rule) => ({
        resource: group,
        inline: true,
        cidrs: [...knownStrings(rule.cidrBlocks).strings, ...knownStrings(rule.ipv6CidrBlocks).strings],
        prefixLists: { known: knownStrings(rule.prefixListIds).strings, unknown: knownStrings(rule.prefixListIds).unknown },
        ports: portsOf(rule.protocol, rule.fromPort, rule.toPort),
    }));
}

function rulePermission(rule: PolicyResource): Permission | undefined {
    const inputs = inputsOf(rule);
    if (rule.type === groupRuleType && (typeof inputs.type !== "string" || inputs.type.toLowerCase() !== "ingress")) return undefined;
    const prefixLists = knownStrings(rule.type === groupRuleType ? inputs.prefixListIds : inputs.prefixListId);
    return {
        resource: rule,
        inline: false,
        cidrs: rule.type === groupRuleType
            ? [...knownStrings(inputs.cidrBlocks).strings, ...knownStrings(inputs.ipv6CidrBlocks).strings]
            : [...knownStrings(inputs.cidrIpv4).strings, ...knownStrings(inputs.cidrIpv6).strings],
        prefixLists: { known: prefixLists.strings, unknown: prefixLists.unknown },
        ports: portsOf(rule.type === groupRuleType ? inputs.protocol : inputs.ipProtocol, inputs.fromPort, inputs.toPort),
    };
}

/** The CIDRs of a customer-managed prefix list in the stack: its entries and its separate entry resources. */
function prefixListCidrs(prefixList: PolicyResource, entries: ReadonlyMap<PolicyResource, PolicyResource[]>): string[] {
    const inline = list(inputsOf(prefixList).entries).flatMap((e) => knownStrings(e.cidr).strings);
    const separate = (entries.get(prefixList) ?? []).flatMap((e) => knownStrings(inputsOf(e).cidr).strings);
    return [...inline, ...separate];
}

/** The source CIDRs of a permission that stand for the internet, and those that are not CIDRs at all. */
function internetSources(permission: Permission, entries: ReadonlyMap<PolicyResource, PolicyResource[]>, ids: ResourceIds, limits: PublicPrefixLimits): { internet: string[]; malformed: string[] } {
    const lists = permission.prefixLists.known.flatMap((id) => {
        const resolved = ids.resolve(id, [prefixListType]);
        return resolved ? [resolved] : [];
    });
    const drawn = permission.prefixLists.unknown ? sources(permission.resource, permission.inline ? "ingress" : permission.resource.type === groupRuleType ? "prefixListIds" : "prefixListId", [prefixListType]) : [];
    const cidrs = [...permission.cidrs, ...[...new Set([...lists, ...drawn])].flatMap((p) => prefixListCidrs(p, entries))];
    const parsed = cidrs.map((text) => ({ text, range: parseCidr(text) }));
    return {
        internet: parsed.filter((p) => p.range !== undefined && isInternetWide(p.range, limits)).map((p) => p.text),
        malformed: parsed.filter((p) => p.range === undefined).map((p) => p.text),
    };
}

/** The groups load balancers use: their known ids, and the resources (for inline rules and ids not known yet). */
function loadBalancerGroups(resources: readonly PolicyResource[], ids: ResourceIds) {
    const groupIds = new Set<string>();
    const groups = new Set<PolicyResource>();
    for (const balancer of ofType(resources, ...loadBalancerTypes)) {
        const given = knownStrings(inputsOf(balancer).securityGroups);
        given.strings.forEach((id) => groupIds.add(id));
        const referred = ids.referents(balancer, "securityGroups", groupTypes);
        referred.resources.forEach((g) => groups.add(g));
        if (referred.unresolved.length > 0) sources(balancer, "securityGroups", groupTypes).forEach((g) => groups.add(g));
    }
    return { groupIds, groups };
}

/** The group a rule resource opens, when it is known: by id when the id is known, else by what the input draws from. */
function ruleGroups(rule: PolicyResource): { id?: string; resources: PolicyResource[] } {
    const id = inputsOf(rule).securityGroupId;
    if (typeof id === "string") return { id, resources: [] };
    return { resources: sources(rule, "securityGroupId", groupTypes) };
}

const attachmentExemptTypes = [...loadBalancerTypes, ...groupTypes, ...ruleTypes, "aws:vpc/securityGroupVpcAssociation:SecurityGroupVpcAssociation"];

/** Whether any string inside a value is one of `ids`. */
function mentions(value: unknown, ids: ReadonlySet<string>, depth = 0): boolean {
    if (typeof value === "string") return ids.has(value);
    if (depth > 64 || typeof value !== "object" || value === null) return false;
    return Object.values(value).some((v) => mentions(v, ids, depth + 1));
}

export const noInternetIngress = stackPolicy({
    name: "keel-sg-no-internet-ingress",
    description: "No security group admits the internet (0.0.0.0/0, ::/0 or any broad public range), except a load balancer's group on exactly its listener ports (80, 443), and that group is attached to nothing else.",
    config: {
        loadBalancerPorts: setting.integers([80, 443]),
        minimumPublicIpv4Prefix: setting.integer(16),
        minimumPublicIpv6Prefix: setting.integer(48),
    },
    check: function* ({ resources }, { loadBalancerPorts, minimumPublicIpv4Prefix, minimumPublicIpv6Prefix }) {
        const limits = { ipv4: minimumPublicIpv4Prefix, ipv6: minimumPublicIpv6Prefix };
        const ids = new ResourceIds(resources, idKinds);
        const balancers = loadBalancerGroups(resources, ids);
        const openToBalancers = new Set<string>();
        const openGroups = new Set<PolicyResource>();

        const permissions = [
            ...ofType(resources, ...groupTypes).flatMap(inlinePermissions),
            ...ofType(resources, ingressRuleType, groupRuleType).flatMap((r) => rulePermission(r) ?? []),
        ];
        const entries = ids.referrersOf(ofType(resources, prefixListEntryType), "prefixListId", [prefixListType]);
        for (const permission of permissions) {
            const { internet, malformed } = internetSources(permission, entries, ids, limits);
            const where = named(permission.resource);
            for (const text of malformed) yield [`${where} admits ${JSON.stringify(text)}, which is not a CIDR: the policy cannot tell it from the internet`, permission.resource.urn];
            if (internet.length === 0) continue;
            const target = permission.inline ? { resources: [permission.resource] } : ruleGroups(permission.resource);
            const onBalancer = target.id !== undefined ? balancers.groupIds.has(target.id) : target.resources.length > 0 && target.resources.every((g) => balancers.groups.has(g));
            const opened = describePorts(permission.ports);
            if (!onBalancer) {
                yield [`${where} admits the internet (${internet.join(", ")}) on ${opened}: only a load balancer's security group may, on ${loadBalancerPorts.join("/")} (AWS FSBP EC2.18/EC2.19, CIS AWS 5.2/5.3)`, permission.resource.urn];
                continue;
            }
            if (permission.ports === undefined) continue;
            const listenerPort = permission.ports.protocol === "tcp" && permission.ports.from === permission.ports.to && loadBalancerPorts.includes(permission.ports.from);
            if (!listenerPort) {
                yield [`${where} admits the internet (${internet.join(", ")}) to a load balancer's group on ${opened}: only tcp ${loadBalancerPorts.join(" and ")}, one port a rule (AWS FSBP EC2.18)`, permission.resource.urn];
                continue;
            }
            if (target.id !== undefined) openToBalancers.add(target.id);
            target.resources.forEach((g) => openGroups.add(g));
        }

        // A load balancer's group admits the internet on 443: anything else in it does too.
        if (openToBalancers.size === 0 && openGroups.size === 0) return;
        for (const resource of resources.filter((r) => !attachmentExemptTypes.includes(r.type))) {
            const inGroup = mentions(inputsOf(resource), openToBalancers) || [...openGroups].some((g) => drawsFrom(resource, g));
            if (inGroup) yield [`${named(resource)} is in a load balancer's security group that admits the internet: it would take ${loadBalancerPorts.join("/")} from anywhere; give it its own group (AWS FSBP EC2.18)`, resource.urn];
        }
    },
});

// ---- default security groups ----

/** Whether a rule resource's group is a VPC's default group: the DefaultSecurityGroup, or the VPC's defaultSecurityGroupId. */
function onDefaultGroup(rule: PolicyResource, ids: ResourceIds): boolean {
    const id = inputsOf(rule).securityGroupId;
    if (typeof id === "string" && ids.resolve(id, groupTypes)?.type === defaultSecurityGroupType) return true;
    const drawn = sources(rule, "securityGroupId", [defaultSecurityGroupType, vpcType]);
    if (drawn.some((d) => d.type === defaultSecurityGroupType)) return true;
    if (Object.keys(rule.propertyDependencies ?? {}).length > 0) return drawn.length > 0;
    // The offline plan records whole-resource dependencies: a VPC is the group's source only
    // when nothing else the rule depends on could give a group id (its CIDR may be the VPC's).
    return drawn.length > 0 && rule.dependencies.every((d) => d.type === vpcType || d.type === prefixListType);
}

export const defaultSecurityGroupClosed = stackPolicy({
    name: "keel-default-sg-closed",
    description: "Every VPC's default security group is adopted with no rules (DefaultSecurityGroup without ingress or egress), and no rule resource adds any to it (AWS FSBP EC2.2, CIS AWS 5.4).",
    config: { requireAdoption: setting.flag(true) },
    check: function* ({ resources }, { requireAdoption }) {
        const ids = new ResourceIds(resources, idKinds);
        const defaults = ofType(resources, defaultSecurityGroupType);
        for (const group of defaults) {
            const inputs = inputsOf(group);
            const kept = (["ingress", "egress"] as const).filter((direction) => list(inputs[direction]).length > 0);
            if (kept.length > 0) yield [`${named(group)} keeps ${kept.join(" and ")} rules: a default security group must allow nothing (AWS FSBP EC2.2, CIS AWS 5.4)`, group.urn];
        }
        for (const rule of ofType(resources, ...ruleTypes).filter((r) => onDefaultGroup(r, ids))) {
            yield [`${named(rule)} adds a rule to a VPC's default security group: it must allow nothing; put the rule on a group of its own (AWS FSBP EC2.2, CIS AWS 5.4)`, rule.urn];
        }
        if (!requireAdoption) return;
        const adopted = ids.referrersOf(defaults, "vpcId", [vpcType]);
        for (const vpc of ofType(resources, vpcType)) {
            if (!adopted.has(vpc)) yield [`${named(vpc)} leaves its default security group as AWS creates it (all traffic between members, all egress): adopt it with a DefaultSecurityGroup without rules (AWS FSBP EC2.2, CIS AWS 5.4)`, vpc.urn];
        }
    },
});

// ---- flow logs ----

export const vpcFlowLogs = stackPolicy({
    name: "keel-vpc-flow-logs",
    description: "Every VPC has a flow log of the whole VPC (not a subnet or interface) recording ALL or REJECT traffic to a destination (AWS FSBP EC2.6, CIS AWS 3.7).",
    config: { trafficTypes: setting.strings(["ALL", "REJECT"]) },
    check: function* ({ resources }, { trafficTypes }) {
        const ids = new ResourceIds(resources, idKinds);
        const flowLogs = ids.referrersOf(ofType(resources, flowLogType), "vpcId", [vpcType]);
        for (const vpc of ofType(resources, vpcType)) {
            const own = flowLogs.get(vpc) ?? [];
            const problems = own.map((f) => ({ f, problem: flowLogProblem(inputsOf(f), trafficTypes) }));
            if (problems.some((p) => p.problem === undefined)) continue;
            const why = problems.length === 0 ? "has no flow log" : `has no complete flow log (${problems.map((p) => `${named(p.f)} ${p.problem}`).join("; ")})`;
            yield [`${named(vpc)} ${why}: record ${trafficTypes.join(" or ")} traffic of the whole VPC (AWS FSBP EC2.6, CIS AWS 3.7)`, vpc.urn];
        }
    },
});

function flowLogProblem(inputs: Record<string, unknown>, trafficTypes: readonly string[]): string | undefined {
    const traffic = inputs.trafficType;
    if (traffic !== notKnown && !trafficTypes.includes(String(traffic ?? "").toUpperCase())) return `records ${String(traffic ?? "no")} traffic`;
    const destination = [inputs.logDestination, inputs.logGroupName].some((d) => d === notKnown || (typeof d === "string" && d !== ""));
    return destination ? undefined : "has no destination";
}

// ---- placement of compute ----

/** Why a subnet is public (AWS: a subnet whose route table routes to an internet gateway), if it is. */
class SubnetExposure {
    private readonly ids: ResourceIds;
    private readonly associations: Map<PolicyResource, PolicyResource[]>;
    private readonly routes: Map<PolicyResource, PolicyResource[]>;
    private readonly mainAssociations: Map<PolicyResource, PolicyResource[]>;
    private readonly adoptedMainTables: Map<PolicyResource, PolicyResource[]> = new Map();
    private readonly reasons = new Map<PolicyResource, string | undefined>();

    constructor(resources: readonly PolicyResource[]) {
        this.ids = new ResourceIds(resources, idKinds);
        this.associations = this.ids.referrersOf(ofType(resources, associationType), "subnetId", [subnetType]);
        this.routes = this.ids.referrersOf(ofType(resources, routeType), "routeTableId", routeTableTypes);
        this.mainAssociations = this.ids.referrersOf(ofType(resources, mainAssociationType), "vpcId", [vpcType]);
        // defaultRouteTableId is the VPC's output (vpc.defaultRouteTableId): it draws from the VPC.
        for (const table of ofType(resources, defaultRouteTableType)) {
            for (const vpc of sources(table, "defaultRouteTableId", [vpcType])) this.adoptedMainTables.set(vpc, [...(this.adoptedMainTables.get(vpc) ?? []), table]);
        }
    }

    subnetsOf(resource: PolicyResource, input: string) {
        return this.ids.referents(resource, input, [subnetType]);
    }

    publicReason(subnet: PolicyResource): string | undefined {
        if (!this.reasons.has(subnet)) this.reasons.set(subnet, this.judge(subnet));
        return this.reasons.get(subnet);
    }

    private judge(subnet: PolicyResource): string | undefined {
        if (isTrue(inputsOf(subnet).mapPublicIpOnLaunch)) return "maps public IPs on launch";
        const table = this.routeTablesOf(subnet).find((t) => this.routesToInternet(t));
        return table ? `its route table "${table.name}" routes to an internet gateway` : undefined;
    }

    private routeTablesOf(subnet: PolicyResource): PolicyResource[] {
        const associations = this.associations.get(subnet) ?? [];
        if (associations.length === 0) return this.mainTablesOf(this.ids.referents(subnet, "vpcId", [vpcType]).resources);
        return associations.flatMap((a) => {
            const tables = this.ids.referents(a, "routeTableId", routeTableTypes).resources;
            // An association with a VPC's main route table (vpc.mainRouteTableId) draws from the VPC.
            return tables.length > 0 ? tables : this.mainTablesOf(sources(a, "routeTableId", [vpcType]));
        });
    }

    /** The main route table a VPC's unassociated subnets use, where the stack manages it. */
    private mainTablesOf(vpcs: readonly PolicyResource[]): PolicyResource[] {
        return vpcs.flatMap((vpc) => [
            ...(this.adoptedMainTables.get(vpc) ?? []),
            ...(this.mainAssociations.get(vpc) ?? []).flatMap((m) => this.ids.referents(m, "routeTableId", routeTableTypes).resources),
        ]);
    }

    private routesToInternet(table: PolicyResource): boolean {
        const inline = list(inputsOf(table).routes).some((route) => this.isInternetGateway(table, "routes", route.gatewayId));
        return inline || (this.routes.get(table) ?? []).some((r) => this.isInternetGateway(r, "gatewayId", inputsOf(r).gatewayId));
    }

    private isInternetGateway(resource: PolicyResource, input: string, gatewayId: unknown): boolean {
        if (typeof gatewayId === "string") return gatewayId.startsWith("igw-") || this.ids.resolve(gatewayId, [internetGatewayType]) !== undefined;
        return gatewayId === notKnown && sources(resource, input, [internetGatewayType]).length > 0;
    }
}

/** Compute that runs instances, and the input naming its subnets. */
const placements: { readonly type: string; readonly input: string; readonly alternatives: readonly string[]; readonly belongs?: string }[] = [
    { type: "aws:autoscaling/group:Group", input: "vpcZoneIdentifiers", alternatives: [] },
    { type: "aws:ec2/instance:Instance", input: "subnetId", alternatives: ["networkInterfaces", "primaryNetworkInterface"] },
    { type: "aws:ec2/spotInstanceRequest:SpotInstanceRequest", input: "subnetId", alternatives: ["networkInterfaces", "primaryNetworkInterface"] },
    { type: "aws:eks/nodeGroup:NodeGroup", input: "subnetIds", alternatives: [] },
    // A cache's nodes: ElastiCache places them in its subnet group's subnets.
    { type: "aws:elasticache/subnetGroup:SubnetGroup", input: "subnetIds", alternatives: [], belongs: "a cache's nodes belong in private subnets, reached only from the application (AWS FSBP ElastiCache.7)" },
];

export const privateComputeSubnets = stackPolicy({
    name: "keel-compute-private-subnets",
    description: "Auto Scaling groups, instances, node groups and caches (their subnet groups) run in private subnets: none that maps public IPs or routes to an internet gateway, and never the default VPC's (public) subnets.",
    check: function* ({ resources }) {
        const exposure = new SubnetExposure(resources);
        for (const placement of placements) {
            for (const compute of ofType(resources, placement.type)) {
                const inputs = inputsOf(compute);
                const subnets = exposure.subnetsOf(compute, placement.input);
                const unplaced = inputs[placement.input] === undefined && subnets.resources.length === 0 && sources(compute, placement.input, [subnetType]).length === 0;
                if (unplaced && placement.alternatives.every((a) => inputs[a] === undefined)) {
                    yield [`${named(compute)} names no subnets: it launches into the default VPC, whose subnets are public — place it in private subnets (AWS FSBP EC2.9, AutoScaling.5)`, compute.urn];
                    continue;
                }
                const exposed = subnets.resources.flatMap((subnet) => {
                    const reason = exposure.publicReason(subnet);
                    return reason ? [`"${subnet.name}" (${reason})`] : [];
                });
                if (exposed.length > 0) yield [`${named(compute)} runs in public subnets ${exposed.join(", ")}: ${placement.belongs ?? "instances belong in private subnets behind the load balancer (AWS FSBP EC2.9, AutoScaling.5)"}`, compute.urn];
            }
        }
    },
});

export const networkPolicies = [noInternetIngress, defaultSecurityGroupClosed, vpcFlowLogs, privateComputeSubnets];
