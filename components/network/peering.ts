import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { problem, requireNoProblems, type Problem } from "../problems";
import { cidrsOverlap, isIpv4Cidr } from "./subnets";
import { publicOutputs } from "../outputs";

/** One side of a peering: a VPC, its CIDR and the route tables whose subnets talk to the other side. */
export interface PeeringSide {
    readonly vpcId: pulumi.Input<string>;
    /** A plain string: the other side's routes are planned from it. */
    readonly cidrBlock: string;
    /** Route tables that get a route to the other side's CIDR: only the tiers that talk across. */
    readonly routeTableIds: readonly pulumi.Input<string>[];
}

export interface VpcPeeringArgs {
    /** The VPC in this component's provider's region (the requester). */
    readonly requester: PeeringSide;
    /** The VPC in another region (the accepter), created through `accepterProvider`. */
    readonly accepter: PeeringSide & {
        /** The accepter's region: the requester names it (`peerRegion`). */
        readonly region: string;
        readonly provider: aws.Provider;
    };
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Problems with the peering's arguments, before anything is registered; the messages leave the values to `given`. */
export function vpcPeeringProblems(args: VpcPeeringArgs): Problem[] {
    const { requester, accepter } = args;
    const cidrProblems = (side: "requester" | "accepter") =>
        isIpv4Cidr(args[side].cidrBlock) ? [] : [problem([side, "cidrBlock"], "expected an IPv4 CIDR such as 10.1.0.0/16")];
    const problems = [...cidrProblems("requester"), ...cidrProblems("accepter")];
    if (problems.length === 0 && cidrsOverlap(requester.cidrBlock, accepter.cidrBlock)) {
        problems.push(problem(["accepter", "cidrBlock"], `expected a CIDR that does not overlap the requester's ${requester.cidrBlock}: AWS refuses to peer overlapping CIDRs`));
    }
    return problems;
}

/**
 * Inter-region VPC peering with routes both ways: what lets the monitoring cluster in the
 * primary region scrape instances and the database replica in the DR region.
 *
 * AWS: the requester names the peer region and cannot auto-accept an inter-region request
 * (terraform-provider-aws: "peer_region cannot be set whilst auto_accept is true"); the accepter
 * side accepts it. Peered CIDRs must not overlap (VPC peering guide, "VPC peering limitations"),
 * and security groups cannot reference groups across regions: admit the peer's CIDRs instead.
 */
export class VpcPeering extends pulumi.ComponentResource {
    public readonly connectionId: pulumi.Output<string>;

    constructor(name: string, args: VpcPeeringArgs, opts?: pulumi.ComponentResourceOptions) {
        requireNoProblems(`VpcPeering ${name}`, vpcPeeringProblems(args), args);
        super("keel:network:VpcPeering", name, {}, opts);
        const parent = { parent: this };
        const inAccepter = { parent: this, provider: args.accepter.provider };

        const connection = new aws.ec2.VpcPeeringConnection(name, {
            vpcId: args.requester.vpcId,
            peerVpcId: args.accepter.vpcId,
            peerRegion: args.accepter.region,
            tags: pulumi.output(args.tags ?? {}).apply((tags) => ({ ...tags, Name: name })),
        }, parent);
        const accepted = new aws.ec2.VpcPeeringConnectionAccepter(name, {
            vpcPeeringConnectionId: connection.id,
            autoAccept: true,
            tags: pulumi.output(args.tags ?? {}).apply((tags) => ({ ...tags, Name: name })),
        }, inAccepter);

        // Routes name the accepted connection, so none is created before the peering is active.
        const routes = (side: "requester" | "accepter", to: string, options: pulumi.CustomResourceOptions) =>
            args[side].routeTableIds.forEach((routeTableId, i) =>
                new aws.ec2.Route(`${name}-${side}-${i}`, { routeTableId, destinationCidrBlock: to, vpcPeeringConnectionId: accepted.vpcPeeringConnectionId }, options));
        routes("requester", args.accepter.cidrBlock, parent);
        routes("accepter", args.requester.cidrBlock, inAccepter);

        this.connectionId = accepted.vpcPeeringConnectionId;
        this.registerOutputs(publicOutputs(this));
    }
}
