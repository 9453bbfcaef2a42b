package org.safethread.stress.support;

import org.safethread.Ref;
import org.safethread.RefCounted;

/**
 * The plain counted object the refcount and collector tests race on: no finalizer core, one
 * counted {@link Ref} field so that tests can build cycles.
 */
public final class Tracked extends RefCounted {
    /** A counted, traced reference to another object (for cycles). */
    public final Ref<Tracked> next = new Ref<>();
}
