export * from "./docker";
export * from "./kubernetes";
export * from "./render";
export * from "./region-watch";
export * from "./postgres-exporter";
export * from "./notifications";
export * from "./redis-exporter";
