import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { loadPolicyPackConfig } from "../policies/offline";
import { calendarReportingPackConfig, previewPackConfigCommand } from "./preview-pack-config";

describe("the pack config of previews and failovers", () => {
    test("is the stack's, with the change freeze and the change windows reporting instead of refusing", () => {
        const written = JSON.parse(readFileSync(calendarReportingPackConfig("production"), "utf8")) as Record<string, Record<string, unknown>>;
        const production = loadPolicyPackConfig("production") as Record<string, Record<string, unknown>>;
        assert.deepEqual(written["keel-change-freeze"], { ...production["keel-change-freeze"], enforcementLevel: "advisory" });
        assert.deepEqual(written["keel-change-window"], { ...production["keel-change-window"], enforcementLevel: "advisory" });
        const calendar = new Set(["keel-change-freeze", "keel-change-window"]);
        const others = (config: Record<string, unknown>) => Object.entries(config).filter(([name]) => !calendar.has(name));
        assert.deepEqual(others(written), others(production), "every other policy as the stack's pack config sets it");
    });

    test("prints the file's path; refuses no stack, or an unknown one, in one message", async () => {
        let out = "";
        assert.equal(await previewPackConfigCommand(["staging"], { out: (t) => (out += t), err: () => undefined }), 0);
        assert.match(out, /keel-staging-calendar-reporting-policy-config\.json$/);
        await assert.rejects(previewPackConfigCommand([], { out: () => undefined, err: () => undefined }), /^RefusedInput: no stack given\nusage: /);
        await assert.rejects(previewPackConfigCommand(["prod"], { out: () => undefined, err: () => undefined }), { message: /^expected one stack of dev, local, production, staging, got prod\n/ });
    });
});
