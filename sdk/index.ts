export { DatabaseConnection, type DatabaseConnectionArgs } from "./connection";
export { MigrationTask, type MigrationTaskArgs, type IncrementalOutput } from "./task";
export * as schema from "./schema";
export type { ConnectionFacts, MysqlFacts, PostgresFacts, MysqlPrivileges, Flavour } from "../provider/engine/facts";
