package org.safethread;

/**
 * A snapshot of the runtime's counters, taken by {@link SafeThread#stats()}. All counts are
 * totals since the JVM started, except the ones that say "now".
 */
public interface RuntimeStats {
    /** @return deadlocks between monitors broken by throwing {@link DeadlockException} to a victim */
    long deadlocksBroken();

    /** @return collections run, in the background or by {@link SafeThread#collect()} */
    long collections();

    /** @return objects found in garbage groups by the collector and made to die */
    long objectsCollected();

    /** @return {@code @Finalize} methods run (by the finalizer thread or by {@code finalizeNow}) */
    long finalizersRun();

    /** @return {@code @Finalize} methods that threw */
    long finalizerFailures();

    /** @return finalizers queued now and not yet finished */
    long pendingFinalizers();

    /** @return {@link RefCounted} objects that died, by any path */
    long objectsDied();

    /**
     * @return objects now waiting to be merged by an owner thread that is busy outside the
     *     runtime (the price of owner counts without atomics; see the guide)
     */
    long pendingMerges();

    /** @return {@link RefCounted} objects the JVM collected while references were still counted */
    long leaksDetected();

    /** @return finalizers that ran past {@code safethread.finalizer.stallTimeout} */
    long finalizerStalls();

    /** @return monitor entries that blocked (the contended path) */
    long contendedEntries();
}
