import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { unknownCheckingProxy } from "@pulumi/policy";
import type { PlanResource } from "../../offline-plan/record";
import { loadPolicyPackConfig } from "../offline";
import { east, found, resource, west, type Fixture } from "../testing";
import { irsaTrustScoped, resourcePolicyAccounts, resourcePolicyNoPublic, resourcePolicyPolicies, resourcePolicyServiceGrants } from "./resource-policies";

const own = "123456789012";
const stranger = "999999999999";
const unknownString = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const issuer = "oidc.eks.us-east-1.amazonaws.com/id/D928EB64002A9660ADFEF346A518E724";

type Doc = { Statement: Record<string, unknown>[] };
const doc = (...statements: Record<string, unknown>[]): Doc => ({ Statement: statements });
const json = (...statements: Record<string, unknown>[]) => JSON.stringify({ Version: "2012-10-17", ...doc(...statements) });

/** Keel's key policy (components/kms/key.ts): the account administers the key, a service gets what it needs. */
const rootStatement = { Sid: "EnableIamPolicies", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${own}:root` }, Action: "kms:*", Resource: "*" };
const logDelivery = { Sid: "AllowServerAccessLogDelivery", Effect: "Allow", Principal: { Service: "logging.s3.amazonaws.com" }, Action: "kms:GenerateDataKey*", Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": own } } };
const key = (policy: unknown, name = "key") => resource("aws:kms/key:Key", { enableKeyRotation: true, policy }, { name, provider: east });
const bucketPolicy = (policy: unknown, name = "bucket", region = east) => resource("aws:s3/bucketPolicy:BucketPolicy", { bucket: name, policy }, { name, provider: region });
const trust = (policy: unknown, name = "role") => resource("aws:iam/role:Role", { assumeRolePolicy: policy }, { name, provider: east });
const tlsDeny = { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } };

/** IRSA trust as components/backup/dump-job.ts writes it. */
const irsa = (condition: unknown, extra: Record<string, unknown> = {}) => ({
    Effect: "Allow",
    Principal: { Federated: `arn:aws:iam::${own}:oidc-provider/${issuer}` },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: condition,
    ...extra,
});
function irsaCondition(sub: unknown, operator = "StringEquals"): Record<string, Record<string, unknown>> {
    const condition: Record<string, Record<string, unknown>> = { StringEquals: { [`${issuer}:aud`]: "sts.amazonaws.com" } };
    condition[operator] = { ...condition[operator], [`${issuer}:sub`]: sub };
    return condition;
}

/** Resources whose ARNs name the stack's own account, as most of a real plan's do. */
const anchors = (): Fixture[] => [
    resource("aws:cloudwatch/metricAlarm:MetricAlarm", { alarmActions: [`arn:aws:sns:us-east-1:${own}:alarms`] }, { name: "alarm-a", provider: east }),
    resource("aws:cloudwatch/metricAlarm:MetricAlarm", { alarmActions: [`arn:aws:sns:us-east-1:${own}:alarms`] }, { name: "alarm-b", provider: east }),
    resource("aws:ec2/flowLog:FlowLog", { iamRoleArn: `arn:aws:iam::${own}:role/flow-logs` }, { name: "flow", provider: east }),
];

/** A fixture whose inputs are behind @pulumi/policy's unknown-checking proxy, as under `pulumi preview`. */
const underPreview = (fixture: Fixture): PlanResource => ({ ...fixture.resource, inputs: unknownCheckingProxy(fixture.resource.inputs) as Record<string, unknown> });

describe("resource policy rules", () => {
    test("Keel's own documents pass every rule under every environment's config", async () => {
        const fixtures = [
            ...anchors(),
            key(json(rootStatement, logDelivery)),
            key({ Statement: [rootStatement, { Sid: "CloudWatchAlarmsPublish", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*" }] }, "alarms-key"),
            bucketPolicy(json(tlsDeny, { Sid: "AllowServerAccessLogDelivery", Effect: "Allow", Principal: { Service: "logging.s3.amazonaws.com" }, Action: "s3:PutObject", Resource: "arn:aws:s3:::b/*", Condition: { StringEquals: { "aws:SourceAccount": own } } })),
            bucketPolicy(json(tlsDeny, { Sid: "AllowElbAccessLogDelivery", Effect: "Allow", Principal: { AWS: "arn:aws:iam::797873946194:root" }, Action: "s3:PutObject", Resource: `arn:aws:s3:::alb/alb/AWSLogs/${own}/*` }), "alb-logs-dr", west),
            resource("aws:sns/topicPolicy:TopicPolicy", { arn: `arn:aws:sns:us-east-1:${own}:backup`, policy: json({ Sid: "BackupPublishesVaultEvents", Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "SNS:Publish", Resource: `arn:aws:sns:us-east-1:${own}:backup` }) }, { name: "topic", provider: east }),
            trust(json({ Effect: "Allow", Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": own } } }), "flow-logs"),
            trust(json({ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }), "replication"),
            trust(json(irsa(irsaCondition([`system:serviceaccount:backup:database-dumps`])))),
        ];
        for (const environment of ["production", "staging", "dev", "local"]) {
            for (const policy of resourcePolicyPolicies) assert.deepEqual(await found(policy, fixtures, loadPolicyPackConfig(environment)), [], `${policy.name} under ${environment}`);
        }
    });
});

describe("keel-resource-policy-no-public", () => {
    test("passes Deny statements to *, named principals, and * pinned to named accounts", async () => {
        const pinned = { Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:CallerAccount": own, "kms:ViaService": "s3.us-east-1.amazonaws.com" } } };
        const org = { Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*", Condition: { "ForAnyValue:StringEquals": { "aws:PrincipalOrgID": "o-abc123" } } };
        assert.deepEqual(await found(resourcePolicyNoPublic, [bucketPolicy(json(tlsDeny, org)), key(json(rootStatement, pinned))]), []);
    });

    test("refuses an Allow to everyone however it is spelt", async () => {
        const everyone = (principal: unknown, name: string) => key(json(rootStatement, { Sid: "Open", Effect: "Allow", Principal: principal, Action: "kms:Decrypt", Resource: "*" }), name);
        const fixtures = [
            everyone("*", "star"),
            everyone({ AWS: "*" }, "aws-star"),
            everyone({ AWS: ["arn:aws:iam::123456789012:root", "*"] }, "list"),
            everyone({ AWS: "arn:aws:iam::*:root" }, "any-root"),
            everyone(["*"], "array"),
            everyone({ aws: "*" }, "lower-case"),
        ];
        const found_ = await found(resourcePolicyNoPublic, fixtures);
        assert.equal(found_.length, 6);
        assert.match(found_[0], /^aws:kms\/key:Key "star" policy: statement "Open" allows "\*" "kms:Decrypt": an Allow to a wildcard principal lets any AWS account in/);
        assert.match(found_[3], /"any-root" policy: statement "Open" allows AWS "arn:aws:iam::\*:root"/);
    });

    test("a condition that does not pin the principal does not help", async () => {
        const weak = (condition: unknown, name: string) => bucketPolicy(json({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*", Condition: condition }), name);
        const fixtures = [
            weak({ Bool: { "aws:SecureTransport": "true" } }, "tls"),
            weak({ StringLike: { "aws:PrincipalAccount": "*" } }, "like-star"),
            weak({ StringNotEquals: { "aws:PrincipalAccount": stranger } }, "negated"),
            weak({ StringEqualsIfExists: { "aws:PrincipalAccount": own } }, "if-exists"),
            weak({ "ForAllValues:StringEquals": { "aws:PrincipalOrgID": "o-abc123" } }, "for-all"),
            weak({ ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/admin" } }, "any-account-arn"),
        ];
        assert.deepEqual((await found(resourcePolicyNoPublic, fixtures)).map((m) => /"([a-z-]+)"/.exec(m)?.[1]), ["tls", "like-star", "negated", "if-exists", "for-all", "any-account-arn"]);
    });

    test("refuses NotPrincipal, NotAction and NotResource in an Allow", async () => {
        assert.deepEqual(await found(resourcePolicyNoPublic, [
            bucketPolicy(json({ Sid: "AllBut", Effect: "Allow", NotPrincipal: { AWS: `arn:aws:iam::${own}:role/x` }, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }), "not-principal"),
            key(json({ ...rootStatement, Sid: "Most", Action: undefined, NotAction: "kms:ScheduleKeyDeletion" }), "not-action"),
        ]), [
            'aws:s3/bucketPolicy:BucketPolicy "not-principal" policy: statement "AllBut" allows everyone but "arn:aws:iam::123456789012:role/x" (Allow with NotPrincipal): name the principals it grants instead (IAM User Guide, "NotPrincipal").',
            'aws:kms/key:Key "not-action" policy: statement "Most" allows every action but "kms:ScheduleKeyDeletion" (Allow with NotAction also grants actions AWS adds later): list the actions.',
        ]);
    });

    test("judges role trusts, SNS topics, secrets, queues and Lambda permissions alike", async () => {
        const open = doc({ Effect: "Allow", Principal: { AWS: "*" }, Action: "*", Resource: "*" });
        const fixtures = [
            trust(open, "public-role"),
            resource("aws:sns/topic:Topic", { policy: JSON.stringify(open) }, { name: "topic", provider: east }),
            resource("aws:secretsmanager/secretPolicy:SecretPolicy", { policy: JSON.stringify(open) }, { name: "secret", provider: east }),
            resource("aws:sqs/queuePolicy:QueuePolicy", { policy: open }, { name: "queue", provider: east }),
            resource("aws:lambda/permission:Permission", { principal: "*", action: "lambda:InvokeFunction", functionName: "f" }, { name: "invoke", provider: east }),
            resource("aws:lambda/permission:Permission", { principal: "*", action: "lambda:InvokeFunction", functionName: "f", sourceAccount: own }, { name: "pinned-invoke", provider: east }),
        ];
        assert.deepEqual((await found(resourcePolicyNoPublic, fixtures)).map((m) => m.split(": statement")[0]), [
            'aws:iam/role:Role "public-role" assumeRolePolicy',
            'aws:sns/topic:Topic "topic" policy',
            'aws:secretsmanager/secretPolicy:SecretPolicy "secret" policy',
            'aws:sqs/queuePolicy:QueuePolicy "queue" policy',
            'aws:lambda/permission:Permission "invoke" principal',
        ]);
    });

    test("refuses a document AWS would not accept, and skips one not known yet", async () => {
        assert.deepEqual(await found(resourcePolicyNoPublic, [key("{not json", "broken")]), [
            'aws:kms/key:Key "broken" policy is not a policy document AWS would accept (not JSON): it cannot be judged.',
        ]);
        assert.deepEqual(await found(resourcePolicyNoPublic, [underPreview(key(unknownString)), underPreview(bucketPolicy({ Statement: [{ Effect: "Allow", Principal: unknownString, Action: "s3:*" }] }))]), []);
    });
});

describe("keel-resource-policy-accounts", () => {
    test("passes the stack's own account, listed accounts and organizations, and the regional ELB log account", async () => {
        const partner = "111122223333";
        const fixtures = [
            ...anchors(),
            key(json(rootStatement, { Sid: "Partner", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${partner}:role/reader` }, Action: "kms:Decrypt", Resource: "*" })),
            trust(json({ Effect: "Allow", Principal: { AWS: own }, Action: "sts:AssumeRole" })),
            bucketPolicy(json({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } } }), "org"),
            bucketPolicy(json({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::127311923021:root" }, Action: "s3:PutObject", Resource: "arn:aws:s3:::alb/*" }), "alb-logs"),
        ];
        assert.deepEqual(await found(resourcePolicyAccounts, fixtures, { "keel-resource-policy-accounts": { allowedAccounts: [partner], allowedOrganizations: ["o-abc123"] } }), []);
    });

    test("refuses a grant to an account that is not the stack's nor listed", async () => {
        const fixtures = [
            ...anchors(),
            key(json(rootStatement, { Sid: "Exfiltrate", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${stranger}:root` }, Action: "kms:Decrypt", Resource: "*" })),
            trust(json({ Sid: "Vendor", Effect: "Allow", Principal: { AWS: stranger }, Action: "sts:AssumeRole" }), "vendor"),
        ];
        assert.deepEqual(await found(resourcePolicyAccounts, fixtures), [
            'aws:kms/key:Key "key" policy: statement "Exfiltrate" grants account 999999999999 (AWS "arn:aws:iam::999999999999:root"), which is neither the stack\'s own account (123456789012) nor in allowedAccounts: a cross-account grant must be listed in the environment\'s policy pack config.',
            'aws:iam/role:Role "vendor" assumeRolePolicy: statement "Vendor" grants account 999999999999 (AWS "999999999999"), which is neither the stack\'s own account (123456789012) nor in allowedAccounts: a cross-account grant must be listed in the environment\'s policy pack config.',
        ]);
    });

    test("refuses foreign accounts named by conditions, organizations, federations and unknowable principals", async () => {
        const fixtures = [
            ...anchors(),
            key(json({ Sid: "Pinned", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:CallerAccount": stranger } } }), "caller"),
            bucketPolicy(json({ Sid: "Org", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-evil" } } }), "org"),
            trust(json({ Sid: "Oidc", Effect: "Allow", Principal: { Federated: `arn:aws:iam::${stranger}:oidc-provider/${issuer}` }, Action: "sts:AssumeRoleWithWebIdentity" }), "federated"),
            bucketPolicy(json({ Sid: "Canonical", Effect: "Allow", Principal: { CanonicalUser: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }), "canonical"),
        ];
        const refused = await found(resourcePolicyAccounts, fixtures);
        assert.equal(refused.length, 4);
        assert.match(refused[0], /"caller" policy: statement "Pinned" grants account 999999999999 \(kms:CallerAccount "999999999999"\)/);
        assert.match(refused[1], /"org" policy: statement "Org" grants organization "o-evil" \(aws:PrincipalOrgID\), which is not in allowedOrganizations/);
        assert.match(refused[2], /"federated" assumeRolePolicy: statement "Oidc" grants account 999999999999 \(Federated/);
        assert.match(refused[3], /"canonical" policy: statement "Canonical" grants CanonicalUser "79a5.*", which names no account the allow-list can check/);
    });

    test("an ELB log-delivery account may only put objects into a bucket of its region", async () => {
        const elb = (account: string, action: unknown, name: string) => bucketPolicy(json({ Sid: "Elb", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: action, Resource: "arn:aws:s3:::alb/*" }), name);
        const refused = await found(resourcePolicyAccounts, [...anchors(), elb("127311923021", "s3:*", "too-much"), elb("797873946194", "s3:PutObject", "wrong-region"), elb("127311923021", "s3:PutObject", "fine")]);
        assert.equal(refused.length, 2);
        assert.match(refused[0], /"too-much" policy: statement "Elb" grants account 127311923021 .* \(an ELB log-delivery account may only s3:PutObject into a bucket of its own region\)/);
        assert.match(refused[1], /"wrong-region"/);
    });

    test("refuses KMS grants, AMI and snapshot sharing and EKS access entries to a stranger's account", async () => {
        const fixtures = [
            ...anchors(),
            resource("aws:kms/grant:Grant", { keyId: "k", granteePrincipal: `arn:aws:iam::${stranger}:role/x`, operations: ["Decrypt"] }, { name: "grant", provider: east }),
            resource("aws:ec2/amiLaunchPermission:AmiLaunchPermission", { imageId: "ami-1", accountId: stranger }, { name: "ami", provider: east }),
            resource("aws:ebs/snapshotCreateVolumePermission:SnapshotCreateVolumePermission", { snapshotId: "snap-1", accountId: stranger }, { name: "snapshot", provider: east }),
            resource("aws:eks/accessEntry:AccessEntry", { clusterName: "c", principalArn: `arn:aws:iam::${stranger}:role/admin` }, { name: "access", provider: east }),
            resource("aws:kms/grant:Grant", { keyId: "k", granteePrincipal: `arn:aws:iam::${own}:role/x`, operations: ["Decrypt"] }, { name: "own-grant", provider: east }),
        ];
        assert.deepEqual((await found(resourcePolicyAccounts, fixtures)).map((m) => m.split(": statement")[0]), [
            'aws:kms/grant:Grant "grant" granteePrincipal',
            'aws:ec2/amiLaunchPermission:AmiLaunchPermission "ami" accountId',
            'aws:ebs/snapshotCreateVolumePermission:SnapshotCreateVolumePermission "snapshot" accountId',
            'aws:eks/accessEntry:AccessEntry "access" principalArn',
        ]);
        assert.deepEqual(await found(resourcePolicyNoPublic, [resource("aws:ec2/amiLaunchPermission:AmiLaunchPermission", { imageId: "ami-1", group: "all" }, { name: "public-ami", provider: east })]), [
            'aws:ec2/amiLaunchPermission:AmiLaunchPermission "public-ami" group: statement "#1" allows "*" "ec2:RunInstances": an Allow to a wildcard principal lets any AWS account in (IAM User Guide, "Principal": "*" is anyone); name the principals, or pin it with aws:PrincipalAccount or aws:PrincipalOrgID.',
        ]);
    });

    test("values not known yet are skipped; with no account known at all, nothing is refused", async () => {
        const fixtures = [...anchors(), underPreview(key(unknownString, "unknown")), underPreview(resource("aws:cloudwatch/metricAlarm:MetricAlarm", { alarmActions: [unknownString] }, { name: "alarm-c", provider: east }))];
        assert.deepEqual(await found(resourcePolicyAccounts, fixtures), []);
        // With no account known anywhere, the stack's own cannot be told from a stranger's.
        assert.deepEqual(await found(resourcePolicyAccounts, [trust(json({ Effect: "Allow", Principal: { AWS: stranger }, Action: "sts:AssumeRole" }))]), []);
    });
});

describe("keel-resource-policy-service-grants", () => {
    test("passes scoped log delivery and services that need no source condition", async () => {
        assert.deepEqual(await found(resourcePolicyServiceGrants, [key(json(rootStatement, logDelivery)), trust(json({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }))]), []);
        const byArn = { ...logDelivery, Condition: { ArnLike: { "aws:SourceArn": "arn:aws:s3:::source-bucket" } } };
        assert.deepEqual(await found(resourcePolicyServiceGrants, [key(json(rootStatement, byArn))]), []);
    });

    test("refuses log delivery, flow-log and RDS monitoring grants without their source condition", async () => {
        const fixtures = [
            key(json(rootStatement, { ...logDelivery, Condition: undefined }), "no-condition"),
            key(json(rootStatement, { ...logDelivery, Condition: { StringLike: { "aws:SourceAccount": "*" } } }), "wildcard"),
            key(json(rootStatement, { ...logDelivery, Condition: { StringEqualsIfExists: { "aws:SourceAccount": own } } }), "if-exists"),
            trust(json({ Sid: "FlowLogs", Effect: "Allow", Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Action: "sts:AssumeRole" }), "flow-logs"),
            trust(json({ Sid: "Monitoring", Effect: "Allow", Principal: { Service: ["monitoring.rds.amazonaws.com"] }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": [] } } }), "monitoring"),
        ];
        const refused = await found(resourcePolicyServiceGrants, fixtures);
        assert.equal(refused.length, 5);
        assert.equal(refused[0], 'aws:kms/key:Key "no-condition" policy: statement "AllowServerAccessLogDelivery" grants logging.s3.amazonaws.com without an aws:SourceAccount or aws:SourceArn condition naming your account or resource: the service would act for any account that names this resource (confused deputy, IAM User Guide).');
        assert.match(refused[3], /^aws:iam\/role:Role "flow-logs" assumeRolePolicy: statement "FlowLogs" grants vpc-flow-logs.amazonaws.com without/);
    });

    test("refuses a service granted every action", async () => {
        assert.deepEqual(await found(resourcePolicyServiceGrants, [key(json(rootStatement, { ...logDelivery, Sid: "All", Action: "kms:*" }))]), [
            'aws:kms/key:Key "key" policy: statement "All" grants logging.s3.amazonaws.com "kms:*": a service gets the actions it needs, never every action.',
        ]);
    });

    test("trust-policy services are configurable per environment", async () => {
        const replication = trust(json({ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }));
        assert.deepEqual(await found(resourcePolicyServiceGrants, [replication]), []);
        assert.equal((await found(resourcePolicyServiceGrants, [replication], { "keel-resource-policy-service-grants": { trustPolicyServices: ["s3.amazonaws.com"] } })).length, 1);
    });
});

describe("keel-irsa-trust-scoped", () => {
    test("passes a trust naming one service account and the STS audience", async () => {
        assert.deepEqual(await found(irsaTrustScoped, [
            trust(json(irsa(irsaCondition(["system:serviceaccount:monitoring:prometheus"])))),
            trust(json(irsa(irsaCondition("system:serviceaccount:monitoring:loki", "StringLike"))), "like"),
            trust(json({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }), "ec2"),
        ]), []);
    });

    test("refuses a trust without a sub condition, or with a wildcard one", async () => {
        const fixtures = [
            trust(json(irsa({ StringEquals: { [`${issuer}:aud`]: "sts.amazonaws.com" } })), "no-sub"),
            trust(json(irsa(irsaCondition("system:serviceaccount:*:*", "StringLike"))), "any"),
            trust(json(irsa(irsaCondition(["system:serviceaccount:backup:database-dumps", "system:serviceaccount:monitoring:*"], "StringLike"))), "namespace"),
            trust(json(irsa({ StringEquals: { [`${issuer}:aud`]: "sts.amazonaws.com" }, StringNotEquals: { [`${issuer}:sub`]: "system:serviceaccount:kube-system:x" } })), "negated"),
            trust(json(irsa(irsaCondition("system:serviceaccount:backup:dumps", "ForAllValues:StringEquals"))), "for-all"),
            trust(json(irsa({ StringEquals: { [`${issuer.toUpperCase()}:SUB`]: "system:serviceaccount:backup:dumps", [`${issuer}:aud`]: "sts.amazonaws.com" } })), "upper-case"),
        ];
        const refused = await found(irsaTrustScoped, fixtures);
        assert.deepEqual(refused.map((m) => /"([a-z-]+)"/.exec(m)?.[1]), ["no-sub", "any", "namespace", "negated", "for-all"]);
        assert.equal(refused[0], `aws:iam/role:Role "no-sub" assumeRolePolicy: statement "#1" lets every identity of ${issuer} assume the role: no StringEquals/StringLike condition on "${issuer}:sub" (EKS User Guide, IAM roles for service accounts).`);
        assert.match(refused[2], /lets "system:serviceaccount:monitoring:\*" assume the role: a wildcard namespace or service account hands it to other workloads/);
    });

    test("refuses a trust without the STS audience, and public identity providers", async () => {
        const refused = await found(irsaTrustScoped, [
            trust(json(irsa({ StringEquals: { [`${issuer}:sub`]: "system:serviceaccount:backup:dumps" } })), "no-aud"),
            trust(json(irsa({ StringEquals: { [`${issuer}:sub`]: "system:serviceaccount:backup:dumps" }, StringLike: { [`${issuer}:aud`]: "*" } })), "any-aud"),
            trust(json({ Effect: "Allow", Principal: { Federated: "accounts.google.com" }, Action: "sts:AssumeRoleWithWebIdentity" }), "google"),
            trust(json({ Effect: "Allow", Principal: { Federated: "cognito-identity.amazonaws.com" }, Action: "sts:AssumeRoleWithWebIdentity" }), "cognito"),
        ]);
        assert.deepEqual(refused.map((m) => /"([a-z-]+)"/.exec(m)?.[1]), ["no-aud", "any-aud", "google", "cognito"]);
        assert.match(refused[0], /has no "oidc\.eks\..*:aud" condition equal to "sts.amazonaws.com"/);
    });

    test("judges web-identity statements however the action is spelt", async () => {
        const wide = { ...irsa({}), Action: "sts:AssumeRoleWith*" };
        assert.equal((await found(irsaTrustScoped, [trust(json(wide))])).length, 2);
    });
});
