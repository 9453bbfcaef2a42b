package org.safethread.internal.monitor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.BooleanSupplier;
import org.safethread.internal.runtime.ThreadState;

/**
 * A thread waiting in {@code Monitor.await} for its condition. Queued in its monitor's
 * {@link ConditionQueue}, which only the monitor's holder changes.
 *
 * <p>Implementation notes: {@code state} moves WAITING &rarr; GRANTING (by the releasing owner,
 * by CAS) &rarr; GRANTED (by the same owner, a volatile write once it has handed the monitor
 * over: unlinked the waiter, restored its re-entry depth, made it the owner), or WAITING &rarr;
 * CANCELLED (by the waiter itself on interrupt or timeout, by CAS); exactly one of the two CASes
 * wins. The waiter acts as the owner only once it reads GRANTED, never on GRANTING: between the
 * two the granter is still writing the monitor's waiter list and owner, and a waiter that woke
 * (spuriously, from a stale permit, or at its timeout) and ran on would race those writes — a
 * lost waiter found by Lincheck's model checker ({@code MonitorQueueHandOffLincheckTest}). The
 * granter's writes ({@code failure}, the list, {@code holds}, the owner) happen-before the
 * waiter's reads through the volatile write and read of GRANTED.
 */
final class ConditionWaiter {
    static final int WAITING = 0;
    static final int GRANTED = 1;
    static final int CANCELLED = 2;
    /** Chosen by a releasing owner that is still handing the monitor over. */
    static final int GRANTING = 3;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(ConditionWaiter.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final ThreadState ts;
    final BooleanSupplier condition;
    /** Re-entry depth to restore when the waiter gets the monitor back. */
    int savedHolds;
    /** What the condition threw when a releaser evaluated it (delivered to the waiter). */
    Throwable failure;
    /** Which waiters share this one's condition ({@link ConditionKey}). */
    final Object key;
    /** Age in its monitor's queue; the group it is queued in (null once removed); its neighbours there. Holder only. */
    long seq;
    ConditionQueue.Group group;
    ConditionWaiter prevInGroup;
    ConditionWaiter nextInGroup;
    @SuppressWarnings("unused") // through STATE
    private volatile int state;

    ConditionWaiter(ThreadState ts, BooleanSupplier condition) {
        this.ts = ts;
        this.condition = condition;
        this.key = ConditionKey.of(condition);
    }

    int state() {
        return (int) STATE.getVolatile(this);
    }

    /** The releasing owner claims this waiter (wins against {@link #cancel}). */
    boolean beginGrant() {
        return STATE.compareAndSet(this, WAITING, GRANTING);
    }

    /**
     * The releasing owner has handed the monitor over; the waiter may run.
     * Pairs with the waiter's {@link #state()} read in {@code Conditions.await}.
     */
    void completeGrant() {
        STATE.setVolatile(this, GRANTED);
    }

    boolean cancel() {
        return STATE.compareAndSet(this, WAITING, CANCELLED);
    }
}
