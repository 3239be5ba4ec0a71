import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cacheDefaults, cacheSettingsProblems, memberClusterIds, redisUrl, replicationGroupIdProblems, supportsGlobalDatastore } from "./settings";

describe("cache settings", () => {
    test("replication group ids as the provider's validateReplicationGroupID takes them", () => {
        for (const id of ["keel-production-cache", "a", "A1-b2", "x".repeat(40)]) assert.deepEqual(replicationGroupIdProblems(id, ["id"]), [], id);
        for (const id of ["", "1cache", "-cache", "cache-", "ca--che", "ca_che", "x".repeat(41)]) assert.equal(replicationGroupIdProblems(id, ["id"]).length, 1, id);
    });

    test("Global Datastore node types: M5, M6g, M7g, R5, R6g, R6gd, R7g, C7gn, large and above", () => {
        for (const type of ["cache.r7g.large", "cache.m6g.xlarge", "cache.r6gd.2xlarge", "cache.c7gn.16xlarge"]) assert.ok(supportsGlobalDatastore(type), type);
        for (const type of ["cache.t4g.micro", "cache.t3.medium", "cache.r7g.medium", "cache.m4.large", "r7g.large"]) assert.ok(!supportsGlobalDatastore(type), type);
    });

    test("engine versions: Valkey 7 and later, Redis OSS 7.0 and later, major.minor only", () => {
        const versionProblems = (engine: "valkey" | "redis", engineVersion: string) => cacheSettingsProblems({ ...cacheDefaults, engine, engineVersion }, false).map((p) => p.path.join("."));
        assert.deepEqual(versionProblems("valkey", "8.0"), []);
        assert.deepEqual(versionProblems("valkey", "7.2"), []);
        assert.deepEqual(versionProblems("redis", "7.1"), []);
        assert.deepEqual(versionProblems("valkey", "8.0.1"), ["engineVersion"]);
        assert.deepEqual(versionProblems("redis", "6.2"), ["engineVersion"]);
        assert.deepEqual(versionProblems("redis", "6.x"), ["engineVersion"]);
    });

    test("a DR secondary with Multi-AZ needs two nodes too (it inherits automatic failover)", () => {
        const found = cacheSettingsProblems({ ...cacheDefaults, nodeType: "cache.r7g.large", nodes: 1, multiAz: true }, true).map((p) => p.path.join("."));
        assert.deepEqual(found, ["multiAz", "nodes"]);
    });

    test("the defaults are valid in one region", () => {
        assert.deepEqual(cacheSettingsProblems(cacheDefaults, false), []);
    });

    test("member clusters as the provider names them (CloudWatch's CacheClusterId)", () => {
        assert.deepEqual(memberClusterIds("keel-dev-cache", 2), ["keel-dev-cache-001", "keel-dev-cache-002"]);
    });

    test("REDIS_URL: TLS, the token as the password, escaped where a URL needs it", () => {
        assert.equal(redisUrl({ host: "master.c.abc.use1.cache.amazonaws.com", port: 6379, authToken: "abc123" }), "rediss://:abc123@master.c.abc.use1.cache.amazonaws.com:6379");
        assert.equal(redisUrl({ host: "h", port: 6379, authToken: "a#b<c>" }), "rediss://:a%23b%3Cc%3E@h:6379");
    });
});
