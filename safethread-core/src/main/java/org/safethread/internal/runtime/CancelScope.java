package org.safethread.internal.runtime;

import org.safethread.CancelledException;

/**
 * The cancellation a thread runs under: the branch it is a child of (CONTRACT §6). Lives in the
 * runtime layer so that the blocking points of lower layers ({@code Monitor.await},
 * {@code DeathQueue}) can test it without knowing about branches.
 *
 * <p>A thread's scope is {@link ThreadState#scope}, written by the thread itself when it starts
 * running a child task and read only by that thread. {@link #isCancelled()} is a volatile read:
 * level-triggered cancellation costs one volatile read per blocking point, and nothing on
 * threads that are not children of a branch (their scope is null).
 */
public abstract class CancelScope {
    /** @return whether this scope is cancelled now (volatile read; once true, true for ever) */
    public abstract boolean isCancelled();

    /** @return the scope's name for messages, e.g. {@code branch#3 (opened by main)} */
    public abstract String scopeName();

    /** @return whether the thread of {@code ts} runs in a cancelled branch */
    public static boolean cancelled(ThreadState ts) {
        CancelScope s = ts.scope;
        return s != null && s.isCancelled();
    }

    /**
     * Throws {@link CancelledException} if the thread of {@code ts} runs in a cancelled branch.
     *
     * @param where the blocking point, for the message (e.g. {@code "Monitor.await"})
     */
    public static void check(ThreadState ts, String where) {
        CancelScope s = ts.scope;
        if (s != null && s.isCancelled()) {
            throw cancelledAt(s, where);
        }
    }

    /** @return the exception a blocking point throws in a cancelled scope */
    public static CancelledException cancelledAt(CancelScope s, String where) {
        return new CancelledException(where + ": " + s.scopeName() + " is cancelled (this thread is one of its "
                + "children; every blocking point throws this until the child ends: let it propagate)");
    }
}
