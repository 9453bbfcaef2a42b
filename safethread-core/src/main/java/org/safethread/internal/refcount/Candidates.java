package org.safethread.internal.refcount;

import java.util.ArrayList;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.safethread.RefCounted;

/**
 * The count engine's candidate queue: objects whose count dropped to a value above zero (the
 * roots from which the cycle collector's Bacon–Rajan trial deletion looks for garbage cycles),
 * handed over by threads one by one (shared-word releases, once per CAND flag; cell releases,
 * once per cell per collection epoch) or in chunks (an owner's local list). The collector drains
 * it; it is kept here, below the collector, so that the count engine hands candidates over
 * without naming the collector.
 *
 * <h2>Implementation notes: the trigger hook</h2>
 * <p>The collector installs a {@link Trigger} once ({@link #installTrigger}, from its class
 * initializer, which the public {@code RefCounted}'s class initializer runs, so it is in place
 * before any object exists, let alone becomes a candidate). The hot path never reads it: a cell
 * release reads only the {@linkplain #epoch() epoch} (one volatile int read, as before the hook);
 * the trigger is read after a candidate was queued (an atomic add already). Should a candidate
 * ever be queued before the trigger is installed, nothing is lost: it waits in the queue, and
 * {@link #installTrigger} asks for a collection at once if the queue already reached the
 * threshold.
 *
 * <p>Thread-safe: a lock-free queue and an atomic counter; the epoch is written only by the
 * collector (under its run lock) and read by everyone (volatile).
 */
public final class Candidates {
    /**
     * What the collector does when queued candidates pile up: the hook the collector installs
     * into the count engine.
     */
    public interface Trigger {
        /** @return queued candidates at which a background collection should start now */
        int threshold();

        /** Asks for a background collection (any thread; must be cheap when already asked). */
        void requestCollection();
    }

    private static final ConcurrentLinkedQueue<Object> QUEUE = new ConcurrentLinkedQueue<>();
    private static final AtomicLong PENDING = new AtomicLong();
    private static volatile int epoch;
    /** Set once by the collector; null only before the collector's class is initialized. */
    private static volatile Trigger trigger;
    /** Orders installation against the pending check (a private lock: the class's own would be anyone's). */
    private static final Object INSTALL_LOCK = new Object();

    private Candidates() {
    }

    /**
     * Installs the collector's trigger (once; the collector's class initializer).
     *
     * @throws IllegalStateException if a trigger is already installed
     */
    public static void installTrigger(Trigger t) {
        synchronized (INSTALL_LOCK) {
            if (trigger != null) {
                throw new IllegalStateException("safethread internal error: the collector trigger is installed twice");
            }
            trigger = t;
        }
        if (PENDING.get() >= t.threshold()) {
            t.requestCollection(); // candidates queued before the hook: not one is lost
        }
    }

    /** @return the current collection epoch (cells report a candidate once per epoch) */
    public static int epoch() {
        return epoch;
    }

    /** Starts the next collection epoch (the collector, under its run lock). */
    public static void nextEpoch() {
        epoch = epoch + 1;
    }

    /** Adds one candidate (any thread). */
    public static void add(RefCounted x) {
        QUEUE.add(x);
        noteAdded(1);
    }

    /** Adds a chunk of candidates (any thread). */
    public static void addAll(RefCounted[] xs) {
        if (xs.length > 0) {
            QUEUE.add(xs);
            noteAdded(xs.length);
        }
    }

    private static void noteAdded(long n) {
        long p = PENDING.addAndGet(n);
        Trigger t = trigger;
        if (t != null && p >= t.threshold()) {
            t.requestCollection();
        }
    }

    /** Moves every queued candidate to {@code out} (the collector). */
    public static void drainInto(ArrayList<RefCounted> out) {
        long n = 0;
        Object o;
        while ((o = QUEUE.poll()) != null) {
            if (o instanceof RefCounted) {
                out.add((RefCounted) o);
                n++;
            } else {
                for (RefCounted x : (RefCounted[]) o) {
                    out.add(x);
                }
                n += ((RefCounted[]) o).length;
            }
        }
        PENDING.addAndGet(-n);
    }

    /** @return candidates queued now */
    public static long pending() {
        return PENDING.get();
    }
}
