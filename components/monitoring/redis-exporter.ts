import type * as pulumi from "@pulumi/pulumi";

/** redis_exporter's port; its Services listen there too, so targets read `<name>.<namespace>.svc:9121`. */
export const redisExporterPort = 9121;

/** The exporter's image, pinned: the version prometheus-redis-exporter 6.29.0 (the chart Keel pins) runs. */
export const redisExporterImage = "oliver006/redis_exporter:v1.89.0";

/** A Valkey or Redis OSS server an exporter watches: one release each. */
export interface RedisExporterTarget {
    /** The exporter's release and Service, e.g. `redis-exporter`. */
    readonly name: string;
    readonly host: pulumi.Input<string>;
    readonly port: number;
    /** The AUTH token (a Pulumi secret): it reaches the exporter through a Kubernetes Secret, never a Helm value. */
    readonly authToken: pulumi.Output<string>;
}

/**
 * The exporter's environment beyond the address and password: ElastiCache refuses CONFIG
 * (ElastiCache User Guide, "Restricted commands"), so the exporter does not send it on every
 * scrape (`-` skips it; maxmemory still comes from INFO).
 */
export const redisExporterEnvironment = { REDIS_EXPORTER_CONFIG_COMMAND: "-" } as const;

/** The address redis_exporter connects to: `rediss://` is TLS, which ElastiCache requires of Keel's caches. */
export function redisExporterAddress(host: string, port: number): string {
    return `rediss://${host}:${port}`;
}
