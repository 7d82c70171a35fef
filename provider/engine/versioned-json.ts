import type { z } from "zod";

/**
 * JSON the engine keeps across its own upgrades (task files in the engine home, the stream
 * schema at the destination): one engine version writes it, a later or an earlier one reads
 * it, so the document says which format it is in and is validated on read.
 *
 * A document is `{ "version": n, ... }`. Documents from before a format was versioned carry
 * no version; the format's `legacy` turns them into the current version in memory. A later
 * version that still reads older versioned documents says so in its schema (a union of the
 * versions, each transformed to the current one).
 */
export interface VersionedFormat<S extends z.ZodType> {
    /** The version this engine writes. */
    version: number;
    /** The current version's document, `version` field included. */
    schema: S;
    /** An unversioned document (written before the format had versions) as a current one. */
    legacy(raw: unknown): unknown;
}

/** Why a stored document cannot be used. Never carries the document's values: some hold secrets. */
export type FormatProblem =
    | { kind: "not-json"; detail: string }
    | { kind: "newer-version"; version: number; detail: string }
    | { kind: "invalid"; path: PropertyKey[]; detail: string };

export type Decoded<T> = { ok: true; value: T } | { ok: false; problem: FormatProblem };

/** `tables["shop.orders"].chunks[0].state`: the path the way a reader finds it in the file. */
export function formatPath(path: readonly PropertyKey[]): string {
    let out = "";
    for (const p of path) {
        if (typeof p === "number") out += `[${p}]`;
        else if (typeof p === "string" && /^[A-Za-z_$][\w$]*$/.test(p)) out += out ? `.${p}` : p;
        else out += `[${JSON.stringify(String(p))}]`;
    }
    return out || "(document)";
}

/** The first problem zod found, where it is (after `under`) and what is wrong, and how many more there are. */
export function describeIssues(error: z.ZodError, under = ""): { path: PropertyKey[]; text: string } {
    const [issue, ...more] = error.issues;
    const where = formatPath(issue.path);
    return {
        path: issue.path,
        text: `${under && issue.path.length ? `${under}.` : under}${issue.path.length || !under ? where : ""}: ${issue.message}` +
            (more.length ? ` (and ${more.length} more problem${more.length > 1 ? "s" : ""})` : ""),
    };
}

/** Absent: the document predates versioning. A version that is not a number is left for the schema to refuse. */
function versionOf(raw: unknown): unknown {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return undefined;
    return (raw as { version?: unknown }).version;
}

/** Parses, upgrades and validates a stored document. */
export function decodeVersioned<S extends z.ZodType>(text: string, format: VersionedFormat<S>): Decoded<z.output<S>> {
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (err) {
        // V8 quotes the text around the error, which may be a password.
        const at = /position (\d+)/.exec((err as Error).message)?.[1];
        return { ok: false, problem: { kind: "not-json", detail: `not valid JSON${at ? ` (at character ${at})` : ""}: damaged or truncated` } };
    }
    const version = versionOf(raw);
    if (version === undefined) raw = format.legacy(raw);
    else if (typeof version === "number" && version > format.version) {
        return { ok: false, problem: { kind: "newer-version", version, detail: `format version ${version} is newer than the ${format.version} this engine reads` } };
    }
    const parsed = format.schema.safeParse(raw);
    if (parsed.success) return { ok: true, value: parsed.data };
    const issue = describeIssues(parsed.error);
    return { ok: false, problem: { kind: "invalid", path: issue.path, detail: issue.text } };
}
