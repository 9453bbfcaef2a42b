package org.safethread.stress.support;

import org.safethread.Ref;
import org.safethread.RefCounted;
import org.safethread.Shareable;

/**
 * The plain counted object the refcount and collector tests race on: no finalizer core, one
 * counted {@link Ref} field so that tests can build cycles. Its only state is that thread-safe
 * field, so it vouches for itself ({@link Shareable}): a {@code Ref} to it may cross a wall (as a
 * weak-keyed map's value, for example).
 */
@Shareable
public final class Tracked extends RefCounted {
    /** A counted, traced reference to another object (for cycles). */
    public final Ref<Tracked> next = new Ref<>();
}
