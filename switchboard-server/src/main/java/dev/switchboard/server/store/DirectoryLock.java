package dev.switchboard.server.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive OS lock on {@code switchboard.lock} in the data directory, held while the embedded
 * store is open: a second node started on the same directory fails at once instead of corrupting
 * the single-writer sequence numbers. The OS drops the lock when the process dies, even on kill -9.
 */
final class DirectoryLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static DirectoryLock acquire(Path dataDirectory) {
        Path file = dataDirectory.resolve("switchboard.lock");
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new IllegalStateException("another lock holder");
            }
            return new DirectoryLock(channel, lock);
        } catch (IOException | IllegalStateException e) { // includes OverlappingFileLockException
            closeQuietly(channel);
            throw new StoreException("data directory " + dataDirectory.toAbsolutePath()
                    + " is in use by another Switchboard process", e);
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // the channel close below releases it as well
        }
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }
}
