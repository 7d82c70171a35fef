/**
 * MariaDB -> MariaDB stream: a foreign key added on the source to another migrated table is
 * created at the destination in destination names (renamed database, table and columns),
 * and the stream goes on. One to a table the task does not migrate is left out with a note,
 * as schema migration does, and dropping it later on the source drops nothing there.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { mariaConnection, removeHome, startTask, waitForStatus } from "../harness/engine-run";
import type { TaskRunner } from "../../provider/engine/task-runner";
import type { TaskStatus } from "../../provider/engine/status";

const maria = inject("mariadb");
async function admin(database?: string) {
    return mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true, database });
}

const caughtUp = (s: TaskStatus) => s.phase === "running" && s.incremental?.caughtUp === true;

describe("incremental stream: ALTER TABLE … ADD FOREIGN KEY", () => {
    const homes: string[] = [];
    const runners: TaskRunner[] = [];
    const db = `fk_stream_${process.pid}`;
    const target = `${db}_copy`;
    afterAll(async () => {
        for (const r of runners) await r.stop();
        const c = await admin();
        await c.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${target}`);
        await c.end();
        homes.forEach(removeHome);
    });

    it("references the renamed destination table and columns; later writes arrive", async () => {
        const c = await admin();
        await c.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${target}; CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB;
            CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, other_id INT, v VARCHAR(20)) ENGINE=InnoDB;
            CREATE TABLE other (id INT PRIMARY KEY) ENGINE=InnoDB;
            INSERT INTO parent VALUES (1, 'one'), (2, 'two');
            INSERT INTO other VALUES (1);
            INSERT INTO child VALUES (10, 1, NULL, 'a');`);
        await c.end();
        const { runner, home } = startTask(mariaConnection(maria), mariaConnection(maria), {
            migrationTypes: ["schema", "full", "incremental"],
            objects: [{
                database: db,
                renameTo: target,
                tables: [
                    { name: "parent", renameTo: "mothers", columns: [{ name: "id", renameTo: "mother_key" }, "name"] },
                    { name: "child", columns: ["id", { name: "parent_id", renameTo: "mother_id" }, "other_id", "v"] },
                ],
            }],
        });
        runners.push(runner);
        homes.push(home);
        await waitForStatus(runner, caughtUp);

        const s = await admin(db);
        await s.query("ALTER TABLE child ADD CONSTRAINT fk FOREIGN KEY (parent_id) REFERENCES parent(id)");
        await s.query("ALTER TABLE child ADD CONSTRAINT fk_other FOREIGN KEY (other_id) REFERENCES other(id)");
        await s.query("INSERT INTO parent VALUES (3, 'three')");
        await s.query("INSERT INTO child VALUES (11, 3, 1, 'b')");
        // fk_other is not on the destination: dropping it there would fail the whole statement, index and all.
        await s.query("ALTER TABLE child DROP FOREIGN KEY fk_other, ADD INDEX by_v (v)");
        await s.query("INSERT INTO child VALUES (12, 2, NULL, 'c')");
        await s.end();
        const st = await waitForStatus(runner, (x) => caughtUp(x) && x.incremental!.changesApplied >= 3, 60_000);
        expect(st.error).toBeUndefined();
        expect(st.notes.join("\n")).toContain(`foreign key fk_other is not created: it references ${db}.other, which is not migrated`);

        const d = await admin();
        const [fks] = await d.query<mysql.RowDataPacket[]>(
            `SELECT k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS col, k.REFERENCED_TABLE_SCHEMA AS refSchema, k.REFERENCED_TABLE_NAME AS refTable,
                    k.REFERENCED_COLUMN_NAME AS refCol, r.UNIQUE_CONSTRAINT_SCHEMA AS uniqueSchema
               FROM information_schema.KEY_COLUMN_USAGE k
               JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
              WHERE k.TABLE_SCHEMA = ? AND k.TABLE_NAME = 'child'`,
            [target],
        );
        expect(fks.map((r) => ({ ...r }))).toEqual([{ name: "fk", col: "mother_id", refSchema: target, refTable: "mothers", refCol: "mother_key", uniqueSchema: target }]);
        const [idx] = await d.query<mysql.RowDataPacket[]>("SELECT DISTINCT INDEX_NAME AS i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'child'", [target]);
        expect(idx.map((x) => String(x.i))).toContain("by_v");
        const [rows] = await d.query<mysql.RowDataPacket[]>(
            `SELECT c.id, c.mother_id, m.name FROM ${target}.child c JOIN ${target}.mothers m ON m.mother_key = c.mother_id ORDER BY c.id`,
        );
        await d.end();
        expect(rows.map((r) => ({ ...r }))).toEqual([
            { id: 10, mother_id: 1, name: "one" }, { id: 11, mother_id: 3, name: "three" }, { id: 12, mother_id: 2, name: "two" },
        ]);
        expect(runner.status.phase).toBe("running");
    }, 120_000);

    it("references a table the stream itself created, renamed (issue 18 §5)", async () => {
        const db2 = `fk_new_${process.pid}`;
        const c = await admin();
        await c.query(`DROP DATABASE IF EXISTS ${db2}; DROP DATABASE IF EXISTS ${db2}_copy; CREATE DATABASE ${db2}; CREATE TABLE ${db2}.seed (id INT PRIMARY KEY)`);
        const { runner, home } = startTask(mariaConnection(maria), mariaConnection(maria), {
            migrationTypes: ["schema", "full", "incremental"], objects: [{ database: db2, renameTo: `${db2}_copy` }],
        });
        runners.push(runner);
        homes.push(home);
        try {
            await waitForStatus(runner, caughtUp);
            await c.query(`USE ${db2}; CREATE TABLE users_tmp (id INT PRIMARY KEY); RENAME TABLE users_tmp TO users;
                CREATE TABLE orders (id INT PRIMARY KEY, user_id INT) ENGINE=InnoDB; INSERT INTO users VALUES (1);
                ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id); INSERT INTO orders VALUES (5, 1);`);
            const st = await waitForStatus(runner, (x) => caughtUp(x) && x.incremental!.changesApplied >= 2, 60_000);
            expect(st.error).toBeUndefined();
            const [fks] = await c.query<mysql.RowDataPacket[]>(
                "SELECT REFERENCED_TABLE_SCHEMA AS s, REFERENCED_TABLE_NAME AS t FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'orders' AND REFERENCED_TABLE_NAME IS NOT NULL",
                [`${db2}_copy`]);
            expect(fks.map((r) => `${r.s}.${r.t}`)).toEqual([`${db2}_copy.users`]);
            expect(runner.status.phase).toBe("running");
        } finally {
            await c.query(`DROP DATABASE IF EXISTS ${db2}; DROP DATABASE IF EXISTS ${db2}_copy`);
            await c.end();
        }
    }, 120_000);
});
