import type { PlanResource } from "../../offline-plan/record";
import { displayType } from "./report";

/**
 * The architecture diagram of a plan, as Mermaid (GitHub renders it): one subgraph per
 * region, one node per component (or top-level resource) and region, labelled with what it
 * holds, and an edge wherever a resource of one node depends on a resource of another.
 */

interface Node {
    readonly id: string;
    readonly region: string;
    readonly label: string;
    readonly counts: Map<string, number>;
}

const outsideAws = "outside AWS";

function mermaidId(text: string): string {
    return text.replace(/[^A-Za-z0-9_]/g, "_");
}

/** The top-level component (direct child of the stack) a resource belongs to, or the resource itself. */
function owners(resources: readonly PlanResource[]): Map<string, PlanResource> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const stack = resources.find((r) => r.parent === null);
    const ownerOf = (resource: PlanResource): PlanResource => {
        const parent = resource.parent === null ? undefined : byUrn.get(resource.parent);
        return parent === undefined || parent === stack ? resource : ownerOf(parent);
    };
    return new Map(resources.map((r) => [r.urn, ownerOf(r)]));
}

export function renderArchitecture(resources: readonly PlanResource[]): string {
    const ownerOf = owners(resources);
    const drawn = resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    const nodes = new Map<string, Node>();
    const nodeOf = new Map<string, Node>();
    for (const resource of drawn) {
        const owner = ownerOf.get(resource.urn)!;
        const region = resource.region ?? outsideAws;
        const key = `${owner.urn}@${region}`;
        let node = nodes.get(key);
        if (node === undefined) {
            const kindName = owner.type.split(":").pop() ?? owner.type;
            node = { id: mermaidId(`${owner.type}_${owner.name}_${region}`), region, label: `${kindName} ${owner.name}`, counts: new Map() };
            nodes.set(key, node);
        }
        // Counted by AWS service (s3, kms, ec2, ...) or package (docker, kubernetes): nodes name components, not every resource.
        const [pkg, service] = displayType(resource.type).split(":");
        const kind = pkg === "aws" ? service : pkg;
        node.counts.set(kind, (node.counts.get(kind) ?? 0) + 1);
        nodeOf.set(resource.urn, node);
    }

    const edges = new Set<string>();
    for (const resource of drawn) {
        const from = nodeOf.get(resource.urn)!;
        for (const dependency of resource.dependencies) {
            const to = nodeOf.get(dependency);
            if (to !== undefined && to !== from) edges.add(`    ${to.id} --> ${from.id}`);
        }
    }

    const regions = [...new Set([...nodes.values()].map((n) => n.region))].sort((a, b) => (a === outsideAws ? 1 : b === outsideAws ? -1 : a.localeCompare(b)));
    const lines = ["flowchart LR", "    %% A --> B: something in B depends on something in A (replication, copies, logging, wiring)."];
    for (const region of regions) {
        lines.push(`    subgraph ${mermaidId(`region_${region}`)}["${region}"]`);
        for (const node of [...nodes.values()].filter((n) => n.region === region).sort((a, b) => a.id.localeCompare(b.id))) {
            const contents = [...node.counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => (n > 1 ? `${kind} ×${n}` : kind));
            lines.push(`        ${node.id}["<b>${node.label}</b><br/>${contents.join(", ")}"]`);
        }
        lines.push("    end");
    }
    lines.push(...[...edges].sort());
    return `${lines.join("\n")}\n`;
}
