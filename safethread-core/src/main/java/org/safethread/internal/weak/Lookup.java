package org.safethread.internal.weak;

/**
 * A short-lived probe for looking a key up by identity in the table (the table's stored keys are
 * {@link WeakKey}s). Allocated per call; the JIT usually removes it (escape analysis).
 */
final class Lookup {
    private final Object key;
    private final int hash;

    Lookup(Object key) {
        this.key = key;
        this.hash = System.identityHashCode(key);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        // refersTo: no G1 keep-alive barrier, unlike get()
        return o instanceof WeakKey && ((WeakKey) o).refersTo(key);
    }
}
