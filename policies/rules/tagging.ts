import type { PolicyProviderResource, PolicyResource } from "@pulumi/policy";
import { resourcePolicy, setting } from "./policy";
import { awsTypesWithoutDefaultTags, taggableAwsTypes } from "./resource-types";
import { object } from "./props";

export const defaultRequiredTags = ["environment", "service", "owner", "managed-by"];

function asTags(value: unknown): Record<string, unknown> {
    if (typeof value === "string") {
        try {
            return asTags(JSON.parse(value));
        } catch {
            return {};
        }
    }
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A resource's own tags: a `{ key: value }` map, or an autoscaling group's list of `{ key, value, propagateAtLaunch }`. */
function resourceTags(value: unknown): Record<string, unknown> {
    if (!Array.isArray(value)) return asTags(value);
    return Object.fromEntries(
        value.flatMap((tag: unknown) => {
            const { key, value: tagValue } = asTags(tag);
            return typeof key === "string" ? [[key, tagValue]] : [];
        }),
    );
}

/** The AWS provider's `defaultTags.tags` (the SDK sends provider objects as JSON strings). */
export function providerDefaultTags(provider: PolicyProviderResource | undefined): Record<string, unknown> {
    return provider?.type === "pulumi:providers:aws" ? asTags(asTags(provider.props.defaultTags).tags) : {};
}

/** A resource's tags as AWS sees them: its provider's default tags, then its own. */
export function tagsOf(resource: Pick<PolicyResource, "props"> & { readonly provider?: PolicyProviderResource }): Record<string, unknown> {
    return { ...providerDefaultTags(resource.provider), ...object(resource.props.tags) };
}

export const requiredTags = resourcePolicy({
    name: "keel-required-tags",
    description: "Taggable AWS resources carry environment, service, owner and managed-by, on the resource or through the provider's default tags.",
    types: taggableAwsTypes,
    config: { requiredTags: setting.strings(defaultRequiredTags) },
    check: function* (resource, { requiredTags: required }) {
        const inheritsDefaultTags = !awsTypesWithoutDefaultTags.has(resource.type);
        const tags = { ...(inheritsDefaultTags ? providerDefaultTags(resource.provider) : {}), ...resourceTags(resource.props.tags) };
        const missing = required.filter((tag) => typeof tags[tag] !== "string" || tags[tag] === "");
        if (missing.length > 0) {
            const where = inheritsDefaultTags ? "set them on the resource or in the provider's defaultTags" : "set them on the resource: the provider's defaultTags do not reach this type";
            yield `${resource.type} "${resource.name}" is missing the tag${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (${where}).`;
        }
    },
});
