/**
 * Pure address planning for a Keel VPC: three tiers of subnets (public, private, database)
 * across the availability zones, and which NAT gateway serves which zone.
 */

import { problem, type Problem } from "../problems";

export type SubnetTier = "public" | "private" | "database";
export type NatGatewayMode = "none" | "single" | "one-per-az";

/** The largest zone count the layout below reserves room for. */
export const maxAvailabilityZones = 6;
/** RDS subnet groups and load balancers need subnets in at least two zones. */
export const minAvailabilityZones = 2;
/** VPC prefixes the layout fits: /16 (the largest VPC AWS allows) to /20 (/26 public and database subnets). */
export const vpcPrefixRange = { largest: 16, smallest: 20 } as const;
/** What Network uses where its args are silent: a /16 over three zones. */
export const networkDefaults: Readonly<{ cidrBlock: string; availabilityZoneCount: number }> = { cidrBlock: "10.0.0.0/16", availabilityZoneCount: 3 };

function toInt(address: string): number {
    const octets = address.split(".").map(Number);
    if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
        throw new Error(`invalid IPv4 address ${address}`);
    }
    return octets.reduce((acc, o) => acc * 256 + o, 0);
}

function toAddress(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

const cidrForm = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\/(\d{1,2})$/;

/** An IPv4 CIDR as `a.b.c.d/n`, strictly: four decimal octets and a prefix from 0 to 32. */
function parseCidr(cidr: string): { address: number; prefix: number } {
    const match = cidrForm.exec(cidr);
    const prefix = match ? Number(match[2]) : NaN;
    if (!match || prefix > 32) throw new Error(`invalid IPv4 CIDR ${cidr}`);
    return { address: toInt(match[1]), prefix };
}

/** Whether the helpers here read `cidr` as an IPv4 CIDR (`a.b.c.d/n`, octets 0–255, prefix 0–32), instead of throwing. */
export function isIpv4Cidr(cidr: string): boolean {
    const match = cidrForm.exec(cidr);
    return match !== null && Number(match[2]) <= 32 && match[1].split(".").every((octet) => Number(octet) <= 255);
}

/** The first address of a CIDR's block (host bits cleared) and the block's size. */
function blockOf(cidr: string): { start: number; size: number } {
    const { address, prefix } = parseCidr(cidr);
    const size = 2 ** (32 - prefix);
    return { start: address - (address % size), size };
}

/** Whether `outer` holds every address of `inner`. */
export function cidrContains(outer: string, inner: string): boolean {
    const [o, i] = [blockOf(outer), blockOf(inner)];
    return o.start <= i.start && i.start + i.size <= o.start + o.size;
}

/** Whether two CIDRs share an address (one holds the other's network address). */
export function cidrsOverlap(a: string, b: string): boolean {
    const [x, y] = [blockOf(a), blockOf(b)];
    return x.start < y.start + y.size && y.start < x.start + x.size;
}

/**
 * Terraform's `cidrsubnet`: the `netNum`-th block of `prefix + newBits` bits inside `cidr`.
 * Like Terraform, host bits of the base address are ignored, and whole numbers are required.
 */
export function cidrSubnet(cidr: string, newBits: number, netNum: number): string {
    const { address, prefix } = parseCidr(cidr);
    const newPrefix = prefix + newBits;
    if (!Number.isInteger(newBits) || newBits < 0 || newPrefix > 32) throw new Error(`cannot split ${cidr} by ${newBits} bits`);
    if (!Number.isInteger(netNum) || netNum < 0 || netNum >= 2 ** newBits) throw new Error(`${cidr} has no subnet number ${netNum} at /${newPrefix}`);
    const base = address - (address % 2 ** (32 - prefix));
    return `${toAddress(base + netNum * 2 ** (32 - newPrefix))}/${newPrefix}`;
}

/** The block a CIDR names, by its network address: 10.0.0.1/16 is 10.0.0.0/16. */
export function networkCidr(cidr: string): string {
    return cidrSubnet(cidr, 0, 0);
}

export type SubnetPlan = Record<SubnetTier, string[]>;

/** One subnet of a plan: its tier, its zone (0-based) and its block. */
export interface PlannedSubnet {
    readonly tier: SubnetTier;
    readonly zone: number;
    readonly cidr: string;
}

function subnetsOf(plan: SubnetPlan): PlannedSubnet[] {
    return (Object.entries(plan) as [SubnetTier, string[]][]).flatMap(([tier, cidrs]) => cidrs.map((cidr, zone) => ({ tier, zone, cidr })));
}

/** Pairs of subnets, one of each plan, that share addresses (peered VPCs could not route between them). */
export function overlappingSubnets(a: SubnetPlan, b: SubnetPlan): [PlannedSubnet, PlannedSubnet][] {
    return subnetsOf(a).flatMap((x) => subnetsOf(b).filter((y) => cidrsOverlap(x.cidr, y.cidr)).map((y): [PlannedSubnet, PlannedSubnet] => [x, y]));
}

const zoneCountFits = (zoneCount: number) => Number.isInteger(zoneCount) && zoneCount >= minAvailabilityZones && zoneCount <= maxAvailabilityZones;
const vpcPrefixFits = (prefix: number) => prefix >= vpcPrefixRange.largest && prefix <= vpcPrefixRange.smallest;

/**
 * Why a VPC of `vpcCidr` over `zoneCount` zones does not fit the layout `planSubnets` makes, at
 * Network's argument paths (`cidrBlock`, `availabilityZoneCount`); the messages leave the values
 * to `given`. `planSubnets` throws on the same conditions.
 */
export function subnetLayoutProblems(vpcCidr: string, zoneCount: number): Problem[] {
    const problems: Problem[] = [];
    if (!isIpv4Cidr(vpcCidr)) problems.push(problem("cidrBlock", "expected an IPv4 CIDR such as 10.0.0.0/16"));
    else if (!vpcPrefixFits(parseCidr(vpcCidr).prefix)) problems.push(problem("cidrBlock", `expected a VPC from /${vpcPrefixRange.largest} to /${vpcPrefixRange.smallest}`));
    if (!zoneCountFits(zoneCount)) problems.push(problem("availabilityZoneCount", `expected ${minAvailabilityZones} to ${maxAvailabilityZones} availability zones`));
    return problems;
}

/**
 * Private subnets get the large blocks (an eighth of the VPC each: instances, pods);
 * public subnets (load balancers, NAT) and database subnets a sixty-fourth each,
 * placed in the last quarter so the tiers never overlap for up to six zones.
 * Throws on a layout that does not fit (see `subnetLayoutProblems`).
 */
export function planSubnets(vpcCidr: string, zoneCount: number): SubnetPlan {
    if (!zoneCountFits(zoneCount)) {
        throw new Error(`expected ${minAvailabilityZones} to ${maxAvailabilityZones} availability zones, got ${zoneCount}`);
    }
    const { prefix } = parseCidr(vpcCidr);
    if (!vpcPrefixFits(prefix)) {
        throw new Error(`expected a VPC from /${vpcPrefixRange.largest} to /${vpcPrefixRange.smallest}, got ${vpcCidr}`);
    }
    const zones = [...Array(zoneCount).keys()];
    return {
        private: zones.map((z) => cidrSubnet(vpcCidr, 3, z)),
        public: zones.map((z) => cidrSubnet(vpcCidr, 6, 48 + z)),
        database: zones.map((z) => cidrSubnet(vpcCidr, 6, 56 + z)),
    };
}

export function natGatewayCount(mode: NatGatewayMode, zoneCount: number): number {
    return mode === "one-per-az" ? zoneCount : mode === "single" ? 1 : 0;
}

/** The NAT gateway a zone's private subnet routes through, or undefined without NAT. */
export function natGatewayForZone(mode: NatGatewayMode, zone: number): number | undefined {
    return mode === "one-per-az" ? zone : mode === "single" ? 0 : undefined;
}
