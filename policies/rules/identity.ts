import type { ResourceValidationPolicy } from "@pulumi/policy";

/** KMS and IAM rules: keys rotate, and no identity is handed administrator rights. */

export const kmsKeyRotation: ResourceValidationPolicy = {
    name: "keel-kms-key-rotation",
    description: "Customer-managed symmetric KMS keys rotate their key material yearly (AWS rotates only symmetric keys).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { rotationPeriodMaxDays: { type: "integer", default: 365 } } },
    validateResource: (args, reportViolation) => {
        if (args.type !== "aws:kms/key:Key") return;
        const spec = args.props.customerMasterKeySpec ?? args.props.keySpec ?? "SYMMETRIC_DEFAULT";
        if (spec !== "SYMMETRIC_DEFAULT") return;
        if (args.props.enableKeyRotation !== true) {
            reportViolation(`KMS key "${args.name}" does not rotate (enableKeyRotation is not true).`);
            return;
        }
        const { rotationPeriodMaxDays = 365 } = args.getConfig<{ rotationPeriodMaxDays?: number }>();
        const period = args.props.rotationPeriodInDays;
        if (typeof period === "number" && period > rotationPeriodMaxDays) {
            reportViolation(`KMS key "${args.name}" rotates every ${period} days; at most ${rotationPeriodMaxDays} allowed.`);
        }
    },
};

/** Managed policies that make their holder an administrator of the account or of IAM. */
export const adminManagedPolicies = ["arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/IAMFullAccess", "arn:aws:iam::aws:policy/PowerUserAccess"];

type Statement = { Effect?: string; Action?: string | string[]; Resource?: string | string[] };

/** Statements that allow every action (or all of IAM) on every resource. */
export function wildcardAdminStatements(document: unknown): Statement[] {
    let parsed: unknown = document;
    if (typeof document === "string") {
        try {
            parsed = JSON.parse(document);
        } catch {
            return [];
        }
    }
    const body = parsed as { Statement?: Statement | Statement[] } | undefined;
    return [body?.Statement ?? []].flat().filter((s) => {
        const actions = [s.Action ?? []].flat();
        const resources = [s.Resource ?? []].flat();
        return s.Effect === "Allow" && resources.includes("*") && actions.some((a) => a === "*" || a === "*:*" || a.toLowerCase() === "iam:*");
    });
}

const inlinePolicyTypes: Record<string, string> = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    "aws:iam/policy:Policy": "policy",
};
const attachmentTypes = ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment", "aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment"];

export const iamNoWildcardAdmin: ResourceValidationPolicy = {
    name: "keel-iam-no-wildcard-admin",
    description: "No IAM policy allows every action (or all of IAM) on every resource, and no role, user or group gets an administrator managed policy.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { forbiddenManagedPolicies: { type: "array", items: { type: "string" }, default: adminManagedPolicies } } },
    validateResource: (args, reportViolation) => {
        const documents: unknown[] = [];
        const field = inlinePolicyTypes[args.type];
        if (field !== undefined) documents.push(args.props[field]);
        if (args.type === "aws:iam/role:Role") {
            for (const inline of (Array.isArray(args.props.inlinePolicies) ? args.props.inlinePolicies : []) as Record<string, unknown>[]) documents.push(inline.policy);
        }
        for (const statement of documents.flatMap(wildcardAdminStatements)) {
            reportViolation(`${args.type} "${args.name}" allows ${JSON.stringify(statement.Action)} on every resource: grant the actions and resources it needs.`);
        }
        if (attachmentTypes.includes(args.type)) {
            const { forbiddenManagedPolicies = adminManagedPolicies } = args.getConfig<{ forbiddenManagedPolicies?: string[] }>();
            const arn = args.props.policyArn;
            if (typeof arn === "string" && forbiddenManagedPolicies.includes(arn)) reportViolation(`${args.type} "${args.name}" attaches ${arn}.`);
        }
    },
};

export const identityPolicies = [kmsKeyRotation, iamNoWildcardAdmin];
