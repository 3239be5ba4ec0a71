import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, test } from "node:test";
import { exampleSpec } from "../components/monitoring/render/example-spec";
import { renderMonitoring } from "../components/monitoring/render";
import { metricNamesOf, metricUses, PromqlError, stalePublishedMetricProblems, unexportedMetricProblems, withoutGrafanaVariables } from "./promql-metrics";
import { publishedMetrics, type PublishedMetric } from "../components/monitoring/render/published-metrics";

const files = renderMonitoring(exampleSpec());
const uses = metricUses(files);
const metricsRead = [...new Set(uses.map((u) => u.metric))].sort();

describe("metric names of a PromQL expression", () => {
    test("selectors, range selectors and __name__ matchers; never label, function or recorded-label names", () => {
        const cases: [string, string[]][] = [
            ["up == 0", ["up"]],
            ['sum by (job) (rate(http_requests_total{job="app",status=~"5.."}[5m])) / on (job) group_left sum by (job) (rate(http_requests_total[5m]))', ["http_requests_total"]],
            ["histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))", ["http_request_duration_seconds_bucket"]],
            ['absent(keel_backup_last_success_timestamp_seconds{backup="db"}) or vector(0)', ["keel_backup_last_success_timestamp_seconds"]],
            ["probe_ssl_earliest_cert_expiry - time() < 30 * 86400", ["probe_ssl_earliest_cert_expiry"]],
            ['{__name__="pg_up", instance="a"} offset 5m', ["pg_up"]],
            [`{'__name__'='pg_up'}`, ["pg_up"]],
            ['{"__name__"="node_load1"}', ["node_load1"]],
            ['{"http.server.duration", job="app"}', ["http.server.duration"]],
            ["max_over_time(node_load1[1h:5m]) > bool 2", ["node_load1"]],
        ];
        for (const [expr, names] of cases) assert.deepEqual(metricNamesOf(expr), names, expr);
    });

    test("refuses what it cannot read: a syntax error, a name matched by a regex or a negation", () => {
        for (const expr of ["rate(up[5m]", "up{job=}", '{__name__=~"node_.*"}', '{__name__!="up"}']) {
            assert.throws(() => metricNamesOf(expr), (error: unknown) => error instanceof PromqlError && error.message.endsWith(`in PromQL: ${expr}`), expr);
        }
    });

    test("Grafana's interval variables are replaced before parsing; without that the query does not parse", () => {
        const panel = "sum(rate(http_requests_total[$__rate_interval])) / ${__range_s} + increase(up[[[__interval]]])";
        assert.equal(withoutGrafanaVariables(panel), "sum(rate(http_requests_total[1m])) / 3600 + increase(up[1m])");
        assert.deepEqual(metricNamesOf(withoutGrafanaVariables(panel)).sort(), ["http_requests_total", "up"]);
        assert.throws(() => metricNamesOf(panel), PromqlError);
        // A dashboard's own variable inside a label value changes no name.
        assert.equal(withoutGrafanaVariables('up{job=~"$job"}'), 'up{job=~"$job"}');
    });
});

describe("metric names the rendered rules and dashboards read", () => {
    test("the exporters', the applications' and the dump job's; not the names Keel's recording rules produce", () => {
        assert.deepEqual(metricsRead, [
            "http_request_duration_seconds_bucket",
            "http_request_duration_seconds_count",
            "http_requests_total",
            "keel_backup_last_success_timestamp_seconds",
            "node_cpu_seconds_total",
            "node_filesystem_avail_bytes",
            "node_filesystem_size_bytes",
            "node_memory_MemAvailable_bytes",
            "node_memory_MemTotal_bytes",
            "pg_replication_lag_seconds",
            "pg_settings_max_connections",
            "pg_stat_activity_count",
            "pg_stat_database_blks_hit",
            "pg_stat_database_blks_read",
            "pg_stat_database_xact_commit",
            "pg_stat_database_xact_rollback",
            "pg_up",
            "probe_ssl_earliest_cert_expiry",
            "probe_success",
            "redis_memory_max_bytes",
            "redis_memory_used_bytes",
            "redis_up",
            "up",
        ]);
        assert.ok(!metricsRead.some((m) => m.startsWith("slo:")));
    });

    test("each use says where it is read: rule file, group and alert or record, or dashboard, panel and query", () => {
        const sources = (metric: string) => uses.filter((u) => u.metric === metric).map((u) => u.source);
        assert.deepEqual(sources("node_memory_MemAvailable_bytes"), [
            "rules/alerts.yml group keel-hosts, alert HighMemory",
            'grafana/dashboards/keel-capacity.json panel "Average memory vs the 80 % scaling target" query A',
        ]);
        assert.ok(sources("http_request_duration_seconds_count").includes("rules/slo.yml group slo-latency, record slo:sli_error:ratio_rate5m"));
    });
});

describe("the check against what was scraped", () => {
    const scraped = ["node (node exporter)", "postgres (postgres_exporter)", "blackbox-http (blackbox exporter)"];
    const exportedNames = new Set(metricsRead.filter((m) => !publishedMetrics.some((p) => p.name === m)));

    test("passes when every name read is exported or listed as published", () => {
        assert.deepEqual(unexportedMetricProblems(uses, exportedNames, publishedMetrics, scraped), []);
        assert.deepEqual(stalePublishedMetricProblems(uses, publishedMetrics), []);
    });

    test("a rule on a misspelt metric: the metric, the rule and the scraped exporters in one message", () => {
        const broken = files.map((f) => (f.path === "rules/alerts.yml" ? { ...f, content: f.content.replaceAll("node_memory_MemAvailable_bytes", "node_memory_MemAvailable_byte") } : f));
        assert.deepEqual(unexportedMetricProblems(metricUses(broken), exportedNames, publishedMetrics, scraped), [
            "node_memory_MemAvailable_byte is read by rules/alerts.yml group keel-hosts, alert HighMemory, but none of the scraped jobs exports it (node (node exporter), postgres (postgres_exporter), blackbox-http (blackbox exporter)) and no publisher lists it",
        ]);
        const inTwoEnvironments = ["staging", "production"].flatMap((environment) => metricUses(broken).map((use) => ({ ...use, environment })));
        assert.match(unexportedMetricProblems(inTwoEnvironments, exportedNames, publishedMetrics, scraped)[0], /^node_memory_MemAvailable_byte is read by rules\/alerts\.yml group keel-hosts, alert HighMemory \(staging, production\), but/);
    });

    test("a published metric is accepted only while listed, and a listed one nothing reads is stale", () => {
        const withoutDumpJob = publishedMetrics.filter((p) => p.name !== "keel_backup_last_success_timestamp_seconds");
        const withoutIt = new Set([...exportedNames]);
        assert.match(unexportedMetricProblems(uses, withoutIt, withoutDumpJob, scraped).join("\n"), /^keel_backup_last_success_timestamp_seconds is read by rules\/alerts\.yml group keel-backups, alert BackupMissing; grafana\/dashboards\/keel-database\.json panel "Last successful backup \(age\)" query A, but/);
        const stale: PublishedMetric = { name: "keel_backup_last_size_bytes", publisher: "the dump job", reason: "pushed with the success" };
        assert.deepEqual(stalePublishedMetricProblems(uses, [...publishedMetrics, stale]), ["keel_backup_last_size_bytes (published by the dump job) is read by no rule or dashboard: remove it from the list"]);
    });

    test("docs/alerting.md lists every published metric for the team", () => {
        const doc = readFileSync(resolve(__dirname, "../docs/alerting.md"), "utf8");
        const start = doc.indexOf("## Metrics the rules read");
        assert.ok(start >= 0, "docs/alerting.md has no section on the metrics the rules read");
        const section = doc.slice(start);
        for (const metric of publishedMetrics) assert.ok(section.includes(`\`${metric.name}\``), `docs/alerting.md does not list ${metric.name}`);
    });
});
