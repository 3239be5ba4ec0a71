import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RefusedInput } from "../../policies/offline";
import { internalErrorMessage, isoInstant, parseCommandLine, refusing } from "./command-line";

const options = { json: { type: "string" }, config: { type: "string", multiple: true, short: "c" }, quiet: { type: "boolean", short: "q" } } as const;
const parse = (...argv: string[]) => parseCommandLine(argv, options, "usage: cmd");
const refusal = (argv: string[], message: string) => assert.throws(() => parse(...argv), (error: unknown) => error instanceof RefusedInput && error.message === `${message}\nusage: cmd`);

describe("parseCommandLine", () => {
    test("parses what it is given", () => {
        const { values, positionals } = parse("production", "--json", "a.json", "-c", "keel:a=1", "--config=keel:b=2", "-q");
        assert.deepEqual(positionals, ["production"]);
        assert.deepEqual({ ...values }, { json: "a.json", config: ["keel:a=1", "keel:b=2"], quiet: true });
        assert.deepEqual({ ...parse("--json=-odd-name.json").values }, { json: "-odd-name.json" });
    });

    test("refuses an unknown option, listing the known ones", () => {
        refusal(["--jsn", "a"], "unknown option --jsn; the options are --json, --config (-c), --quiet (-q)");
        refusal(["-x"], "unknown option -x; the options are --json, --config (-c), --quiet (-q)");
    });

    test("refuses a missing or ambiguous value, and a value for a switch", () => {
        refusal(["--json"], "--json needs a value");
        refusal(["--json="], "--json needs a value");
        refusal(["--json", "--quiet"], "--json needs a value, got the option --quiet (write --json=--quiet if that is the value)");
        refusal(["--quiet=yes"], '--quiet takes no value, got "yes"');
    });

    test("refuses a single-value option given twice, which parseArgs would silently resolve to the last", () => {
        refusal(["--json", "a.json", "--json", "b.json"], "--json given twice (a.json, then b.json); it takes one value");
        refusal(["--json=a.json", "--json=a.json"], "--json given twice (a.json, then a.json); it takes one value");
        refusal(["-q", "--quiet"], "--quiet given twice (-q, then --quiet); it takes one value");
        assert.deepEqual(parse("-c", "a:b=1", "-c", "a:c=2").values.config, ["a:b=1", "a:c=2"], "a repeatable option repeats");
    });
});

describe("isoInstant", () => {
    test("accepts ISO 8601 dates and instants", () => {
        for (const date of ["2026-10-15", "2026-10-15T12:00:00Z", "2026-10-15T12:00Z", "2026-10-15T12:00:00.250+02:00", "2024-02-29"]) assert.equal(isoInstant("--as-of", date), date);
    });

    test("refuses other text and days that do not exist", () => {
        for (const date of ["yesterday", "1", "2026-13-01", "2026-02-30", "2025-02-29", "15/10/2026", "2026-10-15 12:00", "2026-10-15T25:00Z"]) {
            assert.throws(() => isoInstant("--as-of", date), { name: "RefusedInput", message: `--as-of expects an ISO 8601 date or instant, got "${date}"; e.g. 2026-10-15 or 2026-10-15T12:00:00Z` });
        }
    });
});

describe("ending a command", () => {
    test("a refusal is its message on stderr and exit 2; anything else is thrown on", async () => {
        const err: string[] = [];
        const io = { out: () => assert.fail("nothing on stdout"), err: (text: string) => err.push(text) };
        assert.equal(await refusing(io, () => Promise.reject(new RefusedInput("no stack \"prod\""))), 2);
        assert.deepEqual(err, ['no stack "prod"']);
        await assert.rejects(refusing(io, () => Promise.reject(new TypeError("x is undefined"))), TypeError);
        assert.equal(await refusing(io, () => Promise.resolve(1)), 1);
    });

    test("an internal error is one message; its stack trace only with KEEL_DEBUG=1", () => {
        const error = new TypeError("cannot read properties of undefined");
        assert.equal(internalErrorMessage("plan", error, {}), "plan failed: cannot read properties of undefined\n(KEEL_DEBUG=1 shows the stack trace)");
        const debug = internalErrorMessage("plan", error, { KEEL_DEBUG: "1" });
        assert.match(debug, /^plan failed: TypeError: cannot read properties of undefined\n\s+at /);
        assert.equal(internalErrorMessage("plan", "a string", {}), "plan failed: a string");
    });
});
