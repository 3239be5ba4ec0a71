/**
 * Arithmetic on windows of the week (maintenance windows, backup windows, job start times),
 * in minutes from Sunday 00:00 UTC.
 */

export const minutesPerDay = 24 * 60;
export const minutesPerWeek = 7 * minutesPerDay;
const daysPerWeek = 7;

/** `[start, end)` in minutes of the week; `end` may pass the week's end (a window wrapping into the next week). */
export type WeekInterval = readonly [number, number];

/** Minutes from Sunday 00:00 UTC to `minuteOfDay` on `weekday` (0 = Sunday). */
export const weekMinute = (weekday: number, minuteOfDay: number): number => weekday * minutesPerDay + minuteOfDay;

/** Whether two intervals share a minute; the week wraps, so a Saturday-night interval can reach into Sunday morning. */
export function overlapsInWeek([aStart, aEnd]: WeekInterval, [bStart, bEnd]: WeekInterval): boolean {
    return [-minutesPerWeek, 0, minutesPerWeek].some((shift) => aStart + shift < bEnd && aEnd + shift > bStart);
}

/** A daily window (`[start, end)` in minutes of the day, `end` may pass midnight) on each of the seven days. */
export function everyDay([start, end]: WeekInterval): WeekInterval[] {
    return Array.from({ length: daysPerWeek }, (_, day): WeekInterval => [weekMinute(day, start), weekMinute(day, end)]);
}
