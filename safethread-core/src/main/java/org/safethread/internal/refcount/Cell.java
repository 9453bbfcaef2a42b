package org.safethread.internal.refcount;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One thread's counted references to one object that it does not own: an atomic counter that
 * only that thread normally changes, so it lives in that thread's cache and never bounces.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li>States: {@code value >= 0} live (the references the thread holds through this cell);
 *       negative retired ({@link #FROZEN}, plus any late increments that found it frozen and
 *       were counted elsewhere). Transitions: the cell's thread adds or subtracts by CAS while
 *       live; anyone may freeze it by CAS, taking its value exactly once (a frozen cell never
 *       changes again).</li>
 *   <li>Invariant: a live cell is counted in its object's pins and linked in the object's
 *       {@link Extras} cell list; both change under the {@code Extras} lock (pin first, then
 *       link; freeze and unpin together), so a freezer that holds the lock sees every pin's
 *       cell.</li>
 *   <li>A cell never goes negative: a release beyond what the cell holds goes to the shared
 *       count, where a possible last release is noticed. So cells never hide a death: a cell
 *       at zero holds nothing, and any thread that sees the shared count reach zero freezes all
 *       cells (under the lock) before deciding.</li>
 *   <li>Memory ordering: all accesses are volatile/CAS; the value a freezer takes is folded
 *       into the shared word by CAS, so every reference counted in the cell is counted in the
 *       word before the cell stops accepting changes.</li>
 * </ul>
 */
final class Cell {
    /** A retired cell; no thread may change it. */
    static final int FROZEN = Integer.MIN_VALUE;

    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(Cell.class, "value", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through VALUE
    private volatile int value;
    /** Next cell of the same object. Guarded by the object's Extras lock. */
    Cell next;
    /** Collector epoch in which this cell last reported its object as a candidate (cell's thread only). */
    int candidateEpoch = -1;

    Cell(int initial) {
        this.value = initial;
    }

    /** @return the current value, negative once frozen */
    int value() {
        return (int) VALUE.getVolatile(this);
    }

    /**
     * Adds one reference (cell's thread): one atomic add, no retry loop. A frozen cell is
     * negative (FROZEN plus whatever late adds hit it), and nobody reads a frozen cell's value
     * again, so an add that finds it frozen simply reports failure.
     *
     * @return false if the cell is frozen (the reference was not counted here)
     */
    boolean increment() {
        return (int) VALUE.getAndAdd(this, 1) >= 0;
    }

    /** Result of {@link #decrement()}: the cell held more than one reference. */
    static final int DEC_DONE = 0;
    /** Result of {@link #decrement()}: the cell released its last reference. */
    static final int DEC_NOW_ZERO = 1;
    /** Result of {@link #decrement()}: the cell holds nothing (or is frozen); release elsewhere. */
    static final int DEC_MISS = 2;

    /** Releases one reference held in the cell (cell's thread). */
    int decrement() {
        for (;;) {
            int v = (int) VALUE.getVolatile(this);
            if (v <= 0) { // 0, or FROZEN (negative)
                return DEC_MISS;
            }
            if (VALUE.weakCompareAndSet(this, v, v - 1)) {
                return v == 1 ? DEC_NOW_ZERO : DEC_DONE;
            }
        }
    }

    /**
     * Retires the cell (any thread holding the object's Extras lock).
     *
     * @return the references it held, or -1 if it was already frozen
     */
    int freeze() {
        for (;;) {
            int v = (int) VALUE.getVolatile(this);
            if (v < 0) {
                return -1; // FROZEN (possibly plus failed late adds)
            }
            if (VALUE.compareAndSet(this, v, FROZEN)) {
                return v;
            }
        }
    }
}
