import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { planOf, resource, runPolicy } from "../testing";
import { calendarAsOf, calendarForPreview } from "./change-calendar";
import { changeFreeze, changeFreezeOverride } from "./change-freeze";
import { changeWindow, changeWindowOverride, defaultChangeWindows, nextOpening, openWindow, pacificTime, wallClock, windowProblems } from "./change-windows";

const plan = planOf([resource("aws:sns/topic:Topic", {}, { provider: { region: "us-east-1" } })]);
const override = { reason: "INC-456: certificate expiring tonight", approvedBy: "oncall-manager@example.com", expires: "2026-12-02" };
type WindowConfig = Record<string, unknown>;
const run = (config: WindowConfig) =>
    Promise.all([runPolicy(changeWindow, plan, { "keel-change-window": config }), runPolicy(changeWindowOverride, plan, { "keel-change-window-override": config })]);
const messages = (violations: readonly { message: string }[]) => violations.map((v) => v.message);

describe("change windows in Pacific time", () => {
    // Winter is PST (UTC−8), summer PDT (UTC−7): the windows follow the wall clock.
    const moments: [string, string | undefined][] = [
        ["2026-12-01T09:59:00Z", undefined], // Tue 01:59 PST
        ["2026-12-01T10:00:00Z", "Tuesday early morning"], // Tue 02:00 PST
        ["2026-12-01T11:59:00Z", "Tuesday early morning"],
        ["2026-12-01T12:00:00Z", undefined], // Tue 04:00 PST: the end is exclusive
        ["2026-12-03T10:30:00Z", "Thursday early morning"],
        ["2026-12-06T02:30:00Z", "Saturday evening"], // Sat 18:30 PST, Sunday in UTC
        ["2026-12-05T18:30:00Z", undefined], // Sat 10:30 PST
        ["2026-07-07T09:00:00Z", "Tuesday early morning"], // Tue 02:00 PDT
        ["2026-07-07T11:00:00Z", undefined], // Tue 04:00 PDT
        ["2026-07-12T01:30:00Z", "Saturday evening"], // Sat 18:30 PDT
        ["2026-07-11T01:30:00Z", undefined], // Fri 18:30 PDT
        ["2026-12-02T10:30:00Z", undefined], // Wednesday
    ];
    for (const [at, window] of moments) {
        test(`${at}: ${window ?? "closed"}`, () => {
            assert.equal(openWindow(defaultChangeWindows, new Date(at), pacificTime)?.name, window);
        });
    }

    test("reads the wall clock with its zone's abbreviation, across daylight saving time", () => {
        assert.deepEqual(wallClock(new Date("2026-03-08T09:59:00Z"), pacificTime), { date: "2026-03-08", weekday: "SUN", minutes: 119, zone: "PST" });
        assert.deepEqual(wallClock(new Date("2026-03-08T10:00:00Z"), pacificTime), { date: "2026-03-08", weekday: "SUN", minutes: 180, zone: "PDT" });
    });

    test("the next window opens at its first minute, on the far side of a daylight saving change too", () => {
        const next = (at: string) => nextOpening(defaultChangeWindows, new Date(at), pacificTime)?.toISOString();
        assert.equal(next("2026-12-01T12:00:00Z"), "2026-12-03T10:00:00.000Z"); // Tue after the window → Thu 02:00 PST
        assert.equal(next("2026-12-03T12:00:00Z"), "2026-12-06T02:00:00.000Z"); // → Sat 18:00 PST
        assert.equal(next("2026-03-07T05:00:00Z"), "2026-03-08T02:00:00.000Z"); // Fri → Sat 18:00 PST, the night before DST
        assert.equal(next("2026-03-08T12:00:00Z"), "2026-03-10T09:00:00.000Z"); // Sun → Tue 02:00 PDT
        assert.equal(next("2026-11-01T08:30:00Z"), "2026-11-03T10:00:00.000Z"); // the night DST ends → Tue 02:00 PST
    });

    test("refuses windows nobody can keep, saying why", () => {
        assert.deepEqual(windowProblems(defaultChangeWindows, pacificTime), []);
        assert.deepEqual(windowProblems([{ name: "all day", days: ["MON"], from: "00:00", to: "24:00" }], "Europe/Berlin"), []);
        assert.deepEqual(windowProblems([], "Pacific/Nowhere"), [
            'timeZone "Pacific/Nowhere" is not an IANA time zone such as America/Los_Angeles',
            "no change windows: give at least one (or disable the policy)",
        ]);
        assert.deepEqual(windowProblems([{ name: "backwards", days: ["TUESDAY" as "TUE"], from: "04:00", to: "02:00" }], pacificTime), [
            'window "backwards": days must be some of SUN, MON, TUE, WED, THU, FRI, SAT',
            'window "backwards": expected from < to, each HH:MM (to may be 24:00), got 04:00–02:00',
        ]);
    });
});

describe("keel-change-window", () => {
    test("passes inside a window, and where it is not enabled", async () => {
        assert.deepEqual(await run({ enabled: true, asOf: "2026-12-01T10:30:00Z" }), [[], []]);
        assert.deepEqual(await run({ asOf: "2026-12-02T10:30:00Z" }), [[], []]);
    });

    test("refuses a change outside the windows, saying when it is and when the next window opens", async () => {
        const [refused, reported] = await run({ enabled: true, asOf: "2026-12-02T18:15:00Z" });
        assert.deepEqual(messages(refused), [
            "outside the change windows, Tue 02:00–04:00, Thu 02:00–04:00, Sat 18:00–20:00 (America/Los_Angeles): it is Wed 2026-12-02 10:15 PST (18:15 UTC); " +
                "the next opens Thu 2026-12-03 02:00 PST (10:00 UTC). Wait for it, or for an emergency add \"override\": { \"reason\", \"approvedBy\", \"expires\" } " +
                "to keel-change-window and keel-change-window-override in the environment's policy pack config (docs/runbooks/change-freeze-override.md; now no override).",
        ]);
        assert.deepEqual(refused.map((v) => v.enforcementLevel), ["mandatory"]);
        assert.deepEqual(reported, []);
    });

    test("lets an emergency change through with a complete override, and reports it", async () => {
        const [refused, reported] = await run({ enabled: true, asOf: "2026-12-02T18:15:00Z", override });
        assert.deepEqual(refused, []);
        assert.deepEqual(messages(reported), ['change outside the change windows under an override until 2026-12-02: "INC-456: certificate expiring tonight" (approved by oncall-manager@example.com)']);
        assert.deepEqual(reported.map((v) => v.enforcementLevel), ["advisory"]);
    });

    test("an override without a reason, or lapsed, does not count", async () => {
        const [noReason] = await run({ enabled: true, asOf: "2026-12-02T18:15:00Z", override: { ...override, reason: " " } });
        assert.match(messages(noReason)[0], /now the override gives no reason\)\.$/);
        const [lapsed, reported] = await run({ enabled: true, asOf: "2026-12-03T18:15:00Z", override });
        assert.match(messages(lapsed)[0], /now the override has lapsed or has no valid expiry \(2026-12-02\)\)\.$/);
        assert.deepEqual(reported, []);
    });

    test("other windows and time zones from the pack config", async () => {
        const berlin = { enabled: true, timeZone: "Europe/Berlin", windows: [{ name: "Monday morning", days: ["MON"], from: "09:00", to: "11:00" }] };
        assert.deepEqual(await run({ ...berlin, asOf: "2026-12-07T08:30:00Z" }), [[], []]); // Mon 09:30 CET
        const [refused] = await run({ ...berlin, asOf: "2026-12-07T10:30:00Z" });
        assert.match(messages(refused)[0], /^outside the change windows, Mon 09:00–11:00 \(Europe\/Berlin\): it is Mon 2026-12-07 11:30 GMT\+1 \(10:30 UTC\); the next opens Mon 2026-12-14 09:00 GMT\+1 \(08:00 UTC\)\./);
    });

    test("refuses to judge with windows nobody can keep", async () => {
        const [refused] = await run({ enabled: true, asOf: "2026-12-01T10:30:00Z", timeZone: "Pacific Time" });
        assert.deepEqual(messages(refused), ['the change windows cannot be judged: timeZone "Pacific Time" is not an IANA time zone such as America/Los_Angeles (keel-change-window in the policy pack config)']);
    });
});

describe("the change calendar in the pack config and the offline preview", () => {
    test("production enables the freeze and the windows; each policy and its override report read the same settings in every environment", () => {
        const directory = join(__dirname, "..", "config");
        for (const file of readdirSync(directory).filter((f) => f.endsWith(".json"))) {
            const config = JSON.parse(readFileSync(join(directory, file), "utf8")) as Record<string, Record<string, unknown> | undefined>;
            for (const [policy, report] of [[changeFreeze, changeFreezeOverride], [changeWindow, changeWindowOverride]]) {
                assert.deepEqual(config[report.name], config[policy.name], `${file}: ${report.name}`);
                assert.equal(config[policy.name]?.enabled === true, file === "production.json", `${file}: ${policy.name}`);
            }
        }
    });

    test("--as-of sets the moment of all four calendar policies; a preview reports a closed window unless enforced", async () => {
        const config = calendarAsOf({ "keel-change-window": { enabled: true }, "keel-change-freeze": "mandatory" }, "2026-12-02T18:15:00Z");
        assert.deepEqual(config["keel-change-freeze"], { enforcementLevel: "mandatory", asOf: "2026-12-02T18:15:00Z" });
        assert.deepEqual(config["keel-change-window-override"], { asOf: "2026-12-02T18:15:00Z" });
        assert.deepEqual((await runPolicy(changeWindow, plan, calendarForPreview(config, false))).map((v) => v.enforcementLevel), ["advisory"]);
        assert.deepEqual((await runPolicy(changeWindow, plan, calendarForPreview(config, true))).map((v) => v.enforcementLevel), ["mandatory"]);
        assert.throws(() => calendarAsOf({}, "next tuesday"), /--as-of expects an ISO 8601 date or instant, got "next tuesday"/);
    });
});
