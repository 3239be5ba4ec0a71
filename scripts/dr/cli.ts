import { parseArgs } from "node:util";
import { phases, type Phase } from "./failover";

/** The command line of `npm run dr-failover` (scripts/dr-failover.ts), parsed apart so the runbooks' commands are tested. */

export const usage = [
    "usage: npm run dr-failover -- [--stack ORG/keel/production] [--dry-run] [--force --reason \"...\"]",
    "       npm run dr-failover -- failback --phase rebuild|switch-back [--stack ORG/keel/production] [--dry-run] [--yes] [--force --reason \"...\"]",
].join("\n");

export interface Command {
    readonly phase: Phase;
    readonly stack: string;
    readonly dryRun: boolean;
    readonly force: boolean;
    readonly reason?: string;
    readonly yes: boolean;
}

/** The command, `"help"`, or `undefined` for a command line to refuse with the usage. Throws on unknown options. */
export function parseCommand(args: readonly string[]): Command | "help" | undefined {
    const { values, positionals } = parseArgs({
        args: [...args],
        allowPositionals: true,
        options: {
            stack: { type: "string", default: "production" },
            phase: { type: "string" },
            "dry-run": { type: "boolean", default: false },
            force: { type: "boolean", default: false },
            reason: { type: "string" },
            yes: { type: "boolean", default: false },
            help: { type: "boolean", short: "h" },
        },
    });
    if (values.help) return "help";
    const [command = "failover", ...extra] = positionals;
    const name = command === "failback" ? values.phase : command === "failover" && values.phase === undefined ? "failover" : undefined;
    if (extra.length > 0 || (name !== "failover" && name !== "rebuild" && name !== "switch-back")) return undefined;
    if (command === "failback" && name === "failover") return undefined;
    return {
        phase: phases[name],
        stack: values.stack,
        dryRun: values["dry-run"],
        force: values.force,
        ...(values.reason !== undefined ? { reason: values.reason } : {}),
        yes: values.yes,
    };
}
