import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expandAnnotation, formatG4, humanize, humanizeDuration, humanizePercentage } from "./humanize";

// Expected strings are what Go's fmt and Prometheus' template functions print for the same values.
describe("Prometheus template functions", () => {
    const cases: [string, (v: number) => string, number, string][] = [
        ["%.4g drops float noise", formatG4, 6.000000000000001, "6"],
        ["%.4g rounds to 4 digits", formatG4, 3.14159, "3.142"],
        ["%.4g switches to exponent form at 1e4", formatG4, 123456, "1.235e+05"],
        ["%.4g exponent form below 1e-4", formatG4, 0.00001234, "1.234e-05"],
        ["humanize: SI prefix k", humanize, 1234, "1.234k"],
        ["humanize: SI prefix M", humanize, 2500000, "2.5M"],
        ["humanize: SI prefix m", humanize, 0.25, "250m"],
        ["humanize: plain", humanize, 90, "90"],
        ["humanizePercentage", humanizePercentage, 0.012, "1.2%"],
        ["humanizeDuration: seconds", humanizeDuration, 7.4, "7.4s"],
        ["humanizeDuration: minutes", humanizeDuration, 600, "10m 0s"],
        ["humanizeDuration: days", humanizeDuration, 1294800, "14d 23h 40m 0s"],
        ["humanizeDuration: below a second", humanizeDuration, 0.25, "250ms"],
    ];
    for (const [name, format, value, expected] of cases) {
        test(`${name}: ${value} → ${expected}`, () => assert.equal(format(value), expected));
    }
});

describe("expandAnnotation", () => {
    test("labels and $value through a function", () => {
        assert.equal(expandAnnotation("{{ $labels.job }} at {{ $value | humanizePercentage }}", { job: "api" }, 0.06), "api at 6%");
    });

    test("refuses templates the tests cannot expand", () => {
        assert.throws(() => expandAnnotation("{{ $value }}", {}, 1), /not one the rule tests can expand/);
        assert.throws(() => expandAnnotation("{{ $value | title }}", {}, 1), /has no port/);
        assert.throws(() => expandAnnotation("{{ $value | humanize }}", {}, undefined), /must give the alert's value/);
    });
});
