import * as aws from "@pulumi/aws";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { idOf, mockOf, ofType, only, planComponents, plannedBeforeTests } from "../../tests/plans";
import { AutoscaledService } from "./autoscaled-service";
import { HostedZone, delegationTtlSeconds } from "./hosted-zone";
import { InvalidArgumentsError, problem } from "../problems";
import { hostedZoneIdPattern, hostedZoneProblems } from "./settings";

const zoneType = "aws:route53/zone:Zone";
const recordType = "aws:route53/record:Record";
const parentZoneId = "Z0123456789ABCDEFGHIJ";

describe("HostedZone created with its delegation", () => {
    const plan = plannedBeforeTests(() =>
        planComponents(() => {
            const provider = new aws.Provider("primary", { region: "us-east-1" });
            const zone = new HostedZone("dns", { domain: "app.example.com", parentZoneId }, { provider, retainOnDelete: true });
            // A service validating its certificate in the zone, as stacks/traffic.ts composes them.
            new AutoscaledService("app", {
                vpcId: "vpc-0123456789abcdef0",
                publicSubnetIds: ["subnet-a", "subnet-b"],
                privateSubnetIds: ["subnet-c", "subnet-d"],
                instanceType: "c6i.large",
                minSize: 2,
                maxSize: 4,
                certificate: { domainName: "app.example.com", zoneId: zone.zoneId },
                application: { image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:1.4.2" },
                tags: { environment: "test", service: "keel", owner: "platform", "managed-by": "pulumi" },
            }, { provider });
            return { zoneId: zone.zoneId, nameServers: zone.nameServers };
        }),
    );

    test("the parent zone delegates the domain to the created zone's name servers", () => {
        const zone = only(plan(), zoneType);
        const delegation = only(plan(), recordType, "dns-delegation");
        // aws_route53_record: records and alias are ExactlyOneOf, ttl is RequiredWith records and ConflictsWith alias.
        assert.deepEqual(delegation.inputs, { zoneId: parentZoneId, name: "app.example.com", type: "NS", ttl: delegationTtlSeconds, records: mockOf(zone).state.nameServers });
        assert.ok(!("aliases" in delegation.inputs));
        assert.equal((mockOf(zone).state.nameServers as string[]).length, 4);
        assert.deepEqual(plan().outputs.nameServers, mockOf(zone).state.nameServers);
        assert.deepEqual([zone.retainOnDelete, delegation.retainOnDelete], [true, true]);
    });

    test("records in the zone — ACM's validation record first — wait for the delegation", () => {
        const zone = only(plan(), zoneType);
        const delegation = only(plan(), recordType, "dns-delegation");
        const validation = only(plan(), recordType, "app-cert-validation");
        assert.equal(validation.inputs.zoneId, idOf(zone));
        assert.equal(plan().outputs.zoneId, idOf(zone));
        assert.ok(validation.dependencies.includes(delegation.urn), validation.dependencies.join());
        // The certificate validation waits on the validation record, so on the delegation too.
        assert.ok(only(plan(), "aws:acm/certificateValidation:CertificateValidation").dependencies.includes(validation.urn));
    });
});

describe("HostedZone adopted by id", () => {
    test("creates nothing, and records go into the given zone", async () => {
        const plan = await planComponents(() => {
            const zone = new HostedZone("dns", { domain: "app.example.com", zoneId: "Z0223456789ABCDEFGHIJ" });
            return { zoneId: zone.zoneId, nameServers: zone.nameServers };
        });
        assert.deepEqual([ofType(plan, zoneType), ofType(plan, recordType)], [[], []]);
        assert.deepEqual(plan.outputs, { zoneId: "Z0223456789ABCDEFGHIJ", nameServers: [] });
    });
});

describe("HostedZone refusals", () => {
    test("a zone nothing delegates to is refused: an existing zone or a parent to delegate from is required, not both", () => {
        assert.deepEqual(hostedZoneProblems({ domain: "app.example.com" }), [
            problem([], "needs zoneId (an existing zone for app.example.com) or parentZoneId (create the zone and delegate it): a zone nothing delegates to never answers, and ACM's DNS validation in it waits forever"),
        ]);
        assert.deepEqual(hostedZoneProblems({ domain: "app.example.com", zoneId: "Z0223456789ABCDEFGHIJ", parentZoneId }), [problem([], "takes zoneId or parentZoneId, not both")]);
        assert.throws(() => new HostedZone("dns", { domain: "app.example.com" }), (error: unknown) => error instanceof InvalidArgumentsError && /^HostedZone dns: invalid arguments:\n {2}- needs zoneId/.test(error.message));
    });

    test("zone ids are Route 53's: Z and at most 31 upper-case letters and digits", () => {
        for (const id of ["Z0123456789ABCDEFGHIJ", "Z35SXDOTRQ7X7K", `Z${"A".repeat(31)}`]) assert.match(id, hostedZoneIdPattern);
        for (const id of ["/hostedzone/Z0123456789ABC", "z0123456789abc", "Z", `Z${"A".repeat(32)}`, "Z0123-456"]) assert.doesNotMatch(id, hostedZoneIdPattern);
        const given = { domain: "App.Example.com", parentZoneId: "/hostedzone/Z0123456789ABC" };
        assert.throws(() => new HostedZone("dns", given), {
            message: [
                "HostedZone dns: invalid arguments:",
                '  - domain: expected a lower-case DNS name such as app.example.com (labels of letters, digits and inner hyphens up to 63 characters, 253 in all, no trailing dot), got "App.Example.com"',
                '  - parentZoneId: expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (without /hostedzone/), got "/hostedzone/Z0123456789ABC"',
            ].join("\n"),
        });
    });
});
