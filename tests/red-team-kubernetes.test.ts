import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Policies } from "@pulumi/policy";
import { keelPolicies } from "../policies/rules";
import { workloadPolicies } from "../policies/rules/workloads";
import type { PlanResource } from "../offline-plan/record";
import { mandatoryRefusals, plannedStack, redTeam, refusesAttacks, type Attack } from "./red-team";

/**
 * A red team's pull requests against the cluster: realistic bad changes to the EKS control
 * plane, its node groups and what runs on it (the database dump CronJob, the monitoring
 * releases' values, Secrets, Services, StorageClasses), each made on a copy of the real
 * production (or staging) plan, must each be refused by the named policy at mandatory level.
 */

/** The pack, with the workload policies whether or not policies/rules/index.ts registers them yet. */
const pack: Policies = [...keelPolicies, ...workloadPolicies.filter((p) => !keelPolicies.some((k) => k.name === p.name))];

type Json = Record<string, unknown>;

const named = (resources: PlanResource[], type: string, name: string): Json => {
    const found = resources.find((r) => r.type === type && r.name === name);
    assert.ok(found, `the plan has no ${type} named ${name}`);
    return found.inputs as Json;
};
const at = (value: unknown, ...path: (string | number)[]): Json =>
    path.reduce<Json>((o, key) => {
        const next = (o as Record<string | number, unknown>)[key];
        assert.ok(typeof next === "object" && next !== null, `no ${String(key)} in ${JSON.stringify(o).slice(0, 80)}`);
        return next as Json;
    }, value as Json);

const types = {
    cluster: "aws:eks/cluster:Cluster",
    nodeGroup: "aws:eks/nodeGroup:NodeGroup",
    cronJob: "kubernetes:batch/v1:CronJob",
    release: "kubernetes:helm.sh/v3:Release",
    secret: "kubernetes:core/v1:Secret",
    service: "kubernetes:core/v1:Service",
    storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
    claim: "kubernetes:core/v1:PersistentVolumeClaim",
} as const;

const cluster = (rs: PlanResource[]) => named(rs, types.cluster, "monitoring");
const vpc = (rs: PlanResource[]) => at(cluster(rs), "vpcConfig");
const nodes = (rs: PlanResource[]) => named(rs, types.nodeGroup, "monitoring-general");
const dumpPod = (rs: PlanResource[]) => at(named(rs, types.cronJob, "database-dumps"), "spec", "jobTemplate", "spec", "template", "spec");
const dumpContainer = (rs: PlanResource[], i = 0) => at(dumpPod(rs), "initContainers", i);
const values = (rs: PlanResource[], release: string) => at(named(rs, types.release, `monitoring-${release}`), "values");
const stackValues = (rs: PlanResource[]) => values(rs, "kube-prometheus-stack");
const grafana = (rs: PlanResource[]) => at(stackValues(rs), "grafana");
const b64 = (s: string) => Buffer.from(s).toString("base64");

const controlPlane: Attack[] = [
    ["a public API endpoint with no CIDRs (EKS admits 0.0.0.0/0)", "keel-eks-endpoint-access", (rs) => { vpc(rs).endpointPublicAccess = true; }],
    ["a public API endpoint open to 0.0.0.0/0", "keel-eks-endpoint-access", (rs) => Object.assign(vpc(rs), { endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] })],
    ["a public API endpoint open to ::/0 beside the runner's address", "keel-eks-endpoint-access", (rs) => Object.assign(vpc(rs), { endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.10/32", "::/0"] })],
    ["the world split in two halves", "keel-eks-endpoint-access", (rs) => Object.assign(vpc(rs), { endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/1", "128.0.0.0/1"] })],
    ["endpointPublicAccess removed (EKS's default is public)", "keel-eks-endpoint-access", (rs) => { delete vpc(rs).endpointPublicAccess; }],
    ["a public endpoint as the string \"true\" with an empty CIDR list", "keel-eks-endpoint-access", (rs) => Object.assign(vpc(rs), { endpointPublicAccess: "true", publicAccessCidrs: [] })],
    ["secrets encryption removed", "keel-eks-secrets-encryption", (rs) => { delete cluster(rs).encryptionConfig; }],
    ["secrets no longer among the encrypted resources", "keel-eks-secrets-encryption", (rs) => { at(cluster(rs), "encryptionConfig").resources = []; }],
    ["secrets encrypted with the AWS-managed key", "keel-eks-secrets-encryption", (rs) => { at(cluster(rs), "encryptionConfig", "provider").keyArn = "arn:aws:kms:us-east-1:123456789012:alias/aws/eks"; }],
    ["secrets encryption without a key", "keel-eks-secrets-encryption", (rs) => { delete at(cluster(rs), "encryptionConfig", "provider").keyArn; }],
    ["control-plane logging removed", "keel-eks-control-plane-logs", (rs) => { delete cluster(rs).enabledClusterLogTypes; }],
    ["control-plane logging emptied", "keel-eks-control-plane-logs", (rs) => { cluster(rs).enabledClusterLogTypes = []; }],
    ["audit logs dropped to save cost", "keel-eks-control-plane-logs", (rs) => { cluster(rs).enabledClusterLogTypes = ["api", "authenticator", "controllerManager", "scheduler"]; }],
    ["scheduler and controller-manager logs dropped in production", "keel-eks-control-plane-logs", (rs) => { cluster(rs).enabledClusterLogTypes = ["api", "audit", "authenticator"]; }],
    ["SSH to the nodes from anywhere", "keel-eks-node-ssh", (rs) => { nodes(rs).remoteAccess = { ec2SshKey: "ops-debug" }; }],
    ["SSH to the nodes with an empty source list", "keel-eks-node-ssh", (rs) => { nodes(rs).remoteAccess = { ec2SshKey: "ops-debug", sourceSecurityGroupIds: [] }; }],
];

const podSecurity: Attack[] = [
    ["a privileged dump container", "keel-k8s-pod-security", (rs) => { at(dumpContainer(rs), "securityContext").privileged = true; }],
    ["privilege escalation allowed in the upload step", "keel-k8s-pod-security", (rs) => { at(dumpContainer(rs, 1), "securityContext").allowPrivilegeEscalation = true; }],
    ["the dump job running as root (runAsUser 0)", "keel-k8s-pod-security", (rs) => { at(dumpPod(rs), "securityContext").runAsUser = 0; }],
    ["runAsNonRoot turned off", "keel-k8s-pod-security", (rs) => { at(dumpPod(rs), "securityContext").runAsNonRoot = false; }],
    ["the pod security context deleted (postgres's image runs as root)", "keel-k8s-pod-security", (rs) => { delete dumpPod(rs).securityContext; }],
    ["a container's security context deleted", "keel-k8s-pod-security", (rs) => { delete dumpContainer(rs).securityContext; }],
    ["a container overriding the pod to root", "keel-k8s-pod-security", (rs) => { at(dumpContainer(rs), "securityContext").runAsUser = 0; }],
    ["the dump job on the host network", "keel-k8s-pod-security", (rs) => { dumpPod(rs).hostNetwork = true; }],
    ["the dump job in the host PID namespace", "keel-k8s-pod-security", (rs) => { dumpPod(rs).hostPID = true; }],
    ["SYS_ADMIN added", "keel-k8s-pod-security", (rs) => { at(dumpContainer(rs), "securityContext", "capabilities").add = ["SYS_ADMIN"]; }],
    ["NET_ADMIN added in lower case with the CAP_ prefix", "keel-k8s-pod-security", (rs) => { at(dumpContainer(rs), "securityContext", "capabilities").add = ["cap_net_admin"]; }],
    ["the host's root filesystem mounted", "keel-k8s-pod-security", (rs) => { (dumpPod(rs).volumes as unknown[]).push({ name: "host", hostPath: { path: "/" } }); }],
    ["the docker socket mounted through /var/log/..", "keel-k8s-pod-security", (rs) => { (dumpPod(rs).volumes as unknown[]).push({ name: "sock", hostPath: { path: "/var/log/../run/docker.sock" } }); }],
    ["seccomp unconfined", "keel-k8s-pod-security", (rs) => { at(dumpPod(rs), "securityContext").seccompProfile = { type: "Unconfined" }; }],
    ["Alloy privileged through its values", "keel-k8s-pod-security", (rs) => { at(values(rs, "alloy"), "alloy").securityContext = { privileged: true }; }],
    ["Alloy on the host network through its values", "keel-k8s-pod-security", (rs) => { at(values(rs, "alloy"), "controller").hostNetwork = true; }],
    ["Alloy mounting / through an extra volume", "keel-k8s-pod-security", (rs) => { at(values(rs, "alloy"), "controller").volumes = { extra: [{ name: "root", hostPath: { path: "/" } }] }; }],
    ["Grafana running as root through the stack's values", "keel-k8s-pod-security", (rs) => { grafana(rs).securityContext = { runAsUser: 0, runAsGroup: 0, fsGroup: 0 }; }],
    ["Prometheus with runAsNonRoot false", "keel-k8s-pod-security", (rs) => { at(stackValues(rs), "prometheus", "prometheusSpec").securityContext = { runAsNonRoot: false }; }],
    ["a privileged sidecar given as a YAML string", "keel-k8s-pod-security", (rs) => { at(values(rs, "jaeger"), "jaeger").extraContainers = "- name: debug\n  image: busybox:1.36\n  securityContext:\n    privileged: true\n"; }],
];

const images: Attack[] = [
    ["the postgres exporter on latest", "keel-k8s-pinned-images", (rs) => { at(values(rs, "postgres-exporter"), "image").tag = "latest"; }],
    ["Grafana following its main branch", "keel-k8s-pinned-images", (rs) => { grafana(rs).image = { repository: "grafana/grafana", tag: "main" }; }],
    ["Grafana's image as an untagged string", "keel-k8s-pinned-images", (rs) => { grafana(rs).image = "grafana/grafana"; }],
    ["Loki on latest", "keel-k8s-pinned-images", (rs) => { values(rs, "loki").loki = { ...at(values(rs, "loki"), "loki"), image: { tag: "latest" } }; }],
    ["the dump step on an untagged postgres", "keel-k8s-pinned-images", (rs) => { dumpContainer(rs).image = "postgres"; }],
    ["the upload step on aws-cli:latest", "keel-k8s-pinned-images", (rs) => { dumpContainer(rs, 1).image = "amazon/aws-cli:latest"; }],
    ["the publish step on a moving tag", "keel-k8s-pinned-images", (rs) => { at(dumpPod(rs), "containers", 0).image = "curlimages/curl:stable"; }],
];

const grafanaAccess: Attack[] = [
    ["Grafana anonymous access in grafana.ini", "keel-grafana-no-anonymous-access", (rs) => { grafana(rs)["grafana.ini"] = { "auth.anonymous": { enabled: true, org_role: "Viewer" } }; }],
    ["Grafana anonymous access as the string \"true\" in nested sections", "keel-grafana-no-anonymous-access", (rs) => { grafana(rs)["grafana.ini"] = { auth: { anonymous: { enabled: "true" } } }; }],
    ["Grafana anonymous access through env", "keel-grafana-no-anonymous-access", (rs) => { grafana(rs).env = { GF_AUTH_ANONYMOUS_ENABLED: "true" }; }],
    ["Grafana open to self sign-up", "keel-grafana-no-anonymous-access", (rs) => { grafana(rs)["grafana.ini"] = { users: { allow_sign_up: true } }; }],
    ["Grafana anonymous access through an extraEnv list", "keel-grafana-no-anonymous-access", (rs) => { grafana(rs).extraEnv = [{ name: "GF_AUTH_ANONYMOUS_ENABLED", value: "True" }]; }],
    ["Grafana anonymous access in grafana.ini text", "keel-grafana-no-anonymous-access", (rs) => { grafana(rs)["grafana.ini"] = "[auth.anonymous]\nenabled = yes\n"; }],
    ["Grafana's admin Secret reference removed (the chart's prom-operator applies)", "keel-grafana-no-anonymous-access", (rs) => { delete grafana(rs).admin; }],
];

/** A Kubernetes object a pull request adds beside the monitoring stack. */
const added = (resources: PlanResource[], type: string, name: string, inputs: Json) => {
    const parent = "urn:pulumi:production::keel::keel:monitoring:KubernetesMonitoring::monitoring";
    const provider = resources.find((r) => r.type === "pulumi:providers:kubernetes")?.urn ?? null;
    resources.push({ urn: `urn:pulumi:production::keel::keel:monitoring:KubernetesMonitoring$${type}::${name}`, type, name, parent, provider, region: null, custom: true, inputs, protect: false, retainOnDelete: false, dependencies: [] });
};
const rbacApi = "kubernetes:rbac.authorization.k8s.io/v1";

const clusterAccess: Attack[] = [
    ["cluster-admin for the monitoring namespace's default service account", "keel-k8s-rbac", (rs) => added(rs, `${rbacApi}:ClusterRoleBinding`, "monitoring-admin", {
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
        subjects: [{ kind: "ServiceAccount", name: "default", namespace: "monitoring" }],
    })],
    ["a read role bound to unauthenticated callers", "keel-k8s-rbac", (rs) => added(rs, `${rbacApi}:ClusterRoleBinding`, "public-view", {
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
        subjects: [{ kind: "Group", name: "system:unauthenticated", apiGroup: "rbac.authorization.k8s.io" }],
    })],
    ["a wildcard ClusterRole for a debug tool", "keel-k8s-rbac", (rs) => added(rs, `${rbacApi}:ClusterRole`, "debug", { rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }] })],
    ["a privileged debug pod added", "keel-k8s-pod-security", (rs) => added(rs, "kubernetes:core/v1:Pod", "node-shell", {
        metadata: { name: "node-shell", namespace: "monitoring" },
        spec: { hostPID: true, containers: [{ name: "shell", image: "alpine:3.20", securityContext: { privileged: true }, resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } } }] },
    })],
    ["the backup namespace opened to privileged pods", "keel-k8s-pod-security", (rs) => {
        const namespace = named(rs, "kubernetes:core/v1:Namespace", "database-dumps");
        at(namespace, "metadata").labels = { "pod-security.kubernetes.io/enforce": "privileged" };
    }],
];

const secrets: Attack[] = [
    ["Grafana's admin Secret with the chart's default password", "keel-k8s-secret-values", (rs) => { named(rs, types.secret, "monitoring-grafana-admin").stringData = { "admin-user": "admin", "admin-password": "prom-operator" }; }],
    ["the exporter's password in base64 data", "keel-k8s-secret-values", (rs) => {
        const secret = named(rs, types.secret, "monitoring-postgres-exporter-credentials");
        delete secret.stringData;
        secret.data = { username: b64("keel"), password: b64("hunter22") };
    }],
    ["the dump job's database password written out", "keel-k8s-secret-values", (rs) => { named(rs, types.secret, "database-dumps-credentials").stringData = { username: "keel", password: "changeme123" }; }],
    ["an Alertmanager credential shortened to a test token", "keel-k8s-secret-values", (rs) => { named(rs, types.secret, "monitoring-alertmanager-credentials").stringData = { "smtp-password": "x9Tq2" }; }],
];

const services: Attack[] = [
    ["Prometheus behind an internet-facing load balancer", "keel-k8s-internal-services", (rs) => { at(named(rs, types.service, "monitoring-prometheus"), "spec").type = "LoadBalancer"; }],
    ["Alertmanager on a NodePort", "keel-k8s-internal-services", (rs) => { at(named(rs, types.service, "monitoring-alertmanager"), "spec").type = "NodePort"; }],
    ["Loki's gateway with an explicit internet-facing scheme", "keel-k8s-internal-services", (rs) => {
        const service = named(rs, types.service, "monitoring-loki");
        at(service, "spec").type = "LoadBalancer";
        at(service, "metadata").annotations = { "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing" };
    }],
    ["Prometheus with externalIPs", "keel-k8s-internal-services", (rs) => { at(named(rs, types.service, "monitoring-prometheus"), "spec").externalIPs = ["203.0.113.50"]; }],
    ["Grafana's service made a LoadBalancer through values", "keel-k8s-internal-services", (rs) => { at(grafana(rs), "service").type = "LoadBalancer"; }],
    ["Alertmanager's service made a NodePort through values", "keel-k8s-internal-services", (rs) => { at(stackValues(rs), "alertmanager").service = { type: "NodePort" }; }],
    ["Grafana behind an internet-facing ALB ingress", "keel-k8s-internal-services", (rs) => { grafana(rs).ingress = { enabled: true, ingressClassName: "alb", annotations: { "alb.ingress.kubernetes.io/scheme": "internet-facing" } }; }],
];

const storage: Attack[] = [
    ["the monitoring StorageClass unencrypted", "keel-k8s-encrypted-storage", (rs) => { at(named(rs, types.storageClass, "monitoring-gp3"), "parameters").encrypted = "false"; }],
    ["the encrypted parameter removed", "keel-k8s-encrypted-storage", (rs) => { delete at(named(rs, types.storageClass, "monitoring-gp3"), "parameters").encrypted; }],
    ["the scratch class on the in-tree provisioner", "keel-k8s-encrypted-storage", (rs) => { named(rs, types.storageClass, "database-dumps-scratch").provisioner = "kubernetes.io/aws-ebs"; }],
    ["Prometheus on EKS's default gp2", "keel-k8s-encrypted-storage", (rs) => { at(stackValues(rs), "prometheus", "prometheusSpec", "storageSpec", "volumeClaimTemplate", "spec").storageClassName = "gp2"; }],
    ["Loki's write path on gp2", "keel-k8s-encrypted-storage", (rs) => { at(values(rs, "loki"), "write", "persistence").storageClass = "gp2"; }],
    ["Jaeger's claim without a storage class", "keel-k8s-encrypted-storage", (rs) => { delete at(named(rs, types.claim, "monitoring-jaeger-data"), "spec").storageClassName; }],
    ["the dump scratch volume on gp2", "keel-k8s-encrypted-storage", (rs) => { at(dumpPod(rs), "volumes", 0, "ephemeral", "volumeClaimTemplate", "spec").storageClassName = "gp2"; }],
];

describe("red team: the cluster and its workloads in production", () => {
    const plan = plannedStack("production");
    const drMode = plannedStack("production", ["keel:dr.active=true"]);

    test("the clean production plans (and DR mode) pass", async () => {
        assert.deepEqual(await mandatoryRefusals(plan().resources, pack, "production"), []);
        assert.deepEqual(await mandatoryRefusals(drMode().resources, pack, "production"), []);
    });

    describe("control plane and nodes", () => refusesAttacks(plan, pack, "production", controlPlane));
    describe("pod security", () => refusesAttacks(plan, pack, "production", podSecurity));
    describe("pinned images", () => refusesAttacks(plan, pack, "production", images));
    describe("Grafana access", () => refusesAttacks(plan, pack, "production", grafanaAccess));
    describe("Kubernetes Secrets", () => refusesAttacks(plan, pack, "production", secrets));
    describe("cluster access", () => refusesAttacks(plan, pack, "production", clusterAccess));
    describe("Services", () => refusesAttacks(plan, pack, "production", services));
    describe("storage", () => refusesAttacks(plan, pack, "production", storage));
});

const staging: Attack[] = [
    ["a public endpoint open to the world", "keel-eks-endpoint-access", (rs) => Object.assign(vpc(rs), { endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] })],
    ["audit logs dropped", "keel-eks-control-plane-logs", (rs) => { cluster(rs).enabledClusterLogTypes = ["api"]; }],
    ["SSH to the nodes from anywhere", "keel-eks-node-ssh", (rs) => { nodes(rs).remoteAccess = { ec2SshKey: "ops-debug" }; }],
    ["a privileged dump container", "keel-k8s-pod-security", (rs) => { at(dumpContainer(rs), "securityContext").privileged = true; }],
    ["Grafana anonymous access", "keel-grafana-no-anonymous-access", (rs) => { grafana(rs)["grafana.ini"] = { "auth.anonymous": { enabled: true } }; }],
    ["Grafana on a public load balancer", "keel-k8s-internal-services", (rs) => { at(grafana(rs), "service").type = "LoadBalancer"; }],
    ["an unencrypted StorageClass", "keel-k8s-encrypted-storage", (rs) => { at(named(rs, types.storageClass, "monitoring-gp3"), "parameters").encrypted = "false"; }],
];

describe("red team: the cluster and its workloads in staging", () => redTeam("the clean staging plan passes", pack, "staging", [], staging));
