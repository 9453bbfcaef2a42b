package org.safethread.internal.monitor;

import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.safethread.UnshareableException;
import org.safethread.internal.runtime.CancelScope;
import org.safethread.internal.runtime.Parking;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.internal.share.ShareRules;

/**
 * {@code Monitor.await} and {@code Monitor.leave}.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li>{@code await}: evaluates the condition holding the monitor; if false, appends a
 *       {@link ConditionWaiter} (holder-only list), releases the monitor fully (which may hand it
 *       to another waiter whose condition became true), detaches (so merges and the collector
 *       can proceed on this thread's behalf) and parks until GRANTED (a waiter woken while its
 *       granter is still handing over, state GRANTING, parks again: see ConditionWaiter). A granted waiter owns the
 *       monitor on waking, with its re-entry depth restored by the granter, and its condition was
 *       true when granted and nobody ran since, so it returns true without re-checking. On
 *       interrupt or timeout the waiter CASes itself CANCELLED (if a grant did not win first) and
 *       re-enters the monitor as a non-abortable entry, then unlinks its node.</li>
 *   <li>{@code leave}: releases fully (with hand-off), marks the thread's monitor stack so the
 *       left monitor is no longer innermost, runs the action, and re-enters (non-abortable), even
 *       if the action threw; the result must be shareable.</li>
 * </ul>
 */
public final class Conditions {
    private Conditions() {
    }

    /**
     * @param nanos timeout, used when {@code timed}
     * @return whether the condition holds (always true when not timed)
     */
    public static boolean await(BooleanSupplier condition, long nanos, boolean timed) throws InterruptedException {
        Objects.requireNonNull(condition, "Monitor.await: condition is null");
        MonitorStack stack = MonitorStack.current();
        ThreadState ts = stack.ts;
        ts.pollIfRequested();
        MonitorLock m = stack.innermost();
        if (m == null) {
            throw new IllegalStateException("Monitor.await called outside a monitor method: call it from inside a "
                    + "@MonitorMethod (or an interface-proxy method) of the monitor whose state the condition reads"
                    + (stack.depth() > 0 ? " (inside Monitor.leave you are outside the monitor)" : ""));
        }
        if (stack.isEvaluatingConditions()) {
            throw new IllegalStateException("Monitor.await called while evaluating a Monitor.await condition: "
                    + "conditions must be side-effect-free tests of the monitor's state");
        }
        checkNotPinned(stack, m, "Monitor.await");
        CancelScope.check("Monitor.await");
        if (evaluate(stack, m, condition)) {
            return true;
        }
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted before Monitor.await started waiting (the monitor is held)");
        }
        if (timed && nanos <= 0) {
            return false;
        }
        ConditionWaiter w = new ConditionWaiter(ts, condition);
        w.savedHolds = m.holds;
        m.holds = 0;
        m.appendWaiter(w);
        m.release(stack, w);
        boolean interrupted = false;
        boolean reinterrupt = false;
        long deadline = timed ? System.nanoTime() + nanos : 0L;
        ts.detach();
        try {
            while (true) {
                int s = w.state();
                if (s == ConditionWaiter.GRANTED || s == ConditionWaiter.CANCELLED) {
                    break;
                }
                if (timed && s == ConditionWaiter.WAITING) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        if (w.cancel()) {
                            break;
                        }
                        continue; // a releaser claimed us first: wait for its GRANTED
                    }
                    Parking.parkNanos(ts, m, left); // a pool worker's wait lets its pool compensate
                } else {
                    // Untimed, or GRANTING: the granter unparks us after writing GRANTED.
                    Parking.park(ts, m);
                }
                if (Thread.interrupted()) {
                    if (w.cancel()) {
                        interrupted = true;
                        break;
                    }
                    reinterrupt = true; // granted concurrently: keep the interrupt for later
                }
            }
        } finally {
            ts.attach();
        }
        if (w.state() == ConditionWaiter.GRANTED) {
            if (reinterrupt) {
                Thread.currentThread().interrupt();
            }
            Throwable failure = w.failure;
            if (failure != null) {
                throw Conditions.<RuntimeException>sneaky(failure);
            }
            return true;
        }
        ProxySupport.reenter(m, stack);
        m.holds = w.savedHolds;
        m.removeWaiter(w);
        if (interrupted) {
            if (CancelScope.cancelledNow()) {
                Thread.currentThread().interrupt(); // the cancellation's interrupt stays visible to JDK calls
                throw CancelScope.cancelledAt("Monitor.await (the monitor is held again)");
            }
            throw new InterruptedException("interrupted in Monitor.await (the monitor is held again)");
        }
        return evaluate(stack, m, condition);
    }

    /**
     * The waiter evaluates its own condition, holding {@code m}: marked on its stack as an
     * evaluation of {@code m}'s conditions, like a releaser's, so that the same rules apply
     * whoever evaluates it (no {@code await} or {@code leave} inside; no waiting for one of
     * {@code m}'s condition waiters, see {@link ProxySupport}).
     */
    private static boolean evaluate(MonitorStack stack, MonitorLock m, BooleanSupplier condition) {
        stack.beginEvaluating(m);
        try {
            return condition.getAsBoolean();
        } finally {
            stack.endEvaluating();
        }
    }

    /** {@code Monitor.leave}. */
    public static <R> R leave(Supplier<R> action) {
        Objects.requireNonNull(action, "Monitor.leave: action is null");
        MonitorStack stack = MonitorStack.current();
        stack.ts.pollIfRequested();
        MonitorLock m = stack.innermost();
        if (m == null) {
            throw new IllegalStateException("Monitor.leave called outside a monitor method: it releases the "
                    + "monitor whose method is running, so call it from inside a @MonitorMethod"
                    + (stack.depth() > 0 ? " (inside Monitor.leave you are outside the monitor already)" : ""));
        }
        if (stack.isEvaluatingConditions()) {
            throw new IllegalStateException("Monitor.leave called while evaluating a Monitor.await condition: "
                    + "conditions must be side-effect-free tests of the monitor's state");
        }
        checkNotPinned(stack, m, "Monitor.leave");
        int saved = m.holds;
        m.holds = 0;
        m.release(stack, null);
        stack.pushLeft();
        R result;
        try {
            result = action.get();
        } finally {
            stack.popLeft();
            ProxySupport.reenter(m, stack);
            m.holds = saved;
        }
        if (result != null && !ShareRules.alwaysShareable(result.getClass())) {
            String why = ShareRules.whyNot(result);
            if (why != null) {
                throw new UnshareableException("Monitor.leave: the action's result (" + result.getClass().getName()
                        + ") is not shareable: " + why + " (the action has run and its effects stay; only its "
                        + "result was refused, with the monitor held again)");
            }
        }
        return result;
    }

    /** CONTRACT §6 "Pinned monitors": see {@code BranchCore}'s notes for why. */
    private static void checkNotPinned(MonitorStack stack, MonitorLock m, String op) {
        if (stack.isPinned(m)) {
            throw new IllegalStateException(op + " on " + m.name + " while a Branch opened inside " + m.name
                    + " is still open: the branch's children may be waiting for " + m.name + ", and releasing it "
                    + "here could make a deadlock through the join that no thread can be chosen to break. Join or "
                    + "close the branch first, or open it outside the monitor (e.g. inside Monitor.leave)");
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E sneaky(Throwable t) throws E {
        throw (E) t;
    }
}
