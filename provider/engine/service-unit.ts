import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/**
 * A systemd user unit that runs the engine of one home, for machines where it must come
 * back also when its supervisor is gone (a reboot, a logout with lingering on): systemd
 * then supervises it. A requested stop (`pulumi-dts engine stop`) exits cleanly and is not
 * restarted; a crash or a kill is, after a second.
 */
export interface ServiceUnit {
    /** File name under ~/.config/systemd/user. */
    name: string;
    text: string;
}

/** systemd's quoting for a word of a command line or an assignment that may hold spaces, quotes or backslashes. */
function quoted(s: string): string {
    return `"${specifiersEscaped(s).replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** A value systemd reads as it is, but for its %-specifiers. */
function specifiersEscaped(s: string): string {
    return s.replace(/%/g, "%%");
}

export function systemdUnit(o: { node: string; engineMain: string; home: string; defaultHome?: string }): ServiceUnit {
    const home = resolve(o.home);
    const isDefault = home === resolve(o.defaultHome ?? join(homedir(), ".pulumi-dts"));
    // One unit per home: a machine may run engines for several homes (tests, projects).
    const name = isDefault ? "pulumi-dts-engine.service" : `pulumi-dts-engine-${createHash("sha256").update(home).digest("hex").slice(0, 8)}.service`;
    const log = join(home, "engine.log");
    const text = `[Unit]
Description=pulumi-dts migration engine (home ${home})
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
Environment=${quoted(`PULUMI_DTS_HOME=${home}`)}
WorkingDirectory=${specifiersEscaped(home)}
ExecStart=${quoted(o.node)} ${quoted(o.engineMain)}
# Exit code 0 is a requested stop (pulumi-dts engine stop): not restarted. Anything else is.
Restart=on-failure
RestartSec=1
# The engine stops its tasks at their checkpoints on SIGTERM.
KillSignal=SIGTERM
TimeoutStopSec=90
StandardOutput=append:${specifiersEscaped(log)}
StandardError=append:${specifiersEscaped(log)}
# The home holds task specs with connection secrets: owner-only.
UMask=0077

[Install]
WantedBy=default.target
`;
    return { name, text };
}
