import type { EnforcementLevel, PolicyConfigSchema, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";

/**
 * The one shape of a Keel policy: a name, a description, its settings (each declared once: the
 * schema default is the value a check sees when the pack config leaves it out), a switch that
 * turns it off, and a check that yields what it finds. `resourcePolicy` judges every resource
 * of some types, `stackPolicy` the stack as a whole.
 *
 * ```ts
 * export const hpaBounds = resourcePolicy({
 *     name: "keel-k8s-hpa-bounds",
 *     description: "...",
 *     types: ["kubernetes:autoscaling/v2:HorizontalPodAutoscaler"],
 *     config: { minReplicas: setting.integer(1) },
 *     check: function* (hpa, { minReplicas }) {
 *         const min = object(hpa.props.spec).minReplicas;
 *         if (typeof min === "number" && min < minReplicas) yield `HorizontalPodAutoscaler "${hpa.name}" allows ${min} replica(s)`;
 *     },
 * });
 * ```
 */

/** A setting's JSON schema, as @pulumi/policy declares config properties. */
type Schema = PolicyConfigSchema["properties"][string];
/** What a setting may hold (undefined: an optional setting the pack config leaves out). */
type Value = NonNullable<Schema["default"]> | undefined;

/** One setting: its JSON schema, whose `default` is also the value a check sees when the pack config leaves the setting out. */
export type Setting<T extends Value> = Omit<Schema, "default"> & { readonly default: T };
export type Settings = Readonly<Record<string, Setting<Value>>>;
/** What a check reads: every setting as the pack config gives it, else its default. */
export type Values<S extends Settings> = { readonly [K in keyof S]: S[K]["default"] };

/** Settings made by `setting.switch`: the schema stays plain JSON schema, so they are told apart here. */
const switches = new WeakSet<Setting<Value>>();

function text(byDefault: string): Setting<string>;
function text<const T extends string>(byDefault: T, choices: readonly T[]): Setting<T>;
function text(byDefault: string, choices?: readonly string[]): Setting<string> {
    return choices === undefined ? { type: "string", default: byDefault } : { type: "string", enum: [...choices], default: byDefault };
}

/** Settings by type, each given its default. */
export const setting = {
    flag: (byDefault: boolean): Setting<boolean> => ({ type: "boolean", default: byDefault }),
    /**
     * A boolean that turns the whole policy off while it is false: `enabled` (on by default) on
     * most policies, `required` (off by default) on rules only some environments require.
     */
    switch: (byDefault: boolean): Setting<boolean> => {
        const flag = setting.flag(byDefault);
        switches.add(flag);
        return flag;
    },
    integer: (byDefault: number): Setting<number> => ({ type: "integer", default: byDefault }),
    number: (byDefault: number): Setting<number> => ({ type: "number", default: byDefault }),
    /** A string; with `choices`, one of them. */
    text,
    strings: (byDefault: readonly string[]): Setting<readonly string[]> => ({ type: "array", items: { type: "string" }, default: byDefault }),
    integers: (byDefault: readonly number[]): Setting<readonly number[]> => ({ type: "array", items: { type: "integer" }, default: byDefault }),
    /** An object (a map from names to values). */
    record: <T extends object>(byDefault: T): Setting<T> => ({ type: "object", default: byDefault }),
    /** A setting without a default: the check sees undefined unless the pack config gives it. */
    optional: <T extends Value>(schema: Schema): Setting<T | undefined> => schema as Setting<T | undefined>,
};

/** The settings of a policy that has nothing to set but its switch: `enabled`, on by default. */
export const switchable = { enabled: setting.switch(true) };
export type Switchable = typeof switchable;

interface Definition<S extends Settings> {
    readonly name: string;
    readonly description: string;
    /** Mandatory unless said otherwise. */
    readonly enforcementLevel?: EnforcementLevel;
    /** The policy's settings; `switchable` when left out (every Keel policy can be configured). */
    readonly config?: S;
}

export interface ResourcePolicyDefinition<S extends Settings> extends Definition<S> {
    /** The types judged: type tokens, or a test of the type; every type when left out. */
    readonly types?: Iterable<string> | ((type: string) => boolean);
    /** The violations of one resource, each its whole message, in the order they are reported. */
    readonly check: (resource: ResourceValidationArgs, config: Values<S>) => Iterable<string>;
}

/** A violation of a stack policy: its message, and the resource it is about. */
export type StackViolation = readonly [message: string, urn?: string];

export interface StackPolicyDefinition<S extends Settings> extends Definition<S> {
    /** The stack's violations, in the order they are reported. */
    readonly check: (stack: StackValidationArgs, config: Values<S>) => Iterable<StackViolation>;
}

/** Every setting's value: as the pack config gives it, else its default. */
export function settingValues<S extends Settings>(settings: S, given: Readonly<Record<string, unknown>>): Values<S> {
    return Object.fromEntries(Object.entries(settings).map(([key, { default: byDefault }]) => [key, given[key] === undefined ? byDefault : given[key]])) as Values<S>;
}

/** What both kinds of policy share: the policy's description, and the settings' values for one validation (undefined while a switch is off). */
function configured<S extends Settings>(definition: Definition<S>) {
    const settings = definition.config ?? (switchable as Settings as S);
    const switchedBy = Object.keys(settings).filter((key) => switches.has(settings[key]));
    const configOf = (args: { getConfig<T extends object>(): T }): Values<S> | undefined => {
        const values = settingValues(settings, args.getConfig<Record<string, unknown>>());
        return switchedBy.some((key) => (values as Record<string, unknown>)[key] === false) ? undefined : values;
    };
    const policy = {
        name: definition.name,
        description: definition.description,
        enforcementLevel: definition.enforcementLevel ?? "mandatory",
        configSchema: { properties: { ...settings } },
    };
    return { policy, configOf };
}

function typeTest(types: ResourcePolicyDefinition<Settings>["types"]): (type: string) => boolean {
    if (types === undefined) return () => true;
    if (typeof types === "function") return types;
    const judged = new Set(types);
    return (type) => judged.has(type);
}

/** A policy that judges every resource of `types` by `check`. */
export function resourcePolicy<S extends Settings = Switchable>(definition: ResourcePolicyDefinition<S>): ResourceValidationPolicy {
    const { policy, configOf } = configured(definition);
    const judges = typeTest(definition.types);
    return {
        ...policy,
        validateResource: (args, reportViolation) => {
            const config = judges(args.type) ? configOf(args) : undefined;
            if (config !== undefined) for (const message of definition.check(args, config)) reportViolation(message);
        },
    };
}

/** A policy that judges the whole stack by `check`. */
export function stackPolicy<S extends Settings = Switchable>(definition: StackPolicyDefinition<S>): StackValidationPolicy {
    const { policy, configOf } = configured(definition);
    return {
        ...policy,
        validateStack: (args, reportViolation) => {
            const config = configOf(args);
            if (config !== undefined) for (const [message, urn] of definition.check(args, config)) reportViolation(message, urn);
        },
    };
}
