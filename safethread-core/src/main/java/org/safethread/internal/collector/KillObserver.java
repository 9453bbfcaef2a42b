package org.safethread.internal.collector;

import org.safethread.RefCounted;

/**
 * A diagnostic hook told of every object a collection kills, with what the collection saw of it:
 * the chaos soak installs one to name any killed object that was not a member of a cycle it made
 * (issue 18). Not part of the public API; at most one is installed
 * ({@link CycleCollector#setKillObserver}).
 *
 * <p>Called on the collecting thread, after the collection's deaths were processed (every member
 * DEAD, its {@code Ref}s cleared, its finalizer core queued) and before the collection ends, once
 * per killed object; a throw is caught and logged, and the collection goes on.
 */
@FunctionalInterface
public interface KillObserver {
    /**
     * @param x a killed object (dead)
     * @param count its count in the collection's snapshot (shared word plus its owner's plain count)
     * @param internal how many examined {@code Ref} fields (or weak-map bindings) referred to it:
     *     equal to {@code count} for every killed object; 0 means it was referenced by nothing at
     *     all, an acyclic object rather than a cycle member or something a garbage cycle held
     */
    void killed(RefCounted x, long count, int internal);
}
