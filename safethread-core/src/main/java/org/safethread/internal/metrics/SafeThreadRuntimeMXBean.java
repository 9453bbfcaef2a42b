package org.safethread.internal.metrics;

/**
 * The runtime's statistics as a platform MXBean, registered as {@value Jmx#OBJECT_NAME} when
 * {@code safethread.jmx=true}. Every attribute is read-only and is the {@code RuntimeStats}
 * value of the same name, read when the attribute is read; times are in nanoseconds.
 *
 * <p>Public and exported to {@code java.management} only, because the JMX introspector reads
 * this interface reflectively; it is not part of the library's API.
 */
public interface SafeThreadRuntimeMXBean {
    /** @return see {@code RuntimeStats.deadlocksBroken()} */
    long getDeadlocksBroken();

    /** @return see {@code RuntimeStats.collections()} */
    long getCollections();

    /** @return see {@code RuntimeStats.objectsExamined()} */
    long getObjectsExamined();

    /** @return see {@code RuntimeStats.objectsCollected()} */
    long getObjectsCollected();

    /** @return see {@code RuntimeStats.collectionPauseTotalNanos()} */
    long getCollectionPauseTotalNanos();

    /** @return see {@code RuntimeStats.collectionPauseMaxNanos()} */
    long getCollectionPauseMaxNanos();

    /** @return see {@code RuntimeStats.finalizersRun()} */
    long getFinalizersRun();

    /** @return see {@code RuntimeStats.finalizerFailures()} */
    long getFinalizerFailures();

    /** @return see {@code RuntimeStats.finalizerStalls()} */
    long getFinalizerStalls();

    /** @return see {@code RuntimeStats.pendingFinalizers()} */
    long getPendingFinalizers();

    /** @return see {@code RuntimeStats.objectsDied()} */
    long getObjectsDied();

    /** @return see {@code RuntimeStats.pendingMerges()} */
    long getPendingMerges();

    /** @return see {@code RuntimeStats.leaksDetected()} */
    long getLeaksDetected();

    /** @return see {@code RuntimeStats.overReleases()} */
    long getOverReleases();

    /** @return see {@code RuntimeStats.contendedEntries()} */
    long getContendedEntries();

    /** @return see {@code RuntimeStats.liveRuntimeThreads()} */
    int getLiveRuntimeThreads();
}
