package dev.switchboard.server.gateway;

/**
 * One byte range of a {@code Range} header (RFC 9110 §14.1.2), resolved against a length: inclusive
 * first and last byte positions.
 */
record ByteRange(long first, long last) {
    /** A range that starts at or past the end: answered with 416. */
    static final ByteRange UNSATISFIABLE = new ByteRange(-1, -1);

    /**
     * The range {@code header} asks for of {@code length} bytes: {@code bytes=N-}, {@code bytes=N-M} (M past
     * the end is cut to it) or {@code bytes=-K} (the last K). Null for no header, or one this server ignores as
     * the RFC allows (another unit, several ranges, a malformed one): the whole content is sent then.
     */
    static ByteRange parse(String header, long length) {
        if (header == null || !header.startsWith("bytes=") || header.indexOf(',') >= 0) {
            return null;
        }
        String spec = header.substring("bytes=".length()).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        long first = number(spec.substring(0, dash).trim());
        long last = number(spec.substring(dash + 1).trim());
        if (dash == 0) { // suffix: the last K bytes
            if (last <= 0) {
                return last == 0 ? UNSATISFIABLE : null;
            }
            return new ByteRange(Math.max(0, length - last), length - 1);
        }
        if (first < 0 || (dash < spec.length() - 1 && (last < 0 || last < first))) {
            return null;
        }
        if (first >= length) {
            return UNSATISFIABLE;
        }
        return new ByteRange(first, dash == spec.length() - 1 ? length - 1 : Math.min(last, length - 1));
    }

    /** The decimal digits of {@code text} as a number, or -1 when it is not only digits (or too long). */
    private static long number(String text) {
        if (text.isEmpty() || text.length() > 18) {
            return -1;
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return -1;
            }
        }
        return Long.parseLong(text);
    }
}
