import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cidrContains, cidrSubnet, isIpv4Cidr, maxAvailabilityZones, natGatewayCount, natGatewayForZone, networkCidr, overlappingSubnets, planSubnets, subnetLayoutProblems, type NatGatewayMode, type SubnetTier } from "./subnets";

/** An IPv4 block as integers, parsed here independently of the module under test. */
interface Block {
    readonly cidr: string;
    readonly start: number;
    /** One past the last address. */
    readonly end: number;
    readonly prefix: number;
}

function block(cidr: string): Block {
    const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
    assert.ok(match, `${cidr} is not an IPv4 CIDR`);
    const [a, b, c, d, prefix] = match.slice(1).map(Number);
    for (const octet of [a, b, c, d]) assert.ok(octet <= 255, `${cidr}: octet ${octet} out of range`);
    assert.ok(prefix <= 32, `${cidr}: prefix out of range`);
    const start = ((a * 256 + b) * 256 + c) * 256 + d;
    const size = 2 ** (32 - prefix);
    return { cidr, start, end: start + size, prefix };
}

const overlaps = (x: Block, y: Block) => x.start < y.end && y.start < x.end;
const contains = (outer: Block, inner: Block) => outer.start <= inner.start && inner.end <= outer.end;

describe("cidrSubnet", () => {
    // Expected values follow Terraform's cidrsubnet(prefix, newbits, netnum); the first two
    // rows with a foreign base are the examples of Terraform's own documentation.
    const cases: { cidr: string; newBits: number; netNum: number; expected: string }[] = [
        { cidr: "172.16.0.0/12", newBits: 4, netNum: 2, expected: "172.18.0.0/16" },
        { cidr: "10.1.2.0/24", newBits: 4, netNum: 15, expected: "10.1.2.240/28" },
        { cidr: "10.0.0.0/16", newBits: 3, netNum: 0, expected: "10.0.0.0/19" },
        { cidr: "10.0.0.0/16", newBits: 3, netNum: 1, expected: "10.0.32.0/19" },
        { cidr: "10.0.0.0/16", newBits: 3, netNum: 7, expected: "10.0.224.0/19" },
        { cidr: "10.0.0.0/16", newBits: 6, netNum: 48, expected: "10.0.192.0/22" },
        { cidr: "10.0.0.0/16", newBits: 6, netNum: 57, expected: "10.0.228.0/22" },
        { cidr: "10.0.0.0/16", newBits: 6, netNum: 63, expected: "10.0.252.0/22" },
        { cidr: "10.0.0.0/16", newBits: 8, netNum: 255, expected: "10.0.255.0/24" },
        { cidr: "10.0.0.0/16", newBits: 0, netNum: 0, expected: "10.0.0.0/16" },
        { cidr: "10.0.0.0/16", newBits: 16, netNum: 65535, expected: "10.0.255.255/32" },
        { cidr: "10.0.16.0/20", newBits: 3, netNum: 5, expected: "10.0.26.0/23" },
        { cidr: "10.0.16.0/20", newBits: 6, netNum: 49, expected: "10.0.28.64/26" },
        { cidr: "10.0.16.0/20", newBits: 6, netNum: 63, expected: "10.0.31.192/26" },
        { cidr: "192.168.0.0/16", newBits: 8, netNum: 200, expected: "192.168.200.0/24" },
        { cidr: "0.0.0.0/0", newBits: 8, netNum: 10, expected: "10.0.0.0/8" },
        { cidr: "0.0.0.0/0", newBits: 1, netNum: 1, expected: "128.0.0.0/1" },
        { cidr: "255.255.255.0/24", newBits: 8, netNum: 255, expected: "255.255.255.255/32" },
        // Misaligned bases: Terraform drops the host bits of the base address first.
        { cidr: "10.0.1.0/16", newBits: 3, netNum: 1, expected: "10.0.32.0/19" },
        { cidr: "10.1.2.3/16", newBits: 8, netNum: 2, expected: "10.1.2.0/24" },
        { cidr: "10.0.0.77/24", newBits: 2, netNum: 3, expected: "10.0.0.192/26" },
        { cidr: "172.31.255.255/12", newBits: 4, netNum: 0, expected: "172.16.0.0/16" },
        { cidr: "10.0.31.255/20", newBits: 6, netNum: 0, expected: "10.0.16.0/26" },
    ];
    for (const { cidr, newBits, netNum, expected } of cases) {
        it(`cidrsubnet("${cidr}", ${newBits}, ${netNum}) is ${expected}`, () => {
            assert.equal(cidrSubnet(cidr, newBits, netNum), expected);
        });
    }

    const refusals: { why: string; cidr: string; newBits: number; netNum: number; error: RegExp }[] = [
        { why: "more bits than the address has", cidr: "10.0.0.0/30", newBits: 3, netNum: 0, error: /^Error: cannot split 10\.0\.0\.0\/30 by 3 bits$/ },
        { why: "a /16 split into /33", cidr: "10.0.0.0/16", newBits: 17, netNum: 0, error: /^Error: cannot split 10\.0\.0\.0\/16 by 17 bits$/ },
        { why: "negative new bits", cidr: "10.0.0.0/16", newBits: -1, netNum: 0, error: /^Error: cannot split 10\.0\.0\.0\/16 by -1 bits$/ },
        { why: "fractional new bits", cidr: "10.0.0.0/16", newBits: 2.5, netNum: 1, error: /^Error: cannot split 10\.0\.0\.0\/16 by 2\.5 bits$/ },
        { why: "a number one past the last block", cidr: "10.0.0.0/16", newBits: 3, netNum: 8, error: /^Error: 10\.0\.0\.0\/16 has no subnet number 8 at \/19$/ },
        { why: "a negative number", cidr: "10.0.0.0/16", newBits: 3, netNum: -1, error: /^Error: 10\.0\.0\.0\/16 has no subnet number -1 at \/19$/ },
        { why: "any number but 0 without new bits", cidr: "10.0.0.0/16", newBits: 0, netNum: 1, error: /^Error: 10\.0\.0\.0\/16 has no subnet number 1 at \/16$/ },
        { why: "a fractional number", cidr: "10.0.0.0/16", newBits: 3, netNum: 1.5, error: /^Error: 10\.0\.0\.0\/16 has no subnet number 1\.5 at \/19$/ },
        { why: "a number past a /20's blocks", cidr: "10.0.16.0/20", newBits: 6, netNum: 64, error: /has no subnet number 64 at \/26/ },
        { why: "no prefix", cidr: "10.0.0.0", newBits: 3, netNum: 0, error: /^Error: invalid IPv4 CIDR 10\.0\.0\.0$/ },
        { why: "an empty prefix", cidr: "10.0.0.0/", newBits: 3, netNum: 0, error: /^Error: invalid IPv4 CIDR 10\.0\.0\.0\/$/ },
        { why: "a prefix over 32", cidr: "10.0.0.0/33", newBits: 0, netNum: 0, error: /^Error: invalid IPv4 CIDR 10\.0\.0\.0\/33$/ },
        { why: "three octets", cidr: "10.0.0/16", newBits: 3, netNum: 0, error: /^Error: invalid IPv4 CIDR 10\.0\.0\/16$/ },
        { why: "an empty octet", cidr: "10..0.0/16", newBits: 3, netNum: 0, error: /^Error: invalid IPv4 CIDR 10\.\.0\.0\/16$/ },
        { why: "an octet over 255", cidr: "10.0.0.256/16", newBits: 3, netNum: 0, error: /^Error: invalid IPv4 address 10\.0\.0\.256$/ },
        { why: "an IPv6 block", cidr: "2001:db8::/56", newBits: 8, netNum: 1, error: /^Error: invalid IPv4 CIDR 2001:db8::\/56$/ },
    ];
    for (const { why, cidr, newBits, netNum, error } of refusals) {
        it(`refuses ${why}: cidrsubnet("${cidr}", ${newBits}, ${netNum})`, () => {
            assert.throws(() => cidrSubnet(cidr, newBits, netNum), (e: unknown) => {
                assert.ok(e instanceof Error);
                assert.match(String(e), error);
                return true;
            });
        });
    }

    it("enumerates consecutive, aligned, non-overlapping blocks that tile the parent exactly", () => {
        const parent = block("10.0.16.0/20");
        const children = [...Array(8).keys()].map((n) => block(cidrSubnet(parent.cidr, 3, n)));
        assert.equal(children[0].start, parent.start);
        assert.equal(children[7].end, parent.end);
        children.forEach((child, n) => {
            assert.equal(child.prefix, 23);
            assert.equal(child.start % 2 ** (32 - child.prefix), 0, `${child.cidr} is not aligned`);
            if (n > 0) assert.equal(child.start, children[n - 1].end, `${child.cidr} does not follow ${children[n - 1].cidr}`);
        });
    });
});

describe("planSubnets", () => {
    const tiers: SubnetTier[] = ["public", "private", "database"];
    const layouts: { vpc: string; zones: number }[] = [];
    for (const vpc of ["10.0.0.0/16", "10.1.0.0/16", "10.0.16.0/20", "172.20.240.0/20"]) {
        for (const zones of [2, 3, 6]) layouts.push({ vpc, zones });
    }

    for (const { vpc, zones } of layouts) {
        describe(`${vpc} over ${zones} zones`, () => {
            const plan = planSubnets(vpc, zones);
            const vpcBlock = block(vpc);
            const all = tiers.flatMap((tier) => plan[tier].map((cidr) => ({ tier, ...block(cidr) })));

            it(`plans exactly ${zones} subnets per tier and no other tier`, () => {
                assert.deepEqual(Object.keys(plan).sort(), ["database", "private", "public"]);
                for (const tier of tiers) assert.equal(plan[tier].length, zones, `${tier} subnets`);
                assert.equal(all.length, 3 * zones);
            });

            it("sizes private subnets an eighth of the VPC and public/database a sixty-fourth", () => {
                for (const subnet of all) {
                    const expected = vpcBlock.prefix + (subnet.tier === "private" ? 3 : 6);
                    assert.equal(subnet.prefix, expected, `${subnet.tier} ${subnet.cidr}`);
                    // AWS accepts subnets from /16 to /28.
                    assert.ok(subnet.prefix >= 16 && subnet.prefix <= 28, `${subnet.cidr} is not a valid AWS subnet size`);
                    assert.equal(subnet.start % 2 ** (32 - subnet.prefix), 0, `${subnet.cidr} is not aligned`);
                }
            });

            it("keeps every subnet inside the VPC", () => {
                for (const subnet of all) assert.ok(contains(vpcBlock, subnet), `${subnet.tier} ${subnet.cidr} lies outside ${vpc}`);
            });

            it("never overlaps two subnets", () => {
                for (let i = 0; i < all.length; i++) {
                    for (let j = i + 1; j < all.length; j++) {
                        assert.ok(!overlaps(all[i], all[j]), `${all[i].tier} ${all[i].cidr} overlaps ${all[j].tier} ${all[j].cidr}`);
                    }
                }
            });
        });
    }

    it("lays a /16 over 3 zones out at fixed addresses", () => {
        assert.deepEqual(planSubnets("10.0.0.0/16", 3), {
            private: ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"],
            public: ["10.0.192.0/22", "10.0.196.0/22", "10.0.200.0/22"],
            database: ["10.0.224.0/22", "10.0.228.0/22", "10.0.232.0/22"],
        });
    });

    it("lays a /20 over 3 zones out at fixed addresses", () => {
        assert.deepEqual(planSubnets("10.0.16.0/20", 3), {
            private: ["10.0.16.0/23", "10.0.18.0/23", "10.0.20.0/23"],
            public: ["10.0.28.0/26", "10.0.28.64/26", "10.0.28.128/26"],
            database: ["10.0.30.0/26", "10.0.30.64/26", "10.0.30.128/26"],
        });
    });

    it("keeps the addresses of the first zones when zones are added", () => {
        const three = planSubnets("10.0.0.0/16", 3);
        const six = planSubnets("10.0.0.0/16", 6);
        for (const tier of tiers) assert.deepEqual(six[tier].slice(0, 3), three[tier], tier);
    });

    it(`allows at most ${maxAvailabilityZones} zones`, () => {
        assert.equal(maxAvailabilityZones, 6);
    });

    for (const zones of [0, 1, 7, -1, 2.5, Number.NaN]) {
        it(`refuses ${zones} availability zones`, () => {
            assert.throws(() => planSubnets("10.0.0.0/16", zones), new RegExp(`^Error: expected 2 to 6 availability zones, got ${zones}$`));
        });
    }

    for (const vpc of ["10.0.0.0/15", "10.0.0.0/21", "10.0.0.0/24"]) {
        it(`refuses a ${vpc} VPC the layout does not fit`, () => {
            assert.throws(() => planSubnets(vpc, 3), new RegExp(`^Error: expected a VPC from /16 to /20, got ${vpc.replace(/[./]/g, "\\$&")}$`));
        });
    }

    it("refuses a malformed VPC CIDR", () => {
        assert.throws(() => planSubnets("10.0.0.0", 3), /invalid IPv4 CIDR 10\.0\.0\.0/);
    });
});

describe("subnetLayoutProblems (what planSubnets would throw on, at Network's argument paths)", () => {
    it("finds nothing in a layout planSubnets makes", () => {
        for (const [vpc, zones] of [["10.0.0.0/16", 2], ["10.0.16.0/20", 6], ["172.16.0.0/18", 3]] as const) {
            assert.deepEqual(subnetLayoutProblems(vpc, zones), [], `${vpc} over ${zones}`);
            assert.doesNotThrow(() => planSubnets(vpc, zones));
        }
    });

    for (const zones of [0, 1, 7, -1, 2.5, Number.NaN]) {
        it(`refuses ${zones} availability zones`, () => {
            assert.deepEqual(subnetLayoutProblems("10.0.0.0/16", zones), [{ path: ["availabilityZoneCount"], message: "expected 2 to 6 availability zones" }]);
        });
    }

    for (const vpc of ["10.0.0.0/15", "10.0.0.0/21", "10.0.0.0/24"]) {
        it(`refuses a ${vpc} VPC the layout does not fit`, () => {
            assert.deepEqual(subnetLayoutProblems(vpc, 3), [{ path: ["cidrBlock"], message: "expected a VPC from /16 to /20" }]);
        });
    }

    for (const vpc of ["10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0/16", "10..0.0/16", "10.0.0.256/16", "2001:db8::/56"]) {
        it(`refuses ${vpc}, which is not an IPv4 CIDR, where planSubnets throws`, () => {
            assert.equal(isIpv4Cidr(vpc), false);
            assert.throws(() => planSubnets(vpc, 3), /^Error: invalid IPv4 (CIDR|address) /);
            assert.deepEqual(subnetLayoutProblems(vpc, 9), [
                { path: ["cidrBlock"], message: "expected an IPv4 CIDR such as 10.0.0.0/16" },
                { path: ["availabilityZoneCount"], message: "expected 2 to 6 availability zones" },
            ]);
        });
    }
});

describe("NAT gateways", () => {
    const counts: { mode: NatGatewayMode; zones: number; expected: number }[] = [
        { mode: "one-per-az", zones: 2, expected: 2 },
        { mode: "one-per-az", zones: 3, expected: 3 },
        { mode: "one-per-az", zones: 6, expected: 6 },
        { mode: "single", zones: 2, expected: 1 },
        { mode: "single", zones: 3, expected: 1 },
        { mode: "single", zones: 6, expected: 1 },
        { mode: "none", zones: 2, expected: 0 },
        { mode: "none", zones: 3, expected: 0 },
        { mode: "none", zones: 6, expected: 0 },
    ];
    for (const { mode, zones, expected } of counts) {
        it(`natGatewayCount("${mode}", ${zones}) is ${expected}`, () => {
            assert.equal(natGatewayCount(mode, zones), expected);
        });
    }

    const zonesOf = [0, 1, 2, 3, 4, 5];
    it("one-per-az: every zone routes through its own NAT gateway", () => {
        assert.deepEqual(zonesOf.map((z) => natGatewayForZone("one-per-az", z)), [0, 1, 2, 3, 4, 5]);
    });
    it("single: every zone routes through NAT gateway 0", () => {
        assert.deepEqual(zonesOf.map((z) => natGatewayForZone("single", z)), [0, 0, 0, 0, 0, 0]);
    });
    it("none: no zone has a NAT gateway", () => {
        assert.deepEqual(zonesOf.map((z) => natGatewayForZone("none", z)), [undefined, undefined, undefined, undefined, undefined, undefined]);
    });

    for (const { mode, zones } of counts) {
        it(`${mode} over ${zones} zones: every zone's NAT gateway is one of the ${natGatewayCount(mode, zones)} planned, and every planned one is used`, () => {
            const count = natGatewayCount(mode, zones);
            const used = [...Array(zones).keys()].map((z) => natGatewayForZone(mode, z));
            for (const nat of used) {
                if (count === 0) assert.equal(nat, undefined);
                else assert.ok(nat !== undefined && Number.isInteger(nat) && nat >= 0 && nat < count, `NAT ${nat} of ${count}`);
            }
            assert.equal(new Set(used.filter((n) => n !== undefined)).size, count);
        });
    }
});

describe("cidrContains", () => {
    it("holds a block inside it, not one that only starts inside or is larger", () => {
        assert.equal(cidrContains("10.0.0.0/8", "10.8.0.0/16"), true);
        assert.equal(cidrContains("10.0.0.0/16", "10.0.0.0/16"), true);
        assert.equal(cidrContains("10.0.0.0/16", "10.0.0.0/8"), false);
        assert.equal(cidrContains("172.16.0.0/12", "172.32.0.0/16"), false);
        assert.equal(cidrContains("0.0.0.0/0", "203.0.113.7/32"), true);
    });
    it("refuses what is not a CIDR", () => {
        assert.throws(() => cidrContains("10.0.0.0/8", "10.0.0.0"), /invalid IPv4 CIDR 10\.0\.0\.0/);
    });
});

describe("networkCidr", () => {
    it("clears host bits, and leaves a network address as it is", () => {
        assert.equal(networkCidr("10.0.0.1/16"), "10.0.0.0/16");
        assert.equal(networkCidr("10.8.1.2/20"), "10.8.0.0/20");
        assert.equal(networkCidr("203.0.113.7/32"), "203.0.113.7/32");
        assert.equal(networkCidr("10.0.0.0/16"), "10.0.0.0/16");
    });
});

describe("overlappingSubnets", () => {
    it("pairs each subnet of one plan with those of the other that share addresses", () => {
        const primary = planSubnets("10.0.0.0/16", 3);
        assert.deepEqual(overlappingSubnets(primary, planSubnets("10.1.0.0/16", 3)), []);
        // In the primary's unused fourth eighth: the VPCs overlap, no subnet does.
        assert.deepEqual(overlappingSubnets(primary, planSubnets("10.0.96.0/20", 3)), []);
        const inZone2 = overlappingSubnets(primary, planSubnets("10.0.32.0/20", 2));
        assert.deepEqual(inZone2.map(([a, b]) => `${a.tier}/${a.zone} ${a.cidr} ~ ${b.tier}/${b.zone} ${b.cidr}`), [
            "private/1 10.0.32.0/19 ~ private/0 10.0.32.0/23",
            "private/1 10.0.32.0/19 ~ private/1 10.0.34.0/23",
            "private/1 10.0.32.0/19 ~ public/0 10.0.44.0/26",
            "private/1 10.0.32.0/19 ~ public/1 10.0.44.64/26",
            "private/1 10.0.32.0/19 ~ database/0 10.0.46.0/26",
            "private/1 10.0.32.0/19 ~ database/1 10.0.46.64/26",
        ]);
        for (const [a, b] of inZone2) assert.ok(overlaps(block(a.cidr), block(b.cidr)));
    });
});
