import { globMatches, stringsOf } from "./storage-helpers";
import { whenKnown } from "./preview";

/**
 * Readers over IAM-style policy documents (identity policies, resource policies, trust policies)
 * as the engine or a plan record gives them: a JSON string or an object, element names and
 * Effect in any case (a misspelt-case document is judged as AWS would most permissively read it),
 * one value or a list wherever IAM takes either.
 */

export interface ConditionClause {
    /** As written, e.g. `StringEquals`, `ForAnyValue:StringLike`. */
    readonly operator: string;
    /** As written, e.g. `aws:SourceAccount`; IAM compares condition keys case-insensitively. */
    readonly key: string;
    readonly values: readonly string[];
}

export interface Statement {
    /** The Sid, or the statement's position (`#1`) when it has none. */
    readonly label: string;
    readonly effect: string;
    readonly principals: readonly Principal[];
    /** Undefined when the statement has no NotPrincipal element. */
    readonly notPrincipals: readonly Principal[] | undefined;
    readonly actions: readonly string[];
    readonly notActions: readonly string[] | undefined;
    readonly resources: readonly string[];
    readonly notResources: readonly string[] | undefined;
    readonly conditions: readonly ConditionClause[];
    readonly raw: Readonly<Record<string, unknown>>;
}

export type ParsedDocument =
    | { readonly kind: "absent" }
    | { readonly kind: "malformed"; readonly reason: string }
    | { readonly kind: "document"; readonly statements: readonly Statement[] };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** An element of a statement or document, its name matched case-insensitively. */
function element(raw: Readonly<Record<string, unknown>>, name: string): { present: boolean; value: unknown } {
    const key = Object.keys(raw).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? { present: false, value: undefined } : { present: true, value: raw[key] };
}

const scalarText = (value: unknown): string | undefined => (typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : undefined);

export function conditionClauses(condition: unknown): ConditionClause[] {
    if (!isRecord(condition)) return [];
    return Object.entries(condition).flatMap(([operator, keys]) =>
        isRecord(keys)
            ? Object.entries(keys).map(([key, values]) => ({ operator, key, values: [values ?? []].flat().flatMap((v) => scalarText(v) ?? []) }))
            : [],
    );
}

function statementOf(raw: Readonly<Record<string, unknown>>, index: number): Statement {
    const optionalList = (name: string) => {
        const found = element(raw, name);
        return found.present ? stringsOf(found.value) : undefined;
    };
    const sid = scalarText(element(raw, "Sid").value);
    return {
        label: sid !== undefined && sid !== "" ? sid : `#${index + 1}`,
        effect: scalarText(element(raw, "Effect").value) ?? "",
        principals: principalsOf(element(raw, "Principal").value),
        notPrincipals: element(raw, "NotPrincipal").present ? principalsOf(element(raw, "NotPrincipal").value) : undefined,
        actions: stringsOf(element(raw, "Action").value),
        notActions: optionalList("NotAction"),
        resources: stringsOf(element(raw, "Resource").value),
        notResources: optionalList("NotResource"),
        conditions: conditionClauses(element(raw, "Condition").value),
        raw,
    };
}

/**
 * A policy document's statements; "absent" when there is none or it is not known yet (at
 * preview), "malformed" when it is there but is not a policy document AWS would accept.
 */
export function parseDocument(document: unknown): ParsedDocument {
    return whenKnown((): ParsedDocument => {
        if (document === undefined || document === null || document === "") return { kind: "absent" };
        let parsed: unknown = document;
        if (typeof document === "string") {
            try {
                parsed = JSON.parse(document);
            } catch {
                return { kind: "malformed", reason: "not JSON" };
            }
        }
        if (!isRecord(parsed)) return { kind: "malformed", reason: "not a JSON object" };
        const statement = element(parsed, "Statement").value;
        const entries = [statement ?? []].flat();
        if (entries.some((s) => !isRecord(s))) return { kind: "malformed", reason: "a Statement entry is not an object" };
        return { kind: "document", statements: (entries as Record<string, unknown>[]).map(statementOf) };
    }, { kind: "absent" });
}

/** A message for each of a resource's documents AWS would refuse: those cannot be judged. */
export function* malformedDocuments(resource: { readonly type: string; readonly name: string }, documents: readonly { readonly field: string; readonly parsed: ParsedDocument }[]): Generator<string> {
    for (const { field, parsed } of documents) {
        if (parsed.kind === "malformed") yield `${resource.type} "${resource.name}" ${field} is not a policy document AWS would accept (${parsed.reason}): it cannot be judged.`;
    }
}

export const isAllow = (statement: Statement) => statement.effect.toLowerCase() === "allow";

/** Whether any of a statement's action patterns (IAM wildcards, case-insensitive) matches an action. */
export const allowsAction = (patterns: readonly string[], action: string) => patterns.some((pattern) => globMatches(pattern, action, true));

/** `*`, `kms:*`, `*:Get*`: every action, or every action of a service (or of every service). */
export const isEveryAction = (action: string) => /^\*+$/.test(action) || /^[^:]*[*?][^:]*:/.test(action) || /^[\w-]+:\*+$/.test(action);

// ---- principals ----

export type PrincipalKind = "Everyone" | "AWS" | "Service" | "Federated" | "CanonicalUser" | "Other";

export interface Principal {
    readonly kind: PrincipalKind;
    readonly value: string;
}

const principalKinds: readonly PrincipalKind[] = ["AWS", "Service", "Federated", "CanonicalUser"];
const kindNamed = (key: string): PrincipalKind => principalKinds.find((k) => k.toLowerCase() === key.toLowerCase()) ?? "Other";
const bare = (value: string): Principal => (value === "*" ? { kind: "Everyone", value } : { kind: "AWS", value });

/** The principals of a Principal (or NotPrincipal) element: `"*"`, `{AWS: …}`, `{Service: [...]}`, a bare ARN or list. */
export function principalsOf(element: unknown): Principal[] {
    if (typeof element === "string") return [bare(element)];
    if (Array.isArray(element)) return stringsOf(element).map(bare);
    if (!isRecord(element)) return [];
    return Object.entries(element).flatMap(([key, values]) => stringsOf(values).map((value) => ({ kind: kindNamed(key), value })));
}

/** `"*"`, `{AWS: "*"}`, `arn:aws:iam::*:root` and any other pattern: IAM accepts no wildcard in a principal but `*` alone, which is everyone. */
export const isWildcardPrincipal = (principal: Principal) => principal.kind === "Everyone" || /[*?]/.test(principal.value);

const accountPattern = /^\d{12}$/;
const principalArn = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/i;
const providerArn = /^arn:aws[a-z-]*:iam::(\d{12}):(?:oidc|saml)-provider\//i;

/** The account an AWS or Federated principal belongs to, when it names one. */
export function principalAccount(principal: Principal): string | undefined {
    const { kind, value } = principal;
    if (kind === "AWS") return accountPattern.test(value) ? value : principalArn.exec(value)?.[1];
    if (kind === "Federated") return providerArn.exec(value)?.[1];
    return undefined;
}

/** The issuer of a web-identity provider ARN (`oidc.eks.us-east-1.amazonaws.com/id/ABC`), else undefined. */
export function oidcIssuer(federated: string): string | undefined {
    return /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/(.+)$/i.exec(federated)?.[1];
}

// ---- ARNs ----

interface Arn {
    readonly service: string;
    readonly region: string;
    readonly account: string;
    readonly resource: string;
}

export function parseArn(value: string): Arn | undefined {
    const parts = value.split(":");
    if (parts.length < 6 || parts[0].toLowerCase() !== "arn") return undefined;
    return { service: parts[2], region: parts[3], account: parts[4], resource: parts.slice(5).join(":") };
}

const wildcardOnly = /^[*?]+$/;
const hasWildcard = (text: string) => /[*?]/.test(text);

/**
 * Whether a Resource pattern covers every resource of its service: `*`, `arn:aws:s3:::*`,
 * `arn:aws:kms:*:*:key/*`, `arn:aws:iam::123456789012:role/*`, `arn:*`.
 */
export function coversEveryResource(pattern: string): boolean {
    if (wildcardOnly.test(pattern)) return true;
    const arn = parseArn(pattern);
    if (arn === undefined) return /^arn:[^:]*[*?]/i.test(pattern) || /^arn:[^:]*:[^:]*[*?]/i.test(pattern);
    // S3 names buckets, not resource types, first: a leading wildcard spans every bucket.
    if (arn.service.toLowerCase() === "s3" || hasWildcard(arn.service)) return /^[*?]/.test(arn.resource);
    return wildcardOnly.test(arn.resource) || /^[^/:*?]+[/:][*?]+$/.test(arn.resource);
}

/** The 12-digit accounts in the ARNs of a text (`arn:aws:sns:us-east-1:123456789012:topic`). */
export function arnAccounts(text: string): string[] {
    return [...text.matchAll(/arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/gi)].map((m) => m[1]);
}

// ---- conditions ----

const pinningOperators = ["stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"];

/**
 * Whether a clause lets a request through only when its key has one of the named values: a
 * positive operator (not `Not…`, not `…IfExists`, not `ForAllValues:`, which all pass a request
 * without the key), at least one value, and no value that is a wildcard where it matters.
 */
export function isPinningClause(clause: ConditionClause): boolean {
    const operator = clause.operator.toLowerCase().replace(/^foranyvalue:/, "");
    if (!pinningOperators.includes(operator) || clause.values.length === 0) return false;
    return clause.values.every((value) => (parseArn(value) === undefined ? !hasWildcard(value) : arnPins(value)));
}

/** An ARN value names one account (`arn:aws:logs:…:123456789012:*`) or, for account-less S3 ARNs, one bucket. */
function arnPins(value: string): boolean {
    const arn = parseArn(value);
    if (arn === undefined) return false;
    return arn.account === "" ? arn.resource !== "" && !hasWildcard(arn.resource) && !hasWildcard(arn.service) : accountPattern.test(arn.account);
}

/** The clauses of a statement on a condition key (case-insensitive, as IAM compares keys). */
export const clausesOn = (statement: Statement, key: string) => statement.conditions.filter((c) => c.key.toLowerCase() === key.toLowerCase());

/** The accounts a pinning condition value names: a 12-digit value, or the account of an ARN value. */
export function valueAccount(value: string): string | undefined {
    if (accountPattern.test(value)) return value;
    const account = parseArn(value)?.account;
    return account !== undefined && accountPattern.test(account) ? account : undefined;
}
