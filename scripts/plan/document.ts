import { readFileSync } from "node:fs";
import { checkPlanDocument, planDocumentLimits, RefusedInput, type PlanDocumentUnderReview } from "../../policies/offline";
import type { ComparedPlan } from "./diff";
import { isObject } from "./values";

/**
 * Reading a saved plan document (`npm run plan -- <stack> --json FILE`) given on a command line:
 * what cannot be read, is not JSON or is not a plan document is refused with one message
 * that names the file (as `label` calls it) and what was expected.
 */

const written = (file: string) => `\`npm run plan -- <stack> --json ${file}\``;

function parsedFile(file: string, label: string): unknown {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (error) {
        throw new RefusedInput(`cannot read ${label}: ${(error as Error).message}`);
    }
    try {
        return JSON.parse(text) as unknown;
    } catch (error) {
        throw new RefusedInput(`${label} is not JSON (${(error as Error).message}); expected a plan document from ${written(file)}`);
    }
}

function checked(document: unknown, label: string): PlanDocumentUnderReview {
    try {
        return checkPlanDocument(document);
    } catch (error) {
        throw error instanceof RefusedInput ? new RefusedInput(`${label}: ${error.message}`) : error;
    }
}

export function readPlanDocument(file: string, label = file): PlanDocumentUnderReview {
    return checked(parsedFile(file, label), label);
}

/** How deep a value nests, without recursion. */
function depthOf(root: unknown): number {
    let deepest = 0;
    const pending: [unknown, number][] = [[root, 0]];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
        const [value, depth] = next;
        deepest = Math.max(deepest, depth);
        if (typeof value === "object" && value !== null) pending.push(...Object.values(value).map((child): [unknown, number] => [child, depth + 1]));
    }
    return deepest;
}

export interface SavedPlan extends ComparedPlan {
    readonly stack: string;
}

/** A saved plan to compare with: its stack, resources and outputs (which a comparison reads too). */
export function readSavedPlan(file: string, label = file): SavedPlan {
    const document = parsedFile(file, label);
    const { stack, resources } = checked(document, label);
    const { outputs } = document as { outputs?: unknown };
    if (!isObject(outputs)) throw new RefusedInput(`${label}: not a Keel plan document: "outputs" is ${outputs === undefined ? "missing" : "not an object"}, expected the stack's outputs; write it again with ${written(file)}`);
    if (depthOf(outputs) > planDocumentLimits.depth) throw new RefusedInput(`${label}: "outputs" nest deeper than ${planDocumentLimits.depth} levels; no plan does`);
    return { stack, resources, outputs };
}
