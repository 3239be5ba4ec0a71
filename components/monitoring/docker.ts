import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
    alloyPaths,
    configDirectories,
    jaegerPaths,
    jaegerPorts,
    lokiDataPath,
    monitoringSpecProblems,
    portOf,
    prometheusFlags,
    renderMonitoring,
    type MonitoringEndpoints,
    type MonitoringService,
    type MonitoringSpec,
    type RenderedFile,
} from "./render";
import { problem, requireNoProblems } from "../problems";
import { dataSourceUri, exporterConnectionVariables, postgresExporterImage, postgresExporterPort, type PostgresExporterTarget } from "./postgres-exporter";
import { publicOutputs } from "../outputs";

/**
 * Pinned upstream images: exact release tags, never `latest`, so `pulumi up` on two laptops
 * runs the same software. Bump them deliberately (and re-run the tests).
 */
export const monitoringImages = {
    prometheus: "prom/prometheus:v3.13.2",
    alertmanager: "prom/alertmanager:v0.33.1",
    grafana: "grafana/grafana:13.1.3",
    loki: "grafana/loki:3.7.6",
    alloy: "grafana/alloy:v1.18.1",
    jaeger: "jaegertracing/jaeger:2.20.0",
    nodeExporter: "prom/node-exporter:v1.12.1",
    blackbox: "prom/blackbox-exporter:v0.28.0",
} as const;

type Container = keyof typeof monitoringImages;

/** The names the containers answer to on the network (aliases), and so the addresses in the spec. */
export const dockerHosts: Readonly<Record<Container, string>> = {
    prometheus: "prometheus",
    alertmanager: "alertmanager",
    grafana: "grafana",
    loki: "loki",
    alloy: "alloy",
    jaeger: "jaeger",
    nodeExporter: "node-exporter",
    blackbox: "blackbox-exporter",
};

/** What a spec deployed by `DockerMonitoring` must use as its endpoints. */
export const dockerMonitoringEndpoints: MonitoringEndpoints = {
    prometheus: `${dockerHosts.prometheus}:9090`,
    alertmanager: `${dockerHosts.alertmanager}:9093`,
    grafana: `${dockerHosts.grafana}:3000`,
    loki: `${dockerHosts.loki}:3100`,
    jaeger: `${dockerHosts.jaeger}:16686`,
    blackbox: `${dockerHosts.blackbox}:9115`,
};

const endpointNames = ["prometheus", "alertmanager", "grafana", "loki", "jaeger", "blackbox"] as const satisfies readonly (keyof MonitoringEndpoints)[];

/** The node exporter's address on the network, for the spec's `exporters.node`. */
export const dockerNodeExporter = `${dockerHosts.nodeExporter}:9100`;

export interface DockerMonitoringArgs {
    /**
     * The monitoring spec; rendered here with `renderMonitoring` and uploaded into the
     * containers, so nothing depends on files of the machine running Pulumi. Its endpoints
     * must be `dockerMonitoringEndpoints`.
     */
    readonly spec: MonitoringSpec;
    /** The Docker network every container joins (name or id). */
    readonly networkName: pulumi.Input<string>;
    /** Host address the UIs are published on. Default `127.0.0.1`: only this machine reaches them. */
    readonly bindAddress?: string;
    /** Labels on containers and volumes (e.g. the standard tags). */
    readonly labels?: Readonly<Record<string, string>>;
    /**
     * PostgreSQL servers to export metrics of (the writer, the replica): one exporter container
     * each, named and aliased `target.name`; the spec's `exporters.postgres` addresses name them.
     * Default: none.
     */
    readonly postgresExporters?: readonly PostgresExporterTarget[];
}

/** Ports published on the host: each UI on its guides' port (the endpoint's), and Jaeger's OTLP receivers for apps run outside Docker. */
const publishedPorts: Partial<Record<Container, readonly number[]>> = {
    prometheus: [portOf(dockerMonitoringEndpoints.prometheus)],
    alertmanager: [portOf(dockerMonitoringEndpoints.alertmanager)],
    grafana: [portOf(dockerMonitoringEndpoints.grafana)],
    loki: [portOf(dockerMonitoringEndpoints.loki)],
    jaeger: [portOf(dockerMonitoringEndpoints.jaeger), jaegerPorts.otlpGrpc, jaegerPorts.otlpHttp],
};

/** `wget` is in the busybox- and Alpine-based images; Loki's distroless image checks itself; Alloy's Ubuntu image has bash. */
const healthchecks: Readonly<Record<Container, readonly string[]>> = {
    prometheus: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:9090/-/healthy"],
    alertmanager: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:9093/-/healthy"],
    grafana: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:3000/api/health"],
    loki: ["CMD", "/usr/bin/loki", "-health"],
    alloy: ["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/12345 && printf 'GET /-/ready HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '200 OK' <&3"],
    jaeger: ["CMD", "wget", "-q", "--spider", `http://127.0.0.1:${jaegerPorts.health}/status`],
    nodeExporter: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:9100/metrics"],
    blackbox: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:9115/-/healthy"],
};

const prometheusData = "/prometheus";
const alertmanagerData = "/alertmanager";

/** Named volumes and where they are mounted; each path exists in its image, owned by the image's user. */
const dataVolumes: Partial<Record<Container, string>> = {
    prometheus: prometheusData,
    alertmanager: alertmanagerData,
    grafana: "/var/lib/grafana",
    loki: lokiDataPath,
    alloy: alloyPaths.data,
    // The Jaeger image declares /tmp a volume; a named volume there keeps /tmp's 1777 mode.
    jaeger: "/tmp",
};

/** The containers a spec needs: Prometheus and the node exporter always, the rest as the spec asks. */
export function dockerContainers(spec: MonitoringSpec): Container[] {
    return [
        "prometheus",
        "nodeExporter",
        ...(spec.probes ? (["blackbox"] as const) : []),
        ...(spec.alerting ? (["alertmanager"] as const) : []),
        ...(spec.grafana ? (["grafana"] as const) : []),
        ...(spec.logs ? (["loki", "alloy"] as const) : []),
        ...(spec.traces ? (["jaeger"] as const) : []),
    ];
}

function commandOf(container: Container, spec: MonitoringSpec): string[] | undefined {
    switch (container) {
        case "prometheus":
            return prometheusFlags(spec, { config: `${configDirectories.prometheus}/prometheus.yml`, data: prometheusData });
        case "alertmanager":
            return [`--config.file=${configDirectories.alertmanager}/alertmanager.yml`, `--storage.path=${alertmanagerData}`];
        case "loki":
            return [`-config.file=${configDirectories.loki}/loki.yml`];
        case "alloy":
            return ["run", "--server.http.listen-addr=0.0.0.0:12345", `--storage.path=${alloyPaths.data}`, alloyPaths.config];
        case "jaeger":
            return [`--config=${jaegerPaths.config}`];
        case "nodeExporter":
            return ["--path.rootfs=/host"];
        case "blackbox":
            return [`--config.file=${configDirectories.blackbox}/config.yml`];
        case "grafana":
            return undefined;
    }
}

/**
 * The whole monitoring stack on a laptop's Docker: the rendered configuration uploaded into
 * pinned upstream images on one network, data in named volumes, healthchecks that `pulumi up`
 * waits for, UIs published on the guides' ports (loopback only by default), and a generated
 * Grafana admin password passed as a secret environment variable.
 */
export class DockerMonitoring extends pulumi.ComponentResource {
    public readonly grafanaUrl?: pulumi.Output<string>;
    public readonly grafanaAdminPassword?: pulumi.Output<string>;
    public readonly prometheusUrl: pulumi.Output<string>;
    public readonly alertmanagerUrl?: pulumi.Output<string>;
    public readonly lokiUrl?: pulumi.Output<string>;
    public readonly jaegerUrl?: pulumi.Output<string>;
    public readonly containerNames: pulumi.Output<string[]>;

    constructor(name: string, args: DockerMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        const { spec } = args;
        const mismatched = endpointNames.filter((key) => spec.endpoints[key] !== dockerMonitoringEndpoints[key]);
        requireNoProblems(`DockerMonitoring ${name}`, [
            ...mismatched.map((key) => problem(["spec", "endpoints", key], `expected ${dockerMonitoringEndpoints[key]} (the container's network alias) for the Docker backend, got ${spec.endpoints[key]}`)),
            ...monitoringSpecProblems(spec).map((p) => problem(["spec", ...p.path], p.message)),
        ]);
        const files = renderMonitoring(spec);
        super("keel:monitoring:DockerMonitoring", name, {}, opts);

        const defaults = { parent: this };
        const bindAddress = args.bindAddress ?? "127.0.0.1";
        const labelList = Object.entries(args.labels ?? {}).map(([label, value]) => ({ label, value }));
        const containers = dockerContainers(spec);

        const adminPassword = spec.grafana
            ? new random.RandomPassword(`${name}-grafana-admin`, { length: 32, special: false }, defaults)
            : undefined;

        const created = containers.map((container) => {
            const image = new docker.RemoteImage(`${name}-${dockerHosts[container]}`, { name: monitoringImages[container], keepLocally: true }, defaults);
            const dataPath = dataVolumes[container];
            const volume = dataPath !== undefined
                ? new docker.Volume(`${name}-${dockerHosts[container]}`, { name: `${name}-${dockerHosts[container]}-data`, labels: labelList }, { ...defaults, retainOnDelete: opts?.retainOnDelete })
                : undefined;
            const uploads = files
                // Services are named like their containers.
                .filter((f): f is RenderedFile & { service: MonitoringService; mountPath: string } => f.service === container && f.mountPath !== undefined)
                .map((f) => ({ file: f.mountPath, content: f.content, permissions: "0644" }));
            const command = commandOf(container, spec);
            const envs = container === "grafana" && adminPassword
                ? [
                    "GF_SECURITY_ADMIN_USER=admin",
                    pulumi.secret(pulumi.interpolate`GF_SECURITY_ADMIN_PASSWORD=${adminPassword.result}`),
                    "GF_USERS_ALLOW_SIGN_UP=false",
                    "GF_AUTH_ANONYMOUS_ENABLED=false",
                    "GF_ANALYTICS_REPORTING_ENABLED=false",
                ]
                : undefined;
            return new docker.Container(`${name}-${dockerHosts[container]}`, {
                name: `${name}-${dockerHosts[container]}`,
                image: image.imageId,
                ...(command !== undefined ? { command } : {}),
                ...(envs !== undefined ? { envs } : {}),
                networksAdvanced: [{ name: args.networkName, aliases: [dockerHosts[container]] }],
                ports: (publishedPorts[container] ?? []).map((port) => ({ internal: port, external: port, ip: bindAddress })),
                volumes: [
                    ...(volume && dataPath ? [{ volumeName: volume.name, containerPath: dataPath }] : []),
                    ...(container === "alloy"
                        ? [
                            // Container logs through the Docker API, the host's logs from its /var/log; both read-only.
                            { hostPath: alloyPaths.dockerSocket, containerPath: alloyPaths.dockerSocket, readOnly: true },
                            { hostPath: "/var/log", containerPath: alloyPaths.hostLogs, readOnly: true },
                        ]
                        : []),
                ],
                // node_exporter reads the host's filesystems through /host (its README's Docker setup).
                ...(container === "nodeExporter" ? { mounts: [{ type: "bind", source: "/", target: "/host", readOnly: true, bindOptions: { propagation: "rslave" } }] } : {}),
                uploads,
                healthcheck: { tests: [...healthchecks[container]], interval: "15s", timeout: "5s", retries: 5, startPeriod: "30s" },
                // `pulumi up` returns once every container is healthy, not merely started.
                wait: true,
                waitTimeout: 180,
                restart: "unless-stopped",
                labels: labelList,
            }, defaults);
        });

        // The exporters log in with the database's credentials, the password as a secret environment variable.
        const exporterImage = (args.postgresExporters ?? []).length > 0
            ? new docker.RemoteImage(`${name}-postgres-exporter-image`, { name: postgresExporterImage, keepLocally: true }, defaults)
            : undefined;
        const exporters = (args.postgresExporters ?? []).map((target) => new docker.Container(`${name}-${target.name}`, {
            name: `${name}-${target.name}`,
            image: exporterImage?.imageId ?? postgresExporterImage,
            envs: [
                pulumi.all([target.host, target.database]).apply(([host, database]) => `${exporterConnectionVariables.uri}=${dataSourceUri({ host, port: target.port, database, sslmode: target.sslmode })}`),
                pulumi.interpolate`${exporterConnectionVariables.user}=${target.credentials.apply((c) => c.username)}`,
                pulumi.secret(pulumi.interpolate`${exporterConnectionVariables.password}=${target.credentials.apply((c) => c.password)}`),
            ],
            networksAdvanced: [{ name: args.networkName, aliases: [target.name] }],
            healthcheck: { tests: ["CMD", "wget", "-q", "--spider", `http://127.0.0.1:${postgresExporterPort}/metrics`], interval: "15s", timeout: "5s", retries: 5, startPeriod: "30s" },
            wait: true,
            waitTimeout: 180,
            restart: "unless-stopped",
            labels: labelList,
        }, defaults));

        // URLs resolve once their container exists (and, with `wait`, is healthy).
        const host = bindAddress === "0.0.0.0" ? "localhost" : bindAddress;
        const urlOf = (container: Container, endpoint: string) => {
            const index = containers.indexOf(container);
            return index < 0 ? undefined : created[index].name.apply(() => `http://${host}:${portOf(endpoint)}`);
        };
        const { endpoints } = spec;
        this.prometheusUrl = created[containers.indexOf("prometheus")].name.apply(() => `http://${host}:${portOf(endpoints.prometheus)}`);
        this.grafanaUrl = urlOf("grafana", endpoints.grafana);
        this.grafanaAdminPassword = adminPassword?.result;
        this.alertmanagerUrl = urlOf("alertmanager", endpoints.alertmanager);
        this.lokiUrl = urlOf("loki", endpoints.loki);
        this.jaegerUrl = urlOf("jaeger", endpoints.jaeger);
        this.containerNames = pulumi.all([...created, ...exporters].map((c) => c.name));
        this.registerOutputs(publicOutputs(this));
    }
}
