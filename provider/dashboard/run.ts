import { pingEngine } from "../engine/control/client";
import type { EngineHome } from "../engine/home";
import { LOGIN_LINK_TTL_MS } from "./access";
import { DASHBOARD_HOST, startDashboard } from "./server";
import { RemoteEngineClient, remoteSettings } from "../engine/control/remote-client";
import { serviceSource } from "./sources";

/**
 * `npx pulumi-dts dashboard`: serves the dashboard from this process until Ctrl-C (or
 * SIGTERM). It is not detached like the engine: a page that reads the tasks is wanted
 * while someone looks at it, and a process left behind would keep a port open.
 */
export async function runDashboard(home: EngineHome, opts: { port?: number } = {}): Promise<number> {
    let dashboard: Awaited<ReturnType<typeof startDashboard>>;
    // PULUMI_DTS_ENDPOINT (with PULUMI_DTS_TOKEN, PULUMI_DTS_CA_CERT): the engine service's tasks instead of the home's.
    const remote = remoteSettings(undefined, process.env);
    try {
        dashboard = await startDashboard(remote ? { source: serviceSource(new RemoteEngineClient(remote), remote.endpoint), token: remote.token } : home, { port: opts.port });
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") throw new Error(`port ${opts.port} on ${DASHBOARD_HOST} is in use: choose another with --port, or leave it out for a free one`);
        throw err;
    }
    const ping = remote ? undefined : await pingEngine(home);
    const interactive = process.stdin.isTTY === true;
    // One write: a reader that waits for the "open:" line has the lines around it too.
    console.log([
        remote
            ? `pulumi-dts dashboard (read-only) for the engine service at ${remote.endpoint} (PULUMI_DTS_ENDPOINT)`
            : `pulumi-dts dashboard (read-only) for the engine of ${home.dir}: ` +
                (ping ? `engine ${ping.version}, pid ${ping.pid}, ${ping.tasks} task(s)` : "the engine is not running; the page shows its tasks once it runs"),
        `open: ${dashboard.loginUrl()}`,
        `(a one-time login link, good for ${LOGIN_LINK_TTL_MS / 60_000} minutes${interactive ? "; press Enter for another" : ""}; ` +
            `listening on ${DASHBOARD_HOST}:${dashboard.port} only; Ctrl-C stops the dashboard, not the engine)`,
    ].join("\n"));
    if (interactive) process.stdin.on("data", () => console.log(`open: ${dashboard.loginUrl()}`));
    return new Promise<number>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
            console.log(`dashboard stopping (${signal})`);
            process.stdin.pause();
            void dashboard.close().then(() => resolve(0));
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
    });
}
