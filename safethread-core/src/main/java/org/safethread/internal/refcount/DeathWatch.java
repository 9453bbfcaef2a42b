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
}
