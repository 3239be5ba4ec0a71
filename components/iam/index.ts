export * from "./managed-policy";
export * from "./trust";
