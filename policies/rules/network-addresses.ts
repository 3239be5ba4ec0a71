import { isIPv4, isIPv6 } from "node:net";

/**
 * IPv4 and IPv6 CIDR arithmetic for network policies. The policy pack is its own package and
 * cannot import components/network/subnets.ts (IPv4 only, and pulls in the program's modules).
 */

export interface AddressRange {
    readonly version: 4 | 6;
    readonly first: bigint;
    readonly last: bigint;
    readonly prefix: number;
}

const bits = { 4: 32, 6: 128 } as const;

function ipv4Value(address: string): bigint | undefined {
    // node:net accepts only dotted quads without leading zeros, as EC2 does.
    if (!isIPv4(address)) return undefined;
    return address.split(".").reduce((value, octet) => (value << 8n) + BigInt(octet), 0n);
}

function ipv6Value(address: string): bigint | undefined {
    if (!isIPv6(address)) return undefined;
    let text = address.toLowerCase();
    // An embedded IPv4 tail (::ffff:1.2.3.4) is two groups.
    const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (tail) {
        const v4 = ipv4Value(tail[1]);
        if (v4 === undefined) return undefined;
        text = `${text.slice(0, -tail[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
    }
    const [head, rest] = text.split("::");
    const groups = (part: string | undefined) => (part === undefined || part === "" ? [] : part.split(":"));
    const left = groups(head);
    const right = groups(rest);
    const middle = rest === undefined ? [] : Array<string>(8 - left.length - right.length).fill("0");
    return [...left, ...middle, ...right].reduce((value, group) => (value << 16n) + BigInt(`0x${group}`), 0n);
}

/** A CIDR as EC2 takes it (`a.b.c.d/n`, `x:y::/n`); host bits are cleared, as EC2 does. */
export function parseCidr(text: string): AddressRange | undefined {
    const match = /^([^/\s]+)\/(\d{1,3})$/.exec(text.trim());
    if (!match) return undefined;
    const version = match[1].includes(":") ? 6 : 4;
    const value = version === 4 ? ipv4Value(match[1]) : ipv6Value(match[1]);
    const prefix = Number(match[2]);
    if (value === undefined || prefix > bits[version]) return undefined;
    const hostBits = BigInt(bits[version] - prefix);
    const first = (value >> hostBits) << hostBits;
    return { version, first, last: first + (1n << hostBits) - 1n, prefix };
}

const range = (cidr: string): AddressRange => parseCidr(cidr)!;
const inside = (inner: AddressRange, outer: AddressRange) => inner.version === outer.version && outer.first <= inner.first && inner.last <= outer.last;

/** Addresses the internet cannot send from: RFC 1918, shared (RFC 6598), loopback, link-local, unique local. */
const nonPublic = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "::1/128", "fc00::/7", "fe80::/10"].map(range);
const ipv4Mapped = range("::ffff:0:0/96");

/** An IPv4-mapped IPv6 range (::ffff:0.0.0.0/96) as the IPv4 range it stands for. */
function unmapped(r: AddressRange): AddressRange {
    if (!inside(r, ipv4Mapped)) return r;
    return { version: 4, first: r.first - ipv4Mapped.first, last: r.last - ipv4Mapped.first, prefix: r.prefix - 96 };
}

export interface PublicPrefixLimits {
    /** The broadest public IPv4 source a rule may name (a longer prefix is narrower). */
    readonly ipv4: number;
    readonly ipv6: number;
}

/**
 * Whether a range stands for the internet at large: it holds public addresses and is broader
 * than the narrowest public prefix allowed — 0.0.0.0/0 and ::/0, but also their halves
 * (0.0.0.0/1, 128.0.0.0/1), 2000::/3 (all global unicast) or 1.0.0.0/8.
 */
export function isInternetWide(cidr: AddressRange, limits: PublicPrefixLimits): boolean {
    const r = unmapped(cidr);
    if (nonPublic.some((p) => inside(r, p))) return false;
    return r.prefix < (r.version === 4 ? limits.ipv4 : limits.ipv6);
}
