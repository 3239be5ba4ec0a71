export type { DatabaseEndpoints } from "./context";
export * from "./docker";
export * from "./replicated-database";
export * from "./settings";
