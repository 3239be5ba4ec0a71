import { writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseDurationSeconds } from "../../policies/rules/alertmanager-routing";
import { startHttpCatcher, startSmtpCatcher, type CaughtMail, type CaughtRequest, type HttpCatcher, type SmtpCatcher } from "./catchers";
import { tempDir } from "./process";
import { startAlertmanager, type AlertmanagerServer } from "./prometheus";
import { selfSignedCertificate, type Certificate } from "./tls";

/**
 * Keel's rendered alerting (rules and routing) run by a real Prometheus and Alertmanager on
 * loopback, with every receiver's endpoint replaced by a catcher: PagerDuty's Events API,
 * Slack's webhook and the heartbeat's ping URL by an HTTP catcher, the SMTP relay by an SMTP
 * catcher with STARTTLS and AUTH. Nothing else changes but time: every duration of the
 * routing tree and every rule's `for` is divided by the same factor, so minutes of
 * Alertmanager pass in seconds with their proportions kept.
 */

/** A Prometheus/Alertmanager duration divided by `factor`, in milliseconds (both servers read `ms`). */
export function compressDuration(text: string, factor: number): string {
    const seconds = parseDurationSeconds(text);
    if (seconds === undefined) throw new Error(`not a duration: ${text}`);
    return `${Math.ceil((seconds * 1000) / factor)}ms`;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

function mapRoutes(route: Json, factor: number): Json {
    const timed = Object.fromEntries(["group_wait", "group_interval", "repeat_interval"].filter((key) => typeof route[key] === "string").map((key) => [key, compressDuration(route[key] as string, factor)]));
    const routes = Array.isArray(route.routes) ? { routes: route.routes.map((r) => mapRoutes(r as Json, factor)) } : {};
    return { ...route, ...timed, ...routes };
}

/** Where the notifications of one Alertmanager go, and the secrets its receivers read from files. */
export interface NotificationEndpoints {
    readonly http: HttpCatcher;
    readonly smtp: SmtpCatcher;
    /** The certificate the SMTP catcher offers with STARTTLS (Alertmanager is told to trust it). */
    readonly certificate: Certificate;
    readonly pagerdutyRoutingKey: string;
    readonly smtpPassword: string;
}

/** The HTTP catcher's paths per receiver kind. */
export const catcherPaths = { pagerduty: "/pagerduty", slack: "/slack", heartbeat: "/heartbeat" } as const;

/**
 * The rendered alertmanager.yml on loopback: `*_file` secrets written to `secretsDir` with the
 * catchers' URLs and the test credentials; the SMTP smarthost and PagerDuty's URL pointed at
 * the catchers; the routing tree's durations divided by `timeScale`.
 */
export function alertmanagerOnLoopback(config: Json, endpoints: NotificationEndpoints, secretsDir: string, timeScale: number): Json {
    const secretOf: Record<string, string> = {
        routing_key_file: endpoints.pagerdutyRoutingKey,
        api_url_file: `${endpoints.http.url}${catcherPaths.slack}`,
        url_file: `${endpoints.http.url}${catcherPaths.heartbeat}`,
        smtp_auth_password_file: endpoints.smtpPassword,
    };
    const rewrite = (value: unknown, key = ""): unknown => {
        if (Array.isArray(value)) return value.map((v) => rewrite(v));
        if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, k)]));
        if (typeof value === "string" && key.endsWith("_file")) {
            const content = secretOf[key];
            if (content === undefined) throw new Error(`no test secret for ${key}`);
            const path = join(secretsDir, basename(value));
            writeFileSync(path, `${content}\n`, { mode: 0o600 });
            return path;
        }
        return value;
    };
    const rewritten = rewrite(config) as Json;
    const global = isObject(rewritten.global) ? rewritten.global : {};
    const receivers = Array.isArray(rewritten.receivers) ? (rewritten.receivers as Json[]) : [];
    return {
        ...rewritten,
        global: {
            ...global,
            ...(global.smtp_smarthost !== undefined ? { smtp_smarthost: endpoints.smtp.address } : {}),
            ...(typeof global.resolve_timeout === "string" ? { resolve_timeout: compressDuration(global.resolve_timeout, timeScale) } : {}),
        },
        route: mapRoutes(isObject(rewritten.route) ? rewritten.route : {}, timeScale),
        receivers: receivers.map((receiver) => Array.isArray(receiver.pagerduty_configs)
            ? { ...receiver, pagerduty_configs: (receiver.pagerduty_configs as Json[]).map((c) => ({ ...c, url: `${endpoints.http.url}${catcherPaths.pagerduty}` })) }
            : receiver),
    };
}

/**
 * kube-prometheus-stack's Watchdog (88.5.3, templates/prometheus/rules-1.14/general.rules.yaml;
 * `defaultRules.create`, which Keel keeps): on the cluster the chart, not Keel, defines it.
 */
export const chartWatchdogGroup = {
    name: "general.rules",
    rules: [{ alert: "Watchdog", expr: "vector(1)", labels: { severity: "none" }, annotations: { summary: "An alert that should always be firing to certify that Alertmanager is working properly." } }],
};

/** A rule group's rules with every `for` divided by `timeScale`. */
export function rulesOnLoopback(groups: readonly Json[], timeScale: number): Json[] {
    return groups.map((group) => ({
        ...group,
        rules: (group.rules as Json[]).map((rule) => (typeof rule.for === "string" ? { ...rule, for: compressDuration(rule.for, timeScale) } : rule)),
    }));
}

/** One notification as a person would see it: where it arrived, about what, in which state. */
export interface Delivery {
    /** When it arrived (ms since the epoch). */
    readonly receivedAt: number;
    /** `pagerduty`, `slack #channel`, `email address`, `heartbeat`. */
    readonly channel: string;
    readonly status: "firing" | "resolved";
    readonly alertname: string;
    /** How many alerts of the group it reports firing (0 when resolved). */
    readonly firing: number;
    /** Everything the person reads, for checking annotations. */
    readonly text: string;
}

/** `[FIRING:2] ServiceDown (…)` → status, count and alert name (Alertmanager's default `__subject`, and Keel's Slack title). */
function subject(title: string): Pick<Delivery, "status" | "alertname" | "firing"> {
    const match = /^\[(FIRING|RESOLVED)(?::(\d+))?\] (\S+)/.exec(title);
    if (match === null) throw new Error(`not an Alertmanager subject: ${title}`);
    return { status: match[1] === "FIRING" ? "firing" : "resolved", firing: Number(match[2] ?? 0), alertname: match[3] };
}

function requestDelivery(request: CaughtRequest): Delivery {
    const body = request.body as Json;
    if (request.path === catcherPaths.pagerduty) {
        const payload = body.payload as Json;
        return { receivedAt: request.receivedAt, channel: "pagerduty", ...subject(String(payload.summary)), text: JSON.stringify(body) };
    }
    if (request.path === catcherPaths.slack) {
        const [attachment] = body.attachments as Json[];
        return { receivedAt: request.receivedAt, channel: `slack ${String(body.channel)}`, ...subject(String(attachment.title)), text: `${String(attachment.title)}\n${String(attachment.text)}` };
    }
    if (request.path === catcherPaths.heartbeat) {
        const alerts = body.alerts as { labels: Record<string, string> }[];
        return { receivedAt: request.receivedAt, channel: "heartbeat", status: body.status === "resolved" ? "resolved" : "firing", alertname: String((body.groupLabels as Json).alertname), firing: alerts.length, text: JSON.stringify(body) };
    }
    throw new Error(`a notification to an unknown path: ${request.path}`);
}

function mailDelivery(mail: CaughtMail): Delivery {
    return { receivedAt: mail.receivedAt, channel: `email ${mail.to.join(",")}`, ...subject(mail.headers.subject ?? ""), text: mail.text };
}

/** Every notification the catchers received, oldest first. */
export function deliveriesOf(endpoints: Pick<NotificationEndpoints, "http" | "smtp">): Delivery[] {
    return [...endpoints.http.received().map(requestDelivery), ...endpoints.smtp.received().map(mailDelivery)].sort((a, b) => a.receivedAt - b.receivedAt);
}

/** Catchers for one Alertmanager: an HTTP catcher and an SMTP relay with a fresh certificate. */
export async function startNotificationEndpoints(smtpUsername: string): Promise<NotificationEndpoints> {
    const certificate = selfSignedCertificate(tempDir("smtp-tls"));
    const smtpPassword = "smtp-test-password";
    return {
        http: await startHttpCatcher(),
        smtp: await startSmtpCatcher(certificate, smtpUsername, smtpPassword),
        certificate,
        pagerdutyRoutingKey: "R0123456789ABCDEF0123456789ABCDE",
        smtpPassword,
    };
}

export interface LoopbackAlertmanager extends AlertmanagerServer {
    readonly endpoints: NotificationEndpoints;
    /** What has arrived at its catchers. */
    deliveries(): Delivery[];
}

/** Alertmanager with a rendered configuration, its receivers pointed at fresh catchers. */
export async function startLoopbackAlertmanager(config: Json, timeScale: number): Promise<LoopbackAlertmanager> {
    const global = isObject(config.global) ? config.global : {};
    const endpoints = await startNotificationEndpoints(String(global.smtp_auth_username ?? "alertmanager"));
    const server = await startAlertmanager(alertmanagerOnLoopback(config, endpoints, tempDir("alertmanager-secrets"), timeScale), { SSL_CERT_FILE: endpoints.certificate.certFile });
    return {
        ...server,
        endpoints,
        deliveries: () => deliveriesOf(endpoints),
        stop: async () => {
            await server.stop();
            await endpoints.http.stop();
            await endpoints.smtp.stop();
        },
    };
}
