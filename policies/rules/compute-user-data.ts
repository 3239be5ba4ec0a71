import { gunzipSync } from "node:zlib";

/**
 * Credentials in EC2 user data. User data is readable by anyone who may describe the instance
 * or template (ec2:DescribeLaunchTemplateVersions, ec2:DescribeInstanceAttribute) and by every
 * process on the instance through the metadata service; it is kept in the template's versions
 * for ever. Instances read credentials at boot with their role (Secrets Manager) instead.
 *
 * User data is judged as it is and after decoding: launch templates take it base64-encoded, and
 * cloud-init also takes gzip, MIME parts and `write_files` content in base64 or gzip+base64.
 */

/** Decoding passes into nested encodings (base64 of gzip of a cloud-config with b64 files). */
const maxDecodingDepth = 3;
/** The most decoded text judged per value: gzip can expand a small input enormously. */
const maxDecodedBytes = 1 << 20;

const printable = (text: string) => text.length > 0 && text.replace(/[\t\n\r\x20-\x7e]/g, "").length <= text.length / 10;

/** Text a buffer holds: itself, or its gunzipped content. */
function textOf(buffer: Buffer): string | undefined {
    let bytes = buffer;
    if (bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
        try {
            bytes = gunzipSync(bytes, { maxOutputLength: maxDecodedBytes });
        } catch {
            return undefined;
        }
    }
    const text = bytes.toString("utf8");
    return printable(text) ? text : undefined;
}

/**
 * Runs of base64 (across line breaks and indentation, as MIME parts and YAML blocks wrap them).
 * Prose is runs of short words: a run counts only with a word of 16 characters or more.
 */
function base64Runs(text: string): string[] {
    return (text.match(/[A-Za-z0-9+/=\s]{16,}/g) ?? [])
        .filter((run) => /[A-Za-z0-9+/=]{16,}/.test(run))
        .map((run) => run.replace(/\s+/g, ""))
        .filter((run) => run.length % 4 !== 1 && /^[A-Za-z0-9+/]+={0,2}$/.test(run));
}

/** A value and every text decoded from it. */
export function decodedTexts(value: string): string[] {
    const texts: string[] = [];
    let budget = maxDecodedBytes;
    const visit = (text: string, depth: number) => {
        if (budget <= 0) return;
        budget -= text.length;
        texts.push(text);
        if (depth >= maxDecodingDepth) return;
        for (const run of base64Runs(text)) {
            const decoded = textOf(Buffer.from(run, "base64"));
            if (decoded !== undefined && decoded !== text) visit(decoded, depth + 1);
        }
    };
    visit(value, 0);
    return texts;
}

/** Values that are not literal credentials: shell and jq expansions, templates, placeholders, booleans. */
function isReference(value: string): boolean {
    return /^(\$|\\\(|\{|\[|<|%|`|!|@|\*|\/|arn:)/.test(value) || /^(true|false|yes|no|on|off|null|none|~|required|optional)$/i.test(value);
}

/** Names of settings and variables that hold a credential, last segment (`DB_PASSWORD`, `apiKey`, `aws_secret_access_key`). */
const credentialKey = /(?<![\w:/.-])([\w.-]*?(?:password|passwd|passphrase|secret|secret_?key|access_?key|private_?key|api_?key|token|credentials?))(["']?)\s*(?:=|:(?!\/\/))\s*(["']?)([^\s"'`;&|,}]*)/gi;
/** Crypt(3) hashes (cloud-init `passwd`): a password in a form that is cracked offline. */
const cryptHash = /^\$(1|2[abxy]|5|6|y|gy|7)\$/;

interface Finding {
    readonly kind: string;
    readonly test: (text: string) => boolean;
}

const pattern = (kind: string, regex: RegExp): Finding => ({ kind, test: (text) => regex.test(text) });

const findings: Finding[] = [
    pattern("an AWS access key ID (AKIA/ASIA…)", /(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{12,}(?![A-Z0-9])/),
    pattern("an AWS secret access key", /aws_?secret_?access_?key\W{1,6}[A-Za-z0-9/+]{30,}/i),
    pattern("a private key", /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----/),
    pattern("a GitHub token", /\b(gh[pousr]_[A-Za-z0-9]{8,}|github_pat_[A-Za-z0-9_]{8,})/),
    pattern("a GitLab token", /\bglpat-[A-Za-z0-9_-]{8,}/),
    pattern("a Slack token or webhook", /\bxox[abposr]-[A-Za-z0-9-]{8,}|hooks\.slack\.com\/services\/[A-Za-z0-9/]+/),
    pattern("an API key (Stripe, Google, npm, Vault, SendGrid, PyPI)", /\b(sk_live_[A-Za-z0-9]{8,}|rk_live_[A-Za-z0-9]{8,}|AIza[A-Za-z0-9_-]{30,}|npm_[A-Za-z0-9]{30,}|hvs\.[A-Za-z0-9_-]{20,}|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|pypi-AgE[A-Za-z0-9_-]{16,})/),
    pattern("a JSON web token", /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/),
    {
        kind: "a URL with a password (user:password@host)",
        test: (text) => [...text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/([^\s:@/'"]*):([^\s@/'"]+)@[^\s@/'"]/gi)].some((m) => !isReference(m[2])),
    },
    {
        kind: "a password, secret or token given as a literal value",
        test: (text) =>
            [...text.matchAll(credentialKey)].some((m) => {
                const value = m[4];
                if (value === "" || /^(old)?pwd$/i.test(m[1])) return false;
                return cryptHash.test(value) || !isReference(value);
            }),
    },
    pattern("a password passed on a command line", /--?(password|passwd|pass|token|secret|api-key|access-key|secret-key)(=|\s+)(["']?)(?![$\\{<%`-])[^\s"']+/i),
    pattern("a password piped to chpasswd", /(?<![\w-])[a-z_][\w-]*:[^\s:'"$|]+["']?\s*\|\s*(sudo\s+)?chpasswd/i),
];

/** Templates of one stack often share their user data: each value is judged once. */
const judged = new Map<string, string[]>();
const maxJudged = 256;

/** What kinds of credentials a user data value holds, judged as given and decoded. */
export function userDataCredentials(value: string): string[] {
    const cached = judged.get(value);
    if (cached !== undefined) return cached;
    const texts = decodedTexts(value);
    const kinds = findings.filter((f) => texts.some((t) => f.test(t))).map((f) => f.kind);
    if (judged.size >= maxJudged) judged.clear();
    judged.set(value, kinds);
    return kinds;
}
