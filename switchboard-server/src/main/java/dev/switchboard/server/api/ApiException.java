package dev.switchboard.server.api;

/**
 * A refused API request: the HTTP status and the JSON error {@code {"error", "message", "field"}}.
 * Thrown before anything is applied.
 *
 * @see <a href="../../../../../../../../docs/API.md">docs/API.md, Errors</a>
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String error;
    private final String field;

    public ApiException(int status, String error, String message, String field) {
        super(message, null, false, false);
        this.status = status;
        this.error = error;
        this.field = field;
    }

    public static ApiException missing(String field) {
        return new ApiException(400, "missing_field", "missing field '" + field + "'", field);
    }

    public static ApiException invalid(String field, String expectation) {
        return new ApiException(400, "invalid_field", "field '" + field + "' must be " + expectation, field);
    }

    public int status() {
        return status;
    }

    public String error() {
        return error;
    }

    /** The JSON path of the field at fault, or null. */
    public String field() {
        return field;
    }
}
