/** SQLSTATE classes 22 (data exception) and 23 (integrity violation): the data was refused, not the connection. */
export function isDataError(err: unknown): boolean {
    const code = (err as { code?: string }).code ?? "";
    return code.startsWith("22") || code.startsWith("23");
}
