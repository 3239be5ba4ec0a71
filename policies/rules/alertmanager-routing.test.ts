import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
    canMatch, inhibitedBy, inhibitRules, inhibits, matcherMatches, matchRoutes, parseDurationSeconds, parseMatcher, parseMatchers, routingTree, UnreadableConfigError,
} from "./alertmanager-routing";

const receiversOf = (config: Record<string, unknown>, labels: Record<string, string>) => matchRoutes(routingTree(config), labels).map((r) => r.receiver);

describe("Alertmanager matchers", () => {
    test("parse the matchers syntax: quoted or not, spaces, braces, several per line, escapes", () => {
        assert.deepEqual(parseMatcher('severity="critical"'), { name: "severity", type: "=", value: "critical" });
        assert.deepEqual(parseMatcher("severity = critical"), { name: "severity", type: "=", value: "critical" });
        assert.deepEqual(parseMatchers('{team!="db", env=~"prod|staging",}').map((m) => [m.name, m.type, m.value]), [["team", "!=", "db"], ["env", "=~", "prod|staging"]]);
        assert.equal(parseMatcher('msg="say \\"hi\\", ok"').value, 'say "hi", ok');
        assert.equal(parseMatchers('msg="a,b", x="y"').length, 2);
        assert.throws(() => parseMatcher("severity"), UnreadableConfigError);
        assert.throws(() => parseMatcher('severity="crit"ical"'), UnreadableConfigError);
    });

    test("anchor regexes at both ends, read RE2 flags and POSIX classes, treat a missing label as empty", () => {
        assert.equal(matcherMatches(parseMatcher('severity=~"crit"'), { severity: "critical" }), false);
        assert.equal(matcherMatches(parseMatcher('severity=~"crit.*"'), { severity: "critical" }), true);
        assert.equal(matcherMatches(parseMatcher('severity=~"(?i)CRITICAL"'), { severity: "critical" }), true);
        assert.equal(matcherMatches(parseMatcher('alertname=~"[[:alpha:]]+"'), { alertname: "ServiceDown" }), true);
        assert.equal(matcherMatches(parseMatcher('team=""'), {}), true);
        assert.equal(matcherMatches(parseMatcher('team!~".+"'), {}), true);
        assert.equal(matcherMatches(parseMatcher('severity!="warning"'), { severity: "critical" }), true);
        assert.throws(() => parseMatcher('a=~"(?U)x"'), UnreadableConfigError);
    });

    test("read durations as Prometheus does", () => {
        assert.equal(parseDurationSeconds("15d"), 15 * 86400);
        assert.equal(parseDurationSeconds("1h30m"), 5400);
        assert.equal(parseDurationSeconds("2w"), 14 * 86400);
        assert.equal(parseDurationSeconds("0"), 0);
        assert.equal(parseDurationSeconds("15 days"), undefined);
        assert.equal(parseDurationSeconds(""), undefined);
    });
});

describe("Alertmanager routing", () => {
    const paging = {
        route: {
            receiver: "default",
            routes: [
                { matchers: ['alertname="Watchdog"'], receiver: "heartbeat" },
                { matchers: ['severity="critical"'], receiver: "pager" },
            ],
        },
    };

    test("sends a critical alert {alertname: X} to the first matching child", () => {
        assert.deepEqual(receiversOf(paging, { alertname: "X", severity: "critical" }), ["pager"]);
        assert.deepEqual(receiversOf(paging, { alertname: "X", severity: "warning" }), ["default"]);
    });

    test("stops at a catch-all placed before the paging route, unless it has continue: true", () => {
        const catchAll = { route: { receiver: "default", routes: [{ receiver: "slack" }, ...paging.route.routes] } };
        assert.deepEqual(receiversOf(catchAll, { alertname: "X", severity: "critical" }), ["slack"]);
        const continued = { route: { receiver: "default", routes: [{ receiver: "slack", continue: true }, ...paging.route.routes] } };
        assert.deepEqual(receiversOf(continued, { alertname: "X", severity: "critical" }), ["slack", "pager"]);
        const everything = { route: { receiver: "default", routes: [{ receiver: "slack", matchers: ['alertname=~".*"'] }, ...paging.route.routes] } };
        assert.deepEqual(receiversOf(everything, { alertname: "X", severity: "critical" }), ["slack"]);
    });

    test("goes depth first: a matching parent whose children all miss delivers itself; children inherit receiver and timings, not mute intervals", () => {
        const nested = {
            route: {
                receiver: "default",
                group_wait: "1m",
                routes: [{ match: { team: "db" }, receiver: "db", mute_time_intervals: ["nights"], routes: [{ match_re: { severity: "crit.*" } }] }],
            },
        };
        const [critical] = matchRoutes(routingTree(nested), { team: "db", severity: "critical" });
        assert.equal(critical.path, "route.routes[0].routes[0]");
        assert.equal(critical.receiver, "db");
        assert.equal(critical.groupWaitSeconds, 60);
        assert.deepEqual(critical.muteTimeIntervals, []);
        const [warning] = matchRoutes(routingTree(nested), { team: "db", severity: "warning" });
        assert.equal(warning.path, "route.routes[0]");
        assert.deepEqual(warning.muteTimeIntervals, ["nights"]);
    });
});

describe("Alertmanager inhibition", () => {
    const config = {
        inhibit_rules: [
            { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["alertname"] },
            { source_match: { alertname: "Watchdog" }, target_match_re: { severity: ".*" } },
        ],
    };
    const [criticalMutesWarning, watchdogMutesAll] = inhibitRules(config);

    test("mutes a target only when the source matches, the target matches and the equal labels agree", () => {
        assert.equal(inhibits(criticalMutesWarning, { alertname: "A", severity: "critical" }, { alertname: "A", severity: "warning" }), true);
        assert.equal(inhibits(criticalMutesWarning, { alertname: "A", severity: "critical" }, { alertname: "B", severity: "warning" }), false);
        assert.equal(inhibits(criticalMutesWarning, { alertname: "A", severity: "critical" }, { alertname: "A", severity: "critical" }), false);
    });

    test("an always-firing source mutes critical alerts; an alert matching both sides is not muted by its twin", () => {
        const watchdog = { alertname: "Watchdog", severity: "none" };
        const critical = { alertname: "X", severity: "critical" };
        assert.deepEqual(inhibitedBy(inhibitRules(config), critical, [watchdog])?.rule, watchdogMutesAll);
        const both = inhibitRules({ inhibit_rules: [{ source_matchers: ['team="db"'], target_matchers: ['team="db"'] }] })[0];
        assert.equal(inhibits(both, { team: "db", alertname: "A" }, { team: "db", alertname: "B" }), false);
    });

    test("knows which target matchers can match a critical alert", () => {
        const critical = { severity: "critical" };
        assert.equal(canMatch(parseMatchers('severity="warning"'), critical), false);
        assert.equal(canMatch(parseMatchers('severity=~"warning|info"'), critical), false);
        assert.equal(canMatch(parseMatchers('severity!="critical"'), critical), false);
        assert.equal(canMatch([], critical), true);
        assert.equal(canMatch(parseMatchers('severity!="warning"'), critical), true);
        assert.equal(canMatch(parseMatchers('alertname=~"Service.*"'), critical), true);
        assert.equal(canMatch(parseMatchers('namespace!~".*"'), critical), false);
        assert.equal(canMatch(parseMatchers('alertname="A", alertname="B"'), critical), false);
    });
});
