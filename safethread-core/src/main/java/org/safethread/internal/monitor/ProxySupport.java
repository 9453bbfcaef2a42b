package org.safethread.internal.monitor;

import org.safethread.DeadlockException;
import org.safethread.UnshareableException;
import org.safethread.internal.runtime.Settings;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.internal.share.ShareRules;

/**
 * The static entry points that generated monitor proxies call. Public because generated classes
 * live in the target's package; the package is not exported to users (it is exported to a
 * target's module at run time only when that module is named).
 *
 * <p>A proxy method is: check reference arguments, {@link #enter}, call the target, check the
 * result, {@link #exit} (also on exceptions). {@code enter} returns a token: the thread's state
 * for a fresh entry, null for a direct re-entry of the innermost monitor.
 */
public final class ProxySupport {
    private ProxySupport() {
    }

    /**
     * Enters {@code m}.
     *
     * @return the token to pass to {@link #exit}
     * @throws DeadlockException on re-entry of a monitor held further out, or when chosen to
     *     break a deadlock
     */
    public static Object enter(MonitorLock monitor) {
        MonitorLock m = monitor.space; // the lock really taken: the monitor's own, or its space's
        ThreadState ts = ThreadState.current();
        if (ts.requests() != 0) {
            ts.poll();
        }
        if (m.tryLock(ts)) {
            m.setOwner(ts);
            ts.monitors.push(m);
            return ts;
        }
        return enterSlow(monitor, m, ts);
    }

    private static Object enterSlow(MonitorLock monitor, MonitorLock m, ThreadState ts) {
        if (m.ownerThread() == ts.thread) {
            if (ts.monitors.top() == m) {
                m.holds++; // the innermost space: a direct re-entry, from this monitor or another of its space
                return null;
            }
            throw reentry(monitor, m, ts);
        }
        m.lockContended(monitor, ts, true, Settings.monitorSpins());
        m.setOwner(ts);
        ts.monitors.push(m);
        return ts;
    }

    /** Leaves {@code monitor} entered with {@code token}. */
    public static void exit(MonitorLock monitor, Object token) {
        MonitorLock m = monitor.space;
        if (token == null) {
            m.holds--;
            return;
        }
        ThreadState ts = (ThreadState) token;
        try {
            m.release(ts, null);
        } finally {
            ts.monitors.pop();
        }
    }

    /** Re-acquires {@code m} after an {@code await} or {@code leave}; never a deadlock victim. */
    static void reenter(MonitorLock m, ThreadState ts) {
        if (!m.tryLock(ts)) {
            m.lockContended(m, ts, false, Settings.monitorSpins());
        }
        m.setOwner(ts);
    }

    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; getId() is the same value
    private static DeadlockException reentry(MonitorLock monitor, MonitorLock m, ThreadState ts) {
        String thread = ts.thread.getName().isEmpty() ? "#" + ts.thread.getId() : ts.thread.getName();
        String what = monitor == m ? m.name + ", which" : monitor.displayName() + ", whose space";
        String msg = "Re-entering " + what + " thread " + thread + " holds further out on its own stack ("
                + ts.monitors.chainFrom(m) + " → " + monitor.displayName() + "): the outer call is mid-way and its "
                + "invariants may not hold. Move the inner call out of the outer monitor method, or run it inside "
                + "Monitor.leave(...)";
        long id = ts.thread.getId();
        return new DeadlockException(msg, java.util.List.of(
                new DeadlockException.Link(thread, id, m.name, monitor.displayName())));
    }

    /** Checks argument {@code position} (1-based) of {@code method}. */
    public static void checkArgument(Object value, String method, int position) {
        if (value == null || ShareRules.alwaysShareable(value.getClass())) {
            return;
        }
        String why = ShareRules.whyNot(value);
        if (why != null) {
            throw new UnshareableException(method + ": argument " + position + " (" + value.getClass().getName()
                    + ") is not shareable: " + why);
        }
    }

    /** Checks the value {@code method} returns. */
    public static void checkResult(Object value, String method) {
        if (value == null || ShareRules.alwaysShareable(value.getClass())) {
            return;
        }
        String why = ShareRules.whyNot(value);
        if (why != null) {
            throw new UnshareableException(method + ": return value (" + value.getClass().getName()
                    + ") is not shareable: " + why);
        }
    }

    /** @return the exception a class proxy throws for a public method that is not a monitor method */
    public static IllegalStateException notMonitorMethod(String method) {
        return new IllegalStateException(method + " is not a @MonitorMethod, so it cannot be called on the monitor "
                + "(a monitor has no unlocked path to its state): annotate it @MonitorMethod, or call it from "
                + "inside a monitor method of the target");
    }

    /** @return the proxy's {@code toString}: the monitor's name, without touching its state */
    public static String name(MonitorLock m) {
        return m.name;
    }
}
