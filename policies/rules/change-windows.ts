import { overrideProblem, overrideReport, type FreezeOverride } from "./change-freeze";
import { setting, stackPolicy, type Settings, type Values } from "./policy";

/**
 * Change windows from the operations guides ("3_schedule": Tuesday 2–4 AM, Thursday 2–4 AM and
 * Saturday 6–8 PM PST): production changes only inside them. Outside, a change needs the same
 * override as a freeze (a reason, an approver, an expiry) — the guides' emergency changes, with
 * on-call and manager approval — and the override is reported by its own advisory policy.
 *
 * The time zone is America/Los_Angeles, Pacific wall-clock time: the guides write "PST", but
 * a 2 AM window means 2 AM on the team's clocks all year, so it follows daylight saving time
 * (PDT from March to November). A fixed UTC−8 would put the summer windows at 3–5 AM and
 * 7–9 PM on those clocks. `timeZone` changes it for teams elsewhere.
 */

export const weekdays = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;
export type Weekday = (typeof weekdays)[number];

/** Weekly windows in local time: from `from` (inclusive) to `to` (exclusive), `HH:MM`, on `days`. */
export interface ChangeWindow {
    readonly name: string;
    readonly days: readonly Weekday[];
    readonly from: string;
    readonly to: string;
}

export const pacificTime = "America/Los_Angeles";

export const defaultChangeWindows: readonly ChangeWindow[] = [
    { name: "Tuesday early morning", days: ["TUE"], from: "02:00", to: "04:00" },
    { name: "Thursday early morning", days: ["THU"], from: "02:00", to: "04:00" },
    { name: "Saturday evening", days: ["SAT"], from: "18:00", to: "20:00" },
];

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const minute = 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
const formatterOf = (timeZone: string) => {
    let formatter = formatters.get(timeZone);
    if (formatter === undefined) {
        formatter = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", weekday: "short", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
        formatters.set(timeZone, formatter);
    }
    return formatter;
};

/** The wall clock in `timeZone` at `at`: its date, weekday, minutes since midnight and zone abbreviation (ICU's tz data). */
export function wallClock(at: Date, timeZone: string): { date: string; weekday: Weekday; minutes: number; zone: string } {
    const parts = Object.fromEntries(formatterOf(timeZone).formatToParts(at).map((p) => [p.type, p.value]));
    return {
        date: `${parts.year}-${parts.month}-${parts.day}`,
        weekday: parts.weekday.toUpperCase() as Weekday,
        minutes: Number(parts.hour) * 60 + Number(parts.minute),
        zone: parts.timeZoneName,
    };
}

/** The window open at `at`, if any. */
export function openWindow(windows: readonly ChangeWindow[], at: Date, timeZone: string): ChangeWindow | undefined {
    const clock = wallClock(at, timeZone);
    return windows.find((w) => w.days.includes(clock.weekday) && clock.minutes >= minutesOf(w.from) && clock.minutes < minutesOf(w.to));
}

/**
 * When the next window opens after `at`: the first whole minute at which one is open, found
 * by walking the next eight days in steps of 15 minutes (or the shortest window, if shorter:
 * none is stepped over unless a daylight-saving change leaves less of it), then back to the
 * minute it opened.
 */
export function nextOpening(windows: readonly ChangeWindow[], at: Date, timeZone: string): Date | undefined {
    const step = Math.min(15, ...windows.map((w) => minutesOf(w.to) - minutesOf(w.from)));
    if (!(step > 0)) return undefined;
    const start = Math.ceil(at.getTime() / minute) * minute;
    for (let t = start; t <= start + 8 * 86_400_000; t += step * minute) {
        if (openWindow(windows, new Date(t), timeZone) === undefined) continue;
        let opened = t;
        while (opened - minute >= start && openWindow(windows, new Date(opened - minute), timeZone) !== undefined) opened -= minute;
        return new Date(opened);
    }
    return undefined;
}

/** `Tue 02:00–04:00, Sat 18:00–20:00 (America/Los_Angeles)`. */
export function describeWindows(windows: readonly ChangeWindow[], timeZone: string): string {
    return `${windows.map((w) => `${w.days.map(dayName).join("/")} ${w.from}–${w.to}`).join(", ")} (${timeZone})`;
}

/** What is wrong with the windows themselves: a change calendar nobody can satisfy is a mistake, not a policy. */
export function windowProblems(windows: readonly ChangeWindow[], timeZone: string): string[] {
    const clock = /^([01]\d|2[0-3]):[0-5]\d$/;
    const zoneProblem = (() => {
        try {
            new Intl.DateTimeFormat("en-US", { timeZone });
            return [];
        } catch {
            return [`timeZone "${timeZone}" is not an IANA time zone such as ${pacificTime}`];
        }
    })();
    return [
        ...zoneProblem,
        ...(windows.length > 0 ? [] : ["no change windows: give at least one (or disable the policy)"]),
        ...windows.flatMap((w) => [
            ...(w.days.length > 0 && w.days.every((d) => (weekdays as readonly string[]).includes(d)) ? [] : [`window "${w.name}": days must be some of ${weekdays.join(", ")}`]),
            ...(clock.test(w.from) && (clock.test(w.to) || w.to === "24:00") && minutesOf(w.from) < minutesOf(w.to) ? [] : [`window "${w.name}": expected from < to, each HH:MM (to may be 24:00), got ${w.from}–${w.to}`]),
        ]),
    ];
}

/** Both window policies' settings: windows apply only where `enabled` (production). */
const windowSettings = {
    enabled: setting.switch(false),
    windows: { type: "array", default: defaultChangeWindows },
    timeZone: setting.text(pacificTime),
    override: setting.optional<FreezeOverride>({ type: "object" }),
    asOf: setting.optional<string>({ type: "string" }),
} satisfies Settings;

function evaluation(config: Values<typeof windowSettings>) {
    const at = config.asOf !== undefined ? new Date(config.asOf) : new Date();
    const problems = windowProblems(config.windows, config.timeZone);
    const open = problems.length === 0 ? openWindow(config.windows, at, config.timeZone) : undefined;
    return { at, problems, open, override: overrideProblem(config.override, at) };
}

const dayName = (d: Weekday) => d[0] + d.slice(1).toLowerCase();
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

/** `Wed 2026-11-25 10:15 PST (18:15 UTC)`. */
export function localStamp(at: Date, timeZone: string): string {
    const clock = wallClock(at, timeZone);
    return `${dayName(clock.weekday)} ${clock.date} ${hhmm(clock.minutes)} ${clock.zone} (${at.toISOString().slice(11, 16)} UTC)`;
}

export const changeWindow = stackPolicy({
    name: "keel-change-window",
    description: "Production changes only inside the change windows (Tuesday and Thursday 02:00–04:00, Saturday 18:00–20:00 Pacific time) unless the pack config carries a valid override.",
    config: windowSettings,
    check: function* (_stack, config) {
        const { at, problems, open, override } = evaluation(config);
        if (problems.length > 0) {
            yield [`the change windows cannot be judged: ${problems.join("; ")} (keel-change-window in the policy pack config)`];
            return;
        }
        if (open !== undefined || override === undefined) return;
        const next = nextOpening(config.windows, at, config.timeZone);
        yield [
            `outside the change windows, ${describeWindows(config.windows, config.timeZone)}: it is ${localStamp(at, config.timeZone)}` +
                `${next === undefined ? "" : `; the next opens ${localStamp(next, config.timeZone)}`}. ` +
                `Wait for it, or for an emergency add "override": { "reason", "approvedBy", "expires" } to keel-change-window and keel-change-window-override ` +
                `in the environment's policy pack config (docs/runbooks/change-freeze-override.md; now ${override}).`,
        ];
    },
});

export const changeWindowOverride = overrideReport("keel-change-window-override", "outside the change windows", windowSettings, (config) => {
    const { problems, open, override } = evaluation(config);
    return problems.length === 0 && open === undefined && override === undefined ? "change outside the change windows under an override" : undefined;
});
