package org.safethread.internal.finalizer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.safethread.internal.refcount.DeathWatch;

/**
 * One death watch: a notice to deliver once when a watched object dies (or the JVM collects it),
 * unless cancelled first.
 *
 * <p>Implementation notes: a single state word moves WATCHING &rarr; FIRED or WATCHING &rarr;
 * CANCELLED by CAS, so delivery and cancellation race safely and exactly one wins; delivery runs
 * only in the winner of the FIRED transition. {@link #deliver()} must not call user code (it
 * enqueues a payload).
 */
public abstract class Watch implements DeathWatch {
    private static final int WATCHING = 0;
    private static final int FIRED = 1;
    private static final int CANCELLED = 2;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Watch.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through STATE
    private volatile int state;

    /** Delivers the notice unless it was cancelled or already delivered. */
    @Override
    public final void fire() {
        if (STATE.compareAndSet(this, WATCHING, FIRED)) {
            deliver();
        }
    }

    /** @return true if this call cancelled a watch that had not fired */
    public final boolean cancel() {
        boolean won = STATE.compareAndSet(this, WATCHING, CANCELLED);
        if (won) {
            onCancel();
        }
        return won;
    }

    /** @return whether the watch is still waiting */
    @Override
    public final boolean isWatching() {
        return (int) STATE.getVolatile(this) == WATCHING;
    }

    /** Delivers the notice (exactly once). */
    protected abstract void deliver();

    /** Called once when the watch is cancelled. */
    protected void onCancel() {
    }
}
