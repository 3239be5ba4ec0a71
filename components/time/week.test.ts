import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { everyDay, minutesPerWeek, overlapsInWeek, weekMinute } from "./week";

describe("week windows", () => {
    const sundayTwoToFour = [weekMinute(0, 120), weekMinute(0, 240)] as const;

    test("overlap needs a shared minute: touching ends do not overlap", () => {
        assert.equal(overlapsInWeek([weekMinute(0, 60), weekMinute(0, 121)], sundayTwoToFour), true);
        assert.equal(overlapsInWeek([weekMinute(0, 60), weekMinute(0, 120)], sundayTwoToFour), false);
        assert.equal(overlapsInWeek([weekMinute(0, 240), weekMinute(0, 300)], sundayTwoToFour), false);
    });

    test("the week wraps: Saturday night reaches into Sunday morning, either side first", () => {
        const saturdayNight = [weekMinute(6, 23 * 60), weekMinute(6, 23 * 60) + 4 * 60] as const;
        assert.equal(saturdayNight[1] > minutesPerWeek, true);
        assert.equal(overlapsInWeek(saturdayNight, sundayTwoToFour), true);
        assert.equal(overlapsInWeek(sundayTwoToFour, saturdayNight), true);
        assert.equal(overlapsInWeek([weekMinute(6, 23 * 60), weekMinute(6, 23 * 60) + 3 * 60], sundayTwoToFour), false);
    });

    test("a daily window stands on each of the seven days, past midnight too", () => {
        assert.deepEqual(everyDay([23 * 60, 25 * 60]).map(([start, end]) => [start / 60, end / 60]), [
            [23, 25], [47, 49], [71, 73], [95, 97], [119, 121], [143, 145], [167, 169],
        ]);
    });
});
