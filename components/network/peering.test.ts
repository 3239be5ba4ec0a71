import type * as aws from "@pulumi/aws";
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import type { PlanResource } from "../../offline-plan/record";
import { childrenOf, idOf, mockOf, object, ofType, only, planComponents, planRefusal, twoRegions } from "../../tests/plans";
import { InvalidArgumentsError } from "../problems";
import { VpcPeering, vpcPeeringProblems } from "./peering";
import { cidrsOverlap } from "./subnets";

/**
 * The VpcPeering component's contract, read from an offline plan built the way the stacks
 * build it: the requester through `{ provider }` in the primary region, the accepter through a
 * provider of the DR region passed in the arguments.
 */

const types = {
    peering: "keel:network:VpcPeering",
    provider: "pulumi:providers:aws",
    connection: "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
    accepter: "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
    route: "aws:ec2/route:Route",
} as const;

const requester = { vpcId: "vpc-0east000000000001", cidrBlock: "10.0.0.0/16", routeTableIds: ["rtb-0east-private-a", "rtb-0east-private-b", "rtb-0east-database"] };
const accepter = { vpcId: "vpc-0west000000000001", cidrBlock: "10.1.0.0/16", routeTableIds: ["rtb-0west-private-a", "rtb-0west-database"] };

describe("VpcPeering between us-east-1 (requester) and us-west-2 (accepter)", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => {
            const { primary: provider, dr: drProvider } = twoRegions();
            const peering = new VpcPeering("mesh", {
                requester,
                accepter: { ...accepter, region: "us-west-2", provider: drProvider },
                tags: { environment: "test" },
            }, { provider });
            return { connectionId: peering.connectionId };
        });
    });
    const providerUrn = (name: string) => only(record, types.provider, name).urn;
    const connection = () => only(record, types.connection);
    const accepted = () => only(record, types.accepter);
    const routesOf = (side: string): PlanResource[] => ofType(record, types.route).filter((r) => r.name.startsWith(`mesh-${side}-`)).sort((a, b) => a.name.localeCompare(b.name));

    test("the requester's connection is in us-east-1, names both VPCs and the peer region, and does not auto-accept", () => {
        const c = connection();
        assert.deepEqual([c.region, c.provider], ["us-east-1", providerUrn("primary")]);
        assert.deepEqual([c.inputs.vpcId, c.inputs.peerVpcId, c.inputs.peerRegion], [requester.vpcId, accepter.vpcId, "us-west-2"]);
        // terraform-provider-aws: "peer_region cannot be set whilst auto_accept is true".
        assert.equal(c.inputs.autoAccept, undefined);
        assert.ok(!("autoAccept" in c.inputs), "autoAccept is set on the requester");
        assert.deepEqual(c.inputs.tags, { environment: "test", Name: "mesh" });
        assert.match(idOf(c), /^pcx-[0-9a-f]{17}$/);
    });

    test("the accepter is in us-west-2, accepts the requester's connection, and the component exports its id", () => {
        const a = accepted();
        assert.deepEqual([a.region, a.provider], ["us-west-2", providerUrn("dr")]);
        assert.deepEqual([a.inputs.autoAccept, a.inputs.vpcPeeringConnectionId], [true, idOf(connection())]);
        assert.deepEqual(a.inputs.tags, { environment: "test", Name: "mesh" });
        assert.ok(a.dependencies.includes(connection().urn), "the accepter does not wait for the connection");
        assert.equal(mockOf(a).state.vpcPeeringConnectionId, idOf(connection()));
        assert.equal(record.outputs.connectionId, idOf(connection()));
    });

    test("one route per requester route table to the accepter's CIDR, in us-east-1, through the accepted connection", () => {
        const routes = routesOf("requester");
        assert.deepEqual(routes.map((r) => r.name), ["mesh-requester-0", "mesh-requester-1", "mesh-requester-2"]);
        assert.deepEqual(routes.map((r) => r.inputs.routeTableId), requester.routeTableIds);
        for (const route of routes) {
            assert.deepEqual([route.region, route.provider], ["us-east-1", providerUrn("primary")], route.name);
            assert.deepEqual([route.inputs.destinationCidrBlock, route.inputs.vpcPeeringConnectionId], [accepter.cidrBlock, idOf(connection())], route.name);
        }
    });

    test("one route per accepter route table to the requester's CIDR, in us-west-2, through the accepted connection", () => {
        const routes = routesOf("accepter");
        assert.deepEqual(routes.map((r) => r.name), ["mesh-accepter-0", "mesh-accepter-1"]);
        assert.deepEqual(routes.map((r) => r.inputs.routeTableId), accepter.routeTableIds);
        for (const route of routes) {
            assert.deepEqual([route.region, route.provider], ["us-west-2", providerUrn("dr")], route.name);
            assert.deepEqual([route.inputs.destinationCidrBlock, route.inputs.vpcPeeringConnectionId], [requester.cidrBlock, idOf(connection())], route.name);
        }
        assert.equal(ofType(record, types.route).length, requester.routeTableIds.length + accepter.routeTableIds.length);
    });

    test("no route is created before the peering is accepted", () => {
        for (const route of ofType(record, types.route)) assert.ok(route.dependencies.includes(accepted().urn), `${route.name} does not depend on the accepter`);
    });

    test("every child has the component as parent; the component sits under the stack", () => {
        const component = only(record, types.peering, "mesh");
        assert.equal(component.custom, false);
        assert.equal(component.parent, "urn:pulumi:test::keel::pulumi:pulumi:Stack::keel-test");
        const children = childrenOf(record, component);
        assert.deepEqual(children.map((r) => r.type).sort(), [types.connection, types.accepter, ...Array<string>(5).fill(types.route)].sort());
        for (const r of record.resources.filter((r) => r.type.startsWith("aws:"))) assert.equal(r.parent, component.urn, `${r.type} ${r.name}`);
        assert.deepEqual(object(record.outputs, "outputs"), { connectionId: idOf(connection()) });
    });
});

describe("cidrsOverlap", () => {
    test("a /20 inside a /16 overlaps it, either way round", () => {
        assert.equal(cidrsOverlap("10.0.0.0/16", "10.0.128.0/20"), true);
        assert.equal(cidrsOverlap("10.0.128.0/20", "10.0.0.0/16"), true);
    });
    test("adjacent /16s do not overlap", () => {
        assert.equal(cidrsOverlap("10.0.0.0/16", "10.1.0.0/16"), false);
        assert.equal(cidrsOverlap("10.1.0.0/16", "10.0.0.0/16"), false);
    });
    test("a /8 overlaps a /16 far inside it", () => {
        assert.equal(cidrsOverlap("10.0.0.0/8", "10.200.0.0/16"), true);
        assert.equal(cidrsOverlap("10.200.0.0/16", "10.0.0.0/8"), true);
    });
    test("identical CIDRs overlap", () => {
        assert.equal(cidrsOverlap("10.0.0.0/16", "10.0.0.0/16"), true);
    });
});

describe("VpcPeering refuses overlapping CIDRs", () => {
    const attempt = (accepterCidr: string) => planRefusal(() => {
        const { primary, dr } = twoRegions();
        new VpcPeering("mesh", { requester, accepter: { ...accepter, cidrBlock: accepterCidr, region: "us-west-2", provider: dr } }, { provider: primary });
    });

    test("refuses 10.0.0.0/16 with 10.0.128.0/20, naming both, and registers nothing", async () => {
        const { refusal, registered } = await attempt("10.0.128.0/20");
        assert.ok(refusal instanceof InvalidArgumentsError);
        assert.equal(refusal.message, [
            "VpcPeering mesh: invalid arguments:",
            `  - accepter.cidrBlock: expected a CIDR that does not overlap the requester's 10.0.0.0/16: AWS refuses to peer overlapping CIDRs, got "10.0.128.0/20"`,
        ].join("\n"));
        assert.deepEqual(refusal.problems.map((p) => p.path), [["accepter", "cidrBlock"]]);
        assert.deepEqual(registered, []);
    });

    test("refuses a CIDR it cannot read, on either side, instead of judging the overlap", async () => {
        // The pure check never reads the provider.
        const noProvider = {} as aws.Provider;
        const { refusal, registered } = await attempt("10.1.0.0");
        assert.ok(refusal instanceof InvalidArgumentsError);
        assert.equal(refusal.message, 'VpcPeering mesh: invalid arguments:\n  - accepter.cidrBlock: expected an IPv4 CIDR such as 10.1.0.0/16, got "10.1.0.0"');
        assert.deepEqual(registered, []);
        assert.deepEqual(vpcPeeringProblems({ requester: { ...requester, cidrBlock: "10.0.0.256/16" }, accepter: { ...accepter, cidrBlock: "10.0.0.0/33", region: "us-west-2", provider: noProvider } }), [
            { path: ["requester", "cidrBlock"], message: "expected an IPv4 CIDR such as 10.1.0.0/16" },
            { path: ["accepter", "cidrBlock"], message: "expected an IPv4 CIDR such as 10.1.0.0/16" },
        ]);
    });

    test("accepts a CIDR that does not overlap", async () => {
        const { refusal, registered } = await attempt("10.2.0.0/16");
        assert.equal(refusal, undefined);
        assert.equal(registered.filter((r) => r.type === types.peering).length, 1);
    });
});
