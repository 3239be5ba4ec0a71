import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../plan/engine";
import { only, planStack } from "../../tests/plans";
import { databaseUrn, phaseOverrides, phases } from "./failover";
import { diffPlans, renderDiff, type PlanDiff } from "./plan-diff";

const summary = (diff: PlanDiff) => ({
    added: diff.added.map((r) => r.name),
    removed: diff.removed.map((r) => r.name),
    changed: Object.fromEntries(diff.changed.map(({ resource, inputs }) => [`${resource.type} ${resource.name}`, inputs])),
});

describe("--dry-run: the offline plan's difference between normal and DR mode", () => {
    let normal: PlanRecord;
    let dr: PlanRecord;
    before(async () => {
        const { before: from, after: to } = phaseOverrides(phases.failover);
        [normal, dr] = await Promise.all([planStack("production", from), planStack("production", to)]);
    });

    test("promotes the DR database, moves the writer name, scales the DR service and its watch, and nothing else", () => {
        assert.deepEqual(summary(diffPlans(normal, dr)), {
            added: [],
            // A promoted database has no replica lag; the DR region's watch expects production capacity.
            removed: ["database-dr-replication-lag", "dr-watch-replica-lag"],
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

    test("renders like a preview, with regions and a summary", () => {
        const lines = renderDiff(diffPlans(normal, dr)).split("\n");
        assert.equal(lines[0], "  - aws:cloudwatch:MetricAlarm database-dr-replication-lag (us-west-2)");
        assert.ok(lines.includes("  ~ aws:route53:Record database-writer (us-east-1): records"), lines.join("\n"));
        assert.equal(lines.at(-1), "  0 to add, 6 to change, 2 to remove");
        assert.equal(renderDiff(diffPlans(normal, normal)), "  no differences");
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
