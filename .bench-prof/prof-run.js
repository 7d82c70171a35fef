// Instrumented run of one task: wall-time breakdown per worker (read wait / encode / write wait),
// query timings by statement kind, and a task.log timeline. Not part of the repo.
const { readFileSync } = require("fs");
const snapshot = require("/work/main/dist/provider/connectors/mysql/snapshot");
const mysqlPromise = require("mysql2/promise");
const { runTask } = require("/work/main/dist/test/harness/engine-run");
const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const acc = {}; const add = (k, ms) => { acc[k] = (acc[k] || 0) + ms; };
// time spent awaiting the next source batch (network + server + mysql2 parse + utf8 decode)
const orig = snapshot.streamRows;
snapshot.streamRows = async function* (...a) {
  const it = orig(...a); let t = now();
  for (;;) { const r = await it.next(); add("source: await next batch", now() - t); if (r.done) return; yield r.value; t = now(); }
};
// destination query time by kind (mysql2 promise connections)

const PC = require("mysql2/promise").PromiseConnection || require("mysql2/lib/promise/connection.js");
const q = PC.prototype.query;
PC.prototype.query = async function (sql, ...rest) {
  const text = typeof sql === "string" ? sql : sql.sql; const t = now();
  try { return await q.call(this, sql, ...rest); } finally {
    const kind = /^INSERT/.test(text) ? "dest mysql: INSERT" : /^ALTER|^CREATE INDEX/i.test(text) ? "dest: index DDL" : /^COMMIT/.test(text) ? "dest: COMMIT" : "other queries";
    add(kind, now() - t);
  }
};
const pg = require("/work/main/node_modules/pg");
const pq = pg.Client.prototype.query;
pg.Client.prototype.query = function (cfg, ...rest) {
  const text = typeof cfg === "string" ? cfg : cfg && cfg.text;
  if (typeof text !== "string") return pq.call(this, cfg, ...rest); // COPY stream
  const t = now(); const r = pq.call(this, cfg, ...rest);
  const kind = /^COMMIT/.test(text) ? "dest pg: COMMIT" : /^CREATE (UNIQUE )?INDEX|^ALTER/i.test(text) ? "dest: index DDL" : "other queries";
  if (r && r.then) r.then(() => add(kind, now() - t), () => add(kind, now() - t));
  return r;
};
(async () => {
  const t0 = now();
  const { status, home } = await runTask(spec.source, spec.destination, spec.task, { timeoutMs: spec.timeoutMs });
  const wall = now() - t0;
  console.log("phase", status.phase, status.error || "", "rows", status.rowsCopied, "wall ms", wall.toFixed(0));
  for (const [k, v] of Object.entries(acc).sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(28)} ${(v / 1000).toFixed(2)} s (summed over workers)`);
  console.log(readFileSync(`${home}/tasks/t1/task.log`, "utf8").split("\n").filter(Boolean).map((l) => "  " + l).join("\n"));
  console.log("maxRSS MB", (process.resourceUsage().maxRSS / 1024).toFixed(0));
})();
