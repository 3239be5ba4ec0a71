import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validateBackupRules, vaultLockFor } from "../components/backup/schedule";
import { loadStackConfig } from "../offline-plan/stack-config";
import { projectRoot } from "../tests/plans";
import { resolveKeelConfig } from "./config";
import { environments, minimumsOf, switchesOf, type Environment } from "./environments";
import { monitoringSpec } from "./monitoring";
import { productionBackupBuckets, productionBackupRules, stagingBackupBuckets, stagingBackupRules } from "./presets";

const configOf = (environment: Environment) => resolveKeelConfig(loadStackConfig(projectRoot, environment, []).config, environment);

describe("the backup presets, composed from the component's rules", () => {
    const byName = (rules: typeof productionBackupRules) => Object.fromEntries(rules.map((r) => [r.name, r]));

    test("production: PITR 35 days, daily 7 days, weekly (Sunday) 4 weeks, monthly 1 year in cold storage after 90 days, all copied to DR", () => {
        assert.deepEqual(byName(productionBackupRules), {
            pitr: { name: "pitr", continuous: true, schedule: "cron(0 7 ? * * *)", deleteAfterDays: 35, copyToDr: true },
            daily: { name: "daily", schedule: "cron(0 6 ? * * *)", deleteAfterDays: 7, copyToDr: true },
            weekly: { name: "weekly", schedule: "cron(0 6 ? * SUN *)", deleteAfterDays: 28, copyToDr: true },
            monthly: { name: "monthly", schedule: "cron(0 6 1 * ? *)", coldStorageAfterDays: 90, deleteAfterDays: 365, copyToDr: true },
        });
    });

    test("production: valid with its compliance lock (7 to 365 days) and a DR vault", () => {
        const lock = vaultLockFor("compliance", productionBackupRules);
        assert.deepEqual(lock, { mode: "compliance", changeableForDays: 3, minRetentionDays: 7, maxRetentionDays: 365 });
        assert.deepEqual(validateBackupRules(productionBackupRules, lock, { hasDrVault: true }), { errors: [], warnings: [] });
    });

    test("production: every rule needs the DR vault (3-2-1: one copy off-site)", () => {
        assert.deepEqual(
            validateBackupRules(productionBackupRules, vaultLockFor("compliance", productionBackupRules), { hasDrVault: false }).errors,

            ["pitr", "daily", "weekly", "monthly"].map((name) => `rule "${name}": copyToDr needs a DR vault, and this plan has none (no drProvider)`),
        );
    });

    test("staging: weekly only, kept 4 weeks, no DR copy; valid with its governance lock", () => {
        assert.deepEqual(stagingBackupRules, [{ name: "weekly", schedule: "cron(0 6 ? * SUN *)", deleteAfterDays: 28 }]);
        const lock = vaultLockFor("governance", stagingBackupRules);
        assert.deepEqual(lock, { mode: "governance", minRetentionDays: 28, maxRetentionDays: 28 });
        assert.deepEqual(validateBackupRules(stagingBackupRules, lock, { hasDrVault: false }), { errors: [], warnings: [] });
    });
});

describe("each environment's switches", () => {
    test("backups: production keeps the 3-2-1 rules and four buckets, staging weekly dumps, dev and local no buckets", () => {
        const backup = (environment: Environment) => switchesOf({ environment }).backup;
        assert.equal(backup("production").rules, productionBackupRules);
        assert.equal(backup("production").buckets, productionBackupBuckets);
        assert.equal(backup("staging").rules, stagingBackupRules);
        assert.equal(backup("staging").buckets, stagingBackupBuckets);
        for (const environment of ["dev", "local"] as const) assert.deepEqual(backup(environment).buckets, [], environment);
        assert.deepEqual(backup("local").rules, []);
    });

    test("a continuous rule's retention is the database's: the environment's defaults agree with its rules", () => {
        for (const environment of environments) {
            const continuous = switchesOf({ environment }).backup.rules.find((rule) => rule.continuous === true);
            if (continuous !== undefined) assert.equal(configOf(environment).database.backupRetentionDays, continuous.deleteAfterDays, environment);
        }
    });

    test("monitoring: only production is highly available with simple scalable Loki and a critical error ratio", () => {
        const monitoring = Object.fromEntries(environments.map((environment) => [environment, switchesOf({ environment }).monitoring]));
        assert.deepEqual(monitoring, {
            local: { highAvailability: false, lokiMode: "monolithic", errorRatio: { warning: 0.05 } },
            dev: { highAvailability: false, lokiMode: "monolithic", errorRatio: { warning: 0.05 } },
            staging: { highAvailability: false, lokiMode: "monolithic", errorRatio: { warning: 0.05 } },
            production: { highAvailability: true, lokiMode: "simple-scalable", errorRatio: { warning: 0.05, critical: 0.01 } },
        });
    });

    test("platform: local on Docker, every other environment on AWS; only Docker needs no alarm addresses", () => {
        for (const environment of environments) {
            const docker = switchesOf({ environment }).platform === "docker";
            assert.equal(docker, environment === "local", environment);
            assert.equal(minimumsOf(environment).requiresAlarmEmails, !docker, environment);
        }
    });

    test("the monitoring spec follows the switches: the BackupMissing age is the freshness of the tier each run writes", () => {
        assert.equal(monitoringSpec(configOf("production")).backups?.maxAgeHours, 26);
        assert.equal(monitoringSpec(configOf("staging")).backups?.maxAgeHours, 8 * 24 + 2);
        assert.equal(monitoringSpec(configOf("dev")).backups, undefined);
    });
});
