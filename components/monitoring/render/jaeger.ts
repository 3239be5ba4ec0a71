import { portOf, type MonitoringSpec, type TracesSpec } from "./spec";

/**
 * Jaeger v2 (an OpenTelemetry Collector distribution): OTLP in, Badger storage with a span
 * TTL of the retention, the query UI, and remote sampling from a file that serves the guides'
 * 0.1 % probability to every SDK that asks (jaeger cmd/jaeger/config*.yaml, remotesampling and
 * badger config structs).
 */

export const jaegerPaths = {
    config: "/etc/jaeger/config.yml",
    sampling: "/etc/jaeger/sampling-strategies.json",
    /** The image declares /tmp a volume and runs as a non-root user that can write there. */
    data: "/tmp/jaeger",
} as const;

export const jaegerPorts = { otlpGrpc: 4317, otlpHttp: 4318, samplingHttp: 5778, samplingGrpc: 5779, health: 13133, metrics: 8888 } as const;

const store = "traces";

export function jaegerConfig(spec: MonitoringSpec, traces: TracesSpec): Record<string, unknown> {
    const listen = (port: number) => ({ endpoint: `0.0.0.0:${port}` });
    return {
        service: {
            extensions: ["jaeger_storage", "jaeger_query", "remote_sampling", "healthcheckv2"],
            pipelines: { traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] } },
            telemetry: {
                resource: { "service.name": "jaeger" },
                metrics: { level: "detailed", readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: jaegerPorts.metrics } } } }] },
                logs: { level: "info" },
            },
        },
        extensions: {
            healthcheckv2: { use_v2: true, http: listen(jaegerPorts.health) },
            jaeger_query: { storage: { traces: store }, http: listen(portOf(spec.endpoints.jaeger)) },
            jaeger_storage: {
                backends: {
                    [store]: {
                        badger: {
                            directories: { keys: `${jaegerPaths.data}/keys`, values: `${jaegerPaths.data}/values` },
                            ephemeral: false,
                            ttl: { spans: `${traces.retentionDays * 24}h` },
                        },
                    },
                },
            },
            remote_sampling: {
                file: { path: jaegerPaths.sampling, reload_interval: "1m" },
                http: listen(jaegerPorts.samplingHttp),
                grpc: listen(jaegerPorts.samplingGrpc),
            },
        },
        receivers: { otlp: { protocols: { grpc: listen(jaegerPorts.otlpGrpc), http: listen(jaegerPorts.otlpHttp) } } },
        processors: { batch: {} },
        exporters: { jaeger_storage_exporter: { trace_storage: store } },
    };
}

/** The remote sampling strategies file: one probabilistic default for every service. */
export function jaegerSampling(traces: TracesSpec): Record<string, unknown> {
    return { default_strategy: { type: "probabilistic", param: traces.samplingRate } };
}
