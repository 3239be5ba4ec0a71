import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

/**
 * Runs the Prometheus project's own validators over a rendered monitoring directory:
 * `promtool check config` (which also checks that the rule files exist), `promtool check rules`
 * with its lint made fatal, `promtool test rules`, and `amtool check-config` where there is an
 * alertmanager.yml. Debian's `prometheus` and `prometheus-alertmanager` packages provide them
 * (.ci/run installs them); a missing tool is an error, never a skip.
 */

export interface ToolRun {
    readonly command: string;
    readonly status: number;
    readonly output: string;
}

export class MissingToolError extends Error {
    constructor(tool: string) {
        super(`${tool} is not installed: install Debian's prometheus and prometheus-alertmanager packages (as .ci/run does)`);
        this.name = "MissingToolError";
    }
}

export function runTool(tool: "promtool" | "amtool", args: readonly string[], cwd: string): ToolRun {
    const result = spawnSync(tool, args, { cwd, encoding: "utf8" });
    if (result.error) throw "code" in result.error && result.error.code === "ENOENT" ? new MissingToolError(tool) : result.error;
    return { command: [tool, ...args].join(" "), status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

/** Every validator run over `dir` (a rendered `monitoring/` directory), in order. */
export function checkWithPrometheusTools(dir: string, ruleFiles: readonly string[], testFiles: readonly string[]): ToolRun[] {
    return [
        runTool("promtool", ["check", "config", "prometheus.yml"], dir),
        runTool("promtool", ["check", "rules", "--lint-fatal", ...ruleFiles], dir),
        runTool("promtool", ["test", "rules", ...testFiles], dir),
        ...(existsSync(join(dir, "alertmanager.yml")) ? [runTool("amtool", ["check-config", "alertmanager.yml"], dir)] : []),
    ];
}
