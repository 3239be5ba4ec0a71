import { join } from "node:path";
import { freePort, spawnServer, tempDir, waitForHttp } from "./process";

export interface Pushgateway {
    readonly address: string;
    readonly persistenceFile: string;
    /** The exposition text of /metrics. */
    metrics(): Promise<string>;
    /** Stops it; it saves its metrics to the persistence file on the way out. */
    stop(): Promise<void>;
}

/**
 * Debian's prometheus-pushgateway on loopback, persisting to `persistenceFile` (Debian's
 * default is a file shared by every instance: /var/lib/prometheus/pushgateway.data).
 */
export async function startPushgateway(persistenceFile = join(tempDir("pushgateway"), "pushgateway.data")): Promise<Pushgateway> {
    const address = `127.0.0.1:${await freePort()}`;
    const server = spawnServer("prometheus-pushgateway", [`--web.listen-address=${address}`, `--persistence.file=${persistenceFile}`, "--persistence.interval=1s"], { logFile: `${persistenceFile}.log` });
    await waitForHttp("the Pushgateway", `http://${address}/-/ready`);
    return {
        address,
        persistenceFile,
        metrics: async () => (await fetch(`http://${address}/metrics`)).text(),
        stop: server.stop,
    };
}
