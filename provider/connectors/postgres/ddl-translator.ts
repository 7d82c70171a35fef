import type { DdlTranslator } from "../../engine/ddl-translator";
import { alterForPostgres, dropTableForPostgres, renameTableForPostgres } from "./ddl-translate";

/** The PostgreSQL (and AnalyticDB for PostgreSQL) side of incremental DDL. */
export const postgresDdlTranslator: DdlTranslator = {
    alterTable: (m, alteration, task, _tables) => alterForPostgres(m, alteration, task),
    renameTable: (m, to, task, statement) => renameTableForPostgres(m, to, task, {}, statement),
    dropTable: (m) => [dropTableForPostgres(m)],
};
