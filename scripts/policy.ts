// `npm run policy -- PLAN.json [--stack STACK] [--as-of DATE] [--enforce-freeze]`: evaluates the policy
// pack against a saved plan document (`npm run plan -- <stack> --json FILE`); same report, same exit code as the plan.
import { evaluatePolicies, knownStack, knownStacks, mandatoryViolations, RefusedInput, runnerPackConfig } from "../policies/offline";
import { isoInstant, runAsScript, runCommand, type Output } from "./cli/command-line";
import { readPlanDocument } from "./plan/document";
import { renderViolations } from "./plan/report";

export const usage = `usage: npm run policy -- PLAN.json [--stack STACK] [--as-of DATE] [--enforce-freeze]

Judges a plan document written by \`npm run plan -- <stack> --json PLAN.json\` with the policy pack
and policies/config/<stack>.json, <stack> being the plan's own stack or --stack (a known stack,
e.g. to judge a staging plan by production's settings). Needs no cloud credentials.
  --stack STACK      the stack whose policy config applies (default: the plan's); one of ${knownStacks().join(", ")}
  --as-of DATE       judge the change calendar (freezes, windows) at DATE (ISO 8601, e.g. 2026-10-15
                     or 2026-10-15T10:00:00Z) instead of now
  --enforce-freeze   refuse a change in a freeze or outside the change windows as \`pulumi up\` does
                     (a preview only reports it)
  -h, --help         print this help
Exit code: 0 passed, 1 mandatory violations, 2 refused (usage, unknown stack, malformed plan).
Set KEEL_DEBUG=1 to see the stack trace of an internal error.`;

const hint = "usage: npm run policy -- PLAN.json [--stack STACK] [--as-of DATE] [--enforce-freeze] (--help explains them)";

const options = { stack: { type: "string" }, "as-of": { type: "string" }, "enforce-freeze": { type: "boolean" }, help: { type: "boolean", short: "h" } } as const;

/** The command itself, for the script and for tests: returns the exit code. */
export function policyCommand(argv: readonly string[], io: Output): Promise<number> {
    return runCommand(argv, io, { options, hint, help: usage }, async ({ values, positionals }) => {
        if (positionals.length !== 1) throw new RefusedInput(`${positionals.length === 0 ? "no plan document given" : `one plan document at a time, got ${positionals.length}`}\n${hint}`);
        const [file] = positionals;
        const chosen = values.stack === undefined ? undefined : knownStack(values.stack);
        const asOf = values["as-of"] === undefined ? undefined : isoInstant("--as-of", values["as-of"]);
        const document = readPlanDocument(file);
        const stack = chosen ?? knownStack(document.stack);
        // The pack loads the Pulumi SDK: a refusal or --help answers without it.
        const { keelPolicies } = await import("../policies/rules");
        const violations = await evaluatePolicies(document, keelPolicies, runnerPackConfig(stack, asOf, values["enforce-freeze"] === true));
        const judgedBy = stack === document.stack ? "" : `, judged as ${stack}`;
        io.out(`Policy pack keel on ${file} (stack ${document.stack}${judgedBy}, ${document.resources.length} resources)\n`);
        io.out(renderViolations(violations));
        const blocking = mandatoryViolations(violations);
        if (blocking.length > 0) {
            io.err(`\n${blocking.length} mandatory policy violation${blocking.length === 1 ? "" : "s"}.`);
            return 1;
        }
        return 0;
    });
}

if (require.main === module) runAsScript("policy check", policyCommand);
