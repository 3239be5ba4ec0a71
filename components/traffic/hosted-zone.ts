import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { requireNoProblems } from "../problems";
import { hostedZoneProblems } from "./settings";
import { publicOutputs } from "../outputs";

export interface HostedZoneArgs {
    /** The name clients resolve, e.g. `app.example.com`. */
    readonly domain: string;
    /**
     * An existing public hosted zone the internet already resolves for `domain`: the domain's own
     * zone, or a parent's (e.g. `example.com` for `app.example.com`). Nothing is created.
     */
    readonly zoneId?: string;
    /**
     * Create the zone for `domain` and delegate it from this existing public parent zone (e.g.
     * `example.com`'s): an NS record for `domain` there, with the created zone's name servers.
     */
    readonly parentZoneId?: string;
}

/** TTL of the delegation: an hour, so a recreated zone's new name servers take over within one. */
export const delegationTtlSeconds = 3600;

/**
 * The public hosted zone the service's records and certificate validation live in: an existing
 * one adopted by id, or one created here together with its delegation from the parent zone —
 * ACM validates certificates by looking the validation record up in public DNS, which reaches
 * a zone only through the NS record in its parent. `zoneId` resolves only once that delegation
 * exists, so the validation records (and the certificates waiting on them) come after it. The
 * zone comes before the load balancers (their certificates are validated in it) and before
 * FailoverDns (which fills it). Deleting a zone or its delegation loses the domain, so both
 * take `retainOnDelete` from this component's options, like every stateful Keel resource.
 */
export class HostedZone extends pulumi.ComponentResource {
    /** The zone to write records in; for a created zone, available once its delegation exists. */
    public readonly zoneId: pulumi.Output<string>;
    /** The created zone's name servers (what the parent delegates to); empty for an adopted zone. */
    public readonly nameServers: pulumi.Output<string[]>;

    constructor(name: string, args: HostedZoneArgs, opts?: pulumi.ComponentResourceOptions) {
        requireNoProblems(`HostedZone ${name}`, hostedZoneProblems(args), args);
        super("keel:traffic:HostedZone", name, args, opts);
        if (args.zoneId !== undefined) {
            this.zoneId = pulumi.output(args.zoneId);
            this.nameServers = pulumi.output([]);
        } else {
            const stateful = { parent: this, retainOnDelete: opts?.retainOnDelete };
            const zone = new aws.route53.Zone(name, {
                name: args.domain,
                comment: `Keel ${args.domain}`,
                forceDestroy: false,
                tags: { Name: args.domain },
            }, stateful);
            const delegation = new aws.route53.Record(`${name}-delegation`, {
                zoneId: args.parentZoneId as string,
                name: args.domain,
                type: "NS",
                ttl: delegationTtlSeconds,
                records: zone.nameServers,
            }, stateful);
            // Records written in the zone (ACM's validation CNAME first) wait for the delegation.
            this.zoneId = pulumi.all([zone.zoneId, delegation.id]).apply(([zoneId]) => zoneId);
            this.nameServers = zone.nameServers;
        }
        this.registerOutputs(publicOutputs(this));
    }
}
