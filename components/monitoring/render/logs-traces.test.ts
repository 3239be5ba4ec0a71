import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { z } from "zod";
import { exampleSpec } from "./example-spec";
import { alloyBlocks, renderMonitoring, RiverExpression, type MonitoringSpec, type RiverBlock, type RiverValue } from "./index";

/**
 * No Loki, Alloy or Jaeger validator runs here, so their files are checked against the schemas
 * their references document, as strict schemas: a misspelt or misplaced key fails. Sources:
 * Loki 3.7 configuration reference and "Log retention"; Alloy 1.18 component reference
 * (arguments, blocks, exports); Jaeger 2.20 cmd/jaeger config files and the Go config structs
 * of jaeger_storage (badger), jaeger_query, remote_sampling.
 */

const local: MonitoringSpec = {
    ...exampleSpec(),
    environment: "local",
    logs: { retentionDays: 7, securityRetentionDays: 365, debugRetentionDays: 14, storage: { kind: "filesystem" }, collector: "docker" },
};
const cloud = exampleSpec();
const fileOf = (spec: MonitoringSpec, path: string) => {
    const found = renderMonitoring(spec).find((f) => f.path === path);
    assert.ok(found, path);
    return found.content;
};

const duration = z.string().regex(/^(\d+(ms|s|m|h))+$/, { error: "expected a Go duration such as 24h" });
const hostPort = z.string().regex(/^[\w.-]+:\d+$/);

describe("loki.yml (Loki 3)", () => {
    const filesystem = z.strictObject({ chunks_directory: z.string(), rules_directory: z.string() });
    const s3 = z.strictObject({ region: z.string(), bucketnames: z.string(), s3forcepathstyle: z.boolean(), insecure: z.boolean() });
    const schema = z.strictObject({
        auth_enabled: z.boolean(),
        server: z.strictObject({ http_listen_port: z.number().int(), grpc_listen_port: z.number().int(), log_level: z.enum(["debug", "info", "warn", "error"]) }),
        common: z.strictObject({
            instance_addr: z.string(),
            path_prefix: z.string(),
            storage: z.union([z.strictObject({ filesystem }), z.strictObject({ s3 })]),
            replication_factor: z.number().int(),
            ring: z.strictObject({ kvstore: z.strictObject({ store: z.enum(["inmemory", "memberlist", "consul", "etcd"]) }) }),
        }),
        schema_config: z.strictObject({
            configs: z.array(z.strictObject({
                from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
                store: z.literal("tsdb"),
                object_store: z.enum(["filesystem", "s3"]),
                schema: z.literal("v13"),
                // Retention only works with a 24h index period.
                index: z.strictObject({ prefix: z.string(), period: z.literal("24h") }),
            })).length(1),
        }),
        storage_config: z.strictObject({ tsdb_shipper: z.strictObject({ active_index_directory: z.string(), cache_location: z.string() }) }),
        compactor: z.strictObject({
            working_directory: z.string(),
            compaction_interval: duration,
            retention_enabled: z.literal(true),
            retention_delete_delay: duration,
            retention_delete_worker_count: z.number().int().positive(),
            delete_request_store: z.enum(["filesystem", "s3"]),
        }),
        limits_config: z.strictObject({
            retention_period: duration,
            // Selectors may only hold label matchers (Loki docs).
            retention_stream: z.array(z.strictObject({ selector: z.string().regex(/^\{\w+(=|=~|!=|!~)"[^"]*"(,\s*\w+(=|=~|!=|!~)"[^"]*")*\}$/), priority: z.number().int(), period: duration })),
            allow_structured_metadata: z.boolean(),
            volume_enabled: z.boolean(),
        }),
        analytics: z.strictObject({ reporting_enabled: z.boolean() }),
    });

    const cases: [string, MonitoringSpec, string, string][] = [["a laptop (filesystem)", local, "filesystem", "168h"], ["the cloud (S3)", cloud, "s3", "2160h"]];
    for (const [name, spec, store, retention] of cases) {
        test(`${name}: matches the documented schema; TSDB v13 and the compactor's delete store on ${store}`, () => {
            const config = schema.parse(parse(fileOf(spec, "loki.yml")));
            assert.equal(config.schema_config.configs[0].object_store, store);
            assert.equal(config.compactor.delete_request_store, store);
            assert.equal(config.limits_config.retention_period, retention);
        });
    }

    test("retention: 90 d by default, security streams 1 y, debug streams 14 d, security first", () => {
        const config = schema.parse(parse(fileOf(cloud, "loki.yml")));
        assert.deepEqual(config.limits_config.retention_stream, [
            { selector: '{log_type="security"}', priority: 2, period: "8760h" },
            { selector: '{level=~"(?i)debug"}', priority: 1, period: "336h" },
        ]);
        assert.deepEqual(config.common.storage, { s3: { region: "us-east-1", bucketnames: "shop-example-loki", s3forcepathstyle: false, insecure: false } });
    });
});

describe("config.alloy (Grafana Alloy)", () => {
    interface Component {
        readonly required: readonly string[];
        readonly optional?: readonly string[];
        readonly blocks?: Readonly<Record<string, { required: readonly string[]; optional?: readonly string[] }>>;
        readonly exports: readonly string[];
    }
    const stage = { required: [] as string[], optional: ["expressions", "values", "source", "drop_malformed"] };
    const components: Readonly<Record<string, Component>> = {
        "discovery.docker": { required: ["host"], optional: ["port", "refresh_interval", "match_first_network"], exports: ["targets"] },
        "discovery.kubernetes": { required: ["role"], optional: ["api_server", "kubeconfig_file"], exports: ["targets"] },
        "discovery.relabel": {
            required: ["targets"],
            blocks: { rule: { required: [], optional: ["source_labels", "separator", "regex", "modulus", "target_label", "replacement", "action"] } },
            exports: ["output", "rules"],
        },
        "loki.source.docker": { required: ["host", "targets", "forward_to", "labels"], optional: ["relabel_rules", "refresh_interval"], exports: [] },
        "loki.source.kubernetes": { required: ["targets", "forward_to"], exports: [] },
        "local.file_match": { required: ["path_targets"], optional: ["sync_period", "ignore_older_than"], exports: ["targets"] },
        "loki.source.file": { required: ["targets", "forward_to"], optional: ["encoding", "tail_from_end"], exports: [] },
        "loki.relabel": { required: ["forward_to"], optional: ["max_cache_size"], blocks: { rule: { required: [], optional: ["source_labels", "separator", "regex", "modulus", "target_label", "replacement", "action"] } }, exports: ["receiver", "rules"] },
        "loki.source.journal": { required: ["forward_to"], optional: ["format_as_json", "max_age", "path", "relabel_rules", "matches", "labels"], exports: [] },
        "loki.process": { required: ["forward_to"], blocks: { "stage.json": stage, "stage.labels": stage }, exports: ["receiver"] },
        "loki.write": { required: [], optional: ["external_labels", "max_streams"], blocks: { endpoint: { required: ["url"], optional: ["name", "batch_wait", "batch_size"] } }, exports: ["receiver"] },
    };

    function references(value: RiverValue): string[] {
        if (value instanceof RiverExpression) return [value.text];
        if (Array.isArray(value)) return value.flatMap(references);
        if (typeof value === "object") return Object.values(value as Record<string, RiverValue>).flatMap(references);
        return [];
    }

    function problems(blocks: readonly RiverBlock[]): string[] {
        const found: string[] = [];
        const declared = new Map(blocks.map((b) => [`${b.name}.${b.label ?? ""}`, b.name]));
        for (const block of blocks) {
            const where = `${block.name} "${block.label ?? ""}"`;
            const known = components[block.name];
            if (known === undefined || block.label === undefined) {
                found.push(`${where}: not a documented component (or no label)`);
                continue;
            }
            const attributes = Object.keys(block.attributes ?? {});
            for (const key of known.required) if (!attributes.includes(key)) found.push(`${where}: missing ${key}`);
            for (const key of attributes) if (![...known.required, ...(known.optional ?? [])].includes(key)) found.push(`${where}: unknown argument ${key}`);
            for (const inner of block.blocks ?? []) {
                const innerKnown = known.blocks?.[inner.name];
                if (innerKnown === undefined) {
                    found.push(`${where}: unknown block ${inner.name}`);
                    continue;
                }
                const innerAttributes = Object.keys(inner.attributes ?? {});
                for (const key of innerKnown.required) if (!innerAttributes.includes(key)) found.push(`${where} ${inner.name}: missing ${key}`);
                for (const key of innerAttributes) if (![...innerKnown.required, ...(innerKnown.optional ?? [])].includes(key)) found.push(`${where} ${inner.name}: unknown argument ${key}`);
            }
            for (const reference of Object.values(block.attributes ?? {}).flatMap(references)) {
                const parts = reference.split(".");
                const [exported, label] = [parts.pop() ?? "", parts.pop() ?? ""];
                const target = declared.get(`${parts.join(".")}.${label}`);
                if (target === undefined) found.push(`${where}: ${reference} names no component`);
                else if (!(components[target]?.exports ?? []).includes(exported)) found.push(`${where}: ${target} exports no ${exported}`);
            }
        }
        return found;
    }

    const cases: [string, MonitoringSpec, string[]][] = [
        ["Docker", local, ["discovery.docker", "discovery.relabel", "loki.source.docker", "local.file_match", "loki.source.file", "loki.process", "loki.write"]],
        ["Kubernetes", cloud, ["discovery.kubernetes", "discovery.relabel", "loki.source.kubernetes", "loki.relabel", "loki.source.journal", "loki.process", "loki.write"]],
    ];
    for (const [name, spec, expected] of cases) {
        test(`${name}: documented components, arguments and exports only; every reference resolves`, () => {
            const logs = spec.logs;
            assert.ok(logs);
            const blocks = alloyBlocks(spec, logs);
            assert.deepEqual(blocks.map((b) => b.name), expected);
            assert.deepEqual(problems(blocks), []);
        });
    }

    test("the structural check catches a misspelt argument and a dangling reference", () => {
        const broken: RiverBlock[] = [
            { name: "loki.source.file", label: "host", attributes: { target: new RiverExpression("local.file_match.host.targets"), forward_to: [new RiverExpression("loki.process.logs.receiver")] } },
        ];
        assert.deepEqual(problems(broken), [
            'loki.source.file "host": missing targets',
            'loki.source.file "host": unknown argument target',
            'loki.source.file "host": local.file_match.host.targets names no component',
            'loki.source.file "host": loki.process.logs.receiver names no component',
        ]);
    });

    test("Kubernetes: host logs come from the node's journal (AL2023 has no syslog files), authentication facilities as security", () => {
        const text = fileOf(cloud, "config.alloy");
        assert.doesNotMatch(text, /__path__|\/var\/log\/host/, "EKS nodes have no /var/log/host, auth.log or secure");
        assert.match(text, /loki\.source\.journal "host" \{\n\s+path = "\/var\/log\/journal"/);
        // The catch-all comes first: relabel rules apply in order, so authentication entries end up "security".
        assert.match(text, /rule \{\n\s+target_label = "log_type"\n\s+replacement = "system"\n\s+\}\n\s+rule \{\n\s+source_labels = \["__journal_syslog_facility"\]\n\s+regex = "4\|10"\n\s+target_label = "log_type"\n\s+replacement = "security"/);
    });

    test("the text: balanced braces, quoted labels, pushes to Loki with the environment label", () => {
        const text = fileOf(local, "config.alloy");
        assert.equal((text.match(/\{/g) ?? []).length, (text.match(/\}/g) ?? []).length);
        assert.equal((text.match(/\[/g) ?? []).length, (text.match(/\]/g) ?? []).length);
        for (const line of text.split("\n").filter((l) => /^\S.*\{$/.test(l))) assert.match(line, /^[a-z_.]+ "[a-z_]+" \{$/);
        assert.match(text, /^\s+url = "http:\/\/loki:3100\/loki\/api\/v1\/push"$/m);
        assert.match(text, /external_labels = \{ "environment" = "local" \}/);
        assert.match(text, /"__path__" = "\/var\/log\/host\/\{auth\.log,secure\}", "job" = "host", "log_type" = "security"/);
    });
});

describe("Jaeger v2", () => {
    const listen = z.strictObject({ endpoint: hostPort });
    const schema = z.strictObject({
        service: z.strictObject({
            extensions: z.array(z.string()),
            pipelines: z.strictObject({ traces: z.strictObject({ receivers: z.array(z.string()), processors: z.array(z.string()), exporters: z.array(z.string()) }) }),
            telemetry: z.strictObject({
                resource: z.record(z.string(), z.string()),
                metrics: z.strictObject({ level: z.enum(["none", "basic", "normal", "detailed"]), readers: z.array(z.unknown()) }),
                logs: z.strictObject({ level: z.enum(["debug", "info", "warn", "error"]) }),
            }),
        }),
        extensions: z.strictObject({
            healthcheckv2: z.strictObject({ use_v2: z.literal(true), http: listen }),
            jaeger_query: z.strictObject({ storage: z.strictObject({ traces: z.string() }), http: listen }),
            jaeger_storage: z.strictObject({
                backends: z.record(z.string(), z.strictObject({
                    badger: z.strictObject({
                        directories: z.strictObject({ keys: z.string(), values: z.string() }),
                        ephemeral: z.boolean(),
                        ttl: z.strictObject({ spans: duration }),
                    }),
                })),
            }),
            remote_sampling: z.strictObject({
                file: z.strictObject({ path: z.string(), reload_interval: duration }),
                http: listen,
                grpc: listen,
            }),
        }),
        receivers: z.strictObject({ otlp: z.strictObject({ protocols: z.strictObject({ grpc: listen, http: listen }) }) }),
        processors: z.strictObject({ batch: z.strictObject({}) }),
        exporters: z.strictObject({ jaeger_storage_exporter: z.strictObject({ trace_storage: z.string() }) }),
    });
    const config = schema.parse(parse(fileOf(cloud, "jaeger.yml")));

    test("matches the documented schema; every pipeline component and extension is defined", () => {
        const { service } = config;
        for (const name of service.extensions) assert.ok(name in config.extensions, name);
        for (const name of service.pipelines.traces.receivers) assert.ok(name in config.receivers, name);
        for (const name of service.pipelines.traces.processors) assert.ok(name in config.processors, name);
        for (const name of service.pipelines.traces.exporters) assert.ok(name in config.exporters, name);
        const backends = Object.keys(config.extensions.jaeger_storage.backends);
        assert.ok(backends.includes(config.extensions.jaeger_query.storage.traces));
        assert.ok(backends.includes(config.exporters.jaeger_storage_exporter.trace_storage));
    });

    test("spans kept 7 days (168h) on disk; the UI on 16686; sampling served from the mounted file", () => {
        const badger = Object.values(config.extensions.jaeger_storage.backends)[0].badger;
        assert.deepEqual(badger, { directories: { keys: "/tmp/jaeger/keys", values: "/tmp/jaeger/values" }, ephemeral: false, ttl: { spans: "168h" } });
        assert.equal(config.extensions.jaeger_query.http.endpoint, "0.0.0.0:16686");
        assert.equal(config.extensions.remote_sampling.file.path, "/etc/jaeger/sampling-strategies.json");
    });

    test("remote sampling: probabilistic 0.1 % for every service", () => {
        const sampling = z.strictObject({ default_strategy: z.strictObject({ type: z.enum(["probabilistic", "ratelimiting"]), param: z.number().min(0).max(1) }) });
        assert.deepEqual(sampling.parse(JSON.parse(fileOf(cloud, "jaeger-sampling.json"))), { default_strategy: { type: "probabilistic", param: 0.001 } });
    });
});
