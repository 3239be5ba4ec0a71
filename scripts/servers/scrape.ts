/**
 * Keel's rendered scrape jobs pointed at servers on loopback: job names, metrics paths, params
 * and relabelling stay as rendered; only where the targets are changes (static addresses and
 * EC2 discovery become static loopback targets, and a relabelling that sends the scrape to
 * another address, the blackbox exporter's, sends it to the loopback one).
 */

type Json = Record<string, unknown>;

/** Where one rendered job's targets run on loopback. */
export interface LoopbackTargets {
    /** Replace the job's targets: `host:port` of exporters, or the URLs a probe job probes. */
    readonly targets: readonly string[];
    /** Replaces the address a relabelling scrapes instead of the target (the blackbox exporter's). */
    readonly scrapeAddress?: string;
}

/** Where a rendered job's targets come from, and the relabelling that reads them: replaced on loopback. */
const targetKeys = ["static_configs", "ec2_sd_configs", "relabel_configs"];

const readsEc2Discovery = (rule: Json) => Array.isArray(rule.source_labels) && rule.source_labels.some((label) => String(label).startsWith("__meta_ec2_"));

function relabellingOnLoopback(job: string, rules: readonly Json[], scrapeAddress: string | undefined): Json[] {
    return rules.filter((rule) => !readsEc2Discovery(rule)).map((rule) => {
        if (rule.target_label !== "__address__" || rule.replacement === undefined) return rule;
        if (scrapeAddress === undefined) throw new Error(`scrape job ${job} relabels its address to ${String(rule.replacement)}: give its loopback scrapeAddress`);
        return { ...rule, replacement: scrapeAddress };
    });
}

/**
 * The rendered scrape configs of the jobs named in `loopback`, on loopback (the other jobs
 * are left out: nothing here answers for them). Refuses a job name that is not rendered, so a
 * renamed job cannot pass unscraped.
 */
export function scrapeJobsOnLoopback(scrapeConfigs: readonly Json[], loopback: Readonly<Record<string, LoopbackTargets>>): Json[] {
    const rendered = new Set(scrapeConfigs.map((c) => String(c.job_name)));
    const unknown = Object.keys(loopback).filter((job) => !rendered.has(job));
    if (unknown.length > 0) throw new Error(`no rendered scrape job ${unknown.join(", ")} (rendered: ${[...rendered].join(", ")})`);
    return scrapeConfigs.flatMap((config) => {
        const job = String(config.job_name);
        const place = loopback[job];
        if (place === undefined) return [];
        const kept = Object.fromEntries(Object.entries(config).filter(([key]) => !targetKeys.includes(key)));
        const rules = relabellingOnLoopback(job, Array.isArray(config.relabel_configs) ? (config.relabel_configs as Json[]) : [], place.scrapeAddress);
        return [{ ...kept, static_configs: [{ targets: [...place.targets] }], ...(rules.length > 0 ? { relabel_configs: rules } : {}) }];
    });
}
