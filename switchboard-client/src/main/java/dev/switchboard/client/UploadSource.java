package dev.switchboard.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Where an upload's bytes come from, read a chunk at a time at any offset: an upload that resumes reads
 * again from the server's offset, so the source must give the same bytes each time.
 */
interface UploadSource {

    long size();

    /** {@code length} bytes from {@code offset} (both within the size). */
    byte[] read(long offset, int length);

    /** Called once the upload has ended, whatever the outcome. */
    default void close() {
    }

    static UploadSource of(byte[] content) {
        byte[] copy = content.clone(); // the caller may reuse its array while the upload runs
        return new UploadSource() {
            @Override
            public long size() {
                return copy.length;
            }

            @Override
            public byte[] read(long offset, int length) {
                return Arrays.copyOfRange(copy, (int) offset, (int) offset + length);
            }
        };
    }

    /**
     * The file at {@code path}, read with positional reads: only a chunk in memory at a time. The file must
     * not change while it uploads.
     */
    static UploadSource of(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        long size = channel.size();
        return new UploadSource() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public byte[] read(long offset, int length) {
                ByteBuffer buffer = ByteBuffer.allocate(length);
                try {
                    while (buffer.hasRemaining()) {
                        if (channel.read(buffer, offset + buffer.position()) < 0) {
                            throw new IOException("the file ended at " + (offset + buffer.position()) + " of " + size);
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return buffer.array();
            }

            @Override
            public void close() {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // read-only: nothing to lose
                }
            }
        };
    }
}
