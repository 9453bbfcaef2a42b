package org.safethread.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs test code on threads of its own: an owner (a fresh platform thread, not a pool worker, so
 * the objects it makes are owner-biased) and "elsewhere" (another fresh thread, a non-owner that is
 * not one of the runtime's). Both wait for the thread with a bound and pass its failures on.
 */
public final class OwnThreads {
    private OwnThreads() {
    }

    /** Test code that may throw anything. */
    public interface Body {
        void run() throws Exception;
    }

    /**
     * Runs {@code body} on a fresh platform thread named {@code name} and waits for it (at most
     * 20 s); what it threw is rethrown here.
     */
    public static void onOwnThread(String name, Body body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, name);
        t.start();
        t.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(t.isAlive(), "the owner thread " + name + " finished");
        Throwable f = failure.get();
        if (f instanceof Exception e) {
            throw e;
        }
        if (f instanceof Error e) {
            throw e;
        }
    }

    /** Runs {@code r} on another fresh thread named {@code name} and waits for it (at most 10 s). */
    public static void elsewhere(String name, Runnable r) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                r.run();
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, name);
        t.start();
        done.get(10, TimeUnit.SECONDS);
    }
}
