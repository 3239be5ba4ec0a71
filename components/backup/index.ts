export * from "./backup-bucket";
export * from "./dump-job";
export * from "./findings";
export type { AccessLogTarget, ObjectLockSpec } from "./hardened-bucket";
export * from "./lifecycle";
export * from "./log-bucket";
export * from "./plan";
export * from "./schedule";
export * as tiers from "./tiers";
