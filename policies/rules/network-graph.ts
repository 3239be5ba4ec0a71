import type { PolicyResource } from "@pulumi/policy";
import { whenKnown } from "./preview";

/**
 * Reading a stack's resources and the references between them, the same under `pulumi preview`
 * and over the offline plan.
 *
 * Under the engine, props are a proxy that throws on a value not known yet (an id before the
 * resource exists); in a stack policy one such throw stops the whole policy. `settled` copies
 * props with those values as `notKnown`, so a policy judges everything that is known.
 *
 * A reference (`subnetId`, `securityGroupId`) is resolved by its id when the id is known and
 * was seen paired with exactly one resource of the type anywhere in the stack, else by the
 * dependencies of the input that holds it (the engine's property dependencies; the offline plan
 * records only whole-resource dependencies).
 */

export const notKnown: unique symbol = Symbol("not known during preview");
export type NotKnown = typeof notKnown;

export function known<T>(read: () => T): T | NotKnown {
    return whenKnown<T | NotKnown>(read, notKnown);
}

/** Deeper than any real resource's inputs: past it, a value is not judged. */
const maxDepth = 64;

/** How the offline plan records a value it could not know (offline-plan/record.ts). */
const recordedUnknown = "[unknown]";

/** A plain copy of a value a policy was handed, `notKnown` where the engine (or the plan) does not know it yet. */
export function settled(value: unknown, depth = 0): unknown {
    if (value === recordedUnknown) return notKnown;
    if (typeof value !== "object" || value === null) return value;
    if (depth > maxDepth) return notKnown;
    if (Array.isArray(value)) {
        const length = known(() => value.length);
        if (length === notKnown) return notKnown;
        return Array.from({ length }, (_, i) => settled(known(() => value[i] as unknown), depth + 1));
    }
    const record = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(record).map((key) => [key, settled(known(() => record[key]), depth + 1)]));
}

const settledInputs = new WeakMap<object, Record<string, unknown>>();

/** A resource's props, settled (once per props object). */
export function inputsOf(resource: { readonly props: Record<string, unknown> }): Record<string, unknown> {
    let inputs = settledInputs.get(resource.props);
    if (inputs === undefined) {
        const copy = settled(resource.props);
        inputs = typeof copy === "object" && copy !== null && !Array.isArray(copy) ? (copy as Record<string, unknown>) : {};
        settledInputs.set(resource.props, inputs);
    }
    return inputs;
}

/** Known strings of a string or list input; `unknown` when the input or one of its items is not known. */
export function knownStrings(value: unknown): { readonly strings: string[]; readonly unknown: boolean } {
    if (value === notKnown) return { strings: [], unknown: true };
    const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
    return { strings: items.filter((v): v is string => typeof v === "string" && v !== ""), unknown: items.some((v) => v === notKnown) };
}

/**
 * The resources of `types` an input draws from: its property dependencies when the engine gives
 * them, else every dependency of those types (the offline plan).
 */
export function sources(resource: PolicyResource, input: string, types: readonly string[]): PolicyResource[] {
    const byInput = resource.propertyDependencies ?? {};
    const pool = Object.keys(byInput).length > 0 ? (byInput[input] ?? []) : resource.dependencies;
    return pool.filter((d) => types.includes(d.type));
}

/** Resources whose ids are resolved, by the shape of their AWS ids. */
export interface IdKind {
    readonly types: readonly string[];
    readonly shape: RegExp;
}

/**
 * Ids of resources in a stack, learnt from every input that holds one and draws from exactly
 * one resource of its kind. A resource's id is the one most such inputs give it: one input
 * changed to another id (its recorded dependency unchanged) does not outvote the others.
 */
export class ResourceIds {
    /** How often each resource was seen with each id. */
    private readonly seen = new Map<PolicyResource, Map<string, number>>();
    private readonly byId = new Map<string, PolicyResource[]>();

    constructor(resources: readonly PolicyResource[], kinds: readonly IdKind[]) {
        for (const resource of resources) {
            const single = Object.entries(inputsOf(resource)).flatMap(([input, value]) => {
                const ids = knownStrings(value);
                return ids.strings.length === 1 && !ids.unknown ? [{ input, id: ids.strings[0] }] : [];
            });
            const perInput = Object.keys(resource.propertyDependencies ?? {}).length > 0;
            for (const kind of kinds) {
                const inputs = single.filter((s) => kind.shape.test(s.id));
                // Without per-input dependencies, two ids of a kind (a rule's group and its peer
                // group) cannot be told apart by the one dependency recorded.
                if (inputs.length !== 1 && !perInput) continue;
                for (const { input, id } of inputs) {
                    const from = sources(resource, input, kind.types);
                    if (from.length === 1) this.observe(from[0], id);
                }
            }
        }
        for (const [resource, counts] of this.seen) {
            const ranked = [...counts].sort((a, b) => b[1] - a[1]);
            if (ranked.length > 1 && ranked[0][1] === ranked[1][1]) continue;
            this.byId.set(ranked[0][0], [...(this.byId.get(ranked[0][0]) ?? []), resource]);
        }
    }

    private observe(resource: PolicyResource, id: string) {
        const counts = this.seen.get(resource) ?? new Map<string, number>();
        counts.set(id, (counts.get(id) ?? 0) + 1);
        this.seen.set(resource, counts);
    }

    /** The one resource of `types` whose id this is; none when no resource, or several, have it. */
    resolve(id: string, types: readonly string[]): PolicyResource | undefined {
        const candidates = (this.byId.get(id) ?? []).filter((r) => types.includes(r.type));
        return candidates.length === 1 ? candidates[0] : undefined;
    }

    /** Referrers grouped by what their `input` refers to: one pass, for stacks of many thousand resources. */
    referrersOf(referrers: readonly PolicyResource[], input: string, types: readonly string[]): Map<PolicyResource, PolicyResource[]> {
        const byTarget = new Map<PolicyResource, PolicyResource[]>();
        for (const referrer of referrers) {
            for (const target of this.referents(referrer, input, types).resources) byTarget.set(target, [...(byTarget.get(target) ?? []), referrer]);
        }
        return byTarget;
    }

    /**
     * What an input refers to: the resources its known ids resolve to, its ids that resolve to
     * nothing in the stack, and — where an id is not known — the resources the input draws from.
     */
    referents(resource: PolicyResource, input: string, types: readonly string[]): { readonly resources: PolicyResource[]; readonly unresolved: string[] } {
        const ids = knownStrings(inputsOf(resource)[input]);
        const resolved = ids.strings.map((id) => ({ id, to: this.resolve(id, types) }));
        const drawn = ids.unknown ? sources(resource, input, types) : [];
        return {
            resources: [...new Set([...resolved.flatMap((r) => (r.to ? [r.to] : [])), ...drawn])],
            unresolved: resolved.filter((r) => r.to === undefined).map((r) => r.id),
        };
    }
}

/** The type's last segment: "SecurityGroupIngressRule". */
export const kindOf = (resource: { readonly type: string }) => resource.type.split(":").pop() ?? resource.type;
/** How messages name a resource: `SecurityGroup "app-alb"`. */
export const named = (resource: { readonly type: string; readonly name: string }) => `${kindOf(resource)} "${resource.name}"`;
