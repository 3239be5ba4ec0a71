import type { MonitoringSpec } from "./spec";

/**
 * A spec that exercises every renderer branch, for the tests: two applications with
 * different thresholds (one pages at 1 %, one only warns), EC2 discovery in two regions,
 * every exporter, an HTTPS probe, both SLOs, two backups, every receiver, logs and traces.
 */
export function exampleSpec(): MonitoringSpec {
    const ec2 = (port: number) => ({ kind: "ec2" as const, regions: ["us-east-1", "us-west-2"], port, tags: { environment: "example", service: "shop" } });
    return {
        environment: "example",
        scrapeIntervalSeconds: 15,
        retention: { days: 15, sizeGb: 100 },
        endpoints: {
            prometheus: "prometheus:9090",
            alertmanager: "alertmanager:9093",
            grafana: "grafana:3000",
            loki: "loki:3100",
            jaeger: "jaeger:16686",
            blackbox: "blackbox-exporter:9115",
        },
        applications: [
            { name: "api", targets: ec2(3000), metricsPath: "/metrics", scrapeIntervalSeconds: 5, errorRatio: { warning: 0.05, critical: 0.01 } },
            { name: "worker", targets: { kind: "static", addresses: ["worker-1:8080", "worker-2:8080"] }, metricsPath: "/api/metrics", scrapeIntervalSeconds: 10, errorRatio: { warning: 0.02, critical: 0.1 } },
        ],
        exporters: {
            node: ec2(9100),
            postgres: { kind: "static", addresses: ["postgres-exporter:9187"] },
            redis: { kind: "static", addresses: ["redis-exporter:9121"] },
        },
        probes: { urls: ["https://shop.example.com/health", "http://status.example.com/"] },
        thresholds: { latencyP95Seconds: 2, cpuPercent: 80, memoryPercent: 85, diskPercent: 90, databaseConnectionsPercent: 80, replicaLagSeconds: 300, certificateExpiryDays: 30 },
        slos: [
            { name: "availability", kind: "availability", objective: 0.999 },
            { name: "latency", kind: "latency", objective: 0.99, latencyThresholdSeconds: 0.5 },
        ],
        sloPeriodDays: 15,
        backups: { names: ["database-dumps", "uploads"], maxAgeHours: 26, pushgateway: "pushgateway:9091" },
        runbookBaseUrl: "https://github.com/keel-platform/keel/blob/main/docs/runbooks",
        alerting: {
            pagerduty: { routingKeyFile: "/etc/alertmanager/secrets/pagerduty-routing-key" },
            slack: { apiUrlFile: "/etc/alertmanager/secrets/slack-webhook-url", criticalChannel: "#alerts-critical", warningChannel: "#alerts-warning" },
            email: { to: "oncall@example.com", from: "alertmanager@example.com", smarthost: "smtp.example.com:587", username: "alertmanager", passwordFile: "/etc/alertmanager/secrets/smtp-password" },
            heartbeat: { urlFile: "/etc/alertmanager/secrets/heartbeat-url" },
        },
        grafana: { autoscaling: { cpuTargetPercent: 70, memoryTargetPercent: 80, minInstances: 2, maxInstances: 10 } },
        logs: { retentionDays: 90, securityRetentionDays: 365, debugRetentionDays: 14, storage: { kind: "s3", bucket: "shop-example-loki", region: "us-east-1" }, collector: "kubernetes" },
        traces: { samplingRate: 0.001, retentionDays: 7 },
    };
}
