export * from "./docker";
export * from "./render";
export * from "./region-watch";
