/**
 * Runs the local Tablestore server as its own process, for examples and benchmarks:
 *
 *     node dist/test/harness/tablestore-server/main.js --port 0 --instance inst \
 *         --access-key-id ak --access-key-secret sk [--data-file data.json] [--host 127.0.0.1]
 *         [--durability every-request|on-close]
 *
 * Prints the endpoint on stdout once listening (one line, `http://HOST:PORT`); stops on SIGTERM
 * or SIGINT, writing the data file first.
 */
import { startTablestoreServer } from "./index";

function parseArgs(argv: string[]): Map<string, string> {
    const args = new Map<string, string>();
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
        const eq = a.indexOf("=");
        if (eq > 0) args.set(a.slice(2, eq), a.slice(eq + 1));
        else {
            const v = argv[i + 1];
            if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value`);
            args.set(a.slice(2), v);
            i++;
        }
    }
    return args;
}

const USAGE = "usage: main.js --instance NAME --access-key-id ID --access-key-secret SECRET [--port N] [--host H] [--data-file F] [--durability every-request|on-close]";

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const known = new Set(["port", "host", "instance", "access-key-id", "access-key-secret", "data-file", "durability"]);
    for (const k of args.keys()) if (!known.has(k)) throw new Error(`unknown option --${k}\n${USAGE}`);
    const need = (k: string) => {
        const v = args.get(k);
        if (!v) throw new Error(`--${k} is required\n${USAGE}`);
        return v;
    };
    const port = Number(args.get("port") ?? "0");
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port: ${args.get("port")}`);
    const durability = args.get("durability") ?? "every-request";
    if (durability !== "every-request" && durability !== "on-close") throw new Error(`--durability: every-request or on-close, not ${durability}`);
    const server = await startTablestoreServer({
        port,
        host: args.get("host"),
        instanceName: need("instance"),
        accessKeys: [{ id: need("access-key-id"), secret: need("access-key-secret") }],
        dataFile: args.get("data-file"),
        durability,
    });
    process.stdout.write(`${server.endpoint}\n`);
    const stop = () => {
        server.close().then(() => process.exit(0), (e: unknown) => {
            console.error(e);
            process.exit(1);
        });
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
}

main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
});
