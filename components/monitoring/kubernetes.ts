import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { parse } from "yaml";
import { BackupBucket, type BackupBucketArgs } from "../backup";
import { assumedByServiceAccounts, type OidcProvider } from "../iam";
import type { ContainerResources } from "../kubernetes/service";
import { postgresExporterImage, postgresExporterPort, type PostgresExporterTarget } from "./postgres-exporter";
import { redisExporterAddress, redisExporterEnvironment, redisExporterImage, redisExporterPort, type RedisExporterTarget } from "./redis-exporter";
import { problem, requireNoProblems } from "../problems";
import { lokiDataPath, monitoringSpecProblems, portOf, renderMonitoring, ruleFiles, type MonitoringSpec, type RenderedFile } from "./render";
import { publicOutputs } from "../outputs";

/**
 * The charts, pinned to exact versions (looked up in each chart repository's Chart.yaml).
 * Grafana and Loki moved to the grafana-community repository (kube-prometheus-stack's own
 * grafana dependency now comes from there); Alloy stays in grafana's; Promtail and
 * loki-stack are deprecated and not used.
 */
export const charts = {
    kubePrometheusStack: { chart: "kube-prometheus-stack", version: "88.5.3", repo: "https://prometheus-community.github.io/helm-charts" },
    loki: { chart: "loki", version: "18.11.0", repo: "https://grafana-community.github.io/helm-charts" },
    alloy: { chart: "alloy", version: "1.11.1", repo: "https://grafana.github.io/helm-charts" },
    jaeger: { chart: "jaeger", version: "4.11.1", repo: "https://jaegertracing.github.io/helm-charts" },
    blackboxExporter: { chart: "prometheus-blackbox-exporter", version: "11.17.2", repo: "https://prometheus-community.github.io/helm-charts" },
    postgresExporter: { chart: "prometheus-postgres-exporter", version: "8.2.0", repo: "https://prometheus-community.github.io/helm-charts" },
    pushgateway: { chart: "prometheus-pushgateway", version: "3.8.0", repo: "https://prometheus-community.github.io/helm-charts" },
    redisExporter: { chart: "prometheus-redis-exporter", version: "6.29.0", repo: "https://prometheus-community.github.io/helm-charts" },
} as const;

/** Where the Pushgateway chart mounts its volume: pushed metrics are saved there and survive a restart. */
const pushgatewayDataPath = "/data";

/** Prometheus's service account: named explicitly so its IRSA role's trust condition matches it. */
export const prometheusServiceAccount = "prometheus";

/** Where Loki's chart mounts its data volume (the rendered config uses `lokiDataPath`). */
export const lokiChartDataPath = "/var/loki";

export interface KubernetesMonitoringArgs {
    readonly spec: MonitoringSpec;
    /** Default "monitoring" (stacks/monitoring.ts's endpoints are `<service>.monitoring.svc`). */
    readonly namespace?: string;
    /** Prometheus and Alertmanager with two replicas on different nodes (hard anti-affinity). Default false. */
    readonly highAvailability?: boolean;
    /** Loki: "monolithic" (one pod, filesystem or S3) or "simple-scalable" (read/write/backend, S3 only). Default "monolithic". */
    readonly lokiMode?: "monolithic" | "simple-scalable";
    /** The cluster's OIDC provider: required for S3 log storage (Loki's IRSA role); with it, Prometheus's EC2 service discovery gets its own IRSA role. */
    readonly oidc?: OidcProvider;
    /** Alertmanager's credential files by mount path (all in one directory), each a secret. */
    readonly alertmanagerSecretFiles?: Readonly<Record<string, pulumi.Output<string>>>;
    /** Persistent volume sizes in GiB. Defaults: Prometheus spec.retention.sizeGb + 20 %, Alertmanager 5, Grafana 10, Loki 50, Jaeger 50. */
    readonly volumesGb?: { readonly prometheus?: number; readonly alertmanager?: number; readonly grafana?: number; readonly loki?: number; readonly jaeger?: number };
    /** Loki's S3 bucket: server access logs and a replica in the DR region (BackupBucket's). Default: neither. */
    readonly lokiBucket?: Pick<BackupBucketArgs, "accessLogs" | "replication">;
    /**
     * PostgreSQL servers to export metrics of (the writer, a replica), one prometheus-postgres-exporter
     * release each; the spec's `exporters.postgres` targets name their Services. Default: none.
     */
    readonly postgresExporters?: readonly PostgresExporterTarget[];
    /**
     * Valkey or Redis OSS servers to export metrics of (each region's cache), one
     * prometheus-redis-exporter release each; the spec's `exporters.redis` targets name their Services. Default: none.
     */
    readonly redisExporters?: readonly RedisExporterTarget[];
    /** Helm timeout in seconds for each release. Default 900. */
    readonly timeoutSeconds?: number;
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Requests and limits per workload: sized for one environment's metrics, logs and traces. */
export const monitoringResources = {
    prometheus: { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "4Gi" } },
    alertmanager: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    grafana: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } },
    operator: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    loki: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "2Gi" } },
    alloy: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
    jaeger: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "2Gi" } },
    blackbox: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    postgresExporter: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    redisExporter: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
    lokiGateway: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    pushgateway: { requests: { cpu: "20m", memory: "32Mi" }, limits: { memory: "128Mi" } },
} as const satisfies Record<string, ContainerResources>;

/** The rendered files of one service, refusing a spec without them. */
function filesOf(files: readonly RenderedFile[], service: RenderedFile["service"]): RenderedFile[] {
    return files.filter((f) => f.service === service);
}
function fileAt(files: readonly RenderedFile[], path: string): RenderedFile {
    const file = files.find((f) => f.path === path);
    if (file === undefined) throw new Error(`renderMonitoring produced no ${path}`);
    return file;
}
const yamlOf = (file: RenderedFile): Record<string, unknown> => parse(file.content) as Record<string, unknown>;

/** Moves every path under the rendered `lokiDataPath` to the chart's data volume. */
export function relocateLokiPaths(value: unknown): unknown {
    if (typeof value === "string") return value === lokiDataPath || value.startsWith(`${lokiDataPath}/`) ? `${lokiChartDataPath}${value.slice(lokiDataPath.length)}` : value;
    if (Array.isArray(value)) return value.map(relocateLokiPaths);
    if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relocateLokiPaths(v)]));
    return value;
}

/** The HTTP and gRPC ports of a rendered Loki configuration. */
export function lokiServerPorts(config: Record<string, unknown>): { http_listen_port: number; grpc_listen_port: number } {
    const server = config.server as { http_listen_port?: unknown; grpc_listen_port?: unknown } | undefined;
    const { http_listen_port, grpc_listen_port } = server ?? {};
    if (typeof http_listen_port !== "number" || typeof grpc_listen_port !== "number") throw new Error("the rendered Loki configuration names no server ports");
    return { http_listen_port, grpc_listen_port };
}

/**
 * kube-prometheus-stack's own switch for Prometheus and Alertmanager replicas: "hard" renders a
 * required pod anti-affinity over nodes (two replicas never share one). An `affinity` of our own
 * would be printed beside the chart's default "soft" rule, and the later key wins.
 */
const spreadOverNodes = (ha: boolean) => ({ podAntiAffinity: ha ? "hard" : "", podAntiAffinityTopologyKey: "kubernetes.io/hostname" });

/** The directory every Alertmanager credential file lives in, and their names in it. */
export function secretFileLayout(paths: readonly string[]): { directory: string; names: string[] } {
    const directories = [...new Set(paths.map((p) => p.slice(0, p.lastIndexOf("/"))))];
    if (directories.length > 1) throw new Error(`Alertmanager credential files must share one directory, got ${directories.join(", ")}`);
    return { directory: directories[0] ?? "", names: paths.map((p) => p.slice(p.lastIndexOf("/") + 1)) };
}

type Chart = (typeof charts)[keyof typeof charts];
type SecretFileLayout = ReturnType<typeof secretFileLayout>;

/** What every step of `KubernetesMonitoring` deploys into: its namespace and storage class, the rendered files, the sizes. */
interface Deployment {
    readonly name: string;
    readonly ns: string;
    readonly spec: MonitoringSpec;
    readonly files: readonly RenderedFile[];
    readonly ha: boolean;
    readonly volumes: Required<NonNullable<KubernetesMonitoringArgs["volumesGb"]>>;
    readonly timeout: number;
    readonly retainOnDelete: boolean | undefined;
    readonly tags: KubernetesMonitoringArgs["tags"];
    readonly namespace: k8s.core.v1.Namespace;
    readonly storageClass: k8s.storage.v1.StorageClass;
    /** Options of a resource in the namespace: created after it. */
    readonly inNamespace: pulumi.CustomResourceOptions;
}

/** The Kubernetes Secrets the charts reference instead of carrying credentials in Helm values. */
interface MonitoringSecrets {
    readonly password: random.RandomPassword;
    readonly grafana: k8s.core.v1.Secret;
    readonly alertmanager?: k8s.core.v1.Secret;
}

/** A ReadWriteOnce claim of `gb` GiB on Keel's gp3 class. */
const claim = (d: Deployment, gb: number) => ({ storageClassName: d.storageClass.metadata.name, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${gb}Gi` } } });

/**
 * The monitoring stack on Kubernetes, carrying the very files `renderMonitoring` produces for
 * the spec: kube-prometheus-stack (Prometheus Operator, Prometheus, Alertmanager, Grafana)
 * with Keel's scrape jobs and its rules as PrometheusRule resources; Loki (monolithic, or
 * simple scalable on S3 through an IRSA role); Alloy as a DaemonSet shipping pod logs;
 * Jaeger v2 with Badger on a persistent volume. Secrets (Grafana's admin password,
 * Alertmanager's credentials) are Kubernetes Secrets the charts reference, never Helm values.
 *
 * Jaeger storage: Badger on a gp3 volume keeps spans for the spec's retention through its TTL.
 * Limits: one replica (Badger is a single-writer embedded store) and no archive; an
 * OpenSearch backend is the step up when trace volume or availability outgrow it.
 *
 * Give it the AWS and Kubernetes providers through `providers`.
 */
export class KubernetesMonitoring extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly grafanaAdminPassword: pulumi.Output<string>;
    public readonly lokiBucketName: pulumi.Output<string | undefined>;
    public readonly lokiRoleArn: pulumi.Output<string | undefined>;

    constructor(name: string, args: KubernetesMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        const lokiMode = args.lokiMode ?? "monolithic";
        const s3 = args.spec.logs?.storage.kind === "s3" ? args.spec.logs.storage : undefined;
        requireNoProblems(`KubernetesMonitoring ${name}`, [
            ...monitoringSpecProblems(args.spec).map((p) => problem(["spec", ...p.path], p.message)),
            ...(lokiMode === "simple-scalable" && s3 === undefined ? [problem("lokiMode", "simple scalable Loki needs S3 log storage (spec.logs.storage)")] : []),
            ...(s3 !== undefined && args.oidc === undefined ? [problem("oidc", "S3 log storage needs the cluster's OIDC provider for Loki's IAM role")] : []),
        ]);
        const files = renderMonitoring(args.spec);
        const layout = secretFileLayout(Object.keys(args.alertmanagerSecretFiles ?? {}));
        super("keel:monitoring:KubernetesMonitoring", name, {}, opts);

        const d = this.deployment(name, args, files, opts?.retainOnDelete);
        const secrets = this.secrets(d, args.alertmanagerSecretFiles ?? {}, layout);
        const stack = this.prometheusStack(d, args.oidc, secrets, layout);
        this.blackboxExporter(d);
        this.pushgateway(d);
        this.postgresExporters(d, args.postgresExporters ?? []);
        this.redisExporters(d, args.redisExporters ?? []);
        this.rulesAndDashboards(d, stack);
        const loki = this.loki(d, args, lokiMode);
        this.alloy(d, loki.release);
        this.jaeger(d);

        this.namespace = d.namespace.metadata.name;
        this.grafanaAdminPassword = pulumi.secret(secrets.password.result);
        this.lokiBucketName = pulumi.output(loki.bucket?.bucketName);
        this.lokiRoleArn = pulumi.output(loki.role?.arn);
        this.registerOutputs(publicOutputs(this));
    }

    /** The namespace, and the gp3 class: encrypted EBS volumes through the CSI driver (the in-tree gp2 class is unencrypted). */
    private deployment(name: string, args: KubernetesMonitoringArgs, files: readonly RenderedFile[], retainOnDelete: boolean | undefined): Deployment {
        const parent = { parent: this };
        const ns = args.namespace ?? "monitoring";
        const namespace = new k8s.core.v1.Namespace(name, { metadata: { name: ns } }, parent);
        const storageClass = new k8s.storage.v1.StorageClass(`${name}-gp3`, {
            metadata: { name: "keel-gp3" },
            provisioner: "ebs.csi.aws.com",
            parameters: { type: "gp3", encrypted: "true" },
            reclaimPolicy: "Retain",
            volumeBindingMode: "WaitForFirstConsumer",
            allowVolumeExpansion: true,
        }, parent);
        return {
            name,
            ns,
            spec: args.spec,
            files,
            ha: args.highAvailability ?? false,
            volumes: {
                prometheus: Math.ceil(args.spec.retention.sizeGb * 1.2),
                alertmanager: 5,
                grafana: 10,
                loki: 50,
                jaeger: 50,
                ...args.volumesGb,
            },
            timeout: args.timeoutSeconds ?? 900,
            retainOnDelete,
            tags: args.tags,
            namespace,
            storageClass,
            inNamespace: { dependsOn: [namespace], parent: this },
        };
    }

    private release(d: Deployment, releaseName: string, chart: Chart, values: pulumi.Input<Record<string, unknown>>, dependsOn: pulumi.Resource[] = []): k8s.helm.v3.Release {
        return new k8s.helm.v3.Release(`${d.name}-${releaseName}`, {
            name: releaseName,
            namespace: d.ns,
            chart: chart.chart,
            version: chart.version,
            repositoryOpts: { repo: chart.repo },
            values,
            timeout: d.timeout,
            atomic: true,
            cleanupOnFail: true,
            maxHistory: 10,
        }, { ...d.inNamespace, dependsOn: [d.namespace, d.storageClass, ...dependsOn] });
    }

    /** A Service of a stable name, for stacks/monitoring.ts's endpoints. */
    private service(d: Deployment, serviceName: string, labels: Record<string, string>, port: number, targetPort: number | string = port): k8s.core.v1.Service {
        return new k8s.core.v1.Service(`${d.name}-${serviceName}`, {
            metadata: { name: serviceName, namespace: d.ns },
            spec: { selector: labels, ports: [{ name: "http", port, targetPort }] },
        }, d.inNamespace);
    }

    private secrets(d: Deployment, alertmanagerFiles: Readonly<Record<string, pulumi.Output<string>>>, layout: SecretFileLayout): MonitoringSecrets {
        const password = new random.RandomPassword(`${d.name}-grafana-admin`, { length: 32, special: false }, { parent: this });
        const grafana = new k8s.core.v1.Secret(`${d.name}-grafana-admin`, {
            metadata: { name: "grafana-admin", namespace: d.ns },
            stringData: { "admin-user": "admin", "admin-password": password.result },
        }, d.inNamespace);
        const paths = Object.keys(alertmanagerFiles);
        const alertmanager = paths.length > 0
            ? new k8s.core.v1.Secret(`${d.name}-alertmanager-credentials`, {
                metadata: { name: "alertmanager-credentials", namespace: d.ns },
                stringData: Object.fromEntries(paths.map((path, i) => [layout.names[i], pulumi.secret(alertmanagerFiles[path] ?? "")])),
            }, d.inNamespace)
            : undefined;
        return { password, grafana, alertmanager };
    }

    /**
     * EC2 service discovery (ec2_sd_configs) through an IRSA role only Prometheus's service account
     * assumes. The Describe actions support no resource-level permissions, so their Resource is "*"
     * (Service Authorization Reference, Amazon EC2: "Resource types" column empty).
     */
    private prometheusDiscoveryRole(d: Deployment, oidc: OidcProvider | undefined, scrapeConfigs: readonly Record<string, unknown>[]): aws.iam.Role | undefined {
        if (oidc === undefined || !scrapeConfigs.some((c) => c.ec2_sd_configs !== undefined)) return undefined;
        const parent = { parent: this };
        const role = new aws.iam.Role(`${d.name}-prometheus`, { assumeRolePolicy: assumedByServiceAccounts(oidc, d.ns, [prometheusServiceAccount]), tags: d.tags }, parent);
        new aws.iam.RolePolicy(`${d.name}-prometheus-ec2-discovery`, {
            role: role.id,
            policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Sid: "Ec2Discovery", Effect: "Allow", Action: ["ec2:DescribeInstances", "ec2:DescribeAvailabilityZones"], Resource: "*" }],
            }),
        }, parent);
        return role;
    }

    /** kube-prometheus-stack (Prometheus Operator, Prometheus, Alertmanager, Grafana) with Keel's scrape jobs, and their Services. */
    private prometheusStack(d: Deployment, oidc: OidcProvider | undefined, secrets: MonitoringSecrets, layout: SecretFileLayout): k8s.helm.v3.Release {
        const { spec, ha } = d;
        const replicas = ha ? 2 : 1;
        const prometheusYaml = yamlOf(fileAt(d.files, "prometheus.yml"));
        const alertmanagerFile = d.files.find((f) => f.path === "alertmanager.yml");
        const datasources = filesOf(d.files, "grafana").find((f) => f.path.includes("/datasources/"));
        const prometheusRole = this.prometheusDiscoveryRole(d, oidc, (prometheusYaml.scrape_configs ?? []) as Record<string, unknown>[]);
        const stack = this.release(d, "kube-prometheus-stack", charts.kubePrometheusStack, {
            fullnameOverride: "kube-prometheus-stack",
            prometheusOperator: { resources: monitoringResources.operator },
            prometheus: {
                serviceAccount: {
                    create: true,
                    name: prometheusServiceAccount,
                    ...(prometheusRole ? { annotations: { "eks.amazonaws.com/role-arn": prometheusRole.arn } } : {}),
                },
                // With two replicas a node drain keeps one scraping; one replica has nothing to keep.
                podDisruptionBudget: { enabled: ha, minAvailable: 1 },
                prometheusSpec: {
                    replicas,
                    ...spreadOverNodes(ha),
                    retention: `${spec.retention.days}d`,
                    retentionSize: `${spec.retention.sizeGb}GB`,
                    externalLabels: { environment: spec.environment },
                    scrapeInterval: `${spec.scrapeIntervalSeconds}s`,
                    evaluationInterval: `${spec.scrapeIntervalSeconds}s`,
                    // Keel's own PrometheusRules and monitors are picked up, not only the chart's.
                    ruleSelectorNilUsesHelmValues: false,
                    serviceMonitorSelectorNilUsesHelmValues: false,
                    podMonitorSelectorNilUsesHelmValues: false,
                    probeSelectorNilUsesHelmValues: false,
                    additionalScrapeConfigs: prometheusYaml.scrape_configs,
                    resources: monitoringResources.prometheus,
                    storageSpec: { volumeClaimTemplate: { spec: claim(d, d.volumes.prometheus) } },
                },
            },
            alertmanager: {
                enabled: alertmanagerFile !== undefined,
                ...(alertmanagerFile ? { config: yamlOf(alertmanagerFile) } : {}),
                podDisruptionBudget: { enabled: ha, minAvailable: 1 },
                alertmanagerSpec: {
                    replicas,
                    ...spreadOverNodes(ha),
                    resources: monitoringResources.alertmanager,
                    storage: { volumeClaimTemplate: { spec: claim(d, d.volumes.alertmanager) } },
                    ...(secrets.alertmanager
                        ? {
                            volumes: [{ name: "credentials", secret: { secretName: "alertmanager-credentials" } }],
                            volumeMounts: [{ name: "credentials", mountPath: layout.directory, readOnly: true }],
                        }
                        : {}),
                },
            },
            grafana: {
                enabled: spec.grafana !== undefined,
                fullnameOverride: "grafana",
                service: { port: 3000 },
                admin: { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" },
                resources: monitoringResources.grafana,
                persistence: { enabled: true, storageClassName: "keel-gp3", size: `${d.volumes.grafana}Gi` },
                // Keel's datasources replace the chart's generated Prometheus one (a second default would be refused).
                sidecar: { datasources: { defaultDatasourceEnabled: false }, dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1" } },
                ...(datasources ? { datasources: { "keel.yml": yamlOf(datasources) } } : {}),
            },
        }, [...(secrets.alertmanager ? [secrets.alertmanager] : []), secrets.grafana]);
        this.service(d, "prometheus", { "app.kubernetes.io/name": "prometheus" }, 9090);
        if (alertmanagerFile) this.service(d, "alertmanager", { "app.kubernetes.io/name": "alertmanager" }, 9093);
        return stack;
    }

    /** The chart's Service is `blackbox-exporter` on 9115 (spec.endpoints.blackbox). */
    private blackboxExporter(d: Deployment): void {
        const blackboxFile = d.files.find((f) => f.service === "blackbox");
        if (!blackboxFile) return;
        this.release(d, "blackbox-exporter", charts.blackboxExporter, {
            fullnameOverride: "blackbox-exporter",
            service: { port: portOf(d.spec.endpoints.blackbox) },
            config: yamlOf(blackboxFile),
            resources: monitoringResources.blackbox,
        });
    }

    /** Backup jobs push their last success (spec.backups); Keel's scrape job reads it. */
    private pushgateway(d: Deployment): void {
        if (!d.spec.backups) return;
        const [host] = d.spec.backups.pushgateway.split(".");
        this.release(d, "pushgateway", charts.pushgateway, {
            fullnameOverride: host,
            service: { port: portOf(d.spec.backups.pushgateway) },
            resources: monitoringResources.pushgateway,
            // Without a persistence file the chart's volume stays empty, and a restart would lose
            // the last success until the next run: BackupMissing would page for an absent metric.
            persistentVolume: { enabled: true, storageClass: "keel-gp3", size: "2Gi", mountPath: pushgatewayDataPath },
            extraArgs: [`--persistence.file=${pushgatewayDataPath}/pushgateway.data`, "--persistence.interval=1m"],
        });
    }

    /** One exporter release per server, its credentials through a Kubernetes Secret, never a Helm value. */
    private postgresExporters(d: Deployment, targets: readonly PostgresExporterTarget[]): void {
        for (const target of targets) {
            const credentials = new k8s.core.v1.Secret(`${d.name}-${target.name}-credentials`, {
                metadata: { name: `${target.name}-credentials`, namespace: d.ns },
                stringData: { username: target.credentials.apply((c) => c.username), password: pulumi.secret(target.credentials.apply((c) => c.password)) },
            }, d.inNamespace);
            this.release(d, target.name, charts.postgresExporter, {
                fullnameOverride: target.name,
                // The exporter whose metric names the rules use (pg_replication_lag_seconds since 0.13).
                image: { tag: postgresExporterImage.slice(postgresExporterImage.lastIndexOf(":") + 1) },
                service: { port: postgresExporterPort, targetPort: postgresExporterPort },
                resources: monitoringResources.postgresExporter,
                config: {
                    datasource: {
                        host: target.host,
                        port: String(target.port),
                        database: target.database,
                        userSecret: { name: `${target.name}-credentials`, key: "username" },
                        passwordSecret: { name: `${target.name}-credentials`, key: "password" },
                        sslmode: target.sslmode,
                    },
                },
            }, [credentials]);
        }
    }

    /** One exporter release per cache, over TLS, its AUTH token through a Kubernetes Secret, never a Helm value; non-root, read-only. */
    private redisExporters(d: Deployment, targets: readonly RedisExporterTarget[]): void {
        for (const target of targets) {
            const auth = new k8s.core.v1.Secret(`${d.name}-${target.name}-auth`, {
                metadata: { name: `${target.name}-auth`, namespace: d.ns },
                stringData: { password: pulumi.secret(target.authToken) },
            }, d.inNamespace);
            this.release(d, target.name, charts.redisExporter, {
                fullnameOverride: target.name,
                image: { repository: redisExporterImage.slice(0, redisExporterImage.lastIndexOf(":")), tag: redisExporterImage.slice(redisExporterImage.lastIndexOf(":") + 1) },
                redisAddress: pulumi.output(target.host).apply((host) => redisExporterAddress(host, target.port)),
                auth: { enabled: true, secret: { name: `${target.name}-auth`, key: "password" } },
                env: Object.entries(redisExporterEnvironment).map(([name, value]) => ({ name, value })),
                service: { port: redisExporterPort },
                resources: monitoringResources.redisExporter,
                // The image runs as 59000 from scratch; nothing needs root or a writable root filesystem.
                podSecurityContext: { runAsNonRoot: true, runAsUser: 59000, runAsGroup: 59000, seccompProfile: { type: "RuntimeDefault" } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                // The chart's Role grants nothing the exporter uses.
                rbac: { create: false },
            }, [auth]);
        }
    }

    /** Keel's rule files as PrometheusRules (the CRD comes with the stack's release), its dashboards as ConfigMaps Grafana's sidecar loads. */
    private rulesAndDashboards(d: Deployment, stack: k8s.helm.v3.Release): void {
        const keelLabel = { "app.kubernetes.io/part-of": "keel" };
        for (const path of Object.values(ruleFiles)) {
            const file = d.files.find((f) => f.path === path);
            if (!file) continue;
            const ruleName = `keel-${path.replace(/^rules\//, "").replace(/\.yml$/, "")}`;
            new k8s.apiextensions.CustomResource(`${d.name}-${ruleName}`, {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PrometheusRule",
                metadata: { name: ruleName, namespace: d.ns, labels: keelLabel },
                spec: yamlOf(file),
            }, { parent: this, dependsOn: [stack] });
        }
        for (const dashboard of filesOf(d.files, "grafana").filter((f) => f.path.startsWith("grafana/dashboards/"))) {
            const file = dashboard.path.split("/").pop() ?? dashboard.path;
            new k8s.core.v1.ConfigMap(`${d.name}-dashboard-${file.replace(/\.json$/, "")}`, {
                metadata: { name: `keel-dashboard-${file.replace(/\.json$/, "")}`, namespace: d.ns, labels: { ...keelLabel, grafana_dashboard: "1" } },
                data: { [file]: dashboard.content },
            }, d.inNamespace);
        }
    }

    /** Loki's S3 bucket and the IRSA role that reads and writes it (and uses its key). */
    private lokiStorage(d: Deployment, args: KubernetesMonitoringArgs, logs: NonNullable<MonitoringSpec["logs"]>, oidc: OidcProvider, serviceAccount: string): { bucket: BackupBucket; role: aws.iam.Role } {
        const parent = { parent: this };
        // Loki's compactor applies retention; the lifecycle rule is a backstop a day after the longest stream retention.
        const bucket = new BackupBucket(`${d.name}-loki`, {
            tiers: [{ name: "loki", prefix: "", expireAfterDays: Math.max(logs.retentionDays, logs.securityRetentionDays) + 1 }],
            ...args.lokiBucket,
            tags: args.tags,
        }, { parent: this, retainOnDelete: d.retainOnDelete });
        const role = new aws.iam.Role(`${d.name}-loki`, { assumeRolePolicy: assumedByServiceAccounts(oidc, d.ns, [serviceAccount]), tags: args.tags }, parent);
        new aws.iam.RolePolicy(`${d.name}-loki`, {
            role: role.id,
            policy: pulumi.all([bucket.bucketArn, bucket.kmsKeyArn]).apply(([arn, key]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    { Sid: "ListBucket", Effect: "Allow", Action: "s3:ListBucket", Resource: arn },
                    { Sid: "Objects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: `${arn}/*` },
                    { Sid: "BucketKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: key },
                ],
            })),
        }, parent);
        return { bucket, role };
    }

    /** Loki, monolithic or simple scalable, on the filesystem or on S3 (through its own bucket and IRSA role). */
    private loki(d: Deployment, args: KubernetesMonitoringArgs, lokiMode: NonNullable<KubernetesMonitoringArgs["lokiMode"]>): { release?: k8s.helm.v3.Release; bucket?: BackupBucket; role?: aws.iam.Role } {
        const lokiFile = d.files.find((f) => f.service === "loki");
        const logs = d.spec.logs;
        if (!lokiFile || !logs) return {};
        const rendered = relocateLokiPaths(yamlOf(lokiFile)) as Record<string, unknown>;
        const serviceAccount = "loki";
        const s3 = logs.storage.kind === "s3" ? logs.storage : undefined;
        const storage = s3 !== undefined && args.oidc !== undefined ? this.lokiStorage(d, args, logs, args.oidc, serviceAccount) : undefined;
        const bucketName = storage?.bucket.bucketName;
        const scalable = lokiMode === "simple-scalable";
        const common = rendered.common as Record<string, unknown>;
        const structuredConfig = {
            ...rendered,
            common: {
                ...common,
                // The created bucket's name replaces the spec's; the scalable targets find each other over memberlist.
                ...(bucketName ? { storage: { s3: { ...(common.storage as { s3: object }).s3, bucketnames: bucketName } } } : {}),
                ...(scalable ? { instance_addr: undefined, ring: { kvstore: { store: "memberlist" } }, replication_factor: 3 } : {}),
            },
        };
        if (scalable) {
            // Simple scalable Loki has no `loki` Service (only loki-read/-write/-backend): spec.endpoints.loki is
            // the chart's nginx gateway, which routes pushes to the write and queries to the read targets.
            this.service(d, "loki", { "app.kubernetes.io/name": "loki", "app.kubernetes.io/instance": "loki", "app.kubernetes.io/component": "gateway" }, portOf(d.spec.endpoints.loki), "http");
        }
        // The read path is a stateless Deployment in the chart (queriers cache on emptyDir): a
        // persistent volume there is refused for more than one replica.
        const component = (count: number, persistent = true) => ({
            replicas: count,
            resources: monitoringResources.loki,
            ...(persistent ? { persistence: { enabled: true, storageClass: "keel-gp3", size: `${d.volumes.loki}Gi` } } : {}),
        });
        const release = this.release(d, "loki", charts.loki, {
            deploymentMode: scalable ? "SimpleScalable" : "Monolithic",
            fullnameOverride: "loki",
            serviceAccount: { name: serviceAccount, ...(storage ? { annotations: { "eks.amazonaws.com/role-arn": storage.role.arn } } : {}) },
            loki: {
                auth_enabled: false,
                // The chart builds container ports, Services and every gRPC client address from
                // loki.server; the same ports in structuredConfig alone would move only the listeners.
                server: lokiServerPorts(rendered),
                ...(bucketName ? { storage: { type: "s3", bucketNames: { chunks: bucketName, ruler: bucketName, admin: bucketName }, s3: { region: s3?.region } } } : {}),
                structuredConfig,
            },
            singleBinary: scalable ? { replicas: 0 } : component(1),
            write: scalable ? component(3) : { replicas: 0 },
            read: scalable ? component(2, false) : { replicas: 0 },
            backend: scalable ? component(2) : { replicas: 0 },
            gateway: scalable ? { enabled: true, replicas: 2, resources: monitoringResources.lokiGateway } : { enabled: false },
            chunksCache: { enabled: false },
            resultsCache: { enabled: false },
            lokiCanary: { enabled: false },
            test: { enabled: false },
            podDisruptionBudget: { enabled: scalable },
        });
        return { release, bucket: storage?.bucket, role: storage?.role };
    }

    /** A DaemonSet shipping every pod's logs to Loki. */
    private alloy(d: Deployment, loki: k8s.helm.v3.Release | undefined): void {
        const alloyFile = d.files.find((f) => f.service === "alloy");
        if (!alloyFile) return;
        this.release(d, "alloy", charts.alloy, {
            fullnameOverride: "alloy",
            controller: { type: "daemonset" },
            alloy: {
                configMap: { create: true, content: alloyFile.content },
                resources: monitoringResources.alloy,
                mounts: { varlog: true },
            },
        }, loki ? [loki] : []);
    }

    /** Jaeger v2 with Badger on its own claim, and its sampling strategies from a ConfigMap. */
    private jaeger(d: Deployment): void {
        const jaegerConfig = d.files.find((f) => f.path === "jaeger.yml");
        const sampling = d.files.find((f) => f.path === "jaeger-sampling.json");
        if (!jaegerConfig || !sampling) return;
        const samplingMap = new k8s.core.v1.ConfigMap(`${d.name}-jaeger-sampling`, {
            metadata: { name: "jaeger-sampling", namespace: d.ns },
            data: { "sampling-strategies.json": sampling.content },
        }, d.inNamespace);
        const data = new k8s.core.v1.PersistentVolumeClaim(`${d.name}-jaeger-data`, {
            metadata: { name: "jaeger-badger", namespace: d.ns },
            spec: claim(d, d.volumes.jaeger),
        }, { ...d.inNamespace, retainOnDelete: d.retainOnDelete });
        const dataPath = String((((yamlOf(jaegerConfig).extensions as Record<string, Record<string, unknown>>).jaeger_storage.backends as Record<string, { badger: { directories: { keys: string } } }>).traces.badger.directories.keys)).replace(/\/keys$/, "");
        this.release(d, "jaeger", charts.jaeger, {
            fullnameOverride: "jaeger",
            userconfig: yamlOf(jaegerConfig),
            jaeger: {
                replicas: 1,
                // Badger holds a lock on its directory: the old pod stops before the new one starts.
                strategy: { type: "Recreate" },
                resources: monitoringResources.jaeger,
                extraVolumes: [
                    { name: "badger", persistentVolumeClaim: { claimName: "jaeger-badger" } },
                    { name: "sampling", configMap: { name: "jaeger-sampling" } },
                ],
                extraVolumeMounts: [
                    { name: "badger", mountPath: dataPath },
                    { name: "sampling", mountPath: sampling.mountPath, subPath: "sampling-strategies.json", readOnly: true },
                ],
            },
        }, [samplingMap, data]);
    }
}
