import { CostAlerts } from "../components/cost";
import { costAlertsSettings, type KeelConfig } from "./config";
import type { RegionalProviders } from "./providers";

/**
 * The environment's budget alerts and, where `keel:cost.anomalyImpactUsd` is set, cost anomaly
 * detection: over its `environment` cost allocation tag (the tag every resource carries), to
 * the team's addresses. Budgets and Cost Explorer are global; the primary region's provider
 * creates them. Named after the stack, so environments sharing an account keep one each.
 */
export function costAlerts(config: KeelConfig, providers: RegionalProviders): CostAlerts {
    return new CostAlerts(`keel-${config.environment}`, costAlertsSettings(config.cost, config.monitoring.alarmEmails, config.environment), { provider: providers.primary });
}
