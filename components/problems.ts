/**
 * What a component's checks report about its arguments before anything is registered: each
 * problem at its path in the arguments, so a stack can name its own configuration key for it
 * (stacks/config.ts) instead of reading the key back out of a message.
 */
export interface Problem {
    /** Where, in the component's arguments: `["alarmThresholds", "cpuPercent"]`. */
    readonly path: readonly (string | number)[];
    /** What is expected, or what is wrong; whoever reports it adds the value given. */
    readonly message: string;
}

export function problem(path: string | readonly (string | number)[], message: string): Problem {
    return { path: typeof path === "string" ? [path] : path, message };
}

/** The same problems, moved under `prefix`: a nested argument's checks reported at the component's argument paths. */
export function under(prefix: string | readonly (string | number)[], problems: readonly Problem[]): Problem[] {
    const head = typeof prefix === "string" ? [prefix] : prefix;
    return problems.map((p) => ({ path: [...head, ...p.path], message: p.message }));
}

/** Thrown by a component before it registers anything: every problem with its arguments at once. */
export class InvalidArgumentsError extends Error {
    /** `given`: the arguments judged, whose values the message quotes. */
    constructor(readonly component: string, readonly problems: readonly Problem[], given?: object) {
        super(`${component}: invalid arguments:\n  - ${problems.map((p) => describeProblem(p, given)).join("\n  - ")}`);
        this.name = "InvalidArgumentsError";
    }
}

/** Throws `InvalidArgumentsError` when there are problems: what a component runs before `super(...)`, so bad arguments register nothing. */
export function requireNoProblems(component: string, problems: readonly Problem[], given?: object): void {
    if (problems.length > 0) throw new InvalidArgumentsError(component, problems, given);
}

/** An email address as AWS's subscriptions take one: something@domain.tld, no spaces. */
export const isEmailAddress = (text: string) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(text);

/** The value at `path` in `value`, or undefined where there is none. */
export function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
    return path.reduce<unknown>((at, key) => (typeof at === "object" && at !== null ? (at as Record<string, unknown>)[String(key)] : undefined), value);
}

/** `alarmThresholds.cpuPercent: expected a percentage between 0 and 100, got 120` (what was given, when `given` holds it). */
export function describeProblem({ path, message }: Problem, given?: object): string {
    const value = given === undefined ? undefined : valueAt(given, path);
    // A value, or a list of them; a whole object (a problem about an argument group) is not quoted.
    const quotable = value !== undefined && (typeof value !== "object" || Array.isArray(value));
    const text = quotable ? `${message}, got ${JSON.stringify(value)}` : message;
    return path.length === 0 ? text : `${path.join(".")}: ${text}`;
}
