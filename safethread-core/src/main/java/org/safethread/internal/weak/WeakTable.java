package org.safethread.internal.weak;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.safethread.internal.refcount.Binding;
import org.safethread.internal.refcount.CountFields;
import org.safethread.RefCounted;
import org.safethread.internal.finalizer.CoreRules;
import org.safethread.internal.finalizer.ReachWalk;
import org.safethread.internal.refcount.Extras;
import org.safethread.internal.refcount.RefCounts;
import org.safethread.internal.runtime.Housekeeper;
import org.safethread.internal.share.ShareRules;
import org.safethread.UnshareableException;

/**
 * The machinery behind {@code WeakKeyMap}.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li><b>Counted keys</b> keep their entries themselves: each entry is a binding in the key's
 *       Extras (a copy-on-write array, one slot per map the key is in). A lookup reads the
 *       key's Extras and array (volatile reads, no lock, no hashing) and then the key's word, so
 *       no entry is ever returned for a dead key, even between its DEAD CAS and death processing
 *       ({@code RefCounts.isAliveSettled}). Every change to a counted key's entries holds the
 *       key's Extras lock, after checking that the key's bindings are not closed and after
 *       {@code RefCounts.touchForBindings}: so a collection that read the key's bindings before
 *       the change cannot kill the key on that stale view (TOUCHED), a change never lands after
 *       death processing closed the bindings (it would leak the value), and death processing
 *       (which closes the bindings under the same lock) releases every entry added before it.
 *       Removal at death is then: one lock, one array read, the value's release.</li>
 *   <li><b>Other keys</b> live in a {@link ConcurrentHashMap} from {@link WeakKey} to entry,
 *       looked up with an identity probe ({@link Lookup}): no lock, no user code. An entry leaves
 *       the table by one atomic {@code remove(key, entry)} or {@code replace(key, entry, next)};
 *       whichever succeeds owns the entry's value and releases it (reaping:
 *       {@link ValueSlots#releaseAtDeath}; {@code remove}/{@code put}: {@link ValueSlots#unhold},
 *       handing the value back).</li>
 *   <li><b>Plain keys</b> are removed by the housekeeper when the JVM enqueues their
 *       {@link WeakKey}; {@code put} refuses a value that reaches its key (it would keep the key
 *       strongly reachable for ever: the {@code WeakHashMap} leak), using the core reachability
 *       walk ({@code CoreRules}).</li>
 * </ul>
 */
public final class WeakTable {
    /** Entries of keys that are not RefCounted. */
    private final ConcurrentHashMap<Object, Entry> map = new ConcurrentHashMap<>();
    /** Entries of RefCounted keys (they live on their keys). */
    private final LongAdder counted = new LongAdder();

    /** @return the value mapped to {@code key} (identity), or null */
    public Object get(Object key) {
        if (key instanceof RefCounted) {
            RefCounted k = (RefCounted) key;
            Entry e = bindingOf(CountFields.extrasVolatile(k));
            if (e == null || !RefCounts.isAliveSettled(k)) {
                return null; // none, or dead: death processing is about to release it
            }
            return e.value;
        }
        Entry e = map.get(new Lookup(key));
        return e == null ? null : e.value;
    }

    /** @return this table's entry among a counted key's bindings, or null */
    private Entry bindingOf(Extras ex) {
        Binding[] bs = ex == null ? null : ex.bindings();
        if (bs != null) {
            for (Binding b : bs) {
                if (b instanceof Entry && ((Entry) b).table == this) {
                    return (Entry) b;
                }
            }
        }
        return null;
    }

    /** @return the number of entries */
    public int size() {
        long n = map.size() + counted.sum();
        return n > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) n;
    }

    /** A counted key's entry was released by the key's death or loss. */
    void countedGone() {
        counted.decrement();
    }

    /**
     * Maps {@code key} to {@code value}.
     *
     * @return the previous value (for a RefCounted value, the map's reference to it was released,
     *     so it is borrowed), or null
     */
    public Object put(Object key, Object value) {
        if (!ShareRules.isShareable(value)) { // one cached class lookup for always-shareable classes
            throw new UnshareableException("WeakKeyMap.put: value (" + value.getClass().getName()
                    + ") is not shareable: " + ShareRules.whyNot(value));
        }
        if (key instanceof RefCounted) {
            return putCounted((RefCounted) key, value);
        }
        String path;
        try {
            path = CoreRules.reaches(value, key);
        } catch (ReachWalk.Unverifiable e) {
            throw new IllegalArgumentException("WeakKeyMap.put: cannot verify that the value does not reach its key "
                    + "(a " + key.getClass().getName() + "): " + e.path + " " + e.reason + "; a value that reached "
                    + "its key would keep it from being collected for ever (the WeakHashMap leak)");
        }
        if (path != null) {
            throw new IllegalArgumentException("WeakKeyMap.put: the value reaches its key (a "
                    + key.getClass().getName() + ") through " + path + ", so the key could never be collected "
                    + "and the entry would stay for ever (the WeakHashMap leak); for an object that is not "
                    + "RefCounted, keep in the value only what does not lead back to the key");
        }
        Housekeeper.ensureStarted(); // drains the reference queue
        ValueSlots.hold(value);
        Lookup probe = new Lookup(key);
        for (;;) {
            Entry old = map.get(probe);
            if (old == null) {
                WeakKey wk = new WeakKey(key, this);
                if (map.putIfAbsent(wk, new Entry(this, wk, value, false)) == null) {
                    return null;
                }
                continue;
            }
            if (map.replace(old.key, old, new Entry(this, old.key, value, false))) {
                ValueSlots.unhold(old.value);
                return old.value;
            }
        }
    }

    private Object putCounted(RefCounted key, Object value) {
        ValueSlots.hold(value);
        Extras ex = RefCounts.extrasOrCreate(key);
        Entry old = null;
        boolean dead = false;
        ex.lockBindings();
        try {
            if (ex.bindingsClosed() || !RefCounts.touchForBindings(key)) {
                dead = true;
            } else {
                old = bindingOf(ex);
                Entry fresh = new Entry(this, null, value, true);
                if (old != null) {
                    ex.replaceBinding(old, fresh);
                } else {
                    // Counted first, uncounted again if adding fails (a StackOverflowError in the
                    // array copy, say): a binding is never left out of size(). The undo runs at the
                    // stack depth where the increment just succeeded.
                    counted.increment();
                    try {
                        ex.addBinding(fresh);
                    } catch (Throwable t) {
                        counted.decrement();
                        throw t;
                    }
                }
            }
        } finally {
            ex.unlockBindings();
        }
        if (dead) {
            ValueSlots.unhold(value);
            throw new IllegalStateException("WeakKeyMap.put: the key (a " + key.getClass().getName()
                    + ") is dead, so its entry would be removed at once; put only live keys");
        }
        if (old == null) {
            return null;
        }
        ValueSlots.unhold(old.value);
        return old.value;
    }

    /**
     * Removes {@code key}'s entry.
     *
     * @return the value it had (for a RefCounted value, borrowed), or null
     */
    public Object remove(Object key) {
        if (key instanceof RefCounted) {
            RefCounted k = (RefCounted) key;
            Extras ex = CountFields.extrasVolatile(k);
            if (ex == null) {
                return null; // never had an entry in any map
            }
            Entry old = null;
            ex.lockBindings();
            try {
                if (!ex.bindingsClosed() && RefCounts.touchForBindings(k)) {
                    old = bindingOf(ex);
                    if (old != null) {
                        counted.decrement(); // as in putCounted: the count never lags the bindings
                        try {
                            ex.removeBinding(old);
                        } catch (Throwable t) {
                            counted.increment();
                            throw t;
                        }
                    }
                }
            } finally {
                ex.unlockBindings();
            }
            if (old == null) {
                return null;
            }
            ValueSlots.unhold(old.value);
            return old.value;
        }
        Lookup probe = new Lookup(key);
        for (;;) {
            Entry old = map.get(probe);
            if (old == null) {
                return null;
            }
            if (map.remove(old.key, old)) {
                ValueSlots.unhold(old.value);
                return old.value;
            }
        }
    }

    /** Housekeeper: {@code wk}'s referent was collected; drop its entry, releasing the value. */
    void reaped(WeakKey wk) {
        Entry e = map.get(wk);
        if (e != null && e.key == wk && map.remove(wk, e)) {
            ValueSlots.releaseAtDeath(e.value);
        }
    }
}
