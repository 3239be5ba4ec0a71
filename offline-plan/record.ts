/**
 * The plan document: what `npm run plan -- <env> --json FILE` writes and what tests, the
 * offline policy runner and reviewers read (DESIGN.md, "The offline plan").
 */

export interface PlanResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** URN of the parent resource (the stack for top-level resources). */
    readonly parent: string | null;
    /** URN of the explicit or default provider a custom resource uses. */
    readonly provider: string | null;
    /** AWS region the resource lives in: its own `region` input, else its provider's. */
    readonly region: string | null;
    readonly custom: boolean;
    /** Inputs as registered; secrets appear as "[secret]", unknown values as "[unknown]". */
    readonly inputs: Record<string, unknown>;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly dependencies: string[];
}

export interface PolicyViolation {
    readonly policyName: string;
    readonly enforcementLevel: "advisory" | "mandatory" | "remediate";
    readonly message: string;
    readonly urn?: string;
}

/** A worst case and what bounds it; `seconds` unset: nothing in the plan bounds it. */
export interface Bound {
    readonly seconds?: number;
    readonly basis: string;
}

export type DataClass = "transactional" | "files" | "backups";

export interface StoreReadiness {
    /** `database`, `bucket configuration`, `AWS Backup plan backup-plan`. */
    readonly store: string;
    /** Which objective judges it: transactional data (the database), files (buckets) or backups (AWS Backup's copies). */
    readonly dataClass: DataClass;
    readonly rpo: Bound;
}

/** Disaster-recovery readiness for the loss of the serving region, read from the plan (policies/rules/readiness.ts). */
export interface Readiness {
    /** The region whose loss is judged, when the plan says which region serves. */
    readonly servingRegion?: string;
    /**
     * The region the Route 53 failover PRIMARY record sends traffic to. A stack whose database
     * serves from another region has failed over: its readiness is that of the recovery itself.
     */
    readonly primaryRegion?: string;
    readonly stores: readonly StoreReadiness[];
    /** The sum of `rtoParts`, when every part is bounded. */
    readonly rto: Bound;
    readonly rtoParts: readonly (Bound & { readonly step: string })[];
}

/** The environment's recovery objectives, in minutes (the pack config's keel-dr-readiness); an unset class is reported, not judged. */
export interface Objectives {
    readonly rtoMinutes: number;
    readonly rpoMinutes: Readonly<Partial<Record<DataClass, number>>>;
}

/** The readiness as the plan document carries it: computed, judged against the objectives. */
export interface PlanReadiness extends Readiness {
    readonly objectives: Objectives;
    /** Where the readiness breaks an objective, one sentence each (none while failed over). */
    readonly problems: readonly string[];
    readonly failedOver: boolean;
}

export interface PlanDocument {
    readonly project: string;
    readonly stack: string;
    readonly resources: PlanResource[];
    readonly outputs: Record<string, unknown>;
    readonly policy: { readonly violations: PolicyViolation[] };
    /** Where the environment states recovery objectives (production, staging). */
    readonly readiness?: PlanReadiness;
}

export const secretMarker = "[secret]";
export const unknownMarker = "[unknown]";

// The wire signatures of the Pulumi property protocol (sdk/nodejs/runtime/rpc.ts).
const sigKey = "4dabf18193072939515e22adb298388d";
const secretSig = "1b47061264138c4ac30d75fd1eb44270";
const resourceSig = "5cf8f73096256a8f31e491e813e4eb8e";
const assetSig = "c44067f5952c0a294b673a41bacd8c17";
const archiveSig = "0def7320c3a5731c473e5ecbe6d01bc7";
const outputSig = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A value in the wire form of a secret, as the engine returns outputs it must keep secret. */
export function wireSecret(value: unknown): Record<string, unknown> {
    return { [sigKey]: secretSig, value };
}

/**
 * Turns a serialized property value into plain JSON for the record: secrets are masked,
 * resource references become URNs, assets their path or a note that they are inline.
 */
export function plainValue(value: unknown): unknown {
    if (value === unknownValue) return unknownMarker;
    if (Array.isArray(value)) return value.map(plainValue);
    if (typeof value !== "object" || value === null) return value;
    const object = value as Record<string, unknown>;
    switch (object[sigKey]) {
        case secretSig:
            return secretMarker;
        case resourceSig:
            return object.urn;
        case assetSig:
        case archiveSig:
            return { asset: object.path ?? object.uri ?? (object.text !== undefined ? "[inline text]" : "[archive]") };
        case outputSig:
            return object.secret === true ? secretMarker : object.value === undefined ? unknownMarker : plainValue(object.value);
        default:
            return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, plainValue(v)]));
    }
}

/** A provider reference on the wire is `urn::id`; the record keeps the URN. */
export function providerUrn(reference: string): string | null {
    if (reference === "") return null;
    return reference.slice(0, reference.lastIndexOf("::"));
}
