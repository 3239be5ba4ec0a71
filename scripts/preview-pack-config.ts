// `node --import tsx scripts/preview-pack-config.ts <stack>`: writes the stack's policy pack config
// with the change calendar (freezes, change windows) reporting instead of refusing, and prints
// the file's path: for `pulumi preview` (pull requests, the nightly drift check) and for the DR
// failover's `pulumi up`, which the calendar must never stop.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { knownStacks, loadPolicyPackConfig, RefusedInput } from "../policies/offline";
import { calendarForPreview } from "../policies/rules/change-calendar";
import { runAsScript, type Output } from "./cli/command-line";

/**
 * The stack's pack config with the change calendar reporting a change instead of refusing it,
 * written beside the system's temporary files; returns its path. A preview changes nothing, and
 * a failover is an emergency change that an outage does not let wait for a window: the calendar
 * is judged when a change is applied, by `pulumi up` in the deploy workflow.
 */
export function calendarReportingPackConfig(stack: string): string {
    const file = join(tmpdir(), `keel-${stack}-calendar-reporting-policy-config.json`);
    writeFileSync(file, `${JSON.stringify(calendarForPreview(loadPolicyPackConfig(stack), false), null, 2)}\n`);
    return file;
}

export const usage = "usage: node --import tsx scripts/preview-pack-config.ts <stack>";

export async function previewPackConfigCommand(argv: readonly string[], io: Output): Promise<number> {
    const stacks = knownStacks();
    if (argv.length !== 1 || !stacks.includes(argv[0])) {
        throw new RefusedInput(`${argv.length === 0 ? "no stack given" : `expected one stack of ${stacks.join(", ")}, got ${argv.join(" ")}`}\n${usage}`);
    }
    io.out(calendarReportingPackConfig(argv[0]));
    return 0;
}

if (require.main === module) runAsScript("preview-pack-config", previewPackConfigCommand);
