package org.safethread.internal.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every thread that has used the runtime, so that helpers and the collector can find owners to
 * merge for, hold or hand-shake with. Terminated threads are removed by the housekeeper once
 * their leftover work is done.
 *
 * <p>Thread-safe: a concurrent set keyed by identity ({@link ThreadState} does not override
 * {@code equals}/{@code hashCode}).
 */
public final class ThreadRegistry {
    private static final Set<ThreadState> STATES = ConcurrentHashMap.newKeySet();

    private ThreadRegistry() {
    }

    static void add(ThreadState ts) {
        STATES.add(ts);
    }

    static void remove(ThreadState ts) {
        STATES.remove(ts);
    }

    /** @return a snapshot of the registered threads */
    public static List<ThreadState> snapshot() {
        return new ArrayList<>(STATES);
    }

    /** @return how many threads are registered now */
    public static int size() {
        return STATES.size();
    }

    /**
     * Finishes the leftover work of terminated threads (merges, cells, candidates, cores) and
     * forgets them. Called by the housekeeper.
     */
    static void pruneTerminated() {
        for (ThreadState ts : STATES) {
            if (!ts.thread.isAlive() && ts.tryHold()) {
                try {
                    ts.refs.finishForTerminatedThread();
                } finally {
                    ts.release();
                }
                if (!ts.refs.hasQueuedMerges()) {
                    STATES.remove(ts);
                }
            }
        }
    }
}
