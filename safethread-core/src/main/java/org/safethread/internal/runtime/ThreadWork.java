package org.safethread.internal.runtime;

/**
 * The per-thread work a layer above keeps in a thread's state (the count engine's
 * {@code OwnerWork}: its merge queue, cells, candidates, cores still to capture), as the runtime
 * sees it: what it drives at the thread's safe points, when the thread parks, and after the
 * thread ends, without naming the layer. Declared once with {@link ThreadState#declareWork}.
 *
 * <p>Threading: each method says who calls it. "Holder" means a thread that holds the thread's
 * state ({@link ThreadState#tryHold()}), which gives it the happens-before edges to the owner's
 * plain writes.
 */
public interface ThreadWork {
    /** Owner, at a safe point that found {@link ThreadState#REQ_MERGE}: merges the queued objects. */
    void drainMergeQueue();

    /**
     * Owner, at a safe point that found {@link ThreadState#REQ_WORK}.
     *
     * @return whether work is left for a later safe point
     */
    boolean runOwnerWork();

    /** @return whether objects wait in the merge queue (any thread) */
    boolean hasQueuedMerges();

    /** @return whether an ended thread left work that its holder must finish (holder) */
    boolean hasLeftoverWork();

    /** Finishes an ended thread's leftover work (holder). */
    void finishForTerminatedThread();

    /** Housekeeper: does owner-side work of a thread that is idle outside the runtime, where that is safe. */
    void captureIfOwnerIdle();
}
