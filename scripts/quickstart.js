#!/usr/bin/env node
// Runs examples/quickstart with the real Pulumi CLI against throw-away local servers:
// starts a MariaDB (binlog on) and a PostgreSQL, `pulumi up`s the program, prints what
// Test Connectivity found, then `pulumi destroy`s and stops the servers.
// Pass --keep to leave servers and stack running (it prints how to reach them).
const path = require("node:path");
const { startMariaDb, destroyMariaDb } = require("../dist/test/harness/mariadb");
const { startPostgres, destroyPostgres } = require("../dist/test/harness/postgres");
const { pulumiBin, pulumiEnv, pulumi } = require("../dist/test/harness/pulumi-cli");

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
        if (keep) {
            console.log(`\nKept running. Pulumi state and home: ${home}\n  export PULUMI_BACKEND_URL=${env.PULUMI_BACKEND_URL} PULUMI_HOME=${env.PULUMI_HOME} PULUMI_CONFIG_PASSPHRASE=${env.PULUMI_CONFIG_PASSPHRASE} PATH=${bin}:$PATH`);
            console.log(`  MariaDB: 127.0.0.1:${maria.port}  PostgreSQL: 127.0.0.1:${pg.port}`);
            return;
        }
        await run(["destroy", "--yes", "--skip-preview"], env);
        await run(["stack", "rm", "--yes", "quickstart"], env);
        console.log("\nquickstart done: connections tested, facts shown above, stack destroyed.");
    } finally {
        if (!keep) await Promise.all([destroyMariaDb(maria), destroyPostgres(pg)]);
    }
}

main().catch((err) => {
    console.error(`quickstart failed: ${err.message}`);
    process.exit(1);
});
