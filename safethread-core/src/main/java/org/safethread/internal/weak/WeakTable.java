package org.safethread.internal.weak;

import java.util.concurrent.ConcurrentHashMap;
import org.safethread.RefCounted;
import org.safethread.internal.finalizer.CoreRules;
import org.safethread.internal.refcount.Extras;
import org.safethread.internal.refcount.RefCounts;
import org.safethread.internal.runtime.Housekeeper;
import org.safethread.internal.share.ShareRules;
import org.safethread.UnshareableException;

/**
 * The machinery behind {@code WeakKeyMap}: a concurrent hash table from weak identity keys to
 * immutable {@link Entry}s.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li><b>Reads</b> are a {@link ConcurrentHashMap} lookup with an identity probe
 *       ({@link Lookup}): no lock, no user code. For a counted key the key's word is read too,
 *       so no entry is ever returned for a dead key, even in the moment between its DEAD CAS and
 *       death processing removing the entry ({@code RefCounts.isAliveSettled}).</li>
 *   <li><b>Exactly-once removal.</b> An entry leaves the table by one atomic
 *       {@code remove(key, entry)} or {@code replace(key, entry, next)}; whichever succeeds owns
 *       the entry's value and releases it (death and reaping: {@link ValueSlots#releaseAtDeath};
 *       {@code remove}/{@code put}: {@link ValueSlots#unhold}, handing the value back).</li>
 *   <li><b>Counted keys.</b> Every change to a counted key's entries (table and binding list
 *       together) is made holding the key's Extras lock, after checking that the key's bindings
 *       are not closed and after {@code RefCounts.touchForBindings}: so a collection that read
 *       the key's bindings before the change cannot kill the key on that stale view (TOUCHED),
 *       a change never lands after death processing closed the bindings (it would leak the
 *       value), and death processing (which closes the bindings under the same lock) removes
 *       every entry that was added before it.</li>
 *   <li><b>Plain keys</b> are removed by the housekeeper when the JVM enqueues their
 *       {@link WeakKey}; {@code put} refuses a value that reaches its key (it would keep the key
 *       strongly reachable for ever: the {@code WeakHashMap} leak), using the core reachability
 *       walk ({@code CoreRules}).</li>
 * </ul>
 */
public final class WeakTable {
    private final ConcurrentHashMap<Object, Entry> map = new ConcurrentHashMap<>();

    /** @return the value mapped to {@code key} (identity), or null */
    public Object get(Object key) {
        Entry e = map.get(new Lookup(key));
        if (e == null) {
            return null;
        }
        if (e.counted && !RefCounts.isAliveSettled((RefCounted) key)) {
            return null; // dead: death processing is about to remove it
        }
        return e.value;
    }

    /** @return the number of entries */
    public int size() {
        return map.size();
    }

    /**
     * Maps {@code key} to {@code value}.
     *
     * @return the previous value (for a RefCounted value, the map's reference to it was released,
     *     so it is borrowed), or null
     */
    public Object put(Object key, Object value) {
        String why = ShareRules.whyNot(value);
        if (why != null) {
            throw new UnshareableException("WeakKeyMap.put: value (" + value.getClass().getName()
                    + ") is not shareable: " + why);
        }
        if (key instanceof RefCounted) {
            return putCounted((RefCounted) key, value);
        }
        String path = CoreRules.reaches(value, key);
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
                old = map.get(new Lookup(key));
                WeakKey wk = old != null ? old.key : new WeakKey(key, this);
                Entry fresh = new Entry(this, wk, value, true);
                if (old != null) {
                    ex.removeBinding(old);
                    if (!map.replace(wk, old, fresh)) {
                        old = null; // not reached: every change to this key's entries holds this lock
                        map.put(wk, fresh);
                    }
                } else {
                    map.put(wk, fresh);
                }
                ex.addBinding(fresh);
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
        Lookup probe = new Lookup(key);
        if (key instanceof RefCounted) {
            RefCounted k = (RefCounted) key;
            Extras ex = RefCounts.extras(k);
            if (ex == null) {
                return null; // never had an entry in any map
            }
            Entry old = null;
            ex.lockBindings();
            try {
                if (!ex.bindingsClosed() && RefCounts.touchForBindings(k)) {
                    old = map.get(probe);
                    if (old != null && map.remove(old.key, old)) {
                        ex.removeBinding(old);
                    } else {
                        old = null;
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

    /** @return whether {@code e} was still in the table and is now removed (by the caller) */
    boolean removeExact(Entry e) {
        return map.remove(e.key, e);
    }

    /** Housekeeper: {@code wk}'s referent was collected; drop its entry, releasing the value. */
    void reaped(WeakKey wk) {
        Entry e = map.get(wk);
        if (e != null && e.key == wk && map.remove(wk, e)) {
            ValueSlots.releaseAtDeath(e.value);
        }
    }
}
