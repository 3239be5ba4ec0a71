import * as pulumi from "@pulumi/pulumi";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
    DockerMonitoring,
    dockerMonitoringEndpoints,
    dockerNodeExporter,
    renderMonitoring,
    type AlertingSpec,
    type MonitoringEndpoints,
    type MonitoringSpec,
    type Targets,
    RegionWatch,
    postgresExporterPort,
    redisExporterPort,
    type PostgresExporterTarget,
} from "../components/monitoring";
import { alarmNotifications } from "./alerting";
import { postgresPort } from "../components/database";
import type { AutoscaledService } from "../components/traffic/autoscaled-service";
import type { DatabaseMonitoringTargets } from "./database";
import type { RegionalProviders } from "./providers";
import { regionCapacity, type KeelConfig } from "./config";
import { switchesOf } from "./environments";
import { databaseDumpsBucket, dumpTier } from "./presets";
import { statefulOptions } from "./providers";
import { standardTags } from "./tags";

/**
 * The monitoring decisions of each environment (DESIGN.md, ops guides): local runs everything
 * as containers; dev has health checks and a basic Prometheus; staging adds Grafana and Loki
 * with short retention; production adds Alertmanager routing and Jaeger. What differs comes
 * from `keel:monitoring` (levels, intervals, retention, sampling, paging) and the environment's
 * switches (stacks/environments.ts: platform, error ratios, Loki's mode).
 */

/** Where the runbooks live; each alert's `runbook_url` is `<base>/<alert-slug>.md` (docs/runbooks). */
export const runbookBaseUrl = "https://github.com/keel-platform/keel/blob/main/docs/runbooks";

/** The guides' application exposes Prometheus metrics on /metrics; its port and health path are `keel:traffic`'s. */
/** The scrape job (and `job` label) of the application. */
export const applicationName = "app";
const metricsPath = "/metrics";

/**
 * Availability 99.9 % everywhere (guides: "99.9 % uptime target"). Not 99.99 %: its monthly
 * budget (4.3 min) is smaller than one failover within the 15-minute RTO. Latency: 99 % of
 * requests within the guides' 2 s.
 */
const slos: MonitoringSpec["slos"] = [
    { name: "availability", kind: "availability", objective: 0.999 },
    { name: "latency", kind: "latency", objective: 0.99, latencyThresholdSeconds: 2 },
];

/**
 * Where Prometheus reaches the monitoring components in the cloud: Kubernetes services in the
 * `monitoring` namespace (the Kubernetes backend names its releases to match).
 */
/** Where backup jobs on the cluster push their last success (KubernetesMonitoring's Pushgateway). */
export const kubernetesPushgateway = "pushgateway.monitoring.svc:9091";

function kubernetesEndpoints(config: KeelConfig): MonitoringEndpoints {
    return {
        prometheus: "prometheus.monitoring.svc:9090",
        alertmanager: "alertmanager.monitoring.svc:9093",
        grafana: "grafana.monitoring.svc:3000",
        loki: "loki.monitoring.svc:3100",
        // In simple scalable mode `loki` is the gateway, which serves the API but not /metrics;
        // the read path's Service does.
        ...(switchesOf(config).monitoring.lokiMode === "simple-scalable" ? { lokiMetrics: "loki-read.monitoring.svc:3100" } : {}),
        jaeger: "jaeger.monitoring.svc:16686",
        blackbox: "blackbox-exporter.monitoring.svc:9115",
    };
}

/** The PostgreSQL exporters on Kubernetes (stacks/kubernetes.ts deploys them under these names). */
export const postgresExporterNames = { writer: "postgres-exporter", replica: "postgres-exporter-replica" } as const;

/** The redis exporters' releases: the primary region's cache and, with a Global Datastore secondary, the DR region's. */
export const redisExporterNames = { primary: "redis-exporter", dr: "redis-exporter-dr" } as const;

export function redisExporterServices(config: KeelConfig): string[] {
    return [redisExporterNames.primary, ...(config.cache.replicaInDr ? [redisExporterNames.dr] : [])];
}

/**
 * The exporters: the writer's always, the replica's where one streams (its lag is measured
 * there): the standby container on Docker, or RDS's DR replica (Aurora's lag is CloudWatch's).
 */
function postgresExporterServices(config: KeelConfig): string[] {
    const replica = switchesOf(config).platform === "docker" || (config.database.replicaInDr && config.database.engine === "postgres");
    return [postgresExporterNames.writer, ...(replica ? [postgresExporterNames.replica] : [])];
}

/** Alertmanager's credentials: files mounted from secrets, never values in the rendered file. */
export const alertmanagerSecretFiles = {
    pagerdutyRoutingKey: "/etc/alertmanager/secrets/pagerduty-routing-key",
    slackWebhookUrl: "/etc/alertmanager/secrets/slack-webhook-url",
    smtpPassword: "/etc/alertmanager/secrets/smtp-password",
    heartbeatUrl: "/etc/alertmanager/secrets/heartbeat-url",
} as const;

/** The on-call receivers of a paging environment (guides): PagerDuty for critical, Slack channels per severity, email through SES. */
function onCallAlerting(config: KeelConfig): AlertingSpec {
    const domain = config.dns.domain;
    return {
        pagerduty: { routingKeyFile: alertmanagerSecretFiles.pagerdutyRoutingKey },
        slack: { apiUrlFile: alertmanagerSecretFiles.slackWebhookUrl, criticalChannel: "#alerts-critical", warningChannel: "#alerts-warning" },
        email: {
            to: `oncall@${domain}`,
            from: `alertmanager@${domain}`,
            // Amazon SES SMTP endpoint of the primary region; STARTTLS on 587.
            smarthost: `email-smtp.${config.regions.primary}.amazonaws.com:587`,
            // The SES SMTP user name is an identifier, not a secret; its password is a file.
            username: "keel-alertmanager",
            passwordFile: alertmanagerSecretFiles.smtpPassword,
        },
    };
}

/**
 * What BackupMissing watches where the environment keeps database dumps: the newest dump must
 * be younger than the freshness of the tier every run of the dump job writes (stacks/presets.ts:
 * daily 26 h, weekly 8 d + 2 h).
 */
function databaseDumpBackups(config: KeelConfig): MonitoringSpec["backups"] {
    const dumps = config.backup.enabled ? switchesOf(config).backup.buckets.find((b) => b.name === databaseDumpsBucket) : undefined;
    if (dumps === undefined) return undefined;
    const { prefix } = dumpTier(config.backup.schedule);
    const maxAgeHours = dumps.freshness?.[prefix];
    if (maxAgeHours === undefined) throw new Error(`stacks/presets.ts: the ${databaseDumpsBucket} bucket states no freshness for ${prefix}, which BackupMissing follows`);
    return { names: [databaseDumpsBucket], maxAgeHours, pushgateway: kubernetesPushgateway };
}

/** The monitoring spec of an environment. */
export function monitoringSpec(config: KeelConfig): MonitoringSpec {
    const { environment, monitoring, regions, compute } = config;
    const switches = switchesOf(config);
    const onDocker = switches.platform === "docker";
    const standard = monitoring.level !== "basic";
    const full = monitoring.level === "full";
    // In AWS the autoscaled instances are found by the tags they are launched with.
    const ec2 = (port: number): Targets => ({
        kind: "ec2",
        regions: [regions.primary, ...(regions.dr !== undefined ? [regions.dr] : [])],
        port,
        tags: { environment, service: config.tags.service },
    });
    const inCluster = (names: readonly string[], port: number): Targets => ({ kind: "static", addresses: names.map((name) => `${name}.monitoring.svc:${port}`) });
    const onNetwork = (address: string): Targets => ({ kind: "static", addresses: [address] });
    const { appPort, healthCheckPath } = config.traffic;
    const probeUrl = onDocker ? `http://${applicationName}:${appPort}${healthCheckPath}` : `https://${config.dns.domain}${healthCheckPath}`;
    const retentionDays = monitoring.retentionDays;
    const backups = databaseDumpBackups(config);
    return {
        environment,
        scrapeIntervalSeconds: monitoring.scrapeIntervalSeconds,
        retention: { days: retentionDays, sizeGb: monitoring.retentionSizeGb },
        endpoints: onDocker ? dockerMonitoringEndpoints : kubernetesEndpoints(config),
        applications: [{
            name: applicationName,
            targets: onDocker ? onNetwork(`${applicationName}:${appPort}`) : ec2(appPort),
            metricsPath,
            scrapeIntervalSeconds: monitoring.applicationScrapeIntervalSeconds,
            errorRatio: switches.monitoring.errorRatio,
        }],
        exporters: {
            node: onDocker ? onNetwork(dockerNodeExporter) : ec2(9100),
            postgres: onDocker
                ? { kind: "static", addresses: postgresExporterServices(config).map((name) => `${name}:${postgresExporterPort}`) }
                : inCluster(postgresExporterServices(config), postgresExporterPort),
            // A cache on AWS only: one exporter per region's cache, in the cluster (the DR one over the peering).
            ...(!onDocker && config.cache.enabled ? { redis: inCluster(redisExporterServices(config), redisExporterPort) } : {}),
        },
        probes: { urls: [probeUrl] },
        thresholds: {
            latencyP95Seconds: 2,
            cpuPercent: 80,
            memoryPercent: 85,
            diskPercent: 90,
            databaseConnectionsPercent: 80,
            // ReplicaLag fires above the recovery point objective (production 5 min).
            replicaLagSeconds: config.database.rpoSeconds,
            certificateExpiryDays: 30,
        },
        slos,
        // A month where retention allows; never more than Prometheus keeps.
        sloPeriodDays: Math.min(30, retentionDays),
        ...(backups ? { backups } : {}),
        runbookBaseUrl,
        ...(full
            ? {
                alerting: {
                    ...(monitoring.paging ? onCallAlerting(config) : {}),
                    ...(monitoring.heartbeat ? { heartbeat: { urlFile: alertmanagerSecretFiles.heartbeatUrl } } : {}),
                },
            }
            : {}),
        ...(standard
            ? {
                grafana: {
                    autoscaling: {
                        cpuTargetPercent: compute.cpuTargetPercent,
                        memoryTargetPercent: compute.memoryTargetPercent,
                        minInstances: compute.minSize,
                        maxInstances: compute.maxSize,
                    },
                },
                logs: {
                    retentionDays: monitoring.logRetentionDays,
                    securityRetentionDays: monitoring.securityLogRetentionDays,
                    debugRetentionDays: monitoring.debugLogRetentionDays,
                    storage: onDocker ? { kind: "filesystem" } : { kind: "s3", bucket: `${config.tags.service}-${environment}-loki`, region: regions.primary },
                    collector: onDocker ? "docker" : "kubernetes",
                },
            }
            : {}),
        ...(full ? { traces: { samplingRate: monitoring.traceSamplingRate, retentionDays: monitoring.traceRetentionDays } } : {}),
    };
}

/**
 * Writes the environment's rendered monitoring configuration under `<outDir>/monitoring/`
 * (for `npm run plan -- <env> --out DIR`) and returns the files written.
 */
export function writeMonitoringFiles(config: KeelConfig, outDir: string): string[] {
    return renderMonitoring(monitoringSpec(config)).map((file) => {
        const path = join(outDir, "monitoring", file.path);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, file.content);
        return path;
    });
}

/** What the local database containers publish: their names on the network and the credentials document (a secret JSON). */
export interface LocalDatabaseConnection {
    readonly writerEndpoint: pulumi.Output<string>;
    readonly readerEndpoint: pulumi.Output<string>;
    readonly port: pulumi.Output<number>;
    readonly secret: pulumi.Output<string>;
}

/** Exporters of the local writer and its streaming replica (plain connections: the containers run no TLS). */
function localPostgresExporters(database: LocalDatabaseConnection): PostgresExporterTarget[] {
    const document = database.secret.apply((text) => JSON.parse(text) as { dbname: string; username: string; password: string });
    const exporter = (name: string, host: pulumi.Output<string>): PostgresExporterTarget => ({
        name,
        host,
        port: postgresPort,
        database: document.apply((d) => d.dbname),
        sslmode: "disable",
        credentials: pulumi.secret(document.apply(({ username, password }) => ({ username, password }))),
    });
    return [exporter(postgresExporterNames.writer, database.writerEndpoint), exporter(postgresExporterNames.replica, database.readerEndpoint)];
}

/** The local stack's monitoring: every component as a container on the stack's Docker network. */
export function localMonitoring(config: KeelConfig, networkName: pulumi.Input<string>, database?: LocalDatabaseConnection) {
    const monitoring = new DockerMonitoring("monitoring", {
        spec: monitoringSpec(config),
        networkName,
        labels: standardTags(config),
        ...(database ? { postgresExporters: localPostgresExporters(database) } : {}),
    }, statefulOptions(config));
    return {
        grafanaUrl: monitoring.grafanaUrl,
        grafanaAdminPassword: monitoring.grafanaAdminPassword,
        prometheusUrl: monitoring.prometheusUrl,
        alertmanagerUrl: monitoring.alertmanagerUrl,
        lokiUrl: monitoring.lokiUrl,
        jaegerUrl: monitoring.jaegerUrl,
    };
}

/** The DR region's own watch (RegionWatch) exists where a paging environment serves from a DR region. */
export function watchesDrRegion(config: KeelConfig): boolean {
    return config.regions.dr !== undefined && config.monitoring.paging && config.compute.drMaxSize > 0;
}

/**
 * CloudWatch alarms in the DR region that page through PagerDuty with no help from the primary
 * region or the monitoring cluster in it: the DR load balancer's healthy targets (the pilot
 * light, or production capacity in DR mode) and, while it replicates, the DR replica's lag.
 * PagerDuty's CloudWatch integration URL is secret config `alerting:pagerdutyCloudwatchUrl`.
 */
export function drRegionWatch(
    config: KeelConfig,
    providers: RegionalProviders,
    drService: AutoscaledService | undefined,
    database: DatabaseMonitoringTargets,
): RegionWatch | undefined {
    if (!watchesDrRegion(config) || providers.dr === undefined || drService === undefined) return undefined;
    return new RegionWatch("dr-watch", {
        notifications: alarmNotifications(config),
        loadBalancer: { dimensions: drService.metricDimensions, minHealthyTargets: Math.max(1, regionCapacity(config).dr.minSize) },
        ...(database.drReplicaIdentifier ? { replica: { instanceIdentifier: database.drReplicaIdentifier, maxLagSeconds: config.database.rpoSeconds } } : {}),
        tags: standardTags(config),
    }, { provider: providers.dr, ...statefulOptions(config) });
}
