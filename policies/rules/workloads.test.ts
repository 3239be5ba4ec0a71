import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { found, messages, provider, resource, runPolicy } from "../testing";
import { isAllowedHostPath, known, withEmbeddedYaml } from "./kubernetes-manifests";
import { encryptedStorage, grafanaAccess, internalServices, parseIni, podSecurity, rbac, secretValuesPolicy, weakness } from "./workloads";

const cluster = provider({ name: "cluster", type: "pulumi:providers:kubernetes" });

const restrictedContainer = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
const guideResources = { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "512Mi" } };

function container(name: string, securityContext: Record<string, unknown> = restrictedContainer, changes: Record<string, unknown> = {}): Record<string, unknown> {
    return { name, image: "postgres:15.14-bookworm", resources: guideResources, securityContext, ...changes };
}

/** The pod spec of components/backup/dump-job.ts: uid 999, non-root, RuntimeDefault seccomp, every container restricted. */
function dumpPod(changes: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        restartPolicy: "Never",
        serviceAccountName: "database-dumps",
        securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } },
        initContainers: [container("dump"), container("upload")],
        containers: [container("publish")],
        volumes: [
            { name: "work", ephemeral: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], storageClassName: "database-dumps-scratch", resources: { requests: { storage: "500Gi" } } } } } },
            { name: "scripts", configMap: { name: "database-dumps-script", defaultMode: 365 } },
            { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
        ],
        ...changes,
    };
}

const cronJob = (pod: Record<string, unknown> = dumpPod(), name = "database-dumps") =>
    resource("kubernetes:batch/v1:CronJob", { metadata: { name, namespace: "backup" }, spec: { schedule: "30 4 * * *", jobTemplate: { spec: { template: { spec: pod } } } } }, { name, provider: cluster });
const deployment = (pod: Record<string, unknown>, name = "api", type = "kubernetes:apps/v1:Deployment") =>
    resource(type, { metadata: { name }, spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: pod } } }, { name, provider: cluster });
const release = (name: string, values: unknown, chart = "kube-prometheus-stack") =>
    resource("kubernetes:helm.sh/v3:Release", { chart, version: "1.0.0", namespace: "monitoring", values }, { name, provider: cluster });

describe("workload policies", () => {
});

describe("keel-k8s-pod-security", () => {
    const why = {
        privileged: 'runs privileged: root on the node (Pod Security Standards, baseline: "Privileged Containers")',
        escalation: 'allows privilege escalation (Pod Security Standards, restricted: "Privilege Escalation")',
        root: 'runs as root, runAsUser 0 (Pod Security Standards, restricted: "Running as Non-root user")',
        mayBeRoot: 'may run as root, runAsNonRoot false (Pod Security Standards, restricted: "Running as Non-root")',
    };

    test("passes the database dump CronJob (uid 999, non-root) and a KubeService Deployment", async () => {
        const kubeService = { automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } }, containers: [container("api")] };
        assert.deepEqual(await found(podSecurity, [cronJob(), deployment(kubeService)]), []);
    });

    test("refuses privileged containers, privilege escalation and root, at the pod or the container level", async () => {
        const plan = [
            cronJob(dumpPod({ containers: [container("publish", { ...restrictedContainer, privileged: true })] })),
            cronJob(dumpPod({ containers: [container("publish", { ...restrictedContainer, allowPrivilegeEscalation: true })] }), "escalates"),
            cronJob(dumpPod({ securityContext: { runAsNonRoot: true, runAsUser: 0, seccompProfile: { type: "RuntimeDefault" } } }), "root"),
            cronJob(dumpPod({ containers: [container("publish", { ...restrictedContainer, runAsNonRoot: false })] }), "maybe-root"),
        ];
        assert.deepEqual(await found(podSecurity, plan), [
            `CronJob "database-dumps": container "publish" ${why.privileged}`,
            `CronJob "escalates": container "publish" ${why.escalation}`,
            `CronJob "root": the pod ${why.root}`,
            `CronJob "maybe-root": container "publish" ${why.mayBeRoot}`,
        ]);
        const violations = await runPolicy(podSecurity, [plan[0]]);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::kubernetes:batch/v1:CronJob::database-dumps");
    });

    test("refuses host namespaces, host ports, added capabilities and host paths outside the allow-list", async () => {
        const pod = dumpPod({
            hostNetwork: true,
            hostPID: true,
            hostIPC: "true",
            containers: [container("publish", { ...restrictedContainer, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE", "sys_admin", "CAP_NET_ADMIN"] } }, { ports: [{ containerPort: 8080, hostPort: 8080 }] })],
            volumes: [...(dumpPod().volumes as unknown[]), { name: "root", hostPath: { path: "/" } }, { name: "sneaky", hostPath: { path: "/var/log/../../etc" } }],
        });
        assert.deepEqual(await found(podSecurity, [cronJob(pod)]), [
            'CronJob "database-dumps": hostNetwork: true shares the node\'s namespace (Pod Security Standards, baseline: "Host Namespaces")',
            'CronJob "database-dumps": hostPID: true shares the node\'s namespace (Pod Security Standards, baseline: "Host Namespaces")',
            'CronJob "database-dumps": hostIPC: true shares the node\'s namespace (Pod Security Standards, baseline: "Host Namespaces")',
            'CronJob "database-dumps": volume "root" mounts the host path / (Pod Security Standards, baseline: "HostPath Volumes"; allowed: /var/log, /var/lib/docker/containers)',
            'CronJob "database-dumps": volume "sneaky" mounts the host path /var/log/../../etc (Pod Security Standards, baseline: "HostPath Volumes"; allowed: /var/log, /var/lib/docker/containers)',
            'CronJob "database-dumps": container "publish" adds the capabilities SYS_ADMIN, NET_ADMIN (Pod Security Standards, restricted: "Capabilities": only NET_BIND_SERVICE)',
            'CronJob "database-dumps": container "publish" binds host port 8080 (Pod Security Standards, baseline: "Host Ports")',
        ]);
    });

    test("allows a read-only /var/log host path, and refuses it writable", async () => {
        const logs = { name: "varlog", hostPath: { path: "/var/log" } };
        const reader = (readOnly: boolean) => container("agent", restrictedContainer, { volumeMounts: [{ name: "varlog", mountPath: "/var/log", readOnly }] });
        const agent = (readOnly: boolean) => deployment(dumpPod({ initContainers: [], containers: [reader(readOnly)], volumes: [logs] }), "agent", "kubernetes:apps/v1:DaemonSet");
        assert.deepEqual(await found(podSecurity, [agent(true)]), []);
        assert.deepEqual(await found(podSecurity, [agent(false)]), ['DaemonSet "agent": container "agent" mounts the host path volume "varlog" writable']);
    });

    test("requires the restricted profile of full workloads: runAsNonRoot, allowPrivilegeEscalation false, drop ALL, seccomp", async () => {
        const bare = dumpPod({ securityContext: undefined, initContainers: [], containers: [{ name: "publish", image: "curlimages/curl:8.16.0", resources: guideResources }] });
        assert.deepEqual(await found(podSecurity, [cronJob(bare)]), [
            'CronJob "database-dumps": container "publish" does not set runAsNonRoot: the image\'s user, often root, applies (Pod Security Standards, restricted: "Running as Non-root")',
            'CronJob "database-dumps": container "publish" does not set allowPrivilegeEscalation false: Kubernetes allows it by default (Pod Security Standards, restricted: "Privilege Escalation")',
            'CronJob "database-dumps": container "publish" does not drop ALL capabilities (Pod Security Standards, restricted: "Capabilities")',
            'CronJob "database-dumps": container "publish" sets no seccomp profile, RuntimeDefault or Localhost (Pod Security Standards, restricted: "Seccomp")',
        ]);
        const nfs = dumpPod({ volumes: [{ name: "share", nfs: { server: "10.0.0.5", path: "/" } }] });
        assert.deepEqual(await found(podSecurity, [cronJob(nfs)]), ['CronJob "database-dumps": volume "share" is of type nfs (Pod Security Standards, restricted: "Volume Types")']);
    });

    test("judges patches, Prometheus Operator resources and ConfigGroup manifests on what they set", async () => {
        const patch = resource("kubernetes:apps/v1:DaemonSetPatch", { metadata: { name: "aws-node", namespace: "kube-system" }, spec: { template: { spec: { containers: [{ name: "aws-node", env: [] }] } } } }, { name: "cni", provider: cluster });
        const privilegedPatch = resource("kubernetes:apps/v1:DaemonSetPatch", { spec: { template: { spec: { hostPID: true } } } }, { name: "cni-pid", provider: cluster });
        const prometheus = resource("kubernetes:monitoring.coreos.com/v1:Prometheus", { spec: { securityContext: { runAsUser: 0 } } }, { name: "prometheus", provider: cluster });
        const group = resource("kubernetes:yaml/v2:ConfigGroup", { yaml: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\nspec:\n  hostNetwork: true\n  containers:\n  - name: sh\n    image: alpine:3.20\n    securityContext: {privileged: true}\n" }, { name: "extras", provider: cluster });
        assert.deepEqual(await found(podSecurity, [patch]), []);
        assert.deepEqual(await found(podSecurity, [privilegedPatch, prometheus]), [
            'DaemonSet "cni-pid": hostPID: true shares the node\'s namespace (Pod Security Standards, baseline: "Host Namespaces")',
            `Prometheus "prometheus": the pod ${why.root}`,
        ]);
        const fromGroup = await found(podSecurity, [group]);
        assert.ok(fromGroup.includes('Pod "extras/debug": hostNetwork: true shares the node\'s namespace (Pod Security Standards, baseline: "Host Namespaces")'), fromGroup.join("\n"));
        assert.ok(fromGroup.includes(`Pod "extras/debug": container "sh" ${why.privileged}`), fromGroup.join("\n"));
    });

    test("passes Keel's chart values (Alloy reads /var/log through the chart's own switch)", async () => {
        const alloy = release("monitoring-alloy", { controller: { type: "daemonset" }, alloy: { mounts: { varlog: true }, resources: guideResources } }, "alloy");
        const grafana = release("monitoring-kube-prometheus-stack", { grafana: { admin: { existingSecret: "grafana-admin" } }, prometheus: { prometheusSpec: { replicas: 2 } } });
        assert.deepEqual(await found(podSecurity, [alloy, grafana]), []);
    });

    test("refuses privileged, root, host namespaces, capabilities and host paths in Helm values, also in nested YAML strings", async () => {
        const values = {
            alloy: { securityContext: { privileged: true, runAsUser: 0, capabilities: { add: ["SYS_ADMIN"] } }, mounts: { extra: [{ name: "root", hostPath: { path: "/" } }] } },
            controller: { hostNetwork: true, hostPID: "true" },
            grafana: { containerSecurityContext: { allowPrivilegeEscalation: true }, securityContext: { runAsNonRoot: false } },
            extraContainers: "- name: debug\n  image: busybox:1.36\n  securityContext:\n    privileged: true\n",
        };
        assert.deepEqual(await found(podSecurity, [release("monitoring-alloy", values, "alloy")]), [
            'Helm release "monitoring-alloy": values.alloy.securityContext.privileged is true: a privileged container is root on the node (Pod Security Standards, baseline: "Privileged Containers")',
            'Helm release "monitoring-alloy": values.alloy.securityContext.runAsUser is 0: root (Pod Security Standards, restricted: "Running as Non-root user")',
            'Helm release "monitoring-alloy": values.alloy.securityContext.capabilities.add adds SYS_ADMIN (Pod Security Standards, restricted: "Capabilities")',
            'Helm release "monitoring-alloy": values.alloy.mounts.extra.0.hostPath mounts the host path / (Pod Security Standards, baseline: "HostPath Volumes")',
            'Helm release "monitoring-alloy": values.controller.hostNetwork is true: the node\'s namespace (Pod Security Standards, baseline: "Host Namespaces")',
            'Helm release "monitoring-alloy": values.controller.hostPID is true: the node\'s namespace (Pod Security Standards, baseline: "Host Namespaces")',
            'Helm release "monitoring-alloy": values.grafana.containerSecurityContext.allowPrivilegeEscalation is true (Pod Security Standards, restricted: "Privilege Escalation")',
            'Helm release "monitoring-alloy": values.grafana.securityContext.runAsNonRoot is false (Pod Security Standards, restricted: "Running as Non-root")',
            'Helm release "monitoring-alloy": values.extraContainers.0.securityContext.privileged is true: a privileged container is root on the node (Pod Security Standards, baseline: "Privileged Containers")',
        ]);
    });

    test("reads a capability given as a string rather than a list", async () => {
        const pod = dumpPod({ containers: [container("publish", { ...restrictedContainer, capabilities: { drop: ["ALL"], add: "SYS_PTRACE" } })] });
        assert.deepEqual(await found(podSecurity, [cronJob(pod)]), ['CronJob "database-dumps": container "publish" adds the capabilities SYS_PTRACE (Pod Security Standards, restricted: "Capabilities": only NET_BIND_SERVICE)']);
    });

    test("allowedCapabilities and allowedHostPaths come from config", async () => {
        const pod = dumpPod({ containers: [container("publish", { ...restrictedContainer, capabilities: { drop: ["ALL"], add: ["NET_RAW"] } })] });
        assert.equal((await found(podSecurity, [cronJob(pod)])).length, 1);
        assert.deepEqual(await found(podSecurity, [cronJob(pod)], { "keel-k8s-pod-security": { allowedCapabilities: ["NET_BIND_SERVICE", "NET_RAW"] } }), []);
    });

    test("isAllowedHostPath resolves .. and needs a directory boundary", () => {
        const allowed = ["/var/log"];
        assert.equal(isAllowedHostPath("/var/log", allowed), true);
        assert.equal(isAllowedHostPath("/var/log/pods/", allowed), true);
        for (const path of ["/var/logs", "/var/log/../run/docker.sock", "var/log", "/"]) assert.equal(isAllowedHostPath(path, allowed), false, path);
    });
});

describe("keel-k8s-pod-security: namespaces", () => {
    test("refuses a namespace that enforces the privileged profile, and passes baseline", async () => {
        const namespace = (enforce: string) => resource("kubernetes:core/v1:Namespace", { metadata: { name: "backup", labels: { "pod-security.kubernetes.io/enforce": enforce } } }, { name: "database-dumps", provider: cluster });
        assert.deepEqual(await found(podSecurity, [namespace("restricted")]), []);
        assert.deepEqual(await found(podSecurity, [namespace("privileged")]), ['Namespace "database-dumps" enforces the privileged Pod Security Standard: admission lets any pod in (use baseline or restricted)']);
    });
});

describe("keel-k8s-rbac", () => {
    const binding = (roleRef: string, subjects: Record<string, unknown>[], name = "grant") =>
        resource("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", { roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleRef }, subjects }, { name, provider: cluster });
    const role = (rules: Record<string, unknown>[]) => resource("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", { rules }, { name: "reader", provider: cluster });

    test("passes narrow roles and bindings to service accounts", async () => {
        assert.deepEqual(await found(rbac, [
            role([{ apiGroups: [""], resources: ["pods", "nodes"], verbs: ["get", "list", "watch"] }]),
            binding("reader", [{ kind: "ServiceAccount", name: "alloy", namespace: "monitoring" }]),
        ]), []);
    });

    test("refuses bindings to everyone, cluster-admin outside the allow-list and wildcard roles", async () => {
        const violations = await runPolicy(rbac, [
            binding("view", [{ kind: "Group", name: "system:unauthenticated", apiGroup: "rbac.authorization.k8s.io" }]),
            binding("cluster-admin", [{ kind: "ServiceAccount", name: "default", namespace: "monitoring" }], "admin"),
            role([{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]),
        ]);
        assert.deepEqual(messages(violations), [
            'ClusterRoleBinding "grant" binds view to system:unauthenticated: every caller of the API server (CIS Kubernetes 5.1.1)',
            'ClusterRoleBinding "admin" makes system:serviceaccount:monitoring:default cluster-admin (CIS Kubernetes 5.1.1: cluster-admin only where required)',
            'ClusterRole "reader" allows every verb on every resource (CIS Kubernetes 5.1.3: minimize wildcards in Roles)',
        ]);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding::grant");
        const allowed = { "keel-k8s-rbac": { allowedClusterAdmins: ["system:serviceaccount:monitoring:default"] } };
        assert.deepEqual(await found(rbac, [binding("cluster-admin", [{ kind: "ServiceAccount", name: "default", namespace: "monitoring" }])], allowed), []);
    });
});

describe("keel-k8s-secret-values", () => {
    const secret = (inputs: Record<string, unknown>, name = "grafana-admin") => resource("kubernetes:core/v1:Secret", { metadata: { name }, ...inputs }, { name, provider: cluster });
    const refusal = (at: string, name = "grafana-admin") => `Secret "${name}" holds a plain-text credential at ${at}: generate it (random.RandomPassword) or take it from secret config (Kubernetes "Good practices for Kubernetes Secrets")`;

    test("passes secret values, generated passwords, usernames and strong values from secret config", async () => {
        const plan = [
            secret({ stringData: "[secret]" }),
            secret({ stringData: { "admin-user": "admin", "admin-password": "q8ZkR2vN7xTt4mWc9LpB3hYs6DfG1jKa" } }, "generated"),
            secret({ stringData: { username: "keel", password: "[secret]" } }, "exporter"),
            secret({ stringData: { "pagerduty-routing-key": "e93facc04764012d7bfb002500d5d1a6", "slack-webhook-url": "https://hooks.slack.com/services/T0A1B2C3D/B0E4F5G6H/QxV7rT2mZ9kLpW3nY8cJ" } }, "alertmanager-credentials"),
        ];
        assert.deepEqual(await found(secretValuesPolicy, plan), []);
    });

    test("refuses defaults, placeholders and short values in stringData and (base64) data, never printing them", async () => {
        const violations = await runPolicy(secretValuesPolicy, [
            secret({ stringData: { "admin-user": "admin", "admin-password": "prom-operator" } }),
            secret({ data: { password: Buffer.from("hunter22").toString("base64") } }, "db"),
            secret({ stringData: { "api-token": "x7Kq2" } }, "token"),
            secret({ stringData: { "smtp-password": "Sup3rS3cr3t-2024!" } }, "smtp"),
        ]);
        assert.deepEqual(messages(violations), [
            refusal("stringData.admin-password (a well-known default or placeholder)"),
            refusal("data.password (a well-known default or placeholder)", "db"),
            refusal("stringData.api-token (shorter than 16 characters)", "token"),
            refusal("stringData.smtp-password (a well-known default or placeholder)", "smtp"),
        ]);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::kubernetes:core/v1:Secret::grafana-admin");
        assert.ok(violations.every((v) => !/prom-operator|hunter22|x7Kq2|Sup3r/.test(v.message)));
    });

    test("refuses weak passwords in connection strings and registry credentials", async () => {
        const dockerConfig = JSON.stringify({ auths: { "registry.example.com": { username: "ci", password: "changeme" } } });
        assert.deepEqual(await found(secretValuesPolicy, [
            secret({ stringData: { DATABASE_URL: "postgres://app:letmein@writer.db.internal:5432/app" } }, "app"),
            secret({ type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": Buffer.from(dockerConfig).toString("base64") } }, "pull"),
        ]), [
            refusal("stringData.DATABASE_URL (a well-known default or placeholder)", "app"),
            refusal("data..dockerconfigjson (a well-known default or placeholder)", "pull"),
        ]);
    });

    test("minimumLength comes from config; weakness judges the value", async () => {
        assert.deepEqual(await found(secretValuesPolicy, [secret({ stringData: { password: "k2Vq9ZtR4mXw8LpN" } })], { "keel-k8s-secret-values": { minimumLength: 24 } }), [refusal("stringData.password (shorter than 24 characters)")]);
        assert.equal(weakness("   ", 16), "empty");
        assert.equal(weakness("aaaaaaaaaaaaaaaaaaaaaaaab", 16), "fewer than 6 distinct characters");
        assert.equal(weakness("P@ssw0rd-P@ssw0rd-2024", 16), "a well-known default or placeholder");
        assert.equal(weakness("q8ZkR2vN7xTt4mWc9LpB3hYs6DfG1jKa", 16), undefined);
    });
});

describe("keel-k8s-internal-services", () => {
    const service = (spec: Record<string, unknown>, annotations: Record<string, string> = {}, name = "monitoring-grafana") =>
        resource("kubernetes:core/v1:Service", { metadata: { name: "grafana", namespace: "monitoring", annotations }, spec: { selector: { app: "grafana" }, ports: [{ port: 3000 }], ...spec } }, { name, provider: cluster });
    const because = "(EKS best practices: keep monitoring endpoints private)";

    test("passes ClusterIP Services and internal load balancers", async () => {
        assert.deepEqual(await found(internalServices, [
            service({}),
            service({ type: "ClusterIP" }, {}, "cluster-ip"),
            service({ type: "LoadBalancer" }, { "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal" }, "nlb"),
            service({ type: "LoadBalancer" }, { "service.beta.kubernetes.io/aws-load-balancer-internal": "true" }, "legacy"),
            release("monitoring-kube-prometheus-stack", { grafana: { service: { port: 3000 } }, prometheus: { service: { type: "ClusterIP" } } }),
        ]), []);
    });

    test("refuses internet-facing load balancers, NodePorts, externalIPs and internet-facing ALB Ingresses", async () => {
        const violations = await runPolicy(internalServices, [
            service({ type: "LoadBalancer" }),
            service({ type: "LoadBalancer" }, { "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing", "service.beta.kubernetes.io/aws-load-balancer-internal": "true" }, "contradicts"),
            service({ type: "NodePort" }, {}, "node-port"),
            service({ externalIPs: ["203.0.113.7"] }, {}, "external"),
            resource("kubernetes:networking.k8s.io/v1:Ingress", { metadata: { annotations: { "alb.ingress.kubernetes.io/scheme": "internet-facing" } }, spec: { ingressClassName: "alb" } }, { name: "grafana-ingress", provider: cluster }),
        ]);
        assert.deepEqual(messages(violations), [
            `Service "monitoring-grafana" is an internet-facing load balancer: annotate service.beta.kubernetes.io/aws-load-balancer-scheme: internal ${because}`,
            `Service "contradicts" is an internet-facing load balancer: annotate service.beta.kubernetes.io/aws-load-balancer-scheme: internal ${because}`,
            `Service "node-port" is a NodePort: a port on every node, outside the cluster's network policies ${because}`,
            `Service "external" has externalIPs: reachable on the nodes' addresses ${because}`,
            `Ingress "grafana-ingress" is internet-facing (alb.ingress.kubernetes.io/scheme: internet-facing) ${because}`,
        ]);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::kubernetes:core/v1:Service::monitoring-grafana");
    });

    test("refuses exposing Services and Ingresses through Helm values (grafana, prometheus, alertmanager)", async () => {
        const values = {
            grafana: { service: { type: "LoadBalancer" }, ingress: { enabled: true, annotations: { "alb.ingress.kubernetes.io/scheme": "internet-facing" } } },
            prometheus: { service: { type: "NodePort" } },
            alertmanager: { service: { type: "LoadBalancer", annotations: { "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal" } } },
        };
        assert.deepEqual(await found(internalServices, [release("monitoring-kube-prometheus-stack", values)]), [
            `Helm release "monitoring-kube-prometheus-stack": values.grafana.service is an internet-facing load balancer: annotate service.beta.kubernetes.io/aws-load-balancer-scheme: internal ${because}`,
            `Helm release "monitoring-kube-prometheus-stack": values.grafana.ingress is an internet-facing ALB ingress (alb.ingress.kubernetes.io/scheme: internet-facing) ${because}`,
            `Helm release "monitoring-kube-prometheus-stack": values.prometheus.service is a NodePort: a port on every node, outside the cluster's network policies ${because}`,
        ]);
    });

    test("does not judge annotations unknown at preview", async () => {
        assert.deepEqual(await found(internalServices, [service({ type: "LoadBalancer" }, { "service.beta.kubernetes.io/aws-load-balancer-scheme": "[unknown]" })]), []);
    });
});

describe("keel-k8s-encrypted-storage", () => {
    const storageClass = (name: string, provisioner: string, parameters: Record<string, unknown> = { type: "gp3", encrypted: "true" }) =>
        resource("kubernetes:storage.k8s.io/v1:StorageClass", { metadata: { name }, provisioner, parameters }, { name: `sc-${name}`, provider: cluster });
    const claim = (storageClassName?: string) =>
        resource("kubernetes:core/v1:PersistentVolumeClaim", { metadata: { name: "jaeger-badger" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "50Gi" } }, ...(storageClassName === undefined ? {} : { storageClassName }) } }, { name: "jaeger-data", provider: cluster });
    const because = "(EKS best practices: encrypt EBS volumes)";

    test("passes Keel's classes and the claims, CronJob volumes and chart values naming them", async () => {
        assert.deepEqual(await found(encryptedStorage, [
            storageClass("keel-gp3", "ebs.csi.aws.com"),
            storageClass("database-dumps-scratch", "ebs.csi.aws.com"),
            storageClass("upper-case", "ebs.csi.aws.com", { Encrypted: "true" }),
            claim("keel-gp3"),
            cronJob(),
            release("monitoring-loki", { write: { persistence: { enabled: true, storageClass: "keel-gp3" } }, grafana: { persistence: { storageClassName: "-" } } }, "loki"),
        ]), []);
    });

    test("refuses unencrypted and in-tree StorageClasses", async () => {
        const violations = await runPolicy(encryptedStorage, [
            storageClass("keel-gp3", "ebs.csi.aws.com", { type: "gp3", encrypted: "false" }),
            storageClass("fast", "ebs.csi.aws.com", { type: "io2" }),
            storageClass("gp2", "kubernetes.io/aws-ebs", { type: "gp2", encrypted: "true" }),
            storageClass("mixed", "ebs.csi.aws.com", { type: "gp3", encrypted: "true", Encrypted: "False" }),
        ]);
        assert.deepEqual(messages(violations), [
            `StorageClass "sc-keel-gp3" provisions EBS volumes without encryption (parameters.encrypted "false"): set encrypted: "true" ${because}`,
            `StorageClass "sc-fast" provisions EBS volumes without encryption (parameters.encrypted unset): set encrypted: "true" ${because}`,
            `StorageClass "sc-gp2" uses the in-tree provisioner kubernetes.io/aws-ebs (removed from Kubernetes, unencrypted unless told): use ebs.csi.aws.com with encrypted: "true" ${because}`,
            `StorageClass "sc-mixed" provisions EBS volumes without encryption (parameters.encrypted "true", "False"): set encrypted: "true" ${because}`,
        ]);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::kubernetes:storage.k8s.io/v1:StorageClass::sc-keel-gp3");
    });

    test("refuses claims, StatefulSet templates and chart values naming another class, or none (EKS's default gp2)", async () => {
        const statefulSet = resource("kubernetes:apps/v1:StatefulSet", { spec: { volumeClaimTemplates: [{ spec: { storageClassName: "gp2" } }], template: { spec: { containers: [] } } } }, { name: "db", provider: cluster });
        const violations = await runPolicy(encryptedStorage, [
            storageClass("keel-gp3", "ebs.csi.aws.com"),
            claim(),
            statefulSet,
            release("monitoring-kube-prometheus-stack", { prometheus: { prometheusSpec: { storageSpec: { volumeClaimTemplate: { spec: { storageClassName: "gp2" } } } } } }),
        ]);
        assert.deepEqual(messages(violations), [
            `PersistentVolumeClaim "jaeger-data" names no storage class: the cluster's default (gp2 on EKS, unencrypted) applies ${because}`,
            `StatefulSet "db" volumeClaimTemplates[0] uses the storage class "gp2", not an encrypted class of this stack ${because}`,
            `Helm release "monitoring-kube-prometheus-stack": values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName uses the storage class "gp2", not an encrypted class of this stack ${because}`,
        ]);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::kubernetes:core/v1:PersistentVolumeClaim::jaeger-data");
    });

    test("accepts classes listed as encrypted in config, an auto-named class, and unknown names", async () => {
        assert.deepEqual(await found(encryptedStorage, [claim("efs-encrypted")], { "keel-k8s-encrypted-storage": { encryptedClasses: ["efs-encrypted"] } }), []);
        const unnamed = resource("kubernetes:storage.k8s.io/v1:StorageClass", { provisioner: "ebs.csi.aws.com", parameters: { encrypted: "true" } }, { name: "scratch", provider: cluster });
        assert.deepEqual(await found(encryptedStorage, [unnamed, claim("scratch-1a2b3c4"), claim("[unknown]")]), []);
    });
});

describe("keel-grafana-no-anonymous-access", () => {
    const because = "(Grafana security hardening: disable anonymous access)";

    test("passes Keel's Grafana (chart values with an existing admin Secret; the docker container's env)", async () => {
        const docker = resource("docker:index/container:Container", { image: "grafana/grafana:13.1.3", envs: ["GF_SECURITY_ADMIN_USER=admin", "[secret]", "GF_USERS_ALLOW_SIGN_UP=false", "GF_AUTH_ANONYMOUS_ENABLED=false"] }, { name: "monitoring-grafana" });
        const chart = release("monitoring-kube-prometheus-stack", { grafana: { admin: { existingSecret: "grafana-admin" }, "grafana.ini": { "auth.anonymous": { enabled: false } } } });
        assert.deepEqual(await found(grafanaAccess, [docker, chart]), []);
    });

    test("refuses anonymous access and sign-up in grafana.ini values, env maps and lists, INI text in a ConfigMap, and docker env", async () => {
        const violations = await runPolicy(grafanaAccess, [
            release("monitoring-kube-prometheus-stack", { grafana: { admin: { existingSecret: "grafana-admin" }, "grafana.ini": { "auth.anonymous": { enabled: true, org_role: "Admin" }, users: { allow_sign_up: "yes" } }, env: { GF_AUTH_ANONYMOUS_ENABLED: "True" } } }),
            resource("kubernetes:core/v1:ConfigMap", { data: { "grafana.ini": "[auth.anonymous]\nenabled = true\n" } }, { name: "grafana-config", provider: cluster }),
            deployment(dumpPod({ containers: [container("grafana", restrictedContainer, { env: [{ name: "GF_AUTH_ANONYMOUS_ENABLED", value: "1" }] })] }), "grafana"),
            resource("docker:index/container:Container", { image: "grafana/grafana:13.1.3", envs: ["GF_AUTH_ANONYMOUS_ENABLED=true"] }, { name: "monitoring-grafana" }),
        ]);
        assert.deepEqual(messages(violations), [
            `Release "monitoring-kube-prometheus-stack": values.grafana.grafana.ini [auth.anonymous] enabled is true: anonymous access ${because}`,
            `Release "monitoring-kube-prometheus-stack": values.grafana.grafana.ini [users] allow_sign_up is true: self sign-up ${because}`,
            `Release "monitoring-kube-prometheus-stack": values.grafana.env.GF_AUTH_ANONYMOUS_ENABLED is true: anonymous access ${because}`,
            `ConfigMap "grafana-config": data.grafana.ini [auth.anonymous] enabled is true: anonymous access ${because}`,
            `Deployment "grafana": spec.template.spec.containers.0.env.0 sets GF_AUTH_ANONYMOUS_ENABLED: anonymous access ${because}`,
            `Container "monitoring-grafana": envs.0 sets GF_AUTH_ANONYMOUS_ENABLED: anonymous access ${because}`,
        ]);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::kubernetes:helm.sh/v3:Release::monitoring-kube-prometheus-stack");
    });

    test("reads grafana.ini given as nested sections or as INI text inside values", async () => {
        assert.equal((await found(grafanaAccess, [release("a", { grafana: { admin: { existingSecret: "grafana-admin" }, "grafana.ini": { auth: { anonymous: { enabled: "on" } } } } })])).length, 1);
        assert.equal((await found(grafanaAccess, [release("b", { "grafana.ini": "[auth.anonymous]\nenabled = true\n" }, "grafana")])).length, 1);
        assert.deepEqual(parseIni("; comment\n[Auth.Anonymous]\n Enabled = true \n"), { "auth.anonymous": { enabled: "true" } });
    });
});

describe("keel-grafana-no-anonymous-access: kube-prometheus-stack's default admin password", () => {
    const refusal = 'Release "monitoring-kube-prometheus-stack": values.grafana.admin.existingSecret is unset: Grafana\'s admin password is the chart\'s default "prom-operator": anyone reaching Grafana logs in as admin: point it at a Secret of a generated password (Grafana security hardening: change the default administrator password)';
    const stack = (values: unknown, extra: Record<string, unknown> = {}) =>
        resource("kubernetes:helm.sh/v3:Release", { chart: "kube-prometheus-stack", version: "88.5.3", values, ...extra }, { name: "monitoring-kube-prometheus-stack", provider: cluster });

    test("passes an existing admin Secret, a disabled Grafana, or one set in an inline values file", async () => {
        assert.deepEqual(await found(grafanaAccess, [
            stack({ grafana: { admin: { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" } } }),
            stack({ grafana: { enabled: false } }),
            stack({}, { valueYamlFiles: [{ text: "grafana:\n  admin:\n    existingSecret: grafana-admin\n" }] }),
            stack({}, { valueYamlFiles: [{ asset: "values/production.yaml" }] }),
            release("grafana", { "grafana.ini": { server: { root_url: "https://grafana.example.com" } } }, "grafana"),
        ]), []);
    });

    test("refuses kube-prometheus-stack without the admin Secret, or with prom-operator spelled out", async () => {
        const violations = await runPolicy(grafanaAccess, [stack({ grafana: { enabled: true, service: { port: 3000 } } })]);
        assert.deepEqual(messages(violations), [refusal]);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::kubernetes:helm.sh/v3:Release::monitoring-kube-prometheus-stack");
        assert.deepEqual(await found(grafanaAccess, [stack({ grafana: { adminPassword: "prom-operator", admin: { existingSecret: "" } } })]), [refusal]);
    });
});

describe("kubernetes-manifests helpers", () => {
    test("known copies a value, unknown values at preview read as [unknown]", () => {
        class UnknownValueError extends Error {}
        const proxied = new Proxy({ a: 1, b: "x" } as Record<string, unknown>, {
            get: (target, key) => {
                if (key === "b") throw new UnknownValueError("string value at .b can't be known during preview");
                return target[key as string];
            },
        });
        assert.deepEqual(known({ nested: proxied, list: [1, 2] }), { nested: { a: 1, b: "[unknown]" }, list: [1, 2] });
    });

    test("withEmbeddedYaml parses nested mappings and sequences, leaves other strings", () => {
        assert.deepEqual(withEmbeddedYaml({ a: "x: 1\ny: [2]\n", b: "plain", c: "discovery.kubernetes \"pods\" {\n  role = \"pod\"\n}\n", d: "{\"k\": true}", e: "# extra\n---\n- name: debug\n" }), {
            a: { x: 1, y: [2] },
            e: [{ name: "debug" }],
            b: "plain",
            c: "discovery.kubernetes \"pods\" {\n  role = \"pod\"\n}\n",
            d: { k: true },
        });
    });
});

