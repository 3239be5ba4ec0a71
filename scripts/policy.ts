// `npm run policy -- PLAN.json [--stack STACK] [--as-of DATE] [--enforce-freeze]`: evaluates the policy
// pack against a saved plan document (`npm run plan -- <stack> --json FILE`); same report, same exit code as the plan.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { checkPlanDocument, evaluatePolicies, knownStack, runnerPackConfig, mandatoryViolations, RefusedInput, type PlanDocumentUnderReview } from "../policies/offline";
import { keelPolicies } from "../policies/rules";
import { renderViolations } from "./plan/report";

export const usage = `usage: npm run policy -- PLAN.json [--stack STACK] [--as-of DATE] [--enforce-freeze]

Judges a plan document written by \`npm run plan -- <stack> --json PLAN.json\` with the policy pack
and policies/config/<stack>.json, <stack> being the plan's own stack or --stack (a known stack,
e.g. to judge a staging plan by production's settings).
  --stack STACK      the stack whose policy config applies (default: the plan's)
  --as-of DATE       judge change freezes at DATE (ISO 8601) instead of now
  --enforce-freeze   refuse a change freeze as \`pulumi up\` does (a preview only reports it)
Exit code: 0 passed, 1 mandatory violations, 2 refused (usage, unknown stack, malformed plan).`;

export interface Output {
    readonly out: (text: string) => void;
    readonly err: (text: string) => void;
}

function options(argv: readonly string[]) {
    try {
        return parseArgs({
            args: [...argv],
            allowPositionals: true,
            options: { stack: { type: "string" }, "as-of": { type: "string" }, "enforce-freeze": { type: "boolean" }, help: { type: "boolean", short: "h" } },
        });
    } catch (error) {
        throw new RefusedInput(`${(error as Error).message}\n${usage}`);
    }
}

function readPlanDocument(file: string): PlanDocumentUnderReview {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (error) {
        throw new RefusedInput(`cannot read ${file}: ${(error as Error).message}`);
    }
    let document: unknown;
    try {
        document = JSON.parse(text);
    } catch (error) {
        throw new RefusedInput(`${file} is not JSON (${(error as Error).message}); expected a plan document from \`npm run plan -- <stack> --json ${file}\``);
    }
    try {
        return checkPlanDocument(document);
    } catch (error) {
        throw error instanceof RefusedInput ? new RefusedInput(`${file}: ${error.message}`) : error;
    }
}

/** The command itself, for the script and for tests: returns the exit code. */
export async function policyCommand(argv: readonly string[], io: Output): Promise<number> {
    try {
        const { values, positionals } = options(argv);
        if (values.help) {
            io.out(usage);
            return 0;
        }
        if (positionals.length !== 1) throw new RefusedInput(`${positionals.length === 0 ? "no plan document given" : `one plan document at a time, got ${positionals.length}`}\n${usage}`);
        const [file] = positionals;
        const chosen = values.stack === undefined ? undefined : knownStack(values.stack);
        const document = readPlanDocument(file);
        const stack = chosen ?? knownStack(document.stack);
        const violations = await evaluatePolicies(document, keelPolicies, runnerPackConfig(stack, values["as-of"], values["enforce-freeze"] === true));
        const judgedBy = stack === document.stack ? "" : `, judged as ${stack}`;
        io.out(`Policy pack keel on ${file} (stack ${document.stack}${judgedBy}, ${document.resources.length} resources)\n`);
        io.out(renderViolations(violations));
        const blocking = mandatoryViolations(violations);
        if (blocking.length > 0) {
            io.err(`\n${blocking.length} mandatory policy violation${blocking.length === 1 ? "" : "s"}.`);
            return 1;
        }
        return 0;
    } catch (error) {
        if (!(error instanceof RefusedInput)) throw error;
        io.err(error.message);
        return 2;
    }
}

if (require.main === module) {
    policyCommand(process.argv.slice(2), { out: (text) => console.log(text), err: (text) => console.error(text) }).then(
        (code) => process.exit(code),
        (error: unknown) => {
            console.error(`policy check failed: ${error instanceof Error ? error.message : String(error)}`);
            process.exit(2);
        },
    );
}
