package dev.switchboard.server.gateway;

import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Works out the address of the client behind a handshake, for the per-address limits: the TCP peer,
 * or, when the peer is a trusted proxy (the balancer), the nearest address in {@code X-Forwarded-For}
 * that is not itself a trusted proxy.
 *
 * <p>Only the right end of {@code X-Forwarded-For} can be believed: each proxy appends the address it
 * received the request from, and anything to the left of the first untrusted entry was written by the
 * client, who may write anything. So the header is read from the right, trusted proxies are skipped,
 * and the first other address is the client. A peer that is not a trusted proxy is the client, whatever
 * its headers say.
 *
 * <p>Entries are IP literals (IPv4 or IPv6) or CIDR blocks ({@code 10.0.0.0/8}). Parsing never looks a
 * name up: a host name in the configuration is refused at start, one in a header is not an address.
 * A header entry may carry a port ({@code 192.0.2.7:5678}, {@code [2001:db8::7]:443}); an IPv4 address
 * mapped into IPv6 ({@code ::ffff:192.0.2.7}) is the IPv4 address.
 *
 * <p>An IPv6 client is its /64: one host is routinely given a whole /64 and could otherwise take a new
 * address, and a new limit, for every connection. The key of such a client is {@code 2001:db8:1:2::/64}.
 */
public final class ClientAddress {
    private final List<Block> trustedProxies;

    /** @param trustedProxies IP literals or CIDR blocks; empty = trust no proxy (the peer is the client) */
    public ClientAddress(List<String> trustedProxies) {
        List<Block> blocks = new ArrayList<>(trustedProxies.size());
        for (String entry : trustedProxies) {
            blocks.add(Block.parse(entry.trim()));
        }
        this.trustedProxies = List.copyOf(blocks);
    }

    /**
     * The client's key for the limits: its IPv4 address ({@code 192.0.2.7}) or its IPv6 /64
     * ({@code 2001:db8:1:2::/64}), in Netty's canonical text form.
     *
     * @param peer          the connection's remote address
     * @param forwardedFor  the {@code X-Forwarded-For} header (all values joined by commas), or null
     */
    public String resolve(SocketAddress peer, String forwardedFor) {
        byte[] peerBytes = peer instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getAddress() : null;
        if (peerBytes == null) {
            return String.valueOf(peer); // not an IP socket (a test's embedded channel): one bucket per peer
        }
        peerBytes = unmapped(peerBytes);
        String client = key(peerBytes);
        if (forwardedFor == null || !isTrusted(peerBytes)) {
            return client;
        }
        int end = forwardedFor.length();
        while (end > 0) {
            int comma = forwardedFor.lastIndexOf(',', end - 1);
            String entry = forwardedFor.substring(comma + 1, end).trim();
            end = comma < 0 ? 0 : comma;
            byte[] bytes = parseEntry(entry);
            if (bytes == null) {
                return client; // garbage from here leftwards: the last address we could believe
            }
            client = key(bytes);
            if (!isTrusted(bytes)) {
                return client;
            }
        }
        return client; // every hop is a trusted proxy: the leftmost one is as near the client as we know
    }

    /** A header entry's address without its port, or null when it is not an IP address. */
    private static byte[] parseEntry(String entry) {
        String address = entry;
        if (entry.startsWith("[")) { // [v6] or [v6]:port
            int close = entry.indexOf(']');
            address = close < 0 ? entry : entry.substring(1, close);
        } else if (entry.indexOf(':') == entry.lastIndexOf(':') && entry.indexOf(':') > 0) { // v4:port
            address = entry.substring(0, entry.indexOf(':'));
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
        return bytes == null ? null : unmapped(bytes);
    }

    /** {@code ::ffff:a.b.c.d} as the four bytes of a.b.c.d; anything else as it is. */
    private static byte[] unmapped(byte[] address) {
        if (address.length != 16) {
            return address;
        }
        for (int i = 0; i < 10; i++) {
            if (address[i] != 0) {
                return address;
            }
        }
        if (address[10] != (byte) 0xff || address[11] != (byte) 0xff) {
            return address;
        }
        return new byte[] {address[12], address[13], address[14], address[15]};
    }

    /** The limits' key: an IPv4 address as it is, an IPv6 address as its /64. */
    private static String key(byte[] address) {
        if (address.length == 4) {
            return NetUtil.bytesToIpAddress(address);
        }
        byte[] prefix = new byte[16];
        System.arraycopy(address, 0, prefix, 0, 8);
        return NetUtil.bytesToIpAddress(prefix) + "/64";
    }

    private boolean isTrusted(byte[] address) {
        for (Block block : trustedProxies) {
            if (block.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** An address block: the first {@code prefixBits} bits of {@code network}. */
    private record Block(byte[] network, int prefixBits) {
        static Block parse(String entry) {
            int slash = entry.indexOf('/');
            String address = slash < 0 ? entry : entry.substring(0, slash);
            byte[] network = NetUtil.createByteArrayFromIpAddressString(address);
            if (network != null && slash < 0) {
                network = unmapped(network);
            }
            if (network == null) {
                throw new IllegalArgumentException("server.trustedProxies: not an IP address or CIDR block: " + entry);
            }
            int prefixBits = network.length * 8;
            if (slash >= 0) {
                try {
                    prefixBits = Integer.parseInt(entry.substring(slash + 1));
                } catch (NumberFormatException e) {
                    prefixBits = -1;
                }
                if (prefixBits < 0 || prefixBits > network.length * 8) {
                    throw new IllegalArgumentException("server.trustedProxies: bad prefix length in " + entry);
                }
            }
            return new Block(network, prefixBits);
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false; // IPv4 and IPv6 blocks do not mix
            }
            int fullBytes = prefixBits / 8;
            for (int i = 0; i < fullBytes; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int remainingBits = prefixBits % 8;
            if (remainingBits == 0) {
                return true;
            }
            int mask = (0xff << (8 - remainingBits)) & 0xff;
            return (address[fullBytes] & mask) == (network[fullBytes] & mask);
        }
    }
}
