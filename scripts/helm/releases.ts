import type { PlanDocument, PlanResource } from "../../offline-plan/record";

/**
 * The Helm releases of a plan document, as `helm template` takes them: what the offline plan
 * recorded for each `kubernetes:helm.sh/v3:Release` (chart, pinned version, repository,
 * namespace and the very values Pulumi would send), and the cluster's Kubernetes version.
 */

export interface PlannedRelease {
    /** The release name (`helm template NAME`). */
    readonly name: string;
    readonly namespace: string;
    readonly chart: string;
    readonly version: string;
    readonly repo: string;
    readonly values: Record<string, unknown>;
}

const releaseType = "kubernetes:helm.sh/v3:Release";

function field(resource: PlanResource, key: string): string {
    const value = resource.inputs[key];
    if (typeof value !== "string" || value === "") throw new Error(`release ${resource.name}: no ${key} in the plan`);
    return value;
}

export function plannedReleases(document: Pick<PlanDocument, "resources">): PlannedRelease[] {
    return document.resources.filter((r) => r.type === releaseType).map((r) => ({
        name: field(r, "name"),
        namespace: field(r, "namespace"),
        chart: field(r, "chart"),
        version: field(r, "version"),
        repo: String((r.inputs.repositoryOpts as { repo?: unknown } | undefined)?.repo ?? ""),
        values: (r.inputs.values ?? {}) as Record<string, unknown>,
    }));
}

/** The EKS cluster's minor version (`--kube-version`), when the plan creates one. */
export function plannedKubeVersion(document: Pick<PlanDocument, "resources">): string | undefined {
    const version = document.resources.find((r) => r.type === "aws:eks/cluster:Cluster")?.inputs.version;
    return typeof version === "string" ? version : undefined;
}

/**
 * `helm template` arguments for a release: the chart from a local directory of unpacked charts
 * (`<dir>/<chart>-<version>`) or from its repository at the pinned version.
 */
export function helmTemplateArgs(release: PlannedRelease, valuesFile: string, options: { chartsDir?: string; kubeVersion?: string }): string[] {
    const source = options.chartsDir !== undefined
        ? [`${options.chartsDir}/${release.chart}-${release.version}`]
        : [release.chart, "--repo", release.repo, "--version", release.version];
    return [
        "template", release.name, ...source,
        "--namespace", release.namespace,
        "--values", valuesFile,
        // The operator's CRDs come with kube-prometheus-stack: charts that add ServiceMonitors check for them.
        "--api-versions", "monitoring.coreos.com/v1",
        ...(options.kubeVersion !== undefined ? ["--kube-version", options.kubeVersion] : []),
    ];
}

/** `<name>.<namespace>.svc:<port>` of the Services the plan creates itself (not through a chart). */
export function plannedServices(document: Pick<PlanDocument, "resources">): string[] {
    return document.resources.filter((r) => r.type === "kubernetes:core/v1:Service").flatMap((r) => {
        const metadata = (r.inputs.metadata ?? {}) as { name?: unknown; namespace?: unknown };
        const ports = ((r.inputs.spec ?? {}) as { ports?: { port?: unknown }[] }).ports ?? [];
        return ports.map((p) => `${String(metadata.name)}.${String(metadata.namespace ?? "default")}.svc:${String(p.port)}`);
    });
}
