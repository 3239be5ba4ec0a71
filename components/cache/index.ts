export * from "./replicated-cache";
export * from "./settings";
