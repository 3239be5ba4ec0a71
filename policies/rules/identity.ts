import { allowsAction, coversEveryResource, isAllow, isEveryAction, malformedDocuments, parseDocument, type ParsedDocument, type Statement } from "./iam-documents";
import { globMatches } from "./storage-helpers";
import { resourcePolicy, setting } from "./policy";
import { whenKnown } from "./preview";

/** KMS and IAM rules: keys rotate, and no identity is handed administrator rights or the means to take them. */

export const kmsKeyRotation = resourcePolicy({
    name: "keel-kms-key-rotation",
    description: "Customer-managed symmetric KMS keys rotate their key material yearly (AWS rotates only symmetric keys).",
    types: ["aws:kms/key:Key"],
    config: { rotationPeriodMaxDays: setting.integer(365) },
    check: function* (key, { rotationPeriodMaxDays }) {
        const spec = key.props.customerMasterKeySpec ?? key.props.keySpec ?? "SYMMETRIC_DEFAULT";
        if (spec !== "SYMMETRIC_DEFAULT") return;
        if (key.props.enableKeyRotation !== true) {
            yield `KMS key "${key.name}" does not rotate (enableKeyRotation is not true).`;
            return;
        }
        const period = key.props.rotationPeriodInDays;
        if (typeof period === "number" && period > rotationPeriodMaxDays) {
            yield `KMS key "${key.name}" rotates every ${period} days; at most ${rotationPeriodMaxDays} allowed.`;
        }
    },
});

/**
 * AWS managed policies (patterns, any partition) that make their holder an administrator, or give
 * it a whole service or read access to every resource: the managed form of `service:*` on `*`.
 */
export const adminManagedPolicies = [
    "arn:aws:iam::aws:policy/AdministratorAccess*",
    "arn:aws:iam::aws:policy/IAMFullAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
    "arn:aws:iam::aws:policy/*FullAccess",
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "arn:aws:iam::aws:policy/job-function/*Administrator",
];

/** Identity (permission) policy documents of a resource: inline role/user/group policies, managed policies, permission sets. */
export function identityDocuments(type: string, props: Record<string, unknown>): { field: string; parsed: ParsedDocument }[] {
    const field = inlinePolicyTypes[type];
    if (field !== undefined) return [{ field, parsed: parseDocument(whenKnown(() => props[field], undefined)) }];
    if (type !== "aws:iam/role:Role") return [];
    const inline = whenKnown(() => (Array.isArray(props.inlinePolicies) ? (props.inlinePolicies as unknown[]) : []), []);
    return inline.map((policy, i) => ({ field: `inlinePolicies[${i}]`, parsed: parseDocument(whenKnown(() => (policy as Record<string, unknown> | null)?.policy, undefined)) }));
}

const inlinePolicyTypes: Record<string, string> = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": "inlinePolicy",
};
const attachmentTypes = [
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment",
];
const managedListTypes = ["aws:iam/role:Role", "aws:iam/user:User", "aws:iam/group:Group", "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"];

const allowStatementsOf = (documents: readonly { parsed: ParsedDocument }[]) => documents.flatMap((d) => (d.parsed.kind === "document" ? d.parsed.statements.filter(isAllow) : []));

/** Every action, or every action of a service (`s3:*`, `*:Get*`), on every resource of it. */
const isAdminStatement = (s: Statement) => isAllow(s) && s.actions.some(isEveryAction) && s.resources.some(coversEveryResource);

type RawStatement = { Effect?: unknown; Action?: unknown; Resource?: unknown };

/** Statements that allow every action (or every action of a service, all of IAM included) on every resource. */
export function wildcardAdminStatements(document: unknown): RawStatement[] {
    const parsed = parseDocument(document);
    return parsed.kind === "document" ? parsed.statements.filter(isAdminStatement).map((s) => ({ ...s.raw, Action: actionElement(s) })) : [];
}

/** The Action element as written (one string or a list), for messages. */
const actionElement = (s: Statement): unknown => Object.entries(s.raw).find(([k]) => k.toLowerCase() === "action")?.[1];

/** The managed policy ARNs a resource attaches (an attachment's one, or a role/user/group's list). */
function attachedPolicies(type: string, props: Record<string, unknown>): string[] {
    if (attachmentTypes.includes(type)) return whenKnown(() => [props.policyArn ?? props.managedPolicyArn].filter((a): a is string => typeof a === "string"), []);
    if (!managedListTypes.includes(type)) return [];
    return whenKnown(() => [props.managedPolicyArns ?? props.policyArns ?? []].flat().filter((a): a is string => typeof a === "string"), []);
}

const samePartition = (arn: string) => arn.replace(/^arn:aws[a-z-]*:/i, "arn:aws:");

export const iamNoWildcardAdmin = resourcePolicy({
    name: "keel-iam-no-wildcard-admin",
    description: "No IAM policy allows every action, or every action of a service (s3:*, kms:*), on every resource, nor all of IAM (iam:*) on anything; no role, user or group gets an administrator or *FullAccess managed policy.",
    config: { forbiddenManagedPolicies: setting.strings(adminManagedPolicies) },
    check: function* (resource, { forbiddenManagedPolicies }) {
        const documents = identityDocuments(resource.type, resource.props);
        yield* malformedDocuments(resource, documents);
        for (const statement of allowStatementsOf(documents)) {
            const action = JSON.stringify(actionElement(statement));
            if (isAdminStatement(statement)) {
                yield `${resource.type} "${resource.name}" allows ${action} on every resource: grant the actions and resources it needs.`;
            } else if (statement.actions.some((a) => /^iam:\*+$/i.test(a))) {
                yield `${resource.type} "${resource.name}" allows ${action} on ${JSON.stringify(statement.resources)}: all of IAM lets its holder grant itself anything; name the IAM actions it needs.`;
            }
        }
        for (const arn of attachedPolicies(resource.type, resource.props)) {
            if (forbiddenManagedPolicies.some((pattern) => globMatches(samePartition(pattern), samePartition(arn), true))) yield `${resource.type} "${resource.name}" attaches ${arn}.`;
        }
    },
});

/**
 * Actions that, on every role, user, group or policy, let their holder take any permission
 * (IAM User Guide, "Granting a user permissions to pass a role"; the well-known IAM privilege
 * escalation paths).
 */
export const escalationActions = [
    "iam:PassRole",
    "sts:AssumeRole",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutUserPolicy",
    "iam:AttachUserPolicy",
    "iam:PutGroupPolicy",
    "iam:AttachGroupPolicy",
    "iam:AddUserToGroup",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
];

function escalationProblems(statement: Statement, actions: readonly string[]): string[] {
    const problems: string[] = [];
    if (statement.notActions !== undefined) problems.push(`allows every action but ${JSON.stringify(statement.notActions)} (Allow with NotAction also grants actions AWS adds later): list the actions`);
    if (statement.notResources !== undefined) problems.push(`allows ${JSON.stringify(statement.actions)} on every resource but ${JSON.stringify(statement.notResources)} (Allow with NotResource): list the resources`);
    const everywhere = statement.resources.filter(coversEveryResource);
    const escalating = everywhere.length === 0 || isAdminStatement(statement) ? [] : actions.filter((a) => allowsAction(statement.actions, a));
    if (escalating.length > 0) {
        problems.push(`allows ${escalating.join(", ")} on ${JSON.stringify(everywhere)}: on every role or principal these hand its holder any permission, an administrator's too (IAM privilege escalation); name the roles and principals`);
    }
    return problems;
}

export const iamNoPrivilegeEscalation = resourcePolicy({
    name: "keel-iam-no-privilege-escalation",
    description: "No IAM policy allows with NotAction or NotResource, or allows iam:PassRole, sts:AssumeRole or a policy-writing IAM action on every role or principal.",
    config: { escalationActions: setting.strings(escalationActions) },
    check: function* (resource, { escalationActions: actions }) {
        for (const statement of allowStatementsOf(identityDocuments(resource.type, resource.props))) {
            for (const problem of escalationProblems(statement, actions)) yield `${resource.type} "${resource.name}" statement "${statement.label}" ${problem}.`;
        }
    },
});

/** Resources that mint credentials which never expire on their own. */
export const longTermCredentialTypes = [
    "aws:iam/accessKey:AccessKey",
    "aws:iam/userLoginProfile:UserLoginProfile",
    "aws:iam/serviceSpecificCredential:ServiceSpecificCredential",
    "aws:iam/signingCertificate:SigningCertificate",
];

export const iamNoLongTermCredentials = resourcePolicy({
    name: "keel-iam-no-long-term-credentials",
    description: "No IAM user access keys, console passwords or service-specific credentials: workloads take roles and people federate, so no credential outlives its session.",
    config: { forbiddenTypes: setting.strings(longTermCredentialTypes) },
    check: function* (resource, { forbiddenTypes }) {
        if (!forbiddenTypes.includes(resource.type)) return;
        yield `${resource.type} "${resource.name}" creates a long-term IAM credential: give the workload a role (instance profile, IRSA) or federate people (IAM User Guide, "Security best practices in IAM": use temporary credentials).`;
    },
});

export const identityPolicies = [kmsKeyRotation, iamNoWildcardAdmin, iamNoPrivilegeEscalation, iamNoLongTermCredentials];
