package org.safethread.internal.monitor;

import org.safethread.DeadlockException;
import org.safethread.UnshareableException;
import org.safethread.internal.runtime.Settings;
import org.safethread.internal.share.ShareRules;

/**
 * The static entry points that generated monitor proxies call. Public because generated classes
 * live in the target's package; the package is not exported to users (it is exported to a
 * target's module at run time only when that module is named).
 *
 * <p>A proxy method is: check reference arguments, {@link #enter}, call the target, check the
 * result, {@link #exit} (also on exceptions). {@code enter} returns a token: the thread's
 * monitor stack for a fresh entry, null for a direct re-entry of the innermost monitor.
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
        MonitorStack s = MonitorStack.currentPolled();
        if (m.tryEnter(s)) {
            m.setOwner(s.thread);
            s.push(m);
            return s;
        }
        return enterSlow(monitor, m, s);
    }

    private static MonitorStack enterSlow(MonitorLock monitor, MonitorLock m, MonitorStack s) {
        Thread owner = m.ownerThread();
        if (owner == s.thread) {
            if (s.top() == m) {
                m.holds++; // the innermost space: a direct re-entry, from this monitor or another of its space
                return null;
            }
            throw reentry(monitor, m, s);
        }
        if (owner != null && s.isEvaluatingConditions()) {
            MonitorLock evaluated = s.evaluatedMonitorAwaitedBy(owner);
            if (evaluated != null) {
                throw waitOnConditionWaiter(monitor, m, s, owner, evaluated);
            }
        }
        m.lockContended(monitor, s, true, Settings.monitorSpins());
        m.setOwner(s.thread);
        s.push(m);
        return s;
    }

    /** Leaves {@code monitor} entered with {@code token}. */
    public static void exit(MonitorLock monitor, Object token) {
        MonitorLock m = monitor.space;
        if (token == null) {
            m.holds--;
            return;
        }
        MonitorStack s = (MonitorStack) token;
        if (m.hasConditionWaiters()) { // or a branch opened inside this entry is open
            RuntimeException leftOpen = exitSlow(m, s);
            if (leftOpen != null) {
                throw leftOpen;
            }
            return;
        }
        // No condition to evaluate: pop first, then unlock, so that the free lock is re-taken by
        // this thread's next call as soon as possible (the window in which a woken entrant can
        // take it, costing a hand-off and a park, is as short as ReentrantLock's).
        s.pop();
        m.unlock();
    }

    /**
     * Leaves {@code monitor} entered with {@code token} while the monitor method is throwing
     * {@code thrown} (the proxy rethrows it after this returns): as {@link #exit}, but a branch
     * left open is reported as suppressed by {@code thrown} instead of replacing it.
     */
    public static void exitThrowing(MonitorLock monitor, Object token, Throwable thrown) {
        MonitorLock m = monitor.space;
        if (token == null || !m.hasConditionWaiters()) {
            exit(monitor, token);
            return;
        }
        RuntimeException leftOpen = exitSlow(m, (MonitorStack) token);
        if (leftOpen != null && leftOpen != thrown) {
            thrown.addSuppressed(leftOpen);
        }
    }

    /**
     * The full exit with condition waiters to evaluate or branches pinning the entry: drops the
     * pins of branches still open (holding {@code m}: its pin count is holder-only), releases with
     * hand-off, pops, and only then closes those branches (outside {@code m}, so that children
     * waiting to enter it can finish; every monitor this thread still holds was held since before
     * the branches opened, so no child ever held one and every cycle through the close's wait has
     * a child's fresh, abortable entry on it: see {@code BranchCore}'s notes).
     *
     * @return the exception reporting branches left open, or null
     */
    private static RuntimeException exitSlow(MonitorLock m, MonitorStack s) {
        MonitorStack.Pin[] leftOpen = m.hasPins() ? s.takePinsOf(m) : null;
        try {
            m.release(s, null); // conditions that call back re-enter directly: m stays on the stack
        } finally {
            s.pop();
        }
        if (leftOpen == null) {
            return null;
        }
        RuntimeException first = null;
        for (MonitorStack.Pin branch : leftOpen) { // latest opened first
            RuntimeException e = branch.closeAfterEntryExit();
            if (first == null) {
                first = e;
            } else {
                first.addSuppressed(e);
            }
        }
        return first;
    }

    /** Re-acquires {@code m} after an {@code await} or {@code leave}; never a deadlock victim. */
    static void reenter(MonitorLock m, MonitorStack s) {
        if (!m.tryLock(s)) {
            m.lockContended(m, s, false, Settings.monitorSpins());
        }
        m.setOwner(s.thread);
    }

    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; getId() is the same value
    private static DeadlockException reentry(MonitorLock monitor, MonitorLock m, MonitorStack s) {
        String thread = threadName(s.thread);
        String what = monitor == m ? m.name + ", which" : monitor.displayName() + ", whose space";
        String msg = "Re-entering " + what + " thread " + thread + " holds further out on its own stack ("
                + s.chainFrom(m) + " → " + monitor.displayName() + "): the outer call is mid-way and its "
                + "invariants may not hold. Move the inner call out of the outer monitor method, or run it inside "
                + "Monitor.leave(...)";
        long id = s.thread.getId();
        return new DeadlockException(msg, java.util.List.of(
                new DeadlockException.Link(thread, id, m.name, monitor.displayName())));
    }

    /**
     * The refusal of an entry, made while evaluating a {@code Monitor.await} condition of
     * {@code evaluated}, that would wait for {@code m}, held by {@code owner}, a thread waiting
     * on one of {@code evaluated}'s conditions. That is a deadlock that no later event can end:
     * the waiter releases {@code m} only after returning from its wait, which needs
     * {@code evaluated}, and this thread holds {@code evaluated} until the evaluation ends. A
     * timed or interrupted waiter would re-enter {@code evaluated} and close an ordinary cycle,
     * broken with this thread as the victim (a re-entry after {@code await} is never chosen); an
     * untimed one would never wake, and condition waits are not in the wait-for graph (CONTRACT
     * §1). So the entry is refused at once, as a re-entry of a monitor held further out is: the
     * condition is the waiter's code, and from the waiter's point of view it re-enters a monitor
     * it holds further out (or one a waiter with the same condition holds). The exact check:
     * this thread holds {@code evaluated}, so its waiter list is exact; a queued waiter cannot
     * release {@code m} nor take it, so the owner read here (ordered after the waiter's entry by
     * the hand-overs of {@code evaluated} that reached this thread) is exact for it.
     */
    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; getId() is the same value
    private static DeadlockException waitOnConditionWaiter(MonitorLock monitor, MonitorLock m, MonitorStack s,
            Thread owner, MonitorLock evaluated) {
        String thread = threadName(s.thread);
        String waiter = threadName(owner);
        String msg = "Thread " + thread + ", evaluating a Monitor.await condition of " + evaluated.displayName()
                + ", would wait to enter " + monitor.displayName() + ", held by thread " + waiter + ", which waits "
                + "on a condition of " + evaluated.displayName() + ": " + waiter + " cannot return from its wait (and "
                + "release " + monitor.displayName() + ") until it gets " + evaluated.displayName() + " back, which " + thread
                + " holds until the evaluation ends. The entry is refused; " + monitor.displayName() + " was not "
                + "entered and is unchanged, and the condition's waiter gets this exception from Monitor.await. A "
                + "condition should be a side-effect-free test of its own monitor's state: keep what it needs in "
                + "that monitor's fields instead of calling another monitor";
        return new DeadlockException(msg, java.util.List.of(
                new DeadlockException.Link(thread, s.thread.getId(), evaluated.displayName(), monitor.displayName()),
                new DeadlockException.Link(waiter, owner.getId(), monitor.displayName(), evaluated.displayName())));
    }

    private static String threadName(Thread t) {
        @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; getId() is the same value
        long id = t.getId();
        return t.getName().isEmpty() ? "#" + id : t.getName();
    }

    /**
     * Records which proxy {@code lock} guards (once, before the proxy is published: the proxy's
     * final {@code $lock} field then publishes it with the lock).
     */
    public static void bind(MonitorLock lock, Object proxy) {
        lock.proxy = (MonitorProxy) proxy;
    }

    /**
     * Checks argument {@code position} (1-based) of {@code method}, before the monitor is
     * entered: a refused call has not run and changed nothing.
     *
     * @param type the parameter's type, or null where the proxy cannot name it
     * @return the value to pass: {@code value}, or the monitor in place of the target of a
     *     monitor this thread is inside (a monitor method passing {@code this} on)
     * @throws UnshareableException if the value may not cross
     */
    public static Object checkArgument(Object value, Class<?> type, String method, int position) {
        if (value == null || ShareRules.alwaysShareable(value.getClass())) {
            return value;
        }
        String why = ShareRules.whyNot(value);
        if (why == null) {
            return value;
        }
        String what = method + ": argument " + position + " (" + value.getClass().getName() + ")";
        MonitorLock held = heldMonitorOf(value);
        if (held != null) {
            if (type != null && type.isInstance(held.proxy)) {
                return held.proxy;
            }
            throw new UnshareableException(what + " is the target of monitor " + held.name + ", which this thread "
                    + "is inside (the this of its monitor method), and that monitor cannot be passed in its place: "
                    + cannotStandIn(type) + ". Refused before entering the monitor; the method did not run");
        }
        throw new UnshareableException(what + " is not shareable: " + why
                + " (refused before entering the monitor; the method did not run)");
    }

    /**
     * Checks the value {@code method} returned, after it ran and before the monitor is left: a
     * refused result leaves the method's effects in place.
     *
     * @param target the proxy's target
     * @param proxy the proxy
     * @param type the declared return type, or null where the proxy cannot name it
     * @return the value to return: {@code value}, or the monitor in place of its target (a monitor
     *     method returning {@code this}) or of the target of another monitor this thread is inside
     * @throws UnshareableException if the value may not cross
     */
    public static Object checkResult(Object value, Object target, Object proxy, Class<?> type, String method) {
        if (value == target) {
            if (type != null && type.isInstance(proxy)) {
                return proxy;
            }
            throw new UnshareableException(method + ": returned its own target (this, a " + target.getClass().getName()
                    + "), and its monitor " + proxy + " cannot be returned in its place: " + cannotStandIn(type)
                    + ". The method has run; its effects stay, only its result was refused");
        }
        if (value == null || ShareRules.alwaysShareable(value.getClass())) {
            return value;
        }
        String why = ShareRules.whyNot(value);
        if (why == null) {
            return value;
        }
        String what = method + ": return value (" + value.getClass().getName() + ")";
        MonitorLock held = heldMonitorOf(value);
        if (held != null) {
            if (type != null && type.isInstance(held.proxy)) {
                return held.proxy;
            }
            throw new UnshareableException(what + " is the target of monitor " + held.name + ", which this thread "
                    + "is inside, and that monitor cannot be returned in its place: " + cannotStandIn(type)
                    + ". The method has run; its effects stay, only its result was refused");
        }
        throw new UnshareableException(what + " is not shareable: " + why
                + " (the method has run and its effects stay; only its result was refused)");
    }

    private static String cannotStandIn(Class<?> type) {
        return type == null
                ? "the declared type is not accessible to the proxy's package, so the proxy cannot check that the "
                        + "monitor fits it; declare it with a public type, or pass the monitor itself"
                : "the monitor is not a " + type.getName() + " (an interface proxy implements only its interface); "
                        + "declare the type as that interface or a supertype of it, or pass the monitor itself";
    }

    /** @return the monitor this thread is inside whose target is {@code value}, or null */
    private static MonitorLock heldMonitorOf(Object value) {
        return MonitorStack.current().findByTarget(value);
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
