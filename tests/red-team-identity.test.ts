import assert from "node:assert/strict";
import { describe } from "node:test";
import type { Policies } from "@pulumi/policy";
import { keelPolicies } from "../policies/rules";
import { resourcePolicyPolicies } from "../policies/rules/resource-policies";
import type { PlanResource } from "../offline-plan/record";
import { added, cleanPlanPasses, inputs, named, plannedStack, refusesAttacks, type Attack } from "./red-team";

/**
 * Resource policies and IAM: realistic bad changes to the production (and staging) plan — a key,
 * bucket, topic or secret opened to everyone or to a stranger's account, a trust widened, an IRSA
 * condition loosened, a confused-deputy guard dropped, a permission policy widened — each made by
 * editing a copy of the real record as a careless or hostile pull request would, must be refused.
 */

type Statement = Record<string, unknown>;
type Document = { Version?: string; Statement: Statement[] };

/** The whole pack, with the resource-policy rules whether or not the registry lists them yet. */
const pack: Policies = [...keelPolicies, ...resourcePolicyPolicies.filter((p) => !keelPolicies.some((k) => k.name === p.name))];

const own = "123456789012";
const stranger = "999999999999";
const issuer = "oidc.eks.us-east-1.amazonaws.com/id/D928EB64002A9660ADFEF346A518E724";

/** Rewrites a JSON policy document property in place, as the SDK records it (a string). */
const editDocument = (r: PlanResource, field: string, edit: (document: Document) => void) => {
    const document = JSON.parse(String(inputs(r)[field])) as Document;
    edit(document);
    inputs(r)[field] = JSON.stringify(document);
};
const statementOf = (document: Document, sid: string) => {
    const found = document.Statement.find((s) => s.Sid === sid);
    assert.ok(found, `no statement ${sid}`);
    return found;
};
const keyPolicy = (rs: PlanResource[], name: string, edit: (d: Document) => void) => editDocument(named(rs, "Key", name), "policy", edit);
const bucketPolicy = (rs: PlanResource[], name: string, edit: (d: Document) => void) => editDocument(named(rs, "BucketPolicy", name), "policy", edit);
const topicPolicy = (rs: PlanResource[], name: string, edit: (d: Document) => void) => editDocument(named(rs, "TopicPolicy", name), "policy", edit);
const trustPolicy = (rs: PlanResource[], name: string, edit: (d: Document) => void) => editDocument(named(rs, "Role", name), "assumeRolePolicy", edit);
const rolePolicy = (rs: PlanResource[], name: string, edit: (d: Document) => void) => editDocument(named(rs, "RolePolicy", name), "policy", edit);
const addStatement = (statement: Statement) => (d: Document) => void d.Statement.push(statement);
/** The IRSA condition of a trust as components write it: StringEquals on `<issuer>:aud` and `<issuer>:sub`. */
const irsaCondition = (d: Document) => (d.Statement[0].Condition as Record<string, Record<string, unknown>>);

const secretArn = (rs: PlanResource[]) => String(inputs(named(rs, "SecretVersion", "database-credentials")).secretId);
const secretPolicy = (rs: PlanResource[], statement: Statement) => {
    const secret = named(rs, "Secret", "database-credentials");
    rs.push(added(secret, "aws:secretsmanager/secretPolicy:SecretPolicy", "database-credentials-policy", {
        secretArn: secretArn(rs),
        policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Resource: "*", ...statement }] }),
    }));
};

const production: Attack[] = [
    // ---- KMS key policies ----
    ["the key policy's administrator opened to everyone", "keel-resource-policy-no-public", (rs) => keyPolicy(rs, "access-logs-key", (d) => { statementOf(d, "EnableIamPolicies").Principal = "*"; })],
    ["a decrypt grant to {AWS: \"*\"} added to the alarms key", "keel-resource-policy-no-public", (rs) => keyPolicy(rs, "database-primary-alarms-key", addStatement({ Sid: "Debug", Effect: "Allow", Principal: { AWS: "*" }, Action: ["kms:Decrypt"], Resource: "*" }))],
    ["the key administrator as any account's root", "keel-resource-policy-no-public", (rs) => keyPolicy(rs, "backup-notifications-key", (d) => { statementOf(d, "EnableIamPolicies").Principal = { AWS: "arn:aws:iam::*:root" }; })],
    ["a key grant to everyone but one role (NotPrincipal)", "keel-resource-policy-no-public", (rs) => keyPolicy(rs, "access-logs-dr-key", addStatement({ Sid: "AllButOne", Effect: "Allow", NotPrincipal: { AWS: `arn:aws:iam::${own}:role/x` }, Action: "kms:Decrypt", Resource: "*" }))],
    ["a key grant to everyone 'restricted' to TLS", "keel-resource-policy-no-public", (rs) => keyPolicy(rs, "dr-watch-alarms", addStatement({ Effect: "Allow", Principal: ["*"], Action: "kms:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "true" } } }))],
    ["the key administrator moved to a stranger's account", "keel-resource-policy-accounts", (rs) => keyPolicy(rs, "access-logs-key", (d) => { statementOf(d, "EnableIamPolicies").Principal = { AWS: `arn:aws:iam::${stranger}:root` }; })],
    ["a decrypt grant to a stranger's role", "keel-resource-policy-accounts", (rs) => keyPolicy(rs, "database-dr-alarms-key", addStatement({ Sid: "Partner", Effect: "Allow", Principal: { AWS: [`arn:aws:iam::${own}:root`, `arn:aws:iam::${stranger}:role/reader`] }, Action: "kms:Decrypt", Resource: "*" }))],
    ["a key opened to * but pinned to a stranger's account", "keel-resource-policy-accounts", (rs) => keyPolicy(rs, "access-logs-key", addStatement({ Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:CallerAccount": stranger } } }))],
    ["the log-delivery key grant without its aws:SourceAccount guard", "keel-resource-policy-service-grants", (rs) => keyPolicy(rs, "access-logs-key", (d) => { delete statementOf(d, "AllowServerAccessLogDelivery").Condition; })],
    ["the log-delivery key grant widened to kms:*", "keel-resource-policy-service-grants", (rs) => keyPolicy(rs, "access-logs-dr-key", (d) => { statementOf(d, "AllowServerAccessLogDelivery").Action = "kms:*"; })],
    ["a key policy that is not JSON", "keel-resource-policy-no-public", (rs) => { inputs(named(rs, "Key", "access-logs-key")).policy = "{ Statement: [] }"; }],

    // ---- bucket policies ----
    ["public read added to the uploads bucket", "keel-resource-policy-no-public", (rs) => bucketPolicy(rs, "uploads", addStatement({ Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::uploads-12be2bf/*" }))],
    ["s3:* to {AWS: [\"*\"]} on the database dumps", "keel-resource-policy-no-public", (rs) => bucketPolicy(rs, "database-dumps", addStatement({ Effect: "Allow", Principal: { AWS: ["*"] }, Action: "s3:*", Resource: ["arn:aws:s3:::database-dumps-8af296d", "arn:aws:s3:::database-dumps-8af296d/*"] }))],
    ["the dumps bucket opened to * unless the caller says otherwise (IfExists)", "keel-resource-policy-no-public", (rs) => bucketPolicy(rs, "database-dumps", addStatement({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::database-dumps-8af296d/*", Condition: { StringEqualsIfExists: { "aws:PrincipalAccount": own } } }))],
    ["the TLS deny flipped to an Allow", "keel-resource-policy-no-public", (rs) => bucketPolicy(rs, "configuration", (d) => { statementOf(d, "DenyInsecureTransport").Effect = "Allow"; })],
    ["public read spelt in lower case", "keel-resource-policy-no-public", (rs) => bucketPolicy(rs, "logs", addStatement({ effect: "allow", principal: { aws: "*" }, action: "s3:GetObject", resource: "arn:aws:s3:::logs-9508acc/*" }))],
    ["a replica bucket readable by a stranger's account", "keel-resource-policy-accounts", (rs) => bucketPolicy(rs, "uploads-replica", addStatement({ Effect: "Allow", Principal: { AWS: stranger }, Action: ["s3:GetObject", "s3:ListBucket"], Resource: ["arn:aws:s3:::uploads-replica-d0dfda8", "arn:aws:s3:::uploads-replica-d0dfda8/*"] }))],
    ["the ALB log grant moved to a stranger's account", "keel-resource-policy-accounts", (rs) => bucketPolicy(rs, "alb-logs", (d) => { statementOf(d, "AllowElbAccessLogDelivery").Principal = { AWS: `arn:aws:iam::${stranger}:root` }; })],
    ["the ELB log-delivery account given s3:* on the ALB logs", "keel-resource-policy-accounts", (rs) => bucketPolicy(rs, "alb-logs", (d) => { statementOf(d, "AllowElbAccessLogDelivery").Action = "s3:*"; })],
    ["the DR ALB logs granted to another region's ELB account", "keel-resource-policy-accounts", (rs) => bucketPolicy(rs, "alb-logs-dr", (d) => { statementOf(d, "AllowElbAccessLogDelivery").Principal = { AWS: "arn:aws:iam::156460612806:root" }; })],
    ["server access log delivery without its aws:SourceAccount guard", "keel-resource-policy-service-grants", (rs) => bucketPolicy(rs, "access-logs", (d) => { delete statementOf(d, "AllowServerAccessLogDelivery").Condition; })],
    ["server access log delivery guarded by a wildcard source account", "keel-resource-policy-service-grants", (rs) => bucketPolicy(rs, "access-logs-dr", (d) => { statementOf(d, "AllowServerAccessLogDelivery").Condition = { StringLike: { "aws:SourceAccount": "*" } }; })],
    ["server access logs accepted from a stranger's account", "keel-resource-policy-accounts", (rs) => bucketPolicy(rs, "access-logs", (d) => { statementOf(d, "AllowServerAccessLogDelivery").Condition = { StringEquals: { "aws:SourceAccount": stranger } }; })],
    ["everything but deletion allowed to the account on the logs bucket (NotAction)", "keel-resource-policy-no-public", (rs) => bucketPolicy(rs, "logs", addStatement({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${own}:root` }, NotAction: "s3:DeleteObject", Resource: "arn:aws:s3:::logs-9508acc/*" }))],

    // ---- SNS topics and Secrets Manager ----
    ["anyone may publish to the backup notifications", "keel-resource-policy-no-public", (rs) => topicPolicy(rs, "backup-notifications", (d) => { statementOf(d, "BackupPublishesVaultEvents").Principal = "*"; })],
    ["a stranger may subscribe to the backup notifications", "keel-resource-policy-accounts", (rs) => topicPolicy(rs, "backup-dr-notifications", addStatement({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${stranger}:root` }, Action: ["SNS:Subscribe", "SNS:Receive"], Resource: "*" }))],
    ["an alarm topic with an open inline policy", "keel-resource-policy-no-public", (rs) => {
        const topic = rs.find((r) => r.type === "aws:sns/topic:Topic");
        assert.ok(topic);
        inputs(topic).policy = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sns:Subscribe", Resource: "*" }] });
    }],
    ["the database secret readable by everyone", "keel-resource-policy-no-public", (rs) => secretPolicy(rs, { Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue" })],
    ["the database secret readable by a stranger's account", "keel-resource-policy-accounts", (rs) => secretPolicy(rs, { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${stranger}:root` }, Action: "secretsmanager:GetSecretValue" })],

    // ---- role trust policies ----
    ["the instance role assumable by anyone", "keel-resource-policy-no-public", (rs) => trustPolicy(rs, "app-instances", addStatement({ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }))],
    ["the backup role assumable by any account's root", "keel-resource-policy-no-public", (rs) => trustPolicy(rs, "backup-role", (d) => { d.Statement[0].Principal = { AWS: "arn:aws:iam::*:root" }; })],
    ["the application role assumable by a vendor's account", "keel-resource-policy-accounts", (rs) => trustPolicy(rs, "app-dr-instances", addStatement({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${stranger}:root` }, Action: "sts:AssumeRole" }))],
    ["the flow-log role without its aws:SourceAccount guard", "keel-resource-policy-service-grants", (rs) => trustPolicy(rs, "primary-flow-logs", (d) => { delete d.Statement[0].Condition; })],
    ["the RDS monitoring role guarded only IfExists", "keel-resource-policy-service-grants", (rs) => trustPolicy(rs, "database-monitoring", (d) => { d.Statement[0].Condition = { StringEqualsIfExists: { "aws:SourceAccount": own } }; })],
    ["the flow-log role trusting a stranger's flow logs", "keel-resource-policy-accounts", (rs) => trustPolicy(rs, "dr-flow-logs", (d) => { d.Statement[0].Condition = { StringEquals: { "aws:SourceAccount": stranger } }; })],

    // ---- IRSA ----
    ["the dump job's role without a sub condition", "keel-irsa-trust-scoped", (rs) => trustPolicy(rs, "database-dumps-role", (d) => { delete irsaCondition(d).StringEquals[`${issuer}:sub`]; })],
    ["the dump job's role for every service account", "keel-irsa-trust-scoped", (rs) => trustPolicy(rs, "database-dumps-role", (d) => {
        delete irsaCondition(d).StringEquals[`${issuer}:sub`];
        irsaCondition(d).StringLike = { [`${issuer}:sub`]: "system:serviceaccount:*:*" };
    })],
    ["Loki's role for the whole monitoring namespace", "keel-irsa-trust-scoped", (rs) => trustPolicy(rs, "monitoring-loki", (d) => {
        delete irsaCondition(d).StringEquals[`${issuer}:sub`];
        irsaCondition(d).StringLike = { [`${issuer}:sub`]: "system:serviceaccount:monitoring:*" };
    })],
    ["Prometheus's role without the audience", "keel-irsa-trust-scoped", (rs) => trustPolicy(rs, "monitoring-prometheus", (d) => { delete irsaCondition(d).StringEquals[`${issuer}:aud`]; })],
    ["the EBS CSI role without any condition", "keel-irsa-trust-scoped", (rs) => trustPolicy(rs, "monitoring-ebs-csi", (d) => { delete d.Statement[0].Condition; })],
    ["the dump job's role with a negated sub condition", "keel-irsa-trust-scoped", (rs) => trustPolicy(rs, "database-dumps-role", (d) => {
        const sub = irsaCondition(d).StringEquals[`${issuer}:sub`];
        delete irsaCondition(d).StringEquals[`${issuer}:sub`];
        irsaCondition(d).StringNotEquals = { [`${issuer}:sub`]: sub };
    })],
    ["the dump job's role trusting a stranger's OIDC provider", "keel-resource-policy-accounts", (rs) => trustPolicy(rs, "database-dumps-role", (d) => { d.Statement[0].Principal = { Federated: `arn:aws:iam::${stranger}:oidc-provider/${issuer}` }; })],

    // ---- permission policies ----
    ["s3:* on * for the application", "keel-iam-no-wildcard-admin", (rs) => rolePolicy(rs, "app-application", addStatement({ Effect: "Allow", Action: "s3:*", Resource: "*" }))],
    ["kms:* on every key of the account for the application", "keel-iam-no-wildcard-admin", (rs) => rolePolicy(rs, "app-application", (d) => { statementOf(d, "DecryptDatabaseSecret").Action = "kms:*"; })],
    ["secretsmanager:* on every secret for the dump job", "keel-iam-no-wildcard-admin", (rs) => rolePolicy(rs, "database-dumps-role", addStatement({ Effect: "Allow", Action: ["secretsmanager:*"], Resource: "arn:aws:secretsmanager:*:*:secret:*" }))],
    ["iam:* on the application's own role", "keel-iam-no-wildcard-admin", (rs) => rolePolicy(rs, "app-application", addStatement({ Effect: "Allow", Action: "iam:*", Resource: `arn:aws:iam::${own}:role/app-instances` }))],
    ["admin spelt in lower case", "keel-iam-no-wildcard-admin", (rs) => rolePolicy(rs, "monitoring-prometheus-ec2-discovery", addStatement({ effect: "allow", action: "*", resource: "*" }))],
    ["AmazonS3FullAccess attached to the application", "keel-iam-no-wildcard-admin", (rs) => { inputs(named(rs, "RolePolicyAttachment", "app-AmazonSSMManagedInstanceCore")).policyArn = "arn:aws:iam::aws:policy/AmazonS3FullAccess"; }],
    ["AdministratorAccess in a role's managed policy list", "keel-iam-no-wildcard-admin", (rs) => { inputs(named(rs, "Role", "app-instances")).managedPolicyArns = ["arn:aws:iam::aws:policy/AdministratorAccess"]; }],
    ["everything but IAM for the application (NotAction)", "keel-iam-no-privilege-escalation", (rs) => rolePolicy(rs, "app-application", addStatement({ Effect: "Allow", NotAction: ["iam:*", "organizations:*"], Resource: "*" }))],
    ["secrets everywhere but one (NotResource)", "keel-iam-no-privilege-escalation", (rs) => rolePolicy(rs, "app-application", addStatement({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", NotResource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:other" }))],
    ["iam:PassRole on * for Prometheus", "keel-iam-no-privilege-escalation", (rs) => rolePolicy(rs, "monitoring-prometheus-ec2-discovery", addStatement({ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }))],
    ["sts:AssumeRole on every role for the dump job", "keel-iam-no-privilege-escalation", (rs) => rolePolicy(rs, "database-dumps-role", addStatement({ Effect: "Allow", Action: "sts:AssumeRole", Resource: "arn:aws:iam::*:role/*" }))],
    ["an access key for a CI user", "keel-iam-no-long-term-credentials", (rs) => {
        rs.push(added(named(rs, "Role", "app-instances"), "aws:iam/accessKey:AccessKey", "ci-deployer-key", { user: "ci-deployer" }));
    }],
    ["a KMS grant on the dumps key to a stranger's role", "keel-resource-policy-accounts", (rs) => {
        const key = rs.find((r) => r.type === "aws:kms/key:Key" && r.name.startsWith("database-dumps"));
        assert.ok(key, "the dumps bucket has a key");
        rs.push(added(key, "aws:kms/grant:Grant", "dumps-reader", { keyId: "arn:aws:kms:us-east-1:123456789012:key/5940e4cc-210e-4b1d-a421-e76c5a7a3006", granteePrincipal: `arn:aws:iam::${stranger}:role/reader`, operations: ["Decrypt"] }));
    }],
    ["cluster access for a stranger's role", "keel-resource-policy-accounts", (rs) => {
        const cluster = rs.find((r) => r.type === "aws:eks/cluster:Cluster");
        assert.ok(cluster, "production has an EKS cluster");
        rs.push(added(cluster, "aws:eks/accessEntry:AccessEntry", "vendor-admin", { clusterName: "monitoring", principalArn: `arn:aws:iam::${stranger}:role/support` }));
    }],
    ["iam:Put*Policy on * for the flow logs", "keel-iam-no-privilege-escalation", (rs) => rolePolicy(rs, "primary-flow-logs", addStatement({ Effect: "Allow", Action: ["iam:Put*Policy", "iam:Attach*"], Resource: "*" }))],
];

const staging: Attack[] = [
    ["a staging key opened to everyone", "keel-resource-policy-no-public", (rs) => {
        const key = rs.find((r) => r.type === "aws:kms/key:Key" && typeof inputs(r).policy === "string");
        assert.ok(key, "staging has a key with a policy");
        editDocument(key, "policy", (d) => { statementOf(d, "EnableIamPolicies").Principal = { AWS: "*" }; });
    }],
    ["a staging IRSA trust for every service account", "keel-irsa-trust-scoped", (rs) => trustPolicy(rs, "database-dumps-role", (d) => { irsaCondition(d).StringEquals[`${issuer}:sub`] = "system:serviceaccount:*:*"; })],
    ["a staging role trusting a stranger's account", "keel-resource-policy-accounts", (rs) => trustPolicy(rs, "app-instances", addStatement({ Effect: "Allow", Principal: { AWS: stranger }, Action: "sts:AssumeRole" }))],
    ["iam:PassRole on * in staging", "keel-iam-no-privilege-escalation", (rs) => rolePolicy(rs, "app-application", addStatement({ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }))],
];

describe("the clean plans pass the resource-policy and IAM rules", () => {
    for (const [stack, overrides] of [["production", []], ["production", ["keel:dr.active=true"]], ["staging", []], ["dev", []], ["local", []]] as const) {
        cleanPlanPasses(`${stack}${overrides.length > 0 ? ` (${overrides.join(", ")})` : ""}`, plannedStack(stack, overrides), pack, stack);
    }
});

for (const [stack, attacks] of [["production", production], ["staging", staging]] as const) {
    describe(`the pack refuses resource-policy and IAM changes to the ${stack} plan`, () => refusesAttacks(plannedStack(stack), pack, stack, attacks));
}
