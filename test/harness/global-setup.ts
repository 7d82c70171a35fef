import type { TestProject } from "vitest/node";
import { destroyMariaDb, type MariaDbInfo, startMariaDb } from "./mariadb";
import { destroyPostgres, type PostgresInfo, startPostgres } from "./postgres";

declare module "vitest" {
    export interface ProvidedContext {
        mariadb: MariaDbInfo;
        postgres: PostgresInfo;
    }
}

/** One MariaDB and one PostgreSQL for the whole run; tests make their own databases in them. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
    const [mariadb, postgres] = await Promise.all([startMariaDb(), startPostgres()]);
    project.provide("mariadb", mariadb);
    project.provide("postgres", postgres);
    return async () => {
        await Promise.all([destroyMariaDb(mariadb), destroyPostgres(postgres)]);
    };
}
