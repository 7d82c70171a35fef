import * as pulumi from "@pulumi/pulumi";
import * as hooks from "../provider/hooks/task";
import type { TaskArgsInput } from "./schema/task";
import type { ArgsOf } from "./input";
import type { DatabaseConnection } from "./connection";

/** Arguments of a MigrationTask; `source` and `destination` are DatabaseConnections. */
export type MigrationTaskArgs = Omit<ArgsOf<TaskArgsInput>, "source" | "destination"> & {
    source: DatabaseConnection;
    destination: DatabaseConnection;
};

const provider: pulumi.dynamic.ResourceProvider = {
    check: (olds, news) => hooks.check(olds, news),
    create: (inputs) => hooks.create(inputs),
};

/**
 * A migration from a MySQL-family source to a destination: schema, full data and
 * incremental migration as DTS runs them. Validation works now (`pulumi preview` reports
 * bad arguments by field); running a task is not implemented yet and `pulumi up` says so.
 */
export class MigrationTask extends pulumi.dynamic.Resource {
    declare public readonly taskId: pulumi.Output<string>;
    declare public readonly status: pulumi.Output<string>;

    constructor(name: string, args: MigrationTaskArgs, opts?: pulumi.CustomResourceOptions) {
        const { source, destination, ...rest } = args;
        const endpoint = (c: DatabaseConnection) =>
            pulumi.all([c.connectionId, c.args]).apply(([connectionId, a]) => ({ ...a, connectionId }));
        super(provider, name, {
            ...rest,
            source: endpoint(source),
            destination: endpoint(destination),
            taskId: undefined,
            status: undefined,
        }, opts, "pulumi-dts", "MigrationTask");
    }
}
