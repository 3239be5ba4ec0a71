import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { describeProblem, InvalidArgumentsError, problem, requireNoProblems, under, valueAt } from "./problems";

describe("problems", () => {
    const given = { alarmThresholds: { cpuPercent: 120 }, regions: ["us-east-1"], application: { image: "app" }, secret: undefined };

    test("a problem reads as its path, its message and the value given there", () => {
        assert.equal(describeProblem(problem(["alarmThresholds", "cpuPercent"], "expected a percentage"), given), "alarmThresholds.cpuPercent: expected a percentage, got 120");
        assert.equal(describeProblem(problem("regions", "expected at least 3"), given), 'regions: expected at least 3, got ["us-east-1"]');
        assert.equal(describeProblem(problem("application", "needs an image or an AMI"), given), "application: needs an image or an AMI", "an argument group is not quoted");
        assert.equal(describeProblem(problem("secret", "expected a secret"), given), "secret: expected a secret", "nothing given there");
        assert.equal(describeProblem(problem([], "takes one of a or b")), "takes one of a or b");
        assert.equal(describeProblem(problem(["alarmThresholds", "cpuPercent"], "expected a percentage")), "alarmThresholds.cpuPercent: expected a percentage", "without the arguments, no value");
    });

    test("valueAt walks objects and lists, undefined past the end", () => {
        assert.equal(valueAt(given, ["regions", 0]), "us-east-1");
        assert.equal(valueAt(given, ["alarmThresholds", "memoryPercent"]), undefined);
        assert.equal(valueAt(given, ["regions", 0, "name"]), undefined);
    });

    test("under moves a nested argument's problems to the component's paths", () => {
        assert.deepEqual(under("healthCheck", [problem("regions", "m"), problem([], "n")]), [problem(["healthCheck", "regions"], "m"), problem(["healthCheck"], "n")]);
        assert.deepEqual(under(["spec", "logs"], [problem("retentionDays", "m")]), [problem(["spec", "logs", "retentionDays"], "m")]);
    });

    test("requireNoProblems throws every problem at once, naming the component, and nothing when there are none", () => {
        requireNoProblems("Thing t", [], given);
        assert.throws(() => requireNoProblems("Thing t", [problem(["alarmThresholds", "cpuPercent"], "expected a percentage"), problem("regions", "expected at least 3")], given), (error: unknown) => {
            assert.ok(error instanceof InvalidArgumentsError);
            assert.equal(error.name, "InvalidArgumentsError");
            assert.equal(error.component, "Thing t");
            assert.equal(error.problems.length, 2);
            assert.equal(error.message, 'Thing t: invalid arguments:\n  - alarmThresholds.cpuPercent: expected a percentage, got 120\n  - regions: expected at least 3, got ["us-east-1"]');
            return true;
        });
    });
});
