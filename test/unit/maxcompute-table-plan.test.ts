/** The task's maxcompute.types reach the table plan: a lossy or wider choice is the user's, the default refuses or keeps exactly. */
import { describe, expect, it } from "vitest";
import { planTable } from "../../provider/connectors/maxcompute/table-plan";
import { maxcomputePrecheck } from "../../provider/connectors/maxcompute/precheck";
import { taskArgsSchema } from "../../sdk/schema/task";
import { col, mapping } from "./pg-fixtures";

const task = (types?: Record<string, string>) => taskArgsSchema.parse({
    migrationTypes: ["schema", "full"], objects: [{ database: "shop" }],
    source: { connectionId: "s", engine: "mariadb" }, destination: { connectionId: "d", engine: "maxcompute" },
    ...(types ? { maxcompute: { types } } : {}),
});
const m = mapping([col("id", "bigint(20)", { nullable: false }), col("amount", "decimal(50,10)"), col("seen", "datetime(6)")], { primaryKey: ["id"] });

describe("MaxCompute table plan and the task's type choices", () => {
    it("defaults: BIGINT, a wide DECIMAL refused at the precheck, DATETIME(6) as TIMESTAMP", () => {
        const items = maxcomputePrecheck([m], task());
        expect(items.find((i) => i.id === "destination-types" && i.outcome === "failed")?.object).toBe("shop.orders.amount");
    });
    it("the opt-ins: DECIMAL(19,0) for BIGINT, the wide DECIMAL as exact text, DATETIME cut to milliseconds", () => {
        const t = task({ bigint: "decimal", wideDecimal: "string", datetimeMicros: "datetime" });
        expect(maxcomputePrecheck([m], t).filter((i) => i.outcome === "failed")).toEqual([]);
        const plan = planTable(m, t);
        expect(plan.columns.map((c) => c.mapping.typeText)).toEqual(["DECIMAL(19,0)", "STRING", "DATETIME"]);
        expect(plan.toRecord(["-9223372036854775808", "1.5", "2024-01-02 03:04:05.123456"])[0]).toBe("-9223372036854775808");
    });
    it("refuses an unknown choice at validation, naming the field", () => {
        expect(() => task({ bigint: "float" })).toThrow(/bigint/);
    });
});
