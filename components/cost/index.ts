export * from "./cost-alerts";
export * from "./settings";
