export * from "./cluster";
export * from "./service";
export * from "./versions";
