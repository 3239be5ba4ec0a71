import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { assumedBy, assumedByServiceAccounts, awsManagedPolicyArn, type OidcProvider } from "../iam";
import { customerManagedKey } from "../kms";
import { problem, requireNoProblems, type Problem } from "../problems";
import { defaultEksVersion, eksVersionProblem } from "./versions";
import { publicOutputs } from "../outputs";

/** A managed node group, spread over every subnet the cluster is given. */
export interface NodeGroupSpec {
    /** Suffix of the node group's name. */
    readonly name: string;
    /** EC2 instance types, cheapest acceptable first (EKS tries them in order for ON_DEMAND). */
    readonly instanceTypes: readonly string[];
    readonly minSize: number;
    readonly maxSize: number;
    /** Default `minSize`; the cluster autoscaler (not Pulumi) moves it afterwards. */
    readonly desiredSize?: number;
    /** Root volume in GiB. Default 50. */
    readonly diskSizeGb?: number;
}

/** An EKS cluster Keel creates. */
export interface ManagedClusterArgs {
    /** Private subnets (at least two, in different AZs: EKS requires two AZs) for the control plane's ENIs and the nodes. */
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * Kubernetes minor version, e.g. "1.35": one in standard support on the day of the plan
     * (components/kubernetes/versions.ts). Default `defaultEksVersion`.
     */
    readonly version?: string;
    /**
     * How the deployer (`pulumi up`) reaches the API server. `public`: the endpoint is also
     * public, open only to `cidrs` (the deploy runners' egress addresses). `private`: the
     * endpoint stays inside the VPC and `cidrs` (a self-hosted runner's subnets, in the VPC or
     * a network routed to it) are admitted on 443 to the cluster security group. Never
     * 0.0.0.0/0: EKS's default for a public endpoint, and not Keel's.
     * Default `{ endpoint: "private", cidrs: [] }` (only from inside the cluster's own security group).
     */
    readonly deployerAccess?: DeployerAccess;
    readonly nodeGroups: readonly NodeGroupSpec[];
    /** Control-plane log types. Default all five: api, audit, authenticator, controllerManager, scheduler. */
    readonly logTypes?: readonly ControlPlaneLogType[];
    /** Days the control-plane log group keeps them. Default 90. */
    readonly logRetentionDays?: number;
}

export interface DeployerAccess {
    readonly endpoint: "public" | "private";
    readonly cidrs: readonly string[];
}

export type ControlPlaneLogType = "api" | "audit" | "authenticator" | "controllerManager" | "scheduler";
export const controlPlaneLogTypes: readonly ControlPlaneLogType[] = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

/** A cluster Keel does not manage: its kubeconfig (a secret) and, for IAM roles for service accounts, its OIDC provider. */
export interface ExistingClusterArgs {
    readonly kubeconfig: pulumi.Input<string>;
    readonly oidc?: OidcProvider;
    /** The security group its nodes (and so its pods) use, for rules that admit them elsewhere. */
    readonly securityGroupId?: pulumi.Input<string>;
}

export interface ClusterArgs {
    /** Exactly one of `managed` and `existing`. */
    readonly managed?: ManagedClusterArgs;
    readonly existing?: ExistingClusterArgs;
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * Problems with cluster arguments, before anything is registered; `on` is the plan's date (EKS
 * version support). The messages quote the values themselves (no `given` needed).
 */
export function clusterProblems(args: ClusterArgs, on: Date = new Date()): Problem[] {
    if ((args.managed === undefined) === (args.existing === undefined)) return [problem([], "give exactly one of `managed` and `existing`")];
    const managed = args.managed;
    if (managed === undefined) return [];
    const problems: Problem[] = [];
    if (managed.nodeGroups.length === 0) problems.push(problem(["managed", "nodeGroups"], "expected at least one node group"));
    managed.nodeGroups.forEach((group, i) => {
        const at = (...path: string[]) => ["managed", "nodeGroups", i, ...path];
        const desired = group.desiredSize ?? group.minSize;
        if (!(Number.isInteger(group.minSize) && group.minSize >= 0 && group.maxSize >= 1 && group.minSize <= group.maxSize)) {
            problems.push(problem(at(), `expected 0 <= minSize <= maxSize and maxSize >= 1 in node group ${group.name}, got ${group.minSize}..${group.maxSize}`));
        } else if (desired < group.minSize || desired > group.maxSize) {
            problems.push(problem(at("desiredSize"), `expected a size within ${group.minSize}..${group.maxSize} in node group ${group.name}, got ${desired}`));
        }
        if (group.instanceTypes.length === 0) problems.push(problem(at("instanceTypes"), `expected at least one instance type in node group ${group.name}`));
    });
    const deployer = managed.deployerAccess;
    if (deployer?.endpoint === "public" && deployer.cidrs.length === 0) {
        problems.push(problem(["managed", "deployerAccess", "cidrs"], "expected at least one CIDR for a public endpoint (0.0.0.0/0 is EKS's default and not Keel's)"));
    }
    (deployer?.cidrs ?? []).forEach((cidr, i) => {
        if (/\/0$/.test(cidr)) problems.push(problem(["managed", "deployerAccess", "cidrs", i], `${cidr} opens the Kubernetes API to every address; name the deployer's own CIDRs`));
    });
    const versionProblem = eksVersionProblem(managed.version ?? defaultEksVersion, on);
    if (versionProblem !== undefined) problems.push(problem(["managed", "version"], versionProblem));
    return problems;
}

/**
 * A kubeconfig for an EKS cluster that authenticates with `aws eks get-token` (exec
 * credential plugin, client.authentication.k8s.io/v1beta1), so no token is stored.
 */
export function eksKubeconfig(cluster: { name: string; endpoint: string; certificateAuthority: string; region: string }): string {
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: cluster.name, cluster: { server: cluster.endpoint, "certificate-authority-data": cluster.certificateAuthority } }],
        contexts: [{ name: cluster.name, context: { cluster: cluster.name, user: cluster.name } }],
        "current-context": cluster.name,
        users: [{
            name: cluster.name,
            user: {
                exec: {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: "aws",
                    args: ["eks", "get-token", "--cluster-name", cluster.name, "--region", cluster.region, "--output", "json"],
                    interactiveMode: "Never",
                },
            },
        }],
    });
}


/**
 * A Kubernetes cluster for Keel's workloads and the `k8s.Provider` that deploys to it: either
 * an EKS cluster created here — secrets envelope-encrypted with a customer-managed KMS key,
 * every control-plane log type to CloudWatch, the endpoint private unless asked, managed node
 * groups across the private subnets, the IAM OIDC provider for IAM roles for service accounts
 * and the EBS CSI driver (persistent volumes) — or an existing cluster from its kubeconfig.
 *
 * The KMS key takes `retainOnDelete` from this component's options.
 */
export class Cluster extends pulumi.ComponentResource {
    /** Deploys to the cluster. */
    public readonly provider: k8s.Provider;
    /** The kubeconfig, a secret. */
    public readonly kubeconfig: pulumi.Output<string>;
    /** Undefined for an existing cluster given without its OIDC provider. */
    public readonly oidc?: OidcProvider;
    public readonly clusterName: pulumi.Output<string | undefined>;
    public readonly endpoint: pulumi.Output<string | undefined>;
    /**
     * The cluster security group EKS creates: managed node groups without a launch template
     * use it, and pods on the VPC CNI use their node's, so rules that admit this group admit
     * the cluster's workloads (same region only; across regions admit the node subnets' CIDRs).
     */
    public readonly securityGroupId: pulumi.Output<string | undefined>;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        requireNoProblems(`Cluster ${name}`, clusterProblems(args));
        super("keel:kubernetes:Cluster", name, {}, opts);

        const created = args.managed && this.create(name, args.managed, args.tags, opts?.retainOnDelete);
        this.kubeconfig = pulumi.secret(created?.kubeconfig ?? pulumi.output(args.existing?.kubeconfig ?? ""));
        this.oidc = created?.oidc ?? args.existing?.oidc;
        this.clusterName = pulumi.output(created?.cluster.name);
        this.endpoint = pulumi.output(created?.cluster.endpoint);
        this.securityGroupId = pulumi.output(created?.securityGroupId ?? args.existing?.securityGroupId);
        this.provider = new k8s.Provider(name, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, {
            parent: this,
            // Workloads wait for nodes and the CSI driver: without them pods and volumes stay pending.
            dependsOn: created?.ready ?? [],
        });
        this.registerOutputs(publicOutputs(this));
    }

    private create(name: string, args: ManagedClusterArgs, tags: ClusterArgs["tags"], retainOnDelete: boolean | undefined) {
        const parent = { parent: this };
        const deployer = args.deployerAccess ?? { endpoint: "private", cidrs: [] };
        const role = (roleName: string, assumeRolePolicy: pulumi.Input<string>, policies: readonly string[]) => {
            const created = new aws.iam.Role(roleName, { assumeRolePolicy, tags }, parent);
            const attachments = policies.map((policy) =>
                new aws.iam.RolePolicyAttachment(`${roleName}-${policy.split("/").pop()}`, { role: created.name, policyArn: awsManagedPolicyArn(policy) }, parent));
            return { role: created, attachments };
        };

        const clusterRole = role(`${name}-cluster`, assumedBy("eks.amazonaws.com"), ["AmazonEKSClusterPolicy"]);
        const key = customerManagedKey(`${name}-secrets`, { description: `Keel EKS cluster ${name}: Kubernetes secrets`, tags }, { ...parent, retainOnDelete });
        // EKS writes control-plane logs to /aws/eks/<cluster>/cluster; creating it first sets its retention.
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-control-plane`, {
            name: `/aws/eks/${name}/cluster`,
            retentionInDays: args.logRetentionDays ?? 90,
            tags,
        }, parent);
        const cluster = new aws.eks.Cluster(name, {
            name,
            roleArn: clusterRole.role.arn,
            version: args.version ?? defaultEksVersion,
            vpcConfig: {
                subnetIds: args.subnetIds,
                endpointPrivateAccess: true,
                endpointPublicAccess: deployer.endpoint === "public",
                ...(deployer.endpoint === "public" ? { publicAccessCidrs: [...deployer.cidrs] } : {}),
            },
            encryptionConfig: { provider: { keyArn: key.arn }, resources: ["secrets"] },
            enabledClusterLogTypes: [...(args.logTypes ?? controlPlaneLogTypes)],
            // Access entries only (no aws-auth ConfigMap); the deployer becomes cluster admin.
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
            tags,
        }, { ...parent, dependsOn: [logGroup, ...clusterRole.attachments] });

        const nodeRole = role(`${name}-nodes`, assumedBy("ec2.amazonaws.com"), ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"]);
        const nodeGroups = args.nodeGroups.map((group) => new aws.eks.NodeGroup(`${name}-${group.name}`, {
            clusterName: cluster.name,
            nodeRoleArn: nodeRole.role.arn,
            subnetIds: args.subnetIds,
            instanceTypes: [...group.instanceTypes],
            capacityType: "ON_DEMAND",
            amiType: "AL2023_x86_64_STANDARD",
            diskSize: group.diskSizeGb ?? 50,
            scalingConfig: { minSize: group.minSize, maxSize: group.maxSize, desiredSize: group.desiredSize ?? group.minSize },
            updateConfig: { maxUnavailable: 1 },
            tags,
        }, { ...parent, dependsOn: nodeRole.attachments, ignoreChanges: ["scalingConfig.desiredSize"] }));

        const issuerUrl = cluster.identities.apply((ids) => ids[0]?.oidcs?.[0]?.issuer ?? "");
        // IAM trusts the EKS issuer's certificate authority itself: no thumbprint is needed (IAM guide, "Create an OpenID Connect identity provider").
        const oidcProvider = new aws.iam.OpenIdConnectProvider(`${name}-oidc`, { url: issuerUrl, clientIdLists: ["sts.amazonaws.com"], tags }, parent);
        const oidc: OidcProvider = { arn: oidcProvider.arn, issuer: issuerUrl.apply((url) => url.replace(/^https:\/\//, "")) };

        // Persistent volumes on EBS need the CSI driver (EKS >= 1.23), with its IRSA role.
        const csiRole = role(`${name}-ebs-csi`, assumedByServiceAccounts(oidc, "kube-system", ["ebs-csi-controller-sa"]), ["service-role/AmazonEBSCSIDriverPolicy"]);
        const csi = new aws.eks.Addon(`${name}-ebs-csi`, {
            clusterName: cluster.name,
            addonName: "aws-ebs-csi-driver",
            serviceAccountRoleArn: csiRole.role.arn,
            resolveConflictsOnUpdate: "OVERWRITE",
            tags,
        }, { ...parent, dependsOn: [...nodeGroups, ...csiRole.attachments] });

        const region = aws.getRegionOutput({}, parent).region;
        const kubeconfig = pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority, region]).apply(([clusterName, endpoint, ca, r]) =>
            eksKubeconfig({ name: clusterName, endpoint, certificateAuthority: ca.data ?? "", region: r }));
        const securityGroupId = cluster.vpcConfig.clusterSecurityGroupId;
        // A private endpoint is reached through the cluster security group: admit the deployer's runners on 443.
        const deployerRules = deployer.endpoint === "private"
            ? deployer.cidrs.map((cidr, i) => new aws.vpc.SecurityGroupIngressRule(`${name}-deployer-${i}`, {
                securityGroupId,
                description: "Deployer (pulumi up) to the private Kubernetes API endpoint",
                cidrIpv4: cidr,
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                tags,
            }, parent))
            : [];
        return { cluster, kubeconfig, oidc, securityGroupId, ready: [...nodeGroups, csi, ...deployerRules] };
    }
}
