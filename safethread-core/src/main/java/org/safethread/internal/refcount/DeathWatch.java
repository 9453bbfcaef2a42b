package org.safethread.internal.refcount;

/**
 * A notice that an object's death processing delivers: what {@link Extras} keeps for a watched
 * object and fires once, outside its lock, when the object dies or leaks. The finalizer layer
 * implements it ({@code Watch}: delivered exactly once, unless cancelled first), so the count
 * engine fires watches without knowing what they deliver.
 */
public interface DeathWatch {
    /** Delivers the notice if it was not delivered or cancelled yet. Must not call user code. */
    void fire();

    /**
     * @return whether the watch may still fire (false once delivered or cancelled, and for good):
     *     {@link Extras} drops watches that answer false, so cancelled ones do not pile up on a
     *     long-lived object. A volatile read; must not call user code.
     */
    boolean isWatching();
}
