import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import { arnOf, mockOf, object, only, planStack, text } from "../../tests/plans";
import { databaseUrn, phaseOverrides, phases } from "./failover";
import { diffPlans, renderDiff, type PlanDiff } from "../plan/diff";

/** The inputs a change touches, by their top-level key. */
const topLevel = (paths: readonly string[]) => [...new Set(paths.map((path) => path.split(/[.[]/)[0]))].sort();
const summary = (diff: PlanDiff) => ({
    added: diff.added.map((r) => r.name),
    removed: diff.removed.map((r) => r.name),
    changed: Object.fromEntries(diff.changed.map(({ resource, changes }) => [`${resource.type} ${resource.name}`, topLevel(changes.map((c) => c.path))])),
});

describe("--dry-run: the offline plan's difference between normal and DR mode", () => {
    let normal: PlanRecord;
    let dr: PlanRecord;
    before(async () => {
        const { before: from, after: to } = phaseOverrides(phases.failover);
        [normal, dr] = await Promise.all([planStack("production", from), planStack("production", to)]);
    });

    test("promotes the DR database, moves the writer name, scales the DR service and its watch, watches the cache's lag from the other side, and nothing else", () => {
        assert.deepEqual(summary(diffPlans(normal, dr)), {
            // The failover script promoted the cache's secondary: the primary region's group is the one that lags now.
            added: ["cache-primary-global-replication-lag"],
            // A promoted database has no replica lag; the DR region's watch expects production capacity.
            removed: ["cache-dr-global-replication-lag", "database-dr-replication-lag", "dr-watch-replica-lag"],
            changed: {
                "aws:cloudwatch/metricAlarm:MetricAlarm dr-watch-healthy-targets": ["alarmDescription", "threshold"],
                "keel:database:ReplicatedDatabase database": ["drActive"],
                "aws:rds/instance:Instance database-dr": ["applyImmediately", "backupRetentionPeriod", "backupWindow", "deleteAutomatedBackups", "finalSnapshotIdentifier", "replicateSourceDb", "skipFinalSnapshot", "tags"],
                "aws:route53/record:Record database-writer": ["records"],
                "keel:traffic:AutoscaledService app-dr": ["minSize"],
                "aws:autoscaling/group:Group app-dr": ["desiredCapacity", "minSize"],
            },
        });
    });

    test("renders like a preview: each changed value old → new, changed outputs, and pulumi's summary line", () => {
        const lines = renderDiff(diffPlans(normal, dr)).split("\n");
        const at = (line: string) => {
            const index = lines.indexOf(line);
            assert.ok(index >= 0, `no line ${JSON.stringify(line)} in\n${lines.join("\n")}`);
            return index;
        };
        const record = at("  ~ aws:route53:Record database-writer (us-east-1)");
        assert.match(lines[record + 1], /^ {6}records: \["database-primary-\w+\.\w+\.us-east-1\.rds\.amazonaws\.com"\] → \["database-dr-\w+\.\w+\.us-west-2\.rds\.amazonaws\.com"\]$/);
        const group = at("  ~ aws:autoscaling:Group app-dr (us-west-2)");
        assert.deepEqual(lines.slice(group + 1, group + 3), ["      desiredCapacity: 1 → 2", "      minSize: 1 → 2"]);
        const replica = at("  ~ aws:rds:Instance database-dr (us-west-2)");
        assert.ok(lines.slice(replica + 1, replica + 10).includes("      backupRetentionPeriod: (unset) → 35"), lines.join("\n"));
        assert.ok(lines.slice(replica + 1, replica + 10).includes("      tags.backup: (unset) → \"true\""), lines.join("\n"));
        assert.ok(at("  - aws:cloudwatch:MetricAlarm database-dr-replication-lag (us-west-2)") > group, "deletions come last");
        assert.ok(at("Outputs:") < at("  ~ drActive: false → true"));
        at('  ~ database.writerSite: "primary" → "dr"');
        assert.equal(lines.at(-1), `Resources: + 1 to create, ~ 6 to update, - 3 to delete, ${normal.resources.length - 9} unchanged`);
        assert.equal(renderDiff(diffPlans(normal, normal)), `Resources: ${normal.resources.length} unchanged`);
    });

    test("in DR mode the DR region's application reads the DR cache — its REDIS_URL names the secondary the script promotes — and nothing at the edge changes", () => {
        const cache = object(dr.outputs.cache, "cache");
        assert.equal(cache.writerSite, "dr");
        const secondary = only(dr, "aws:elasticache/replicationGroup:ReplicationGroup", "cache-dr");
        assert.equal(object(cache.endpoints, "endpoints").dr, mockOf(secondary).state.primaryEndpointAddress);
        // The connection secret of the DR region, read at every start by the DR region's instances.
        const userData = Buffer.from(text(only(dr, "aws:ec2/launchTemplate:LaunchTemplate", "app-dr").inputs.userData, "userData"), "base64").toString();
        assert.ok(userData.includes(`--secret-id '${arnOf(only(dr, "aws:secretsmanager/secret:Secret", "cache-dr-connection"))}'`), "the DR instances read the DR cache's secret");
        assert.ok(only(dr, "aws:secretsmanager/secretVersion:SecretVersion", "cache-dr-connection").dependencies.includes(secondary.urn), "whose host is the secondary's primary endpoint");
        for (const type of ["aws:cloudfront/distribution:Distribution", "aws:wafv2/webAcl:WebAcl", "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"]) {
            assert.deepEqual(only(dr, type).inputs, only(normal, type).inputs, `${type}: a failover needs no change of it`);
        }
    });

    test("the URNs the failback replaces are those of the production stack's databases", () => {
        const stack = { name: "production", project: "keel" };
        assert.equal(databaseUrn(stack, "primary"), only(normal, "aws:rds/instance:Instance", "database-primary").urn);
        assert.equal(databaseUrn(stack, "dr"), only(normal, "aws:rds/instance:Instance", "database-dr").urn);
    });

    test("each failback phase starts where the previous one ends", () => {
        assert.deepEqual(Object.values(phases).map(phaseOverrides), [
            { before: [], after: ["keel:dr.active=true"] },
            { before: ["keel:dr.active=true"], after: ["keel:dr.active=true", "keel:dr.primaryDatabase=rebuilding"] },
            { before: ["keel:dr.active=true", "keel:dr.primaryDatabase=rebuilding"], after: ["keel:dr.active=false", "keel:dr.primaryDatabase=rebuilt"] },
        ]);
    });
});
