import type { PolicyResource } from "@pulumi/policy";
import { whenKnown } from "./preview";

/**
 * Readers shared by the data-protection rules (storage, database, backup): policy documents,
 * ARN wildcards, AWS-managed KMS keys, and values the engine cannot know at preview.
 */

export interface PolicyStatement {
    readonly Sid?: unknown;
    readonly Effect?: unknown;
    readonly Principal?: unknown;
    readonly NotPrincipal?: unknown;
    readonly Action?: unknown;
    readonly NotAction?: unknown;
    readonly Resource?: unknown;
    readonly NotResource?: unknown;
    readonly Condition?: unknown;
}

/** The statements of an IAM-style policy document, given as a JSON string (as the SDK sends it) or as an object. */
export function policyStatements(document: unknown): PolicyStatement[] {
    let parsed: unknown = document;
    if (typeof document === "string") {
        try {
            parsed = JSON.parse(document);
        } catch {
            return [];
        }
    }
    if (typeof parsed !== "object" || parsed === null) return [];
    const statement = (parsed as { Statement?: unknown }).Statement;
    return [statement ?? []].flat().filter((s): s is PolicyStatement => typeof s === "object" && s !== null);
}

/** A policy element that takes one string or a list of them (Action, Resource, a condition value), as strings. */
export const stringsOf = (value: unknown): string[] => [value ?? []].flat().filter((v): v is string => typeof v === "string");

/** Whether an IAM/ARN wildcard pattern (`*` any run, `?` one character) matches a value, case-sensitively unless told. */
export function globMatches(pattern: string, value: string, ignoreCase = false): boolean {
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

/**
 * A key of the AWS-managed kind (`alias/aws/s3`, `arn:aws:kms:…:alias/aws/rds`): its policy cannot be
 * changed, so it cannot be shared, limited or scheduled for deletion by the account (AWS KMS guide, "AWS managed keys").
 */
export const isAwsManagedKey = (keyId: unknown): boolean => typeof keyId === "string" && /(^|:)alias\/aws\//i.test(keyId.trim());


/** "1 day", "7 days". */
export const dayCount = (days: number) => `${days} ${days === 1 ? "day" : "days"}`;

/** Whether `resource` depends on `target`, through a property or explicitly. */
export function dependsOn(resource: PolicyResource, target: PolicyResource, property?: string): boolean {
    const declared = property === undefined ? undefined : resource.propertyDependencies?.[property];
    return (declared ?? []).some((d) => d.urn === target.urn) || resource.dependencies.some((d) => d.urn === target.urn);
}

/**
 * An index of resources by the physical names they can have (see `couldBeNameOf`), so that
 * thousands of names are matched without a pass over every resource each.
 */
export function physicalNames(resources: readonly PolicyResource[], nameProperty: string): (physicalName: string) => PolicyResource[] {
    const given = new Map<string, PolicyResource[]>();
    const logical = new Map<string, PolicyResource[]>();
    for (const resource of resources) {
        const name = whenKnown(() => resource.props[nameProperty], undefined);
        const [index, key] = typeof name === "string" ? [given, name] : [logical, resource.name];
        index.set(key, [...(index.get(key) ?? []), resource]);
    }
    return (physicalName) => [...(given.get(physicalName) ?? []), ...(/-[0-9a-f]{7}$/.test(physicalName) ? (logical.get(physicalName.slice(0, -8)) ?? []) : [])];
}

/** The resources of `resources` by their parent's URN. */
export function byParent(resources: readonly PolicyResource[]): (parent: PolicyResource) => PolicyResource[] {
    const children = new Map<string, PolicyResource[]>();
    for (const resource of resources) {
        if (resource.parent !== undefined) children.set(resource.parent.urn, [...(children.get(resource.parent.urn) ?? []), resource]);
    }
    return (parent) => children.get(parent.urn) ?? [];
}

/**
 * Whether a physical name could be the one Pulumi gave `resource`: its explicit name input, or its
 * auto-name (the logical name, a hyphen and seven hex digits).
 */
export function couldBeNameOf(physicalName: string, resource: PolicyResource, nameProperty: string): boolean {
    const given = resource.props[nameProperty];
    if (typeof given === "string") return given === physicalName;
    return new RegExp(`^${resource.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-[0-9a-f]{7}$`).test(physicalName);
}
