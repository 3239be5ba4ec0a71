/** What a backup validator found: errors (AWS refuses it, or it cannot work) and warnings (it works, but costs or surprises). */
export interface Findings {
    readonly errors: readonly string[];
    readonly warnings: readonly string[];
}

export const noFindings: Findings = { errors: [], warnings: [] };

export function mergeFindings(...all: readonly Findings[]): Findings {
    return { errors: all.flatMap((f) => f.errors), warnings: all.flatMap((f) => f.warnings) };
}

/** Thrown by components before anything is registered when their backup settings have errors. */
export class BackupConfigurationError extends Error {
    constructor(readonly component: string, readonly errors: readonly string[]) {
        super(`${component}: invalid backup configuration:\n  - ${errors.join("\n  - ")}`);
        this.name = "BackupConfigurationError";
    }
}

/** Throws on errors; returns the warnings for the caller to surface (e.g. with pulumi.log.warn). */
export function requireValid(component: string, findings: Findings): readonly string[] {
    if (findings.errors.length > 0) throw new BackupConfigurationError(component, findings.errors);
    return findings.warnings;
}
