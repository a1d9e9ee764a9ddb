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
     * The client's address, in Netty's canonical text form ({@code 127.0.0.1}, {@code 2001:db8::1}).
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
        String client = NetUtil.bytesToIpAddress(peerBytes);
        if (forwardedFor == null || !isTrusted(peerBytes)) {
            return client;
        }
        int end = forwardedFor.length();
        while (end > 0) {
            int comma = forwardedFor.lastIndexOf(',', end - 1);
            String entry = forwardedFor.substring(comma + 1, end).trim();
            end = comma < 0 ? 0 : comma;
            byte[] bytes = NetUtil.createByteArrayFromIpAddressString(entry);
            if (bytes == null) {
                return client; // garbage from here leftwards: the last address we could believe
            }
            client = NetUtil.bytesToIpAddress(bytes);
            if (!isTrusted(bytes)) {
                return client;
            }
        }
        return client; // every hop is a trusted proxy: the leftmost one is as near the client as we know
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
