import type { PolicyPackConfig } from "@pulumi/policy";
import { changeFreeze, changeFreezeOverride } from "./change-freeze";
import { changeWindow, changeWindowOverride } from "./change-windows";

/**
 * The change calendar: freezes (change-freeze.ts) and windows (change-windows.ts). Both judge
 * the moment of the change, so the plan and policy CLIs set that moment (`--as-of`) and decide
 * whether a preview only reports them (`--enforce-freeze`) for all four policies at once.
 */

const calendarPolicies = [changeFreeze, changeFreezeOverride, changeWindow, changeWindowOverride].map((p) => p.name);
/** The two policies that refuse a change; their override policies only report. */
const refusingPolicies = [changeFreeze.name, changeWindow.name];

const settingsOf = (packConfig: PolicyPackConfig, name: string): Record<string, unknown> => {
    const given = packConfig[name];
    return typeof given === "string" ? { enforcementLevel: given } : { ...given };
};

/** A pack config whose calendar policies judge at `asOf` (the plan and policy CLIs' `--as-of`). */
export function calendarAsOf(packConfig: PolicyPackConfig, asOf: string | undefined): PolicyPackConfig {
    if (asOf === undefined) return packConfig;
    if (Number.isNaN(Date.parse(asOf))) throw new Error(`--as-of expects an ISO 8601 date or instant, got "${asOf}"`);
    return { ...packConfig, ...Object.fromEntries(calendarPolicies.map((name) => [name, { ...settingsOf(packConfig, name), asOf }])) };
}

/**
 * The offline plan is a preview: by default it reports a freeze or a change outside the
 * windows (advisory) instead of refusing, so plans and reviews go on at any hour;
 * `--enforce-freeze` judges them as `pulumi up` does (the deploy workflow's offline step passes
 * it). Under the Pulumi engine the pack config's level (mandatory in production) applies to
 * previews and updates alike.
 */
export function calendarForPreview(packConfig: PolicyPackConfig, enforce: boolean): PolicyPackConfig {
    if (enforce) return packConfig;
    return { ...packConfig, ...Object.fromEntries(refusingPolicies.map((name) => [name, { ...settingsOf(packConfig, name), enforcementLevel: "advisory" }])) };
}
