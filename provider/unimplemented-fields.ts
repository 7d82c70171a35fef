/**
 * Arguments the schemas accept but nothing reads yet, or that mean something only for some
 * destinations. An accepted option that does nothing is worse than a refused one, so
 * `pulumi preview` refuses them here, by property path, until the issue that implements
 * a field removes its rule. test/unit/schema-fields.test.ts holds every schema field to
 * "read by the engine, or listed here".
 */
import { isDeepStrictEqual } from "node:util";
import type { Engine } from "../sdk/schema/connection";
import { type CheckFailure, formatPath, UNKNOWN } from "./check";

export interface FieldRule {
    /** Property path from the resource's arguments; `[]` stands for every element of an array. */
    path: string;
    /**
     * The value that means "off", accepted even while the rule applies; `undefined`: the
     * field must be absent. Compared with the value as written (before schema defaults).
     */
    default?: unknown;
    /** Not implemented yet: what setting it would fail to do. */
    unimplemented?: string;
    /** Means something only when the task's destination is one of these engines. */
    onlyForDestinations?: readonly Engine[];
    /** Means something only when the field at `path` (from the arguments' root) holds one of `values`. */
    onlyWhen?: { path: string; values: readonly unknown[]; default: unknown };
}

/** MigrationTask arguments. */
export const taskFieldRules: readonly FieldRule[] = [
    { path: "verification.mode", default: "none", unimplemented: "no verification runs after the migration" },
    { path: "verification.samplePercent", default: 100, unimplemented: "no verification runs after the migration" },
    { path: "verification.incrementalIntervalMinutes", default: 0, unimplemented: "no verification runs after the migration" },
    { path: "alerting", unimplemented: "no alert would be sent" },
    { path: "onlineDdl", default: "none", unimplemented: "temporary tables of online-DDL tools are not treated specially" },
    { path: "tablestore", onlyForDestinations: ["tablestore"] },
    { path: "maxcompute", onlyForDestinations: ["maxcompute"] },
    { path: "objects[].tables[].tablestorePrimaryKey", onlyForDestinations: ["tablestore"] },
    { path: "objects[].tables[].tablestoreTypes", onlyForDestinations: ["tablestore"] },
    { path: "objects[].tables[].distributionKey", onlyForDestinations: ["analyticdb-postgresql"] },
    // MySQL-family destinations keep zero dates as they are: there is nothing to choose.
    { path: "objects[].tables[].zeroDates", onlyForDestinations: ["postgresql", "analyticdb-postgresql"] },
];

/** DatabaseConnection arguments. */
export const connectionFieldRules: readonly FieldRule[] = [
    // verify-ca checks the chain only, so a name to check would be silently unused there.
    { path: "tls.serverName", onlyWhen: { path: "tls.mode", values: ["verify-full"], default: "disabled" } },
];

type Segment = string | number;

/** Every concrete location of `path` in `value`: `[]` fans out over arrays; absent fields are skipped. */
function locate(value: unknown, path: string): { at: Segment[]; value: unknown }[] {
    let found: { at: Segment[]; value: unknown }[] = [{ at: [], value }];
    for (const part of path.split(".")) {
        const key = part.replace(/(\[\])+$/, "");
        const fanOuts = (part.length - key.length) / 2;
        const next: typeof found = [];
        for (const f of found) {
            if (f.value === null || typeof f.value !== "object" || !(key in f.value)) continue;
            let level = [{ at: [...f.at, key], value: (f.value as Record<string, unknown>)[key] }];
            for (let n = 0; n < fanOuts; n++) {
                level = level.flatMap((l) => (Array.isArray(l.value) ? l.value.map((v, i) => ({ at: [...l.at, i], value: v })) : []));
            }
            next.push(...level);
        }
        found = next;
    }
    return found;
}

function containsUnknown(v: unknown): boolean {
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) return v.some(containsUnknown);
    if (v !== null && typeof v === "object") return Object.values(v).some(containsUnknown);
    return false;
}

/** The destination's engine, or undefined when it is not known (yet) and kind rules must wait. */
function destinationEngine(inputs: Record<string, unknown>): string | undefined {
    const d = inputs.destination;
    if (d === null || typeof d !== "object") return undefined;
    const engine = (d as Record<string, unknown>).engine;
    return typeof engine === "string" && engine !== UNKNOWN ? engine : undefined;
}

function isDefault(rule: FieldRule, value: unknown): boolean {
    return value === undefined || (rule.default !== undefined && isDeepStrictEqual(value, rule.default));
}

function refusal(rule: FieldRule, property: string, inputs: Record<string, unknown>, destination: string | undefined): string | undefined {
    const reasons: string[] = [];
    if (rule.onlyForDestinations && destination !== undefined && !rule.onlyForDestinations.includes(destination as Engine)) {
        const kinds = rule.onlyForDestinations.map((e) => `"${e}"`).join(" or ");
        reasons.push(`applies only to ${kinds} destinations (this task's destination is "${destination}")`);
    }
    if (rule.onlyWhen) {
        const cond = locate(inputs, rule.onlyWhen.path)[0]?.value ?? rule.onlyWhen.default;
        if (containsUnknown(cond)) return undefined;
        if (!rule.onlyWhen.values.some((v) => isDeepStrictEqual(v, cond))) {
            const values = rule.onlyWhen.values.map((v) => JSON.stringify(v)).join(" or ");
            reasons.push(`applies only when ${rule.onlyWhen.path} is ${values} (it is ${JSON.stringify(cond)}, which does not use it)`);
        }
    }
    if (rule.unimplemented) {
        reasons.push(`is not implemented yet in this version (${rule.unimplemented})`);
    }
    if (reasons.length === 0) return undefined;
    const fix = rule.default === undefined ? `remove ${property}` : `remove ${property} or set it to ${JSON.stringify(rule.default)}`;
    return `${property} ${reasons.join(", and ")}: ${fix}`;
}

/**
 * Failures for `inputs` (a resource's raw arguments, unknowns still in place) under
 * `rules`. Values Pulumi does not know yet are not judged, and neither are destination
 * kinds while the destination's engine is unknown.
 */
export function fieldRuleFailures(rules: readonly FieldRule[], inputs: Record<string, unknown>, prefix = ""): CheckFailure[] {
    const destination = destinationEngine(inputs);
    const failures: CheckFailure[] = [];
    for (const rule of rules) {
        for (const hit of locate(inputs, rule.path)) {
            // A field that must be absent is refused whatever it holds; one with an "off" value
            // can only be judged once all of it is known.
            if (hit.value === UNKNOWN || (rule.default !== undefined && containsUnknown(hit.value))) continue;
            if (isDefault(rule, hit.value)) continue;
            const property = prefix + formatPath(hit.at);
            const reason = refusal(rule, property, inputs, destination);
            if (reason) failures.push({ property, reason });
        }
    }
    return failures;
}

export function taskFieldFailures(inputs: Record<string, unknown>): CheckFailure[] {
    return fieldRuleFailures(taskFieldRules, inputs);
}

/** `prefix` names where the connection sits ("source." inside a task). */
export function connectionFieldFailures(inputs: Record<string, unknown>, prefix = ""): CheckFailure[] {
    return fieldRuleFailures(connectionFieldRules, inputs, prefix);
}
