import type { ResourceValidationPolicy } from "@pulumi/policy";

export const defaultAllowedRegions = ["us-east-1", "us-west-2"];

export const allowedRegions: ResourceValidationPolicy = {
    name: "keel-allowed-regions",
    description: "AWS providers name their region explicitly, and every region used (provider or per-resource `region`) is an allowed one.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedRegions: { type: "array", items: { type: "string" }, default: defaultAllowedRegions },
        },
    },
    validateResource: (args, reportViolation) => {
        const isProvider = args.type === "pulumi:providers:aws";
        if (!isProvider && !args.type.startsWith("aws:")) return;
        const { allowedRegions: allowed = defaultAllowedRegions } = args.getConfig<{ allowedRegions?: string[] }>();
        const region: unknown = args.props.region;
        if (region === undefined) {
            if (isProvider) reportViolation(`AWS provider "${args.name}" sets no region: it would fall back to the environment (AWS_REGION) of whoever runs it.`);
            return;
        }
        if (typeof region !== "string" || !allowed.includes(region)) {
            reportViolation(`${isProvider ? "AWS provider" : args.type} "${args.name}" uses region ${String(region)}; allowed: ${allowed.join(", ")}.`);
        }
    },
};
