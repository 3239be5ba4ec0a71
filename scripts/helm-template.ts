// `npm run helm-template -- PLAN.json [PLAN.json ...] [--charts DIR] [--out DIR] [--helm PATH]`:
// renders every Helm release of each plan document with `helm template` against its real chart
// at the pinned version, then checks the rendered manifests (scripts/helm/checks.ts). Exit 1
// when a chart refuses its values or a check fails; 2 on a usage error.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseAllDocuments } from "yaml";
import { checkRenderedReleases, type RenderedRelease } from "./helm/checks";
import { helmTemplateArgs, plannedKubeVersion, plannedReleases, plannedServices } from "./helm/releases";
import type { PlanDocument } from "../offline-plan/record";

const usage = "usage: npm run helm-template -- PLAN.json [PLAN.json ...] [--charts DIR] [--out DIR] [--helm PATH]";

function main(): number {
    const { values, positionals } = parseArgs({
        allowPositionals: true,
        options: { charts: { type: "string" }, out: { type: "string" }, helm: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
    if (values.help === true) {
        console.log(`${usage}\n\n  --charts DIR  unpacked charts as DIR/<chart>-<version> (default: each chart's repository)\n  --out DIR     write DIR/<stack>/<release>.yaml\n  --helm PATH   the helm binary (default: helm on PATH)`);
        return 0;
    }
    if (positionals.length === 0) {
        console.error(usage);
        return 2;
    }
    const helm = values.helm ?? "helm";
    const work = mkdtempSync(join(tmpdir(), "keel-helm-"));
    let failures = 0;
    for (const file of positionals) {
        const document = JSON.parse(readFileSync(file, "utf8")) as PlanDocument;
        const kubeVersion = plannedKubeVersion(document);
        const rendered: RenderedRelease[] = [];
        for (const release of plannedReleases(document)) {
            const valuesFile = join(work, `${document.stack}-${release.name}.values.json`);
            writeFileSync(valuesFile, JSON.stringify(release.values, null, 2));
            const args = helmTemplateArgs(release, valuesFile, { chartsDir: values.charts, kubeVersion });
            const run = spawnSync(helm, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
            if (run.error) {
                console.error(`${helm}: ${run.error.message}`);
                return 2;
            }
            const label = `${document.stack}: ${release.name} (${release.chart} ${release.version})`;
            if (run.status !== 0) {
                failures++;
                console.error(`FAIL ${label}\n${run.stderr.trim()}`);
                continue;
            }
            if (values.out !== undefined) {
                mkdirSync(join(values.out, document.stack), { recursive: true });
                writeFileSync(join(values.out, document.stack, `${release.name}.yaml`), run.stdout);
            }
            const manifests = parseAllDocuments(run.stdout).map((d) => d.toJS() as unknown).filter((m): m is Record<string, unknown> => typeof m === "object" && m !== null);
            rendered.push({ release, manifests });
            console.log(`ok   ${label}: ${manifests.length} manifests`);
        }
        for (const problem of checkRenderedReleases(rendered, plannedServices(document))) {
            failures++;
            console.error(`FAIL ${document.stack}: ${problem}`);
        }
    }
    return failures > 0 ? 1 : 0;
}

process.exit(main());
