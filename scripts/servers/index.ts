/**
 * Real servers on loopback for the tests and `npm run demo`: PostgreSQL 15, Prometheus,
 * Alertmanager, the exporters and the Pushgateway from Debian's packages
 * (scripts/ci/install-tools.sh), s3rver for the AWS CLI, and catchers for notifications.
 */
export * from "./catchers";
export * from "./postgres";
export * from "./postgres-pair";
export * from "./process";
export * from "./prometheus";
export * from "./pushgateway";
export * from "./s3";
export * from "./tls";
export * from "./alerting";
export * from "./scrape";
export * from "./cache";
