import { z } from "zod";

/**
 * A cross-field rule: `path` is the field the message is about, `dependsOn` the other
 * fields the rule reads. During `pulumi preview` any of them may be unknown, and then
 * the rule must not fire (see provider/check.ts), so every such issue says what it read.
 */
export function crossFieldIssue(
    ctx: z.RefinementCtx,
    path: (string | number)[],
    dependsOn: (string | number)[][],
    message: string,
): void {
    ctx.addIssue({ code: "custom", path, message, params: { dependsOn } });
}

/** A database, table or column name as MySQL accepts it (1-64 characters, no NUL). */
export const identifier = z
    .string()
    .min(1, "must not be empty")
    .max(64, "must be at most 64 characters (MySQL's identifier limit)")
    .refine((s) => !s.includes("\u0000"), "must not contain a NUL character");

export const positiveInt = z.number().int("must be a whole number").positive("must be greater than 0");

export function intInRange(min: number, max: number) {
    return z
        .number()
        .int("must be a whole number")
        .min(min, `must be between ${min} and ${max}`)
        .max(max, `must be between ${min} and ${max}`);
}

/** The value at a property path (keys and array indexes); undefined where the path leaves the value. */
export function valueAtPath(value: unknown, path: readonly (string | number)[]): unknown {
    let v = value;
    for (const k of path) {
        if (v === null || typeof v !== "object") return undefined;
        v = (v as Record<string | number, unknown>)[k];
    }
    return v;
}
