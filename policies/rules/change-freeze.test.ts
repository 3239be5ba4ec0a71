import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planOf, resource, runPolicy } from "../testing";
import { calendarForPreview } from "./change-calendar";
import { activeWindow, blackFridayWeek, changeFreeze, changeFreezeOverride, defaultFreezeWindows, overrideProblem, type ChangeFreezeConfig } from "./change-freeze";

const iso = (d: Date) => d.toISOString().slice(0, 10);
const plan = planOf([resource("aws:sns/topic:Topic", {}, { provider: { region: "us-east-1" } })]);
const run = (config: ChangeFreezeConfig) =>
    Promise.all([runPolicy(changeFreeze, plan, { "keel-change-freeze": config }), runPolicy(changeFreezeOverride, plan, { "keel-change-freeze-override": config })]);
const override = { reason: "hotfix for a payment outage (INC-123)", approvedBy: "cab@example.com", expires: "2026-11-30" };

describe("freeze windows", () => {
    const cases: [number, string, string][] = [
        [2025, "2025-11-24", "2025-12-01"],
        [2026, "2026-11-23", "2026-11-30"],
        [2027, "2027-11-22", "2027-11-29"],
        [2028, "2028-11-20", "2028-11-27"],
    ];
    for (const [year, start, end] of cases) {
        test(`Black Friday week ${year}: Monday before Black Friday to Cyber Monday`, () => {
            const week = blackFridayWeek(year);
            assert.deepEqual([iso(week.start), iso(week.end)], [start, end]);
        });
    }

    const at: [string, string | undefined][] = [
        ["2026-11-22T23:59:59Z", undefined],
        ["2026-11-23T00:00:00Z", "Black Friday week"],
        ["2026-11-30T23:00:00Z", "Black Friday week"],
        ["2026-12-01T00:00:00Z", undefined],
        ["2026-12-19T23:59:59Z", undefined],
        ["2026-12-20T00:00:00Z", "year end"],
        ["2026-12-31T23:59:59Z", "year end"],
        ["2027-01-01T00:00:00Z", undefined],
    ];
    for (const [instant, expected] of at) {
        test(`${instant} is ${expected ?? "not frozen"}`, () => assert.equal(activeWindow(defaultFreezeWindows, new Date(instant))?.name, expected));
    }
});

describe("keel-change-freeze", () => {
    test("refuses a change inside a freeze and says how to override", async () => {
        const [violations, reports] = await run({ enabled: true, asOf: "2026-12-24T10:00:00Z" });
        assert.equal(violations.length, 1);
        assert.equal(violations[0].enforcementLevel, "mandatory");
        assert.match(violations[0].message, /^change freeze "year end" \(2026-12-20 to 2026-12-31\): no override\. Wait, or add "override"/);
        assert.deepEqual(reports, []);
    });

    test("lets a change through outside the windows, and anywhere when disabled", async () => {
        assert.deepEqual(await run({ enabled: true, asOf: "2026-11-22T12:00:00Z" }), [[], []]);
        assert.deepEqual(await run({ enabled: false, asOf: "2026-12-24T10:00:00Z" }), [[], []]);
        assert.deepEqual(await run({ asOf: "2026-12-24T10:00:00Z" }), [[], []], "disabled by default (only production enables it)");
    });

    test("an override with a reason, an approver and a future expiry lets the change through and is reported", async () => {
        const [violations, reports] = await run({ enabled: true, asOf: "2026-11-27T10:00:00Z", override });
        assert.deepEqual(violations, []);
        assert.equal(reports.length, 1);
        assert.equal(reports[0].enforcementLevel, "advisory");
        assert.equal(reports[0].message, `change freeze "Black Friday week" overridden until 2026-11-30: "${override.reason}" (approved by cab@example.com)`);
    });

    const bad: [string, ChangeFreezeConfig["override"], RegExp][] = [
        ["without a reason", { ...override, reason: " " }, /the override gives no reason/],
        ["without an approver", { ...override, approvedBy: "" }, /the override names no approver/],
        ["after it lapsed", { ...override, expires: "2026-11-26" }, /the override has lapsed or has no valid expiry \(2026-11-26\)/],
        ["with a malformed expiry", { ...override, expires: "next week" }, /has no valid expiry/],
    ];
    for (const [name, given, message] of bad) {
        test(`an override ${name} does not count`, async () => {
            const [violations, reports] = await run({ enabled: true, asOf: "2026-11-27T10:00:00Z", override: given });
            assert.equal(violations.length, 1);
            assert.match(violations[0].message, message);
            assert.deepEqual(reports, []);
        });
    }

    test("overrideProblem accepts a complete override", () => {
        assert.equal(overrideProblem(override, new Date("2026-11-30T23:00:00Z")), undefined);
    });
});

describe("offline previews", () => {
    test("report a freeze as advisory unless it is enforced, keeping the settings", async () => {
        const config = { "keel-change-freeze": { enabled: true, asOf: "2026-12-24T10:00:00Z" } };
        const previewed = await runPolicy(changeFreeze, plan, calendarForPreview(config, false));
        assert.deepEqual(previewed.map((v) => v.enforcementLevel), ["advisory"]);
        const enforced = await runPolicy(changeFreeze, plan, calendarForPreview(config, true));
        assert.deepEqual(enforced.map((v) => v.enforcementLevel), ["mandatory"]);
    });
});
