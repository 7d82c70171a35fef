/**
 * Dynamic-provider hooks of MigrationTask. Validation is complete; running tasks (the
 * engine process) is not implemented yet, and create says so instead of pretending.
 */
import { taskArgsSchema } from "../../sdk/schema/task";
import { type CheckFailure, validate } from "../check";

type Props = Record<string, unknown>;

export async function check(_olds: Props, news: Props): Promise<{ inputs: Props; failures: CheckFailure[] }> {
    const result = validate(taskArgsSchema, news);
    return { inputs: news, failures: result.ok ? [] : result.failures };
}

export async function create(_inputs: Props): Promise<{ id: string; outs: Props }> {
    throw new Error(
        "MigrationTask is not yet implemented: its arguments validate (pulumi preview checks them), " +
            "but this version of pulumi-dts cannot run migrations yet. Remove the MigrationTask to deploy the connections.",
    );
}
