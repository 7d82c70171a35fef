import type { ChangeBatch, ChangeSink, StreamCheckpoint } from "../change-sink";
import type { TableMapping } from "../model";

/**
 * The sink as the stream uses it: every call leaves the checkpoint where the call says.
 * An atomic sink moves it in its own transaction; for the others the checkpoint is written
 * here, after the call returned, so it never gets ahead of a write that has not succeeded.
 */
export function checkpointed(sink: ChangeSink): ChangeSink {
    if (sink.atomicCheckpoint) return sink;
    const after = async (taskId: string, checkpoint: StreamCheckpoint, call: Promise<void>) => {
        await call;
        await sink.checkpoints.write(taskId, checkpoint);
    };
    const common = {
        checkpoints: sink.checkpoints,
        atomicCheckpoint: false,
        truncate: (taskId: string, m: TableMapping, c: StreamCheckpoint) => after(taskId, c, sink.truncate(taskId, m, c)),
        applyDdl: (taskId: string, statements: string[], c: StreamCheckpoint) => after(taskId, c, sink.applyDdl(taskId, statements, c)),
        close: () => sink.close(),
    };
    return sink.shape === "state"
        ? { ...common, shape: "state", apply: (taskId, batch: ChangeBatch) => after(taskId, batch.checkpoint, sink.apply(taskId, batch)) }
        : { ...common, shape: "log", apply: (taskId, batch) => after(taskId, batch.checkpoint, sink.apply(taskId, batch)) };
}
