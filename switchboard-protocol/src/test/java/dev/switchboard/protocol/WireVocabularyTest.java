package dev.switchboard.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The wire names are a compatibility contract: unique, round-tripping, and validated the same everywhere. */
class WireVocabularyTest {

    @Test
    void messageTypes_roundTripByWireName_andAreUnique() {
        for (MessageType type : MessageType.values()) {
            assertThat(MessageType.fromWireName(type.wireName())).isEqualTo(type);
        }
        assertThat(Arrays.stream(MessageType.values()).map(MessageType::wireName).distinct())
                .hasSize(MessageType.values().length);
        assertThat(MessageType.fromWireName("no-such-type")).isNull();
        assertThat(MessageType.fromWireName(null)).isNull();
    }

    @Test
    void errorCodes_roundTrip_andUnknownNamesAreNotRetried() {
        for (ErrorCode code : ErrorCode.values()) {
            assertThat(ErrorCode.fromWireName(code.wireName())).isEqualTo(code);
        }
        assertThat(ErrorCode.fromWireName("from-a-newer-server")).isEqualTo(ErrorCode.UNKNOWN);
        assertThat(ErrorCode.UNKNOWN.isRetryable()).isFalse();
        assertThat(ErrorCode.RATE_LIMITED.isRetryable()).isTrue();
        assertThat(ErrorCode.BAD_JSON.isRetryable()).isFalse();
    }

    @Test
    void onlyKickIsTerminal() {
        assertThat(CloseCodes.isTerminal(CloseCodes.KICKED)).isTrue();
        for (int code : new int[] {CloseCodes.NORMAL, CloseCodes.SERVICE_RESTART, CloseCodes.TOKEN_EXPIRED,
                CloseCodes.HEARTBEAT_TIMEOUT, CloseCodes.SLOW_CONSUMER, CloseCodes.RATE_LIMIT_ABUSE}) {
            assertThat(CloseCodes.isTerminal(code)).as("close code %d", code).isFalse();
        }
    }

    @Test
    void identifiers_acceptSafeIds_andRejectEverythingElse() {
        assertThat(Identifiers.isValidUserId("alice@example.com")).isTrue();
        assertThat(Identifiers.isValidUserId("user:42.a-b_c")).isTrue();
        assertThat(Identifiers.isValidUserId("")).isFalse();
        assertThat(Identifiers.isValidUserId(null)).isFalse();
        assertThat(Identifiers.isValidUserId("has space")).isFalse();
        assertThat(Identifiers.isValidUserId("x".repeat(129))).isFalse();
        assertThat(Identifiers.isValidDeviceId("x".repeat(64))).isTrue();
        assertThat(Identifiers.isValidDeviceId("x".repeat(65))).isFalse();
        assertThat(Identifiers.isValidGroupId("team/1")).isFalse();
        assertThat(Identifiers.isValidClientId("any text ✓")).isTrue();
        assertThat(Identifiers.isValidClientId("  ")).isFalse();
        assertThat(Identifiers.isValidClientId("nul\u0000")).isFalse();
        assertThat(Identifiers.isStorableText("emoji \ud83d\ude00 ok")).isTrue();
        assertThat(Identifiers.isStorableText("half \ud83d")).isFalse();
        assertThat(Identifiers.isStorableText("\ude00 low first")).isFalse();
        assertThat(Identifiers.hasOnlyPairedSurrogates("tab\tand newline\n")).isTrue();
        assertThat(Identifiers.isStorableText("tab\t")).isFalse();
        assertThat(TargetKind.fromWireName("group")).isEqualTo(TargetKind.GROUP);
        assertThat(TargetKind.fromWireName("channel")).isNull();
    }

    @Test
    void utf8LengthIfPaired_isTheEncodedLength_orMinusOneForAnUnpairedSurrogate() {
        for (String text : new String[] {"", "ascii {\"a\":1}", "é and ß", "€ ✓ 中文", "emoji \ud83d\ude00 ok", "\u007f\u0080\u07ff\u0800\uffff"}) {
            assertThat(Identifiers.utf8LengthIfPaired(text)).as(text)
                    .isEqualTo(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        }
        assertThat(Identifiers.utf8LengthIfPaired("half \ud83d")).isEqualTo(-1);
        assertThat(Identifiers.utf8LengthIfPaired("\ud83d then text")).isEqualTo(-1);
        assertThat(Identifiers.utf8LengthIfPaired("\ude00 low first")).isEqualTo(-1);
    }

    @Test
    void fileIdentifiers_acceptWhatTheServerMakesAndNamesNotPaths() {
        assertThat(Identifiers.isValidFileId("f-0123456789abcdef0123456789abcdef")).isTrue();
        assertThat(Identifiers.isValidFileId("f-0123456789ABCDEF0123456789abcdef")).isFalse();
        assertThat(Identifiers.isValidFileId("f-0123")).isFalse();
        assertThat(Identifiers.isValidFileId(null)).isFalse();
        assertThat(Identifiers.isValidFileName("holiday photo (2).jpg")).isTrue();
        assertThat(Identifiers.isValidFileName("x".repeat(255))).isTrue();
        assertThat(Identifiers.isValidFileName("x".repeat(256))).isFalse();
        assertThat(Identifiers.isValidFileName("../etc/passwd")).isFalse();
        assertThat(Identifiers.isValidFileName("a\\b.txt")).isFalse();
        assertThat(Identifiers.isValidFileName("line\nbreak")).isFalse();
        assertThat(Identifiers.isValidFileName(" ")).isFalse();
        assertThat(Identifiers.isValidContentType("image/png")).isTrue();
        assertThat(Identifiers.isValidContentType("text/plain; charset=utf-8")).isTrue();
        assertThat(Identifiers.isValidContentType("application/vnd.api+json")).isTrue();
        assertThat(Identifiers.isValidContentType("png")).isFalse();
        assertThat(Identifiers.isValidContentType("text/plain\r\nX-Injected: 1")).isFalse();
        assertThat(Identifiers.isValidContentType("a/" + "b".repeat(126))).isFalse();
    }
}
