import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { readFileSync } from "node:fs";
import Redis from "ioredis";
import { cacheEnvironmentJq } from "../components/traffic/user-data";
import { redisUrl } from "../components/cache/settings";
import { removeTempDir, run, selfSignedCertificate, startCache, tempDir, type CacheServer } from "../scripts/servers";

/**
 * The application's side of the cache, end to end: the instance's start script turns the
 * region's connection secret into REDIS_URL with jq (the very program user data carries), and
 * the guides' client (`new Redis(process.env.REDIS_URL)`, ioredis) connects with it to a Redis
 * OSS server that, as ElastiCache runs Keel's caches, accepts only TLS and requires the token.
 */

describe("REDIS_URL reaches the cache over TLS with the token", () => {
    const dir = tempDir("cache-connection");
    const authToken = "Zq8mK2vN4xR7tB1wY5cH9jL3pD6fG0sA";
    let cache: CacheServer;
    let ca: Buffer;

    before(async () => {
        const certificate = selfSignedCertificate(dir);
        ca = readFileSync(certificate.certFile);
        cache = await startCache(authToken, certificate);
    });
    after(async () => {
        await cache?.stop();
        removeTempDir(dir);
    });

    /** What the start script appends to the application's environment, from the secret ReplicatedCache writes. */
    const environmentFrom = (secret: object) => run("jq", ["--raw-output", cacheEnvironmentJq], { input: JSON.stringify(secret) }).trim();
    /** Writes and reads a key with a client of `url`; the value read, or the errors the client met. */
    const connect = async (url: string, tls = true): Promise<string | null | Error[]> => {
        const errors: Error[] = [];
        const client = new Redis(url, { ...(tls ? { tls: { ca } } : {}), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
        client.on("error", (error: Error) => errors.push(error));
        try {
            await client.connect();
            await client.set("keel:flow", "ok", "EX", 60);
            return await client.get("keel:flow");
        } catch (error) {
            return [...errors, error as Error];
        } finally {
            client.disconnect();
        }
    };
    const messages = (result: string | null | Error[]) => (Array.isArray(result) ? result.map((e) => e.message).join("; ") : `no error: ${String(result)}`);

    test("the start script's REDIS_URL is the component's, and the client reads and writes with it", async () => {
        const [host, port] = cache.address.split(":");
        const line = environmentFrom({ host, port: Number(port), authToken });
        assert.equal(line, `REDIS_URL=${redisUrl({ host, port: Number(port), authToken })}`);
        assert.equal(await connect(line.slice("REDIS_URL=".length)), "ok");
    });

    test("without TLS, or with another token, the cache refuses the client", async () => {
        const [host, port] = cache.address.split(":");
        assert.match(messages(await connect(redisUrl({ host, port: Number(port), authToken: "not-the-token-0000000000" }))), /WRONGPASS/);
        // Plain text on the TLS port: the handshake never completes, and nothing is read or written.
        assert.ok(Array.isArray(await connect(`redis://:${authToken}@${host}:${port}`, false)));
    });
});
