export * from "./trust";
