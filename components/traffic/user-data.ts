import { stringify } from "yaml";
import { portVariables } from "./application";

/**
 * The cloud-init user data of an application server (Ubuntu, as the guides run): Prometheus
 * node-exporter for the monitoring stack, the CloudWatch agent publishing memory and disk use
 * — EC2 reports neither, and the memory scaling policy tracks `mem_used_percent` — and the
 * application: a container image Docker runs under systemd, or a baked AMI's own service, both
 * given the environment `/usr/local/lib/keel/app-env` assembles at every start.
 */

/** Where the CloudWatch agent publishes (its default namespace) and the metric memory scaling tracks. */
export const agentNamespace = "CWAgent";
export const memoryMetricName = "mem_used_percent";
const agentConfigPath = "/etc/keel/amazon-cloudwatch-agent.json";

/**
 * The agent's configuration: every series carries the instance's Auto Scaling group, and the
 * agent also publishes the group-wide aggregate (`aggregation_dimensions`), the series a
 * target-tracking policy over the whole group needs.
 */
export const cloudWatchAgentConfig = {
    agent: { metrics_collection_interval: 60 },
    metrics: {
        namespace: agentNamespace,
        append_dimensions: { AutoScalingGroupName: "${aws:AutoScalingGroupName}", InstanceId: "${aws:InstanceId}" },
        aggregation_dimensions: [["AutoScalingGroupName"]],
        metrics_collected: {
            mem: { measurement: [memoryMetricName] },
            disk: { measurement: ["used_percent"], resources: ["/"] },
        },
    },
};

/** Where Ubuntu's prometheus-node-exporter listens (its default `--web.listen-address`). */
export const nodeExporterPort = 9100;

/** Files and units the application's boot uses (docs/traffic.md documents them for baked AMIs). */
export const applicationPaths = {
    /** The configured, non-secret variables (root only). */
    configuredEnvironment: "/etc/keel/app.env",
    /** Assembles the environment at start: configured variables and the database credentials. */
    environmentScript: "/usr/local/lib/keel/app-env",
    /** The assembled environment, on tmpfs (root only): what the application reads. */
    environment: "/run/keel/app.env",
    /** Logs Docker in to a private ECR registry with the instance role. */
    registryLoginScript: "/usr/local/lib/keel/registry-login",
    /** Runs the container (image mode). */
    applicationUnit: "keel-app.service",
    /** Assembles the environment once at boot, for a baked AMI's own service to order itself after. */
    environmentUnit: "keel-app-env.service",
    /** The container's name. */
    container: "keel-app",
} as const;

/** What the instance starts: the port, the configured variables and, in image mode, the image. */
export interface ApplicationBoot {
    /** The application's port; published from the container on the same port. */
    readonly port: number;
    /** A container image (image mode); unset: a baked AMI runs the application itself. */
    readonly image?: string;
    /** A private ECR registry to log Docker in to, with the instance role. */
    readonly registryLogin?: { readonly registry: string; readonly region: string };
    readonly environment: Readonly<Record<string, string>>;
    /** The database credentials secret to read at every start, in its region. */
    readonly databaseSecret?: { readonly arn: string; readonly region: string };
    /** The cache's connection secret to read at every start, in its region. */
    readonly cacheSecret?: { readonly arn: string; readonly region: string };
}

/**
 * DATABASE_URL, DATABASE_READER_URL and the libpq variables from the secret's JSON. The
 * database refuses unencrypted connections (rds.force_ssl), hence sslmode=require.
 */
const databaseEnvironmentJq = [
    String.raw`"DATABASE_URL=postgresql://\(.username|@uri):\(.password|@uri)@\(.host):\(.port)/\(.dbname|@uri)?sslmode=require"`,
    String.raw`"DATABASE_READER_URL=postgresql://\(.username|@uri):\(.password|@uri)@\(.readerHost // .host):\(.port)/\(.dbname|@uri)?sslmode=require"`,
    String.raw`"PGHOST=\(.host)"`,
    String.raw`"PGPORT=\(.port)"`,
    String.raw`"PGDATABASE=\(.dbname)"`,
    String.raw`"PGUSER=\(.username)"`,
    String.raw`"PGPASSWORD=\(.password)"`,
    `"PGSSLMODE=require"`,
].join(", ");

/**
 * REDIS_URL from the cache's secret: TLS (`rediss`, the cache refuses plain text) and the AUTH
 * token as the password (ReplicatedCache's tokens are letters and digits; `@uri` keeps any other safe).
 */
export const cacheEnvironmentJq = String.raw`"REDIS_URL=rediss://:\(.authToken|@uri)@\(.host):\(.port)"`;

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The script that writes `/run/keel/app.env` (tmpfs, mode 0600) before every start: the
 * configured variables and, with a database or a cache, its secret fetched from Secrets Manager
 * with the instance role and piped straight into jq — never in user data, never on disk.
 */
export function environmentScript(boot: ApplicationBoot): string {
    const { configuredEnvironment, environment } = applicationPaths;
    const fetch = (what: string, secret: { readonly arn: string; readonly region: string }, jq: string) => [
        `# ${what}, read with the instance role (secretsmanager:GetSecretValue on this secret only).`,
        `aws secretsmanager get-secret-value --region ${secret.region} --secret-id ${shellQuote(secret.arn)} --query SecretString --output text \\`,
        `    | jq --raw-output ${shellQuote(jq)} >> "$tmp"`,
    ];
    const fetches = [
        ...(boot.databaseSecret ? fetch("The database credentials", boot.databaseSecret, databaseEnvironmentJq) : []),
        ...(boot.cacheSecret ? fetch("The cache's connection", boot.cacheSecret, cacheEnvironmentJq) : []),
    ];
    return [
        "#!/bin/bash",
        "# Keel: assembles the application's environment before every start (docs/traffic.md).",
        "set -euo pipefail",
        "umask 077",
        `mkdir -p ${environment.slice(0, environment.lastIndexOf("/"))}`,
        `tmp="$(mktemp ${environment}.XXXXXX)"`,
        `trap 'rm -f "$tmp"' EXIT`,
        `cat ${configuredEnvironment} > "$tmp"`,
        ...(fetches.length > 0 ? fetches : ["# No database and no cache: nothing to fetch."]),
        `mv "$tmp" ${environment}`,
        "trap - EXIT",
        "",
    ].join("\n");
}

/** Logs Docker in to the private ECR registry (tokens last 12 hours: every start logs in afresh). */
export function registryLoginScript(login: NonNullable<ApplicationBoot["registryLogin"]>): string {
    return [
        "#!/bin/bash",
        "# Keel: logs Docker in to the application's ECR registry with the instance role.",
        "set -euo pipefail",
        `mkdir -p --mode 0700 "\${DOCKER_CONFIG:-/root/.docker}"`,
        `aws ecr get-login-password --region ${login.region} | docker login --username AWS --password-stdin ${login.registry}`,
        "",
    ].join("\n");
}

/**
 * The systemd unit that runs the image: `docker run` in the foreground with the port published,
 * the assembled environment and the logs in the journal; no Docker restart policy — systemd
 * restarts it, forever (`Restart=always`, no start limit), and assembles the environment and
 * logs in again before each start. Docker's credentials stay on tmpfs (`DOCKER_CONFIG`).
 */
export function applicationUnit(boot: ApplicationBoot & { readonly image: string }): string {
    const { container, environment, environmentScript, registryLoginScript } = applicationPaths;
    return [
        "[Unit]",
        `Description=Keel application ${boot.image}`,
        "Wants=network-online.target",
        "After=network-online.target docker.service",
        "Requires=docker.service",
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "Environment=DOCKER_CONFIG=/run/keel/docker",
        `ExecStartPre=${environmentScript}`,
        ...(boot.registryLogin ? [`ExecStartPre=${registryLoginScript}`] : []),
        `ExecStartPre=-/usr/bin/docker rm --force ${container}`,
        `ExecStartPre=/usr/bin/docker pull ${boot.image}`,
        `ExecStart=/usr/bin/docker run --rm --name ${container} --publish ${boot.port}:${boot.port} --env-file ${environment} --log-driver journald ${boot.image}`,
        `ExecStop=/usr/bin/docker stop --time 30 ${container}`,
        "Restart=always",
        "RestartSec=5",
        // Pulling a large image on a fresh instance takes a while.
        "TimeoutStartSec=900",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
}

/** For a baked AMI: assembles the environment once at boot; the AMI's service orders itself after it. */
export function environmentUnit(): string {
    return [
        "[Unit]",
        "Description=Keel: the application's environment in /run/keel/app.env",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        `ExecStart=${applicationPaths.environmentScript}`,
        "Restart=on-failure",
        "RestartSec=10",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
}

/** The configured variables and the port, one `NAME=value` a line (Docker's `--env-file`, systemd's `EnvironmentFile`). */
export function configuredEnvironment(boot: ApplicationBoot): string {
    const port = Object.fromEntries(portVariables.map((name) => [name, String(boot.port)]));
    return Object.entries({ ...boot.environment, ...port }).map(([name, value]) => `${name}=${value}\n`).join("");
}

/**
 * `#cloud-config` for Ubuntu on amd64 in `region`. The agent package comes from the region's
 * own download bucket, which private subnets reach through the VPC's S3 gateway endpoint.
 * With `application`, the instance also starts the application (docs/traffic.md).
 */
export function renderUserData(region: string, application?: ApplicationBoot): string {
    const agentPackage = `https://amazoncloudwatch-agent-${region}.s3.${region}.amazonaws.com/ubuntu/amd64/latest/amazon-cloudwatch-agent.deb`;
    const app = application === undefined ? undefined : applicationFiles(application);
    const config = {
        package_update: true,
        // Ubuntu's package runs node-exporter as a service on :9100 (nodeExporterPort).
        packages: ["prometheus-node-exporter", ...(app?.packages ?? [])],
        write_files: [
            { path: agentConfigPath, permissions: "0644", content: JSON.stringify(cloudWatchAgentConfig, null, 2) },
            ...(app?.files ?? []),
        ],
        runcmd: [
            ["curl", "--fail", "--silent", "--show-error", "--location", "--retry", "5", "--output", "/tmp/amazon-cloudwatch-agent.deb", agentPackage],
            ["dpkg", "--install", "/tmp/amazon-cloudwatch-agent.deb"],
            ["/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl", "-a", "fetch-config", "-m", "ec2", "-s", "-c", `file:${agentConfigPath}`],
            ...(app?.runcmd ?? []),
        ],
    };
    // No folding: scripts and units stay readable, line for line, in the decoded user data.
    return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}

function applicationFiles(boot: ApplicationBoot) {
    const { configuredEnvironment: envPath, environmentScript: scriptPath, registryLoginScript: loginPath, applicationUnit: appUnit, environmentUnit: envUnit } = applicationPaths;
    const files = [
        { path: envPath, permissions: "0600", content: configuredEnvironment(boot) },
        { path: scriptPath, permissions: "0700", content: environmentScript(boot) },
    ];
    // Ubuntu 22.04's awscli (v1) reads the secret and the ECR token; jq turns the secret into variables.
    const readsSecrets = boot.databaseSecret !== undefined || boot.cacheSecret !== undefined;
    const cli = readsSecrets || boot.registryLogin !== undefined ? ["awscli"] : [];
    const jq = readsSecrets ? ["jq"] : [];
    if (boot.image !== undefined) {
        return {
            packages: ["docker.io", ...cli, ...jq],
            files: [
                ...files,
                ...(boot.registryLogin ? [{ path: loginPath, permissions: "0700", content: registryLoginScript(boot.registryLogin) }] : []),
                { path: `/etc/systemd/system/${appUnit}`, permissions: "0644", content: applicationUnit({ ...boot, image: boot.image }) },
            ],
            runcmd: [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", "--no-block", appUnit]],
        };
    }
    return {
        packages: [...cli, ...jq],
        files: [...files, { path: `/etc/systemd/system/${envUnit}`, permissions: "0644", content: environmentUnit() }],
        runcmd: [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", envUnit]],
    };
}
