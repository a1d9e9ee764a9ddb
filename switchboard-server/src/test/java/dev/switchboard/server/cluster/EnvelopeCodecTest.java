package dev.switchboard.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchboard.server.store.Recipient;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnvelopeCodecTest {

    @Test
    void decode_returnsRecipientsAndPayloadBytes_whenEncoded() {
        byte[] payload = "{\"id\":7,\"body\":\"héllo\"}".getBytes(StandardCharsets.UTF_8);
        Envelope envelope = new Envelope(List.of(new Recipient("bob", 12), new Recipient("carol:ü", 1)), payload, 1_732_400_000_000L);

        Envelope decoded = EnvelopeCodec.decode(EnvelopeCodec.encode(envelope));

        assertThat(decoded.recipients()).containsExactly(new Recipient("bob", 12), new Recipient("carol:ü", 1));
        assertThat(decoded.payload()).isEqualTo(payload);
        assertThat(decoded.committedAtMillis()).isEqualTo(1_732_400_000_000L);
    }

    @Test
    void decode_throwsIllegalArgument_whenBytesAreTruncatedOrGarbage() {
        byte[] encoded = EnvelopeCodec.encode(new Envelope(List.of(new Recipient("bob", 1)), new byte[] {1, 2, 3}, 0));

        assertThatThrownBy(() -> EnvelopeCodec.decode(Arrays.copyOf(encoded, encoded.length - 2)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EnvelopeCodec.decode(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EnvelopeCodec.decode(new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void memoryBroker_deliversToTheAddressedNodeOnly() {
        MemoryBroker shared = new MemoryBroker();
        java.util.List<Envelope> received = new java.util.ArrayList<>();
        shared.start("node-a", received::add);
        Envelope envelope = new Envelope(List.of(new Recipient("bob", 1)), new byte[] {42}, 0);

        shared.publish("node-a", envelope);
        shared.publish("node-b", envelope);

        assertThat(received).containsExactly(envelope);
        assertThat(shared.isSubscribed()).isTrue();
        shared.close();
        assertThat(shared.isSubscribed()).isFalse();
    }
}
