// `npm run plan -- <stack> [--diff FILE] [--json FILE] [--out DIR] [--config namespace:path=value ...] [--quiet] [--as-of DATE] [--enforce-freeze]`
// Plans a stack offline (Pulumi SDK mock runtime), prints the resource tree (or the difference
// from a saved plan), the outputs and summary, runs the policy pack over the record and exits 1
// on any mandatory violation, 2 on a refused command line or configuration.
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { evaluatePolicies, knownStacks, mandatoryViolations, policyResourcesOf, RefusedInput, runnerPackConfig } from "../policies/offline";
import type { KeelConfig } from "../stacks/config";
import { isoInstant, runAsScript, runCommand, type Output } from "./cli/command-line";
import { renderArchitecture } from "./plan/diagram";
import { diffPlans, renderDiff, renderDiffSummary } from "./plan/diff";
import { readSavedPlan, type SavedPlan } from "./plan/document";
import type { PlanDocument } from "../offline-plan/record";
import { renderCounts, renderPlan, renderTree, renderViolations } from "./plan/report";
import { configuredStack, planStackRecord, projectStack, type ConfiguredStack } from "./plan/stack-plan";
import type { PlanRecord } from "../offline-plan/engine";

const projectRoot = resolve(__dirname, "..");

export const usage = `usage: npm run plan -- <stack> [--diff FILE] [--json FILE] [--out DIR] [--config namespace:path=value ...] [--quiet] [--as-of DATE] [--enforce-freeze]`;

export const help = `${usage}

Plans <stack> offline: runs the Pulumi program (index.ts) under the Pulumi SDK's mock runtime with
Pulumi.<stack>.yaml, prints the resource tree (type, name, region), the stack outputs and a summary,
and judges the plan with the policy pack and policies/config/<stack>.json. Needs no cloud
credentials and no Pulumi CLI. <stack> is one of: ${knownStacks().join(", ")}.

  --diff FILE           compare with a saved plan document (the --json FILE of an earlier run, e.g.
                        on the base branch) instead of printing the tree: created (+), updated (~,
                        each changed input as old → new) and deleted (-) resources, changed outputs,
                        and one summary line; secrets stay [secret]
  --json FILE           write the plan document (resources, outputs, policy violations) to FILE
  --out DIR             write plan.json, resources.txt (the tree), architecture.mmd (a Mermaid
                        diagram) and monitoring/ (the rendered monitoring configuration) into DIR
  -c, --config NS:PATH=VALUE
                        override the configuration for this run as \`pulumi config set --path\`
                        does; repeatable, e.g. --config keel:dr.active=true
  -q, --quiet           print only the summary line and the policy result (and what --json and
                        --out wrote)
  --as-of DATE          judge the change calendar (freezes, windows) at DATE (ISO 8601, e.g.
                        2026-10-15 or 2026-10-15T10:00:00Z) instead of now
  --enforce-freeze      refuse a change in a freeze or outside the change windows as \`pulumi up\`
                        does (a preview only reports it)
  -h, --help            print this help

Exit code: 0 planned and no mandatory policy violation, 1 mandatory policy violations, 2 refused
(command line, unknown stack, invalid configuration, a --diff FILE that is not a plan document).
Set KEEL_DEBUG=1 to see the stack trace of an internal error.`;

const hint = `${usage}\n(npm run plan -- --help explains each option)`;

const options = {
    diff: { type: "string" },
    json: { type: "string" },
    out: { type: "string" },
    config: { type: "string", multiple: true, short: "c" },
    quiet: { type: "boolean", short: "q" },
    "as-of": { type: "string" },
    "enforce-freeze": { type: "boolean" },
    help: { type: "boolean", short: "h" },
} as const;

/** Where `--json` and `--out` will write, refused before planning when it cannot be that. */
function outputTargets(json: string | undefined, out: string | undefined): { json?: string; out?: string } {
    const kind = (path: string) => (existsSync(path) ? (statSync(path).isDirectory() ? "directory" : "file") : undefined);
    if (json !== undefined && kind(resolve(json)) === "directory") throw new RefusedInput(`--json ${json}: is a directory; expected the file to write the plan document to`);
    if (out !== undefined && kind(resolve(out)) === "file") throw new RefusedInput(`--out ${out}: is a file; expected a directory to write the artifacts into (created when missing)`);
    return { ...(json !== undefined ? { json: resolve(json) } : {}), ...(out !== undefined ? { out: resolve(out) } : {}) };
}

function writeFile(file: string, content: string): void {
    try {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, content);
    } catch (error) {
        throw new RefusedInput(`cannot write ${file}: ${(error as Error).message}`);
    }
}

const documentText = (document: PlanDocument) => `${JSON.stringify(document, null, 2)}\n`;

/** Writes `--out DIR`'s artifacts; says what it wrote. */
async function writeArtifacts(out: string, document: PlanDocument, config: KeelConfig): Promise<string> {
    const files: [string, string][] = [
        ["plan.json", documentText(document)],
        ["resources.txt", `${renderTree(document.resources)}\n`],
        ["architecture.mmd", renderArchitecture(document.resources)],
    ];
    for (const [name, content] of files) writeFile(join(out, name), content);
    // The monitoring components load the SDKs: only a plan needs them, not a refusal or --help.
    const { writeMonitoringFiles } = await import("../stacks/monitoring");
    let monitoring: string[];
    try {
        monitoring = writeMonitoringFiles(config, out);
    } catch (error) {
        throw new RefusedInput(`cannot write ${join(out, "monitoring")}: ${(error as Error).message}`);
    }
    const names = files.map(([name]) => name).join(", ");
    return `Wrote ${files.length + monitoring.length} files to ${out}: ${names} and ${monitoring.length} under monitoring/`;
}

/** `--diff FILE`: the saved plan to compare with. */
interface Comparison {
    readonly file: string;
    readonly saved: SavedPlan;
}

/** The comparison with a saved plan: the changes and the summary line (only that line when quiet). */
function renderComparison(document: PlanDocument, { file, saved }: Comparison, quiet: boolean): string {
    const diff = diffPlans(saved, document);
    const policy = renderViolations(document.policy.violations);
    if (quiet) return [renderDiffSummary(diff), policy].join("\n");
    return [`Previewing update (${document.stack}) offline: project ${document.project}, compared with ${file}`, "", renderDiff(diff), "", policy].join("\n");
}

/** Comparing plans of two stacks is allowed (what would production change that staging has?), but said. */
function otherStackNote({ file, saved }: Comparison, stack: string): string | undefined {
    if (saved.stack === stack) return undefined;
    return `note: --diff ${file} is a plan of stack "${saved.stack}", not "${stack}": resources are matched by type and name, and values naming the stack differ`;
}

function renderQuiet(document: PlanDocument): string {
    return [renderCounts({ create: document.resources.length }), renderViolations(document.policy.violations)].join("\n");
}

/** Makes the plan of a configured stack; tests share theirs across a run (tests/plans.ts). */
export type Planner = (configured: ConfiguredStack) => Promise<PlanRecord>;

/** The command itself, for the script and for tests: returns the exit code. */
export function planCommand(argv: readonly string[], io: Output, planner: Planner = planStackRecord): Promise<number> {
    return runCommand(argv, io, { options, hint, help }, async ({ values, positionals }) => {
        if (positionals.length !== 1) throw new RefusedInput(`${positionals.length === 0 ? "no stack given" : `one stack at a time, got ${positionals.length}: ${positionals.join(", ")}`}\n${hint}`);
        const stack = projectStack(projectRoot, positionals[0]);
        const asOf = values["as-of"] === undefined ? undefined : isoInstant("--as-of", values["as-of"]);
        const packConfig = runnerPackConfig(stack, asOf, values["enforce-freeze"] === true);
        const targets = outputTargets(values.json, values.out);
        const comparison = values.diff === undefined ? undefined : { file: values.diff, saved: readSavedPlan(values.diff, `--diff ${values.diff}`) };
        const note = comparison && otherStackNote(comparison, stack);
        if (note !== undefined) io.err(note);
        // Refuse bad configuration before the runtime starts or any resource is registered.
        const configured = configuredStack(projectRoot, stack, values.config ?? []);

        const record = await planner(configured);
        const { keelPolicies } = await import("../policies/rules");
        const violations = await evaluatePolicies(record, keelPolicies, packConfig);
        const { planReadiness } = await import("../policies/rules/readiness");
        const readiness = planReadiness(policyResourcesOf(record), packConfig);
        const document: PlanDocument = { project: configured.stackConfig.project, stack, ...record, policy: { violations }, ...(readiness ? { readiness } : {}) };
        const quiet = values.quiet === true;
        if (comparison !== undefined) io.out(renderComparison(document, comparison, quiet));
        else io.out(quiet ? renderQuiet(document) : renderPlan(document));

        if (targets.json !== undefined) {
            writeFile(targets.json, documentText(document));
            io.out(`Wrote the plan document (${document.resources.length} resources) to ${targets.json}`);
        }
        if (targets.out !== undefined) io.out(await writeArtifacts(targets.out, document, configured.config));
        const blocking = mandatoryViolations(violations);
        if (blocking.length > 0) {
            io.err(`\n${blocking.length} mandatory policy violation${blocking.length === 1 ? "" : "s"}: the plan is refused.`);
            return 1;
        }
        return 0;
    });
}

if (require.main === module) runAsScript("plan", planCommand);
