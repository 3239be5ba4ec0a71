export * from "./docker";
export * from "./render";
