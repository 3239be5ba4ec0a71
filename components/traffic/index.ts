export * from "./alb-log-bucket";
export * from "./application";
export * from "./autoscaled-service";
export * from "./failover";
export * from "./failover-dns";
export * from "./hosted-zone";
export * from "./settings";
export * from "./user-data";
