package org.safethread.internal.monitor;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentHashMap;

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
 *   <li>A map from the target, held weakly and compared by identity (no user {@code equals} or
 *       {@code hashCode} runs), to the first monitor's name and weak references to its proxy and
 *       to the lock of its space (never strong ones: the lock refers to the proxy, the proxy to
 *       the target, so the map would keep them all).
 *       A target whose monitor was collected may get a new one: the entry is replaced when its
 *       proxy reference is clear. Entries of collected targets are expunged from the reference
 *       queue on each claim.</li>
 *   <li>Claims are atomic ({@code putIfAbsent}, then {@code replace} of a stale entry): of two
 *       threads wrapping one target at once, exactly one succeeds.</li>
 *   <li>Claimed after the proxy was made (and before it is returned): a refused target has no
 *       entry, and a refusal of the second claim leaves only an unpublished proxy behind.</li>
 *   <li>Cost: one weak reference and one map entry per monitor, paid in {@code Monitor.of}, never
 *       on a call.</li>
 * </ul>
 */
final class GuardedTargets {
    private static final ReferenceQueue<Object> COLLECTED = new ReferenceQueue<>();
    private static final ConcurrentHashMap<Key, Guard> GUARDS = new ConcurrentHashMap<>();

    private GuardedTargets() {
    }

    /**
     * Records that {@code proxy}, with lock {@code lock}, guards {@code target}.
     *
     * @throws IllegalArgumentException if another live monitor outside {@code lock}'s space
     *     already guards {@code target}
     */
    static void claim(Object target, Object proxy, MonitorLock lock, String op) {
        expunge();
        Key key = new Key(target);
        Guard mine = new Guard(proxy, lock);
        for (;;) {
            Guard prior = GUARDS.putIfAbsent(key, mine);
            if (prior == null) {
                return;
            }
            if (prior.proxy.get() == null) {
                if (GUARDS.replace(key, prior, mine)) {
                    return; // the earlier monitor was collected: this one guards the target now
                }
                continue;
            }
            key.clear(); // not entered: nothing to expunge later
            if (prior.space.get() == lock.space) {
                return; // same space, same lock: still one thread inside at a time
            }
            throw new IllegalArgumentException(op + ": this " + target.getClass().getName() + " is already "
                    + "guarded by monitor " + prior.name + "; a second monitor would have a lock of its own, and "
                    + "two threads could be inside the same object at once. Use " + prior.name + " (keep the "
                    + "monitor, not the object); for another interface of the same object, make both monitors "
                    + "in one MonitorSpace, which share its lock");
        }
    }

    private static void expunge() {
        Object k;
        while ((k = COLLECTED.poll()) != null) {
            GUARDS.remove(k);
        }
    }

    /**
     * The first monitor of a target: weakly (a lock refers to its proxy and the proxy to the
     * target, so a strong reference here would keep every monitor ever made).
     */
    private static final class Guard {
        final WeakReference<Object> proxy;
        final WeakReference<MonitorLock> space;
        final String name;

        Guard(Object proxy, MonitorLock lock) {
            this.proxy = new WeakReference<>(proxy);
            this.space = new WeakReference<>(lock.space);
            this.name = lock.displayName();
        }
    }

    /** A target, weakly, compared by identity. */
    private static final class Key extends WeakReference<Object> {
        private final int hash;

        Key(Object target) {
            super(target, COLLECTED);
            this.hash = System.identityHashCode(target);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            if (o == this) {
                return true;
            }
            if (!(o instanceof Key)) {
                return false;
            }
            Object mine = get();
            return mine != null && mine == ((Key) o).get();
        }
    }
}
