import type { z } from "zod";

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
    const result = schema.safeParse(value);
    if (result.success && unknownPaths.length === 0) return { ok: true, value: result.data };
    const failures: CheckFailure[] = [];
    for (const issue of result.success ? [] : result.error.issues) {
        const path = issue.path as Path;
        const params = (issue as { params?: { dependsOn?: Path[] } }).params;
        // Relative `dependsOn` paths are siblings of the issue's own parent.
        const parent = path.slice(0, -1);
        const reads = [path, ...(params?.dependsOn ?? []).map((d) => [...parent, ...d])];
        if (reads.some((r) => unknownPaths.some((u) => isUnder(r, u) || isUnder(u, r)))) continue;
        failures.push({ property: formatPath(path), reason: describe(issue, path) });
    }
    if (failures.length === 0 && unknownPaths.length > 0) return { ok: false, failures, incomplete: true };
    return { ok: false, failures, incomplete: false };
}

function describe(issue: z.core.$ZodIssue, path: Path): string {
    const where = formatPath(path) || "(arguments)";
    if (issue.code === "invalid_type" && issue.input === undefined) {
        return `${where} is required`;
    }
    if (issue.code === "invalid_value" && "values" in issue) {
        return `${where} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")} (got ${JSON.stringify(issue.input)})`;
    }
    if (issue.code === "unrecognized_keys") {
        return `${where} has unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}; check the spelling against the documented arguments`;
    }
    // Our own messages are phrased to follow the path ("must ...", "(800) must ..."); zod's start upper-case.
    const msg = issue.message.replace(/^Invalid input: /, "");
    return /^[a-z("]/.test(msg) ? `${where} ${msg}` : `${where} is invalid: ${msg}`;
}
