import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse, stringify } from "yaml";
import { exampleSpec } from "./example-spec";
import { checkWithPrometheusTools, renderMonitoring, runTool, type MonitoringSpec, type ToolRun } from "./index";

/** Writes a spec's files into a fresh directory, as `--out` does. */
function writeRendered(spec: MonitoringSpec): string {
    const dir = mkdtempSync(join(tmpdir(), "keel-monitoring-"));
    for (const file of renderMonitoring(spec)) {
        mkdirSync(dirname(join(dir, file.path)), { recursive: true });
        writeFileSync(join(dir, file.path), file.content);
    }
    return dir;
}

describe("promtool and amtool accept the rendered files", () => {
    let dir: string;
    let runs: ToolRun[];
    before(() => {
        dir = writeRendered(exampleSpec());
        runs = checkWithPrometheusTools(dir, ["rules/alerts.yml", "rules/slo.yml"], ["tests/alerts.yml", "tests/slo.yml"]);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const expected: [string, RegExp][] = [
        ["promtool check config prometheus.yml", /SUCCESS: prometheus\.yml is valid prometheus config file syntax/],
        ["promtool check rules --lint-fatal rules/alerts.yml rules/slo.yml", /SUCCESS: 16 rules found[\s\S]*SUCCESS: 22 rules found/],
        ["promtool test rules tests/alerts.yml tests/slo.yml", /tests\/alerts\.yml\s+SUCCESS[\s\S]*tests\/slo\.yml\s+SUCCESS/],
        ["amtool check-config alertmanager.yml", /SUCCESS[\s\S]*3 inhibit rules[\s\S]*4 receivers/],
    ];
    for (const [command, output] of expected) {
        test(command, () => {
            const run = runs.find((r) => r.command === command);
            assert.ok(run, `not run: ${command}`);
            assert.equal(run.status, 0, run.output);
            assert.match(run.output, output);
        });
    }

    // kube-prometheus-stack labels Watchdog and InfoInhibitor severity "none".
    const routes: [string[], string][] = [
        [["alertname=Test", "severity=critical"], "critical"],
        [["alertname=Test", "severity=warning"], "warning"],
        [["alertname=Test", "severity=info"], "warning"],
        [["alertname=Watchdog", "severity=none"], "heartbeat"],
        [["alertname=Watchdog", "severity=critical"], "heartbeat"],
        [["alertname=InfoInhibitor", "severity=none"], "null"],
    ];
    for (const [labels, receiver] of routes) {
        test(`amtool routes ${labels.join(",")} alerts to ${receiver}`, () => {
            const run = runTool("amtool", ["config", "routes", "test", "--config.file=alertmanager.yml", ...labels], dir);
            assert.equal(run.output.split("\n")[0].trim(), receiver);
        });
    }

    test("a wrong expectation fails promtool test rules (the rendered tests can fail)", () => {
        const tests = parse(readFileSync(join(dir, "tests/alerts.yml"), "utf8")) as { tests: { name: string }[] };
        const cpu = { ...tests, tests: tests.tests.filter((t) => t.name.startsWith("HighCPU")) };
        writeFileSync(join(dir, "tests/broken.yml"), stringify(cpu).replace("CPU of 10.0.1.10:9100 is 85 % busy", "CPU of 10.0.1.10:9100 is 86 % busy"));
        const run = runTool("promtool", ["test", "rules", "tests/broken.yml"], dir);
        assert.notEqual(run.status, 0);
        assert.match(run.output, /HighCPU: 85 % busy[\s\S]*is 86 % busy[\s\S]*is 85 % busy/);
    });
});
