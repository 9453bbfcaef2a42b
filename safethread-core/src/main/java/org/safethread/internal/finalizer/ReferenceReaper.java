package org.safethread.internal.finalizer;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;

/**
 * The runtime's one {@link ReferenceQueue}: phantom references for leak detection, for
 * {@code SafeThread.register} and for death watches on plain objects are enqueued here by the
 * JVM, and the housekeeper drains it. The references themselves are kept reachable by their own
 * registries until they are reaped or disarmed.
 */
public final class ReferenceReaper {
    static final ReferenceQueue<Object> QUEUE = new ReferenceQueue<>();

    private ReferenceReaper() {
    }

    /**
     * @return the queue to register a {@link java.lang.ref.Reference} with when the reference
     *     implements {@link Reaped} (its {@code reaped()} then runs on the housekeeper thread)
     */
    public static ReferenceQueue<Object> queue() {
        return QUEUE;
    }

    /** Handles every reference enqueued so far. Housekeeper thread. */
    public static void drain() {
        Reference<?> r;
        while ((r = QUEUE.poll()) != null) {
            ((Reaped) r).reaped();
        }
        LeakReports.summarizeIfDue();
    }
}
