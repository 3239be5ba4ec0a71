import { posix } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { isUnknownValueError } from "./preview";
import { list, object } from "./props";

/**
 * Readers over Kubernetes objects and Helm values for the policy pack: the same objects whether
 * they come from a resource (`kubernetes:apps/v1:Deployment`), a manifest inside a
 * `kubernetes:yaml/v2:ConfigGroup`, or values given to a Helm release (objects, or strings of
 * YAML nested in them). Values not known at preview are read as `unknownMarker`, never judged.
 */

/** How the offline plan records values it cannot know, and secrets; under the engine unknowns become this marker too (`known`). */
export const unknownMarker = "[unknown]";
export const secretMarker = "[secret]";
export const isMasked = (v: unknown) => v === unknownMarker || v === secretMarker;

/** Deeper than any real Kubernetes object or chart values: anything below is treated as unknown. */
const maxDepth = 64;
/** Strings longer than this are never parsed as YAML (dashboards, scripts). */
const maxEmbeddedYaml = 256 * 1024;


function readKnown(container: Record<string | number, unknown>, key: string | number, depth: number): unknown {
    try {
        return known(container[key], depth + 1);
    } catch (error) {
        if (isUnknownValueError(error)) return unknownMarker;
        throw error;
    }
}

/** A plain copy of a (possibly engine-proxied) value, each value unknown at preview replaced by `unknownMarker`. */
export function known(value: unknown, depth = 0): unknown {
    if (typeof value !== "object" || value === null) return value;
    if (depth >= maxDepth) return unknownMarker;
    if (Array.isArray(value)) return Array.from({ length: value.length }, (_, i) => readKnown(value as unknown as Record<number, unknown>, i, depth));
    const record = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(record).map((k) => [k, readKnown(record, k, depth)]));
}

/**
 * A string that may hold a YAML (or JSON) mapping or sequence, as charts accept for some
 * values: past comments and a document marker, its first line is `key:`, `- ` or a brace.
 */
function looksStructured(s: string): boolean {
    if (s.length > maxEmbeddedYaml) return false;
    const body = s.replace(/^(\s*(#[^\n]*|---)?\n)*/, "");
    return /^\s*[[{]/.test(body) || (s.includes("\n") && /^\s*(- |-\n|[^\s:#/][^:\n]*:(\s|$))/.test(body));
}

/** The value with every nested string of YAML that parses to a mapping or sequence replaced by what it holds. */
export function withEmbeddedYaml(value: unknown, depth = 0): unknown {
    if (depth >= maxDepth) return unknownMarker;
    if (typeof value === "string") {
        // "[unknown]" and "[secret]" are markers, not YAML lists.
        if (isMasked(value) || !looksStructured(value)) return value;
        const parsed = yamlIn(value)?.value;
        return typeof parsed === "object" && parsed !== null ? withEmbeddedYaml(parsed, depth + 1) : value;
    }
    if (Array.isArray(value)) return value.map((v) => withEmbeddedYaml(v, depth + 1));
    if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withEmbeddedYaml(v, depth + 1)]));
    return value;
}

export interface Entry {
    /** Dotted path from the root, array indexes as numbers: `alloy.securityContext.privileged`. */
    readonly path: string;
    readonly key: string;
    readonly value: unknown;
    /** The key of the object holding this entry (for `capabilities.add`, "capabilities"). */
    readonly parentKey: string;
}

/** Every key and array element of a plain value, depth first. */
export function* entries(value: unknown, path = "", parentKey = "", depth = 0): Generator<Entry> {
    if (depth >= maxDepth || typeof value !== "object" || value === null) return;
    const pairs: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    for (const [key, v] of pairs) {
        const at = path === "" ? key : `${path}.${key}`;
        yield { path: at, key, value: v, parentKey };
        yield* entries(v, at, key, depth + 1);
    }
}

/** A boolean as Kubernetes and Go's strconv.ParseBool read it: true, "true", "True", "1", "t". */
export const isTruthy = (v: unknown) => v === true || (typeof v === "string" && ["1", "t", "true"].includes(v.trim().replace(/^["']|["']$/g, "").toLowerCase()));

// ---- Kubernetes objects ----

/** A Kubernetes object to judge: a resource, or a manifest inside a ConfigGroup. */
export interface Manifest {
    readonly kind: string;
    /** How messages name it: the Pulumi resource name, or `<group>/<metadata.name>` for a manifest in a ConfigGroup. */
    readonly name: string;
    readonly body: Record<string, unknown>;
    /** A server-side-apply patch (`…Patch` types): only what it sets is judged, nothing is required. */
    readonly partial: boolean;
}

const configGroupTypes = ["kubernetes:yaml/v2:ConfigGroup", "kubernetes:yaml/v2:ConfigFile"];

function yamlDocuments(text: string): unknown[] {
    try {
        return parseAllDocuments(text).flatMap((d) => ("toJS" in d ? [d.toJS() as unknown] : []));
    } catch {
        return [];
    }
}

/** The objects of a ConfigGroup: its `objs` and every document of its `yaml`. */
function configGroupObjects(props: Record<string, unknown>): Record<string, unknown>[] {
    const texts = [props.yaml].flat().filter((t): t is string => typeof t === "string");
    return [...list(props.objs), ...texts.flatMap(yamlDocuments).map(object)].flatMap((o) => (o.kind === "List" ? list(o.items) : [o]));
}

/** The Kubernetes objects a resource declares: itself (kind from its type token), or a ConfigGroup's manifests. */
export function manifestsOf(type: string, name: string, props: Record<string, unknown>): Manifest[] {
    if (configGroupTypes.includes(type)) {
        const plain = object(known(props));
        return configGroupObjects(plain).map((o) => ({ kind: String(o.kind ?? ""), name: `${name}/${String(object(o.metadata).name ?? "?")}`, body: o, partial: false }));
    }
    if (!type.startsWith("kubernetes:") || type.startsWith("kubernetes:helm.sh/") || type.startsWith("kubernetes:yaml/")) return [];
    const token = type.slice(type.lastIndexOf(":") + 1);
    const partial = token.endsWith("Patch");
    return [{ kind: partial ? token.slice(0, -"Patch".length) : token, name, body: object(known(props)), partial }];
}

/** Kinds whose pod template is at `spec.template.spec`. */
const templatedKinds = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"];
/** Prometheus Operator resources whose `spec` takes pod fields (securityContext, containers, volumes, hostNetwork). */
const operatorKinds = ["Prometheus", "PrometheusAgent", "Alertmanager", "ThanosRuler"];

export interface PodSpec {
    readonly spec: Record<string, unknown>;
    /** Prometheus Operator specs and patches: judged on what they set only. */
    readonly partial: boolean;
}

/** The pod spec a Kubernetes object runs, if it runs pods. */
export function podSpecOf(manifest: Manifest): PodSpec | undefined {
    const { kind, body, partial } = manifest;
    const spec = object(body.spec);
    if (kind === "Pod") return { spec, partial };
    if (kind === "PodTemplate") return { spec: object(object(body.template).spec), partial };
    if (kind === "CronJob") return { spec: object(object(object(object(spec.jobTemplate).spec).template).spec), partial };
    if (templatedKinds.includes(kind)) return { spec: object(object(spec.template).spec), partial };
    if (operatorKinds.includes(kind)) return { spec, partial: true };
    return undefined;
}

export interface Container {
    readonly container: Record<string, unknown>;
    /** `container "dump"` or `init container "dump"`, for messages. */
    readonly label: string;
}

/** Every container of a pod spec: init, regular and ephemeral. */
export function containersOf(spec: Record<string, unknown>): Container[] {
    const named = (prefix: string, c: Record<string, unknown>): Container => ({ container: c, label: `${prefix}container "${String(c.name ?? "?")}"` });
    return [
        ...list(spec.initContainers).map((c) => named("init ", c)),
        ...list(spec.containers).map((c) => named("", c)),
        ...list(spec.ephemeralContainers).map((c) => named("ephemeral ", c)),
    ];
}

// ---- Helm ----

const helmTypes = ["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"];
export const isHelmRelease = (type: string) => helmTypes.includes(type);

export interface HelmValues {
    /** `values`, or `valueYamlFiles[i]` for an inline YAML asset. */
    readonly source: string;
    readonly values: unknown;
}

/**
 * The values a Helm release passes its chart: `values` (an object, or a YAML string in a
 * hand-edited record) and inline `valueYamlFiles` assets; nested YAML strings parsed. Files
 * given by path are not read: the policy judges what the program passes.
 */
export function helmValuesOf(props: Record<string, unknown>): HelmValues[] {
    const plain = object(known(props));
    const files = list(plain.valueYamlFiles).flatMap((asset, i) => (typeof asset.text === "string" ? [{ source: `valueYamlFiles[${i}]`, values: asset.text }] : []));
    return [{ source: "values", values: plain.values }, ...files]
        .map(({ source, values }) => ({ source, values: withEmbeddedYaml(typeof values === "string" ? safeParse(values) : values) }));
}

/** What `findingsOf` finds in each of a Helm release's values (its `values` and value files), as `<source>.<finding>`. */
export function helmValuesFindings(props: Record<string, unknown>, findingsOf: (values: unknown) => readonly string[]): string[] {
    return helmValuesOf(props).flatMap(({ source, values }) => findingsOf(values).map((finding) => `${source}.${finding}`));
}

function safeParse(text: string): unknown {
    const parsed = yamlIn(text);
    return parsed === undefined ? unknownMarker : parsed.value;
}

/**
 * The YAML a string holds, or undefined where it is not YAML. Strings that only look structured
 * (Go templates such as `{{ $labels.job }} is down`) fail to parse, and capturing the stack traces
 * of their errors cost more than the parsing itself: nothing reads them.
 */
function yamlIn(text: string): { readonly value: unknown } | undefined {
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        return { value: parse(text) as unknown };
    } catch {
        return undefined;
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
    }
}

// ---- host paths ----

/** Whether a host path lies inside one of the allowed directories (after resolving `..`). */
export function isAllowedHostPath(path: string, allowed: readonly string[]): boolean {
    if (!path.startsWith("/")) return false;
    const resolved = posix.normalize(path).replace(/\/+$/, "") || "/";
    return allowed.some((a) => {
        const base = posix.normalize(a).replace(/\/+$/, "") || "/";
        return resolved === base || resolved.startsWith(`${base}/`);
    });
}
