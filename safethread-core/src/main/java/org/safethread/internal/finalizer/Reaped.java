package org.safethread.internal.finalizer;

/** A reference that the {@link ReferenceReaper} handles once the JVM's collector enqueued it. */
public interface Reaped {
    /** Called on the housekeeper thread, once, after the referent became unreachable. */
    void reaped();
}
