import type { z } from "zod";
import { valueAtPath } from "../sdk/schema/common";

/**
 * The placeholder Pulumi's dynamic-provider host passes for values not known during
 * `pulumi preview` (runtime/rpc.ts `unknownValue`; a unit test pins it).
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface CheckFailure {
    property: string;
    reason: string;
}

type Path = (string | number)[];

/** Removes unknown values, remembering where they were, so validation skips what it cannot see. */
export function pruneUnknowns(value: unknown, path: Path = [], unknownPaths: Path[] = []): { value: unknown; unknownPaths: Path[] } {
    if (value === UNKNOWN) {
        unknownPaths.push(path);
        return { value: undefined, unknownPaths };
    }
    if (Array.isArray(value)) {
        return { value: value.map((v, i) => pruneUnknowns(v, [...path, i], unknownPaths).value), unknownPaths };
    }
    if (value !== null && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            const pruned = pruneUnknowns(v, [...path, k], unknownPaths).value;
            if (pruned !== undefined) out[k] = pruned;
        }
        return { value: out, unknownPaths };
    }
    return { value, unknownPaths };
}

function isUnder(path: Path, prefix: Path): boolean {
    return prefix.length <= path.length && prefix.every((p, i) => String(p) === String(path[i]));
}

export function formatPath(path: Path): string {
    let out = "";
    for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
    return out;
}

/**
 * Validates `inputs` against `schema` the way `pulumi preview` needs it: problems are
 * reported per property path with how to fix them, and nothing is reported about values
 * that are still unknown (or about rules that read them).
 */
export function validate<S extends z.ZodType>(
    schema: S,
    inputs: unknown,
): { ok: true; value: z.output<S> } | { ok: false; failures: CheckFailure[]; incomplete: boolean } {
    const { value, unknownPaths } = pruneUnknowns(inputs);
    // A stand-in where a value is unknown: zod skips an object's refinements when a field is
    // missing or mistyped, so without it a task whose connections do not exist yet (a new
    // stack) would have none of its cross-field rules judged. Issues that read a stand-in are
    // dropped below, as issues about unknown values always were.
    let filled = value;
    for (const u of unknownPaths) filled = setAt(filled, u, exemplar(schemaAt(schema, u)));
    const result = schema.safeParse(filled);
    if (result.success && unknownPaths.length === 0) return { ok: true, value: result.data };
    const failures: CheckFailure[] = [];
    for (const issue of result.success ? [] : result.error.issues) {
        const path = issue.path as Path;
        const params = (issue as { params?: { dependsOn?: Path[] } }).params;
        // Relative `dependsOn` paths are siblings of the issue's own parent.
        const parent = path.slice(0, -1);
        const reads = [path, ...(params?.dependsOn ?? []).map((d) => [...parent, ...d])];
        if (reads.some((r) => unknownPaths.some((u) => isUnder(r, u) || isUnder(u, r)))) continue;
        if (issue.code === "unrecognized_keys") {
            failures.push(...unknownFields(schemaAt(schema, path), valueAtPath(filled, path), path, issue.keys));
            continue;
        }
        failures.push({ property: formatPath(path), reason: describe(issue, path, valueAtPath(filled, path)) });
    }
    if (failures.length === 0 && unknownPaths.length > 0) return { ok: false, failures, incomplete: true };
    return { ok: false, failures, incomplete: false };
}

/** What was given, for messages: JSON, shortened. */
function given(v: unknown): string {
    const text = JSON.stringify(v) ?? String(v);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** zod's issue in the arguments' terms: the field, what it must be, and what was given (zod reports no input by default). */
function describe(issue: z.core.$ZodIssue, path: Path, input: unknown): string {
    const where = formatPath(path) || "(arguments)";
    if (issue.code === "invalid_type") {
        if (input === undefined) return `${where} is required`;
        const expected = issue.expected === "int" ? "a whole number" : `${/^[aeiou]/.test(String(issue.expected)) ? "an" : "a"} ${issue.expected}`;
        const kind = Array.isArray(input) ? "array" : input === null ? "null" : typeof input;
        const sameKind = kind === issue.expected || (issue.expected === "int" && kind === "number");
        return `${where} must be ${expected} (got ${sameKind ? "" : `${kind === "array" ? "an array" : `${kind === "object" ? "an" : "a"} ${kind}`} `}${given(input)})`;
    }
    if (issue.code === "invalid_value" && "values" in issue) {
        return `${where} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")} (got ${given(input)})`;
    }
    if (issue.code === "invalid_union" && input !== undefined) {
        return `${where} is not a valid value (got ${given(input)})${issue.message && !/^Invalid input$/.test(issue.message) ? `: ${issue.message}` : ""}`;
    }
    // Our own messages are phrased to follow the path ("must ...", "(800) must ..."); zod's start upper-case.
    const msg = issue.message.replace(/^Invalid input: /, "");
    const base = /^[a-z("]/.test(msg) ? `${where} ${msg}` : `${where} is invalid: ${msg}`;
    // Range and format checks: say what was given, unless the message already quotes it.
    return input !== undefined && (typeof input !== "object" || input === null) && !base.includes(given(input)) ? `${base} (got ${given(input)})` : base;
}

type Def = { type: string } & Record<string, unknown>;
const defOf = (s: z.ZodType | undefined): Def | undefined => (s as unknown as { def?: Def } | undefined)?.def;

/** Wrappers that do not change what a value looks like. */
function unwrap(s: z.ZodType | undefined): z.ZodType | undefined {
    for (let d = defOf(s); d; d = defOf(s)) {
        if (["optional", "default", "nullable", "prefault", "readonly", "catch", "nonoptional"].includes(d.type)) s = d.innerType as z.ZodType;
        else if (d.type === "pipe") s = d.in as z.ZodType;
        else break;
    }
    return s;
}

/** The object schemas a value at this schema may be (a union's object options). */
function objectOptions(s: z.ZodType | undefined): z.ZodType[] {
    const u = unwrap(s);
    const d = defOf(u);
    if (!d) return [];
    if (d.type === "object") return [u!];
    if (d.type === "union") return (d.options as z.ZodType[]).flatMap(objectOptions);
    return [];
}

/** The schema of the value at `path`, as far as it can be told without the value. */
export function schemaAt(schema: z.ZodType, path: Path): z.ZodType | undefined {
    let s: z.ZodType | undefined = schema;
    for (const key of path) {
        const u = unwrap(s);
        const d = defOf(u);
        if (!d) return undefined;
        if (typeof key === "number" || d.type === "array") {
            if (d.type !== "array") return undefined;
            s = d.element as z.ZodType;
            continue;
        }
        const withKey = objectOptions(u).find((o) => key in (defOf(o)!.shape as Record<string, unknown>));
        if (!withKey) return undefined;
        s = (defOf(withKey)!.shape as Record<string, z.ZodType>)[key];
    }
    return s;
}

/** A value of the schema's type that lets the enclosing object's refinements run (its own checks may fail). */
export function exemplar(schema: z.ZodType | undefined): unknown {
    const d = defOf(schema);
    if (!d) return undefined;
    switch (d.type) {
        case "optional": case "nullable":
            return undefined;
        case "default": case "prefault": case "readonly": case "catch": case "nonoptional":
            return exemplar(d.innerType as z.ZodType);
        case "pipe":
            return exemplar(d.in as z.ZodType);
        case "string": return "";
        case "number": case "int": return 1;
        case "boolean": return false;
        case "literal": return (d.values as unknown[])[0];
        case "enum": return Object.values(d.entries as Record<string, unknown>)[0];
        case "array": return [];
        case "union": return exemplar((d.options as z.ZodType[])[0]);
        case "object": {
            const out: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(d.shape as Record<string, z.ZodType>)) {
                const e = exemplar(v);
                if (e !== undefined) out[k] = e;
            }
            return out;
        }
        default: return undefined;
    }
}

/** `value` with `v` at `path` (copying what it changes); a path through a non-object is left alone. */
function setAt(value: unknown, path: Path, v: unknown): unknown {
    if (v === undefined) return value;
    if (path.length === 0) return v;
    const [head, ...rest] = path;
    if (Array.isArray(value) && typeof head === "number") {
        const out = [...value];
        out[head] = setAt(value[head], rest, v);
        return out;
    }
    if (value === undefined || (value !== null && typeof value === "object" && !Array.isArray(value))) {
        const obj = (value ?? {}) as Record<string, unknown>;
        return { ...obj, [head]: setAt(obj[head], rest, v) };
    }
    return value;
}

/** Edit distance, for suggesting the field a misspelt one meant. */
function distance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const tmp = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = tmp;
        }
    }
    return row[b.length];
}

/** The known field a misspelt one most likely meant, if any is close. */
export function closestField(key: string, known: readonly string[]): string | undefined {
    let best: { k: string; d: number } | undefined;
    const a = key.toLowerCase();
    for (const k of known) {
        const b = k.toLowerCase();
        // A prefix either way ("rename" for "renameTo") breaks a tie with an equally distant name.
        const d = a === b ? 0 : distance(a, b) - (a.startsWith(b) || b.startsWith(a) ? 0.5 : 0);
        if (!best || d < best.d) best = { k, d };
    }
    return best && best.d <= Math.max(2, Math.floor(best.k.length / 3)) ? best.k : undefined;
}

/** One failure per field the object does not have, naming what the object is and the field meant. */
function unknownFields(objectSchema: z.ZodType | undefined, value: unknown, path: Path, keys: readonly string[]): CheckFailure[] {
    const all = objectOptions(objectSchema);
    // A discriminated union (connections by engine): the option the value's discriminator picks.
    const disc = defOf(unwrap(objectSchema))?.discriminator as string | undefined;
    const tag = disc !== undefined && value !== null && typeof value === "object" ? (value as Record<string, unknown>)[disc] : undefined;
    const picked = tag === undefined ? [] : all.filter((o) => (defOf(o)!.shape as Record<string, z.ZodType>)[disc!]?.safeParse(tag).success);
    const options = picked.length ? picked : all;
    const known = [...new Set(options.flatMap((o) => Object.keys(defOf(o)!.shape as Record<string, unknown>)))];
    const what = (unwrap(objectSchema) as { description?: string } | undefined)?.description ?? options[0]?.description;
    return keys.map((key) => {
        const property = formatPath([...path, key]);
        const guess = closestField(key, known);
        const hint = guess ? `did you mean "${guess}"?` : `its fields are ${known.map((k) => `"${k}"`).join(", ")}`;
        return { property, reason: `${property} is not a field of ${what ?? (path.length ? formatPath(path) : "the arguments")}; ${hint}` };
    });
}
