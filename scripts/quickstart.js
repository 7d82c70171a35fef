#!/usr/bin/env node
// Runs examples/quickstart with the real Pulumi CLI against throw-away local servers:
// starts a MariaDB (binlog on) with a small `shop` database and a PostgreSQL, `pulumi up`s
// the program (connections tested, then schema + full load + binlog stream to PostgreSQL),
// writes to the source and shows the change arriving, then `pulumi destroy`s and stops
// the servers.
// Pass --keep to leave servers and stack running (it prints how to reach them).
const path = require("node:path");
const { startMariaDb, destroyMariaDb } = require("../dist/test/harness/mariadb");
const { startPostgres, destroyPostgres } = require("../dist/test/harness/postgres");
const { pulumiBin, pulumiEnv, pulumi } = require("../dist/test/harness/pulumi-cli");
const mysql = require("mysql2/promise");
const { Client } = require("pg");

/** A small shop: customers, orders with money, times, JSON and an emoji or two. */
async function createShop(maria) {
    const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
    await c.query(`CREATE DATABASE shop; USE shop;
        CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(60) NOT NULL, email VARCHAR(120) UNIQUE, joined DATETIME(6) NOT NULL);
        CREATE TABLE orders (id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT, customer INT NOT NULL, total DECIMAL(12,2) NOT NULL,
            status ENUM('new','paid','shipped') NOT NULL DEFAULT 'new', items JSON, placed TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
            KEY by_customer (customer), FOREIGN KEY (customer) REFERENCES customers (id));
        INSERT INTO customers SELECT seq, CONCAT('Customer ', seq, IF(seq % 50 = 0, ' 🛒', '')), CONCAT('c', seq, '@example.com'), '2024-01-01 09:00:00.000001' + INTERVAL seq MINUTE FROM seq_1_to_1000;
        INSERT INTO orders (customer, total, status, items) SELECT 1 + seq % 1000, (seq % 9973) / 100, ELT(1 + seq % 3, 'new', 'paid', 'shipped'), JSON_ARRAY(JSON_OBJECT('sku', seq % 97, 'qty', 1 + seq % 4)) FROM seq_1_to_20000;`);
    await c.end();
}

async function count(maria, pg) {
    const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, database: "shop" });
    const [[src]] = await c.query("SELECT COUNT(*) AS n, CAST(SUM(total) AS CHAR) AS total FROM orders");
    await c.end();
    const p = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database });
    await p.connect();
    const { rows: [dst] } = await p.query("SELECT count(*)::int AS n, sum(total)::text AS total FROM shop.orders");
    await p.end();
    return { source: { rows: Number(src.n), total: src.total }, destination: { rows: dst.n, total: dst.total } };
}

const root = path.resolve(__dirname, "..");
const keep = process.argv.includes("--keep");

async function run(args, env, allowFail = false) {
    console.log(`\n$ pulumi ${args.join(" ")}`);
    const r = await pulumi(args, { cwd: root, env, echo: true });
    if (r.code !== 0 && !allowFail) throw new Error(`pulumi ${args[0]} failed with exit code ${r.code}`);
    return r;
}

async function main() {
    const bin = pulumiBin();
    console.log("starting a local MariaDB (source) and PostgreSQL (destination)...");
    const [maria, pg] = await Promise.all([startMariaDb(), startPostgres()]);
    await createShop(maria);
    const { env, home } = pulumiEnv(bin);
    try {
        await run(["stack", "init", "quickstart"], env);
        const config = [
            ["sourcePort", String(maria.port)], ["sourceUser", maria.user],
            ["destinationPort", String(pg.port)], ["destinationUser", pg.user],
        ];
        for (const [k, v] of config) await run(["config", "set", k, v], env);
        await run(["config", "set", "--secret", "sourcePassword", maria.password], env);
        await run(["config", "set", "--secret", "destinationPassword", pg.password], env);
        await run(["preview"], env);
        await run(["up", "--yes", "--skip-preview"], env);
        await run(["stack", "output", "--json"], env);

        console.log("\nwriting to the source while the task runs: 500 new orders, every 'new' order paid, one customer's orders removed...");
        const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, database: "shop", multipleStatements: true });
        await c.query(`INSERT INTO orders (customer, total, items) SELECT 1 + seq % 1000, 42.00, JSON_ARRAY() FROM seq_1_to_500;
            UPDATE orders SET status = 'paid' WHERE status = 'new'; DELETE FROM orders WHERE customer = 7;`);
        await c.end();
        let seen;
        for (let i = 0; i < 60; i++) {
            seen = await count(maria, pg);
            if (seen.source.rows === seen.destination.rows && seen.source.total === seen.destination.total) break;
            await new Promise((r) => setTimeout(r, 500));
        }
        console.log(`orders at the source:      ${seen.source.rows} rows, total ${seen.source.total}`);
        console.log(`orders at the destination: ${seen.destination.rows} rows, total ${seen.destination.total}`);
        await run(["refresh", "--yes", "--skip-preview"], env);
        await run(["stack", "output", "taskStatus"], env);
        if (keep) {
            console.log(`\nKept running. Pulumi state and home: ${home}\n  export PULUMI_BACKEND_URL=${env.PULUMI_BACKEND_URL} PULUMI_HOME=${env.PULUMI_HOME} PULUMI_CONFIG_PASSPHRASE=${env.PULUMI_CONFIG_PASSPHRASE} PATH=${bin}:$PATH`);
            console.log(`  MariaDB: 127.0.0.1:${maria.port}  PostgreSQL: 127.0.0.1:${pg.port}`);
            return;
        }
        await run(["destroy", "--yes", "--skip-preview"], env);
        await run(["stack", "rm", "--yes", "quickstart"], env);
        console.log("\nquickstart done: connections tested, shop migrated and kept in step with the source, stack destroyed (the copy in PostgreSQL stays).");
    } finally {
        if (!keep) await Promise.all([destroyMariaDb(maria), destroyPostgres(pg)]);
    }
}

main().catch((err) => {
    console.error(`quickstart failed: ${err.message}`);
    process.exit(1);
});
