import type { PlanDocument, PlanReadiness, PlanResource, PolicyViolation } from "../../offline-plan/record";
import { minutes } from "../../policies/rules/readiness";
import { formatValue, leaves } from "./values";

/** `aws:ec2/vpc:Vpc` → `aws:ec2:Vpc`, as `pulumi preview` shows types. */
export function displayType(type: string): string {
    const [pkg, module, name] = type.split(":");
    return name === undefined ? type : `${pkg}:${module.split("/")[0]}:${name}`;
}

/** The resource tree, nested by parent, in the layout of `pulumi preview`. */
export function renderTree(resources: readonly PlanResource[]): string {
    const children = new Map<string | null, PlanResource[]>();
    for (const resource of resources) {
        const siblings = children.get(resource.parent) ?? [];
        siblings.push(resource);
        children.set(resource.parent, siblings);
    }
    const rows: [string, string, string][] = [];
    const walk = (parent: string | null, indent: string) => {
        const siblings = children.get(parent) ?? [];
        siblings.forEach((resource, index) => {
            const last = index === siblings.length - 1;
            const branch = parent === null ? "" : last ? "└─ " : "├─ ";
            rows.push([`${indent}${branch}${displayType(resource.type)}`, resource.name, resource.region ?? ""]);
            walk(resource.urn, parent === null ? indent : indent + (last ? "   " : "│  "));
        });
    };
    walk(null, "");
    const typeWidth = Math.max(4, ...rows.map(([type]) => type.length));
    const nameWidth = Math.max(4, ...rows.map(([, name]) => name.length));
    const line = (mark: string, type: string, name: string, region: string) =>
        `${mark}   ${type.padEnd(typeWidth)}  ${name.padEnd(nameWidth)}  ${region}`.trimEnd();
    return [line(" ", "Type", "Name", "Region"), ...rows.map(([type, name, region]) => line("+", type, name, region))].join("\n");
}

export interface ResourceCounts {
    readonly create?: number;
    readonly update?: number;
    readonly delete?: number;
    readonly unchanged?: number;
}

/** `Resources: + 2 to create, ~ 1 to update, - 1 to delete, 380 unchanged`, leaving out what is zero, as `pulumi preview` does. */
export function renderCounts(counts: ResourceCounts): string {
    const parts = [
        counts.create ? `+ ${counts.create} to create` : "",
        counts.update ? `~ ${counts.update} to update` : "",
        counts.delete ? `- ${counts.delete} to delete` : "",
        counts.unchanged ? `${counts.unchanged} unchanged` : "",
    ].filter((part) => part !== "");
    return `Resources: ${parts.length === 0 ? "none" : parts.join(", ")}`;
}

export function renderSummary(resources: readonly PlanResource[]): string {
    const counts = new Map<string, number>();
    for (const { type } of resources) counts.set(type, (counts.get(type) ?? 0) + 1);
    const byType = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([type, n]) => `    ${String(n).padStart(4)}  ${displayType(type)}`);
    return [renderCounts({ create: resources.length }), "", "By type:", ...byType].join("\n");
}

/** The stack outputs, one leaf a line (`database.writerEndpoint: "writer.db..."`); secrets stay `[secret]`. */
export function renderOutputs(outputs: Readonly<Record<string, unknown>>): string {
    const lines = Object.keys(outputs).length === 0 ? ["    (none)"] : leaves(outputs).map(([path, value]) => `    ${path}: ${formatValue(value)}`);
    return ["Outputs:", ...lines].join("\n");
}

export function renderViolations(violations: readonly PolicyViolation[]): string {
    if (violations.length === 0) return "Policies:\n    keel: all policies passed";
    return [
        "Policy violations:",
        ...violations.map((v) => `    [${v.enforcementLevel}]  ${v.policyName}  ${v.message}${v.urn ? `\n        (${v.urn})` : ""}`),
    ].join("\n");
}

/** The DR readiness the plan computed: each store's RPO, the traffic path's RTO, and the verdict against the objectives. */
export function renderReadiness(readiness: PlanReadiness): string {
    const { objectives } = readiness;
    const rpo = Object.entries(objectives.rpoMinutes).map(([dataClass, limit]) => `${dataClass} ${limit} min`).join(", ");
    const verdict = readiness.failedOver
        ? `    failed over to ${String(readiness.servingRegion)}: recovering; judged again once it serves from ${String(readiness.primaryRegion)}`
        : readiness.problems.length === 0
            ? "    meets the objectives"
            : readiness.problems.map((p) => `    breaks: ${p}`).join("\n");
    return [
        `DR readiness, for the loss of ${readiness.servingRegion ?? "the serving region"} (objectives: RTO ${objectives.rtoMinutes} min; RPO ${rpo}):`,
        ...readiness.stores.map((s) => `    RPO ${minutes(s.rpo.seconds).padEnd(9)} ${s.store} (${s.dataClass}): ${s.rpo.basis}`),
        `    RTO ${minutes(readiness.rto.seconds).padEnd(9)} traffic: ${readiness.rtoParts.map((p) => `${p.step} ${minutes(p.seconds)} (${p.basis})`).join("; ")}`,
        verdict,
    ].join("\n");
}

export function renderPlan(document: PlanDocument): string {
    return [
        `Previewing update (${document.stack}) offline: project ${document.project}`,
        "",
        renderTree(document.resources),
        "",
        renderOutputs(document.outputs),
        "",
        renderSummary(document.resources),
        "",
        ...(document.readiness ? [renderReadiness(document.readiness), ""] : []),
        renderViolations(document.policy.violations),
    ].join("\n");
}
