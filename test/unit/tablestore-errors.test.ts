import { describe, expect, it } from "vitest";
import {
    decodeErrorBody, decodeSdkErrorMessage, formatPrimaryKey, isRowLevelDataError, TablestoreClientError, TablestoreConnectionError,
    TablestoreError, tablestoreErrorClass,
} from "../../provider/connectors/tablestore/errors";
import { ErrorMessage, int64FromBigInt } from "../../provider/connectors/tablestore/sdk";
import { classifyFailure } from "../../provider/engine/retry";

const request = { operation: "BatchWriteRow", table: "orders" };
const row = { ...request, primaryKey: [["id", int64FromBigInt(42n)], ["name", "x"]] as const };
const err = (code: string, message = "", status: number | undefined = 400) => new TablestoreError(code, message, request, status, "rid-1");

describe("classification (research §2.1 codes, §2.3 rules)", () => {
    it.each([
        // 403
        ["OTSAuthFailed", "The AccessKeyID does not exist.", "permanent"],
        ["OTSAuthFailed", "Signature mismatch.", "permanent"],
        ["OTSAuthFailed", "Mismatch between system time and x-ots-date: 2024-01-01T00:00:00Z.", "permanent"],
        ["OTSAuthFailed", "Mismatch between MD5 value of request body and x-ots-contentmd5 in header.", "permanent"],
        ["OTSNoPermissionAccess", "", "permanent"],
        ["OTSQuotaExhausted", "Too frequent table operations.", "retryable"],
        ["OTSQuotaExhausted", "Number of tables exceeded the quota.", "permanent"],
        ["OTSConditionCheckFail", "Condition check failed.", "permanent"],
        // 400
        ["OTSParameterInvalid", "Missing header: x-ots-date.", "permanent"],
        ["OTSParameterInvalid", "Rows count exceeds the upper limit:200.", "permanent"],
        ["OTSParameterInvalid", "The total data size of BatchWriteRow request exceeds the limit, limit size: 4194304, data size: 5000000", "permanent"],
        ["OTSOutOfRowSizeLimit", "", "permanent"],
        ["OTSOutOfColumnCountLimit", "", "permanent"],
        ["OTSInvalidPK", "Primary key schema mismatch.", "permanent"],
        // 405, 408, 413
        ["OTSMethodNotAllowed", "Only POST method for requests is supported.", "permanent"],
        ["OTSRequestTimeout", "Request timeout.", "retryable"],
        ["OTSRequestBodyTooLarge", "The size of POST data is too large.", "permanent"],
        // 404, 409
        ["OTSObjectNotExist", "Requested table does not exist.", "retryable"],
        ["OTSTableNotReady", "The table is not ready.", "retryable"],
        ["OTSObjectAlreadyExist", "Requested table already exists.", "permanent"],
        ["OTSRowOperationConflict", "Data is being modified by the other request.", "retryable"],
        // 500, 503
        ["OTSInternalServerError", "Internal server error.", "retryable"],
        ["OTSServerBusy", "Server is busy.", "retryable"],
        ["OTSPartitionUnavailable", "The partition is not available.", "retryable"],
        ["OTSTimeout", "Operation timeout.", "retryable"],
        ["OTSServerUnavailable", "Server is not available.", "retryable"],
        // Not in the 2021 table, retried by the Java and Node SDKs
        ["OTSOperationThrottled", "", "retryable"],
        ["OTSNotEnoughCapacityUnit", "", "retryable"],
        ["OTSStorageServerBusy", "", "retryable"],
        // No protobuf body: the status alone, retried as any unknown code
        ["HTTP 502", "Bad Gateway", "retryable"],
    ])("%s %j → %s", (code, message, expected) => {
        expect(tablestoreErrorClass(err(code, message))).toBe(expected);
        // The engine's classifyFailure agrees: it reads `permanent`.
        expect(classifyFailure(err(code, message))).toBe(expected === "permanent" ? "permanent" : "other");
    });

    it("connection failures are their own class, which the engine also sees as connection failures", () => {
        for (const code of ["ECONNREFUSED", "ENOTFOUND", "ECONNRESET", "ETIMEDOUT"]) {
            const e = new TablestoreConnectionError(code, "http://127.0.0.1:1", "connect refused", request);
            expect(tablestoreErrorClass(e)).toBe("connection");
            expect(classifyFailure(e)).toBe("connection");
        }
    });

    it("requests the client refused are permanent", () => {
        const e = new TablestoreClientError("invalid column name", request);
        expect(tablestoreErrorClass(e)).toBe("permanent");
        expect(classifyFailure(e)).toBe("permanent");
    });

    it("raw SDK errors: numeric status with the mangled body, or its networking codes", () => {
        expect(tablestoreErrorClass({ code: 503, message: "\n\rOTSServerBusy\u0012\bmsg here requestId:rid-1" })).toBe("retryable");
        expect(tablestoreErrorClass({ code: 400, message: "\n\u0013OTSParameterInvalid\u0012\u0003bad requestId:" })).toBe("permanent");
        expect(tablestoreErrorClass({ code: "NetworkingError", message: "connect ECONNREFUSED 127.0.0.1:1" })).toBe("connection");
        expect(tablestoreErrorClass({ code: "TimeoutError", message: "Connection timed out after 10ms" })).toBe("connection");
        expect(tablestoreErrorClass(new TypeError("x is undefined"))).toBe("permanent");
    });
});

describe("row-level data errors", () => {
    it.each(["OTSParameterInvalid", "OTSOutOfColumnCountLimit", "OTSOutOfRowSizeLimit", "OTSInvalidPK", "OTSConditionCheckFail"])(
        "%s for one row is the row's fault", (code) => {
            expect(isRowLevelDataError(new TablestoreError(code, "", row, undefined, "rid"))).toBe(true);
        });

    it("a whole request refused is not one row's fault; busy rows are not bad rows", () => {
        expect(isRowLevelDataError(err("OTSParameterInvalid", "Rows count exceeds the upper limit:200."))).toBe(false);
        expect(isRowLevelDataError(new TablestoreError("OTSServerBusy", "", row, undefined, "rid"))).toBe(false);
        expect(isRowLevelDataError(new TablestoreClientError("x", row))).toBe(false);
    });
});

describe("messages", () => {
    it("name the operation, table, row, code, status and request id", () => {
        expect(new TablestoreError("OTSConditionCheckFail", "Condition check failed.", row, undefined, "rid-7").message).toBe(
            'Tablestore BatchWriteRow on table "orders" row (id=42, name="x") failed: OTSConditionCheckFail: Condition check failed. (row result, request rid-7)');
        expect(err("OTSServerBusy", "Server is busy.", 503).message).toBe(
            'Tablestore BatchWriteRow on table "orders" failed: OTSServerBusy: Server is busy. (HTTP 503, request rid-1)');
        const e = err("OTSServerBusy", "Server is busy.", 503);
        expect([e.code, e.httpStatus, e.requestId, e.operation, e.table, e.primaryKey]).toEqual(["OTSServerBusy", 503, "rid-1", "BatchWriteRow", "orders", undefined]);
    });

    it("keys are shown short", () => {
        expect(formatPrimaryKey([["k", "y".repeat(100)], ["b", Buffer.from([0xab, 0xcd])]])).toBe(`(k="${"y".repeat(64)}…", b=0xabcd)`);
    });
});

describe("decoding the service's error", () => {
    it("from the protobuf body", () => {
        const body = ErrorMessage.encode({ code: "OTSServerBusy", message: "Server is busy." }).finish();
        expect(decodeErrorBody(body)).toEqual({ code: "OTSServerBusy", message: "Server is busy." });
        expect(decodeErrorBody(Buffer.from("<html>Bad gateway</html>"))).toBeUndefined();
        expect(decodeErrorBody(Buffer.alloc(0))).toBeUndefined();
        expect(decodeErrorBody(undefined)).toBeUndefined();
    });

    it("from the SDK's mangled message, as a fallback", () => {
        expect(decodeSdkErrorMessage("\n\rOTSServerBusy\u0012\bmsg here requestId:rid-1"))
            .toEqual({ code: "OTSServerBusy", message: "msg here", requestId: "rid-1" });
        expect(decodeSdkErrorMessage("\n\rOTSAuthFailed\u0012\u0013Signature mismatch. requestId:"))
            .toEqual({ code: "OTSAuthFailed", message: "Signature mismatch.", requestId: undefined });
        // A message of 128 bytes or more: its varint length is not valid UTF-8 and became U+FFFD.
        const long = "The total data size of BatchWriteRow request exceeds the limit, limit size: 4194304, data size: 5000000, and some more words here.";
        const body = Buffer.from(ErrorMessage.encode({ code: "OTSParameterInvalid", message: long }).finish());
        expect(decodeSdkErrorMessage(`${body.toString("utf8")} requestId:abc`)).toEqual({ code: "OTSParameterInvalid", message: long, requestId: "abc" });
        expect(decodeSdkErrorMessage("Forbidden")).toBeUndefined();
        expect(decodeSdkErrorMessage(" requestId:x")).toBeUndefined();
    });
});
