import type { PolicyResource } from "@pulumi/policy";
import {
    containersOf,
    entries,
    helmValuesFindings,
    helmValuesOf,
    isAllowedHostPath,
    isHelmRelease,
    isMasked,
    isTruthy,
    known,
    manifestsOf,
    podSpecOf,
    type Manifest,
} from "./kubernetes-manifests";
import { resourcePolicy, setting, stackPolicy } from "./policy";
import { list, object } from "./props";
import { credentialName } from "./secrets";

/**
 * What runs on the cluster: pod security (Kubernetes Pod Security Standards), RBAC, credentials in
 * Kubernetes Secrets, Services reachable from the internet, encrypted volumes and Grafana's
 * access — judged on Kubernetes resources, manifests in ConfigGroups and the values Keel
 * passes its Helm charts. A chart's own defaults are not judged: only what the values change.
 */

const pss = (control: string, profile = "baseline") => `Pod Security Standards, ${profile}: "${control}"`;
const isZero = (v: unknown) => v === 0 || v === "0";
const isFalse = (v: unknown) => v === false || v === "false";
const normalizedCapability = (c: unknown) => String(c).trim().toUpperCase().replace(/^CAP_/, "");
/** The known capabilities of an `add` or `drop`, given as a list or (by mistake) one string. */
const capabilities = (v: unknown) => (Array.isArray(v) ? v : typeof v === "string" ? [v] : []).filter((c) => !isMasked(c)).map(normalizedCapability);

// ---- keel-k8s-pod-security ----

interface PodSecuritySettings {
    readonly allowedCapabilities: readonly string[];
    readonly allowedHostPaths: readonly string[];
}

/** Findings on one security context (pod or container level) that are wrong wherever they are set. */
function securityContextFindings(context: Record<string, unknown>, settings: PodSecuritySettings): string[] {
    const findings: string[] = [];
    if (isTruthy(context.privileged)) findings.push(`runs privileged: root on the node (${pss("Privileged Containers")})`);
    if (isTruthy(context.allowPrivilegeEscalation)) findings.push(`allows privilege escalation (${pss("Privilege Escalation", "restricted")})`);
    if (isZero(context.runAsUser)) findings.push(`runs as root, runAsUser 0 (${pss("Running as Non-root user", "restricted")})`);
    if (isFalse(context.runAsNonRoot)) findings.push(`may run as root, runAsNonRoot false (${pss("Running as Non-root", "restricted")})`);
    if (isZero(context.runAsGroup)) findings.push(`runs with the root group, runAsGroup 0 (Trivy KSV029)`);
    const extra = capabilities(object(context.capabilities).add).filter((c) => !settings.allowedCapabilities.includes(c));
    if (extra.length > 0) findings.push(`adds the capabilities ${extra.join(", ")} (${pss("Capabilities", "restricted")}: only ${settings.allowedCapabilities.join(", ") || "none"})`);
    if (/^unconfined$/i.test(String(object(context.seccompProfile).type ?? ""))) findings.push(`runs without seccomp, Unconfined (${pss("Seccomp")})`);
    if (/^unconfined$/i.test(String(object(context.appArmorProfile).type ?? ""))) findings.push(`runs without AppArmor, Unconfined (${pss("AppArmor")})`);
    if (/^unmasked$/i.test(String(context.procMount ?? ""))) findings.push(`mounts /proc unmasked (${pss("/proc Mount Type")})`);
    if (isTruthy(object(context.windowsOptions).hostProcess)) findings.push(`runs as a Windows host process (${pss("HostProcess")})`);
    return findings;
}

const hostNamespaces = ["hostNetwork", "hostPID", "hostIPC"] as const;
/** Volume types the restricted profile allows (hostPath is judged against the allow-list instead). */
const restrictedVolumeTypes = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret", "hostPath"];
const seccompConfined = ["RuntimeDefault", "Localhost"];

/** The restricted profile's required settings, for a full (non-patch) pod spec. */
function restrictedFindings(pod: Record<string, unknown>, container: Record<string, unknown>): string[] {
    if (isMasked(pod.securityContext) || isMasked(container.securityContext)) return [];
    const podContext = object(pod.securityContext);
    const context = object(container.securityContext);
    const effective = (key: string) => context[key] ?? podContext[key];
    const findings: string[] = [];
    if (effective("runAsNonRoot") === undefined) findings.push(`does not set runAsNonRoot: the image's user, often root, applies (${pss("Running as Non-root", "restricted")})`);
    if (context.allowPrivilegeEscalation === undefined) findings.push(`does not set allowPrivilegeEscalation false: Kubernetes allows it by default (${pss("Privilege Escalation", "restricted")})`);
    const drop = object(context.capabilities).drop;
    if (!isMasked(drop) && !capabilities(drop).includes("ALL")) findings.push(`does not drop ALL capabilities (${pss("Capabilities", "restricted")})`);
    const seccomp = effective("seccompProfile");
    if (!isMasked(seccomp) && !isMasked(object(seccomp).type) && !seccompConfined.includes(String(object(seccomp).type))) {
        findings.push(`sets no seccomp profile, RuntimeDefault or Localhost (${pss("Seccomp", "restricted")})`);
    }
    return findings;
}

/** Every pod-security finding of a pod spec; `full` adds the restricted profile's requirements. */
export function podSecurityFindings(pod: Record<string, unknown>, settings: PodSecuritySettings, full: boolean): string[] {
    const findings: string[] = [];
    for (const key of hostNamespaces) if (isTruthy(pod[key])) findings.push(`${key}: true shares the node's namespace (${pss("Host Namespaces")})`);
    findings.push(...securityContextFindings(object(pod.securityContext), settings).map((f) => `the pod ${f}`));
    const volumes = list(pod.volumes);
    for (const volume of volumes) {
        const hostPath = volume.hostPath === undefined ? undefined : object(volume.hostPath).path;
        if (typeof hostPath === "string" && !isMasked(hostPath) && !isAllowedHostPath(hostPath, settings.allowedHostPaths)) {
            findings.push(`volume "${String(volume.name)}" mounts the host path ${hostPath} (${pss("HostPath Volumes")}; allowed: ${settings.allowedHostPaths.join(", ") || "none"})`);
        }
        const type = Object.keys(volume).find((k) => k !== "name");
        if (full && type !== undefined && !restrictedVolumeTypes.includes(type)) findings.push(`volume "${String(volume.name)}" is of type ${type} (${pss("Volume Types", "restricted")})`);
    }
    const hostPathVolumes = new Set(volumes.filter((v) => v.hostPath !== undefined).map((v) => v.name));
    for (const { container, label } of containersOf(pod)) {
        findings.push(...securityContextFindings(object(container.securityContext), settings).map((f) => `${label} ${f}`));
        if (full) findings.push(...restrictedFindings(pod, container).map((f) => `${label} ${f}`));
        for (const port of list(container.ports)) {
            if (typeof port.hostPort === "number" && port.hostPort > 0) findings.push(`${label} binds host port ${port.hostPort} (${pss("Host Ports")})`);
        }
        for (const mount of list(container.volumeMounts)) {
            if (hostPathVolumes.has(mount.name) && mount.readOnly !== true) findings.push(`${label} mounts the host path volume "${String(mount.name)}" writable`);
        }
    }
    return findings;
}

/** Findings in Helm values: the pod-security keys charts pass through to pod specs, wherever they are. */
export function valuesSecurityFindings(values: unknown, settings: PodSecuritySettings): string[] {
    const findings: string[] = [];
    for (const { path, key, value, parentKey } of entries(values)) {
        if (key === "privileged" && isTruthy(value)) findings.push(`${path} is true: a privileged container is root on the node (${pss("Privileged Containers")})`);
        else if (key === "allowPrivilegeEscalation" && isTruthy(value)) findings.push(`${path} is true (${pss("Privilege Escalation", "restricted")})`);
        else if ((key === "runAsUser" || key === "runAsGroup") && isZero(value)) findings.push(`${path} is 0: root (${pss("Running as Non-root user", "restricted")})`);
        else if (key === "runAsNonRoot" && isFalse(value)) findings.push(`${path} is false (${pss("Running as Non-root", "restricted")})`);
        else if ((hostNamespaces as readonly string[]).includes(key) && isTruthy(value)) findings.push(`${path} is true: the node's namespace (${pss("Host Namespaces")})`);
        else if (key === "hostPort" && Number(value) > 0) findings.push(`${path} binds a host port (${pss("Host Ports")})`);
        else if (key === "add" && parentKey === "capabilities") {
            const extra = capabilities(value).filter((c) => !settings.allowedCapabilities.includes(c));
            if (extra.length > 0) findings.push(`${path} adds ${extra.join(", ")} (${pss("Capabilities", "restricted")})`);
        } else if (key === "hostPath") {
            const hostPath = typeof value === "string" ? value : object(value).path;
            if (typeof hostPath === "string" && !isMasked(hostPath) && !isAllowedHostPath(hostPath, settings.allowedHostPaths)) findings.push(`${path} mounts the host path ${hostPath} (${pss("HostPath Volumes")})`);
        } else if (key === "type" && parentKey === "seccompProfile" && /^unconfined$/i.test(String(value))) findings.push(`${path} is Unconfined (${pss("Seccomp")})`);
        else if (key === "procMount" && /^unmasked$/i.test(String(value))) findings.push(`${path} is Unmasked (${pss("/proc Mount Type")})`);
        else if (key === "hostProcess" && isTruthy(value)) findings.push(`${path} is true (${pss("HostProcess")})`);
    }
    return findings;
}

export const podSecurity = resourcePolicy({
    name: "keel-k8s-pod-security",
    description: "Pods are not privileged, never root, share no host namespace, add no capability beyond NET_BIND_SERVICE and mount no host path outside the allow-list (Pod Security Standards); Keel's own workloads meet the restricted profile. Judged on workloads, ConfigGroup manifests and Helm values.",
    config: {
        allowedCapabilities: setting.strings(["NET_BIND_SERVICE"]),
        // Alloy's chart reads node logs from these, read-only (alloy.mounts.varlog / dockercontainers).
        allowedHostPaths: setting.strings(["/var/log", "/var/lib/docker/containers"]),
    },
    check: function* (resource, { allowedCapabilities, allowedHostPaths }) {
        const settings = { allowedCapabilities: allowedCapabilities.map(normalizedCapability), allowedHostPaths };
        if (isHelmRelease(resource.type)) {
            for (const finding of helmValuesFindings(resource.props, (values) => valuesSecurityFindings(values, settings))) yield `Helm release "${resource.name}": ${finding}`;
            return;
        }
        for (const manifest of manifestsOf(resource.type, resource.name, resource.props)) {
            const enforce = object(object(manifest.body.metadata).labels)["pod-security.kubernetes.io/enforce"];
            if (manifest.kind === "Namespace" && enforce === "privileged") yield `Namespace "${manifest.name}" enforces the privileged Pod Security Standard: admission lets any pod in (use baseline or restricted)`;
            const pod = podSpecOf(manifest);
            if (pod === undefined) continue;
            for (const finding of podSecurityFindings(pod.spec, settings, !pod.partial)) yield `${manifest.kind} "${manifest.name}": ${finding}`;
        }
    },
});

// ---- keel-k8s-rbac ----

/** Subjects every caller of the API server belongs to: a binding to them is a binding to anyone. */
const everyone = ["system:anonymous", "system:unauthenticated", "system:authenticated"];
const subjectName = (s: Record<string, unknown>) => (s.kind === "ServiceAccount" ? `system:serviceaccount:${String(s.namespace ?? "?")}:${String(s.name)}` : String(s.name));

/** Why a Role, ClusterRole or binding hands out more than it should, or nothing. */
export function rbacFindings(manifest: Manifest, allowedClusterAdmins: readonly string[]): string[] {
    const { kind, body } = manifest;
    if (kind === "ClusterRoleBinding" || kind === "RoleBinding") {
        const role = String(object(body.roleRef).name ?? "");
        const subjects = list(body.subjects).filter((s) => !isMasked(s.name)).map(subjectName);
        return [
            ...subjects.filter((s) => everyone.includes(s)).map((s) => `binds ${role} to ${s}: every caller of the API server (CIS Kubernetes 5.1.1)`),
            ...(role === "cluster-admin" ? subjects.filter((s) => !everyone.includes(s) && !allowedClusterAdmins.includes(s)).map((s) => `makes ${s} cluster-admin (CIS Kubernetes 5.1.1: cluster-admin only where required)`) : []),
        ];
    }
    if (kind === "ClusterRole" || kind === "Role") {
        const wildcard = list(body.rules).some((r) => [r.verbs, r.resources].every((v) => Array.isArray(v) && v.includes("*")));
        return wildcard ? ["allows every verb on every resource (CIS Kubernetes 5.1.3: minimize wildcards in Roles)"] : [];
    }
    return [];
}

export const rbac = resourcePolicy({
    name: "keel-k8s-rbac",
    description: "RBAC grants nothing to everyone (system:anonymous, system:unauthenticated, system:authenticated), makes no one cluster-admin outside the allow-list, and no Role allows every verb on every resource (CIS Kubernetes 5.1).",
    config: { allowedClusterAdmins: setting.strings([]) },
    check: function* (resource, { allowedClusterAdmins }) {
        for (const manifest of manifestsOf(resource.type, resource.name, resource.props)) {
            for (const finding of rbacFindings(manifest, allowedClusterAdmins)) yield `${manifest.kind} "${manifest.name}" ${finding}`;
        }
    },
});

// ---- keel-k8s-secret-values ----

/** Words that make a credential guessable, after undoing common letter-for-digit swaps. */
const placeholderWords = ["password", "passwd", "secret", "admin", "changeme", "letmein", "qwerty", "welcome", "default", "hunter", "example", "sample", "dummy", "placeholder", "insecure", "123456", "grafana", "postgres", "operator"];
const leet: Record<string, string> = { "0": "o", "@": "a", "4": "a", $: "s", "5": "s", "7": "t", "3": "e", "!": "i" };
/** The readings of a value with letter-for-digit swaps undone ("1" read both as "i" and "l"). */
const readings = (s: string) => ["i", "l"].map((one) => s.toLowerCase().replace(/[0@4$5731!]/g, (c) => (c === "1" ? one : leet[c])));

/** Why a credential value is guessable, or undefined. The value itself is never reported. */
export function weakness(value: string, minimumLength: number): string | undefined {
    const trimmed = value.trim();
    if (trimmed === "") return "empty";
    const lower = trimmed.toLowerCase();
    if (placeholderWords.some((w) => [lower, ...readings(trimmed)].some((r) => r.includes(w)))) return "a well-known default or placeholder";
    if (trimmed.length < minimumLength) return `shorter than ${minimumLength} characters`;
    if (new Set(trimmed).size < 6) return "fewer than 6 distinct characters";
    return undefined;
}

/** Keys of a Secret that hold credentials: the plaintext-secrets names, plus keys, auth and connection strings. */
const isCredentialKey = (key: string) => {
    const compact = key.replace(/[-_.]/g, "");
    return credentialName.test(compact) || /(key|credentials?|auth|dsn|connectionstring)$/i.test(compact);
};
/** `scheme://user:password@host`: the password of a connection string or URL. */
const urlPassword = (value: string) => /^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:([^@\s]+)@/i.exec(value.trim())?.[1];
const isBase64 = (s: string) => s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);

/** The passwords of a `.dockerconfigjson` (registry credentials). */
function dockerConfigPasswords(text: string): string[] {
    try {
        const auths = object(object(JSON.parse(text)).auths);
        return Object.values(auths).flatMap((a) => {
            const entry = object(a);
            const fromAuth = typeof entry.auth === "string" ? Buffer.from(entry.auth, "base64").toString("utf8").split(":").slice(1).join(":") : undefined;
            return [entry.password, fromAuth].filter((p): p is string => typeof p === "string");
        });
    } catch {
        return [];
    }
}

interface SecretValue {
    readonly path: string;
    readonly key: string;
    readonly text: string;
}

/** The known plain values of a Secret: `stringData` as given, `data` base64-decoded. */
function secretValues(body: Record<string, unknown>): SecretValue[] {
    const fromString = Object.entries(object(body.stringData)).map(([key, v]) => ({ path: `stringData.${key}`, key, value: v, encoded: false }));
    const fromData = Object.entries(object(body.data)).map(([key, v]) => ({ path: `data.${key}`, key, value: v, encoded: true }));
    return [...fromString, ...fromData].flatMap(({ path, key, value, encoded }) => {
        if (typeof value !== "string" || isMasked(value)) return [];
        const text = encoded && isBase64(value) ? Buffer.from(value, "base64").toString("utf8") : value;
        return [{ path, key, text }];
    });
}

/** Credentials of a Secret that are guessable: credential keys, passwords in URLs and registry configs. */
export function weakSecretValues(body: Record<string, unknown>, minimumLength: number): string[] {
    return secretValues(body).flatMap(({ path, key, text }) => {
        const judged = [
            ...(isCredentialKey(key) ? [text] : []),
            ...[urlPassword(text)].filter((p): p is string => p !== undefined),
            ...(key === ".dockerconfigjson" ? dockerConfigPasswords(text) : []),
        ];
        const reason = judged.map((t) => weakness(t, minimumLength)).find((r) => r !== undefined);
        return reason === undefined ? [] : [`${path} (${reason})`];
    });
}

export const secretValuesPolicy = resourcePolicy({
    name: "keel-k8s-secret-values",
    description: "Kubernetes Secrets never carry a literal credential: a password, token or key that is a well-known default, a placeholder or short is refused (values generated by random.RandomPassword or read from secret config pass; the engine decrypts secrets, so the value itself is judged and never printed).",
    config: { minimumLength: setting.integer(16) },
    check: function* (resource, { minimumLength }) {
        for (const manifest of manifestsOf(resource.type, resource.name, resource.props)) {
            if (manifest.kind !== "Secret") continue;
            for (const at of weakSecretValues(manifest.body, minimumLength)) {
                yield `Secret "${manifest.name}" holds a plain-text credential at ${at}: generate it (random.RandomPassword) or take it from secret config (Kubernetes "Good practices for Kubernetes Secrets")`;
            }
        }
    },
});

// ---- keel-k8s-internal-services ----

const schemeAnnotation = "service.beta.kubernetes.io/aws-load-balancer-scheme";
const internalAnnotation = "service.beta.kubernetes.io/aws-load-balancer-internal";

/** Whether a load balancer Service's annotations keep it internal; undefined when they are unknown. */
function isInternal(annotations: Record<string, unknown>): boolean | undefined {
    const scheme = annotations[schemeAnnotation];
    // The AWS Load Balancer Controller reads the scheme annotation first.
    if (scheme !== undefined) return isMasked(scheme) ? undefined : String(scheme).trim().toLowerCase() === "internal";
    const internal = annotations[internalAnnotation];
    return isMasked(internal) ? undefined : isTruthy(internal);
}

/** Why a Service spec (type, annotations, externalIPs) is reachable from outside the VPC, or nothing. */
function serviceExposure(spec: Record<string, unknown>, annotations: Record<string, unknown>): string[] {
    const type = String(spec.type ?? "").toLowerCase();
    const findings: string[] = [];
    if (type === "loadbalancer" && isInternal(annotations) === false) findings.push(`is an internet-facing load balancer: annotate ${schemeAnnotation}: internal`);
    if (type === "nodeport") findings.push("is a NodePort: a port on every node, outside the cluster's network policies");
    if (Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0) findings.push("has externalIPs: reachable on the nodes' addresses");
    return findings;
}

const ingressScheme = "alb.ingress.kubernetes.io/scheme";
const isInternetFacing = (annotations: Record<string, unknown>) => String(annotations[ingressScheme] ?? "").trim().toLowerCase() === "internet-facing";

/** Findings in Helm values: any service (`grafana.service`, `prometheus.service`) or ingress the values expose. */
export function valuesExposureFindings(values: unknown): string[] {
    const findings: string[] = [];
    for (const { path, key, value } of entries(values)) {
        const block = object(value);
        if (/service$/i.test(key) && typeof block.type === "string") {
            findings.push(...serviceExposure(block, object(block.annotations)).map((f) => `${path} ${f}`));
        } else if (/ingress$/i.test(key) && isTruthy(block.enabled) && isInternetFacing(object(block.annotations))) {
            findings.push(`${path} is an internet-facing ALB ingress (${ingressScheme}: internet-facing)`);
        }
    }
    return findings;
}

export const internalServices = resourcePolicy({
    name: "keel-k8s-internal-services",
    description: "Services on the cluster (monitoring above all) stay inside the VPC: no internet-facing LoadBalancer (an internal scheme annotation is required), no NodePort, no externalIPs, no internet-facing ALB Ingress — in Service and Ingress resources and in Helm values.",
    check: function* (resource) {
        if (isHelmRelease(resource.type)) {
            for (const finding of helmValuesFindings(resource.props, valuesExposureFindings)) yield `Helm release "${resource.name}": ${finding} (EKS best practices: keep monitoring endpoints private)`;
            return;
        }
        for (const manifest of manifestsOf(resource.type, resource.name, resource.props)) {
            const annotations = object(object(manifest.body.metadata).annotations);
            const findings = manifest.kind === "Service" ? serviceExposure(object(manifest.body.spec), annotations)
                : manifest.kind === "Ingress" && isInternetFacing(annotations) ? [`is internet-facing (${ingressScheme}: internet-facing)`] : [];
            for (const finding of findings) yield `${manifest.kind} "${manifest.name}" ${finding} (EKS best practices: keep monitoring endpoints private)`;
        }
    },
});

// ---- keel-k8s-encrypted-storage ----

const ebsCsi = "ebs.csi.aws.com";
const inTreeEbs = "kubernetes.io/aws-ebs";

/** Why a StorageClass leaves volumes unencrypted, or undefined. */
export function storageClassProblem(body: Record<string, unknown>): string | undefined {
    const provisioner = body.provisioner;
    if (provisioner === inTreeEbs) return `uses the in-tree provisioner ${inTreeEbs} (removed from Kubernetes, unencrypted unless told): use ${ebsCsi} with encrypted: "true"`;
    if (provisioner !== ebsCsi) return undefined;
    // The driver matches parameter names in any case, and (before v1.30) the value with "true" exactly.
    const given = Object.entries(object(body.parameters)).filter(([k]) => k.toLowerCase() === "encrypted").map(([, v]) => v);
    if (given.some(isMasked) || (given.length > 0 && given.every((v) => v === "true" || v === true))) return undefined;
    return `provisions EBS volumes without encryption (parameters.encrypted ${given.length === 0 ? "unset" : given.map((v) => JSON.stringify(v)).join(", ")}): set encrypted: "true"`;
}

interface ClassReference {
    readonly where: string;
    /** Undefined: none named, the cluster's default class (EKS's gp2, unencrypted) applies. */
    readonly name: string | undefined;
}

/** The storage classes a Kubernetes object's volume claims name. */
function classReferences(manifest: Manifest): ClassReference[] {
    const { kind, body, partial } = manifest;
    const references: ClassReference[] = [];
    const add = (where: string, spec: Record<string, unknown>) => {
        const name = spec.storageClassName;
        if (name === undefined && !partial) references.push({ where, name });
        // null or "" binds a pre-provisioned volume; unknown names cannot be judged.
        else if (typeof name === "string" && name !== "" && !isMasked(name)) references.push({ where, name });
    };
    if (kind === "PersistentVolumeClaim") add("", object(body.spec));
    if (kind === "StatefulSet") list(object(body.spec).volumeClaimTemplates).forEach((t, i) => add(` volumeClaimTemplates[${i}]`, object(t.spec)));
    for (const volume of list(podSpecOf(manifest)?.spec.volumes)) {
        if (volume.ephemeral !== undefined) add(` volume "${String(volume.name)}"`, object(object(object(volume.ephemeral).volumeClaimTemplate).spec));
    }
    return references;
}

/** Storage classes named in Helm values (`storageClass`, `storageClassName`); "" and "-" keep the chart's choice. */
function valuesClassReferences(values: unknown): ClassReference[] {
    return [...entries(values)].flatMap(({ path, key, value }) =>
        (key === "storageClass" || key === "storageClassName") && typeof value === "string" && value !== "" && value !== "-" && !isMasked(value) ? [{ where: path, name: value }] : []);
}

/** The references of a resource, each with where it is for messages. */
function referencesOf(resource: PolicyResource): ClassReference[] {
    if (isHelmRelease(resource.type)) {
        return helmValuesOf(resource.props).flatMap(({ source, values }) => valuesClassReferences(values).map((r) => ({ ...r, where: `Helm release "${resource.name}": ${source}.${r.where}` })));
    }
    return manifestsOf(resource.type, resource.name, resource.props).flatMap((m) => classReferences(m).map((r) => ({ ...r, where: `${m.kind} "${m.name}"${r.where}` })));
}

/** Whether a class name is one of the encrypted ones: by name, or a Pulumi auto-name (`<resource name>-<suffix>`) of an unnamed one. */
const isEncryptedClass = (name: string, named: ReadonlySet<string>, autoNamed: readonly string[]) =>
    named.has(name) || autoNamed.some((prefix) => name.startsWith(`${prefix}-`));

export const encryptedStorage = stackPolicy({
    name: "keel-k8s-encrypted-storage",
    description: "Persistent volumes are encrypted: StorageClasses use the EBS CSI driver with encrypted: \"true\" (never the in-tree aws-ebs provisioner), and every claim, StatefulSet template and chart value names one of them, or a class listed as encrypted, never the cluster's default gp2.",
    config: { encryptedClasses: setting.strings([]) },
    check: function* ({ resources }, { encryptedClasses }) {
        const named = new Set(encryptedClasses);
        const autoNamed: string[] = [];
        for (const resource of resources) {
            for (const manifest of manifestsOf(resource.type, resource.name, resource.props).filter((m) => m.kind === "StorageClass")) {
                const problem = storageClassProblem(manifest.body);
                if (problem !== undefined) yield [`StorageClass "${manifest.name}" ${problem} (EKS best practices: encrypt EBS volumes)`, resource.urn];
                const encrypted = manifest.body.provisioner === ebsCsi && problem === undefined;
                const name = object(manifest.body.metadata).name;
                if (encrypted && typeof name === "string" && !isMasked(name)) named.add(name);
                else if (encrypted) autoNamed.push(manifest.name);
            }
        }
        for (const resource of resources) {
            for (const { where, name } of referencesOf(resource)) {
                if (name !== undefined && isEncryptedClass(name, named, autoNamed)) continue;
                const what = name === undefined ? "names no storage class: the cluster's default (gp2 on EKS, unencrypted) applies" : `uses the storage class "${name}", not an encrypted class of this stack`;
                yield [`${where} ${what} (EKS best practices: encrypt EBS volumes)`, resource.urn];
            }
        }
    },
});

// ---- keel-grafana-no-anonymous-access ----

const grafanaSettings = {
    anonymous: { env: "GF_AUTH_ANONYMOUS_ENABLED", section: "auth.anonymous", key: "enabled", why: "anonymous access" },
    signUp: { env: "GF_USERS_ALLOW_SIGN_UP", section: "users", key: "allow_sign_up", why: "self sign-up" },
} as const;

/** Grafana reads its settings with go-ini, which also takes yes, y and on for true. */
const isIniTrue = (v: unknown) => isTruthy(v) || (typeof v === "string" && /^\s*["']?(yes|y|on)["']?\s*$/i.test(v));

/** The sections of a grafana.ini text: `[auth.anonymous]` → { enabled: "true" }. */
export function parseIni(text: string): Record<string, Record<string, string>> {
    const sections: Record<string, Record<string, string>> = {};
    let current = "";
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.trim();
        if (line === "" || line.startsWith(";") || line.startsWith("#")) continue;
        const header = /^\[([^\]]+)\]$/.exec(line);
        if (header) current = header[1].trim().toLowerCase();
        else if (line.includes("=")) (sections[current] ??= {})[line.slice(0, line.indexOf("=")).trim().toLowerCase()] = line.slice(line.indexOf("=") + 1).trim();
    }
    return sections;
}

/** `{ "auth.anonymous": { enabled } }` or `{ auth: { anonymous: { enabled } } }`, as grafana.ini values may be given. */
const sectionOf = (ini: Record<string, unknown>, section: string) => {
    const flat = Object.entries(ini).find(([k]) => k.toLowerCase() === section)?.[1];
    return object(flat ?? section.split(".").reduce<unknown>((o, part) => object(o)[part], ini));
};

/** The open-access settings of a grafana.ini (object or text). */
function grafanaIniFindings(ini: unknown, path: string): string[] {
    const sections = typeof ini === "string" ? parseIni(ini) : object(ini);
    return Object.values(grafanaSettings).flatMap((s) => (isIniTrue(sectionOf(sections, s.section)[s.key]) ? [`${path} [${s.section}] ${s.key} is true: ${s.why}`] : []));
}

/** Findings anywhere in a value: grafana.ini blocks or texts, and GF_* environment variables in maps, lists or `NAME=value` strings. */
export function grafanaFindings(value: unknown): string[] {
    const findings: string[] = [];
    const envSetting = (name: unknown) => Object.values(grafanaSettings).find((s) => typeof name === "string" && name.trim().toUpperCase() === s.env);
    for (const { path, key, value: v } of entries(value)) {
        if (key.toLowerCase() === "grafana.ini") findings.push(...grafanaIniFindings(v, path));
        else if (typeof v === "string" && /^\s*\[(auth\.anonymous|users)\]/im.test(v)) findings.push(...grafanaIniFindings(v, path));
        const byKey = envSetting(key);
        if (byKey && isIniTrue(v)) findings.push(`${path} is true: ${byKey.why}`);
        const entry = object(v);
        const byName = envSetting(entry.name);
        if (byName && isIniTrue(entry.value)) findings.push(`${path} sets ${byName.env}: ${byName.why}`);
        if (typeof v === "string" && v.includes("=")) {
            const byAssignment = envSetting(v.slice(0, v.indexOf("=")));
            if (byAssignment && isIniTrue(v.slice(v.indexOf("=") + 1))) findings.push(`${path} sets ${byAssignment.env}: ${byAssignment.why}`);
        }
    }
    return findings;
}

/** kube-prometheus-stack gives its Grafana this admin password unless told otherwise (its values.yaml, grafana.adminPassword). */
const stackDefaultPassword = "prom-operator";
const isKubePrometheusStack = (chart: unknown) => typeof chart === "string" && /(^|\/)kube-prometheus-stack$/.test(chart.trim());

/** Why kube-prometheus-stack's Grafana keeps a guessable admin password, or undefined: no existing Secret, and no password or the chart's default. */
export function stackGrafanaPasswordProblem(values: unknown): string | undefined {
    const grafana = object(object(values).grafana);
    if (isFalse(grafana.enabled) || isMasked(object(values).grafana) || isMasked(grafana.admin)) return undefined;
    const existing = object(grafana.admin).existingSecret;
    if ((typeof existing === "string" && existing !== "") || isMasked(existing)) return undefined;
    const password = grafana.adminPassword;
    if (isMasked(password) || (typeof password === "string" && password !== stackDefaultPassword)) return undefined;
    return `grafana.admin.existingSecret is unset: Grafana's admin password is the chart's default "${stackDefaultPassword}"`;
}

export const grafanaAccess = resourcePolicy({
    name: "keel-grafana-no-anonymous-access",
    description: "Grafana requires a real login: no anonymous access ([auth.anonymous] enabled, GF_AUTH_ANONYMOUS_ENABLED), no self sign-up ([users] allow_sign_up), and kube-prometheus-stack's Grafana never left on its default admin password — in chart values, workloads, ConfigMaps and containers.",
    types: (type) => type.startsWith("kubernetes:") || type.startsWith("docker:"),
    check: function* (resource) {
        const sources = isHelmRelease(resource.type) ? helmValuesOf(resource.props).map((v) => ({ prefix: `${v.source}.`, value: v.values })) : [{ prefix: "", value: known(resource.props) }];
        for (const { prefix, value } of sources) {
            for (const finding of grafanaFindings(value)) yield `${resource.type.split(":").pop()} "${resource.name}": ${prefix}${finding} (Grafana security hardening: disable anonymous access)`;
        }
        const props = object(known(resource.props));
        // Values files given by path are not read: what they set cannot be judged.
        if (!isHelmRelease(resource.type) || !isKubePrometheusStack(props.chart) || list(props.valueYamlFiles).some((f) => typeof f.text !== "string")) return;
        const problems = helmValuesOf(resource.props).map((v) => stackGrafanaPasswordProblem(v.values));
        if (problems.every((p) => p !== undefined)) {
            yield `Release "${resource.name}": values.${problems[0]}: anyone reaching Grafana logs in as admin: point it at a Secret of a generated password (Grafana security hardening: change the default administrator password)`;
        }
    },
});

export const workloadPolicies = [podSecurity, rbac, secretValuesPolicy, internalServices, encryptedStorage, grafanaAccess];
