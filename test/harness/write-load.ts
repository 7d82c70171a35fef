/**
 * A source database and a write load for incremental tests: inserts, updates (some of
 * them primary-key changes), deletes, in small multi-statement transactions, across a
 * table with a primary key, one with only a unique key, and an auto-increment log.
 */
import * as mysql from "mysql2/promise";
import type { MariaDbInfo } from "./mariadb";

export const INITIAL_ROWS = 20_000;

function admin(m: MariaDbInfo, database?: string) {
    return mysql.createConnection({ host: m.host, port: m.port, user: m.user, password: m.password, multipleStatements: true, database });
}

export async function createSource(m: MariaDbInfo, db: string, rows = INITIAL_ROWS): Promise<void> {
    const c = await admin(m);
    await c.query(`DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; USE ${db};
        CREATE TABLE accounts (id BIGINT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance DECIMAL(20,2) NOT NULL,
            seen DATETIME(6), flags SET('a','b','c'), doc JSON, blob_ BLOB, KEY by_owner (owner));
        CREATE TABLE codes (code VARCHAR(16) NOT NULL, n INT, UNIQUE KEY (code));
        CREATE TABLE events (id INT AUTO_INCREMENT PRIMARY KEY, account BIGINT, what ENUM('open','pay','close'), at TIMESTAMP(3) NULL);`);
    await c.query(`INSERT INTO accounts SELECT seq, CONCAT('owner-', seq % 101), seq * 1.25, '2024-01-02 03:04:05.123456', 'a,c', JSON_OBJECT('n', seq, 'big', 9007199254740993), UNHEX(HEX(seq)) FROM seq_1_to_${rows}`);
    await c.query(`INSERT INTO codes SELECT CONCAT('c', seq), seq FROM seq_1_to_500`);
    await c.end();
}

/**
 * Random writes in small transactions until stopped. A lost connection (the tests restart
 * the server under it) is reconnected; a transaction whose COMMIT did not return is simply
 * not counted. Returns the number of transactions committed.
 */
export function writeLoad(m: MariaDbInfo, db: string, rows = INITIAL_ROWS): { stop(): Promise<number> } {
    let stopping = false;
    let n = 0;
    const done = (async () => {
        let c: mysql.Connection | undefined;
        let next = rows + 1_000_000 * (1 + Math.floor(Math.random() * 1000));
        const rnd = (k: number) => 1 + Math.floor(Math.random() * k);
        while (!stopping) {
            try {
                c ??= await admin(m, db);
                await c.query("START TRANSACTION");
                const ops = rnd(4);
                for (let i = 0; i < ops; i++) {
                    const pick = Math.random();
                    const id = rnd(rows);
                    if (pick < 0.35) {
                        await c.query("INSERT INTO accounts VALUES (?, ?, ?, NOW(6), 'b', JSON_ARRAY(?, 'x'), NULL)", [next, `owner-${next % 7}`, `${next % 100000}.50`, next]);
                        next++;
                    } else if (pick < 0.6) {
                        await c.query("UPDATE accounts SET balance = balance + 1, seen = NOW(6), flags = '' WHERE id = ?", [id]);
                    } else if (pick < 0.7) {
                        // Primary-key change: the old key disappears at the destination.
                        await c.query("UPDATE accounts SET id = ? WHERE id = ?", [next++, id]);
                    } else if (pick < 0.8) {
                        await c.query("DELETE FROM accounts WHERE id = ?", [id]);
                    } else if (pick < 0.9) {
                        await c.query("UPDATE codes SET n = n + 1, code = IF(n % 5 = 0, CONCAT(code, 'x'), code) WHERE code = ?", [`c${rnd(500)}`]);
                    } else {
                        await c.query("INSERT INTO events (account, what, at) VALUES (?, 'pay', NOW(3))", [id]);
                    }
                }
                await c.query("COMMIT");
                n++;
            } catch {
                c?.destroy();
                c = undefined;
                await new Promise((r) => setTimeout(r, 200));
            }
        }
        await c?.end().catch(() => undefined);
    })();
    return { stop: async () => { stopping = true; await done; return n; } };
}
