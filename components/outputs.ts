import * as pulumi from "@pulumi/pulumi";

/**
 * Every public output of a component: its `pulumi.Output` fields but the URN. Components
 * register exactly these (`this.registerOutputs(publicOutputs(this))`), so an output added to a
 * component is registered without a second list to keep in step.
 */
export function publicOutputs(component: pulumi.ComponentResource): Record<string, pulumi.Output<unknown>> {
    return Object.fromEntries(Object.entries(component).filter(([key, value]) => key !== "urn" && !key.startsWith("_") && pulumi.Output.isInstance(value)));
}
