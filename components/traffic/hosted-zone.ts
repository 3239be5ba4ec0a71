import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface HostedZoneArgs {
    /** The zone's name, e.g. `app.example.com` (delegate it from the parent zone with `nameServers`). */
    readonly domain: string;
    /** An existing public hosted zone to use instead of creating one. */
    readonly zoneId?: string;
}

/**
 * The public hosted zone the service's records and certificate validation live in: created
 * here, or an existing one adopted by id. It comes before the load balancers (their
 * certificates are validated in it) and before FailoverDns (which fills it). Deleting a zone
 * loses its records and its name servers, so it takes `retainOnDelete` from this component's
 * options, like every stateful Keel resource.
 */
export class HostedZone extends pulumi.ComponentResource {
    public readonly zoneId: pulumi.Output<string>;
    /** The name servers to delegate to; empty for an adopted zone (its delegation already exists). */
    public readonly nameServers: pulumi.Output<string[]>;

    constructor(name: string, args: HostedZoneArgs, opts?: pulumi.ComponentResourceOptions) {
        if (!/^([a-z0-9-]+\.)+[a-z]{2,}$/.test(args.domain)) throw new Error(`HostedZone ${name}: domain must be a DNS name such as app.example.com, got ${JSON.stringify(args.domain)}`);
        if (args.zoneId !== undefined && !/^Z[A-Z0-9]+$/.test(args.zoneId)) throw new Error(`HostedZone ${name}: zoneId must be a Route 53 hosted zone id such as Z0123456789ABC, got ${JSON.stringify(args.zoneId)}`);
        super("keel:traffic:HostedZone", name, args, opts);
        if (args.zoneId !== undefined) {
            this.zoneId = pulumi.output(args.zoneId);
            this.nameServers = pulumi.output([]);
        } else {
            const zone = new aws.route53.Zone(name, {
                name: args.domain,
                comment: `Keel ${args.domain}`,
                forceDestroy: false,
                tags: { Name: args.domain },
            }, { parent: this, retainOnDelete: opts?.retainOnDelete });
            this.zoneId = zone.zoneId;
            this.nameServers = zone.nameServers;
        }
        this.registerOutputs({ zoneId: this.zoneId, nameServers: this.nameServers });
    }
}
