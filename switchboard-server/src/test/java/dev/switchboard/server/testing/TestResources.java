package dev.switchboard.server.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test opened (servers, Redis processes, sockets, clients), closed newest first, every one of
 * them whatever fails: a process left running would outlive the test. The first failure is thrown,
 * the others are suppressed into it.
 */
public final class TestResources implements AutoCloseable {
    private final List<AutoCloseable> resources = new ArrayList<>();

    /** Registers {@code resource} and returns it. */
    public <T extends AutoCloseable> T add(T resource) {
        resources.add(resource);
        return resource;
    }

    @Override
    public void close() throws Exception {
        Exception failure = null;
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        resources.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
