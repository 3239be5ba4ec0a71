import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PlanDocument } from "../../offline-plan/record";
import { renderCounts, renderOutputs, renderPlan } from "./report";

describe("the plan report", () => {
    test("one summary line as pulumi preview ends, without the counts that are zero", () => {
        assert.equal(renderCounts({ create: 2, update: 1, delete: 1, unchanged: 380 }), "Resources: + 2 to create, ~ 1 to update, - 1 to delete, 380 unchanged");
        assert.equal(renderCounts({ create: 464 }), "Resources: + 464 to create");
        assert.equal(renderCounts({ update: 0, unchanged: 12 }), "Resources: 12 unchanged");
        assert.equal(renderCounts({}), "Resources: none");
    });

    test("outputs one leaf a line, secrets as [secret], long values cut", () => {
        const outputs = {
            drActive: false,
            database: { writerEndpoint: "writer.db.production.internal", port: 5432 },
            monitoring: { kubeconfig: "[secret]" },
            network: { primary: { privateSubnetIds: ["subnet-1", "subnet-2"] } },
            backup: { buckets: { "database-dumps": { freshness: { "daily/": 26 } } } },
            dashboard: "d".repeat(100),
        };
        assert.equal(
            renderOutputs(outputs),
            [
                "Outputs:",
                "    drActive: false",
                '    database.writerEndpoint: "writer.db.production.internal"',
                "    database.port: 5432",
                "    monitoring.kubeconfig: [secret]",
                '    network.primary.privateSubnetIds: ["subnet-1","subnet-2"]',
                '    backup.buckets.database-dumps.freshness["daily/"]: 26',
                `    dashboard: "${"d".repeat(80)}"… (100 chars)`,
            ].join("\n"),
        );
        assert.equal(renderOutputs({}), "Outputs:\n    (none)");
    });

    test("the plan: tree, outputs, summary by type, policies", () => {
        const document: PlanDocument = {
            project: "keel",
            stack: "dev",
            resources: [{ urn: "urn:pulumi:dev::keel::pulumi:pulumi:Stack::keel-dev", type: "pulumi:pulumi:Stack", name: "keel-dev", parent: null, provider: null, region: null, custom: false, inputs: {}, protect: false, retainOnDelete: false, dependencies: [] }],
            outputs: { environment: "dev" },
            policy: { violations: [] },
        };
        assert.equal(
            renderPlan(document),
            [
                "Previewing update (dev) offline: project keel",
                "",
                "    Type                 Name      Region",
                "+   pulumi:pulumi:Stack  keel-dev",
                "",
                "Outputs:",
                '    environment: "dev"',
                "",
                "Resources: + 1 to create",
                "",
                "By type:",
                "       1  pulumi:pulumi:Stack",
                "",
                "Policies:",
                "    keel: all policies passed",
            ].join("\n"),
        );
    });
});
