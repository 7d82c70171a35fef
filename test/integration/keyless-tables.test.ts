/**
 * Tables without a usable key (issue 15 §4, issue 18 §2), replicated exactly: no primary key
 * and no unique key, nullable multi-column unique keys, identical duplicate rows, every
 * awkward type in the row images. Writes run from before the task starts, across its
 * snapshot and full load, into the stream; the destination is then compared with the source
 * row by row, identical rows counted.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { dropSchemas } from "../harness/postgres";
import { compareTable, formatMismatch } from "../harness/compare";
import { mariaConnection, postgresConnection, removeHome, startTask, waitForSourcePosition, waitForStatus } from "../harness/engine-run";

const maria = inject("mariadb");
const pg = inject("postgres");

const TABLES = ["kl_types", "kl_dups", "kl_nuk"];

async function admin(database?: string): Promise<mysql.Connection> {
    return mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true, database, charset: "utf8mb4_general_ci" });
}

async function createTables(c: mysql.Connection, db: string): Promise<void> {
    await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db} DEFAULT CHARACTER SET utf8mb4; USE ${db};
        CREATE TABLE kl_types (
            n INT, big BIGINT UNSIGNED, dec1 DECIMAL(30,10), f FLOAT, d DOUBLE, b1 BIT(1), b64 BIT(64),
            ch CHAR(5), vc VARCHAR(20), tx TEXT, bl BLOB, bin BINARY(4), dt DATE, dtm DATETIME(6), ts TIMESTAMP(3) NULL,
            tm TIME(2), yr YEAR, en ENUM('x','y','z'), st SET('a','b','c'), js JSON
        ) ENGINE=InnoDB;
        CREATE TABLE kl_dups (a INT, b VARCHAR(10)) ENGINE=InnoDB;
        CREATE TABLE kl_nuk (
            a INT NULL, b INT NULL, c VARCHAR(10) NULL, d INT NULL, v VARCHAR(20),
            UNIQUE KEY ab (a, b), UNIQUE KEY bc (b, c), UNIQUE KEY cd (c, d)
        ) ENGINE=InnoDB;`);
}

/** One row of every type, `i` varying it; some values only differ from others by case or trailing spaces. */
function typesRow(i: number): string {
    const vc = ["abc", "ABC", "abc ", "é", "😀"][i % 5];
    return `(${i}, ${18446744073709551615n - BigInt(i)}, ${i}.0000000001, ${i % 3 === 0 ? "NULL" : `${i}.1`}, ${i}.3e-5, b'${i % 2}', b'${(BigInt(i) * 1893n).toString(2)}',
        '${vc.slice(0, 5)}', '${vc}', REPEAT('t', ${i}), UNHEX('00FF${(i % 256).toString(16).padStart(2, "0")}'), UNHEX('0102030${i % 10}'), '2024-02-${String(1 + (i % 28)).padStart(2, "0")}',
        '2024-01-01 10:00:00.${String(i).padStart(6, "0")}', ${i % 4 === 0 ? "NULL" : `'2024-03-01 00:00:0${i % 10}.123'`}, '-${i % 800}:00:00.5', ${1990 + (i % 100)},
        '${"xyz"[i % 3]}', '${["a", "a,b", "", "c"][i % 4]}', '{"k": ${i}, "a": [1, "x"]}')`;
}

/** Source writes that keep the keyless tables busy: inserts, updates of each kind, deletes of one of identical rows. */
async function churn(c: mysql.Connection, db: string, i: number): Promise<void> {
    await c.query(`USE ${db}`);
    switch (i % 8) {
        case 0: await c.query(`INSERT INTO kl_types VALUES ${typesRow(100 + i)}`); break;
        case 1: await c.query("UPDATE kl_types SET vc = CONCAT(vc, '!'), b64 = b64 + 1, f = f * 2 WHERE n % 5 = ? LIMIT 2", [i % 5]); break;
        case 2: await c.query("DELETE FROM kl_types WHERE n % 7 = ? LIMIT 1", [i % 7]); break;
        case 3: await c.query("INSERT INTO kl_dups VALUES (1, 'same'), (1, 'same'), (?, NULL)", [i]); break;
        case 4: await c.query("DELETE FROM kl_dups WHERE a = 1 AND b = 'same' LIMIT 1"); break;
        case 5: await c.query("UPDATE kl_dups SET b = 'changed' WHERE a = 1 LIMIT 1"); break;
        case 6: {
            // A unique-key column set to NULL and back: rows with NULLs in their keys are not identified by them.
            await c.query("UPDATE kl_nuk SET b = NULL WHERE a = ? LIMIT 1", [i % 10]);
            await c.query("UPDATE kl_nuk SET b = ? WHERE a = ? AND b IS NULL LIMIT 1", [i, i % 10]);
            break;
        }
        default: {
            await c.query("INSERT IGNORE INTO kl_nuk VALUES (NULL, NULL, NULL, NULL, 'all null'), (?, NULL, 'c', NULL, 'partial')", [1000 + i]);
            await c.query("DELETE FROM kl_nuk WHERE v = 'all null' LIMIT 1");
        }
    }
}

describe("tables without a usable key", () => {
    const cleanups: (() => Promise<void>)[] = [];
    const dbs: string[] = [];
    afterAll(async () => {
        for (const f of cleanups.reverse()) await f();
        const c = await admin();
        for (const db of dbs) await c.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${db}_copy`);
        await c.end();
        await dropSchemas(pg, dbs);
    });

    for (const kind of ["postgres", "mariadb"] as const) {
        it(`MariaDB -> ${kind}: keyless rows, identical rows and nullable unique keys arrive row for row`, async () => {
            const db = `keyless_${kind.slice(0, 2)}_${process.pid}`;
            dbs.push(db);
            const c = await admin();
            await createTables(c, db);
            await c.query(`INSERT INTO kl_types VALUES ${Array.from({ length: 40 }, (_, i) => typesRow(i)).join(",")}`);
            await c.query("INSERT INTO kl_dups VALUES (1, 'same'), (1, 'same'), (1, 'same'), (2, NULL), (2, NULL)");
            await c.query(`INSERT INTO kl_nuk VALUES ${Array.from({ length: 10 }, (_, i) => `(${i}, ${i}, ${i % 3 === 0 ? "NULL" : `'c${i}'`}, ${i % 2 ? "NULL" : i}, 'v${i}')`).join(",")},
                (NULL, NULL, NULL, NULL, 'n1'), (NULL, NULL, NULL, NULL, 'n1')`);

            // Writes from before the task starts until well into its stream.
            let stop = false;
            let writes = 0;
            let writeError: unknown;
            const writer = (async () => {
                const w = await admin();
                try {
                    while (!stop) await churn(w, db, writes++);
                } catch (err) {
                    writeError = err;
                } finally {
                    await w.end();
                }
            })();
            cleanups.push(async () => { stop = true; await writer.catch(() => undefined); });
            await new Promise((r) => setTimeout(r, 200));
            const dest = kind === "postgres" ? postgresConnection(pg) : mariaConnection(maria);
            const { runner, home } = startTask(mariaConnection(maria), dest, {
                migrationTypes: ["schema", "full", "incremental"],
                objects: kind === "postgres" ? [{ database: db }] : [{ database: db, renameTo: `${db}_copy` }],
                ignorePrecheckAlerts: "all",
            });
            cleanups.push(async () => { await runner.stop(); await runner.forgetStream(); removeHome(home); });
            await waitForStatus(runner, (s) => writeError !== undefined || (s.phase === "running" && (s.incremental?.changesApplied ?? 0) > 0));
            expect(writeError).toBeUndefined();
            await new Promise((r) => setTimeout(r, 1500));
            stop = true;
            await writer;
            expect(writeError).toBeUndefined();
            expect(writes).toBeGreaterThan(40);
            await c.query(`USE ${db}; UPDATE kl_types SET tx = 'last' LIMIT 1`);
            await waitForSourcePosition(runner, c);
            await c.end();
            for (const table of TABLES) {
                const r = await compareTable(maria, db, table, kind === "postgres"
                    ? { kind: "postgres", conn: pg, schema: db }
                    : { kind: "mysql", conn: maria, database: `${db}_copy` });
                expect(r.mismatches.slice(0, 10).map(formatMismatch), table).toEqual([]);
                expect(r.destinationRows, table).toBe(r.sourceRows);
            }
        });
    }
});
