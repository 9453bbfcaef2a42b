package org.safethread.internal.runtime;

import org.safethread.RuntimeStats;
import org.safethread.Shareable;

/** An immutable snapshot of the runtime's counters. */
@Shareable
public record StatsSnapshot(
        long deadlocksBroken,
        long collections,
        long objectsCollected,
        long finalizersRun,
        long finalizerFailures,
        long pendingFinalizers,
        long objectsDied,
        long pendingMerges,
        long leaksDetected,
        long finalizerStalls,
        long contendedEntries,
        long objectsExamined,
        long overReleases,
        long waitingOnIdleOwners,
        // branches (CONTRACT §6)
        long branchesOpened,
        long childrenFailed,
        long childrenCancelled,
        long collectionPauseTotalNanos,
        long collectionPauseMaxNanos,
        int liveRuntimeThreads) implements RuntimeStats {
}
