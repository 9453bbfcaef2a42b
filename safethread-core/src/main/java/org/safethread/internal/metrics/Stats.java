package org.safethread.internal.metrics;

import org.safethread.internal.finalizer.Finalizers;
import org.safethread.internal.refcount.DeathCounts;
import org.safethread.internal.refcount.IdleOwners;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.RuntimeThreads;
import org.safethread.internal.runtime.StatsSnapshot;

/**
 * Reads the runtime's counters into a {@link StatsSnapshot}: the one place that knows where each
 * statistic comes from, used by {@code SafeThread.stats()} and by the JMX bean.
 */
public final class Stats {
    private Stats() {
    }

    /**
     * @return the counters now; each is read once, so the snapshot is consistent per counter
     *     (not across counters: a collection running meanwhile may be counted in one and not yet
     *     in the next)
     */
    public static StatsSnapshot snapshot() {
        return new StatsSnapshot(
                Counters.DEADLOCKS_BROKEN.sum(),
                Counters.COLLECTIONS.sum(),
                Counters.OBJECTS_COLLECTED.sum(),
                Counters.FINALIZERS_RUN.sum(),
                Counters.FINALIZER_FAILURES.sum(),
                Finalizers.pending(),
                DeathCounts.sum(),
                Math.max(0, Counters.PENDING_MERGES.sum()),
                Counters.LEAKS.sum(),
                Counters.FINALIZER_STALLS.sum(),
                Counters.CONTENDED_ENTRIES.sum(),
                Counters.OBJECTS_EXAMINED.sum(),
                Counters.OVER_RELEASES.sum(),
                IdleOwners.waitingNow(),
                Counters.BRANCHES_OPENED.sum(),
                Counters.CHILDREN_FAILED.sum(),
                Counters.CHILDREN_CANCELLED.sum(),
                Counters.COLLECTION_PAUSE_NANOS.sum(),
                Counters.COLLECTION_PAUSE_MAX_NANOS.get(),
                RuntimeThreads.live());
    }
}
