import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { found, resource, runPolicy } from "../testing";
import { atLeastWeekly, databaseDumps } from "./backup";

const plan = resource("aws:backup/plan:Plan", {}, { name: "backup" });
const database = resource("aws:rds/instance:Instance", {}, { name: "database-primary" });
const bucket = resource("aws:s3/bucket:Bucket", {}, { name: "database-dumps" });
const cronJob = (spec: Record<string, unknown> = {}, env = [{ name: "PGHOST", value: "writer.db.production.internal" }, { name: "DUMP_BUCKET", value: "database-dumps-1" }], dependsOn = [bucket.resource]) =>
    resource("kubernetes:batch/v1:CronJob", {
        spec: { schedule: "30 4 * * *", jobTemplate: { spec: { template: { spec: { initContainers: [{ name: "dump", env }], containers: [{ name: "publish" }] } } } }, ...spec },
    }, { name: "database-dumps", dependsOn });
const refusal = (why: string) => `the stack backs up with AWS Backup plan "backup" but no job dumps the database to its dumps bucket${why} (docs/backups.md)`;

describe("keel-database-dumps", () => {
    test("passes a stack whose backups come with a daily or weekly dump job, and a stack without backups", async () => {
        assert.deepEqual(await runPolicy(databaseDumps, [plan, database, bucket, cronJob()]), []);
        assert.deepEqual(await runPolicy(databaseDumps, [plan, database, bucket, cronJob({ schedule: "30 4 * * 0" })]), []);
        assert.deepEqual(await runPolicy(databaseDumps, [bucket, database]), []);
        assert.deepEqual(await runPolicy(databaseDumps, [plan, bucket]), [], "a backup plan with no database to dump");
    });

    test("refuses a backed-up database without a dump job", async () => {
        assert.deepEqual(await found(databaseDumps, [plan, database, bucket]), [refusal("")]);
        assert.deepEqual(await runPolicy(databaseDumps, [plan, database, bucket], { "keel-database-dumps": { required: false } }), [], "dumped outside the stack");
    });

    test("refuses a dump job that is suspended, runs monthly, reads no database or writes no bucket", async () => {
        const cases: [ReturnType<typeof cronJob>, string][] = [
            [cronJob({ suspend: true }), 'CronJob "database-dumps" is suspended'],
            [cronJob({ schedule: "30 4 1 * *" }), 'CronJob "database-dumps" runs on "30 4 1 * *", less often than weekly'],
            [cronJob({}, [{ name: "DUMP_BUCKET", value: "database-dumps-1" }]), 'CronJob "database-dumps" reads no database (no PGHOST)'],
            [cronJob({}, undefined, []), `CronJob "database-dumps" writes to none of the stack's S3 buckets`],
        ];
        for (const [job, why] of cases) assert.deepEqual(await found(databaseDumps, [plan, database, bucket, job]), [refusal(`: ${why}`)]);
    });

    test("reads cron schedules", () => {
        assert.equal(atLeastWeekly("@daily"), undefined);
        assert.equal(atLeastWeekly("0 3 * * 1-5"), undefined);
        assert.equal(atLeastWeekly("0 3 * 1 *"), 'runs on "0 3 * 1 *", less often than weekly');
        assert.equal(atLeastWeekly("daily"), 'has the schedule "daily", not five cron fields');
        assert.equal(atLeastWeekly(undefined), "has no schedule");
    });
});
