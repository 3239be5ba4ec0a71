import type { PlanRecord } from "../offline-plan/engine";
import type { PlanResource } from "../offline-plan/record";
import { cidrContains } from "../components/network/subnets";
import { mockOf } from "./plans";

/**
 * Network reachability over a plan record, the way VPC routing and security groups decide it:
 * from a source (subnets and the security groups its interfaces carry) to a destination
 * (subnets, security groups, a TCP port). Within a VPC the local route always applies; across
 * VPCs both subnets' route tables need a route to the other side through one accepted peering
 * connection that joins the two VPCs. The destination must admit the port in one of its
 * security groups, from a source group in the same region (groups cannot be referenced across
 * regions) or from a CIDR holding the source subnet. Egress of the source is not modelled
 * (EKS's cluster security group allows all egress), nor are network ACLs (Keel leaves the
 * default ACL, which allows all).
 */

export interface Endpoint {
    readonly subnetIds: readonly string[];
    readonly securityGroupIds: readonly string[];
}

const types = {
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    routeTable: "aws:ec2/routeTable:RouteTable",
    association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
    route: "aws:ec2/route:Route",
    peering: "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
    accepter: "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
} as const;

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const record = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {});


export class Reachability {
    private readonly byId = new Map<string, PlanResource>();

    constructor(private readonly plan: PlanRecord) {
        for (const r of plan.resources) if (r.type.startsWith("aws:") && r.region !== null) this.byId.set(`${r.type} ${mockOf(r).id}`, r);
    }

    private all(type: string): PlanResource[] {
        return this.plan.resources.filter((r) => r.type === type);
    }

    private resource(type: string, id: string): PlanResource {
        const found = this.byId.get(`${type} ${id}`);
        if (found === undefined) throw new Error(`no ${type} ${id} in the plan`);
        return found;
    }

    private subnet(id: string): { cidr: string; vpcId: string; region: string; routeTableId: string } {
        const subnet = this.resource(types.subnet, id);
        const association = this.all(types.association).find((a) => a.inputs.subnetId === id);
        if (association === undefined) throw new Error(`subnet ${subnet.name} has no route table`);
        return { cidr: str(subnet.inputs.cidrBlock), vpcId: str(subnet.inputs.vpcId), region: str(subnet.region), routeTableId: str(association.inputs.routeTableId) };
    }

    /** Peering connections (accepted) a route table sends a CIDR through. */
    private peeringsFor(routeTableId: string, cidr: string): string[] {
        const inline = (this.resource(types.routeTable, routeTableId).inputs.routes as unknown[] | undefined ?? []).map(record)
            .map((r) => ({ destination: str(r.cidrBlock), peering: str(r.vpcPeeringConnectionId) }));
        const separate = this.all(types.route).filter((r) => r.inputs.routeTableId === routeTableId)
            .map((r) => ({ destination: str(r.inputs.destinationCidrBlock), peering: str(r.inputs.vpcPeeringConnectionId) }));
        return [...inline, ...separate].filter((r) => r.peering !== "" && cidrContains(r.destination, cidr)).map((r) => r.peering);
    }

    /** The VPCs a peering connection joins, when it is accepted. */
    private peeringJoins(peeringId: string): [string, string] | undefined {
        const connection = this.resource(types.peering, peeringId);
        const accepted = this.all(types.accepter).some((a) => a.inputs.vpcPeeringConnectionId === peeringId && a.inputs.autoAccept === true);
        return accepted ? [str(connection.inputs.vpcId), str(connection.inputs.peerVpcId)] : undefined;
    }

    /** Why no packet (and its answer) can travel between two subnets, or undefined when the routes allow it. */
    routeProblem(fromSubnetId: string, toSubnetId: string): string | undefined {
        const from = this.subnet(fromSubnetId);
        const to = this.subnet(toSubnetId);
        if (from.vpcId === to.vpcId) return undefined;
        const joins = (peering: string) => {
            const vpcs = this.peeringJoins(peering);
            return vpcs !== undefined && vpcs.includes(from.vpcId) && vpcs.includes(to.vpcId);
        };
        const there = this.peeringsFor(from.routeTableId, to.cidr).filter(joins);
        if (there.length === 0) return `no route from ${from.cidr} (${from.region}) to ${to.cidr} (${to.region}) through an accepted peering of the two VPCs`;
        const back = this.peeringsFor(to.routeTableId, from.cidr).filter((p) => there.includes(p));
        if (back.length === 0) return `no return route from ${to.cidr} (${to.region}) to ${from.cidr} (${from.region}) through the same peering`;
        return undefined;
    }

    /** Why a destination's security groups refuse TCP `port` from a source subnet and groups, or undefined when one admits it. */
    admissionProblem(fromSubnetId: string, sourceGroups: readonly string[], destinationGroups: readonly string[], port: number): string | undefined {
        const from = this.subnet(fromSubnetId);
        const admits = this.all(types.ingress).some((rule) => {
            const { inputs } = rule;
            if (!destinationGroups.includes(str(inputs.securityGroupId))) return false;
            const protocolOk = inputs.ipProtocol === "-1" || (inputs.ipProtocol === "tcp" && Number(inputs.fromPort) <= port && port <= Number(inputs.toPort));
            if (!protocolOk) return false;
            const referenced = str(inputs.referencedSecurityGroupId);
            if (referenced !== "") return sourceGroups.includes(referenced) && rule.region === from.region;
            const cidr = str(inputs.cidrIpv4);
            return cidr !== "" && cidrContains(cidr, from.cidr);
        });
        return admits ? undefined : `no security group of the destination admits tcp/${port} from ${from.cidr} (${from.region})`;
    }

    /** Every problem between every source subnet and every destination subnet on `port`. */
    problems(source: Endpoint, destination: Endpoint, port: number): string[] {
        const found = new Set<string>();
        for (const from of source.subnetIds) {
            const admission = this.admissionProblem(from, source.securityGroupIds, destination.securityGroupIds, port);
            if (admission !== undefined) found.add(admission);
            for (const to of destination.subnetIds) {
                const route = this.routeProblem(from, to);
                if (route !== undefined) found.add(route);
            }
        }
        return [...found];
    }
}
