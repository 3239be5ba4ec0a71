/**
 * Amazon EKS's Kubernetes release calendar: when each minor version left (or leaves) standard
 * support. After that date a cluster runs in paid extended support for 12 more months, then is
 * upgraded automatically (EKS user guide, "Understand the Kubernetes version lifecycle on EKS",
 * release calendar; standard support lasts 14 months from the EKS release). Add a row when EKS
 * releases a version; a version without a row is refused, so the table cannot silently age.
 */
export const eksStandardSupportEnds: Readonly<Record<string, string>> = {
    "1.29": "2025-03-23",
    "1.30": "2025-07-23",
    "1.31": "2025-11-26",
    "1.32": "2026-03-23",
    "1.33": "2026-07-29",
    "1.34": "2026-12-02",
    "1.35": "2027-03-27",
};

/** The version new clusters get: the newest one in the calendar. */
export const defaultEksVersion = "1.35";

/**
 * Why a cluster must not be created (or kept) at this version on this date, or undefined when
 * it is in standard support. The date is the plan's: `pulumi up` on a later day judges again.
 */
export function eksVersionProblem(version: string, on: Date = new Date()): string | undefined {
    const ends = eksStandardSupportEnds[version];
    if (ends === undefined) {
        return `EKS version ${version} is not in Keel's release calendar (components/kubernetes/versions.ts: ${Object.keys(eksStandardSupportEnds).join(", ")}); add its end of standard support from the EKS release calendar`;
    }
    if (on.getTime() >= Date.parse(`${ends}T00:00:00Z`)) {
        const current = Object.entries(eksStandardSupportEnds).filter(([, end]) => on.getTime() < Date.parse(`${end}T00:00:00Z`)).map(([v]) => v);
        return `EKS version ${version} left standard support on ${ends} (a cluster there runs in paid extended support, then is upgraded by AWS); use a version in standard support on ${on.toISOString().slice(0, 10)}: ${current.join(", ") || "none in Keel's calendar, add the newest"}`;
    }
    return undefined;
}
