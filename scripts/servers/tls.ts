import { chmodSync } from "node:fs";
import { join } from "node:path";
import { run } from "./process";

export interface Certificate {
    /** PEM certificate; self-signed, so it is also the CA file clients trust. */
    readonly certFile: string;
    readonly keyFile: string;
}

/**
 * A throwaway self-signed certificate for 127.0.0.1 (as an IP subject alternative name, which
 * Go's TLS clients require), valid for a day.
 */
export function selfSignedCertificate(dir: string): Certificate {
    const [certFile, keyFile] = [join(dir, "server.crt"), join(dir, "server.key")];
    run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout", keyFile, "-out", certFile]);
    chmodSync(keyFile, 0o600);
    return { certFile, keyFile };
}
