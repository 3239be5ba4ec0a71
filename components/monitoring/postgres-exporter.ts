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
