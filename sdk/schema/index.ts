export * from "./connection";
export * from "./task";
