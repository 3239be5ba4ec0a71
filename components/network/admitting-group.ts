import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/** Where a data store sits in one region and who may reach it: a database's or a cache's site. */
export interface DataStorePlacement {
    readonly vpcId: pulumi.Input<string>;
    /** Security groups of this VPC's clients (rules `<name>-client-<i>`). */
    readonly clientSecurityGroupIds?: readonly pulumi.Input<string>[];
    /** Networks of clients elsewhere, such as a peered VPC in another region (rules `<name>-network-<i>`). */
    readonly clientCidrBlocks?: readonly string[];
}

/** A data store's security group: one TCP port, from the client security groups and networks named, and nothing else. */
export interface AdmittingGroupArgs {
    readonly placement: DataStorePlacement;
    readonly description: string;
    readonly port: number;
    /** How the rules describe each kind of client, e.g. `PostgreSQL from an application tier`. */
    readonly ruleDescriptions: { readonly group: string; readonly network: string };
    /** The tags of a child of this name. */
    readonly tags: (child: string) => pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The security group and its ingress rules, each its own resource. The group has no egress
 * rule: the provider removes the default allow-all one, and a data store starts no connection.
 */
export function admittingSecurityGroup(name: string, args: AdmittingGroupArgs, opts: pulumi.CustomResourceOptions): aws.ec2.SecurityGroup {
    const { placement } = args;
    const group = new aws.ec2.SecurityGroup(name, { vpcId: placement.vpcId, description: args.description, tags: args.tags(name) }, opts);
    const admit = (suffix: string, source: { referencedSecurityGroupId: pulumi.Input<string> } | { cidrIpv4: string }, description: string) =>
        new aws.vpc.SecurityGroupIngressRule(`${name}-${suffix}`, {
            securityGroupId: group.id,
            ...source,
            ipProtocol: "tcp",
            fromPort: args.port,
            toPort: args.port,
            description,
            tags: args.tags(`${name}-${suffix}`),
        }, opts);
    (placement.clientSecurityGroupIds ?? []).forEach((client, index) => admit(`client-${index}`, { referencedSecurityGroupId: client }, args.ruleDescriptions.group));
    (placement.clientCidrBlocks ?? []).forEach((cidr, index) => admit(`network-${index}`, { cidrIpv4: cidr }, args.ruleDescriptions.network));
    return group;
}
