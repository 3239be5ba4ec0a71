import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { parse } from "yaml";
import type { PlanRecord } from "../../offline-plan/engine";
import { arnOf, childrenOf, mockOf, object, ofType, only, planComponents, planRefusal, refusedArguments, text } from "../../tests/plans";
import { InvalidArgumentsError } from "../problems";
import { Cluster, clusterProblems, eksKubeconfig, type ManagedClusterArgs } from "./cluster";

const managed: ManagedClusterArgs = {
    subnetIds: ["subnet-a", "subnet-b", "subnet-c"],
    version: "1.35",
    nodeGroups: [{ name: "general", instanceTypes: ["m6i.xlarge"], minSize: 3, maxSize: 6 }],
};

describe("Cluster (managed EKS)", () => {
    let record: PlanRecord;
    let kubeconfig: unknown;
    before(async () => {
        record = await planComponents(() => {
            const provider = new aws.Provider("primary", { region: "us-east-1" });
            const cluster = new Cluster("main", { managed: { ...managed, deployerAccess: { endpoint: "private", cidrs: ["10.20.0.0/16"] } }, tags: { environment: "test" } }, { provider, protect: true, retainOnDelete: true });
            return { kubeconfig: cluster.kubeconfig, issuer: cluster.oidc?.issuer, securityGroupId: cluster.securityGroupId };
        });
        kubeconfig = record.outputs.kubeconfig;
    });

    test("creates the cluster, its roles, key, log group, node group, OIDC provider, CSI add-on and the Kubernetes provider", () => {
        const component = only(record, "keel:kubernetes:Cluster");
        assert.deepEqual([...new Set(childrenOf(record, component).map((r) => r.type))].sort(), [
            "aws:cloudwatch/logGroup:LogGroup",
            "aws:eks/addon:Addon",
            "aws:eks/cluster:Cluster",
            "aws:eks/nodeGroup:NodeGroup",
            "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
            "aws:iam/role:Role",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "aws:kms/key:Key",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "pulumi:providers:kubernetes",
        ]);
    });

    test("secrets are encrypted with a rotating, retained key; every control-plane log type is on; the endpoint is private", () => {
        const cluster = only(record, "aws:eks/cluster:Cluster");
        const key = only(record, "aws:kms/key:Key", "main-secrets");
        assert.deepEqual([key.inputs.enableKeyRotation, key.protect, key.retainOnDelete], [true, true, true]);
        assert.deepEqual(cluster.inputs.encryptionConfig, { provider: { keyArn: arnOf(key) }, resources: ["secrets"] });
        assert.deepEqual(cluster.inputs.enabledClusterLogTypes, ["api", "audit", "authenticator", "controllerManager", "scheduler"]);
        assert.deepEqual(cluster.inputs.vpcConfig, { subnetIds: ["subnet-a", "subnet-b", "subnet-c"], endpointPrivateAccess: true, endpointPublicAccess: false });
        assert.equal(cluster.inputs.version, "1.35");
        assert.equal(only(record, "aws:cloudwatch/logGroup:LogGroup").inputs.name, "/aws/eks/main/cluster");
    });

    test("a private endpoint admits the deployer's runners on 443 through the cluster security group, before the Kubernetes provider deploys", () => {
        const cluster = only(record, "aws:eks/cluster:Cluster");
        const rule = only(record, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "main-deployer-0");
        const clusterGroup = object(mockOf(cluster).state.vpcConfig, "vpcConfig").clusterSecurityGroupId;
        assert.deepEqual([rule.inputs.securityGroupId, rule.inputs.cidrIpv4, rule.inputs.fromPort, rule.inputs.toPort, rule.inputs.ipProtocol], [clusterGroup, "10.20.0.0/16", 443, 443, "tcp"]);
        assert.ok(only(record, "pulumi:providers:kubernetes").dependencies.includes(rule.urn));
        assert.equal(record.outputs.securityGroupId, clusterGroup);
    });

    test("the node group spans the subnets with the given bounds", () => {
        const group = only(record, "aws:eks/nodeGroup:NodeGroup");
        assert.deepEqual(group.inputs.subnetIds, ["subnet-a", "subnet-b", "subnet-c"]);
        assert.deepEqual(group.inputs.scalingConfig, { minSize: 3, maxSize: 6, desiredSize: 3 });
        assert.deepEqual(group.inputs.instanceTypes, ["m6i.xlarge"]);
    });

    test("the OIDC provider trusts sts.amazonaws.com at the cluster's issuer; the CSI driver's role is scoped to its service account", () => {
        const oidc = only(record, "aws:iam/openIdConnectProvider:OpenIdConnectProvider");
        assert.deepEqual(oidc.inputs.clientIdLists, ["sts.amazonaws.com"]);
        const issuer = text(oidc.inputs.url, "url");
        assert.match(issuer, /^https:\/\/oidc\.eks\.us-east-1\.amazonaws\.com\/id\/[0-9A-F]{32}$/);
        assert.equal(record.outputs.issuer, issuer.replace("https://", ""));
        const trust = JSON.parse(text(only(record, "aws:iam/role:Role", "main-ebs-csi").inputs.assumeRolePolicy, "trust")) as { Statement: { Condition: { StringEquals: Record<string, unknown> } }[] };
        assert.deepEqual(trust.Statement[0].Condition.StringEquals, {
            [`${issuer.replace("https://", "")}:aud`]: "sts.amazonaws.com",
            [`${issuer.replace("https://", "")}:sub`]: ["system:serviceaccount:kube-system:ebs-csi-controller-sa"],
        });
    });

    test("the kubeconfig is a secret, authenticating with aws eks get-token", () => {
        assert.equal(kubeconfig, "[secret]");
        const provider = only(record, "pulumi:providers:kubernetes");
        assert.equal(provider.inputs.kubeconfig, "[secret]");
    });
});

describe("Cluster (existing)", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => {
            new Cluster("existing", { existing: { kubeconfig: pulumi.secret("apiVersion: v1\nkind: Config\n") } });
        });
    });

    test("creates only the Kubernetes provider", () => {
        assert.deepEqual(record.resources.map((r) => r.type).filter((t) => t !== "pulumi:pulumi:Stack").sort(), ["keel:kubernetes:Cluster", "pulumi:providers:kubernetes"]);
        assert.equal(ofType(record, "aws:eks/cluster:Cluster").length, 0);
    });
});

describe("cluster validation", () => {
    test("exactly one of managed and existing", () => {
        assert.deepEqual(clusterProblems({}), [{ path: [], message: "give exactly one of `managed` and `existing`" }]);
        assert.deepEqual(clusterProblems({ managed, existing: { kubeconfig: "{}" } }), [{ path: [], message: "give exactly one of `managed` and `existing`" }]);
        assert.deepEqual(clusterProblems({ existing: { kubeconfig: "{}" } }), []);
        assert.deepEqual(clusterProblems({ managed }, new Date("2026-11-27T00:00:00Z")), []);
    });

    test("node groups: at least one, sizes in order, a desired size within them, an instance type", () => {
        assert.deepEqual(clusterProblems({ managed: { ...managed, nodeGroups: [] } }), [{ path: ["managed", "nodeGroups"], message: "expected at least one node group" }]);
        assert.deepEqual(clusterProblems({ managed: { ...managed, nodeGroups: [{ name: "g", instanceTypes: [], minSize: 4, maxSize: 2 }] } }), [
            { path: ["managed", "nodeGroups", 0], message: "expected 0 <= minSize <= maxSize and maxSize >= 1 in node group g, got 4..2" },
            { path: ["managed", "nodeGroups", 0, "instanceTypes"], message: "expected at least one instance type in node group g" },
        ]);
        assert.deepEqual(clusterProblems({ managed: { ...managed, nodeGroups: [managed.nodeGroups[0], { name: "batch", instanceTypes: ["c6i.large"], minSize: 1, maxSize: 3, desiredSize: 5 }] } }), [
            { path: ["managed", "nodeGroups", 1, "desiredSize"], message: "expected a size within 1..3 in node group batch, got 5" },
        ]);
    });

    test("the deployer's access: CIDRs for a public endpoint, never 0.0.0.0/0", () => {
        assert.deepEqual(clusterProblems({ managed: { ...managed, deployerAccess: { endpoint: "public", cidrs: [] } } }), [
            { path: ["managed", "deployerAccess", "cidrs"], message: "expected at least one CIDR for a public endpoint (0.0.0.0/0 is EKS's default and not Keel's)" },
        ]);
        assert.deepEqual(clusterProblems({ managed: { ...managed, deployerAccess: { endpoint: "public", cidrs: ["203.0.113.0/24", "0.0.0.0/0"] } } }), [
            { path: ["managed", "deployerAccess", "cidrs", 1], message: "0.0.0.0/0 opens the Kubernetes API to every address; name the deployer's own CIDRs" },
        ]);
    });

    test("an EKS version in standard support on the day of the plan", () => {
        const [version, ...others] = clusterProblems({ managed: { ...managed, version: "1.33" } }, new Date("2026-11-27T00:00:00Z"));
        assert.deepEqual(others, []);
        assert.deepEqual(version.path, ["managed", "version"]);
        assert.match(version.message, /^EKS version 1\.33 left standard support on 2026-07-29/);
    });

    test("the constructor refuses with every problem at its path before registering anything", async () => {
        const refusal = await refusedArguments(() => {
            new Cluster("bad", {});
        });
        assert.equal(refusal.message, "Cluster bad: invalid arguments:\n  - give exactly one of `managed` and `existing`");
        const nodes = await planRefusal(() => {
            new Cluster("bad", { managed: { ...managed, nodeGroups: [{ name: "g", instanceTypes: [], minSize: 4, maxSize: 2 }], deployerAccess: { endpoint: "public", cidrs: ["0.0.0.0/0"] } } });
        });
        assert.ok(nodes.refusal instanceof InvalidArgumentsError);
        assert.equal(nodes.refusal.message, [
            "Cluster bad: invalid arguments:",
            "  - managed.nodeGroups.0: expected 0 <= minSize <= maxSize and maxSize >= 1 in node group g, got 4..2",
            "  - managed.nodeGroups.0.instanceTypes: expected at least one instance type in node group g",
            "  - managed.deployerAccess.cidrs.0: 0.0.0.0/0 opens the Kubernetes API to every address; name the deployer's own CIDRs",
        ].join("\n"));
        assert.deepEqual(nodes.registered, []);
    });

    test("the generated kubeconfig execs aws eks get-token for the cluster and region", () => {
        const config = object(parse(eksKubeconfig({ name: "c", endpoint: "https://e", certificateAuthority: "Q0E=", region: "us-west-2" })), "kubeconfig");
        const users = config.users as { user: { exec: { command: string; args: string[] } } }[];
        assert.deepEqual(users[0].user.exec.command, "aws");
        assert.deepEqual(users[0].user.exec.args, ["eks", "get-token", "--cluster-name", "c", "--region", "us-west-2", "--output", "json"]);
    });
});
