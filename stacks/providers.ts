import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { KeelConfig } from "./config";
import { standardTags } from "./tags";

export interface RegionalProviders {
    readonly primary: aws.Provider;
    /** Present when the environment has a DR region. */
    readonly dr?: aws.Provider;
}

/** One explicit AWS provider per region: components never pick a region themselves. */
export function regionalProviders(config: KeelConfig): RegionalProviders {
    const provider = (role: "primary" | "dr", region: string) =>
        new aws.Provider(`${role}-${region}`, { region, defaultTags: { tags: standardTags(config) } });
    const { primary, dr } = config.regions;
    return { primary: provider("primary", primary), ...(dr !== undefined ? { dr: provider("dr", dr) } : {}) };
}

/** Resource options for stateful resources: production protects and retains them. */
export function statefulOptions(config: KeelConfig): Pick<pulumi.CustomResourceOptions, "protect" | "retainOnDelete"> {
    return { protect: config.protect, retainOnDelete: config.protect };
}

export type Site = "primary" | "dr";

/** One site's value of a per-site output that must have it; `missing` is the deployment's error otherwise. */
export function siteValue<T>(perSite: pulumi.Output<Partial<Record<Site, T>>>, site: Site, missing: string): pulumi.Output<T> {
    return perSite.apply((values): T => {
        const value = values[site];
        if (value === undefined) throw new Error(missing);
        return value;
    });
}
