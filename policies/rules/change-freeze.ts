import type { StackValidationPolicy } from "@pulumi/policy";
import { setting, stackPolicy, type Setting, type Settings, type Values } from "./policy";

/**
 * Change freezes from the operations guides: no production changes in Black Friday week or
 * from 20 to 31 December. A freeze refuses every update while it lasts, unless the pack
 * config carries an override with a reason (and who approved it): then the change goes
 * through and the override is reported by its own advisory policy.
 */

/** A window of month-days (`MM-DD`, inclusive, UTC), or Black Friday week, whose dates move every year. */
export type FreezeWindow =
    | { readonly name: string; readonly from: string; readonly to: string }
    | { readonly name: string; readonly rule: "black-friday-week" };

export interface FreezeOverride {
    /** Why this change cannot wait; required. */
    readonly reason: string;
    /** Who approved it (change advisory board, incident commander). */
    readonly approvedBy: string;
    /** The override lapses after this date (`YYYY-MM-DD`, UTC). */
    readonly expires: string;
}

export interface ChangeFreezeConfig {
    readonly enabled?: boolean;
    readonly windows?: readonly FreezeWindow[];
    readonly override?: FreezeOverride;
    /** Evaluate at this instant instead of now (ISO 8601): rehearsals and tests. */
    readonly asOf?: string;
}

export const defaultFreezeWindows: readonly FreezeWindow[] = [
    { name: "Black Friday week", rule: "black-friday-week" },
    { name: "year end", from: "12-20", to: "12-31" },
];

const day = 86_400_000;
const utcDate = (year: number, month: number, date: number) => new Date(Date.UTC(year, month - 1, date));
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Black Friday is the day after US Thanksgiving (the fourth Thursday of November); its week
 * runs from the Monday before it to Cyber Monday, the Monday after.
 */
export function blackFridayWeek(year: number): { start: Date; end: Date } {
    const november1 = utcDate(year, 11, 1);
    const firstThursday = 1 + ((4 - november1.getUTCDay() + 7) % 7);
    const blackFriday = utcDate(year, 11, firstThursday + 21 + 1);
    return { start: new Date(blackFriday.getTime() - 4 * day), end: new Date(blackFriday.getTime() + 3 * day) };
}

/** The occurrence of a window that contains `at`, if any (each end inclusive, whole UTC days). */
export function activeWindow(windows: readonly FreezeWindow[], at: Date): { name: string; start: Date; end: Date } | undefined {
    const year = at.getUTCFullYear();
    const today = utcDate(year, at.getUTCMonth() + 1, at.getUTCDate());
    for (const window of windows) {
        const span = "rule" in window
            ? blackFridayWeek(year)
            : (() => {
                  const [fromMonth, fromDay] = window.from.split("-").map(Number);
                  const [toMonth, toDay] = window.to.split("-").map(Number);
                  return { start: utcDate(year, fromMonth, fromDay), end: utcDate(year, toMonth, toDay) };
              })();
        if (today >= span.start && today <= span.end) return { name: window.name, ...span };
    }
    return undefined;
}

/** An override counts when it gives a reason and an approver and has not lapsed. */
export function overrideProblem(override: FreezeOverride | undefined, at: Date): string | undefined {
    if (override === undefined) return "no override";
    if (!override.reason?.trim()) return "the override gives no reason";
    if (!override.approvedBy?.trim()) return "the override names no approver";
    if (!/^\d{4}-\d{2}-\d{2}$/.test(override.expires ?? "") || isoDay(at) > override.expires) return `the override has lapsed or has no valid expiry (${override.expires})`;
    return undefined;
}

/** `until 2026-11-30: "hotfix" (approved by cab@example.com)`: how an override in use is reported. */
export function describeOverride(override: FreezeOverride): string {
    return `until ${override.expires}: "${override.reason}" (approved by ${override.approvedBy})`;
}

/** Both freeze policies' settings: a freeze applies only where `enabled` (production). */
const freezeSettings = {
    enabled: setting.switch(false),
    windows: { type: "array", default: defaultFreezeWindows },
    override: setting.optional<FreezeOverride>({ type: "object" }),
    asOf: setting.optional<string>({ type: "string" }),
} satisfies Settings;

function evaluation(config: Values<typeof freezeSettings>) {
    const at = config.asOf !== undefined ? new Date(config.asOf) : new Date();
    return { at, window: activeWindow(config.windows, at), problem: overrideProblem(config.override, at) };
}

export const changeFreeze = stackPolicy({
    name: "keel-change-freeze",
    description: "No changes inside a change freeze (Black Friday week, 20–31 December) unless the pack config carries a valid override.",
    config: freezeSettings,
    check: function* (_stack, config) {
        const { window, problem } = evaluation(config);
        if (window !== undefined && problem !== undefined) {
            yield [
                `change freeze "${window.name}" (${isoDay(window.start)} to ${isoDay(window.end)}): ${problem}. ` +
                    `Wait, or add "override": { "reason", "approvedBy", "expires" } to keel-change-freeze in the environment's policy pack config (docs/runbooks/change-freeze-override.md).`,
            ];
        }
    },
});

/**
 * The advisory policy that reports a change made under an override of a calendar rule: where
 * `overridden` names the change (an override in use), it is reported with its reason and approver.
 */
export function overrideReport<S extends Settings & { override: Setting<FreezeOverride | undefined> }>(
    name: string,
    when: string,
    config: S,
    overridden: (config: Values<S>) => string | undefined,
): StackValidationPolicy {
    return stackPolicy({
        name,
        description: `Reports every change made ${when} under an override, with its reason and approver.`,
        enforcementLevel: "advisory",
        config,
        check: function* (_stack, values) {
            const subject = overridden(values);
            const override = values.override as FreezeOverride | undefined;
            if (subject !== undefined && override !== undefined) yield [`${subject} ${describeOverride(override)}`];
        },
    });
}

export const changeFreezeOverride = overrideReport("keel-change-freeze-override", "inside a freeze", freezeSettings, (config) => {
    const { window, problem } = evaluation(config);
    return window !== undefined && problem === undefined ? `change freeze "${window.name}" overridden` : undefined;
});
