// `npm run plan -- <stack> [--json FILE] [--out DIR] [--config namespace:path=value ...] [--as-of DATE]`
// Plans a stack offline (Pulumi SDK mock runtime), prints the resource tree and summary,
// runs the policy pack over the record and exits non-zero on any mandatory violation.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { evaluatePolicies, knownStack, runnerPackConfig, mandatoryViolations, RefusedInput } from "../policies/offline";
import { keelPolicies } from "../policies/rules";
import { ConfigError, resolveKeelConfig } from "../stacks/config";
import { writeMonitoringFiles } from "../stacks/monitoring";
import { renderArchitecture } from "./plan/diagram";
import { planProgram } from "./plan/engine";
import type { PlanDocument } from "./plan/record";
import { renderPlan, renderTree } from "./plan/report";
import { loadStackConfig, type StackConfig } from "./plan/stack-config";

const projectRoot = resolve(__dirname, "..");
const usage = "usage: npm run plan -- <stack> [--json FILE] [--out DIR] [--config namespace:path=value ...] [--as-of DATE] [--enforce-freeze] [--quiet]";

function writeFile(file: string, content: string): void {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
}

function options() {
    try {
        return parseArgs({
            allowPositionals: true,
            options: {
                json: { type: "string" },
                out: { type: "string" },
                config: { type: "string", multiple: true, short: "c" },
                quiet: { type: "boolean", short: "q" },
                "as-of": { type: "string" },
                "enforce-freeze": { type: "boolean" },
                help: { type: "boolean", short: "h" },
            },
        });
    } catch (error) {
        throw new RefusedInput(`${(error as Error).message}\n${usage}`);
    }
}

/** A stack the project has (`Pulumi.<stack>.yaml`) and the policy pack knows (`policies/config/<stack>.json`). */
function chosenStack(stack: string): string {
    knownStack(stack);
    if (!existsSync(join(projectRoot, `Pulumi.${stack}.yaml`))) throw new RefusedInput(`no stack "${stack}": there is no Pulumi.${stack}.yaml`);
    return stack;
}

function stackConfigWith(stack: string, overrides: readonly string[]): StackConfig {
    try {
        return loadStackConfig(projectRoot, stack, overrides);
    } catch (error) {
        throw new RefusedInput((error as Error).message);
    }
}

async function main(): Promise<number> {
    const { values, positionals } = options();
    if (values.help) {
        console.log(usage);
        return 0;
    }
    if (positionals.length !== 1) throw new RefusedInput(`${positionals.length === 0 ? "no stack given" : `one stack at a time, got ${positionals.length}`}\n${usage}`);
    const stack = chosenStack(positionals[0]);
    const packConfig = runnerPackConfig(stack, values["as-of"], values["enforce-freeze"] === true);
    const stackConfig = stackConfigWith(stack, values.config ?? []);
    // Refuse bad configuration before the runtime starts or any resource is registered.
    const config = resolveKeelConfig(stackConfig.config, stack);

    // The Pulumi SDK captures a stack trace for every resource and promise; mapping each one
    // through tsx's source maps costs more than the plan itself (about a third of a
    // production plan). Error stacks then point into the transpiled code.
    process.setSourceMapsEnabled(false);
    const { composeStack } = await import("../stacks");
    const record = await planProgram(composeStack, stackConfig);
    const violations = await evaluatePolicies(record, keelPolicies, packConfig);
    const document: PlanDocument = { project: stackConfig.project, stack, ...record, policy: { violations } };

    console.log(values.quiet ? renderPlan(document).split("\n").slice(renderTree(record.resources).split("\n").length + 2).join("\n") : renderPlan(document));
    if (values.json) writeFile(resolve(values.json), `${JSON.stringify(document, null, 2)}\n`);
    if (values.out) {
        const out = resolve(values.out);
        writeFile(join(out, "plan.json"), `${JSON.stringify(document, null, 2)}\n`);
        writeFile(join(out, "resources.txt"), `${renderTree(record.resources)}\n`);
        writeFile(join(out, "architecture.mmd"), renderArchitecture(record.resources));
        writeMonitoringFiles(config, out);
    }
    const blocking = mandatoryViolations(violations);
    if (blocking.length > 0) {
        console.error(`\n${blocking.length} mandatory policy violation${blocking.length === 1 ? "" : "s"}: the plan is refused.`);
        return 1;
    }
    return 0;
}

main().then(
    (code) => process.exit(code),
    (error: unknown) => {
        console.error(error instanceof ConfigError || error instanceof RefusedInput ? error.message : `plan failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
        process.exit(2);
    },
);
