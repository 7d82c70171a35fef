import * as pulumi from "@pulumi/pulumi";
import * as hooks from "../provider/hooks/connection";
import type { ConnectionArgsInput } from "./schema/connection";
import type { ArgsOf } from "./input";
import type { ConnectionFacts } from "../provider/engine/facts";

/**
 * Arguments of a DatabaseConnection: `engine` selects the rest. MySQL-family and
 * PostgreSQL-family engines take host/port/user/password; Tablestore and MaxCompute
 * take an endpoint and an AccessKey pair. The zod schema in ./schema/connection.ts is
 * the one definition of these fields.
 */
export type DatabaseConnectionArgs = ConnectionArgsInput extends infer U ? (U extends unknown ? ArgsOf<U> : never) : never;

// The provider object is serialised into Pulumi state by Pulumi's closure serialiser.
// It captures only the hooks module, which the serialiser records as
// require("pulumi-dts/dist/provider/hooks/connection.js"), so state holds no code of ours.
const provider: pulumi.dynamic.ResourceProvider = {
    check: (olds, news) => hooks.check(olds, news),
    diff: (id, olds, news) => hooks.diff(id, olds, news),
    create: (inputs) => hooks.create(inputs),
    read: (id, props) => hooks.read(id, props ?? {}),
    update: (id, olds, news) => hooks.update(id, olds, news),
    delete: (id, props) => hooks.remove(id, props),
};

const secretFields = ["password", "accessKeySecret"];

/**
 * A database endpoint that migration tasks read from or write to. Creating it is DTS's
 * "Test Connectivity": `pulumi up` connects, and the outputs carry what prechecks need
 * (binlog settings, GTID mode, privileges...). `pulumi refresh` tests again and lists
 * what changed in `drift`.
 */
export class DatabaseConnection extends pulumi.dynamic.Resource {
    /** Stable id derived from engine, endpoint, account and database. */
    declare public readonly connectionId: pulumi.Output<string>;
    declare public readonly engine: pulumi.Output<string>;
    /** `host:port`, or the endpoint of Tablestore/MaxCompute. */
    declare public readonly endpoint: pulumi.Output<string>;
    /** "verified": the connection was tested (every engine is, today; "not-tested" is kept for engines whose connector has not arrived). */
    declare public readonly connectivity: pulumi.Output<string>;
    /** MySQL, MariaDB, PolarDB, PostgreSQL, AnalyticDB for PostgreSQL, Tablestore or MaxCompute. */
    declare public readonly flavour: pulumi.Output<string>;
    declare public readonly serverVersion: pulumi.Output<string>;
    /** What Test Connectivity learned: binlog settings, GTID mode, read-only, privileges. */
    declare public readonly facts: pulumi.Output<ConnectionFacts>;
    declare public readonly note: pulumi.Output<string>;
    /** False when the last refresh could not reach the server; `lastError` says why. */
    declare public readonly reachable: pulumi.Output<boolean>;
    declare public readonly lastError: pulumi.Output<string>;
    /** Facts that changed at the last refresh, as "path: before -> after". */
    declare public readonly drift: pulumi.Output<string[]>;

    /** The connection's arguments, secrets still secret, for MigrationTask. */
    public readonly args: pulumi.Output<Record<string, unknown>>;
    /**
     * The arguments as given (secrets wrapped), field by field: a task built from them sees
     * each known field at preview even while the connection's id is still unknown.
     */
    public readonly inputs: Readonly<Record<string, pulumi.Input<unknown>>>;

    constructor(name: string, args: DatabaseConnectionArgs, opts?: pulumi.CustomResourceOptions) {
        const inputs: Record<string, pulumi.Input<unknown>> = { ...(args as Record<string, pulumi.Input<unknown>>) };
        for (const f of secretFields) {
            if (inputs[f] !== undefined) inputs[f] = pulumi.secret(inputs[f]);
        }
        const outputs = ["connectionId", "endpoint", "connectivity", "flavour", "serverVersion", "facts", "note", "reachable", "lastError", "drift"];
        // Outputs the provider computes; `endpoint` is also a Tablestore/MaxCompute argument, which must reach the provider.
        for (const o of outputs) if (!(o in inputs)) inputs[o] = undefined;
        super(provider, name, inputs, {
            ...opts,
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...secretFields],
        }, "pulumi-dts", "DatabaseConnection");
        const plain: Record<string, pulumi.Input<unknown>> = {};
        for (const [k, v] of Object.entries(args as Record<string, pulumi.Input<unknown>>)) {
            plain[k] = secretFields.includes(k) ? pulumi.secret(v) : v;
        }
        this.inputs = plain;
        this.args = pulumi.output(plain) as unknown as pulumi.Output<Record<string, unknown>>;
    }
}
