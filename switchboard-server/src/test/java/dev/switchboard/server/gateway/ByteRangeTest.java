package dev.switchboard.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The {@code Range} header of a file download: the forms served, and the ones ignored as RFC 9110 allows. */
class ByteRangeTest {
    private static final long LENGTH = 1000;

    @Test
    void parse_servesAnOpenRangeAClosedOneAndASuffix() {
        assertThat(ByteRange.parse("bytes=100-", LENGTH)).isEqualTo(new ByteRange(100, 999));
        assertThat(ByteRange.parse("bytes=0-0", LENGTH)).isEqualTo(new ByteRange(0, 0));
        assertThat(ByteRange.parse("bytes=100-199", LENGTH)).isEqualTo(new ByteRange(100, 199));
        assertThat(ByteRange.parse("bytes=900-5000", LENGTH)).as("cut to the end").isEqualTo(new ByteRange(900, 999));
        assertThat(ByteRange.parse("bytes=-10", LENGTH)).isEqualTo(new ByteRange(990, 999));
        assertThat(ByteRange.parse("bytes=-5000", LENGTH)).as("more than all").isEqualTo(new ByteRange(0, 999));
    }

    @Test
    void parse_refusesARangeThatStartsAtOrPastTheEnd() {
        assertThat(ByteRange.parse("bytes=1000-", LENGTH)).isSameAs(ByteRange.UNSATISFIABLE);
        assertThat(ByteRange.parse("bytes=5000-6000", LENGTH)).isSameAs(ByteRange.UNSATISFIABLE);
        assertThat(ByteRange.parse("bytes=-0", LENGTH)).isSameAs(ByteRange.UNSATISFIABLE);
    }

    @Test
    void parse_ignoresWhatItDoesNotServe_andTheWholeFileIsSent() {
        assertThat(ByteRange.parse(null, LENGTH)).isNull();
        assertThat(ByteRange.parse("items=0-5", LENGTH)).isNull();
        assertThat(ByteRange.parse("bytes=0-5,10-20", LENGTH)).as("several ranges").isNull();
        assertThat(ByteRange.parse("bytes=20-10", LENGTH)).as("last before first").isNull();
        assertThat(ByteRange.parse("bytes=abc-", LENGTH)).isNull();
        assertThat(ByteRange.parse("bytes=-", LENGTH)).isNull();
        assertThat(ByteRange.parse("bytes=1-x", LENGTH)).isNull();
        assertThat(ByteRange.parse("bytes=99999999999999999999-", LENGTH)).as("too long a number").isNull();
    }

    @Test
    void servedContentType_keepsPassiveTypes_andServesWhatABrowserWouldRunAsBytes() {
        assertThat(FileDownload.servedContentType("image/png")).isEqualTo("image/png");
        assertThat(FileDownload.servedContentType("application/pdf")).isEqualTo("application/pdf");
        assertThat(FileDownload.servedContentType("text/plain; charset=utf-8")).isEqualTo("text/plain; charset=utf-8");
        for (String active : new String[] {"text/html", "TEXT/HTML; charset=utf-8", "application/javascript",
                "text/javascript", "image/svg+xml", "application/xhtml+xml", "text/xml", "text/css", "multipart/mixed"}) {
            assertThat(FileDownload.servedContentType(active)).as(active).isEqualTo("application/octet-stream");
        }
    }

    @Test
    void contentDisposition_givesAnAsciiFallbackAndTheExactNameEncoded() {
        assertThat(FileDownload.contentDisposition("report.pdf"))
                .isEqualTo("attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
        assertThat(FileDownload.contentDisposition("résumé \"final\" 100%.txt"))
                .isEqualTo("attachment; filename=\"r_sum_ _final_ 100_.txt\"; "
                        + "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22%20100%25.txt");
        assertThat(FileDownload.contentDisposition("a*b.txt")).endsWith("filename*=UTF-8''a%2Ab.txt");
    }
}
