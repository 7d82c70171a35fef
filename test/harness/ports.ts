import { createServer } from "node:net";

/** A TCP port free on 127.0.0.1 at the time of asking. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const addr = srv.address();
            srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
        });
    });
}

export async function waitFor<T>(what: string, attempt: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
        try {
            return await attempt();
        } catch (err) {
            last = err;
            await new Promise((r) => setTimeout(r, 200));
        }
    }
    throw new Error(`timed out waiting for ${what}: ${last instanceof Error ? last.message : String(last)}`);
}
