/**
 * Writes docs/reference.md from the argument schemas, so the reference cannot say what the
 * code does not: types, defaults and ranges from the zod schemas (sdk/schema/), field
 * descriptions from their doc comments, what a change does from sdk/schema/task-fields.ts,
 * the refused fields from provider/unimplemented-fields.ts, and the precheck items from the
 * code that emits them. test/unit/reference-doc.test.ts fails when the file is out of date.
 *
 *   npm run docs            rewrite docs/reference.md
 *   npm run docs -- --check exit 1 when it is out of date
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import * as ts from "typescript";
import type { z } from "zod";
import {
    defaultPort, type Engine, maxcomputeConnectionSchema, mysqlConnectionSchema, mysqlFamilyEngines, postgresConnectionSchema,
    postgresFamilyEngines, secretConnectionFields, tablestoreConnectionSchema,
} from "../sdk/schema/connection";
import { taskArgsSchema } from "../sdk/schema/task";
import { fieldPolicy, taskFieldPolicies } from "../sdk/schema/task-fields";
import { connectionFieldRules, type FieldRule, taskFieldRules } from "../provider/unimplemented-fields";

/** The checkout's root, whether this runs from scripts/ (tests) or compiled under dist/. */
export function repoRoot(from = __dirname): string {
    for (let dir = from; ; dir = dirname(dir)) {
        const pkg = join(dir, "package.json");
        if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).name === "pulumi-dts") return dir;
        if (dirname(dir) === dir) throw new Error(`no pulumi-dts package.json above ${from}`);
    }
}

// ---------------------------------------------------------------- descriptions

/**
 * Doc comments of schema properties. At run time a zod object knows its keys but not their
 * comments, so each object literal in the schema sources is keyed by its set of keys (spreads
 * of a `const` literal resolved), which is what a zod object's shape can be matched by.
 */
export function schemaDocs(files: string[]): Map<string, Map<string, string>> {
    const byKeys = new Map<string, Map<string, string>>();
    for (const file of files) {
        const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
        const consts = new Map<string, ts.ObjectLiteralExpression>();
        const literals: ts.ObjectLiteralExpression[] = [];
        const visit = (n: ts.Node): void => {
            if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && ts.isObjectLiteralExpression(n.initializer)) {
                consts.set(n.name.text, n.initializer);
            }
            if (ts.isObjectLiteralExpression(n)) literals.push(n);
            ts.forEachChild(n, visit);
        };
        visit(sf);
        const entries = (obj: ts.ObjectLiteralExpression): [string, string][] => obj.properties.flatMap((p): [string, string][] => {
            if (ts.isSpreadAssignment(p)) {
                const spread = ts.isIdentifier(p.expression) ? consts.get(p.expression.text) : undefined;
                return spread ? entries(spread) : [];
            }
            if (!(ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) || !p.name) return [];
            const key = ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) ? p.name.text : p.name.getText(sf);
            const doc = ts.getJSDocCommentsAndTags(p)
                .filter(ts.isJSDoc)
                .map((d) => ts.getTextOfJSDocComment(d.comment) ?? "")
                .join(" ");
            return [[key, doc.replace(/\s+/g, " ").trim()]];
        });
        for (const lit of literals) {
            const es = entries(lit);
            const key = keySet(es.map(([k]) => k));
            const docs = byKeys.get(key) ?? new Map<string, string>();
            for (const [k, d] of es) if (d && !docs.has(k)) docs.set(k, d);
            byKeys.set(key, docs);
        }
    }
    return byKeys;
}

const keySet = (keys: string[]) => [...keys].sort().join(",");

// ---------------------------------------------------------------- schema walk

type Def = { type: string } & Record<string, unknown>;
type CheckDef = { check: string; error?: (issue: unknown) => unknown } & Record<string, unknown>;

const defOf = (s: unknown): Def => (s as { def: Def }).def;
const checksOf = (d: Def): CheckDef[] => ((d.checks as { _zod: { def: CheckDef } }[] | undefined) ?? []).map((c) => c._zod.def);

/** One row of a field table. */
export interface FieldRow {
    path: string;
    type: string;
    presence: string;
    doc: string;
}

/** The message of a refine(fn, "message") rule; zod keeps it behind a function. */
function customMessage(c: CheckDef): string | undefined {
    try {
        const m = c.error?.({});
        return typeof m === "string" ? m : undefined;
    } catch {
        return undefined;
    }
}

function rangeText(checks: CheckDef[]): string | undefined {
    const lo = checks.find((c) => c.check === "greater_than");
    const hi = checks.find((c) => c.check === "less_than");
    if (lo && hi && lo.inclusive && hi.inclusive) return `${lo.value}–${hi.value}`;
    const parts: string[] = [];
    if (lo) parts.push(`${lo.inclusive ? "≥" : ">"} ${lo.value}`);
    if (hi) parts.push(`${hi.inclusive ? "≤" : "<"} ${hi.value}`);
    return parts.length ? parts.join(", ") : undefined;
}

function lengthText(checks: CheckDef[], unit: string): string[] {
    const min = checks.find((c) => c.check === "min_length")?.minimum as number | undefined;
    const max = checks.find((c) => c.check === "max_length")?.maximum as number | undefined;
    if (min !== undefined && max !== undefined) return [`${min}–${max} ${unit}`];
    if (min === 1) return ["not empty"];
    return [...(min !== undefined ? [`at least ${min} ${unit}`] : []), ...(max !== undefined ? [`at most ${max} ${unit}`] : [])];
}

const quote = (v: unknown) => `\`${JSON.stringify(v)}\``;

/** What a value of this (unwrapped) schema looks like, with its rules. */
function typeText(schema: unknown): string {
    const d = defOf(schema);
    const checks = checksOf(d);
    const custom = checks.filter((c) => c.check === "custom").map(customMessage).filter((m): m is string => !!m);
    const withRules = (base: string, rules: (string | undefined)[]) => [base, ...rules.filter(Boolean), ...custom].join("; ");
    switch (d.type) {
        case "string": {
            const regex = checks.find((c) => c.check === "string_format" && c.format === "regex")?.pattern as RegExp | undefined;
            return withRules("string", [...lengthText(checks, "characters"), regex ? `matching \`${regex.source}\`` : undefined]);
        }
        case "number": {
            const int = checks.some((c) => c.check === "number_format" && String(c.format).endsWith("int"));
            return withRules(int ? "whole number" : "number", [rangeText(checks)]);
        }
        case "boolean":
            return withRules("boolean", []);
        case "enum":
            return withRules(`one of ${Object.values(d.entries as Record<string, string>).map(quote).join(", ")}`, []);
        case "literal":
            return withRules((d.values as unknown[]).map(quote).join(", "), []);
        case "array":
            return withRules(`list of (${typeText(unwrap(d.element).schema)})`, lengthText(checks, "items"));
        case "union":
            return withRules((d.options as unknown[]).map((o) => typeText(unwrap(o).schema)).join(", or "), []);
        case "object":
            return withRules("object", []);
        default:
            return d.type;
    }
}

/** Strips optional/default wrappers, saying whether the value may be left out and its default. */
function unwrap(schema: unknown): { schema: unknown; optional: boolean; default?: unknown } {
    let optional = false;
    let dflt: unknown;
    let s = schema;
    for (;;) {
        const d = defOf(s);
        if (d.type === "optional") optional = true;
        else if (d.type === "default") {
            optional = true;
            if (dflt === undefined) dflt = typeof d.defaultValue === "function" ? (d.defaultValue as () => unknown)() : d.defaultValue;
        } else if (d.type === "pipe") {
            s = d.in;
            continue;
        } else if (d.type !== "nullable" && d.type !== "readonly" && d.type !== "prefault") break;
        s = d.innerType;
    }
    return { schema: s, optional, default: dflt };
}

/**
 * Rows for every field under `schema` (an object): objects get a row and then their fields,
 * lists of objects the same with `[]` in the path; everything else is one row.
 */
export function fieldRows(
    schema: unknown, docs: Map<string, Map<string, string>>, opts: { prefix?: string; opaque?: Record<string, string> } = {},
): FieldRow[] {
    const rows: FieldRow[] = [];
    const walkObject = (obj: unknown, prefix: string) => {
        const shape = defOf(obj).shape as Record<string, unknown>;
        const objectDocs = docs.get(keySet(Object.keys(shape)));
        for (const [key, child] of Object.entries(shape)) {
            const path = prefix ? `${prefix}.${key}` : key;
            const u = unwrap(child);
            const presence = !u.optional ? "required"
                : u.default === undefined ? "optional"
                : defOf(u.schema).type === "object" ? "optional"
                : `default ${quote(u.default)}`;
            const doc = objectDocs?.get(key) ?? "";
            const opaque = opts.opaque?.[path];
            if (opaque) {
                rows.push({ path, type: opaque, presence, doc });
                continue;
            }
            const d = defOf(u.schema);
            const elementOf = d.type === "array" ? unwrap(d.element).schema : undefined;
            const objectOption = (s: unknown) => {
                const sd = defOf(s);
                if (sd.type === "object") return s;
                if (sd.type === "union") return (sd.options as unknown[]).map((o) => unwrap(o).schema).find((o) => defOf(o).type === "object");
                return undefined;
            };
            rows.push({ path, type: typeText(u.schema), presence, doc });
            if (d.type === "object") walkObject(u.schema, path);
            else if (elementOf && objectOption(elementOf)) walkObject(objectOption(elementOf), `${path}[]`);
            else if (objectOption(u.schema)) walkObject(objectOption(u.schema), path);
        }
    };
    walkObject(unwrap(schema).schema, opts.prefix ?? "");
    return rows;
}

// ---------------------------------------------------------------- refused fields

function ruleFor(rules: readonly FieldRule[], path: string): FieldRule | undefined {
    return rules.find((r) => path === r.path || path.startsWith(`${r.path}.`) || path.startsWith(`${r.path}[`));
}

/** The refusal for a field's row: in full where the rule names the field, a pointer below it. */
function refusalNote(rules: readonly FieldRule[], path: string): string | undefined {
    const rule = ruleFor(rules, path);
    if (!rule) return undefined;
    return rule.path === path ? `**${refusalText(rule)}.**` : `**Refused with \`${rule.path}\`.**`;
}

function refusalText(rule: FieldRule): string {
    const parts: string[] = [];
    if (rule.unimplemented) parts.push(`not implemented yet (${rule.unimplemented})`);
    if (rule.onlyForDestinations) parts.push(`applies only to ${rule.onlyForDestinations.map(quote).join(" or ")} destinations`);
    if (rule.onlyWhen) parts.push(`applies only when \`${rule.onlyWhen.path}\` is ${rule.onlyWhen.values.map(quote).join(" or ")}`);
    const accepted = rule.default === undefined ? "absent" : `absent or ${quote(rule.default)}`;
    return `${parts.join("; ")}: \`pulumi preview\` refuses it unless ${accepted}`;
}

// ---------------------------------------------------------------- precheck items

export interface PrecheckEntry {
    id: string;
    titles: string[];
    /** Outcome → where it comes from ("" for any task). */
    outcomes: Map<string, Set<string>>;
}

function scopeOf(file: string): string {
    if (file.includes(`connectors${sep}postgres${sep}`)) return "PostgreSQL destinations";
    if (file.includes(`connectors${sep}mysql${sep}destination${sep}`)) return "MySQL-family destinations";
    if (file.includes(`connectors${sep}tablestore${sep}`)) return "Tablestore destinations";
    if (file.includes(`connectors${sep}maxcompute${sep}`)) return "MaxCompute destinations, not yet offered";
    // The source side (connectors/mysql/source) prechecks every task.
    return "";
}

function tsFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : []).sort();
}

/**
 * Every precheck item the provider can report, read from the code that builds them: object
 * literals `{ id: "…", title…, outcome: "…" }` and the `passed("…", title)` helper. Each
 * `id: "…"` literal in provider/ must be one of them, so an item written another way fails
 * the generator instead of going missing from the reference.
 */
export function precheckItems(root: string): PrecheckEntry[] {
    const str = String.raw`"((?:[^"\\]|\\.)*)"`;
    const literal = new RegExp(String.raw`\bid: "([a-z][a-z0-9-]*)",\s*title(?::\s*(?:${str}|(\w+)))?,\s*outcome: "(passed|alert|failed)"`, "g");
    const helper = new RegExp(String.raw`\bpassed\("([a-z][a-z0-9-]*)",\s*(?:${str}|(\w+))`, "g");
    const byId = new Map<string, PrecheckEntry>();
    for (const file of tsFiles(join(root, "provider"))) {
        const text = readFileSync(file, "utf8");
        const titleAt = (literalTitle: string | undefined, variable: string | undefined, at: number) => {
            if (literalTitle !== undefined) return JSON.parse(`"${literalTitle}"`) as string;
            const name = variable ?? "title";
            const decls = [...text.slice(0, at).matchAll(new RegExp(String.raw`const ${name} = ${str}`, "g"))];
            if (!decls.length) throw new Error(`${relative(root, file)}: precheck title variable ${name} not found before offset ${at}`);
            return JSON.parse(`"${decls[decls.length - 1][1]}"`) as string;
        };
        const add = (id: string, title: string, outcome: string) => {
            const e = byId.get(id) ?? { id, titles: [], outcomes: new Map<string, Set<string>>() };
            if (!e.titles.includes(title)) e.titles.push(title);
            const where = e.outcomes.get(outcome) ?? new Set<string>();
            where.add(scopeOf(file));
            e.outcomes.set(outcome, where);
            byId.set(id, e);
        };
        let found = 0;
        for (const m of text.matchAll(literal)) {
            add(m[1], titleAt(m[2], m[3], m.index!), m[4]);
            found++;
        }
        for (const m of text.matchAll(helper)) add(m[1], titleAt(m[2], m[3], m.index!), "passed");
        const ids = [...text.matchAll(/\bid: "[^"]*"/g)].length;
        if (ids !== found) {
            throw new Error(`${relative(root, file)}: ${ids} id: "…" literals but ${found} precheck items recognised; ` +
                "write each item as { id: \"…\", title…, outcome: \"…\" } so the reference lists it");
        }
    }
    return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

// ---------------------------------------------------------------- rendering

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function table(header: string[], rows: string[][]): string {
    return [
        `| ${header.join(" | ")} |`,
        `|${header.map(() => "---").join("|")}|`,
        ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
    ].join("\n");
}

/** Defaults computed by the provider rather than the schema (provider/hooks/task.ts defaultWaitFor). */
const computedDefaults: Record<string, string> = {
    waitFor: "`\"caught-up\"` with incremental migration, else `\"full-completed\"`",
};

function connectionSection(title: string, engines: readonly Engine[], schema: unknown, docs: Map<string, Map<string, string>>): string {
    const rows = fieldRows(schema, docs).map((r) => {
        const notes: string[] = [];
        if ((secretConnectionFields as readonly string[]).includes(r.path) && !/secret/i.test(r.doc)) notes.push("Always a Pulumi secret.");
        const refusal = refusalNote(connectionFieldRules, r.path);
        if (refusal) notes.push(refusal);
        const port = r.path === "port" ? defaultPort(engines[0]) : undefined;
        const presence = port !== undefined && r.presence === "optional" ? `default \`${port}\`` : r.presence;
        return [`\`${r.path}\``, r.type, presence, [r.doc, ...notes].filter(Boolean).join(" ")];
    });
    return `### ${title}\n\n\`engine\`: ${engines.map(quote).join(", ")}\n\n${table(["Field", "Type", "Default", "Description"], rows)}`;
}

function behaviourText(path: string): string {
    const p = fieldPolicy(path);
    if (!p) return "restart";
    return p.field === path ? p.behaviour : `${p.behaviour} (as \`${p.field}\`)`;
}

const outcomeOrder = ["passed", "alert", "failed"];

export function renderReference(root = repoRoot()): string {
    const docs = schemaDocs(["common.ts", "connection.ts", "task.ts"].map((f) => join(root, "sdk", "schema", f)));
    const out: string[] = [];
    out.push(`# Argument reference

Every argument of \`DatabaseConnection\` and \`MigrationTask\`: its type and allowed values,
its default, what a change does to a task that exists, and the arguments this version
refuses. Generated from the schemas that \`pulumi preview\` checks arguments against, by
\`npm run docs\`; do not edit by hand.

Paths use \`.\` for a field of an object and \`[]\` for every element of a list:
\`objects[].tables[].name\` is the \`name\` of each entry of \`tables\` of each entry of
\`objects\`.`);

    out.push(`## DatabaseConnection

A database server and the account to reach it. \`pulumi up\` tests the connection
(Test Connectivity) and records what it found as outputs; \`pulumi refresh\` tests it again.
A connection's identity (engine, host, port, user and, for PostgreSQL, database) is its
\`connectionId\`: changing any of them replaces the connection, and so replaces every
\`MigrationTask\` that uses it (see \`source.connectionId\` below). Tablestore and MaxCompute
connections are validated but not tested, and no task can use them yet.`);
    out.push(connectionSection("MySQL family", mysqlFamilyEngines, mysqlConnectionSchema, docs));
    out.push(connectionSection("PostgreSQL family", postgresFamilyEngines, postgresConnectionSchema, docs));
    out.push(connectionSection("Tablestore", ["tablestore"], tablestoreConnectionSchema, docs));
    out.push(connectionSection("MaxCompute", ["maxcompute"], maxcomputeConnectionSchema, docs));

    const taskRows = fieldRows(taskArgsSchema, docs, {
        opaque: { source: "`DatabaseConnection` (MySQL family)", destination: "`DatabaseConnection` (MySQL or PostgreSQL family)" },
    }).map((r) => {
        const notes: string[] = [];
        const refusal = refusalNote(taskFieldRules, r.path);
        if (refusal) notes.push(refusal);
        const presence = computedDefaults[r.path] && r.presence === "optional" ? `default ${computedDefaults[r.path]}` : r.presence;
        return [`\`${r.path}\``, r.type, presence, behaviourText(r.path), [r.doc, ...notes].filter(Boolean).join(" ")];
    });
    out.push(`## MigrationTask

A migration from a source connection to a destination connection, run by the pulumi-dts
engine. "On change" says what changing the field does to a task that exists (the next
section explains each entry):

- **live**: the running task uses the new value at once, without stopping;
- **restart**: the task stops and runs again from its checkpoint, re-running the phases the
  change affects;
- **replace**: another task altogether; Pulumi replaces the resource.

\`pulumi preview --diff\` prints the same verdict for each changed field.

${table(["Field", "Type", "Default", "On change", "Description"], taskRows)}`);

    const policyRows = Object.entries(taskFieldPolicies).map(([field, p]) => [`\`${field}\``, p.behaviour, p.effect]);
    out.push(`## What a change does to an existing task

The most specific entry that covers a changed field decides: \`objects[].tables[].dml\` is
live although \`objects\` restarts. One restart among live changes restarts the task; one
replace replaces it. A field no entry covers restarts the task.

${table(["Entry", "Behaviour", "Effect"], policyRows)}`);

    const refused = [
        ...taskFieldRules.map((r) => ["MigrationTask", r] as const),
        ...connectionFieldRules.map((r) => ["DatabaseConnection", r] as const),
    ].map(([resource, r]) => [resource, `\`${r.path}\``, refusalText(r)]);
    out.push(`## Refused arguments

The schemas accept these fields so that programs can be written against them, but this
version does nothing with them (or nothing for every destination), so \`pulumi preview\`
fails on them by name rather than run a task that silently ignores them:

${table(["Resource", "Field", "Why"], refused)}`);

    const items = precheckItems(root).map((e) => {
        // An item or outcome only one destination family reports says so; one any task can get does not.
        const only = (where: Set<string>) => (where.size === 1 && !where.has("") ? [...where][0] : undefined);
        const itemScope = only(new Set([...e.outcomes.values()].flatMap((w) => [...w])));
        const qualified = (o: string) => {
            const scope = itemScope ? undefined : only(e.outcomes.get(o)!);
            return scope ? `${o} (${scope})` : o;
        };
        const outcomes = outcomeOrder.filter((o) => e.outcomes.has(o)).map(qualified);
        const checks = e.titles.join("; ") + (itemScope ? ` (${itemScope})` : "");
        return [`\`${e.id}\``, checks, outcomes.join(", "), e.outcomes.has("alert") ? `yes${qualified("alert").slice("alert".length)}` : "no"];
    });
    out.push(`## Precheck items

\`pulumi up\` runs the precheck before a task migrates anything; the task's \`precheck\`
output lists every item with its outcome, object, detail and fix. A failed item always
blocks the task. An alert blocks it too, unless \`ignorePrecheckAlerts\` lists the item's id
(or is \`"all"\`): the alert then stays in the report, marked ignored. Only items that can be
alerts can be ignored.

${table(["Id", "Checks", "Outcomes", "Can be ignored"], items)}`);
    return `${out.join("\n\n")}\n`;
}

if (require.main === module) {
    const root = repoRoot();
    const target = join(root, "docs", "reference.md");
    const text = renderReference(root);
    if (process.argv.includes("--check")) {
        const current = existsSync(target) ? readFileSync(target, "utf8") : "";
        if (current !== text) {
            console.error(`${relative(process.cwd(), target)} is out of date: run npm run docs`);
            process.exit(1);
        }
        console.log(`${relative(process.cwd(), target)} is up to date`);
    } else {
        writeFileSync(target, text);
        console.log(`wrote ${relative(process.cwd(), target)}`);
    }
}
