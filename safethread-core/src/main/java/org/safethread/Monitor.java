package org.safethread;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.safethread.internal.metrics.Jmx;
import org.safethread.internal.monitor.Conditions;
import org.safethread.internal.monitor.MonitorAccess;
import org.safethread.internal.monitor.Monitors;
import org.jspecify.annotations.Nullable;

/**
 * Monitors: objects whose state one thread at a time may touch, with values that cross the
 * monitor's wall checked for {@linkplain Shareability shareability}, deadlocks between monitors
 * detected and broken, and conditions that are predicates.
 *
 * <pre>{@code
 * class Account {
 *     private long balance;
 *     @MonitorMethod public void deposit(long amount) { balance += amount; }
 *     @MonitorMethod public void withdrawWhenCovered(long amount) throws InterruptedException {
 *         Monitor.await(() -> balance >= amount);   // releases the monitor while waiting
 *         balance -= amount;
 *     }
 * }
 * Account account = Monitor.of(new Account());   // from now on, use only the proxy
 * }</pre>
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li><b>One thread inside at a time.</b> A call of a {@link MonitorMethod} (class proxy) or
 *       of any method of the interface (interface proxy) runs holding the monitor. A class proxy
 *       takes over every method the JVM's virtual dispatch can reach (bridge methods, covariant
 *       overrides, inherited implementations and default methods included); one that is not a
 *       monitor method, of any visibility, throws {@link IllegalStateException}.
 *       {@code equals}/{@code hashCode} are the proxy's identity and {@code toString} is the
 *       monitor's name ({@code Account#3}), without touching its state. A class proxy is never
 *       finalized (the target's {@code finalize}, if any, runs once, on the target) and cannot
 *       be cloned.</li>
 *   <li><b>No state outside the monitor's methods.</b> A class proxy is a subclass with its own
 *       never-initialised copy of every field; so that no field access through the monitor
 *       reference reads or writes that copy silently, {@link #of(Object)} refuses non-private
 *       instance fields, and private fields or methods that code of the class's nest reaches
 *       through a reference that may be the monitor (anything but {@code this} or an object that
 *       code created with {@code new}).</li>
 *   <li><b>Shareability at the wall.</b> Arguments are checked before the monitor is entered: a
 *       call refused for an argument did not run and changed nothing. Results are checked after
 *       the method ran, before the monitor is left: a call refused for its result has run, and
 *       its effects stay. An unshareable value raises {@link UnshareableException}. Exceptions
 *       pass through unchecked.</li>
 *   <li><b>{@code this} is the monitor.</b> A monitor method that returns its own target
 *       ({@code return this;}) returns the monitor, and one that passes its target to another
 *       monitor's method ({@code registry.register(this)}) passes the monitor, as
 *       python-safethread's {@code self} is the monitor. Where the monitor is not an instance of
 *       the declared type (an interface proxy whose method is declared to return the concrete
 *       class), the call is refused with {@link UnshareableException} saying so.</li>
 *   <li><b>Re-entry.</b> A monitor method may call a monitor method of its own monitor (direct
 *       re-entry of the innermost monitor). Entering a monitor that the thread holds further out
 *       on its stack (A &rarr; B &rarr; A) throws {@link DeadlockException} at once.</li>
 *   <li><b>Deadlocks</b> among threads blocked entering monitors are detected when the cycle
 *       closes and broken by throwing {@link DeadlockException} to one of them (the victim), whose
 *       outer calls then unwind. Condition waits ({@link #await}) and {@link #leave} actions are
 *       not part of the wait-for graph.</li>
 *   <li>Entering a monitor never pins a virtual thread: the lock parks with
 *       {@link java.util.concurrent.locks.LockSupport}.</li>
 * </ul>
 *
 * <h2>Memory consistency</h2>
 * Actions inside one call of a monitor happen-before actions inside every later call of the same
 * monitor (by any thread), as with a {@code java.util.concurrent} lock. Actions before
 * {@link #await} returns happen-after the actions of the call whose exit made the condition
 * true.
 *
 * <p>The target's class (or interface) must be accessible to this library: on the class path
 * nothing is needed; in a named module, open its package to {@code org.safethread}.
 */
public final class Monitor {
    static {
        Jmx.registerIfEnabled(); // safethread.jmx=true: the MXBean appears at first use of the library
    }

    private Monitor() {
    }

    /**
     * Wraps {@code target} in a class proxy: a generated subclass of its class whose
     * {@link MonitorMethod}s run inside the monitor. Use only the proxy from now on.
     *
     * <p>The class proxy is defined once per class. Deciding whether it can be made reads the
     * class files of the class's hierarchy and nest (the bridge methods' callees, and every
     * access to private members); this happens once, at the first {@code of} of a class.
     *
     * @param target the object to guard; its class must be non-final, with at least one
     *     {@code @MonitorMethod}, no non-private final method, no non-private instance field
     * @param <T> the target's type
     * @return the monitor
     * @throws NullPointerException if {@code target} is null
     * @throws IllegalArgumentException if the target cannot be guarded (the message says why
     *     and what to do, naming the method or field): already a monitor, a final or
     *     sealed class, no monitor methods, a non-private final method, a package-private
     *     method inherited from another package, a {@code @MonitorMethod} that is static,
     *     private, final or {@code finalize}, a non-private instance field, a private member that
     *     code of the class's nest reaches through a reference that may be the monitor
     */
    public static <T> T of(T target) {
        Objects.requireNonNull(target, "Monitor.of: target (the object the monitor should guard) is null");
        if (isMonitor(target)) {
            throw new IllegalArgumentException("Monitor.of: " + target + " already is a monitor; use it as it is");
        }
        return Monitors.classProxy(target);
    }

    /**
     * Wraps {@code target} in an interface proxy: a generated implementation of {@code iface}
     * whose every method runs inside the monitor. Use this for final classes, records of
     * behaviour, and {@link RefCounted} objects.
     *
     * @param target the object to guard; must implement {@code iface}
     * @param iface the interface whose methods the monitor exposes
     * @param <I> the interface type
     * @return the monitor
     * @throws NullPointerException if {@code target} or {@code iface} is null
     * @throws IllegalArgumentException if {@code target} is already a monitor, or does not
     *     implement {@code iface}, or {@code iface} is not an interface
     */
    public static <I> I of(I target, Class<I> iface) {
        Objects.requireNonNull(target, "Monitor.of: target (the object the monitor should guard) is null");
        Objects.requireNonNull(iface, "Monitor.of(target, iface): iface is null");
        if (isMonitor(target)) {
            throw new IllegalArgumentException("Monitor.of: " + target + " already is a monitor; use it as it is");
        }
        if (!iface.isInstance(target)) {
            throw new IllegalArgumentException("Monitor.of(target, " + iface.getName() + "): "
                    + target.getClass().getName() + " does not implement " + iface.getName());
        }
        return iface.cast(Monitors.interfaceProxy(target, iface));
    }

    /**
     * @param o any object, or null
     * @return whether {@code o} is a monitor made by {@link #of}
     */
    public static boolean isMonitor(@Nullable Object o) {
        return MonitorAccess.isMonitor(o);
    }

    /**
     * Inside a monitor method: waits until {@code condition} holds. If it already holds, returns
     * at once. Otherwise releases the monitor, and returns holding it again once a monitor method
     * of the same monitor has returned (or another waiter released it) with the condition true.
     * When it returns normally the condition is true; no loop is needed. Waiters whose condition
     * holds are woken one at a time, oldest first.
     *
     * <p>The condition is evaluated holding the monitor, by whichever thread releases it, so it
     * must be a side-effect-free test of the monitor's state (it may throw; the exception is then
     * thrown from this call, monitor held). A condition that would wait to enter another monitor
     * held by a thread waiting on one of this monitor's conditions is refused at once: that
     * waiter can release it only after getting this monitor back, which the evaluating thread
     * holds; the refusal is a {@link DeadlockException} thrown from this call.
     *
     * @param condition a test of the monitor's state
     * @throws NullPointerException if {@code condition} is null
     * @throws InterruptedException if interrupted while waiting (the monitor is held again)
     * @throws IllegalStateException if called outside a monitor method, inside a condition, or on
     *     a monitor pinned by an open {@link Branch} of this thread
     * @throws DeadlockException if the condition's call into another monitor was refused as above
     *     (the monitor is held)
     * @throws CancelledException in a child thread whose {@link Branch} is cancelled (the monitor
     *     is held)
     */
    public static void await(BooleanSupplier condition) throws InterruptedException {
        Objects.requireNonNull(condition, "Monitor.await: condition is null");
        Conditions.await(condition, 0L, false);
    }

    /**
     * Like {@link #await(BooleanSupplier)}, giving up after {@code timeout}.
     *
     * @param condition a test of the monitor's state
     * @param timeout the longest time to wait
     * @return whether the condition holds (false if the timeout passed first); the monitor is held
     * @throws NullPointerException if {@code condition} or {@code timeout} is null
     *     either way
     * @throws InterruptedException if interrupted while waiting (the monitor is held again)
     * @throws IllegalStateException if called outside a monitor method, inside a condition, or on
     *     a monitor pinned by an open {@link Branch} of this thread
     * @throws DeadlockException if the condition's call into another monitor was refused (see
     *     {@link #await(BooleanSupplier)}; the monitor is held)
     * @throws CancelledException in a child thread whose {@link Branch} is cancelled (the monitor
     *     is held)
     */
    public static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(condition, "Monitor.await: condition is null");
        Objects.requireNonNull(timeout, "Monitor.await: timeout is null");
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE;
        }
        return Conditions.await(condition, nanos, true);
    }

    /**
     * Inside a monitor method: releases the monitor while {@code action} runs (blocking I/O,
     * calls into other monitors), then re-enters it before returning, also when the action
     * throws. Other threads may enter the monitor meanwhile, so re-check any state read before.
     *
     * @param action what to run outside the monitor
     * @param <R> the result type
     * @return the action's result, which must be shareable
     * @throws NullPointerException if {@code action} is null
     * @throws IllegalStateException if called outside a monitor method, inside a {@link #await}
     *     condition, or on a monitor pinned by an open {@link Branch} of this thread
     * @throws UnshareableException if the result is not shareable
     */
    public static <R extends @Nullable Object> R leave(Supplier<R> action) {
        Objects.requireNonNull(action, "Monitor.leave: action is null");
        return Conditions.leave(action);
    }
}
