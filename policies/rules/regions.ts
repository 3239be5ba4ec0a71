import { resourcePolicy, setting } from "./policy";

export const defaultAllowedRegions = ["us-east-1", "us-west-2"];

export const allowedRegions = resourcePolicy({
    name: "keel-allowed-regions",
    description: "AWS providers name their region explicitly, and every region used (provider or per-resource `region`) is an allowed one.",
    types: (type) => type === "pulumi:providers:aws" || type.startsWith("aws:"),
    config: { allowedRegions: setting.strings(defaultAllowedRegions) },
    check: function* (resource, { allowedRegions: allowed }) {
        const isProvider = resource.type === "pulumi:providers:aws";
        const region: unknown = resource.props.region;
        if (region === undefined) {
            if (isProvider) yield `AWS provider "${resource.name}" sets no region: it would fall back to the environment (AWS_REGION) of whoever runs it.`;
            return;
        }
        if (typeof region !== "string" || !allowed.includes(region)) {
            yield `${isProvider ? "AWS provider" : resource.type} "${resource.name}" uses region ${String(region)}; allowed: ${allowed.join(", ")}.`;
        }
    },
});
