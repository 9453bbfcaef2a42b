package org.safethread.internal.runtime;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The runtime's statistics counters. {@link LongAdder}s, because several of them are bumped from
 * many threads on paths (deaths, contended entries) that must not share one hot cache line.
 */
public final class Counters {
    public static final LongAdder DEADLOCKS_BROKEN = new LongAdder();
    public static final LongAdder COLLECTIONS = new LongAdder();
    public static final LongAdder OBJECTS_COLLECTED = new LongAdder();
    public static final LongAdder OBJECTS_EXAMINED = new LongAdder();
    public static final LongAdder FINALIZERS_RUN = new LongAdder();
    public static final LongAdder FINALIZER_FAILURES = new LongAdder();
    public static final LongAdder FINALIZERS_QUEUED = new LongAdder();
    public static final LongAdder FINALIZER_STALLS = new LongAdder();
    public static final LongAdder LEAKS = new LongAdder();
    public static final LongAdder CONTENDED_ENTRIES = new LongAdder();
    public static final LongAdder OVER_RELEASES = new LongAdder();
    /** Objects queued on an owner's merge queue and not yet merged (incremented and decremented). */
    public static final LongAdder PENDING_MERGES = new LongAdder();
    // ---- branches (CONTRACT §6) ----
    public static final LongAdder BRANCHES_OPENED = new LongAdder();
    public static final LongAdder CHILDREN_FAILED = new LongAdder();
    public static final LongAdder CHILDREN_CANCELLED = new LongAdder();

    /** Total nanoseconds threads were stopped by collections (one writer at a time: collections are serial). */
    public static final LongAdder COLLECTION_PAUSE_NANOS = new LongAdder();
    /** Longest single collection pause, in nanoseconds. */
    public static final AtomicLong COLLECTION_PAUSE_MAX_NANOS = new AtomicLong();

    /**
     * Records one collection's pause.
     *
     * @param nanos how long threads were stopped; zero or more
     */
    public static void recordPause(long nanos) {
        COLLECTION_PAUSE_NANOS.add(nanos);
        COLLECTION_PAUSE_MAX_NANOS.accumulateAndGet(nanos, Math::max);
    }

    private Counters() {
    }
}
