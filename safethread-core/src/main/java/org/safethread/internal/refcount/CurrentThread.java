package org.safethread.internal.refcount;

import org.safethread.internal.runtime.ThreadState;

/**
 * The calling thread's death counter and state, found through {@link DeathCounts}' by-thread
 * table (a direct-mapped table by thread id) instead of the {@code ThreadLocal} behind
 * {@link ThreadState#current()}: the count engine's non-owner paths run this lookup on every
 * operation, and the table costs fewer dependent loads.
 *
 * <p>Implementation notes: the table's soundness (an entry is used only by the thread it names;
 * each thread writes only its own entry; final fields) is argued in {@link DeathCounts}. A
 * thread's {@link ThreadState} never changes during its life (the runtime's {@code ThreadLocal}
 * is only ever initialised), so the state an entry carries is the one
 * {@link ThreadState#current()} returns. A miss (the thread's first lookup, or its slot taken by
 * a thread whose id collides) installs the thread's own counter from {@link ThreadState#current()}.
 */
final class CurrentThread {
    private CurrentThread() {
    }

    /** @return the calling thread's death counter (registered and installed on first use) */
    static DeathCounts counts() {
        DeathCounts c = DeathCounts.ofCurrentThread();
        return c != null ? c : install();
    }

    /** @return the calling thread's state, as {@link ThreadState#current()} */
    static ThreadState state() {
        return counts().state;
    }

    private static DeathCounts install() {
        ThreadState ts = ThreadState.current();
        DeathCounts c = OwnerWork.of(ts).deaths.counts(ts);
        DeathCounts.install(c);
        return c;
    }
}
