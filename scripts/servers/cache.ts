import { join } from "node:path";
import { eventually, freePort, removeTempDir, run, spawnServer, tempDir } from "./process";
import type { Certificate } from "./tls";

export interface CacheServer {
    /** 127.0.0.1:<port>, TLS only. */
    readonly address: string;
    /** The address as redis_exporter and application clients take it: `rediss://127.0.0.1:<port>`. */
    readonly url: string;
    stop(): Promise<void>;
}

/**
 * A Redis OSS server (Debian's redis-server) on loopback as ElastiCache runs Keel's caches: TLS
 * only (no plain-text port), AUTH with `authToken`, a maxmemory, no persistence. Ready once
 * redis-cli's PING over TLS with the token answers PONG.
 */
export async function startCache(authToken: string, certificate: Certificate, maxmemory = "64mb"): Promise<CacheServer> {
    const dir = tempDir("cache");
    const port = await freePort();
    const server = spawnServer("redis-server", [
        "--port", "0",
        "--tls-port", String(port),
        "--tls-cert-file", certificate.certFile,
        "--tls-key-file", certificate.keyFile,
        "--tls-ca-cert-file", certificate.certFile,
        "--tls-auth-clients", "no",
        "--requirepass", authToken,
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--maxmemory", maxmemory,
        "--dir", dir,
    ], { logFile: join(dir, "redis.log") });
    // REDISCLI_AUTH keeps the token off the command line.
    const ping = () => run("redis-cli", ["--tls", "--cacert", certificate.certFile, "-h", "127.0.0.1", "-p", String(port), "ping"], { env: { ...process.env, REDISCLI_AUTH: authToken } }).trim();
    await eventually(async () => {
        if (ping() !== "PONG") throw new Error(`redis-server on ${port} does not answer yet:\n${server.log()}`);
    });
    return {
        address: `127.0.0.1:${port}`,
        url: `rediss://127.0.0.1:${port}`,
        stop: async () => {
            await server.stop();
            removeTempDir(dir);
        },
    };
}
