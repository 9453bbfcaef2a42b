package org.safethread;

import java.util.Objects;
import org.safethread.internal.monitor.MonitorAccess;
import org.safethread.internal.monitor.MonitorLock;
import org.safethread.internal.monitor.Monitors;
import org.jspecify.annotations.Nullable;

/**
 * Several monitors behind one lock: python-safethread's monitor spaces. Objects that are always
 * used together (the accounts of one bank, the nodes of one graph) can live in one space; a call
 * from one into another then takes no second lock, so no deadlock can form between them.
 *
 * <pre>{@code
 * MonitorSpace bank = MonitorSpace.create("bank");
 * Account a = bank.monitor(new Account());
 * Account b = bank.monitor(new Account());
 * a.transferTo(b, 10);    // inside a's method, b.deposit(10) is a direct re-entry of the space
 * }</pre>
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li><b>One thread inside a space at a time.</b> Every monitor of a space is guarded by the
 *       space's one lock: while a thread runs a monitor method of any of them, no other thread
 *       runs one of any of them.</li>
 *   <li><b>Direct re-entry.</b> A call from a monitor method into another monitor of the space
 *       that the thread holds innermost takes no lock and makes no deadlock check (as a monitor
 *       calling its own methods); arguments and results are still checked for shareability.</li>
 *   <li><b>Re-entering a space held further out</b> (A &rarr; a monitor of another space &rarr; B
 *       of A's space) throws {@link DeadlockException} at once, as re-entering a single monitor
 *       held further out does: the outer call is mid-way.</li>
 *   <li><b>Conditions.</b> The {@link Monitor#await} conditions of every monitor in a space are
 *       re-evaluated when the space is released (its outermost monitor call returns, or a thread
 *       awaits or leaves), oldest waiter first; so a condition on B wakes after a method of A
 *       changed B's state.</li>
 *   <li><b>Deadlocks</b> between spaces are detected and broken as between monitors; messages
 *       name the monitor and its space ("Account#3 in space bank").</li>
 *   <li>{@link Monitor#of} makes a monitor that is a space of its own.</li>
 * </ul>
 *
 * <p>A {@code MonitorSpace} is shareable: it is an immutable handle. Two handles are equal when
 * they name the same space. Memory consistency is as for a single monitor, over the whole space:
 * actions inside a call of any monitor of the space happen-before actions inside every later call
 * of any monitor of it.
 */
@Shareable
public final class MonitorSpace {
    private final MonitorLock lock;

    private MonitorSpace(MonitorLock lock) {
        this.lock = lock;
    }

    /**
     * Creates an empty space.
     *
     * @param name names the space in messages and tools ("Account#3 in space bank")
     * @return the space
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public static MonitorSpace create(String name) {
        Objects.requireNonNull(name, "MonitorSpace.create: name is null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("MonitorSpace.create: name is blank; give the space a name that "
                    + "messages can show");
        }
        return new MonitorSpace(Monitors.newSpace(name));
    }

    /**
     * The space of a monitor: the one it was made in with {@link #monitor}, or, for a monitor made
     * with {@link Monitor#of}, its own space of one (to which more monitors can then be added).
     *
     * @param monitor a monitor
     * @return its space
     * @throws NullPointerException if {@code monitor} is null
     * @throws IllegalArgumentException if {@code monitor} is not a monitor
     */
    public static MonitorSpace of(Object monitor) {
        Objects.requireNonNull(monitor, "MonitorSpace.of: monitor is null");
        if (!MonitorAccess.isMonitor(monitor)) {
            throw new IllegalArgumentException("MonitorSpace.of: a " + monitor.getClass().getName()
                    + " is not a monitor; pass a monitor made by Monitor.of or MonitorSpace.monitor");
        }
        return new MonitorSpace(MonitorAccess.lockOf(monitor).space);
    }

    /**
     * Wraps {@code target} in a class proxy, as {@link Monitor#of(Object)} does, guarded by this
     * space's lock.
     *
     * @param target the object to guard (the same requirements as {@link Monitor#of(Object)})
     * @param <T> the target's type
     * @return the monitor
     * @throws NullPointerException if {@code target} is null
     * @throws IllegalArgumentException if the target cannot be guarded (the message says why)
     */
    public <T> T monitor(T target) {
        Objects.requireNonNull(target, "MonitorSpace.monitor: target (the object the monitor should guard) is null");
        if (MonitorAccess.isMonitor(target)) {
            throw new IllegalArgumentException("MonitorSpace.monitor: " + target + " already is a monitor (of "
                    + MonitorAccess.lockOf(target).displayName() + "); a monitor belongs to one space");
        }
        return Monitors.classProxy(target, lock);
    }

    /**
     * Wraps {@code target} in an interface proxy, as {@link Monitor#of(Object, Class)} does,
     * guarded by this space's lock.
     *
     * @param target the object to guard; must implement {@code iface}
     * @param iface the interface whose methods the monitor exposes
     * @param <I> the interface type
     * @return the monitor
     * @throws NullPointerException if {@code target} or {@code iface} is null
     * @throws IllegalArgumentException as {@link Monitor#of(Object, Class)}
     */
    public <I> I monitor(I target, Class<I> iface) {
        Objects.requireNonNull(target, "MonitorSpace.monitor: target (the object the monitor should guard) is null");
        Objects.requireNonNull(iface, "MonitorSpace.monitor(target, iface): iface is null");
        if (MonitorAccess.isMonitor(target)) {
            throw new IllegalArgumentException("MonitorSpace.monitor: " + target + " already is a monitor; a monitor "
                    + "belongs to one space");
        }
        if (!iface.isInstance(target)) {
            throw new IllegalArgumentException("MonitorSpace.monitor(target, " + iface.getName() + "): "
                    + target.getClass().getName() + " does not implement " + iface.getName());
        }
        return iface.cast(Monitors.interfaceProxy(target, iface, lock));
    }

    /** @return the space's name ("bank"; for a monitor's own space, the monitor's name) */
    public String name() {
        return lock.spaceName();
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof MonitorSpace && ((MonitorSpace) o).lock == lock;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(lock);
    }

    /** @return {@code space bank} */
    @Override
    public String toString() {
        return "space " + name();
    }
}
