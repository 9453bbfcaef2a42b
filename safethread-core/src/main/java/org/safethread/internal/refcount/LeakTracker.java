package org.safethread.internal.refcount;

/**
 * What watches one object for a leak (the finalizer layer's {@code LeakRef}, a phantom
 * reference): {@link Extras} keeps it and disarms it when the object dies normally, so that a
 * normal death is never reported as a leak.
 */
public interface LeakTracker {
    /** Stops watching: the object died normally (idempotent). */
    void disarm();
}
