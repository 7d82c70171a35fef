import { encodeErrorMessage } from "./protocol";

/**
 * An error as the service reports it: an HTTP status plus the protobuf `Error{code, message}`
 * body. Handlers throw these; the server turns them into the response, and per-row results of
 * BatchWriteRow / BulkImport carry the code and message without the status.
 */
export class OtsError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
    ) {
        super(message);
        this.name = "OtsError";
    }

    body(): Buffer {
        return encodeErrorMessage({ code: this.code, message: this.message });
    }
}

/**
 * Raised for what the real service does but this fixture deliberately does not (filters,
 * search, streams, …). A distinct code and status so a test failing on it is never mistaken for
 * a validation error of the sink: the sink's fallback paths key on OTSParameterInvalid.
 */
export class NotSupportedByFixture extends OtsError {
    constructor(what: string) {
        super(501, "OTSNotSupportedByLocalServer", `Not supported by the local Tablestore server: ${what}.`);
        this.name = "NotSupportedByFixture";
    }
}

export const parameterInvalid = (message: string): OtsError => new OtsError(400, "OTSParameterInvalid", message);
export const authFailed = (message: string): OtsError => new OtsError(403, "OTSAuthFailed", message);
export const invalidPk = (): OtsError => new OtsError(400, "OTSInvalidPK", "Primary key schema mismatch.");
export const tableNotExist = (): OtsError => new OtsError(404, "OTSObjectNotExist", "Requested table does not exist.");
export const tableAlreadyExists = (): OtsError => new OtsError(409, "OTSObjectAlreadyExist", "Requested table already exists.");
export const conditionCheckFail = (): OtsError => new OtsError(403, "OTSConditionCheckFail", "Condition check failed.");
export const tableQuotaExceeded = (): OtsError => new OtsError(403, "OTSQuotaExhausted", "Number of tables exceeded the quota.");
export const bodyTooLarge = (): OtsError => new OtsError(413, "OTSRequestBodyTooLarge", "The size of POST data is too large.");
export const methodNotAllowed = (): OtsError =>
    // The error-code reference prints the code glued to the text; the text alone is the message.
    new OtsError(405, "OTSMethodNotAllowed", "Only POST method for requests is supported.");

/** The errors a test may inject; the service documents each as worth retrying. */
export const RETRYABLE_ERRORS = {
    OTSServerBusy: { status: 503, message: "Server is busy." },
    OTSPartitionUnavailable: { status: 503, message: "The partition is not available." },
    OTSTimeout: { status: 503, message: "Operation timeout." },
    OTSServerUnavailable: { status: 503, message: "Server is not available." },
    OTSInternalServerError: { status: 500, message: "Internal server error." },
    // The same code without retry is "Number of tables exceeded the quota."; only this text retries.
    OTSQuotaExhausted: { status: 403, message: "Too frequent table operations." },
    OTSRowOperationConflict: { status: 409, message: "Data is being modified by the other request." },
    OTSTableNotReady: { status: 404, message: "The table is not ready." },
} as const;

export type RetryableErrorCode = keyof typeof RETRYABLE_ERRORS;

export function retryableError(code: RetryableErrorCode): OtsError {
    const e = RETRYABLE_ERRORS[code];
    return new OtsError(e.status, code, e.message);
}
