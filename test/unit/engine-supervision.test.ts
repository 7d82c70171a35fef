import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_QUICK_RESTARTS, RESTART_DELAYS_MS, RestartPolicy, STABLE_MS } from "../../provider/engine/restart-policy";
import { systemdUnit } from "../../provider/engine/service-unit";

describe("restarting a dead engine", () => {
    it("restarts after a crash or a kill, with growing delays; never after a requested stop", () => {
        const p = new RestartPolicy();
        expect(p.next(null, "SIGKILL", 100, false)).toEqual({ restart: true, delayMs: RESTART_DELAYS_MS[0] });
        expect(p.next(1, null, 100, false)).toEqual({ restart: true, delayMs: RESTART_DELAYS_MS[1] });
        expect(p.next(0, null, 100, false)).toMatchObject({ restart: false });
        expect(p.next(null, "SIGKILL", 100, true)).toMatchObject({ restart: false });
    });

    it("a stable run starts the delays over; an engine that cannot start is given up on", () => {
        const p = new RestartPolicy();
        for (let i = 0; i < 4; i++) p.next(1, null, 10, false);
        expect(p.next(1, null, STABLE_MS, false)).toEqual({ restart: true, delayMs: RESTART_DELAYS_MS[0] });
        const q = new RestartPolicy();
        for (let i = 0; i < MAX_QUICK_RESTARTS; i++) expect(q.next(null, "SIGSEGV", 10, false).restart).toBe(true);
        expect(q.next(null, "SIGSEGV", 10, false)).toMatchObject({ restart: false, reason: expect.stringMatching(/giving up/) });
    });
});

describe("the systemd user unit", () => {
    it("runs the home's engine, restarts it on failure only, keeps its files owner-only", () => {
        const u = systemdUnit({ node: "/usr/bin/node", engineMain: "/opt/app dir/dist/provider/engine/main.js", home: "/home/u/.pulumi-dts", defaultHome: "/home/u/.pulumi-dts" });
        expect(u.name).toBe("pulumi-dts-engine.service");
        expect(u.text).toContain('ExecStart="/usr/bin/node" "/opt/app dir/dist/provider/engine/main.js"');
        expect(u.text).toContain('Environment="PULUMI_DTS_HOME=/home/u/.pulumi-dts"');
        expect(u.text).toMatch(/^Restart=on-failure$/m);
        expect(u.text).toMatch(/^UMask=0077$/m);
        expect(u.text).toMatch(/^WantedBy=default.target$/m);
    });

    it("another home gets a unit of its own", () => {
        const a = systemdUnit({ node: "n", engineMain: "m", home: "/tmp/a", defaultHome: "/home/u/.pulumi-dts" });
        const b = systemdUnit({ node: "n", engineMain: "m", home: "/tmp/b", defaultHome: "/home/u/.pulumi-dts" });
        expect(a.name).toMatch(/^pulumi-dts-engine-[0-9a-f]{8}\.service$/);
        expect(a.name).not.toBe(b.name);
    });

    const analyzer = spawnSync("systemd-analyze", ["--version"]).status === 0;
    it.skipIf(!analyzer)("systemd itself accepts the unit (systemd-analyze verify), paths with spaces and % included", () => {
        const dir = mkdtempSync(join(tmpdir(), "dts-unit-"));
        try {
            const home = join(dir, "home 50%");
            mkdirSync(home);
            const u = systemdUnit({ node: process.execPath, engineMain: join(__dirname, "engine-supervision.test.ts"), home });
            writeFileSync(join(dir, u.name), u.text);
            const r = spawnSync("systemd-analyze", ["verify", join(dir, u.name)], { encoding: "utf8" });
            expect(`${r.stdout}${r.stderr}`.trim()).toBe("");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
