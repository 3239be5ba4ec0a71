import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defaultEksVersion, eksStandardSupportEnds, eksVersionProblem } from "./versions";

describe("EKS versions in standard support", () => {
    const day = (iso: string) => new Date(`${iso}T12:00:00Z`);

    test("1.33 left standard support on 2026-07-29, 1.34 leaves it on 2026-12-02", () => {
        assert.match(eksVersionProblem("1.33", day("2026-11-27")) ?? "", /^EKS version 1\.33 left standard support on 2026-07-29 .*: 1\.34, 1\.35$/);
        assert.equal(eksVersionProblem("1.34", day("2026-12-01")), undefined);
        assert.match(eksVersionProblem("1.34", day("2026-12-02")) ?? "", /left standard support on 2026-12-02/);
    });

    test("the default is in standard support today and is the calendar's newest", () => {
        assert.equal(eksVersionProblem(defaultEksVersion), undefined);
        assert.equal(defaultEksVersion, Object.keys(eksStandardSupportEnds).sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1])).at(-1));
    });

    test("a version missing from the calendar is refused, naming the file to update", () => {
        assert.match(eksVersionProblem("1.99", day("2026-11-27")) ?? "", /1\.99 is not in Keel's release calendar \(components\/kubernetes\/versions\.ts/);
    });

    test("every version leaves standard support 14 months after the previous one's, give or take (EKS: 14 months from release)", () => {
        const ends = Object.values(eksStandardSupportEnds).map((d) => Date.parse(d));
        for (let i = 1; i < ends.length; i++) assert.ok(ends[i] > ends[i - 1], "dates ascend with versions");
    });
});
