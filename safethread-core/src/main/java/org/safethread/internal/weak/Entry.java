package org.safethread.internal.weak;

import org.safethread.internal.refcount.Binding;

/**
 * One entry of a weak-keyed map: immutable (a new value is a new entry). For a counted key it is
 * also a {@link Binding} of the key: the collector traces its value as a slot of the key, and the
 * key's death removes it. Which operation removed an entry is decided by the table's atomic
 * {@code remove(key, entry)} / {@code replace(key, entry, next)}: exactly one succeeds, and only
 * that one releases the value.
 */
final class Entry extends Binding {
    final WeakTable table;
    final WeakKey key;
    final Object value;
    /** Whether the key is a RefCounted (then the entry is on the key's binding list). */
    final boolean counted;

    Entry(WeakTable table, WeakKey key, Object value, boolean counted) {
        this.table = table;
        this.key = key;
        this.value = value;
        this.counted = counted;
    }

    @Override
    public void traceSlots(SlotVisitor visitor) {
        ValueSlots.trace(value, visitor);
    }

    /** Death processing of the key: gone from the table, and what the value held released. */
    @Override
    public void keyDied() {
        if (table.removeExact(this)) {
            ValueSlots.releaseAtDeath(value);
        }
    }
}
