package org.safethread.internal.refcount;

import java.util.Arrays;
import org.safethread.RefCounted;
import org.safethread.internal.runtime.ThreadState;

/**
 * A thread's worklist of objects that died and still need their {@link org.safethread.Ref}
 * fields cleared and their core queued. Death processing that causes more deaths appends here
 * instead of recursing, so a chain of a million objects dies in constant stack depth. Owner
 * thread only.
 */
final class DeathWork {
    private RefCounted[] items = new RefCounted[16];
    private int size;
    /** Whether this thread is inside the processing loop (then new deaths are only appended). */
    boolean running;
    /** This thread's count of deaths, registered at its first death (see {@link DeathCounts}). */
    private DeathCounts counts;

    /** Counts {@code n} deaths processed by this thread (owner thread only). */
    void countDeaths(long n) {
        DeathCounts c = counts;
        if (c == null) {
            c = counts = DeathCounts.registerCurrentThread();
        }
        c.add(n);
    }

    /**
     * @param ts the calling thread's state, whose work this is
     * @return this thread's death counter, registered now if it has none (owner thread only)
     */
    DeathCounts counts(ThreadState ts) {
        DeathCounts c = counts;
        if (c == null) {
            c = counts = DeathCounts.registerCurrentThread(ts);
        }
        return c;
    }

    void push(RefCounted x) {
        if (size == items.length) {
            items = Arrays.copyOf(items, size * 2);
        }
        items[size++] = x;
    }

    RefCounted pop() {
        if (size == 0) {
            return null;
        }
        RefCounted x = items[--size];
        items[size] = null;
        if (size == 0 && items.length > 1024) {
            items = new RefCounted[16]; // do not keep a huge array after a long cascade
        }
        return x;
    }
}
