export * from "./network";
export * from "./peering";
export * from "./subnets";
export * from "./admitting-group";
