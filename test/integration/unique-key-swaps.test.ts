/**
 * Unique-key swaps (issue 16 §1): a table with a primary key and further unique keys, whose
 * unique values and primary keys move between rows within one source transaction (one
 * destination batch) and across transactions. A batch must never write into another row than
 * the change meant (MySQL's ON DUPLICATE KEY UPDATE updates whichever row a secondary unique
 * key collides with, silently). Compared row by row at both destinations.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { dropSchemas } from "../harness/postgres";
import { compareTable, formatMismatch } from "../harness/compare";
import { mariaConnection, postgresConnection, removeHome, startTask, waitForSourcePosition, waitForStatus } from "../harness/engine-run";

const maria = inject("mariadb");
const pg = inject("postgres");

async function admin(): Promise<mysql.Connection> {
    return mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
}

/** Every swap and rotation, as one transaction each (`tx`) or all in one. */
function swaps(db: string): string[] {
    const u = `${db}.users`;
    return [
        // Row 1's email to row 2 and back, through a free value.
        `UPDATE ${u} SET email = 'tmp' WHERE id = 1; UPDATE ${u} SET email = 'a@x' WHERE id = 2; UPDATE ${u} SET email = 'b@x' WHERE id = 1;`,
        `UPDATE ${u} SET email = 'tmp' WHERE id = 2; UPDATE ${u} SET email = 'b@x' WHERE id = 1; UPDATE ${u} SET email = 'a@x' WHERE id = 2;`,
        // A three-way rotation of the second unique key.
        `UPDATE ${u} SET handle = NULL WHERE id = 3; UPDATE ${u} SET handle = 'h3' WHERE id = 4; UPDATE ${u} SET handle = 'h4' WHERE id = 5; UPDATE ${u} SET handle = 'h5' WHERE id = 3;`,
        // Primary keys rotate 6 -> 60 -> 7 (7 freed first), and a unique value follows its row.
        `UPDATE ${u} SET id = 70 WHERE id = 7; UPDATE ${u} SET id = 60 WHERE id = 6; UPDATE ${u} SET id = 7 WHERE id = 60; UPDATE ${u} SET email = 'moved@x' WHERE id = 70;`,
        // A unique value moves to a new row, and the row it left changes again: in a net-effect batch
        // the new row's insert comes first and collides on the secondary key alone.
        `UPDATE ${u} SET email = 'z@x' WHERE id = 10; INSERT INTO ${u} VALUES (11, 'e10@x', 'h11', 'took e10'); UPDATE ${u} SET note = 'changed again' WHERE id = 10;`,
        `UPDATE ${u} SET handle = 'h-free' WHERE id = 9; UPDATE ${u} SET id = 12, handle = 'h9' WHERE id = 11; UPDATE ${u} SET note = 'again' WHERE id = 9;`,
        // A deleted row's unique value reused by an insert, and an insert reusing a key deleted just before.
        `DELETE FROM ${u} WHERE id = 8; UPDATE ${u} SET email = 'e8@x' WHERE id = 9; INSERT INTO ${u} VALUES (8, 'e9@x', 'h8b', 'new 8');`,
    ];
}

describe("unique-key swaps", () => {
    const cleanups: (() => Promise<void>)[] = [];
    const dbs: string[] = [];
    afterAll(async () => {
        for (const f of cleanups.reverse()) await f();
        const c = await admin();
        for (const db of dbs) await c.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${db}_copy`);
        await c.end();
        await dropSchemas(pg, dbs);
    });

    for (const kind of ["mariadb", "postgres"] as const) {
        for (const batching of ["one transaction", "a transaction each"] as const) {
            it(`MariaDB -> ${kind}, ${batching}: rows end as the source has them`, async () => {
                const db = `swaps_${kind.slice(0, 2)}_${batching === "one transaction" ? "one" : "each"}_${process.pid}`;
                dbs.push(db);
                const c = await admin();
                await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db};
                    CREATE TABLE ${db}.users (id INT PRIMARY KEY, email VARCHAR(40) NOT NULL, handle VARCHAR(20) NULL, note VARCHAR(20),
                        UNIQUE KEY by_email (email), UNIQUE KEY by_handle (handle));
                    INSERT INTO ${db}.users VALUES ${Array.from({ length: 10 }, (_, i) => `(${i + 1}, '${["a", "b"][i] ?? `e${i + 1}`}@x', 'h${i + 1}', 'row ${i + 1}')`).join(",")};`);
                const dest = kind === "postgres" ? postgresConnection(pg) : mariaConnection(maria);
                const { runner, home } = startTask(mariaConnection(maria), dest, {
                    migrationTypes: ["schema", "full", "incremental"],
                    objects: kind === "postgres" ? [{ database: db }] : [{ database: db, renameTo: `${db}_copy` }],
                });
                cleanups.push(async () => { await runner.stop(); await runner.forgetStream(); removeHome(home); });
                await waitForStatus(runner, (s) => s.phase === "running" && s.incremental?.caughtUp === true);
                if (batching === "one transaction") await c.query(`START TRANSACTION; ${swaps(db).join(" ")} COMMIT;`);
                else {
                    // Apart enough that each is a batch of its own (the stream batches what arrives within 100 ms).
                    for (const tx of swaps(db)) {
                        await c.query(`START TRANSACTION; ${tx} COMMIT;`);
                        await new Promise((r) => setTimeout(r, 400));
                    }
                }
                await waitForSourcePosition(runner, c);
                await c.end();
                const r = await compareTable(maria, db, "users", kind === "postgres"
                    ? { kind: "postgres", conn: pg, schema: db }
                    : { kind: "mysql", conn: maria, database: `${db}_copy` });
                expect(r.mismatches.slice(0, 10).map(formatMismatch)).toEqual([]);
                expect(r.destinationRows).toBe(r.sourceRows);
                expect(runner.status.dirtyRows).toBe(0);
            });
        }
    }
});
