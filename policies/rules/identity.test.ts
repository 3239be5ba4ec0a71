import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { unknownCheckingProxy } from "@pulumi/policy";
import type { PlanResource } from "../../offline-plan/record";
import { loadPolicyPackConfig } from "../offline";
import { east, found, resource, type Fixture } from "../testing";
import { iamNoLongTermCredentials, iamNoPrivilegeEscalation, iamNoWildcardAdmin, identityPolicies, wildcardAdminStatements } from "./identity";

const account = "123456789012";
const json = (...statements: Record<string, unknown>[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const rolePolicy = (policy: unknown, name = "app") => resource("aws:iam/rolePolicy:RolePolicy", { role: "app", policy }, { name, provider: east });
const allow = (Action: unknown, Resource: unknown, extra: Record<string, unknown> = {}) => ({ Effect: "Allow", Action, Resource, ...extra });
const underPreview = (fixture: Fixture): PlanResource => ({ ...fixture.resource, inputs: unknownCheckingProxy(fixture.resource.inputs) as Record<string, unknown> });

/** The inline policies Keel's components write (autoscaled-service, dump-job, monitoring, network, backup-bucket). */
const keelPolicies = [
    rolePolicy(json(
        { Sid: "EcrAuthorizationToken", ...allow("ecr:GetAuthorizationToken", "*") },
        { Sid: "EcrPullApplicationImage", ...allow(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], `arn:aws:ecr:us-east-1:${account}:repository/keel-app`) },
        { Sid: "DecryptDatabaseSecret", ...allow("kms:Decrypt", `arn:aws:kms:us-east-1:${account}:key/*`, { Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } } }) },
    ), "app-application"),
    rolePolicy(json({ Sid: "Ec2Discovery", ...allow(["ec2:DescribeInstances", "ec2:DescribeAvailabilityZones"], "*") }), "prometheus"),
    rolePolicy(json(allow(["logs:CreateLogStream", "logs:PutLogEvents"], [`arn:aws:logs:us-east-1:${account}:log-group:/keel/vpc/flow-logs`, `arn:aws:logs:us-east-1:${account}:log-group:/keel/vpc/flow-logs:*`])), "flow-logs"),
    rolePolicy(json(allow(["s3:ReplicateObject", "s3:ReplicateDelete"], "arn:aws:s3:::uploads-replica/*"), allow(["s3:GetReplicationConfiguration", "s3:ListBucket"], "arn:aws:s3:::uploads")), "replication"),
    resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", { policyArn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly" }, { name: "ecr-read", provider: east }),
    resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", { policyArn: "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup" }, { name: "backup", provider: east }),
];

describe("identity policies", () => {
    test("the policies Keel's components write pass under every environment's config", async () => {
        for (const environment of ["production", "staging", "dev", "local"]) {
            for (const policy of identityPolicies.slice(1)) assert.deepEqual(await found(policy, keelPolicies, loadPolicyPackConfig(environment)), [], `${policy.name} under ${environment}`);
        }
    });
});

describe("keel-iam-no-wildcard-admin", () => {
    test("refuses every action of a service on every resource of it, however spelt", async () => {
        const fixtures = [
            rolePolicy(json(allow("s3:*", "*")), "s3-all"),
            rolePolicy(json(allow(["S3:*"], "arn:aws:s3:::*")), "s3-every-bucket"),
            rolePolicy(json(allow("kms:*", `arn:aws:kms:us-east-1:${account}:key/*`)), "kms-every-key"),
            rolePolicy(json(allow("*:Get*", "*")), "get-everything"),
            rolePolicy({ Statement: { effect: "allow", action: "secretsmanager:*", resource: "arn:aws:secretsmanager:*:*:secret:*" } }, "lower-case"),
            rolePolicy(json(allow("*", "arn:*")), "arn-star"),
        ];
        assert.deepEqual(await found(iamNoWildcardAdmin, fixtures), [
            'aws:iam/rolePolicy:RolePolicy "s3-all" allows "s3:*" on every resource: grant the actions and resources it needs.',
            'aws:iam/rolePolicy:RolePolicy "s3-every-bucket" allows ["S3:*"] on every resource: grant the actions and resources it needs.',
            'aws:iam/rolePolicy:RolePolicy "kms-every-key" allows "kms:*" on every resource: grant the actions and resources it needs.',
            'aws:iam/rolePolicy:RolePolicy "get-everything" allows "*:Get*" on every resource: grant the actions and resources it needs.',
            'aws:iam/rolePolicy:RolePolicy "lower-case" allows "secretsmanager:*" on every resource: grant the actions and resources it needs.',
            'aws:iam/rolePolicy:RolePolicy "arn-star" allows "*" on every resource: grant the actions and resources it needs.',
        ]);
    });

    test("passes a service's actions on one resource of it", async () => {
        assert.deepEqual(await found(iamNoWildcardAdmin, [rolePolicy(json(allow("s3:*", ["arn:aws:s3:::uploads", "arn:aws:s3:::uploads/*"])))]), []);
    });

    test("refuses all of IAM on anything", async () => {
        assert.deepEqual(await found(iamNoWildcardAdmin, [rolePolicy(json(allow("iam:*", `arn:aws:iam::${account}:role/app`)), "iam-role")]), [
            'aws:iam/rolePolicy:RolePolicy "iam-role" allows "iam:*" on ["arn:aws:iam::123456789012:role/app"]: all of IAM lets its holder grant itself anything; name the IAM actions it needs.',
        ]);
    });

    test("refuses administrator and *FullAccess managed policies, in any partition and on a role's own list", async () => {
        const fixtures = [
            resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", { policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" }, { name: "s3-full", provider: east }),
            resource("aws:iam/policyAttachment:PolicyAttachment", { policyArn: "arn:aws-us-gov:iam::aws:policy/AdministratorAccess" }, { name: "gov-admin", provider: east }),
            resource("aws:iam/role:Role", { assumeRolePolicy: "{}", managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] }, { name: "reader", provider: east }),
        ];
        assert.deepEqual(await found(iamNoWildcardAdmin, fixtures), [
            'aws:iam/rolePolicyAttachment:RolePolicyAttachment "s3-full" attaches arn:aws:iam::aws:policy/AmazonS3FullAccess.',
            'aws:iam/policyAttachment:PolicyAttachment "gov-admin" attaches arn:aws-us-gov:iam::aws:policy/AdministratorAccess.',
            'aws:iam/role:Role "reader" attaches arn:aws:iam::aws:policy/ReadOnlyAccess.',
        ]);
    });

    test("refuses a document AWS would not accept, skips one not known yet", async () => {
        assert.deepEqual(await found(iamNoWildcardAdmin, [rolePolicy("[1, 2]", "broken")]), ['aws:iam/rolePolicy:RolePolicy "broken" policy is not a policy document AWS would accept (not a JSON object): it cannot be judged.']);
        assert.deepEqual(await found(iamNoWildcardAdmin, [underPreview(rolePolicy("04da6b54-80e4-46f7-96ec-b56ff0331ba9"))]), []);
        assert.deepEqual(wildcardAdminStatements(json(allow("s3:GetObject", "*"))), []);
    });
});

describe("keel-iam-no-privilege-escalation", () => {
    test("passes PassRole and AssumeRole on named roles", async () => {
        const fixtures = [rolePolicy(json(allow("iam:PassRole", `arn:aws:iam::${account}:role/app-instances`, { Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } } }), allow("sts:AssumeRole", `arn:aws:iam::${account}:role/reader`)))];
        assert.deepEqual(await found(iamNoPrivilegeEscalation, fixtures), []);
    });

    test("refuses NotAction and NotResource in an Allow", async () => {
        const fixtures = [
            rolePolicy(json({ Sid: "AllButIam", Effect: "Allow", NotAction: "iam:*", Resource: "*" }), "not-action"),
            rolePolicy(json({ Sid: "AllButOne", Effect: "Allow", Action: "s3:GetObject", NotResource: "arn:aws:s3:::secret/*" }), "not-resource"),
        ];
        assert.deepEqual(await found(iamNoPrivilegeEscalation, fixtures), [
            'aws:iam/rolePolicy:RolePolicy "not-action" statement "AllButIam" allows every action but ["iam:*"] (Allow with NotAction also grants actions AWS adds later): list the actions.',
            'aws:iam/rolePolicy:RolePolicy "not-resource" statement "AllButOne" allows ["s3:GetObject"] on every resource but ["arn:aws:s3:::secret/*"] (Allow with NotResource): list the resources.',
        ]);
    });

    test("refuses PassRole, AssumeRole and policy-writing actions on every role, however spelt", async () => {
        const fixtures = [
            rolePolicy(json({ Sid: "Pass", ...allow("iam:PassRole", "*") }), "pass"),
            rolePolicy(json({ Sid: "Pass", ...allow("iam:Pass*", `arn:aws:iam::${account}:role/*`) }), "pass-pattern"),
            rolePolicy(json({ Sid: "Assume", ...allow(["sts:AssumeRole"], "arn:aws:iam::*:role/*") }), "assume"),
            rolePolicy(json({ Sid: "Write", ...allow("iam:Put*", "*") }), "put"),
        ];
        const escalation = (name: string, sid: string, grant: string) => `aws:iam/rolePolicy:RolePolicy "${name}" statement "${sid}" allows ${grant}: on every role or principal these hand its holder any permission, an administrator's too (IAM privilege escalation); name the roles and principals.`;
        assert.deepEqual(await found(iamNoPrivilegeEscalation, fixtures), [
            escalation("pass", "Pass", 'iam:PassRole on ["*"]'),
            escalation("pass-pattern", "Pass", 'iam:PassRole on ["arn:aws:iam::123456789012:role/*"]'),
            escalation("assume", "Assume", 'sts:AssumeRole on ["arn:aws:iam::*:role/*"]'),
            escalation("put", "Write", 'iam:PutRolePolicy, iam:PutUserPolicy, iam:PutGroupPolicy on ["*"]'),
        ]);
    });

    test("judges user and group policies and a role's inline policies", async () => {
        const pass = json(allow("iam:PassRole", "*"));
        const fixtures = [
            resource("aws:iam/userPolicy:UserPolicy", { policy: pass }, { name: "user", provider: east }),
            resource("aws:iam/groupPolicy:GroupPolicy", { policy: pass }, { name: "group", provider: east }),
            resource("aws:iam/role:Role", { assumeRolePolicy: "{}", inlinePolicies: [{ name: "x", policy: pass }] }, { name: "inline", provider: east }),
        ];
        assert.deepEqual((await found(iamNoPrivilegeEscalation, fixtures)).map((m) => m.split(" ").slice(0, 2).join(" ")), [
            'aws:iam/userPolicy:UserPolicy "user"',
            'aws:iam/groupPolicy:GroupPolicy "group"',
            'aws:iam/role:Role "inline"',
        ]);
    });
});

describe("keel-iam-no-long-term-credentials", () => {
    test("passes roles and refuses access keys and console passwords", async () => {
        const fixtures = [
            resource("aws:iam/role:Role", { assumeRolePolicy: json({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }) }, { name: "role", provider: east }),
            resource("aws:iam/accessKey:AccessKey", { user: "ci" }, { name: "ci-key", provider: east }),
            resource("aws:iam/userLoginProfile:UserLoginProfile", { user: "ops" }, { name: "ops-console", provider: east }),
        ];
        assert.deepEqual(await found(iamNoLongTermCredentials, fixtures), [
            'aws:iam/accessKey:AccessKey "ci-key" creates a long-term IAM credential: give the workload a role (instance profile, IRSA) or federate people (IAM User Guide, "Security best practices in IAM": use temporary credentials).',
            'aws:iam/userLoginProfile:UserLoginProfile "ops-console" creates a long-term IAM credential: give the workload a role (instance profile, IRSA) or federate people (IAM User Guide, "Security best practices in IAM": use temporary credentials).',
        ]);
    });
});
