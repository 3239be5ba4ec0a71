import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { SMTPServer } from "smtp-server";
import { closeHttpServer, eventually, freePort } from "./process";
import type { Certificate } from "./tls";

/**
 * Stand-ins for what Alertmanager notifies — PagerDuty's Events API, Slack's incoming
 * webhooks, a heartbeat check's ping URL, an SMTP relay — that record what arrives, so a test
 * can assert who was told what.
 */

export interface CaughtRequest {
    /** When it arrived (ms since the epoch). */
    readonly receivedAt: number;
    readonly path: string;
    readonly headers: IncomingHttpHeaders;
    /** The body, parsed when it is JSON. */
    readonly body: unknown;
}

export interface Catcher<T> {
    /** Everything received so far, oldest first. */
    received(): readonly T[];
    /** Waits until `count` items match `match`, and returns them. */
    waitFor(match: (item: T) => boolean, count?: number, timeoutMs?: number): Promise<T[]>;
    /** Forgets what was received. */
    clear(): void;
    stop(): Promise<void>;
}

function collector<T>(stop: () => Promise<void>): { items: T[]; catcher: Catcher<T> } {
    const items: T[] = [];
    return {
        items,
        catcher: {
            received: () => [...items],
            waitFor: (match, count = 1, timeoutMs = 15000) => eventually(async () => {
                const found = items.filter(match);
                if (found.length < count) throw new Error(`${found.length} of ${count} expected items arrived; received: ${JSON.stringify(items).slice(0, 2000)}`);
                return found;
            }, timeoutMs),
            clear: () => items.splice(0),
            stop,
        },
    };
}

export interface HttpCatcher extends Catcher<CaughtRequest> {
    /** `http://127.0.0.1:<port>` */
    readonly url: string;
}

/**
 * An HTTP server that accepts every POST with 200 and a body every notifier reads as success
 * (Slack's `{"ok":true}`, PagerDuty's `{"status":"success"}`).
 */
export async function startHttpCatcher(): Promise<HttpCatcher> {
    const port = await freePort();
    const server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let body: unknown = text;
            try {
                body = JSON.parse(text);
            } catch {
                // Not JSON: kept as text.
            }
            items.push({ receivedAt: Date.now(), path: request.url ?? "", headers: request.headers, body });
            response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, status: "success", message: "Event processed" }));
        });
    });
    const { items, catcher } = collector<CaughtRequest>(() => closeHttpServer(server));
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return { ...catcher, url: `http://127.0.0.1:${port}` };
}

export interface CaughtMail {
    /** When it arrived (ms since the epoch). */
    readonly receivedAt: number;
    readonly from: string;
    readonly to: readonly string[];
    /** The user that authenticated. */
    readonly user: string;
    /** Whether the session had been upgraded to TLS (STARTTLS) when the mail was sent. */
    readonly secure: boolean;
    readonly headers: Readonly<Record<string, string>>;
    /** The message's text with quoted-printable soft breaks and escapes decoded. */
    readonly text: string;
}

export interface SmtpCatcher extends Catcher<CaughtMail> {
    /** host:port, for `smtp_smarthost`. */
    readonly address: string;
}

/** Quoted-printable (RFC 2045 §6.7) as mail clients decode it, enough to read a message's text. */
function decodeQuotedPrintable(text: string): string {
    return Buffer.from(text.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), "latin1").toString("utf8");
}

function headersOf(raw: string): Record<string, string> {
    const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, " ");
    return Object.fromEntries(head.split(/\r?\n/).map((line) => {
        const colon = line.indexOf(":");
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }));
}

/**
 * An SMTP relay on loopback that, like Amazon SES, offers STARTTLS with `certificate` and
 * accepts AUTH (PLAIN or LOGIN) only inside TLS and only for `username`/`password`.
 */
export async function startSmtpCatcher(certificate: Certificate, username: string, password: string): Promise<SmtpCatcher> {
    const port = await freePort();
    const server = new SMTPServer({
        key: readFileSync(certificate.keyFile),
        cert: readFileSync(certificate.certFile),
        authMethods: ["PLAIN", "LOGIN"],
        logger: false,
        // Alertmanager may keep a session open; stopping waits at most this long for it.
        closeTimeout: 100,
        onAuth(auth, _session, callback) {
            if (auth.username === username && auth.password === password) callback(null, { user: username });
            else callback(new Error("535 authentication failed"));
        },
        onData(stream, session, callback) {
            const chunks: Buffer[] = [];
            stream.on("data", (chunk: Buffer) => chunks.push(chunk));
            stream.on("end", () => {
                const raw = Buffer.concat(chunks).toString("utf8");
                items.push({
                    receivedAt: Date.now(),
                    from: session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address,
                    to: session.envelope.rcptTo.map((r) => r.address),
                    user: String(session.user ?? ""),
                    secure: session.secure,
                    headers: headersOf(raw),
                    text: decodeQuotedPrintable(raw),
                });
                callback();
            });
        },
    });
    const { items, catcher } = collector<CaughtMail>(() => new Promise((resolve) => server.close(() => resolve())));
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return { ...catcher, address: `127.0.0.1:${port}` };
}
