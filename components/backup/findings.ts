import { InvalidArgumentsError, problem } from "../problems";

/** What a backup validator found: errors (AWS refuses it, or it cannot work) and warnings (it works, but costs or surprises). */
export interface Findings {
    readonly errors: readonly string[];
    readonly warnings: readonly string[];
}

export const noFindings: Findings = { errors: [], warnings: [] };

export function mergeFindings(...all: readonly Findings[]): Findings {
    return { errors: all.flatMap((f) => f.errors), warnings: all.flatMap((f) => f.warnings) };
}

/**
 * Throws `InvalidArgumentsError` on errors, before anything is registered; returns the warnings
 * for the caller to surface (e.g. with pulumi.log.warn). Each message names the tier, rule or
 * setting it is about, so the problems sit at the arguments' root.
 */
export function requireValid(component: string, findings: Findings): readonly string[] {
    if (findings.errors.length > 0) throw new InvalidArgumentsError(component, findings.errors.map((message) => problem([], message)));
    return findings.warnings;
}
