import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../../offline-plan/engine";
import { planStack, projectRoot } from "../../tests/plans";
import { parseCommand } from "./cli";
import { phases } from "./failover";

const docs = ["docs/runbooks/dr-failover.md", "docs/runbooks/failback.md", "docs/architecture.md"].map((file) => ({ file, text: readFileSync(join(projectRoot, file), "utf8") }));

/** Shell words of a command line: quoted strings as one word, `# comments` dropped. */
function words(line: string): string[] {
    return [...line.replace(/\s+#.*$/, "").matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

describe("the DR runbooks match the script and the stack", () => {
    let production: PlanRecord;
    before(async () => {
        production = await planStack("production");
    });

    test("every `npm run dr-failover` command of their code blocks is one the script accepts", () => {
        const commands = docs.flatMap(({ file, text }) => [...text.matchAll(/^npm run dr-failover -- (.*)$/gm)].map((m) => ({ file, args: words(m[1]) })));
        assert.equal(commands.length, 9, `found ${commands.length}`);
        for (const { file, args } of commands) {
            const command = parseCommand(args);
            assert.ok(command !== undefined && command !== "help", `${file}: ${args.join(" ")}`);
            if (command.force) assert.ok(command.reason, `${file}: --force without --reason`);
        }
        assert.deepEqual(new Set(commands.map(({ args }) => parseCommand(args)).map((c) => (typeof c === "object" ? c.phase.name : c))), new Set(["failover", "rebuild", "switch-back"]));
    });

    test("every stack output they name exists in the production stack", () => {
        const named = new Set(docs.flatMap(({ text }) => [...text.matchAll(/`((?:database|traffic|backup)\.[A-Za-z.]+)`/g)].map((m) => m[1])));
        assert.ok(named.has("database.drArn") && named.has("traffic.failoverSwitch"), [...named].join(", "));
        for (const path of named) {
            const value = path.split(".").reduce<unknown>((node, key) => (typeof node === "object" && node !== null ? Object.entries(node).find(([k]) => k === key)?.[1] : undefined), production.outputs);
            assert.notEqual(value, undefined, `stack output ${path}`);
        }
    });

    test("the config keys and values they name are the ones the phases set", () => {
        const set = new Set(Object.values(phases).flatMap((phase) => phase.config.map(([key, value]) => `${key}=${value}`)));
        const named = new Set(docs.flatMap(({ text }) => [...text.matchAll(/(keel:dr\.\w+)[= ](true|false|original|rebuilding|rebuilt)\b/g)].map((m) => `${m[1]}=${m[2]}`)));
        for (const pair of named) {
            assert.ok(set.has(pair), `${pair} is not set by any phase`);
        }
        assert.deepEqual([...set].sort(), ["keel:dr.active=false", "keel:dr.active=true", "keel:dr.primaryDatabase=rebuilding", "keel:dr.primaryDatabase=rebuilt"]);
    });
});
