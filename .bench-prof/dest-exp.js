// Destination-only experiment: replay the same multi-row INSERTs our MySQL sink builds, in different patterns.
const mysql = require("mysql2/promise");
const { escape } = require("mysql2");
const s = require("/tmp/bk/servers.json");
const now = () => Number(process.hrtime.bigint()) / 1e6;
const TABLES = 4, ROWS = 250000, CHUNK = 50000;
async function main() {
  const src = await mysql.createConnection({ host: s.src.host, port: s.src.port, user: s.src.user, password: s.src.password, database: "sbtest" });
  const data = [];
  for (let t = 1; t <= TABLES; t++) {
    const [rows] = await src.query({ sql: `SELECT id,k,c,pad FROM sbtest${t}`, rowsAsArray: true, typeCast: false });
    data.push(rows.map((r) => r.map((v) => v.toString())));
  }
  await src.end();
  const dst = () => mysql.createConnection({ host: s.dst.host, port: s.dst.port, user: s.dst.user, password: s.dst.password });
  const admin = await dst();
  const build = (t, lo, hi, maxBytes) => {
    const out = []; let sql = ""; const head = `INSERT INTO bx.sbtest${t + 1} (id,k,c,pad) VALUES `;
    for (let i = lo; i < hi; i++) { const r = data[t][i]; const tup = `(${r.map(escape).join(",")})`; sql += sql ? "," + tup : head + tup; if (sql.length >= maxBytes) { out.push(sql); sql = ""; } }
    if (sql) out.push(sql); return out;
  };
  async function run(name, { order, maxBytes = 4 << 20, txn = "chunk", index = "after", workers = 4 }) {
    await admin.query("DROP DATABASE IF EXISTS bx"); await admin.query("CREATE DATABASE bx");
    for (let t = 1; t <= TABLES; t++) await admin.query(`CREATE TABLE bx.sbtest${t} (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL DEFAULT 0, c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT ''${index === "before" ? `, KEY k_${t} (k)` : ""}) ENGINE=InnoDB`);
    const jobs = [];
    for (let t = 0; t < TABLES; t++) for (let lo = 0; lo < ROWS; lo += CHUNK) jobs.push({ t, lo, hi: Math.min(ROWS, lo + CHUNK) });
    if (order === "interleave") jobs.sort((a, b) => a.lo - b.lo || a.t - b.t);
    if (order === "table-per-worker") { /* handled below */ }
    await admin.query("SET GLOBAL innodb_max_dirty_pages_pct = 0");
    for (let i = 0; i < 600; i++) { const [r] = await admin.query("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'"); if (Number(r[0].Value) === 0) break; await new Promise((res) => setTimeout(res, 100)); }
    await admin.query("SET GLOBAL innodb_max_dirty_pages_pct = 90");
    const built = jobs.map((j) => ({ ...j, sqls: build(j.t, j.lo, j.hi, maxBytes) }));
    const left = new Map(Array.from({ length: TABLES }, (_, t) => [t, ROWS / CHUNK]));
    const t0 = now();
    const worker = async (w) => {
      const c = await dst();
      await c.query("SET SESSION foreign_key_checks = 0, SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'");
      for (;;) {
        const idx = order === "table-per-worker" ? built.findIndex((j) => j.t % workers === w) : 0;
        if (idx < 0 || built.length === 0) break;
        const j = built.splice(idx, 1)[0];
        if (txn === "chunk") await c.query("START TRANSACTION");
        for (const q of j.sqls) await c.query(q);
        if (txn === "chunk") await c.query("COMMIT");
        const l = left.get(j.t) - 1; left.set(j.t, l);
        if (l === 0 && index === "after") await c.query(`ALTER TABLE bx.sbtest${j.t + 1} ADD KEY k_${j.t + 1} (k)`);
      }
      await c.end();
    };
    await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
    console.log(`${name.padEnd(60)} ${((now() - t0) / 1000).toFixed(2)} s`);
  }
  const which = process.argv.slice(2);
  const exps = {
    ours: ["ours-like: table by table, 4 workers share a table, 4MB stmts, txn/chunk, index after", { order: "tables" }],
    interleave: ["interleave tables (each worker a different table)", { order: "interleave" }],
    perworker: ["table per worker (myloader-like)", { order: "table-per-worker" }],
    mb1: ["ours-like with 1MB statements", { order: "tables", maxBytes: 1 << 20 }],
    auto: ["ours-like with autocommit per statement", { order: "tables", txn: "none" }],
    idxbefore: ["ours-like, secondary index created before load", { order: "tables", index: "before" }],
    inter1mb: ["interleave + 1MB statements", { order: "interleave", maxBytes: 1 << 20 }],
    w2: ["ours-like with 2 workers", { order: "tables", workers: 2 }],
    w8: ["ours-like with 8 workers", { order: "tables", workers: 8 }],
  };
  for (const k of which) await run(...exps[k]);
  await admin.query("DROP DATABASE IF EXISTS bx"); await admin.end();
}
main().catch((e) => { console.error(e); process.exit(1); });
