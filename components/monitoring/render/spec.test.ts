import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { exampleSpec } from "./example-spec";
import { describeProblem, InvalidArgumentsError } from "../../problems";
import { monitoringSpecProblems, renderMonitoring, type MonitoringSpec } from "./index";

const base = exampleSpec();
const [api, worker] = base.applications;

describe("monitoringSpecProblems", () => {
    test("the example spec has none", () => {
        assert.deepEqual(monitoringSpecProblems(base), []);
    });

    // Each bad spec and the problem it must produce.
    const cases: [string, MonitoringSpec, RegExp][] = [
        ["an upper-case environment", { ...base, environment: "Prod" }, /^environment: expected a lower-case name/],
        ["a zero scrape interval", { ...base, scrapeIntervalSeconds: 0 }, /^scrapeIntervalSeconds: expected 1 to 300/],
        ["fractional retention days", { ...base, retention: { days: 1.5, sizeGb: 10 }, sloPeriodDays: 1 }, /^retention\.days: /],
        ["an endpoint without a port", { ...base, endpoints: { ...base.endpoints, loki: "loki" } }, /^endpoints\.loki: expected host:port/],
        ["no application", { ...base, applications: [] }, /^applications: expected at least one application job/],
        ["two applications of one name", { ...base, applications: [api, { ...worker, name: "api" }] }, /^applications: job names must be unique/],
        ["an application named like a Keel job", { ...base, applications: [{ ...api, name: "node" }] }, /^applications\.node: the job name is one of Keel's own/],
        ["a job name needing regex escapes", { ...base, applications: [{ ...api, name: "a.b" }] }, /^applications\.a\.b: expected letters, digits/],
        ["a relative metrics path", { ...base, applications: [{ ...api, metricsPath: "metrics" }] }, /^applications\.api\.metricsPath: expected an absolute path/],
        ["an error ratio of 5 (not 5 %)", { ...base, applications: [{ ...api, errorRatio: { warning: 5 } }] }, /^applications\.api\.errorRatio\.warning: expected a ratio between 0 and 1, got 5/],
        ["EC2 discovery without a tag filter", { ...base, applications: [{ ...api, targets: { kind: "ec2", regions: ["us-east-1"], port: 3000, tags: {} } }] }, /^applications\.api\.targets: expected at least one tag filter/],
        ["a static target without a port", { ...base, exporters: { node: { kind: "static", addresses: ["node"] } } }, /^exporters\.node: expected host:port, got "node"/],
        ["a probe that is not a URL", { ...base, probes: { urls: ["shop.example.com"] } }, /^probes\.urls: expected an http\(s\) URL/],
        ["a CPU threshold of 100", { ...base, thresholds: { ...base.thresholds, cpuPercent: 100 } }, /^thresholds\.cpuPercent: expected a percentage from 1 to 99/],
        ["two availability SLOs", { ...base, slos: [base.slos[0], { ...base.slos[0], name: "second" }] }, /^slos: expected at most one availability and one latency SLO/],
        ["an objective whose fast burn could never page", { ...base, slos: [{ name: "availability", kind: "availability", objective: 0.9 }] }, /^slos\.availability\.objective: expected more than 0\.9306/],
        ["a latency SLO without threshold", { ...base, slos: [{ name: "latency", kind: "latency", objective: 0.99 }] }, /^slos\.latency\.latencyThresholdSeconds: /],
        ["an SLO period longer than retention", { ...base, sloPeriodDays: 30 }, /^sloPeriodDays: expected 1 to the Prometheus retention \(15 days\), got 30/],
        ["a runbook URL with a trailing slash", { ...base, runbookBaseUrl: "https://example.com/runbooks/" }, /^runbookBaseUrl: /],
        ["a Slack channel without #", { ...base, alerting: { slack: { apiUrlFile: "/s", criticalChannel: "alerts", warningChannel: "#w" } } }, /^alerting\.slack: expected channels such as #alerts/],
        ["a relative credential file", { ...base, alerting: { pagerduty: { routingKeyFile: "secrets/key" } } }, /^alerting: credential files must be absolute paths/],
        ["logs kept 12 hours", { ...base, logs: { retentionDays: 90, securityRetentionDays: 365, debugRetentionDays: 0.5, storage: { kind: "filesystem" }, collector: "docker" } }, /^logs\.debugRetentionDays: expected whole days ≥ 1 \(Loki's minimum retention is 24h\)/],
        ["a sampling rate of 10 %", { ...base, traces: { samplingRate: 10, retentionDays: 7 } }, /^traces\.samplingRate: expected a probability from 0 to 1/],
    ];
    for (const [name, spec, problem] of cases) {
        test(`refuses ${name}`, () => {
            const problems = monitoringSpecProblems(spec).map((p) => describeProblem(p));
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], problem);
        });
    }

    test("renderMonitoring refuses a bad spec with every problem at once", () => {
        const bad = { ...base, scrapeIntervalSeconds: 0, sloPeriodDays: 99 };
        assert.throws(() => renderMonitoring(bad), (error: unknown) => error instanceof InvalidArgumentsError && error.problems.length === 2);
    });
});
