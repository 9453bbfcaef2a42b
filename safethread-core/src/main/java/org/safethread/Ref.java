package org.safethread;

import org.safethread.internal.refcount.RefCounts;
import org.jspecify.annotations.Nullable;
import org.safethread.internal.share.ShareRules;

/**
 * A counted, traced reference slot: it holds one reference to a {@link RefCounted} object (or
 * nothing). Declared as a field of a {@code RefCounted}, it is what the collector follows to find
 * garbage cycles and what death clears. Every method is thread-safe, but a {@code Ref} is
 * shareable (may cross a monitor's wall or be a death-queue payload) only when its referent is:
 * a counted class must be annotated {@link Shareable} for a {@code Ref} to it
 * to cross, so that a counted object with plain mutable state is never reached from two threads
 * unguarded.
 *
 * <p>Memory consistency: {@link #set} and {@link #clear} are volatile writes and {@link #get}
 * and {@link #acquire} volatile reads, so actions before a {@code set(v)} happen-before actions
 * after a {@code get()} or {@code acquire()} that returns {@code v}.
 *
 * @param <T> the type of object it refers to
 */
public final class Ref<T extends RefCounted> {
    static {
        // A holder: shareable when its referent is. Before any Ref can be judged (ShareRules' notes).
        ShareRules.registerHolder(Ref.class, Ref::get);
    }

    // Written and read through CountFields' VarHandle (refValueVolatile; getAndSetRefValue for
    // set/clear/death).
    private volatile @Nullable T value;
    // The collection that last traced this Ref (collector thread only; RefCounts.markRef): a Ref
    // reachable twice in one collection (two objects' fields, a map value) counts as one edge.
    @SuppressWarnings("unused")
    private int collectorMark;

    /** Creates an empty slot. */
    public Ref() {
    }

    /**
     * Creates a slot holding a new reference to {@code initial}.
     *
     * @param initial the object, or null for an empty slot
     * @throws IllegalStateException if {@code initial} is dead
     */
    public Ref(@Nullable T initial) {
        if (initial != null) {
            initial.incref();
            this.value = initial;
        }
    }

    /**
     * The object in the slot, borrowed: no new reference is taken, so it stays valid only while
     * the slot (or another counted reference) keeps it alive.
     *
     * @return the object, or null
     */
    public @Nullable T get() {
        return value;
    }

    /**
     * A new counted reference to the object in the slot, safe against another thread
     * concurrently {@link #set setting} or {@link #clear clearing} the slot: it never returns a
     * dead object. The caller must release it with {@link RefCounted#decref()}.
     *
     * @return the object with one more reference counted for the caller, or null if empty
     * @throws IllegalStateException if the slot holds a dead object (a count was corrupted by misuse)
     */
    public @Nullable T acquire() {
        return RefCounts.acquire(this);
    }

    /**
     * Takes a new reference to {@code newValue}, stores it, then releases the reference the slot
     * held before.
     *
     * @param newValue the object, or null to empty the slot
     * @throws IllegalStateException if {@code newValue} is dead (the slot is left unchanged)
     */
    public void set(@Nullable T newValue) {
        RefCounts.set(this, newValue);
    }

    /** Empties the slot, releasing the reference it held. */
    public void clear() {
        RefCounts.set(this, null);
    }

    @Override
    public String toString() {
        T v = value;
        return v == null ? "Ref[empty]" : "Ref[" + v.getClass().getName() + "]";
    }
}
