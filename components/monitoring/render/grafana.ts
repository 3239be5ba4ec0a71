import { dashboards, datasourceUids } from "./dashboards";
import type { GrafanaSpec, MonitoringSpec } from "./spec";

/**
 * Grafana provisioning (`apiVersion: 1`): the datasources and a file provider for the
 * dashboards. Grafana expands `$VAR`/`${VAR}` in provisioning files from its environment, so
 * Grafana's own `${__value.raw}` is written `$${__value.raw}` (Grafana provisioning docs).
 */

/** Where the dashboards' JSON is mounted; the dashboard provider reads this directory. */
export const grafanaDashboardsPath = "/etc/grafana/dashboards";

export function grafanaDatasources(spec: MonitoringSpec): Record<string, unknown> {
    const { endpoints, logs, traces } = spec;
    return {
        apiVersion: 1,
        datasources: [
            {
                name: "Prometheus",
                type: "prometheus",
                uid: datasourceUids.prometheus,
                access: "proxy",
                url: `http://${endpoints.prometheus}`,
                isDefault: true,
                editable: false,
                jsonData: { timeInterval: `${spec.scrapeIntervalSeconds}s`, httpMethod: "POST" },
            },
            ...(logs
                ? [{
                    name: "Loki",
                    type: "loki",
                    uid: datasourceUids.loki,
                    access: "proxy",
                    url: `http://${endpoints.loki}`,
                    editable: false,
                    jsonData: {
                        maxLines: 1000,
                        // Logs → traces: the guides' structured logs carry `traceId`.
                        ...(traces
                            ? { derivedFields: [{ name: "TraceID", matcherRegex: '"traceId":"(\\w+)"', datasourceUid: datasourceUids.jaeger, url: "$${__value.raw}", urlDisplayLabel: "View trace" }] }
                            : {}),
                    },
                }]
                : []),
            ...(traces
                ? [{
                    name: "Jaeger",
                    type: "jaeger",
                    uid: datasourceUids.jaeger,
                    access: "proxy",
                    url: `http://${endpoints.jaeger}`,
                    editable: false,
                    jsonData: {
                        // Traces → logs: the span's service (Loki 3 derives `service_name` from the container name).
                        ...(logs
                            ? {
                                tracesToLogsV2: {
                                    datasourceUid: datasourceUids.loki,
                                    spanStartTimeShift: "-5m",
                                    spanEndTimeShift: "5m",
                                    tags: [{ key: "service.name", value: "service_name" }],
                                    filterByTraceID: true,
                                    filterBySpanID: false,
                                },
                            }
                            : {}),
                        nodeGraph: { enabled: true },
                    },
                }]
                : []),
        ],
    };
}

export function grafanaDashboardProvider(): Record<string, unknown> {
    return {
        apiVersion: 1,
        providers: [{
            name: "keel",
            orgId: 1,
            folder: "Keel",
            folderUid: "keel",
            type: "file",
            // Dashboards are code: edits in the UI are refused, deletions too.
            disableDeletion: true,
            allowUiUpdates: false,
            updateIntervalSeconds: 60,
            options: { path: grafanaDashboardsPath, foldersFromFilesStructure: false },
        }],
    };
}

export function grafanaDashboards(spec: MonitoringSpec, grafana: GrafanaSpec): { file: string; json: Record<string, unknown> }[] {
    return dashboards(spec, grafana).map((d) => ({ file: `${d.uid}.json`, json: d.json }));
}
