package org.safethread.internal.weak;

import java.lang.ref.WeakReference;
import org.safethread.internal.finalizer.Reaped;
import org.safethread.internal.finalizer.ReferenceReaper;

/**
 * The stored key of a weak-keyed map entry: a weak reference registered with the runtime's
 * reference queue, so the housekeeper removes the entry soon after the JVM collects the key,
 * without waiting for the map to be used. Hashing and equality are by the referent's identity
 * (never the key's own {@code hashCode}/{@code equals}); once cleared it equals only itself.
 */
final class WeakKey extends WeakReference<Object> implements Reaped {
    final int hash;
    private final WeakTable table;

    WeakKey(Object key, WeakTable table) {
        super(key, ReferenceReaper.queue());
        this.hash = System.identityHashCode(key);
        this.table = table;
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
        if (!(o instanceof WeakKey)) {
            return false;
        }
        Object k = get();
        return k != null && ((WeakKey) o).refersTo(k);
    }

    /** Housekeeper thread: the key was collected. */
    @Override
    public void reaped() {
        table.reaped(this);
    }
}
