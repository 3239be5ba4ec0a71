import type { PolicyResource } from "@pulumi/policy";
import {
    allowsAction,
    arnAccounts,
    clausesOn,
    isAllow,
    isEveryAction,
    isPinningClause,
    isWildcardPrincipal,
    malformedDocuments,
    oidcIssuer,
    parseDocument,
    principalAccount,
    valueAccount,
    type ConditionClause,
    type ParsedDocument,
    type Principal,
    type Statement,
} from "./iam-documents";
import { resourcePolicy, setting, stackPolicy } from "./policy";
import { regionOf } from "./props";
import { whenKnown } from "./preview";

/**
 * Resource policies (KMS keys, buckets, topics, queues, secrets, …) and role trust policies:
 * who, outside the identity policies of the account, may use a resource or assume a role.
 */

export type DocumentKind = "resource" | "trust";

export interface ResourceDocument {
    /** The property that holds the document, for messages. */
    readonly field: string;
    readonly kind: DocumentKind;
    readonly parsed: ParsedDocument;
}

const documentFields: Readonly<Record<string, { readonly field: string; readonly kind: DocumentKind }>> = {
    "aws:iam/role:Role": { field: "assumeRolePolicy", kind: "trust" },
    "aws:kms/key:Key": { field: "policy", kind: "resource" },
    "aws:kms/keyPolicy:KeyPolicy": { field: "policy", kind: "resource" },
    "aws:kms/replicaKey:ReplicaKey": { field: "policy", kind: "resource" },
    "aws:kms/externalKey:ExternalKey": { field: "policy", kind: "resource" },
    "aws:s3/bucketPolicy:BucketPolicy": { field: "policy", kind: "resource" },
    "aws:s3/bucket:Bucket": { field: "policy", kind: "resource" },
    "aws:s3/bucketV2:BucketV2": { field: "policy", kind: "resource" },
    "aws:s3/accessPoint:AccessPoint": { field: "policy", kind: "resource" },
    "aws:s3control/accessPointPolicy:AccessPointPolicy": { field: "policy", kind: "resource" },
    "aws:s3control/bucketPolicy:BucketPolicy": { field: "policy", kind: "resource" },
    "aws:sns/topicPolicy:TopicPolicy": { field: "policy", kind: "resource" },
    "aws:sns/topic:Topic": { field: "policy", kind: "resource" },
    "aws:sqs/queuePolicy:QueuePolicy": { field: "policy", kind: "resource" },
    "aws:sqs/queue:Queue": { field: "policy", kind: "resource" },
    "aws:secretsmanager/secretPolicy:SecretPolicy": { field: "policy", kind: "resource" },
    "aws:secretsmanager/secret:Secret": { field: "policy", kind: "resource" },
    "aws:ecr/repositoryPolicy:RepositoryPolicy": { field: "policy", kind: "resource" },
    "aws:ecr/registryPolicy:RegistryPolicy": { field: "policy", kind: "resource" },
    "aws:backup/vaultPolicy:VaultPolicy": { field: "policy", kind: "resource" },
    "aws:efs/fileSystemPolicy:FileSystemPolicy": { field: "policy", kind: "resource" },
    "aws:glacier/vault:Vault": { field: "accessPolicy", kind: "resource" },
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": { field: "policy", kind: "resource" },
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": { field: "policyDocument", kind: "resource" },
    "aws:opensearch/domain:Domain": { field: "accessPolicies", kind: "resource" },
    "aws:opensearch/domainPolicy:DomainPolicy": { field: "accessPolicies", kind: "resource" },
    "aws:dynamodb/resourcePolicy:ResourcePolicy": { field: "policy", kind: "resource" },
};

/** A principal as a property names it: `*`, an account or IAM ARN, else a service (`s3.amazonaws.com`). */
function principalElement(values: readonly string[]): unknown {
    if (values.includes("*")) return "*";
    const aws = values.filter((v) => /^\d{12}$|^arn:/i.test(v));
    const services = values.filter((v) => !aws.includes(v));
    return { ...(aws.length > 0 ? { AWS: aws } : {}), ...(services.length > 0 ? { Service: services } : {}) };
}

const text = (value: unknown) => (typeof value === "string" && value !== "" ? [value] : []);

/** Grants spelt as properties rather than documents, read as the one statement each amounts to. */
const propertyGrants: Readonly<Record<string, (props: Record<string, unknown>) => { field: string; statement: Record<string, unknown> } | undefined>> = {
    "aws:lambda/permission:Permission": (props) => {
        const condition: Record<string, Record<string, string>> = {};
        for (const [operator, key, value] of [["StringEquals", "aws:SourceAccount", props.sourceAccount], ["ArnLike", "aws:SourceArn", props.sourceArn], ["StringEquals", "aws:PrincipalOrgID", props.principalOrgId]] as const) {
            if (typeof value === "string") condition[operator] = { ...condition[operator], [key]: value };
        }
        const principal = text(props.principal);
        return principal.length === 0 ? undefined : { field: "principal", statement: { Effect: "Allow", Principal: principalElement(principal), Action: props.action, Condition: condition } };
    },
    "aws:kms/grant:Grant": (props) => {
        const principals = [...text(props.granteePrincipal), ...text(props.retiringPrincipal)];
        const operations = [props.operations ?? []].flat().filter((o): o is string => typeof o === "string").map((o) => `kms:${o}`);
        return principals.length === 0 ? undefined : { field: "granteePrincipal", statement: { Effect: "Allow", Principal: principalElement(principals), Action: operations } };
    },
    "aws:ec2/amiLaunchPermission:AmiLaunchPermission": (props) => {
        const principal = props.group === "all" ? ["*"] : text(props.accountId);
        return principal.length === 0 ? undefined : { field: props.group === "all" ? "group" : "accountId", statement: { Effect: "Allow", Principal: principalElement(principal), Action: "ec2:RunInstances" } };
    },
    "aws:ebs/snapshotCreateVolumePermission:SnapshotCreateVolumePermission": (props) => {
        const principal = text(props.accountId);
        return principal.length === 0 ? undefined : { field: "accountId", statement: { Effect: "Allow", Principal: principalElement(principal), Action: "ec2:CreateVolume" } };
    },
    "aws:eks/accessEntry:AccessEntry": (props) => {
        const principal = text(props.principalArn);
        return principal.length === 0 ? undefined : { field: "principalArn", statement: { Effect: "Allow", Principal: principalElement(principal), Action: "eks:AccessKubernetesApi" } };
    },
};

/** The resource or trust policy documents a resource carries, parsed; none for other types. */
export function resourceDocuments(type: string, props: Record<string, unknown>): ResourceDocument[] {
    const grant = propertyGrants[type];
    if (grant !== undefined) {
        const found = whenKnown(() => grant(props), undefined);
        return found === undefined ? [] : [{ field: found.field, kind: "resource", parsed: parseDocument({ Statement: [found.statement] }) }];
    }
    const found = documentFields[type];
    if (found === undefined) return [];
    return [{ field: found.field, kind: found.kind, parsed: parseDocument(whenKnown(() => props[found.field], undefined)) }];
}

/** The Allow statements of a resource's parsed documents, each with the document it came from. */
function allowStatements(documents: readonly ResourceDocument[]): { document: ResourceDocument; statement: Statement }[] {
    return documents.flatMap((document) => (document.parsed.kind === "document" ? document.parsed.statements.filter(isAllow).map((statement) => ({ document, statement })) : []));
}

const where = (type: string, name: string, document: ResourceDocument, statement: Statement) => `${type} "${name}" ${document.field}: statement "${statement.label}"`;
const shown = (values: readonly string[] | undefined) => JSON.stringify(values !== undefined && values.length === 1 ? values[0] : values);

// ---- keel-resource-policy-no-public ----

/** Condition keys that, pinned to named values, limit a `*` principal to named accounts or an organization. */
export const defaultPinningKeys = ["aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalArn", "aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner", "aws:SourceOrgID", "kms:CallerAccount"];

const pinnedBy = (statement: Statement, keys: readonly string[]) => keys.some((key) => clausesOn(statement, key).some(isPinningClause));

function publicGrantProblems(statement: Statement, pinningKeys: readonly string[]): string[] {
    const problems: string[] = [];
    if (statement.notPrincipals !== undefined) {
        problems.push(`allows everyone but ${shown(statement.notPrincipals.map((p) => p.value))} (Allow with NotPrincipal): name the principals it grants instead (IAM User Guide, "NotPrincipal")`);
    }
    const everyone = statement.principals.filter(isWildcardPrincipal);
    if (everyone.length > 0 && !pinnedBy(statement, pinningKeys)) {
        problems.push(`allows ${everyone.map((p) => (p.kind === "Everyone" ? '"*"' : `${p.kind} ${JSON.stringify(p.value)}`)).join(", ")} ${shown(statement.actions)}: an Allow to a wildcard principal lets any AWS account in (IAM User Guide, "Principal": "*" is anyone); name the principals, or pin it with aws:PrincipalAccount or aws:PrincipalOrgID`);
    }
    if (statement.notActions !== undefined) problems.push(`allows every action but ${shown(statement.notActions)} (Allow with NotAction also grants actions AWS adds later): list the actions`);
    if (statement.notResources !== undefined) problems.push(`allows its actions on every resource but ${shown(statement.notResources)} (Allow with NotResource): list the resources`);
    return problems;
}

export const resourcePolicyNoPublic = resourcePolicy({
    name: "keel-resource-policy-no-public",
    description: "Resource and trust policies (KMS keys, buckets, topics, queues, secrets, roles, Lambda permissions, AMI and snapshot sharing) never Allow a wildcard principal unless a condition pins it to named accounts, and never Allow with NotPrincipal, NotAction or NotResource.",
    config: { pinningConditionKeys: setting.strings(defaultPinningKeys) },
    check: function* (resource, { pinningConditionKeys }) {
        const documents = resourceDocuments(resource.type, resource.props);
        yield* malformedDocuments(resource, documents);
        for (const { document, statement } of allowStatements(documents)) {
            for (const problem of publicGrantProblems(statement, pinningConditionKeys)) yield `${where(resource.type, resource.name, document, statement)} ${problem}.`;
        }
    },
});

// ---- keel-resource-policy-accounts ----

/**
 * Elastic Load Balancing's log-delivery accounts by region (ELB User Guide, "Enable access logs
 * for your Application Load Balancer"): an ALB log bucket's policy must let this AWS-owned
 * account put objects, and nothing more.
 */
export const elbLogDeliveryAccounts: Readonly<Record<string, string>> = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
};
const elbAccounts = new Set(Object.values(elbLogDeliveryAccounts));
const bucketPolicyTypes = ["aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];

/** Every string in a value, without recursion (a hostile plan may nest deeply). */
function stringsWithin(value: unknown): string[] {
    const found: string[] = [];
    const pending: unknown[] = [value];
    while (pending.length > 0) {
        const next = pending.pop();
        if (typeof next === "string") found.push(next);
        else if (typeof next === "object" && next !== null) pending.push(...Object.values(next));
    }
    return found;
}

/** The accounts named in the ARNs a resource's properties carry (values not known yet skipped). */
function accountsNamedBy(resource: PolicyResource): Set<string> {
    const accounts = new Set<string>();
    for (const key of Object.keys(resource.props)) {
        for (const text of whenKnown(() => stringsWithin(resource.props[key]), [])) for (const account of arnAccounts(text)) accounts.add(account);
    }
    return accounts;
}

/**
 * The stack's own account(s): those its resources' ARNs name most often (key, log group, topic,
 * secret and OIDC-provider ARNs, the key policies' root principal from getCallerIdentity). One
 * change that adds a foreign account names it in a resource or two, never in most of them.
 */
export function ownAccounts(resources: readonly PolicyResource[]): Set<string> {
    const counts = new Map<string, number>();
    for (const resource of resources) {
        for (const account of accountsNamedBy(resource)) if (!elbAccounts.has(account)) counts.set(account, (counts.get(account) ?? 0) + 1);
    }
    const most = Math.max(0, ...counts.values());
    return new Set([...counts].filter(([, count]) => count === most && most > 0).map(([account]) => account));
}

const accountKeys = ["aws:PrincipalAccount", "aws:SourceAccount", "aws:SourceOwner", "kms:CallerAccount", "aws:PrincipalArn", "aws:SourceArn"];
const organizationKeys = ["aws:PrincipalOrgID", "aws:SourceOrgID"];
const positive = (clause: ConditionClause) => !/not|ifexists|^forallvalues:/i.test(clause.operator);

interface Grantee {
    readonly account: string | undefined;
    /** How the statement names it, for messages. */
    readonly as: string;
}

/** The accounts a statement grants: its AWS and Federated principals' and its account conditions'. */
function granteesOf(statement: Statement): Grantee[] {
    const principals = statement.principals
        .filter((p) => !isWildcardPrincipal(p) && (p.kind === "AWS" || p.kind === "CanonicalUser" || p.kind === "Other" || (p.kind === "Federated" && p.value.startsWith("arn:"))))
        .map((p: Principal) => ({ account: principalAccount(p), as: `${p.kind} ${JSON.stringify(p.value)}` }));
    const conditioned = accountKeys.flatMap((key) =>
        clausesOn(statement, key).filter(positive).flatMap((clause) => clause.values.flatMap((value) => {
            const account = valueAccount(value);
            return account === undefined ? [] : [{ account, as: `${clause.key} ${JSON.stringify(value)}` }];
        })),
    );
    return [...principals, ...conditioned];
}

/** An ALB log bucket's grant to its region's ELB log-delivery account: s3:PutObject and nothing else. */
function isElbLogDelivery(resource: PolicyResource, statement: Statement, account: string): boolean {
    if (!bucketPolicyTypes.includes(resource.type) || !elbAccounts.has(account)) return false;
    const region = whenKnown(() => regionOf(resource), undefined);
    if (region !== undefined && elbLogDeliveryAccounts[region] !== account) return false;
    return statement.actions.length > 0 && statement.actions.every((action) => action.toLowerCase() === "s3:putobject");
}

export const resourcePolicyAccounts = stackPolicy({
    name: "keel-resource-policy-accounts",
    description: "Resource and trust policies, KMS grants, AMI/snapshot sharing and EKS access entries grant only the stack's own account (the one its resources' ARNs name), accounts and organizations listed in allowedAccounts / allowedOrganizations, and an ALB log bucket's regional ELB log-delivery account (s3:PutObject only).",
    config: { allowedAccounts: setting.strings([]), allowedOrganizations: setting.strings([]) },
    check: function* ({ resources }, { allowedAccounts, allowedOrganizations }) {
        const own = ownAccounts(resources);
        const allowed = new Set([...own, ...allowedAccounts]);
        // Without any account known, the stack's own cannot be told from a stranger: judge at the update.
        if (allowed.size === 0) return;
        const ownText = own.size === 0 ? "none known" : [...own].join(", ");
        for (const resource of resources) {
            for (const { document, statement } of allowStatements(resourceDocuments(resource.type, resource.props))) {
                const at = where(resource.type, resource.name, document, statement);
                for (const grantee of granteesOf(statement)) {
                    if (grantee.account === undefined) {
                        yield [`${at} grants ${grantee.as}, which names no account the allow-list can check: name an IAM principal ARN or account ID.`, resource.urn];
                    } else if (!allowed.has(grantee.account) && !isElbLogDelivery(resource, statement, grantee.account)) {
                        const elb = elbAccounts.has(grantee.account) ? " (an ELB log-delivery account may only s3:PutObject into a bucket of its own region)" : "";
                        yield [`${at} grants account ${grantee.account} (${grantee.as}), which is neither the stack's own account (${ownText}) nor in allowedAccounts${elb}: a cross-account grant must be listed in the environment's policy pack config.`, resource.urn];
                    }
                }
                for (const clause of organizationKeys.flatMap((key) => clausesOn(statement, key)).filter(positive)) {
                    for (const organization of clause.values.filter((o) => !allowedOrganizations.includes(o))) {
                        yield [`${at} grants organization ${JSON.stringify(organization)} (${clause.key}), which is not in allowedOrganizations: every account of it would be let in.`, resource.urn];
                    }
                }
            }
        }
    },
});

// ---- keel-resource-policy-service-grants ----

/**
 * Services that act for whichever account names the resource (log delivery, trails, recorders):
 * AWS recommends aws:SourceAccount / aws:SourceArn on their grants against the confused deputy
 * (IAM User Guide, "The confused deputy problem"; S3 server access logging, VPC Flow Logs and
 * RDS Enhanced Monitoring guides).
 */
export const defaultResourcePolicyServices = ["logging.s3.amazonaws.com", "delivery.logs.amazonaws.com", "cloudtrail.amazonaws.com", "config.amazonaws.com", "s3.amazonaws.com", "ses.amazonaws.com"];
export const defaultTrustPolicyServices = ["vpc-flow-logs.amazonaws.com", "monitoring.rds.amazonaws.com", "config.amazonaws.com", "cloudtrail.amazonaws.com", "delivery.logs.amazonaws.com"];
const sourceKeys = ["aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner", "aws:SourceOrgID"];

function serviceGrantProblems(statement: Statement, needsSource: readonly string[]): string[] {
    const services = statement.principals.filter((p) => p.kind === "Service" && !isWildcardPrincipal(p)).map((p) => p.value);
    if (services.length === 0) return [];
    const problems: string[] = [];
    const unscoped = services.filter((s) => needsSource.some((n) => n.toLowerCase() === s.toLowerCase()));
    if (unscoped.length > 0 && !pinnedBy(statement, sourceKeys)) {
        problems.push(`grants ${unscoped.join(", ")} without an aws:SourceAccount or aws:SourceArn condition naming your account or resource: the service would act for any account that names this resource (confused deputy, IAM User Guide)`);
    }
    const every = statement.actions.filter(isEveryAction);
    if (every.length > 0) problems.push(`grants ${services.join(", ")} ${shown(every)}: a service gets the actions it needs, never every action`);
    return problems;
}

export const resourcePolicyServiceGrants = resourcePolicy({
    name: "keel-resource-policy-service-grants",
    description: "Grants to AWS service principals carry the aws:SourceAccount / aws:SourceArn condition AWS recommends against the confused deputy (log delivery, trails, flow logs, RDS monitoring), and never every action.",
    config: { resourcePolicyServices: setting.strings(defaultResourcePolicyServices), trustPolicyServices: setting.strings(defaultTrustPolicyServices) },
    check: function* (resource, config) {
        const needsSource = { resource: config.resourcePolicyServices, trust: config.trustPolicyServices };
        for (const { document, statement } of allowStatements(resourceDocuments(resource.type, resource.props))) {
            for (const problem of serviceGrantProblems(statement, needsSource[document.kind])) yield `${where(resource.type, resource.name, document, statement)} ${problem}.`;
        }
    },
});

// ---- keel-irsa-trust-scoped ----

const eksIssuer = /^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/id\/[a-z0-9]+$/i;
const matchingOperators = ["stringequals", "stringequalsignorecase", "stringlike"];
/** A clause that must hold for the request: not negated, not IfExists, not ForAllValues (true without the key). */
const mustMatch = (clause: ConditionClause) => matchingOperators.includes(clause.operator.toLowerCase().replace(/^foranyvalue:/, ""));

/** A subject that names one workload: `system:serviceaccount:<namespace>:<name>` on EKS; elsewhere no wildcard-only segment up front. */
function isSpecificSubject(subject: string, eks: boolean): boolean {
    if (eks) return /^system:serviceaccount:[^:*?]+:[^:*?]+$/.test(subject);
    return !subject.split(":").slice(0, 2).some((segment) => /^[*?]*$/.test(segment));
}

function oidcTrustProblems(statement: Statement, issuer: string, audience: string): string[] {
    const eks = eksIssuer.test(issuer);
    const problems: string[] = [];
    const subjects = clausesOn(statement, `${issuer}:sub`).filter(mustMatch).flatMap((c) => c.values);
    if (subjects.length === 0) {
        problems.push(`lets every identity of ${issuer} assume the role: no StringEquals/StringLike condition on "${issuer}:sub" (EKS User Guide, IAM roles for service accounts)`);
    } else {
        const broad = subjects.filter((s) => !isSpecificSubject(s, eks));
        if (broad.length > 0) problems.push(`lets ${shown(broad)} assume the role: a wildcard namespace or service account hands it to other workloads; name system:serviceaccount:<namespace>:<service-account>`);
    }
    const audiences = clausesOn(statement, `${issuer}:aud`).filter(mustMatch).flatMap((c) => c.values);
    const audienceOk = audiences.length > 0 && audiences.every((a) => (eks ? a === audience : !/[*?]/.test(a)));
    if (!audienceOk) problems.push(`has no "${issuer}:aud" condition equal to ${JSON.stringify(audience)}: tokens minted for other audiences would be accepted`);
    return problems;
}

function webIdentityProblems(statement: Statement, audience: string): string[] {
    if (!allowsAction(statement.actions, "sts:AssumeRoleWithWebIdentity")) return [];
    return statement.principals
        .filter((p) => p.kind === "Federated" && !isWildcardPrincipal(p))
        .flatMap((p) => {
            const issuer = oidcIssuer(p.value);
            if (issuer !== undefined) return oidcTrustProblems(statement, issuer, audience);
            if (p.value.toLowerCase() === "cognito-identity.amazonaws.com") {
                return clausesOn(statement, "cognito-identity.amazonaws.com:aud").some(isPinningClause) ? [] : ['trusts Cognito identities without a "cognito-identity.amazonaws.com:aud" condition naming the identity pool: any pool\'s users could assume it'];
            }
            return p.value.startsWith("arn:") ? [] : [`trusts tokens of the public identity provider ${JSON.stringify(p.value)}: any of its users could assume the role; federate through your own OIDC provider`];
        });
}

export const irsaTrustScoped = resourcePolicy({
    name: "keel-irsa-trust-scoped",
    description: "A role trusted through an OIDC provider (IRSA) names the one service account that may assume it (a \":sub\" condition, no wildcard namespace or name) and the audience (\":aud\" = sts.amazonaws.com).",
    types: ["aws:iam/role:Role"],
    config: { audience: setting.text("sts.amazonaws.com") },
    check: function* (role, { audience }) {
        for (const { document, statement } of allowStatements(resourceDocuments(role.type, role.props))) {
            for (const problem of webIdentityProblems(statement, audience)) yield `${where(role.type, role.name, document, statement)} ${problem}.`;
        }
    },
});

export const resourcePolicyPolicies = [resourcePolicyNoPublic, resourcePolicyAccounts, resourcePolicyServiceGrants, irsaTrustScoped];
