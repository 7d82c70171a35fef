import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as mysql from "mysql2/promise";
import { mariaConnection, removeHome, runTask } from "../harness/engine-run";

const maria = inject("mariadb");
const db = `obj_${process.pid}`;

describe("MySQL -> MySQL schema objects (seed 001)", () => {
    let admin: mysql.Connection;
    let home: string | undefined;

    beforeAll(async () => {
        admin = await mysql.createConnection({ host: maria.host, port: maria.port, user: maria.user, password: maria.password, multipleStatements: true });
        await admin.query(`CREATE DATABASE ${db}; USE ${db};
            CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(20));
            CREATE TABLE child (id INT PRIMARY KEY, parent_id INT NOT NULL, CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE);
            CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(40));
            CREATE TRIGGER parent_ins AFTER INSERT ON parent FOR EACH ROW INSERT INTO audit (what) VALUES (CONCAT('parent ', NEW.id));
            INSERT INTO parent VALUES (1, 'a'), (2, 'b');
            INSERT INTO child VALUES (10, 1), (20, 2);
            CREATE VIEW parent_names AS SELECT name FROM parent;
            CREATE VIEW parent_names_upper AS SELECT UPPER(name) AS name FROM parent_names;
            CREATE PROCEDURE count_parents(OUT n INT) SELECT COUNT(*) INTO n FROM parent;
            CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;`);
    });

    afterAll(async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${db}_copy`);
        await admin.end();
        if (home) removeHome(home);
    });

    it("migrates views, routines and triggers with DEFINER rewritten to INVOKER; triggers do not fire on loaded rows", async () => {
        const r = await runTask(mariaConnection(maria), mariaConnection(maria), {
            migrationTypes: ["schema", "full"], objects: [{ database: db, renameTo: `${db}_copy` }],
        });
        home = r.home;
        expect(r.status.error).toBeUndefined();
        expect(r.status.phase).toBe("completed");
        expect(r.status.notes.filter((n) => /not created/.test(n))).toEqual([]);

        const [views] = await admin.query<mysql.RowDataPacket[]>(
            "SELECT TABLE_NAME AS name, SECURITY_TYPE AS sec, DEFINER AS definer FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME", [`${db}_copy`]);
        expect(views.map((v) => [v.name, v.sec])).toEqual([["parent_names", "INVOKER"], ["parent_names_upper", "INVOKER"]]);
        expect(views[0].definer).toMatch(new RegExp(`^${maria.user}@`));
        const [routines] = await admin.query<mysql.RowDataPacket[]>(
            "SELECT ROUTINE_NAME AS name, SECURITY_TYPE AS sec FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_NAME", [`${db}_copy`]);
        expect(routines.map((x) => [x.name, x.sec])).toEqual([["count_parents", "INVOKER"], ["twice", "INVOKER"]]);
        const [fn] = await admin.query<mysql.RowDataPacket[]>(`SELECT \`${db}_copy\`.twice(21) AS v`);
        expect(Number(fn[0].v)).toBe(42);
        const [upper] = await admin.query<mysql.RowDataPacket[]>(`SELECT name FROM \`${db}_copy\`.parent_names_upper ORDER BY name`);
        expect(upper.map((x) => x.name)).toEqual(["A", "B"]);

        // The audit rows were copied once, not added to by the trigger during the load.
        const [audit] = await admin.query<mysql.RowDataPacket[]>(`SELECT what FROM \`${db}_copy\`.audit ORDER BY id`);
        expect(audit.map((a) => a.what)).toEqual(["parent 1", "parent 2"]);
        // The trigger exists and works at the destination.
        await admin.query(`INSERT INTO \`${db}_copy\`.parent VALUES (3, 'c')`);
        const [audit2] = await admin.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${db}_copy\`.audit`);
        expect(Number(audit2[0].n)).toBe(3);
        // The foreign key was created after the load, with its cascade.
        const [fk] = await admin.query<mysql.RowDataPacket[]>(
            "SELECT DELETE_RULE AS rule FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND CONSTRAINT_NAME = 'fk_parent'", [`${db}_copy`]);
        expect(fk[0]?.rule).toBe("CASCADE");
    });
});
