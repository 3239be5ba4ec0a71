/** Readers over the untyped `props` policies receive (from the engine or a plan record). */

export const object = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
/** The elements of a list; null entries (a malformed or hand-edited plan) are dropped, never dereferenced. */
export const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? (v.filter((e) => e !== null && e !== undefined) as Record<string, unknown>[]) : []);
/** The resources of one type. */
export const ofType = <R extends { readonly type: string }>(resources: readonly R[], type: string): R[] => resources.filter((r) => r.type === type);
/** Some AWS provider inputs take booleans as strings ("true"): launch templates. */
export const isTrue = (v: unknown) => v === true || v === "true";

/** A resource's own `region` (AWS provider v7), else its provider's. */
export function regionOf(r: { readonly props: Record<string, unknown>; readonly provider?: { readonly props: Record<string, unknown> } }): string | undefined {
    const own = r.props.region;
    if (typeof own === "string") return own;
    const region = r.provider?.props.region;
    return typeof region === "string" ? region : undefined;
}

/** The region an ARN of `service` names (`arn:aws:kms:us-west-2:…` → us-west-2); undefined for anything else (an id, an alias). */
export const arnRegion = (arn: string, service: string): string | undefined => new RegExp(`^arn:aws[\\w-]*:${service}:([a-z0-9-]+):`).exec(arn)?.[1];
