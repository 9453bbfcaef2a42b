package org.safethread;

/**
 * A snapshot of the runtime's counters, taken by {@link SafeThread#stats()}. All counts are
 * totals since the JVM started, except the ones that say "now".
 *
 * <p>Memory consistency effects: a collection is counted in {@link #collections()} and its
 * objects in {@link #objectsCollected()} before any of them is seen dead, so a thread that
 * observes a collected object's death ({@link RefCounted#isAlive()} false, a {@link
 * DeathQueue} entry, a finalizer running) and then takes a snapshot sees them counted.
 * The abnormal events go the other way round: a finalizer failure or stall, a leak and an
 * over-release are counted only after their JFR event is committed and their log line written,
 * so a thread that sees {@link #finalizerFailures()}, {@link #finalizerStalls()},
 * {@link #leaksDetected()} or {@link #overReleases()} grow can rely on finding the report.
 */
public interface RuntimeStats {
    /** @return deadlocks between monitors broken by throwing {@link DeadlockException} to a victim */
    long deadlocksBroken();

    /** @return collections run, in the background or by {@link SafeThread#collect()} */
    long collections();

    /**
     * @return objects found in garbage groups by the collector and made to die: members of
     *     garbage cycles, and objects referenced only from such garbage. An object whose last
     *     reference is released dies by that release, never by the collector, even when the
     *     release is another thread's and its owner's merge decides the death while a collection
     *     runs; such deaths count in {@link #objectsDied()} only
     */
    long objectsCollected();

    /** @return {@code @Finalize} methods run (by the finalizer thread or by {@code finalizeNow}) */
    long finalizersRun();

    /** @return {@code @Finalize} methods that threw */
    long finalizerFailures();

    /** @return finalizers queued now and not yet finished */
    long pendingFinalizers();

    /**
     * @return {@link RefCounted} objects that died, by any path. Exact for every death that
     *     happens-before the {@link SafeThread#stats()} call (a death is counted before its
     *     watches fire and its core is queued); deaths concurrent with the call may or may not be
     *     in it. Counted per thread, without an atomic read-modify-write on the death path.
     */
    long objectsDied();

    /**
     * @return objects now waiting to be merged by an owner thread that is busy outside the
     *     runtime (the price of owner counts without atomics; see the guide)
     */
    long pendingMerges();

    /**
     * @return objects now waiting to be merged by an owner thread that has not called into the
     *     runtime for {@code safethread.refcount.idleOwnerTimeout} (1 s by default): a thread the
     *     runtime did not recognise as a pool worker, idling in a foreign queue, lock, sleep or
     *     I/O. Each such owner is reported once (SLF4J WARN and the JFR event
     *     {@code org.safethread.IdleOwner}) and counts its new objects on the shared word from
     *     then on. See the guide's "Thread pools" section.
     */
    long waitingOnIdleOwners();

    /** @return {@link RefCounted} objects the JVM collected while references were still counted */
    long leaksDetected();

    /** @return finalizers that ran past {@code safethread.finalizer.stallTimeout} */
    long finalizerStalls();

    /** @return monitor entries that blocked (the contended path) */
    long contendedEntries();

    // ---- branches (CONTRACT §6) ----

    /** @return {@link Branch}es opened */
    long branchesOpened();

    /** @return branch children that ended {@link Branch.Child.State#FAILED} */
    long childrenFailed();

    /**
     * @return branch children that ended {@link Branch.Child.State#CANCELLED} (including those
     *     forked on an already cancelled branch, which never started)
     */
    long childrenCancelled();

    /**
     * @return objects the collector examined (read the counts and {@link Ref} fields of), over
     *     all collections; {@code objectsCollected() / objectsExamined()} is the collector's yield
     */
    long objectsExamined();

    /**
     * @return over-releases: decrefs refused because they would release more references than
     *     the object had (the caller got an {@link IllegalStateException}), plus over-releases
     *     found when merging another thread's counts (the object was killed and an error logged)
     */
    long overReleases();

    /**
     * @return nanoseconds that threads using the runtime were stopped by collections, summed
     *     over all collections (each pause runs from the collection's start to the end of its
     *     trace, handshake included)
     */
    long collectionPauseTotalNanos();

    /** @return the longest single collection pause, in nanoseconds; 0 before the first collection */
    long collectionPauseMaxNanos();

    /**
     * @return the runtime's own threads alive now (collector, finalizer, housekeeper, and a
     *     stalled finalizer thread that was replaced but has not finished yet)
     */
    int liveRuntimeThreads();
}
