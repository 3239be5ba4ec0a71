import { parseArgs } from "node:util";
import { knownStack, RefusedInput } from "../../policies/offline";
import { phases, type Phase } from "./failover";

/** The command line of `npm run dr-failover` (scripts/dr-failover.ts), parsed apart so the runbooks' commands are tested. */

export const usage = `usage: npm run dr-failover -- --stack ORG/keel/ENV [--dry-run] [--yes] [--force --reason "..."]
       npm run dr-failover -- failback --phase rebuild|switch-back --stack ORG/keel/ENV [--dry-run] [--yes] [--force --reason "..."]

Fails a stack over to its DR region, or back in two phases (docs/runbooks/dr-failover.md,
docs/runbooks/failback.md). Every run first checks readiness (the preflight) and shows what
the change does — the difference between the offline plans before and after it, and its
steps — then changes nothing unless you pass --yes or confirm at a terminal.
  --stack ORG/keel/ENV  the Pulumi stack to act on; required, there is no default. ENV is one
                        of Keel's stacks (the file Pulumi.ENV.yaml).
  --phase PHASE         failback only: rebuild (the primary region's database becomes a replica
                        of the DR writer), then switch-back (promote it, hand traffic back)
  --dry-run             offline: needs no Pulumi CLI and no AWS credentials. Prints the checks
                        the run would make, its steps and the plan difference; changes nothing.
  --yes                 apply after the preflight without asking (scripted runbooks, no terminal)
  --force --reason "…"  proceed although a preflight check failed; the reason is recorded in
                        the timeline (the incident commander's decision)
  -h, --help            this text
Exit code: 0 done and verified (or a dry run); 1 a preflight check, the up or the verification
failed; 2 refused (usage, unknown stack, not confirmed, no Pulumi CLI).`;

export interface Command {
    readonly phase: Phase;
    /** The Pulumi stack as given (`ORG/keel/production`). */
    readonly stack: string;
    /** Its last segment: the Keel stack whose configuration and policy config apply. */
    readonly environment: string;
    readonly dryRun: boolean;
    readonly force: boolean;
    readonly reason?: string;
    readonly yes: boolean;
}

const options = {
    stack: { type: "string" },
    phase: { type: "string" },
    "dry-run": { type: "boolean" },
    force: { type: "boolean" },
    reason: { type: "string" },
    yes: { type: "boolean" },
    help: { type: "boolean", short: "h" },
} as const;

const refuse = (message: string): never => {
    throw new RefusedInput(`${message}\nSee npm run dr-failover -- --help.`);
};

function parse(args: readonly string[]) {
    try {
        return parseArgs({ args: [...args], allowPositionals: true, tokens: true, options });
    } catch (error) {
        return refuse((error as Error).message);
    }
}

/** The phase the words and `--phase` name, or a refusal that says what is valid. */
function phaseOf(command: string, phase: string | undefined): Phase {
    if (command === "failover") {
        if (phase !== undefined) refuse(`--phase is for failback; a failover has one phase (got --phase ${phase})`);
        return phases.failover;
    }
    if (command !== "failback") return refuse(`unknown command "${command}": expected failover (the default) or failback`);
    if (phase === "rebuild" || phase === "switch-back") return phases[phase];
    return refuse(phase === undefined ? "failback needs --phase rebuild or --phase switch-back" : `unknown phase "${phase}": expected rebuild or switch-back`);
}

/** The command, or `"help"`. Throws `RefusedInput` with one message for a command line that cannot run. */
export function parseCommand(args: readonly string[]): Command | "help" {
    const { values, positionals, tokens } = parse(args);
    if (values.help) return "help";
    const repeated = [...new Set(tokens.flatMap((t) => (t.kind === "option" ? [t.name] : [])).filter((name, i, all) => all.indexOf(name) !== i))];
    if (repeated.length > 0) refuse(`--${repeated[0]} is given more than once: give it once`);
    const [command = "failover", ...extra] = positionals;
    if (extra.length > 0) refuse(`unexpected argument "${extra[0]}"`);
    const phase = phaseOf(command, values.phase);
    if (values.stack === undefined) refuse("no --stack: name the stack to act on, e.g. --stack ORG/keel/production (there is no default; acting on the wrong stack is an outage)");
    const stack = values.stack as string;
    const environment = knownStack(stack.split("/").pop() ?? stack);
    if (values.force === true && !values.reason?.trim()) refuse("--force needs --reason \"...\": the override is recorded in the timeline");
    return {
        phase,
        stack,
        environment,
        dryRun: values["dry-run"] === true,
        force: values.force === true,
        ...(values.reason !== undefined ? { reason: values.reason } : {}),
        yes: values.yes === true,
    };
}
