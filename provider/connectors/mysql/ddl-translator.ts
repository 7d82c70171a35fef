import type { DdlTranslator } from "../../engine/ddl-translator";
import { qualified } from "./identifiers";
import { alterForMysql, renameTableForMysql } from "./ddl-translate";

/** The MySQL-family side of incremental DDL: the source's statements in destination names. */
export const mysqlDdlTranslator: DdlTranslator = {
    alterTable: (m, parsed, task, _tables) => alterForMysql(m, parsed, task),
    renameTable: (m, to, task, statement) => renameTableForMysql(m, to, task, {}, statement),
    dropTable: (m) => [`DROP TABLE IF EXISTS ${qualified(m.targetSchema, m.targetTable)}`],
};
