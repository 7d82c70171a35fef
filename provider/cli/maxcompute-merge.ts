import { parseArgs } from "node:util";
import { mergeSql } from "../connectors/maxcompute/merge";
import { baseTableName, logLayout, logTableName } from "../connectors/maxcompute/names";

/**
 * `pulumi-dts maxcompute merge-sql <table> --key k1,k2 --columns c1,c2,…`: the MaxCompute SQL
 * that merges `<table>_base` and `<table>_log` into the table's current state (seed 004),
 * for the table names and additional-column rule the task uses.
 */
export function maxcomputeMergeSql(argv: string[]): string {
    const { values, positionals } = parseArgs({
        args: argv, allowPositionals: true, strict: true,
        options: {
            key: { type: "string" }, columns: { type: "string" }, rule: { type: "string" }, "base-suffix": { type: "string" },
            "log-suffix": { type: "string" }, into: { type: "string" },
        },
    });
    const [table, ...extra] = positionals;
    if (!table || extra.length) throw new Error("give one table: the destination table's name without its suffix (orders, for orders_base and orders_log)");
    if (!values.key) throw new Error("--key names the table's primary-key columns, comma-separated (the merge keeps the latest entry per key)");
    if (!values.columns) throw new Error("--columns names the table's data columns in order, comma-separated");
    const rule = values.rule ?? "new";
    if (rule !== "new" && rule !== "previous") throw new Error(`--rule is the task's maxcompute.additionalColumnRule, "new" or "previous", not ${rule}`);
    const layout = logLayout(rule, []);
    const name = (base: string) => layout.metadata.find((m) => m.base === base)!.name;
    const suffixes = { baseSuffix: values["base-suffix"], logSuffix: values["log-suffix"] };
    return mergeSql({
        base: baseTableName(table, suffixes), log: logTableName(table, suffixes),
        key: values.key.split(",").map((s) => s.trim()), columns: values.columns.split(",").map((s) => s.trim()),
        logColumns: {
            recordId: name("record_id"), operationFlag: name("operation_flag"), utcTimestamp: name("utc_timestamp"),
            beforeFlag: name("before_flag"), afterFlag: name("after_flag"), partitions: [],
        },
        ...(values.into ? { into: values.into } : {}),
    });
}
