package org.safethread.internal.finalizer;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import org.safethread.internal.runtime.Housekeeper;

/**
 * The runtime's one {@link ReferenceQueue}: phantom references for leak detection, for
 * {@code SafeThread.register} and for death watches on plain objects are enqueued here by the
 * JVM, and the housekeeper drains it. The references themselves are kept reachable by their own
 * registries until they are reaped or disarmed.
 */
public final class ReferenceReaper {
    static final ReferenceQueue<Object> QUEUE = new ReferenceQueue<>();

    static {
        // Every reference that can reach QUEUE is made after this class is initialized (queue()).
        Housekeeper.register(new Housekeeper.Task() {
            @Override
            public String roleName() {
                return "delivering JVM-collected notices";
            }

            @Override
            public int doWork() {
                drain();
                return 0; // reaping is bounded by the idle period's latency, as before
            }
        });
    }

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
    private static void drain() {
        Reference<?> r;
        while ((r = QUEUE.poll()) != null) {
            ((Reaped) r).reaped();
        }
        LeakReports.summarizeIfDue();
    }
}
