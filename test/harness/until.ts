/**
 * Polls until `probe` gives a value (anything but undefined, false or null) and returns it;
 * on timeout, throws naming what was awaited, with `context()` (a process's output, say).
 * `tolerateErrors`: a probe that throws counts as "not yet" (a server being restarted).
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false | null>,
    o: { timeoutMs?: number; intervalMs?: number; context?: () => string; tolerateErrors?: boolean } = {}): Promise<T> {
    const deadline = Date.now() + (o.timeoutMs ?? 60_000);
    let last: unknown;
    for (;;) {
        try {
            const v = await probe();
            if (v !== undefined && v !== false && v !== null) return v;
        } catch (err) {
            if (!o.tolerateErrors) throw err;
            last = err;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}${o.context ? `\n${o.context()}` : ""}`);
        }
        await new Promise((r) => setTimeout(r, o.intervalMs ?? 200));
    }
}
