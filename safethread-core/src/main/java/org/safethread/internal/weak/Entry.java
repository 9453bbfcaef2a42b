package org.safethread.internal.weak;

import org.safethread.internal.refcount.Binding;

/**
 * One entry of a weak-keyed map: immutable (a new value is a new entry).
 * <ul>
 *   <li>For a counted key it lives only on the key: it is a {@link Binding} in the key's Extras
 *       (no table slot, no {@link WeakKey}). The collector traces its value as a slot of the key;
 *       the key's death (or the leak path) calls {@link #keyDied} exactly once, after the binding
 *       list was closed; {@code remove} and replacement take it off the list under the key's
 *       lock. Whichever of these takes it off releases the value.</li>
 *   <li>For any other key it lives in the table under its {@link WeakKey}; the table's atomic
 *       {@code remove(key, entry)} / {@code replace(key, entry, next)} decides which operation
 *       removed it (exactly one succeeds, and only that one releases the value).</li>
 * </ul>
 */
final class Entry extends Binding {
    final WeakTable table;
    final WeakKey key;
    final Object value;
    /** Whether the key is a RefCounted (then the entry is on the key's binding list only). */
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

    /** Death processing of the (counted) key: the entry is gone; what the value held is released. */
    @Override
    public void keyDied() {
        table.countedGone();
        ValueSlots.releaseAtDeath(value);
    }
}
