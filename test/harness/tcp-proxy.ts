/**
 * A TCP proxy that can be paused: while paused it forwards nothing either way and holds
 * the connections open, as a network partition (or a stalled database host) looks to a
 * client. Used to cut one process off from a server while the others reach it.
 */
import { connect, createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface PausableProxy {
    port: number;
    pause(): void;
    resume(): void;
    close(): Promise<void>;
}

export async function startProxy(target: { host: string; port: number }): Promise<PausableProxy> {
    let paused = false;
    const pairs = new Set<[Socket, Socket]>();
    const server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        const pair: [Socket, Socket] = [client, upstream];
        pairs.add(pair);
        client.pipe(upstream);
        upstream.pipe(client);
        if (paused) {
            client.pause();
            upstream.pause();
        }
        const end = () => {
            pairs.delete(pair);
            client.destroy();
            upstream.destroy();
        };
        client.on("error", end).on("close", end);
        upstream.on("error", end).on("close", end);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    return {
        port: (server.address() as AddressInfo).port,
        pause() {
            paused = true;
            for (const [a, b] of pairs) {
                a.pause();
                b.pause();
            }
        },
        resume() {
            paused = false;
            for (const [a, b] of pairs) {
                a.resume();
                b.resume();
            }
        },
        async close() {
            for (const [a, b] of pairs) {
                a.destroy();
                b.destroy();
            }
            await new Promise<void>((r) => server.close(() => r()));
        },
    };
}
