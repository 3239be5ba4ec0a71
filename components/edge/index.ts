export * from "./edge-distribution";
export * from "./settings";
