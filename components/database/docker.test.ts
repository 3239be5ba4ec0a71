import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import { list, object, ofType, only, planComponents, text } from "../../tests/plans";
import { unregioned } from "./testing";
import { LocalReplicatedDatabase, postgresImage } from "./docker";

describe("LocalReplicatedDatabase", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => {
            const db = new LocalReplicatedDatabase("database", { networkName: "keel-local", labels: { environment: "local" } });
            return { writerEndpoint: db.writerEndpoint, readerEndpoint: db.readerEndpoint, port: db.port, secret: db.secret, hostPorts: db.hostPorts };
        });
    });
    const container = (role: string) => only(record, "docker:index/container:Container", `database-${role}`);

    test("one pinned image, a writer and a reader container, each on its own volume", () => {
        assert.deepEqual(only(record, "docker:index/remoteImage:RemoteImage").inputs, { name: "postgres:15.14-bookworm", keepLocally: true });
        const imageId = unregioned(only(record, "docker:index/remoteImage:RemoteImage")).state.imageId;
        const volumes = ofType(record, "docker:index/volume:Volume").map((v) => v.name).sort();
        assert.deepEqual(volumes, ["database-reader-data", "database-writer-data"]);
        for (const role of ["writer", "reader"]) {
            const c = container(role).inputs;
            assert.equal(c.image, imageId);
            assert.deepEqual(c.volumes, [{ volumeName: unregioned(only(record, "docker:index/volume:Volume", `database-${role}-data`)).state.name, containerPath: "/var/lib/postgresql/data" }]);
            assert.equal(c.restart, "unless-stopped");
        }
    });

    test("the stable names are network aliases; ports are published on loopback only", () => {
        assert.deepEqual(container("writer").inputs.networksAdvanced, [{ name: "keel-local", aliases: ["writer.db.local.internal"] }]);
        assert.deepEqual(container("reader").inputs.networksAdvanced, [{ name: "keel-local", aliases: ["reader.db.local.internal"] }]);
        assert.deepEqual(container("writer").inputs.ports, [{ internal: 5432, external: 5432, ip: "127.0.0.1" }]);
        assert.deepEqual(container("reader").inputs.ports, [{ internal: 5432, external: 5433, ip: "127.0.0.1" }]);
        assert.deepEqual(
            [record.outputs.writerEndpoint, record.outputs.readerEndpoint, record.outputs.port, record.outputs.hostPorts],
            ["writer.db.local.internal", "reader.db.local.internal", 5432, { writer: 5432, reader: 5433 }],
        );
    });

    test("health checks: the writer answers on TCP, the reader is a standby in recovery", () => {
        assert.deepEqual(object(container("writer").inputs.healthcheck, "healthcheck").tests, ["CMD", "pg_isready", "-h", "localhost", "-U", "keel_admin", "-d", "app"]);
        const reader = list(object(container("reader").inputs.healthcheck, "healthcheck").tests, "tests");
        assert.equal(reader[0], "CMD-SHELL");
        assert.match(text(reader[1], "test"), /select pg_is_in_recovery\(\)'\)" = t/);
        assert.deepEqual([container("writer").inputs.wait, container("reader").dependencies.includes(container("writer").urn)], [true, true]);
    });

    test("the writer loads pg_stat_statements and keeps WAL for the replica; the reader streams from the writer's name and runs the same settings", () => {
        assert.deepEqual(container("writer").inputs.command, ["postgres", "-c", "shared_preload_libraries=pg_stat_statements", "-c", "log_min_duration_statement=1000", "-c", "wal_keep_size=512MB"]);
        const start = text(list(container("reader").inputs.entrypoints, "entrypoints")[2], "entrypoint");
        assert.match(start, /pg_basebackup -h writer\.db\.local\.internal -p 5432 -U replicator -D "\$PGDATA" -X stream -R/);
        assert.match(start, /exec postgres -c shared_preload_libraries=pg_stat_statements -c log_min_duration_statement=1000 -c wal_keep_size=512MB -c hot_standby=on "\$@"\n$/);
        assert.equal(container("reader").inputs.user, "postgres");
    });

    test("credentials reach the containers as files, never in plaintext", () => {
        assert.deepEqual(container("writer").inputs.envs, ["POSTGRES_USER=keel_admin", "POSTGRES_DB=app", "POSTGRES_PASSWORD_FILE=/run/keel/password"]);
        const uploads = (role: string) => list(container(role).inputs.uploads, "uploads").map((u) => object(u, "upload"));
        assert.deepEqual(uploads("writer").map((u) => [u.file, u.content === "[secret]", u.owner, u.permissions]), [
            ["/run/keel/password", true, "999", "0400"],
            ["/run/keel/replication-password", true, "999", "0400"],
            ["/docker-entrypoint-initdb.d/10-replication.sh", false, undefined, undefined],
        ]);
        assert.match(text(uploads("writer")[2].content, "init script"), /CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';/);
        assert.deepEqual(uploads("reader").map((u) => [u.file, u.content]), [["/run/keel/replication-password", "[secret]"]]);
        assert.equal(record.outputs.secret, "[secret]");
        for (const generator of ofType(record, "random:index/randomPassword:RandomPassword")) {
            const value = text(unregioned(generator).state.result, generator.name);
            assert.ok(!JSON.stringify(record).includes(value), `${generator.name} appears in the plan`);
        }
    });

    test("images are pinned per major version; others are refused", () => {
        assert.deepEqual([postgresImage("15"), postgresImage("16.4")], ["postgres:15.14-bookworm", "postgres:16.10-bookworm"]);
        assert.throws(() => postgresImage("14"), /no pinned PostgreSQL image for version 14 \(pinned: 15, 16\)/);
    });
});
