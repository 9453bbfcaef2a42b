package org.safethread.internal.runtime;

import org.safethread.CancelledException;

/**
 * The cancellation a thread runs under: the branch it is a child of (CONTRACT §6). Lives in the
 * runtime layer so that the blocking points of lower layers ({@code Monitor.await},
 * {@code DeathQueue}) can test it without knowing about branches.
 *
 * <p>A thread's scope is a thread-local, set by the thread itself when it starts running a child
 * task and read only by that thread. It is not a field of {@link ThreadState}, so that a child
 * that never calls into the runtime costs no runtime thread state (a trivial child is then as
 * cheap as a plain thread). {@link #isCancelled()} is a volatile read: level-triggered
 * cancellation costs one thread-local read and one volatile read per blocking point, and no
 * more on threads that are not children of a branch (their scope is null).
 */
public abstract class CancelScope {
    private static final ThreadLocal<CancelScope> CURRENT = new ThreadLocal<>();

    /** @return the calling thread's scope, or null */
    public static CancelScope current() {
        return CURRENT.get();
    }

    /** Sets the calling thread's scope (null to clear it). */
    public static void set(CancelScope scope) {
        if (scope == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(scope);
        }
    }

    /** @return whether this scope is cancelled now (volatile read; once true, true for ever) */
    public abstract boolean isCancelled();

    /** @return the scope's name for messages, e.g. {@code branch#3 (opened by main)} */
    public abstract String scopeName();

    /** @return whether the calling thread runs in a cancelled branch */
    public static boolean cancelledNow() {
        CancelScope s = CURRENT.get();
        return s != null && s.isCancelled();
    }

    /**
     * Throws {@link CancelledException} if the calling thread runs in a cancelled branch.
     *
     * @param where the blocking point, for the message (e.g. {@code "Monitor.await"})
     */
    public static void check(String where) {
        CancelScope s = CURRENT.get();
        if (s != null && s.isCancelled()) {
            throw cancelledAt(s, where);
        }
    }

    /** @return the exception a blocking point throws in a cancelled scope */
    public static CancelledException cancelledAt(String where) {
        return cancelledAt(CURRENT.get(), where);
    }

    /** @return the exception a blocking point throws in the cancelled scope {@code s} */
    public static CancelledException cancelledAt(CancelScope s, String where) {
        return new CancelledException(where + ": " + s.scopeName() + " is cancelled (this thread is one of its "
                + "children; every blocking point throws this until the child ends: let it propagate)");
    }
}
