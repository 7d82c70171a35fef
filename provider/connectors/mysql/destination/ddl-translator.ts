import type { DdlTranslator } from "../../../engine/ddl-translator";
import { referenceResolver } from "./ddl";
import { qualified } from "../identifiers";
import { alterForMysql, renameTableForMysql } from "./ddl-translate";

/** The MySQL-family side of incremental DDL: the source's statements in destination names. */
export const mysqlDdlTranslator: DdlTranslator = {
    // The stream's own mappings, so a foreign key added on the source names its referenced table as the destination has it now.
    alterTable: (m, alteration, task, tables) => alterForMysql(m, alteration, task, { resolveReference: referenceResolver(tables) }),
    renameTable: (m, to, task, statement) => renameTableForMysql(m, to, task, {}, statement),
    dropTable: (m) => [`DROP TABLE IF EXISTS ${qualified(m.targetSchema, m.targetTable)}`],
    dropObject: (kind, schema, name) => `DROP ${kind.toUpperCase()} IF EXISTS ${qualified(schema, name)}`,
};
