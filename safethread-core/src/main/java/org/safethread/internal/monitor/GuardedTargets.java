package org.safethread.internal.monitor;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentHashMap;
import org.safethread.internal.runtime.Settings;

/**
 * Which objects a monitor guards, so that one object never gets two monitors with two locks.
 *
 * <p>A monitor delegates to its target: {@code Monitor.of(t)} called twice on the same {@code t}
 * made two monitors whose locks are different, and one thread could run a method through each at
 * the same time on the same state — "one thread inside at a time" broken without a word. Now the
 * second is refused, naming the first. Monitors of one space share its lock, so the same target
 * may get several monitors there (one per interface, say).
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li>A set of entries, one per guarded target: each is a weak reference to the first
 *       monitor's lock, hashed by the target's identity hash and compared by the identity of the
 *       targets that the locks' proxies guard (no user {@code equals} or {@code hashCode} runs).
 *       A lock and its proxy refer to each other and the proxy to its target, so the lock is
 *       collected exactly when its monitor is (a strong reference here would keep every monitor
 *       ever made): a target whose monitor was collected may get a new one, and the target
 *       itself is never kept alive. Entries whose lock was collected are expunged from the
 *       reference queue on each claim.</li>
 *   <li>Claims are atomic ({@code putIfAbsent}: an entry whose lock was collected equals no
 *       other, so a live prior entry is the only one found): of two threads wrapping one target
 *       at once, exactly one succeeds.</li>
 *   <li>Claimed after the proxy was made and bound to its lock (and before it is returned): a
 *       refused target has no entry, and a refusal of the second claim leaves only an
 *       unpublished proxy behind.</li>
 *   <li>Monitors of one space share its lock: a second monitor of a target in the first one's
 *       space is allowed and not recorded (the first one's entry stands for the space).</li>
 *   <li>Cost: one weak reference and one map node per monitor, paid in {@code Monitor.of}, never
 *       on a call. Where monitors are made and dropped at a high rate the weak references add up:
 *       {@code MonitorCreationBench} (one thread making monitors as fast as it can) measured about
 *       1 µs per {@code Monitor.of} against 56 ns without the record, most of it the collector
 *       processing a million weak references a second (docs/performance.md, session 8). So the
 *       record can be turned off ({@code safethread.monitor.oneMonitorPerTarget=false}) by a
 *       program that never wraps an object twice.</li>
 * </ul>
 */
final class GuardedTargets {
    private static final ReferenceQueue<MonitorLock> COLLECTED = new ReferenceQueue<>();
    /** The entries (each its own key and value). */
    private static final ConcurrentHashMap<Guard, Guard> GUARDS = new ConcurrentHashMap<>();

    private GuardedTargets() {
    }

    /**
     * Records that the monitor whose lock is {@code lock} (bound to its proxy) guards
     * {@code target}.
     *
     * @throws IllegalArgumentException if another live monitor outside {@code lock}'s space
     *     already guards {@code target}
     */
    static void claim(Object target, MonitorLock lock, String op) {
        if (!Settings.oneMonitorPerTarget()) {
            return;
        }
        expunge();
        Guard mine = new Guard(target, lock);
        for (;;) {
            Guard prior = GUARDS.putIfAbsent(mine, mine);
            if (prior == null) {
                return;
            }
            MonitorLock first = prior.get();
            if (first == null) {
                continue; // collected since the lookup: it equals nothing now, so try again
            }
            mine.clear(); // not entered: nothing to expunge later
            if (first.space == lock.space) {
                return; // same space, same lock: still one thread inside at a time
            }
            throw new IllegalArgumentException(op + ": this " + target.getClass().getName() + " is already "
                    + "guarded by monitor " + first.displayName() + "; a second monitor would have a lock of its "
                    + "own, and two threads could be inside the same object at once. Use " + first.displayName()
                    + " (keep the monitor, not the object); for another interface of the same object, make both "
                    + "monitors in one MonitorSpace, which share its lock");
        }
    }

    private static void expunge() {
        Object g;
        while ((g = COLLECTED.poll()) != null) {
            GUARDS.remove(g);
        }
    }

    /** The first monitor of a target: its lock, weakly; hashed and compared by the target's identity. */
    private static final class Guard extends WeakReference<MonitorLock> {
        private final int hash;

        Guard(Object target, MonitorLock lock) {
            super(lock, COLLECTED);
            this.hash = System.identityHashCode(target);
        }

        /** @return the target the lock's monitor guards, or null once the lock was collected */
        private Object target() {
            MonitorLock lock = get();
            MonitorProxy proxy = lock == null ? null : lock.proxy;
            return proxy == null ? null : proxy.__safethread_target();
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            if (o == this) {
                return true; // the map's own removal of an expunged entry
            }
            if (!(o instanceof Guard)) {
                return false;
            }
            Object mine = target();
            return mine != null && mine == ((Guard) o).target();
        }
    }
}
