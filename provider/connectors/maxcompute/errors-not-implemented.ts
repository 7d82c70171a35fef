import type { PermanentFailure } from "../../engine/retry";

/** What this version of the connector does not do yet: preview refuses it first (provider/hooks/task.ts). */
export class MaxComputeNotImplementedError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(what: string) {
        super(`${what} to MaxCompute is not implemented yet: this version migrates the schema and the full data into <table>_base tables`);
        this.name = "MaxComputeNotImplementedError";
    }
}

