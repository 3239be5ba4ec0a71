import { mockResource } from "../../offline-plan/mocks";
import type { PlanResource } from "../../offline-plan/record";

/**
 * Test helper: the mock state of a resource that records no region (Docker, random). The
 * offline plan seeded it with the plan's default region, `us-east-1` under `planComponents`.
 */
export function unregioned(resource: PlanResource): { id: string; state: Record<string, unknown> } {
    return mockResource({ type: resource.type, name: resource.name, inputs: resource.inputs, region: resource.region ?? "us-east-1" });
}

/** Test fixture: the guides' largest database size, shared by the settings and component tests. */
export const guideSizing = {
    engineVersion: "15",
    instanceClass: "db.m6g.2xlarge",
    replicaInstanceClass: "db.m6g.xlarge",
    allocatedStorageGb: 500,
    maxAllocatedStorageGb: 2000,
    backupRetentionDays: 30,
} as const;
