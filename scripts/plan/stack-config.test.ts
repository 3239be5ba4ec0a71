import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { applyOverrides, loadStackConfig, parseConfigPath } from "./stack-config";

function project(stackYaml: string): string {
    const dir = mkdtempSync(join(tmpdir(), "keel-stack-config-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: keel\nruntime: nodejs\n");
    writeFileSync(join(dir, "Pulumi.test.yaml"), stackYaml);
    return dir;
}

describe("config paths (pulumi config set --path)", () => {
    const cases: [string, (string | number)[]][] = [
        ["database", ["database"]],
        ["database.backupRetentionDays", ["database", "backupRetentionDays"]],
        ["servers[0].port", ["servers", 0, "port"]],
        ['tags["cost.center"]', ["tags", "cost.center"]],
    ];
    for (const [path, expected] of cases) test(path, () => assert.deepEqual(parseConfigPath(path), expected));
    test("malformed paths are refused", () => {
        assert.throws(() => parseConfigPath("a[x]"), /invalid config path/);
        assert.throws(() => parseConfigPath(""), /invalid config path/);
    });
});

describe("--config overrides", () => {
    test("a path sets a nested value and converts integers and booleans", () => {
        const result = applyOverrides({ "keel:database": { multiAz: true, engine: "postgres" } }, [
            "keel:database.backupRetentionDays=-3",
            "keel:database.multiAz=false",
            "keel:database.engineVersion=15.4",
        ]);
        assert.deepEqual(result["keel:database"], { multiAz: false, engine: "postgres", backupRetentionDays: -3, engineVersion: "15.4" });
    });
    test("a plain key sets a string", () => {
        assert.deepEqual(applyOverrides({}, ["aws:region=us-west-2"]), { "aws:region": "us-west-2" });
    });
    test("a path creates missing objects and arrays", () => {
        const result = applyOverrides({}, ["keel:dr.active=true", "keel:list[1]=x"]);
        assert.deepEqual(result["keel:dr"], { active: true });
        assert.equal(JSON.stringify(result["keel:list"]), "[null,\"x\"]");
    });
    test("a value may contain '='", () => {
        assert.deepEqual(applyOverrides({}, ["keel:tags.note=a=b"]), { "keel:tags": { note: "a=b" } });
    });
    test("an override without a namespace is refused", () => {
        assert.throws(() => applyOverrides({}, ["database.backupRetentionDays=3"]), /namespace:key=value/);
    });
});

describe("stack files", () => {
    test("objects become JSON strings, as Pulumi hands them to programs", () => {
        const loaded = loadStackConfig(project("config:\n  aws:region: us-east-1\n  keel:database:\n    multiAz: true\n"), "test");
        assert.equal(loaded.project, "keel");
        assert.deepEqual(loaded.config, { "aws:region": "us-east-1", "keel:database": '{"multiAz":true}' });
        assert.deepEqual(loaded.secretKeys, []);
    });

    test("encrypted values get placeholders and their keys are secret", () => {
        const loaded = loadStackConfig(
            project("config:\n  keel:token:\n    secure: v1:abc\n  keel:alerting:\n    pagerduty:\n      secure: v1:def\n    channel: ops\n"),
            "test",
        );
        assert.equal(loaded.config["keel:token"], "offline-placeholder-for-keel:token");
        assert.deepEqual(JSON.parse(loaded.config["keel:alerting"]), { pagerduty: "offline-placeholder-for-keel:alerting.pagerduty", channel: "ops" });
        assert.deepEqual(loaded.secretKeys.sort(), ["keel:alerting", "keel:token"]);
        assert.ok(!JSON.stringify(loaded.config).includes("v1:"), "ciphertext must not reach the program");
    });

    test("an empty stack file is an empty config", () => {
        assert.deepEqual(loadStackConfig(project(""), "test").config, {});
    });

    test("a missing stack names the file it looked for", () => {
        assert.throws(() => loadStackConfig(project(""), "nope"), /no stack "nope": cannot read .*Pulumi\.nope\.yaml/);
    });
});
