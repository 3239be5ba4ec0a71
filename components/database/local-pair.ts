/**
 * What the local stack gives its PostgreSQL writer and streaming replica, as plain values: the
 * Docker component (`LocalReplicatedDatabase`) puts them in its containers verbatim, and the
 * real-server tests (scripts/servers/postgres-pair.ts) run the same text on loopback, so the
 * two cannot drift apart.
 */

import { databaseDefaults } from "./settings";

/** The database and the admin login the writer's first start creates (the image's POSTGRES_DB and POSTGRES_USER). */
export const localDatabaseDefaults = { databaseName: databaseDefaults.databaseName, username: databaseDefaults.masterUsername, logMinDurationMs: databaseDefaults.logMinDurationMs } as const;

/** Where the containers find their password files. */
export const localCredentialsDir = "/run/keel";

/** The password files in the credentials directory: the admin's and the replication role's. */
export const localPasswordFiles = { password: "password", replication: "replication-password" } as const;

export const replicationUser = "replicator";

/**
 * Both servers' settings, each passed as `-c <setting>`: the replica runs them too, so that once
 * promoted it is a writer like the first (statistics, slow-statement log, WAL for a new replica).
 */
export function serverSettings(logMinDurationMs: number): string[] {
    return [
        "shared_preload_libraries=pg_stat_statements",
        `log_min_duration_statement=${logMinDurationMs}`,
        // WAL kept for a replica that falls behind or restarts (no replication slot to outlive a rebuilt replica).
        "wal_keep_size=512MB",
    ];
}

/** Creates the replication role and lets it connect for replication (run once, by the image's first-start initialisation). */
export function replicationSetupScript(credentialsDir: string = localCredentialsDir): string {
    return `#!/usr/bin/env bash
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --set password="$(cat ${credentialsDir}/${localPasswordFiles.replication})" <<'SQL'
CREATE ROLE ${replicationUser} WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication ${replicationUser} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
`;
}

/**
 * The streaming replica's start: on an empty data directory, copy the writer with pg_basebackup
 * (`-R` writes standby.signal and the connection to the writer), then run as a hot standby.
 * Arguments after the script are the server's own (none in the container).
 */
export function replicaStartScript(writer: { readonly host: string; readonly port: number }, settings: readonly string[], credentialsDir: string = localCredentialsDir): string {
    return `set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  export PGPASSWORD="$(cat ${credentialsDir}/${localPasswordFiles.replication})"
  until pg_isready -h ${writer.host} -p ${writer.port} -U ${replicationUser} -d postgres; do sleep 1; done
  pg_basebackup -h ${writer.host} -p ${writer.port} -U ${replicationUser} -D "$PGDATA" -X stream -R --checkpoint=fast
  chmod 0700 "$PGDATA"
fi
exec postgres ${settings.map((setting) => `-c ${setting} `).join("")}-c hot_standby=on "$@"
`;
}
