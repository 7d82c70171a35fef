import { describe, expect, it } from "vitest";
import { alterationOf } from "../../provider/connectors/mysql/source/alter-apply";
import { parseAlterTable, parseCreateTable } from "../../provider/connectors/mysql/source/alter-parser";
import { referenceResolver } from "../../provider/connectors/mysql/destination/ddl";
import { mysqlDdlTranslator } from "../../provider/connectors/mysql/destination/ddl-translator";
import { postgresDdlTranslator } from "../../provider/connectors/postgres/ddl-translator";
import type { TableLookup } from "../../provider/engine/ddl-translator";
import { buildMappings } from "../../provider/engine/mapping";

type DestinationFamily = "mysql" | "postgres";
import type { TableMapping } from "../../provider/engine/model";
import { type TaskArgsInput, type TaskSpec, taskArgsSchema } from "../../sdk/schema/task";

const PARENT = "CREATE TABLE `parent` (`id` int NOT NULL, `name` varchar(20), PRIMARY KEY (`id`)) ENGINE=InnoDB";
const CHILD = "CREATE TABLE `child` (`id` int NOT NULL, `parent_id` int, `other_id` int, PRIMARY KEY (`id`)) ENGINE=InnoDB";
const OTHER = "CREATE TABLE `other` (`id` int NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB";

/** The task's mappings and a lookup over them, as the stream has them. */
function setup(family: DestinationFamily, objects: TaskArgsInput["objects"]): { task: TaskSpec; child: TableMapping; tables: TableLookup } {
    const task = taskArgsSchema.parse({
        source: { connectionId: "src", engine: "mariadb" },
        destination: { connectionId: "dst", engine: family === "postgres" ? "postgresql" : "mysql" },
        migrationTypes: ["schema", "full", "incremental"],
        objects,
    });
    const databases = new Map([["shop", [PARENT, CHILD, OTHER].map((sql) => parseCreateTable(sql, "shop")!)]]);
    const { mappings, problems } = buildMappings(task, family === "postgres" ? "lower" : "as-source", databases);
    expect(problems).toEqual([]);
    const tables: TableLookup = (db, t) => mappings.find((m) => m.source.database === db && m.source.name === t) ?? null;
    return { task, child: mappings.find((m) => m.source.name === "child")!, tables };
}

const renamed: TaskArgsInput["objects"] = [{
    database: "shop",
    renameTo: "shop_copy",
    tables: [
        { name: "parent", renameTo: "mothers", columns: [{ name: "id", renameTo: "mother_key" }, "name"] },
        { name: "child", columns: ["id", { name: "parent_id", renameTo: "mother_id" }, "other_id"] },
    ],
}];

describe("stream: ALTER TABLE … ADD FOREIGN KEY to another table (MySQL-family destination)", () => {
    it("REFERENCES names the referenced table's destination schema, table and columns", () => {
        const { task, child, tables } = setup("mysql", renamed);
        // Column written in another case than the table has it: MySQL matches it all the same.
        const r = mysqlDdlTranslator.alterTable(child, alterationOf(child.source, parseAlterTable("ALTER TABLE child ADD CONSTRAINT fk FOREIGN KEY (parent_id) REFERENCES parent (ID) ON DELETE CASCADE", "shop")), task, tables);
        expect(r.statements).toEqual([
            "ALTER TABLE `shop_copy`.`child` ADD CONSTRAINT `fk` FOREIGN KEY (`mother_id`) REFERENCES `shop_copy`.`mothers` (`mother_key`) ON DELETE CASCADE ON UPDATE RESTRICT",
        ]);
        expect(r.notes).toEqual([]);
        expect(r.mapping.source.foreignKeys.map((f) => f.name)).toEqual(["fk"]);
    });

    it("a referenced table the task does not migrate: no constraint, a note naming it (as schema migration)", () => {
        const { task, child, tables } = setup("mysql", renamed);
        const r = mysqlDdlTranslator.alterTable(child, alterationOf(child.source, parseAlterTable("ALTER TABLE child ADD CONSTRAINT fk_o FOREIGN KEY (other_id) REFERENCES other (id)", "shop")), task, tables);
        expect(r.statements).toEqual([]);
        expect(r.notes).toEqual(["foreign key fk_o is not created: it references shop.other, which is not migrated"]);
        // The destination would refuse the DROP, and the sink would lose the index with it.
        const drop = mysqlDdlTranslator.alterTable(r.mapping, alterationOf(r.mapping.source, parseAlterTable("ALTER TABLE child DROP FOREIGN KEY fk_o, ADD INDEX by_o (other_id)", "shop")), task, tables);
        expect(drop.statements).toEqual(["ALTER TABLE `shop_copy`.`child` ADD INDEX `by_o` (`other_id`)"]);
        expect(drop.notes).toEqual(["DROP FOREIGN KEY fk_o: the constraint is not on the destination"]);
    });

    it("a foreign key that is on the destination is dropped there", () => {
        const { task, child, tables } = setup("mysql", renamed);
        const added = mysqlDdlTranslator.alterTable(child, alterationOf(child.source, parseAlterTable("ALTER TABLE child ADD CONSTRAINT fk FOREIGN KEY (parent_id) REFERENCES parent (id)", "shop")), task, tables);
        const drop = mysqlDdlTranslator.alterTable(added.mapping, alterationOf(added.mapping.source, parseAlterTable("ALTER TABLE child DROP CONSTRAINT fk", "shop")), task, tables);
        expect(drop.statements).toEqual(["ALTER TABLE `shop_copy`.`child` DROP CONSTRAINT fk"]);
    });

    it("the full load's resolver is the same helper: foreign keys to renamed tables read alike", () => {
        const { tables } = setup("mysql", renamed);
        const ref = referenceResolver(tables)("shop", "parent")!;
        expect([ref.schema, ref.table, ref.columnName("id"), ref.columnName("Name")]).toEqual(["shop_copy", "mothers", "mother_key", "name"]);
        expect(referenceResolver(tables)("shop", "other")).toBeNull();
    });
});

describe("stream: ALTER TABLE … ADD FOREIGN KEY (PostgreSQL destination)", () => {
    it("is left out with a note, as PostgreSQL schema migration leaves foreign keys out", () => {
        const { task, child, tables } = setup("postgres", renamed);
        const r = postgresDdlTranslator.alterTable(child, alterationOf(child.source, parseAlterTable("ALTER TABLE child ADD CONSTRAINT fk FOREIGN KEY (parent_id) REFERENCES parent (id)", "shop")), task, tables);
        expect(r.statements).toEqual([]);
        expect(r.notes).toEqual(["foreign key fk is not migrated"]);
    });
});
