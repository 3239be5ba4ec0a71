// `npm run policy -- FILE [--as-of DATE]`: evaluates the policy pack against a saved plan document
// (`npm run plan -- <stack> --json FILE`); same report, same exit code as the plan.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { evaluatePolicies, loadPolicyPackConfig, mandatoryViolations } from "../policies/offline";
import { keelPolicies } from "../policies/rules";
import { freezeAsOf, freezeForPreview } from "../policies/rules/change-freeze";
import type { PlanDocument } from "./plan/record";
import { renderViolations } from "./plan/report";

async function main(): Promise<number> {
    const { values, positionals } = parseArgs({ allowPositionals: true, options: { "as-of": { type: "string" }, "enforce-freeze": { type: "boolean" } } });
    const [file] = positionals;
    if (file === undefined || positionals.length !== 1) {
        console.error("usage: npm run policy -- PLAN.json [--as-of DATE] [--enforce-freeze]");
        return 2;
    }
    const document = JSON.parse(readFileSync(file, "utf8")) as Partial<PlanDocument>;
    if (typeof document.stack !== "string" || !Array.isArray(document.resources)) {
        console.error(`${file} is not a Keel plan document (expected "stack" and "resources")`);
        return 2;
    }
    const violations = await evaluatePolicies({ resources: document.resources }, keelPolicies, freezeForPreview(freezeAsOf(loadPolicyPackConfig(document.stack), values["as-of"]), values["enforce-freeze"] === true));
    console.log(`Policy pack keel on ${file} (stack ${document.stack}, ${document.resources.length} resources)\n`);
    console.log(renderViolations(violations));
    const blocking = mandatoryViolations(violations);
    if (blocking.length > 0) {
        console.error(`\n${blocking.length} mandatory policy violation${blocking.length === 1 ? "" : "s"}.`);
        return 1;
    }
    return 0;
}

main().then(
    (code) => process.exit(code),
    (error: unknown) => {
        console.error(`policy check failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(2);
    },
);
