/** `pulumi-dts maxcompute merge-sql`: the merge for a table, under either naming rule; bad arguments say what to give. */
import { describe, expect, it } from "vitest";
import { maxcomputeMergeSql } from "../../provider/cli/maxcompute-merge";

describe("maxcompute merge-sql", () => {
    it("prints the merge of <table>_base and <table>_log by the key", () => {
        const sql = maxcomputeMergeSql(["orders", "--key", "id", "--columns", "id,note"]);
        expect(sql).toMatch(/FROM `orders_log`[\s\S]*FROM `orders_base`/);
        expect(sql).toMatch(/PARTITION BY `id` ORDER BY `new_dts_sync_record_id` DESC/);
        const previous = maxcomputeMergeSql(["orders", "--key", "a,b", "--columns", "a,b,c", "--rule", "previous", "--base-suffix", "_full", "--into", "orders_now"]);
        expect(previous).toMatch(/INSERT OVERWRITE TABLE `orders_now`/);
        expect(previous).toMatch(/PARTITION BY `a`, `b` ORDER BY `record_id` DESC/);
        expect(previous).toMatch(/FROM `orders_full`/);
    });
    it("says what is missing", () => {
        expect(() => maxcomputeMergeSql([])).toThrow(/give one table/);
        expect(() => maxcomputeMergeSql(["orders", "--columns", "id"])).toThrow(/--key names/);
        expect(() => maxcomputeMergeSql(["orders", "--key", "id"])).toThrow(/--columns names/);
        expect(() => maxcomputeMergeSql(["orders", "--key", "id", "--columns", "id", "--rule", "old"])).toThrow(/"new" or "previous"/);
    });
});
