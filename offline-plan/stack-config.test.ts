import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError } from "../stacks/config-keys";
import { applyOverrides, loadStackConfig, parseConfigPath } from "./stack-config";

function project(stackYaml: string): string {
    const dir = mkdtempSync(join(tmpdir(), "keel-stack-config-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: keel\nruntime: nodejs\n");
    writeFileSync(join(dir, "Pulumi.test.yaml"), stackYaml);
    return dir;
}

/** The problems a ConfigError lists, or a failure if `load` does not throw one. */
function problemsOf(load: () => unknown): readonly string[] {
    try {
        load();
    } catch (error) {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
        return error.problems;
    }
    assert.fail("expected the configuration to be refused");
}

const namespaces = "keel, aws, alertmanager, alerting, kubernetes, docker, pulumi";
const pathForm = 'a path of keys joined by dots, with [0] for an array index and ["a.b"] for a key with dots, such as database.backupRetentionDays';

describe("config paths (pulumi config set --path)", () => {
    const cases: [string, (string | number)[]][] = [
        ["database", ["database"]],
        ["database.backupRetentionDays", ["database", "backupRetentionDays"]],
        ["servers[0].port", ["servers", 0, "port"]],
        ['tags["cost.center"]', ["tags", "cost.center"]],
    ];
    for (const [path, expected] of cases) test(path, () => assert.deepEqual(parseConfigPath(path), expected));
    test("malformed paths are refused, saying where", () => {
        const refusals: [string, string][] = [
            ["", "got nothing"],
            ["a..b", 'got an empty key after "a."'],
            ["a.", 'got an empty key after "a."'],
            [".a", "got an empty key at the start"],
            ["a[x]", 'got "[x]" after "a"'],
            ["[0]", 'got "[0]"'],
            ["a[0]b", 'got "b" after "a[0]"'],
            ["a.[0]", 'got "[0]" after "a."'],
        ];
        for (const [path, given] of refusals) assert.deepEqual(parseConfigPath(path), { problem: `expected ${pathForm}, ${given}` }, path);
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
    test("each malformed override is refused with the flag, what is expected and what was given, all at once", () => {
        assert.deepEqual(problemsOf(() => applyOverrides({}, ["keel:database.engineVersion", "database.backupRetentionDays=3", "kee:compute.minSize=2", "keel:a..b=1", "keel:a.=1", "keel:dr.active=true"])), [
            '--config "keel:database.engineVersion": expected namespace:path=value, such as keel:database.backupRetentionDays=14, got no "="',
            '--config "database.backupRetentionDays=3": expected namespace:key, such as keel:database.backupRetentionDays, got no namespace',
            `--config "kee:compute.minSize=2": expected a namespace Keel reads (${namespaces}), got "kee"`,
            `--config "keel:a..b=1": expected ${pathForm}, got an empty key after "a."`,
            `--config "keel:a.=1": expected ${pathForm}, got an empty key after "a."`,
        ]);
    });
    test("a version given as a number is handed on as one, for the schema to read as text", () => {
        assert.deepEqual(applyOverrides({}, ["keel:database.engineVersion=16"]), { "keel:database": { engineVersion: 16 } });
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

    test("a YAML syntax error names the file, line and column, the error and the line", () => {
        const dir = project("config:\n  keel:compute:\n    minSize: 2\n   maxSize: 4\n  keel:compute:\n    minSize: 3\n");
        assert.deepEqual(problemsOf(() => loadStackConfig(dir, "test")), [
            `${join(dir, "Pulumi.test.yaml")}:4:1: expected YAML, got a syntax error: All mapping items must start at the same column in "maxSize: 4"`,
            `${join(dir, "Pulumi.test.yaml")}:5:3: expected YAML, got a syntax error: Map keys must be unique in "keel:compute:"`,
        ]);
    });

    test("keys under a namespace Keel does not read are refused where they stand, with the namespaces it reads", () => {
        const dir = project("config:\n  aws:region: us-east-1\n  kee:compute:\n    minSize: 2\n  compute:\n    maxSize: 4\nconfg:\n  keel:dr: {}\n");
        const file = join(dir, "Pulumi.test.yaml");
        assert.deepEqual(problemsOf(() => loadStackConfig(dir, "test")), [
            `${file}:3:3: kee:compute: expected a namespace Keel reads (${namespaces}), got "kee"`,
            `${file}:5:3: compute: expected namespace:key, such as keel:compute, got no namespace`,
            `${file}:7:1: confg: unknown key (expected one of: config, environment, secretsprovider, encryptedkey, encryptionsalt)`,
        ]);
    });

    test("a stack file that is no mapping, or whose config is none", () => {
        const list = project("- keel:dr\n");
        assert.deepEqual(problemsOf(() => loadStackConfig(list, "test")), [`${join(list, "Pulumi.test.yaml")}:1:1: expected a mapping with config: (Pulumi's stack file), got a list`]);
        const scalar = project("# comment\nconfig: keel\n");
        assert.deepEqual(problemsOf(() => loadStackConfig(scalar, "test")), [`${join(scalar, "Pulumi.test.yaml")}:2:9: config: expected a mapping of namespace:key to value, got "keel"`]);
        assert.deepEqual(loadStackConfig(project("config:\n"), "test").config, {});
    });

    test("the stack file's problems and the overrides' are refused together", () => {
        const dir = project("config:\n  kee:compute: {}\n");
        assert.deepEqual(problemsOf(() => loadStackConfig(dir, "test", ["keel:x"])), [
            `${join(dir, "Pulumi.test.yaml")}:2:3: kee:compute: expected a namespace Keel reads (${namespaces}), got "kee"`,
            '--config "keel:x": expected namespace:path=value, such as keel:database.backupRetentionDays=14, got no "="',
        ]);
    });

    test("every namespace Keel documents is read", () => {
        const yaml = ["keel:environment: dev", "aws:region: us-east-1", "alertmanager:smtpPassword: x", "alerting:pagerdutyCloudwatchUrl: x", "kubernetes:existingKubeconfig: x", "docker:host: unix:///var/run/docker.sock", "pulumi:disable-default-providers: '[]'"];
        assert.deepEqual(Object.keys(loadStackConfig(project(`config:\n  ${yaml.join("\n  ")}\n`), "test").config).map((key) => key.split(":")[0]), namespaces.split(", "));
    });

    test("a missing stack names the file it looked for", () => {
        assert.throws(() => loadStackConfig(project(""), "nope"), /no stack "nope": cannot read .*Pulumi\.nope\.yaml/);
    });
});
