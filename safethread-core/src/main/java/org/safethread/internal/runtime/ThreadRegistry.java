package org.safethread.internal.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every thread that has used the runtime, so that helpers and the collector can find owners to
 * merge for, hold or hand-shake with. Terminated threads are removed by the housekeeper once
 * their leftover work is done.
 *
 * <p>Thread-safe: a concurrent map from each thread to its state, keyed by identity ({@link Thread}
 * does not override {@code equals}/{@code hashCode}). The deadlock detector uses it to map a
 * monitor's owner thread to its state.
 */
public final class ThreadRegistry {
    private static final ConcurrentHashMap<Thread, ThreadState> STATES = new ConcurrentHashMap<>();

    private ThreadRegistry() {
    }

    static void add(ThreadState ts) {
        STATES.put(ts.thread, ts);
    }

    /** @return the state of {@code t}, or null if it never used the runtime (or was forgotten) */
    public static ThreadState stateOf(Thread t) {
        return STATES.get(t);
    }

    /** @return a snapshot of the registered threads */
    public static List<ThreadState> snapshot() {
        return new ArrayList<>(STATES.values());
    }


    /** Captures finalizer cores for owners idle outside the runtime (see OwnerWork). Housekeeper. */
    static void captureForIdleOwners() {
        for (ThreadState ts : STATES.values()) {
            if (ts.thread.isAlive()) {
                ts.refs.captureIfOwnerIdle();
            }
        }
    }

    /**
     * Finishes the leftover work of terminated threads (merges, cells, candidates, cores) and
     * forgets them. Called by the housekeeper.
     */
    static void pruneTerminated() {
        for (ThreadState ts : STATES.values()) {
            if (!ts.thread.isAlive() && ts.tryHold()) {
                try {
                    ts.refs.finishForTerminatedThread();
                } finally {
                    ts.release();
                }
                if (!ts.refs.hasQueuedMerges()) {
                    STATES.remove(ts.thread, ts);
                }
            }
        }
    }
}
