export * from "./network";
export * from "./subnets";
