import type * as pulumi from "@pulumi/pulumi";

/** postgres_exporter's port; its Services and containers listen there too, so targets read `<name>:9187`. */
export const postgresExporterPort = 9187;

/** The exporter's image, pinned: the version prometheus-postgres-exporter 8.2.0 (the chart Keel pins) runs. */
export const postgresExporterImage = "quay.io/prometheuscommunity/postgres-exporter:v0.20.1";

/** A PostgreSQL server an exporter watches, on Kubernetes (a Helm release) or Docker (a container). */
export interface PostgresExporterTarget {
    /** The exporter's name: its release and Service, or its container and network alias, e.g. `postgres-exporter`. */
    readonly name: string;
    readonly host: pulumi.Input<string>;
    readonly port: number;
    readonly database: pulumi.Input<string>;
    /** `require` for RDS (which enforces TLS); `disable` for a laptop's containers. */
    readonly sslmode: "require" | "disable";
    /** The login, from the database's credentials secret: it reaches the exporter as a secret, never a plain value. */
    readonly credentials: pulumi.Output<{ readonly username: string; readonly password: string }>;
}

/** A server as postgres_exporter's connection URI names it. */
export interface ExporterDataSource {
    readonly host: string;
    readonly port: number;
    readonly database: string;
    readonly sslmode: PostgresExporterTarget["sslmode"];
}

/** postgres_exporter's connection variables (it reads the password apart from the URI, so the URI is no secret). */
export const exporterConnectionVariables = { uri: "DATA_SOURCE_URI", user: "DATA_SOURCE_USER", password: "DATA_SOURCE_PASS" } as const;

export function dataSourceUri(source: ExporterDataSource): string {
    return `${source.host}:${source.port}/${source.database}?sslmode=${source.sslmode}`;
}

/** The exporter's whole connection environment, as a Docker exporter container gets it. */
export function postgresExporterEnvironment(source: ExporterDataSource, credentials: { readonly username: string; readonly password: string }): Record<string, string> {
    return {
        [exporterConnectionVariables.uri]: dataSourceUri(source),
        [exporterConnectionVariables.user]: credentials.username,
        [exporterConnectionVariables.password]: credentials.password,
    };
}
