/**
 * Runs the local MaxCompute server as its own process, for benchmarks and examples:
 *
 *     node dist/test/harness/maxcompute-server/main.js --project P --access-key-id ID --access-key-secret S [--port N] [--host H]
 *
 * Prints the endpoint on stdout once listening (one line, `http://HOST:PORT/api`); stops on SIGTERM or SIGINT.
 */
import { parseArgs } from "node:util";
import { startMaxComputeServer } from "./index";

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: { project: { type: "string" }, "access-key-id": { type: "string" }, "access-key-secret": { type: "string" }, port: { type: "string" }, host: { type: "string" } },
        strict: true,
    });
    if (!values.project || !values["access-key-id"] || !values["access-key-secret"]) {
        throw new Error("usage: main.js --project P --access-key-id ID --access-key-secret S [--port N] [--host H]");
    }
    const server = await startMaxComputeServer({
        project: values.project, accessKeys: [{ id: values["access-key-id"], secret: values["access-key-secret"] }],
        port: Number(values.port ?? 0), host: values.host,
    });
    console.log(server.endpoint);
    const stop = () => void server.close().then(() => process.exit(0));
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

main().catch((err) => {
    console.error((err as Error).message);
    process.exit(2);
});
