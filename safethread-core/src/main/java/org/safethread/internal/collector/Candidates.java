package org.safethread.internal.collector;

import java.util.ArrayList;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.safethread.RefCounted;

/**
 * The collector's global candidate queue: objects whose count dropped to a value above zero (the
 * roots from which Bacon–Rajan trial deletion looks for garbage cycles), handed over by threads
 * one by one (shared-word releases, once per CAND flag; cell releases, once per cell per
 * collection epoch) or in chunks (an owner's local list).
 *
 * <p>Thread-safe: a lock-free queue and an atomic counter; the epoch is written only by the
 * collector (under its run lock) and read opaquely by everyone.
 */
public final class Candidates {
    private static final ConcurrentLinkedQueue<Object> QUEUE = new ConcurrentLinkedQueue<>();
    private static final AtomicLong PENDING = new AtomicLong();
    private static volatile int epoch;

    private Candidates() {
    }

    /** @return the current collection epoch (cells report a candidate once per epoch) */
    public static int epoch() {
        return epoch;
    }

    static void nextEpoch() {
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
        if (p >= CycleCollector.threshold()) {
            CycleCollector.requestBackground();
        }
    }

    /** Moves every queued candidate to {@code out} (the collector). */
    static void drainInto(ArrayList<RefCounted> out) {
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
