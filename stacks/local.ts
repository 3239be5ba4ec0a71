import * as docker from "@pulumi/docker";
import type { KeelConfig } from "./config";
import { localDatabases } from "./database";
import { localMonitoring } from "./monitoring";
import { standardTags } from "./tags";

/** local: everything as containers on the laptop's Docker, joined to one network. */
export default function local(config: KeelConfig) {
    const network = new docker.Network("keel-local", {
        name: `keel-${config.environment}`,
        driver: "bridge",
        labels: Object.entries(standardTags(config)).map(([label, value]) => ({ label, value })),
    });
    const database = localDatabases(config, network.name);
    return {
        environment: config.environment,
        dockerNetwork: network.name,
        database,
        monitoring: localMonitoring(config, network.name, database),
    };
}
