import { parseArgs, type ParseArgsConfig } from "node:util";
import { RefusedInput } from "../../policies/offline";

/**
 * What the npm-run commands share: their command line parsed strictly (unknown, valueless and
 * repeated options refused by name), and one way to end — a refusal is one message and exit 2,
 * an internal error its message, with the stack trace only under KEEL_DEBUG=1.
 */

export interface Output {
    readonly out: (text: string) => void;
    readonly err: (text: string) => void;
}

export const consoleOutput: Output = { out: (text) => console.log(text), err: (text) => console.error(text) };

type Options = NonNullable<ParseArgsConfig["options"]>;
type Token = { kind: "option"; name: string; rawName: string; value?: string; inlineValue?: boolean } | { kind: "positional" | "option-terminator" };

const flagOf = (name: string, options: Options) => (options[name]?.short !== undefined ? `--${name} (-${options[name].short})` : `--${name}`);

/** The first problem with one option as given, or undefined. */
function optionProblem(token: Extract<Token, { kind: "option" }>, options: Options): string | undefined {
    const option = options[token.name];
    if (option === undefined) return `unknown option ${token.rawName}; the options are ${Object.keys(options).map((name) => flagOf(name, options)).join(", ")}`;
    if (option.type === "boolean") return token.value === undefined ? undefined : `${token.rawName} takes no value, got "${token.value}"`;
    if (token.value === undefined || token.value === "") return `${token.rawName} needs a value`;
    // What strict parsing calls ambiguous: `--json --quiet` would write a file named "--quiet".
    if (token.inlineValue === false && token.value.startsWith("-")) return `${token.rawName} needs a value, got the option ${token.value} (write ${token.rawName}=${token.value} if that is the value)`;
    return undefined;
}

function repeatProblem(tokens: readonly Token[], options: Options): string | undefined {
    const seen = new Map<string, string>();
    for (const token of tokens) {
        if (token.kind !== "option" || options[token.name]?.multiple === true) continue;
        const first = seen.get(token.name);
        if (first !== undefined) return `${token.rawName} given twice (${first}, then ${token.value ?? token.rawName}); it takes one value`;
        seen.set(token.name, token.value ?? token.rawName);
    }
    return undefined;
}

/**
 * `parseArgs`, refusing what it would let through or explain in its own words: an unknown option
 * (listing the known ones), a missing or ambiguous value, a value for a switch, and a single-value
 * option given twice (parseArgs keeps the last silently). Each refusal ends with `hint`.
 */
export function parseCommandLine<T extends Options>(argv: readonly string[], options: T, hint: string) {
    const { tokens } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true });
    for (const token of tokens as Token[]) {
        const problem = token.kind === "option" ? optionProblem(token, options) : undefined;
        if (problem !== undefined) throw new RefusedInput(`${problem}\n${hint}`);
    }
    const repeated = repeatProblem(tokens as Token[], options);
    if (repeated !== undefined) throw new RefusedInput(`${repeated}\n${hint}`);
    try {
        return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    } catch (error) {
        throw new RefusedInput(`${(error as Error).message}\n${hint}`);
    }
}

/** An ISO 8601 date or instant (`2026-10-15`, `2026-10-15T12:00:00Z`) that names a real day. */
export function isoInstant(flag: string, text: string): string {
    const match = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/.exec(text);
    const day = match && new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
    const real = day !== null && day.getUTCDate() === Number(match?.[3]) && day.getUTCMonth() === Number(match?.[2]) - 1;
    if (!real || Number.isNaN(Date.parse(text))) throw new RefusedInput(`${flag} expects an ISO 8601 date or instant, got "${text}"; e.g. 2026-10-15 or 2026-10-15T12:00:00Z`);
    return text;
}

/** The message of an error the command did not expect, with its stack trace only when asked for. */
export function internalErrorMessage(command: string, error: unknown, env: NodeJS.ProcessEnv = process.env): string {
    if (!(error instanceof Error)) return `${command} failed: ${String(error)}`;
    return env.KEEL_DEBUG === "1" ? `${command} failed: ${error.stack ?? error.message}` : `${command} failed: ${error.message}\n(KEEL_DEBUG=1 shows the stack trace)`;
}

/** Runs a command as the script's main: its exit code, or 2 with one message for a refusal or an internal error. */
export function runAsScript(command: string, run: (argv: readonly string[], io: Output) => Promise<number>): void {
    run(process.argv.slice(2), consoleOutput).then(
        (code) => process.exit(code),
        (error: unknown) => {
            console.error(error instanceof RefusedInput ? error.message : internalErrorMessage(command, error));
            process.exit(2);
        },
    );
}

/** How a command reads its command line: its options, the usage hint ending each refusal, its `--help`. */
export interface CommandLine<T extends Options> {
    readonly options: T & { readonly help: { readonly type: "boolean"; readonly short: "h" } };
    readonly hint: string;
    readonly help: string;
}

/** A command: its command line parsed, `--help` answered, refusals ending in exit 2; `body` does the rest. */
export function runCommand<T extends Options>(argv: readonly string[], io: Output, commandLine: CommandLine<T>, body: (parsed: ReturnType<typeof parseCommandLine<T>>) => Promise<number>): Promise<number> {
    return refusing(io, async () => {
        const parsed = parseCommandLine(argv, commandLine.options, commandLine.hint);
        if ((parsed.values as Record<string, unknown>).help === true) {
            io.out(commandLine.help);
            return 0;
        }
        return body(parsed);
    });
}

/** Runs a command's body, turning a refusal into its message on stderr and exit 2. */
export async function refusing(io: Output, body: () => Promise<number>): Promise<number> {
    try {
        return await body();
    } catch (error) {
        if (!(error instanceof RefusedInput)) throw error;
        io.err(error.message);
        return 2;
    }
}
