/**
 * Keel's components, the package's public entry point: one namespace per concern, as
 * pulumi-awsx groups its own (`keel.network.Network`, `keel.backup.BackupBucket`, ...).
 * The Pulumi program that composes them per environment (index.ts, stacks/) is not part of it.
 */
export * as backup from "./backup";
export * as cache from "./cache";
export * as cost from "./cost";
export * as edge from "./edge";
export * as database from "./database";
export * as iam from "./iam";
export * as kms from "./kms";
export * as kubernetes from "./kubernetes";
export * as monitoring from "./monitoring";
export * as network from "./network";
export * as traffic from "./traffic";
// What every component throws and reports when its arguments are refused.
export * from "./problems";
// Container image references, as AutoscaledService and KubeService judge them.
export * from "./container-image";
