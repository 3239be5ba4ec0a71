import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { DatabaseEndpoints } from "./context";
import { localCredentialsDir, localDatabaseDefaults, localPasswordFiles, replicaStartScript, replicationSetupScript, serverSettings } from "./local-pair";
import { postgresPort } from "./settings";
import { publicOutputs } from "../outputs";

/** Official PostgreSQL images pinned to an exact release and Debian base, per major version. */
export const postgresImages: Readonly<Record<string, string>> = {
    "15": "postgres:15.14-bookworm",
    "16": "postgres:16.10-bookworm",
};

/** The image for an engine version (`15` or `15.x`); throws for a major version without a pinned image. */
export function postgresImage(engineVersion: string): string {
    const major = engineVersion.split(".")[0];
    const image = postgresImages[major];
    if (image === undefined) throw new Error(`no pinned PostgreSQL image for version ${engineVersion} (pinned: ${Object.keys(postgresImages).join(", ")})`);
    return image;
}

export interface LocalReplicatedDatabaseArgs {
    /** The Docker network both containers join (and the applications reach them on). */
    readonly networkName: pulumi.Input<string>;
    /** Default `postgres:15.14-bookworm` (see `postgresImages`). */
    readonly image?: string;
    /** Default `app`. */
    readonly databaseName?: string;
    /** Default `keel_admin`. */
    readonly username?: string;
    /** The stable names are `writer.<zone>` and `reader.<zone>` on the Docker network. Default `db.local.internal`. */
    readonly zoneName?: string;
    /** Ports on the laptop's loopback interface for the writer and the reader. Default 5432 and 5433. */
    readonly hostPorts?: { readonly writer: number; readonly reader: number };
    /** Statements slower than this are logged. Default 1000 ms. */
    readonly logMinDurationMs?: number;
    /** Labels on the containers and volumes. */
    readonly labels?: Readonly<Record<string, string>>;
}

/**
 * The local stand-in for `ReplicatedDatabase`: a PostgreSQL writer and a streaming replica as
 * containers of the same pinned image, each on its own volume, with health checks, reachable
 * on the Docker network as `writer.<zone>` and `reader.<zone>` (the names the AWS stacks give
 * their private zone) and on the laptop's loopback interface. Same outputs as on AWS; the
 * secret is the connection document itself, as a Pulumi secret.
 */
export class LocalReplicatedDatabase extends pulumi.ComponentResource implements DatabaseEndpoints {
    public readonly writerEndpoint: pulumi.Output<string>;
    public readonly readerEndpoint: pulumi.Output<string>;
    public readonly port: pulumi.Output<number>;
    /** The connection document (engine, host, readerHost, port, dbname, username, password), secret. */
    public readonly secret: pulumi.Output<string>;
    /** The ports on 127.0.0.1 for tools on the laptop. */
    public readonly hostPorts: pulumi.Output<{ writer: number; reader: number }>;

    constructor(name: string, args: LocalReplicatedDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("keel:database:LocalReplicatedDatabase", name, args, opts);
        const parent = { parent: this };
        const stateful = { parent: this, retainOnDelete: opts?.retainOnDelete };
        const settings = serverSettings(args.logMinDurationMs ?? localDatabaseDefaults.logMinDurationMs);
        const zone = args.zoneName ?? "db.local.internal";
        const writerHost = `writer.${zone}`;
        const readerHost = `reader.${zone}`;
        const databaseName = args.databaseName ?? localDatabaseDefaults.databaseName;
        const username = args.username ?? localDatabaseDefaults.username;
        const hostPorts = args.hostPorts ?? { writer: postgresPort, reader: postgresPort + 1 };
        const labels = Object.entries(args.labels ?? {}).map(([label, value]) => ({ label, value }));

        const image = new docker.RemoteImage(`${name}-postgres`, { name: args.image ?? postgresImages["15"], keepLocally: true }, parent);
        const secretFile = (file: string, content: pulumi.Input<string>) => ({ file: `${localCredentialsDir}/${file}`, content, owner: "999", group: "999", permissions: "0400" });
        // The image's postgres user is uid/gid 999: it reads the password files, nobody else.
        const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, parent);
        const replicationPassword = new random.RandomPassword(`${name}-replication-password`, { length: 32, special: false }, parent);
        const replicationSecret = secretFile(localPasswordFiles.replication, replicationPassword.result);
        const healthcheck = (test: string[]) => ({ tests: test, interval: "5s", timeout: "3s", retries: 10, startPeriod: "30s" });
        const volume = (role: string) => new docker.Volume(`${name}-${role}-data`, { labels }, stateful);

        const writer = new docker.Container(`${name}-writer`, {
            image: image.imageId,
            command: ["postgres", ...settings.flatMap((setting) => ["-c", setting])],
            envs: [`POSTGRES_USER=${username}`, `POSTGRES_DB=${databaseName}`, `POSTGRES_PASSWORD_FILE=${localCredentialsDir}/${localPasswordFiles.password}`],
            uploads: [
                secretFile(localPasswordFiles.password, password.result),
                replicationSecret,
                { file: "/docker-entrypoint-initdb.d/10-replication.sh", content: replicationSetupScript(), executable: true },
            ],
            volumes: [{ volumeName: volume("writer").name, containerPath: "/var/lib/postgresql/data" }],
            networksAdvanced: [{ name: args.networkName, aliases: [writerHost] }],
            ports: [{ internal: postgresPort, external: hostPorts.writer, ip: "127.0.0.1" }],
            // TCP answers only once the first-start initialisation has finished.
            healthcheck: healthcheck(["CMD", "pg_isready", "-h", "localhost", "-U", username, "-d", databaseName]),
            restart: "unless-stopped",
            // The replica is created only once the writer is healthy.
            wait: true,
            waitTimeout: 120,
            labels,
        }, parent);

        new docker.Container(`${name}-reader`, {
            image: image.imageId,
            user: "postgres",
            entrypoints: ["bash", "-c", replicaStartScript({ host: writerHost, port: postgresPort }, settings)],
            uploads: [replicationSecret],
            volumes: [{ volumeName: volume("reader").name, containerPath: "/var/lib/postgresql/data" }],
            networksAdvanced: [{ name: args.networkName, aliases: [readerHost] }],
            ports: [{ internal: postgresPort, external: hostPorts.reader, ip: "127.0.0.1" }],
            // Healthy only as a standby that accepts connections.
            healthcheck: healthcheck(["CMD-SHELL", `pg_isready -h localhost && [ "$(psql -U ${username} -d ${databaseName} -tAc 'select pg_is_in_recovery()')" = t ]`]),
            restart: "unless-stopped",
            wait: true,
            waitTimeout: 300,
            labels,
        }, { parent: this, dependsOn: [writer] });

        this.writerEndpoint = pulumi.output(writerHost);
        this.readerEndpoint = pulumi.output(readerHost);
        this.port = pulumi.output(postgresPort);
        this.secret = pulumi.secret(pulumi.jsonStringify({
            engine: "postgres",
            host: writerHost,
            readerHost,
            port: postgresPort,
            dbname: databaseName,
            username,
            password: password.result,
        }));
        this.hostPorts = pulumi.output(hostPorts);
        this.registerOutputs(publicOutputs(this));
    }
}
