package org.safethread.internal.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Every live thread that has used the runtime (and ended threads whose leftover work is not done
 * yet), so that helpers and the collector can find owners to merge for, hold or hand-shake with.
 * The deadlock detector uses it to map a monitor's owner thread to its state.
 *
 * <h2>Implementation notes: forgetting ended threads</h2>
 * A thread's state is kept in two places: its {@code ThreadLocal} (freed by the JVM when the
 * thread ends) and this map, which must forget it too, whatever else the runtime is doing (and
 * tell the state's {@linkplain ThreadState.Forgettable forgettable} slot values, such as the
 * monitor layer's by-thread table, to let go of it too):
 * <ul>
 *   <li><b>Prune on add, amortized.</b> {@link #add} registers a thread, and when the map has
 *       grown to twice its size after the last prune (at least {@value #MIN_PRUNE_AT}), the
 *       adding thread prunes it: one pass, so each add pays O(1) amortized, and the map never
 *       holds more than about twice the threads that are alive or still have work. One pruner
 *       at a time (a flag); others skip. This needs no background thread: a program whose
 *       threads only ever make monitor calls never starts the housekeeper, yet its registry stays
 *       bounded.</li>
 *   <li><b>Prune at each collection.</b> The collector runs the same pass before it looks at the
 *       registered threads ({@link #pruneEndedNow}): after a burst (thousands of threads alive
 *       at the last add-path prune), the ended ones would otherwise stay until the registry grew
 *       to twice that size again, which may never happen (seen: 1,200-3,600 ended threads left
 *       after a million virtual threads, in 5 of 13 runs of {@code EndedThreadsTest}'s program on
 *       a loaded machine).</li>
 *   <li><b>What a prune may drop.</b> A state whose thread has ended ({@code isAlive()} false,
 *       which happens-after the thread's last action, JLS 17.4.4) and that the pruner can
 *       {@linkplain ThreadState#tryHold() hold} (exclusive with the housekeeper and collector):
 *       if its owner-side work is empty and no merge is queued for it, it is removed. A thread
 *       that is alive is never removed, so a thread's first runtime call (which adds it) cannot
 *       race with its removal. The pruner on the add path does no other work (it runs inside a
 *       {@code ThreadLocal} initializer, where death processing must not run).</li>
 *   <li><b>Ended threads with work</b> (cells, candidates, uncaptured cores, queued merges) are
 *       finished by the housekeeper ({@link #pruneTerminated()}), then removed; the add-path
 *       pruner starts the housekeeper if it sees any. A merge queued for an ended owner after its
 *       state was removed is found through the merge queue's own owner list, and the collector
 *       holds an unregistered owner directly, so dropping a state loses nothing.</li>
 * </ul>
 */
public final class ThreadRegistry {
    /** Smallest registry size that triggers a prune on add: pruning a handful of threads is not worth a pass. */
    private static final int MIN_PRUNE_AT = 64;

    private static final ConcurrentHashMap<Thread, ThreadState> STATES = new ConcurrentHashMap<>();
    private static final AtomicBoolean PRUNING = new AtomicBoolean();
    /** Size at which the next add prunes; written by the pruner only. */
    private static volatile int pruneAt = MIN_PRUNE_AT;

    private ThreadRegistry() {
    }

    static void add(ThreadState ts) {
        STATES.put(ts.thread, ts);
        if (STATES.size() >= pruneAt && PRUNING.compareAndSet(false, true)) {
            try {
                if (dropEnded() > 0) {
                    Housekeeper.requestMergeHelp(); // ended threads with leftover work: the housekeeper finishes them
                }
            } finally {
                pruneAt = Math.max(MIN_PRUNE_AT, 2 * STATES.size());
                PRUNING.set(false);
            }
        }
    }

    /** @return the state of {@code t}, or null if it never used the runtime (or was forgotten) */
    public static ThreadState stateOf(Thread t) {
        return STATES.get(t);
    }

    /** @return a snapshot of the registered threads */
    public static List<ThreadState> snapshot() {
        return new ArrayList<>(STATES.values());
    }

    /**
     * Runs the add path's prune now: the collector, before each collection, and the jcstress
     * tests, which race it against the runtime's other users of ended threads' states.
     *
     * @return false if another prune was running (nothing done)
     */
    public static boolean pruneEndedNow() {
        if (!PRUNING.compareAndSet(false, true)) {
            return false;
        }
        try {
            if (dropEnded() > 0) {
                Housekeeper.requestMergeHelp();
            }
        } finally {
            PRUNING.set(false);
        }
        return true;
    }

    /** @return registered threads (tests and diagnostics) */
    public static int size() {
        return STATES.size();
    }

    /**
     * Removes the states of ended threads that have nothing left to do.
     *
     * @return how many ended threads were left registered because they still have work
     */
    private static int dropEnded() {
        int withWork = 0;
        for (ThreadState ts : STATES.values()) {
            if (ts.thread.isAlive() || !ts.tryHold()) {
                continue;
            }
            ThreadWork w = ts.work();
            boolean idle;
            try {
                idle = w == null || !w.hasLeftoverWork();
            } finally {
                ts.release();
            }
            if (idle && (w == null || !w.hasQueuedMerges())) {
                forget(ts);
            } else {
                withWork++;
            }
        }
        return withWork;
    }

    /**
     * Forgets the state of an ended thread: its entry here, and whatever its slot values keep
     * elsewhere ({@link ThreadState.Forgettable}, e.g. the monitor layer's by-thread table).
     */
    private static void forget(ThreadState ts) {
        if (STATES.remove(ts.thread, ts)) {
            ts.forgotten();
        }
    }

    /** Captures finalizer cores for owners idle outside the runtime (see OwnerWork). Housekeeper. */
    static void captureForIdleOwners() {
        for (ThreadState ts : STATES.values()) {
            ThreadWork w = ts.work();
            if (w != null && ts.thread.isAlive()) {
                w.captureIfOwnerIdle();
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
                ThreadWork w = ts.work();
                try {
                    if (w != null) {
                        w.finishForTerminatedThread();
                    }
                } finally {
                    ts.release();
                }
                if (w == null || !w.hasQueuedMerges()) {
                    forget(ts);
                }
            }
        }
    }
}
