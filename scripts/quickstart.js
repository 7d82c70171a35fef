#!/usr/bin/env node
// Runs examples/quickstart with the real Pulumi CLI against throw-away local servers:
// starts a MariaDB (binlog on) with a small `shop` database and a PostgreSQL, `pulumi up`s
// the program (connections tested, then schema + full load + binlog stream to PostgreSQL),
// writes to the source and shows the change arriving, then `pulumi destroy`s.
// At the end, also when it fails or is interrupted (Ctrl-C), it stops what it started: the
// servers, the pulumi-dts engine `pulumi up` started, and removes its temporary directories.
// Pass --keep (npm run quickstart -- --keep) or set PULUMI_DTS_QUICKSTART_KEEP=1 to leave
// servers, engine and stack running (it prints how to reach them and how to clean up).
// --tablestore (npm run quickstart -- --tablestore) runs examples/mysql-to-tablestore instead:
// the same MariaDB, and as the destination the local Tablestore server of the tests
// (test/harness/tablestore-server, a fixture that speaks Tablestore's protocol) started as its
// own process; the write to the source is then read back from Tablestore.
const { randomBytes } = require("node:crypto");
const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { startMariaDb, destroyMariaDb } = require("../dist/test/harness/mariadb");
const { startPostgres, destroyPostgres } = require("../dist/test/harness/postgres");
const { pulumiBin, pulumiEnv } = require("../dist/test/harness/pulumi-cli");
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

async function sourceOrders(maria) {
    const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, database: "shop" });
    const [[src]] = await c.query("SELECT COUNT(*) AS n, CAST(SUM(total) AS CHAR) AS total, CAST(SUM(status = 'new') AS SIGNED) AS unpaid FROM orders");
    await c.end();
    return { rows: Number(src.n), total: src.total, unpaid: Number(src.unpaid) };
}

/** A client of the connector (real Tablestore requests) for `fn`, closed after. */
async function withTablestore(ots, fn) {
    const { TablestoreClient, INF_MIN, INF_MAX } = require("../dist/provider/connectors/tablestore/client");
    const client = new TablestoreClient({ endpoint: ots.endpoint, instanceName: ots.instanceName, accessKeyId: ots.accessKey.id, accessKeySecret: ots.accessKey.secret }, { timeoutMs: 10_000 });
    try {
        return await fn(client, INF_MIN, INF_MAX);
    } finally {
        client.close();
    }
}

/** The same figures read from the Tablestore table `orders`. */
function tablestoreOrders(ots) {
    return withTablestore(ots, async (client, INF_MIN, INF_MAX) => {
        let rows = 0;
        let cents = 0n;
        let unpaid = 0;
        // total is DECIMAL(12,2), written as its exact text ("12.30"); status an ENUM, as its member text.
        for await (const page of client.getRange("orders", [["id", INF_MIN]], [["id", INF_MAX]], 5000, ["total", "status"])) {
            for (const r of page) {
                const a = new Map(r.attributes);
                rows++;
                cents += BigInt(String(a.get("total")).replace(".", ""));
                if (a.get("status") === "new") unpaid++;
            }
        }
        return { rows, total: `${cents / 100n}.${String(cents % 100n).padStart(2, "0")}`, unpaid };
    });
}

/** Rows of the stream checkpoint table (one per task that streams into the instance). */
function tablestoreCheckpoints(ots) {
    return withTablestore(ots, async (client, INF_MIN, INF_MAX) => {
        if (!(await client.listTables()).includes("pulumi_dts_stream_checkpoint")) return 0;
        let n = 0;
        for await (const page of client.getRange("pulumi_dts_stream_checkpoint", [["task_id", INF_MIN]], [["task_id", INF_MAX]], 100)) n += page.length;
        return n;
    });
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
const cliMain = path.join(root, "dist", "provider", "cli", "main.js");
const tablestoreServerMain = path.join(root, "dist", "test", "harness", "tablestore-server", "main.js");
const tablestore = process.argv.includes("--tablestore");
// The default runs examples/quickstart through the root Pulumi.yaml; --tablestore the example's own project.
const projectDir = tablestore ? path.join(root, "examples", "mysql-to-tablestore") : root;
const stackConfig = path.join(projectDir, "Pulumi.quickstart.yaml");
const keep = process.argv.includes("--keep") || !["", "0", "false", "no"].includes((process.env.PULUMI_DTS_QUICKSTART_KEEP ?? "").toLowerCase());

let interrupted = false;

/** What this run started, so that whatever point it stops at, only that is cleaned up. */
const started = { servers: undefined, maria: undefined, pg: undefined, ots: undefined, pulumi: undefined, stackConfig: false };

/** The pulumi command running now, for an interrupt to cancel and wait for. */
let current;

/**
 * Runs the real Pulumi CLI, in a process group of its own: a Ctrl-C reaches this script
 * only, which forwards exactly one SIGINT (a second one makes pulumi stop without
 * cancelling cleanly) and then waits for pulumi before it stops the engine pulumi uses.
 */
function pulumiRun(args, env, input) {
    if (interrupted) return Promise.reject(new Error("interrupted"));
    return new Promise((resolve, reject) => {
        const child = spawn("pulumi", [...args, "--non-interactive", "--color", "never"], {
            cwd: projectDir, env, detached: true, stdio: [input === undefined ? "ignore" : "pipe", "inherit", "inherit"],
        });
        const exited = new Promise((done) => child.on("close", (code) => done(code ?? -1)));
        current = { child, exited };
        child.on("error", reject);
        exited.then((code) => {
            if (current?.child === child) current = undefined;
            resolve(code);
        });
        if (input !== undefined) child.stdin.end(input);
    });
}

async function run(args, env) {
    console.log(`\n$ pulumi ${args.join(" ")}`);
    const code = await pulumiRun(args, env);
    if (code !== 0) throw new Error(`pulumi ${args[0]} failed with exit code ${code}`);
}

/**
 * `pulumi config set --secret` with the value on stdin: on the command line it would be in
 * this script's output and, while pulumi runs, in every user's `ps`.
 */
async function setSecret(key, value, env) {
    console.log(`\n$ pulumi config set --secret ${key}  (value from stdin)`);
    const code = await pulumiRun(["config", "set", "--secret", key], env, value);
    if (code !== 0) throw new Error(`pulumi config set --secret ${key} failed with exit code ${code}`);
}

/** Cancels the running pulumi command and waits for it (killed when it takes too long). */
async function stopPulumi() {
    const c = current;
    if (!c) return;
    c.child.kill("SIGINT");
    const timer = setTimeout(() => c.child.kill("SIGKILL"), 60_000);
    await c.exited;
    clearTimeout(timer);
}

/** The pulumi-dts CLI against this run's engine home. */
function dts(args, env) {
    return spawnSync(process.execPath, [cliMain, ...args], { env: { ...process.env, PULUMI_DTS_HOME: env.PULUMI_DTS_HOME }, encoding: "utf8" });
}

/** Everything is about to be removed: show what the engine knew about the tasks first. */
function printTaskLogs(env) {
    const dtsHome = env.PULUMI_DTS_HOME;
    const ids = [path.join(dtsHome, "tasks"), path.join(dtsHome, "released")]
        .filter((d) => fs.existsSync(d))
        .flatMap((d) => fs.readdirSync(d).map((f) => f.replace(/\.log$/, "")));
    for (const id of [...new Set(ids)]) {
        const r = dts(["logs", id, "40"], env);
        console.error(`\n--- npx pulumi-dts logs ${id} (last 40 lines) ---\n${r.stderr}${r.stdout}`);
    }
}

/**
 * The local Tablestore server (the test fixture's CLI) as its own process, in a process group
 * of its own like pulumi: a Ctrl-C reaches this script, which stops the server only after
 * the engine (a stopping task may still write its checkpoint there). The AccessKey is made
 * up for this run and valid only for this throw-away server (the fixture's CLI takes it on
 * its command line); the server listens on 127.0.0.1 and keeps its data in memory.
 */
function startTablestore() {
    const instanceName = "quickstart";
    const accessKey = { id: "quickstart-ak", secret: randomBytes(16).toString("hex") };
    const child = spawn(process.execPath, [tablestoreServerMain, "--port", "0", "--instance", instanceName,
        "--access-key-id", accessKey.id, "--access-key-secret", accessKey.secret], { detached: true, stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((done) => child.on("close", (code, signal) => done(code ?? signal)));
    const ots = { child, exited, instanceName, accessKey, endpoint: undefined };
    started.ots = ots;
    return new Promise((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d) => {
            out += d;
            const line = out.split("\n");
            if (line.length > 1 && !ots.endpoint) {
                ots.endpoint = line[0].trim();
                resolve(ots);
            }
        });
        child.on("error", reject);
        exited.then((code) => reject(new Error(`the local Tablestore server exited (${code}) before it listened`)));
    });
}

async function stopTablestore(ots) {
    if (ots.child.exitCode !== null || ots.child.signalCode !== null) return;
    ots.child.kill("SIGTERM");
    const timer = setTimeout(() => ots.child.kill("SIGKILL"), 10_000);
    await ots.exited;
    clearTimeout(timer);
}

/** Stops the engine and the servers, removes the temporary directories. Runs once. */
let cleaning;
function cleanUp() {
    cleaning ??= (async () => {
        await started.servers;
        const { maria, pg, ots, pulumi: pe } = started;
        if (pe && fs.existsSync(path.join(pe.env.PULUMI_DTS_HOME, "engine.sock"))) {
            console.log("\nstopping the pulumi-dts engine...");
            const r = dts(["engine", "stop"], pe.env);
            process.stdout.write(r.stdout);
            process.stderr.write(r.stderr);
        }
        await Promise.all([maria && destroyMariaDb(maria), pg && destroyPostgres(pg), ots && stopTablestore(ots)].map((p) => p?.catch((err) => console.error(`stopping a server: ${err.message}`))));
        if (pe) fs.rmSync(pe.home, { recursive: true, force: true });
        if (started.stackConfig) fs.rmSync(stackConfig, { force: true });
        console.log("stopped the servers and the engine, removed the temporary directories");
    })();
    return cleaning;
}

/**
 * Kept: secrets and settings go to an owner-only file rather than to the terminal, with a
 * script that removes it all when the user is done.
 */
function describeKept() {
    const { maria, pg, ots, pulumi: pe } = started;
    if (!pe) return;
    const envFile = path.join(pe.home, "env.sh");
    const cleanupFile = path.join(pe.home, "cleanup.sh");
    const q = (v) => `'${String(v).replace(/'/g, `'\\''`)}'`;
    const exports = ["PATH", "PULUMI_BACKEND_URL", "PULUMI_HOME", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_SKIP_UPDATE_CHECK", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "PULUMI_DTS_HOME"]
        .map((k) => `export ${k}=${q(pe.env[k])}`);
    if (maria) exports.push(`export MYSQL_PWD=${q(maria.password)}`);
    if (pg) exports.push(`export PGPASSWORD=${q(pg.password)}`);
    if (ots?.endpoint) {
        exports.push(`export TABLESTORE_ENDPOINT=${q(ots.endpoint)}`, `export TABLESTORE_INSTANCE=${q(ots.instanceName)}`,
            `export TABLESTORE_ACCESS_KEY_ID=${q(ots.accessKey.id)}`, `export TABLESTORE_ACCESS_KEY_SECRET=${q(ots.accessKey.secret)}`);
    }
    fs.writeFileSync(envFile, `# Written by npm run quickstart -- --keep: the kept stack, engine and servers.\n${exports.join("\n")}\n`, { mode: 0o600 });
    fs.writeFileSync(cleanupFile, [
        "#!/usr/bin/env bash",
        "# Stops what npm run quickstart -- --keep left running and removes its directories.",
        `source ${q(envFile)}`,
        `node ${q(cliMain)} engine stop`,
        ...(maria ? [`kill -9 "$(cat ${q(path.join(maria.dir, "mysqld.pid"))})" 2>/dev/null`, `rm -rf ${q(maria.dir)}`] : []),
        ...(pg ? [`kill -9 "$(head -n1 ${q(path.join(pg.dir, "data", "postmaster.pid"))})" 2>/dev/null`, `rm -rf ${q(pg.dir)}`] : []),
        ...(ots ? [`kill ${ots.child.pid} 2>/dev/null`] : []),
        ...(started.stackConfig ? [`rm -f ${q(stackConfig)}`] : []),
        `rm -rf ${q(pe.home)}`,
        "",
    ].join("\n"), { mode: 0o700 });
    console.log(`\nKept running (--keep). Settings and passwords are in ${envFile} (owner-only):`);
    console.log(`  source ${envFile}`);
    console.log(`  cd ${projectDir} && pulumi stack output        # the stack (local backend)`);
    console.log(`  node ${cliMain} status                   # the engine's tasks (npx pulumi-dts status)`);
    if (maria) console.log(`  mariadb -h 127.0.0.1 -P ${maria.port} -u ${maria.user} shop   # the source`);
    if (pg) console.log(`  psql -h 127.0.0.1 -p ${pg.port} -U ${pg.user} ${pg.database}   # the destination (schema shop)`);
    if (ots?.endpoint) console.log(`  Tablestore ${ots.endpoint}, instance ${ots.instanceName}, AccessKey in $TABLESTORE_ACCESS_KEY_ID / $TABLESTORE_ACCESS_KEY_SECRET   # the destination (local server, pid ${ots.child.pid})`);
    console.log(`When done, stop and remove it all: bash ${cleanupFile}`);
}

async function main() {
    const bin = pulumiBin();
    console.log(keep
        ? "--keep: servers, engine, stack and temporary directories are left running at the end"
        : "at the end (also on failure or Ctrl-C) the servers and the engine are stopped and the temporary directories removed; " +
            "pass --keep (npm run quickstart -- --keep) or set PULUMI_DTS_QUICKSTART_KEEP=1 to keep them");
    if (tablestore) return mainTablestore(bin);
    console.log("starting a local MariaDB (source) and PostgreSQL (destination)...");
    const starting = [startMariaDb().then((m) => (started.maria = m)), startPostgres().then((p) => (started.pg = p))];
    // Both are waited for even when one fails, or the other would be left running.
    started.servers = Promise.allSettled(starting);
    await Promise.all(starting);
    const { maria, pg } = started;
    await createShop(maria);
    const pe = pulumiEnv(bin);
    started.pulumi = pe;
    const { env } = pe;
    started.stackConfig = !fs.existsSync(stackConfig);
    await run(["stack", "init", "quickstart"], env);
    const config = [
        ["sourcePort", String(maria.port)], ["sourceUser", maria.user],
        ["destinationPort", String(pg.port)], ["destinationUser", pg.user],
    ];
    for (const [k, v] of config) await run(["config", "set", k, v], env);
    await setSecret("sourcePassword", maria.password, env);
    await setSecret("destinationPassword", pg.password, env);
    await run(["preview"], env);
    await run(["up", "--yes", "--skip-preview"], env);
    await run(["stack", "output", "--json"], env);

    console.log("\nwriting to the source while the task runs: 500 new orders, every 'new' order paid, one customer's orders removed...");
    const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, database: "shop", multipleStatements: true });
    await c.query(`INSERT INTO orders (customer, total, items) SELECT 1 + seq % 1000, 42.00, JSON_ARRAY() FROM seq_1_to_500;
        UPDATE orders SET status = 'paid' WHERE status = 'new'; DELETE FROM orders WHERE customer = 7;`);
    await c.end();
    let seen;
    for (let i = 0; i < 60 && !interrupted; i++) {
        seen = await count(maria, pg);
        if (seen.source.rows === seen.destination.rows && seen.source.total === seen.destination.total) break;
        await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`orders at the source:      ${seen.source.rows} rows, total ${seen.source.total}`);
    console.log(`orders at the destination: ${seen.destination.rows} rows, total ${seen.destination.total}`);
    // refresh rewrites the task's outputs in state (stack outputs change only on up); the engine's own status is what holds now.
    await run(["refresh", "--yes", "--skip-preview"], env);
    console.log("\n$ npx pulumi-dts status");
    spawnSync(process.execPath, [cliMain, "status"], { env, stdio: "inherit" });
    if (keep) return;
    await run(["destroy", "--yes", "--skip-preview"], env);
    await run(["stack", "rm", "--yes", "quickstart"], env);
    console.log("\nquickstart done: connections tested, shop migrated and kept in step with the source, stack destroyed (the copy in PostgreSQL stays).");
}

/** --tablestore: examples/mysql-to-tablestore, from MariaDB to the local Tablestore server. */
async function mainTablestore(bin) {
    console.log("starting a local MariaDB (source) and a local Tablestore server (destination: the test fixture test/harness/tablestore-server)...");
    const starting = [startMariaDb().then((m) => (started.maria = m)), startTablestore()];
    started.servers = Promise.allSettled(starting);
    await Promise.all(starting);
    const { maria, ots } = started;
    console.log(`Tablestore server listening at ${ots.endpoint} (instance ${ots.instanceName})`);
    await createShop(maria);
    const pe = pulumiEnv(bin);
    started.pulumi = pe;
    const { env } = pe;
    started.stackConfig = !fs.existsSync(stackConfig);
    console.log(`\n(the Pulumi project is ${path.relative(root, projectDir)})`);
    if (fs.existsSync(path.join(projectDir, "node_modules", "pulumi-dts"))) {
        console.log(`note: ${path.relative(root, projectDir)}/node_modules holds its own copy of pulumi-dts (npm install there), which the program uses instead of this build; remove it or run npm install there again after a build`);
    }
    await run(["stack", "init", "quickstart"], env);
    const config = [
        ["sourcePort", String(maria.port)], ["sourceUser", maria.user],
        ["endpoint", ots.endpoint], ["instanceName", ots.instanceName], ["accessKeyId", ots.accessKey.id],
    ];
    for (const [k, v] of config) await run(["config", "set", k, v], env);
    await setSecret("sourcePassword", maria.password, env);
    await setSecret("accessKeySecret", ots.accessKey.secret, env);
    await run(["preview"], env);
    await run(["up", "--yes", "--skip-preview"], env);
    await run(["stack", "output", "--json"], env);

    console.log("\nwriting to the source while the task runs: 500 new orders, every 'new' order paid, one customer's orders removed...");
    const c = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, database: "shop", multipleStatements: true });
    await c.query(`INSERT INTO orders (customer, total, items) SELECT 1 + seq % 1000, 42.00, JSON_ARRAY() FROM seq_1_to_500;
        UPDATE orders SET status = 'paid' WHERE status = 'new'; DELETE FROM orders WHERE customer = 7;`);
    await c.end();
    let source;
    let destination;
    for (let i = 0; i < 60 && !interrupted; i++) {
        [source, destination] = await Promise.all([sourceOrders(maria), tablestoreOrders(ots)]);
        if (JSON.stringify(source) === JSON.stringify(destination)) break;
        await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`orders at the source:     ${source.rows} rows, total ${source.total}, ${source.unpaid} with status 'new'`);
    console.log(`orders in Tablestore:     ${destination.rows} rows, total ${destination.total}, ${destination.unpaid} with status 'new'`);
    if (JSON.stringify(source) !== JSON.stringify(destination)) throw new Error("Tablestore did not catch up with the source's write within 30 s");
    await run(["refresh", "--yes", "--skip-preview"], env);
    console.log("\n$ npx pulumi-dts status");
    spawnSync(process.execPath, [cliMain, "status"], { env, stdio: "inherit" });
    if (keep) return;
    await run(["destroy", "--yes", "--skip-preview"], env);
    await run(["stack", "rm", "--yes", "quickstart"], env);
    const [kept, checkpoints] = await Promise.all([tablestoreOrders(ots), tablestoreCheckpoints(ots)]);
    console.log(`\nin Tablestore after pulumi destroy: orders keeps its ${kept.rows} rows, ${checkpoints} stream checkpoint row(s) left`);
    if (checkpoints !== 0) throw new Error("pulumi destroy left the task's stream checkpoint row in Tablestore");
    console.log("quickstart done: connections tested, shop migrated to Tablestore and kept in step with the source, stack destroyed.");
}

/** Leaves kept things described, or everything stopped and removed, then exits with `code`. */
async function finish(code) {
    await stopPulumi();
    if (keep) describeKept();
    else await cleanUp();
    process.exit(code);
}

let interruptedAt = 0;
for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
        // One Ctrl-C can arrive twice (from the terminal, and forwarded by npm run).
        if (interrupted && Date.now() - interruptedAt < 1000) return;
        if (interrupted) {
            console.error(`\n${signal} again: leaving the rest as it is (servers, engine and directories may still be there)`);
            process.exit(130);
        }
        interrupted = true;
        interruptedAt = Date.now();
        console.error(`\n${signal}: ${keep ? "keeping everything (--keep)" : "cleaning up (press Ctrl-C again to leave the rest as it is)"}...`);
        void finish(130);
    });
}

main().then(
    () => finish(0),
    (err) => {
        // An interrupt makes pulumi fail too: the signal handler owns the exit then.
        if (interrupted) return;
        console.error(`quickstart failed: ${err.message}`);
        if (!keep && started.pulumi) printTaskLogs(started.pulumi.env);
        return finish(1);
    },
);
