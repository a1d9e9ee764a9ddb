package dev.switchboard.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientAddressTest {
    private static InetSocketAddress peer(String address) {
        return new InetSocketAddress(address, 40000);
    }

    @Test
    void resolve_isThePeer_whenNoProxyIsTrusted() {
        ClientAddress clients = new ClientAddress(List.of());

        assertThat(clients.resolve(peer("192.0.2.10"), null)).isEqualTo("192.0.2.10");
        assertThat(clients.resolve(peer("192.0.2.10"), "198.51.100.7")).as("a header from anyone else is ignored")
                .isEqualTo("192.0.2.10");
    }

    @Test
    void resolve_readsForwardedFor_onlyFromATrustedPeer() {
        ClientAddress clients = new ClientAddress(List.of("10.0.0.5"));

        assertThat(clients.resolve(peer("10.0.0.5"), "198.51.100.7")).isEqualTo("198.51.100.7");
        assertThat(clients.resolve(peer("10.0.0.6"), "198.51.100.7")).isEqualTo("10.0.0.6");
        assertThat(clients.resolve(peer("10.0.0.5"), null)).as("no header: the proxy itself").isEqualTo("10.0.0.5");
    }

    @Test
    void resolve_takesTheNearestUntrustedHop_notWhatTheClientWroteOnTheLeft() {
        ClientAddress clients = new ClientAddress(List.of("10.0.0.0/8"));

        // The client wrote "1.2.3.4" itself; its real address was appended by the first proxy, then a second proxy.
        assertThat(clients.resolve(peer("10.0.0.5"), "1.2.3.4, 198.51.100.7, 10.1.2.3")).isEqualTo("198.51.100.7");
        assertThat(clients.resolve(peer("10.0.0.5"), "10.9.9.9,10.1.2.3"))
                .as("every hop trusted: the leftmost").isEqualTo("10.9.9.9");
    }

    @Test
    void resolve_stopsAtGarbage_withTheLastAddressItCouldBelieve() {
        ClientAddress clients = new ClientAddress(List.of("10.0.0.5"));

        assertThat(clients.resolve(peer("10.0.0.5"), "not-an-address")).isEqualTo("10.0.0.5");
        assertThat(clients.resolve(peer("10.0.0.5"), "unknown, 198.51.100.7")).isEqualTo("198.51.100.7");
        assertThat(clients.resolve(peer("10.0.0.5"), "")).isEqualTo("10.0.0.5");
    }

    @Test
    void resolve_matchesCidrBlocks_bitByBit_andIpv6() {
        ClientAddress clients = new ClientAddress(List.of("192.168.4.0/22", "2001:db8::/32"));

        assertThat(clients.resolve(peer("192.168.7.255"), "198.51.100.7")).as("inside /22").isEqualTo("198.51.100.7");
        assertThat(clients.resolve(peer("192.168.8.1"), "198.51.100.7")).as("outside /22").isEqualTo("192.168.8.1");
        assertThat(clients.resolve(peer("2001:db8::1"), "2001:db9:0:5::7")).isEqualTo("2001:db9:0:5::/64");
        assertThat(clients.resolve(peer("2001:db9::1"), "198.51.100.7")).as("outside the v6 block")
                .isEqualTo("2001:db9::/64");
    }

    @Test
    void resolve_keysAnIpv6ClientByIts64_soOneHostCannotTakeANewLimitPerAddress() {
        ClientAddress clients = new ClientAddress(List.of());

        assertThat(clients.resolve(peer("2001:db8:1:2::10"), null))
                .isEqualTo(clients.resolve(peer("2001:db8:1:2:ffff:1:2:3"), null))
                .isEqualTo("2001:db8:1:2::/64");
        assertThat(clients.resolve(peer("2001:db8:1:3::10"), null)).isEqualTo("2001:db8:1:3::/64");
    }

    @Test
    void resolve_dropsPortsFromForwardedEntries() {
        ClientAddress clients = new ClientAddress(List.of("10.0.0.5"));

        assertThat(clients.resolve(peer("10.0.0.5"), "198.51.100.7:5678")).isEqualTo("198.51.100.7");
        assertThat(clients.resolve(peer("10.0.0.5"), "[2001:db8::7]:443")).isEqualTo("2001:db8::/64");
        assertThat(clients.resolve(peer("10.0.0.5"), "[2001:db8::7]")).isEqualTo("2001:db8::/64");
    }

    @Test
    void resolve_treatsIpv4MappedIpv6AsIpv4_forKeysAndTrustedProxies() {
        ClientAddress clients = new ClientAddress(List.of("10.0.0.0/8"));

        assertThat(clients.resolve(peer("10.0.0.5"), "::ffff:198.51.100.7")).isEqualTo("198.51.100.7");
        assertThat(clients.resolve(peer("10.0.0.5"), "198.51.100.7, ::ffff:10.0.0.7"))
                .as("a mapped inner proxy is still a trusted proxy").isEqualTo("198.51.100.7");
    }

    @Test
    void constructor_refusesHostNamesAndBadPrefixes() {
        assertThatThrownBy(() -> new ClientAddress(List.of("balancer.internal")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("balancer.internal");
        assertThatThrownBy(() -> new ClientAddress(List.of("10.0.0.0/33")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prefix");
        assertThatThrownBy(() -> new ClientAddress(List.of("10.0.0.0/x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prefix");
    }
}
