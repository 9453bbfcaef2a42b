package org.safethread.internal.refcount;

import org.safethread.Ref;
import org.safethread.RefCounted;

/**
 * A value bound to a {@link RefCounted} key for exactly as long as the key lives (an
 * <em>ephemeron</em>; python-safethread's "binding"): the hook through which higher layers
 * (weak-keyed maps) attach slots to an object without this layer knowing them.
 *
 * <p>A key's bindings are kept on its {@link Extras} in a copy-on-write array: changed under the
 * Extras lock, read without it. For the
 * collector they are extra {@code Ref}-like slots of the key: {@link #traceSlots} reports the
 * counted references the binding holds, and they are traced as if they were fields of the key.
 * At the key's death, in the same step that clears its {@code Ref} fields, death processing
 * closes the key's bindings (no new one can be added) and calls {@link #keyDied} on each.
 *
 * <p>Implementations are runtime classes: they read runtime structures only (fields by
 * reflection, identity comparisons), never a method of a user class, and never block.
 */
public abstract class Binding {
    /** Receives the slots of a binding (the collector). */
    public interface SlotVisitor {
        /** A counted reference that the binding itself holds on {@code target}. */
        void counted(RefCounted target);

        /** A {@link Ref} owned by the binding: its content is a slot of the key. */
        void ref(Ref<?> ref);
    }

    /**
     * Reports the slots this binding holds. Called by the collector with the key's Extras lock
     * held: it must only read fields, never call user code, never take another lock.
     */
    public abstract void traceSlots(SlotVisitor visitor);

    /**
     * The key died (or was lost: the leak path): release what this binding holds, skipping
     * targets that are already dead. Called once per binding, by death processing or the leak
     * path, outside the Extras lock; releases may cause further deaths (they are queued, not
     * recursed).
     */
    public abstract void keyDied();
}
