package org.safethread.internal.refcount;

import org.safethread.RefCounted;

/**
 * A thread's cells for objects it does not own: a small direct-mapped table keyed by identity.
 * Owner thread only (the table's thread); never read by others, except by a thread holding this
 * one after it terminated.
 *
 * <p>The first touch of an object only remembers it (one-off hand-offs then cost one atomic on
 * the shared word and nothing more); the second touch creates a cell, after which increments and
 * decrements by this thread are CASes on the thread's own cache line. A slot holding another
 * object is evicted (its cell retired: its references folded into the shared word), which
 * bounds the references a thread keeps in cells.
 */
final class CellTable {
    /** Slots; a power of two. Enough for the handful of hot shared objects a thread works on. */
    private static final int SIZE = 64;
    private static final int MASK = SIZE - 1;

    private final RefCounted[] keys = new RefCounted[SIZE];
    private final Cell[] cells = new Cell[SIZE];
    /**
     * The last object counted in a cell and its cell: a thread working on one hot object skips
     * the identity hash and the slot lookup. Reset whenever that cell leaves the table.
     */
    private RefCounted lastKey;
    private Cell lastCell;
    /**
     * Keys in the table. A thread that only releases objects it never counted (a consumer of
     * objects made elsewhere) keeps it at zero, and its releases skip the identity hash, which
     * for a fresh object would install a hash in its header (a CAS).
     */
    private int occupied;

    private static int slot(RefCounted x) {
        int h = System.identityHashCode(x);
        return (h ^ (h >>> 7) ^ (h >>> 16)) & MASK;
    }

    /**
     * Counts one new reference to {@code x} in a cell when this thread works on it repeatedly.
     *
     * @return {@link RefCounts#INC_TAKEN} if a cell took the increment,
     *     {@link RefCounts#INC_SHARED} if the caller must count it in the shared word, or
     *     {@link RefCounts#INC_DEAD} if creating a cell found the object dead
     */
    int increment(RefCounted x) {
        if (x == lastKey) {
            if (lastCell.increment()) {
                return RefCounts.INC_TAKEN;
            }
            forgetLast(); // frozen: fall through to the table, which drops it
        }
        int i = slot(x);
        if (keys[i] == x) {
            Cell c = cells[i];
            if (c != null) {
                if (c.increment()) {
                    lastKey = x;
                    lastCell = c;
                    return RefCounts.INC_TAKEN;
                }
                cells[i] = null; // frozen by someone else: count in the shared word this time
                return RefCounts.INC_SHARED;
            }
            c = RefCounts.createCell(x);
            if (c == RefCounts.DEAD_CELL) {
                return RefCounts.INC_DEAD;
            }
            if (c != null) {
                cells[i] = c;
                lastKey = x;
                lastCell = c;
                return RefCounts.INC_TAKEN;
            }
            return RefCounts.INC_SHARED;
        }
        evict(i);
        keys[i] = x;
        occupied++;
        return RefCounts.INC_SHARED;
    }

    /**
     * Releases one reference to {@code x} held in this thread's cell.
     *
     * @return {@link Cell#DEC_DONE}, {@link Cell#DEC_NOW_ZERO}, or {@link Cell#DEC_MISS} when the
     *     cell holds nothing and the caller must release through the shared word
     */
    int decrement(RefCounted x) {
        Cell c;
        int i = -1;
        if (x == lastKey) {
            c = lastCell;
        } else {
            if (occupied == 0) {
                return Cell.DEC_MISS;
            }
            i = slot(x);
            if (keys[i] != x || (c = cells[i]) == null) {
                return Cell.DEC_MISS;
            }
        }
        int r = c.decrement();
        if (r == Cell.DEC_MISS) {
            if (c.value() < 0) {
                if (i < 0) {
                    i = slot(x);
                }
                if (cells[i] == c) {
                    cells[i] = null; // frozen by someone else
                }
                if (lastCell == c) {
                    forgetLast();
                }
            }
            return r;
        }
        // A release that leaves a count above zero may have made a garbage cycle: report the
        // object to the collector, once per cell per collection epoch.
        int epoch = Candidates.epoch();
        if (c.candidateEpoch != epoch) {
            c.candidateEpoch = epoch;
            Candidates.add(x);
        }
        return r;
    }

    private void forgetLast() {
        lastKey = null;
        lastCell = null;
    }

    private void evict(int i) {
        RefCounted k = keys[i];
        Cell c = cells[i];
        if (k != null) {
            occupied--;
        }
        keys[i] = null;
        cells[i] = null;
        if (c != null && c == lastCell) {
            forgetLast();
        }
        if (c != null) {
            RefCounts.retireCell(k, c);
        }
    }

    /** Retires every cell (a safe point that asks for it, or a terminated thread). */
    void retireAll() {
        for (int i = 0; i < SIZE; i++) {
            evict(i);
        }
    }

}
