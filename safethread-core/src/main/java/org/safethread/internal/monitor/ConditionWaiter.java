package org.safethread.internal.monitor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.BooleanSupplier;
import org.safethread.internal.runtime.ThreadState;

/**
 * A thread waiting in {@code Monitor.await} for its condition. Queued in its monitor's
 * {@link ConditionQueue}, which only the monitor's holder changes.
 *
 * <p>Implementation notes: {@code state} moves WAITING &rarr; GRANTED (by the releasing owner,
 * which then hands the monitor over) or WAITING &rarr; CANCELLED (by the waiter itself on
 * interrupt or timeout), by CAS; exactly one wins. The granter writes {@code failure} before its
 * CAS and the waiter reads it after seeing GRANTED, so the CAS orders them.
 */
final class ConditionWaiter {
    static final int WAITING = 0;
    static final int GRANTED = 1;
    static final int CANCELLED = 2;
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

    boolean grant() {
        return STATE.compareAndSet(this, WAITING, GRANTED);
    }

    boolean cancel() {
        return STATE.compareAndSet(this, WAITING, CANCELLED);
    }
}
