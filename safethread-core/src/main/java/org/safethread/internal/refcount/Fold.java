package org.safethread.internal.refcount;

import static org.safethread.internal.refcount.CountWord.BUFFERED;
import static org.safethread.internal.refcount.CountWord.CAND;
import static org.safethread.internal.refcount.CountWord.DEAD;
import static org.safethread.internal.refcount.CountWord.MERGED;
import static org.safethread.internal.refcount.CountWord.QUEUED;
import static org.safethread.internal.refcount.CountWord.isDead;
import static org.safethread.internal.refcount.CountWord.pins;
import static org.safethread.internal.refcount.CountWord.refs;
import static org.safethread.internal.refcount.CountWord.touch;
import static org.safethread.internal.refcount.CountWord.withPins;
import static org.safethread.internal.refcount.CountWord.withRefs;

import org.safethread.RefCounted;

/**
 * The one routine that folds counts into an object's shared word: freeze cells, add what they
 * held (and, for a merge, the owner's plain count) to {@code refs}, CAS the word, and decide
 * death. Every path that folds uses it: the zero check of a merged object whose count may have
 * reached zero in its cells ({@link RefCounts#zeroCheck}), the retirement of one thread's cell
 * ({@link RefCounts#retireCell}), the collector's snapshot of a word
 * ({@link RefCounts#snapshotWord}) and an owner's merge ({@link Merges#merge}). What differs
 * between them is a mode (which flags the new word gets and what is decided), never the loop.
 *
 * <h2>Implementation notes</h2>
 *
 * <p><b>Freezing.</b> Under the object's {@link Extras} lock (so no cell is created meanwhile and
 * every cell counted in {@code pins} is in the list), each cell to fold is frozen by a CAS that
 * takes its value exactly once ({@link Cell#freeze()}); a cell that another thread froze first has
 * already been folded by that thread and is skipped. Folding all cells removes them from the list;
 * retiring one cell unlinks only that one. A frozen cell refuses every later increment and
 * decrement, so its thread falls back to the shared word.
 *
 * <p><b>Fold and CAS.</b> The new word is {@code refs + sum(frozen) + ownerRefs} and
 * {@code pins - frozen}; the CAS is retried on a fresh read until it succeeds or the word is DEAD
 * (then nothing is changed: a dead object has no live cells, because every path that kills one
 * folds its cells first or CASes from a word with no pins, so nothing frozen is lost). Every
 * counter is then either frozen or in the word, so the total the CAS installs is one no thread
 * can change concurrently except through the word itself, which the CAS checks.
 *
 * <p><b>Deciding.</b> With {@link #DECIDE}, a MERGED result with no pins and {@code refs <= 0} is
 * DEAD, set by the same CAS (DEAD is set by exactly one CAS: this one or another path's, and every
 * increment CASes and fails on DEAD). {@code refs < 0} there is an over-release, which the caller
 * reports. With {@link #CLAIM_CAND}, a result left alive becomes a collector candidate unless it is
 * one already; with {@link #QUEUE_NEGATIVE}, an owned result with {@code refs < 0} is QUEUED for
 * its owner's merge unless it is already. Either claim is reported by {@link #CLAIMED}, so exactly
 * one thread acts on it.
 *
 * <p><b>Memory ordering.</b> The word is read volatile and changed by CAS, the cells by CAS; the
 * lock orders folds with cell creation. A merge's owner fields ({@link #CLEAR_OWNER}) are written
 * by the owner or a thread holding it, after the CAS that makes the word MERGED and still under
 * the lock, as before this routine existed; other threads never read the owner's plain count.
 *
 * <p><b>Result.</b> The word as this fold stored it, with {@link #FOLDED} set, and
 * {@link #CLAIMED} if it claimed a flag; or, when nothing was changed, the word seen (DEAD) or 0,
 * without {@link #FOLDED}. Bits 6 and 7 are never stored in a word (see {@link CountWord}).
 */
final class Fold {
    /** Result bit, never stored: this fold's CAS changed the word. */
    static final long FOLDED = 1L << 6;
    /** Result bit, never stored: this fold set the flag its mode claims (CAND or QUEUED). */
    static final long CLAIMED = 1L << 7;
    /** Both result bits. */
    static final long RESULT_BITS = FOLDED | CLAIMED;

    /** Mode: mark the word TOUCHED when the collector watches it (every change a mutator makes). */
    static final int TOUCH = 1;
    /** Mode: a MERGED result with no pins and {@code refs <= 0} is DEAD. */
    static final int DECIDE = 1 << 1;
    /** Mode: a result left alive becomes a collector candidate (CAND), reported as CLAIMED. */
    static final int CLAIM_CAND = 1 << 2;
    /** Mode: an owned result with {@code refs < 0} is QUEUED for its owner, reported as CLAIMED. */
    static final int QUEUE_NEGATIVE = 1 << 3;
    /** Mode: a merge; after the CAS the owner is cleared and the plain count keeps only BUFFERED. */
    static final int CLEAR_OWNER = 1 << 4;

    private Fold() {
    }

    /**
     * Folds counts into {@code x}'s shared word (see the class comment).
     *
     * @param x the object
     * @param only the one cell to retire, or null to fold every cell
     * @param ownerRefs references to add besides the cells' (a merging owner's plain count)
     * @param set flags the new word gets
     * @param clear flags the new word loses
     * @param mode {@link #TOUCH}, {@link #DECIDE}, {@link #CLAIM_CAND}, {@link #QUEUE_NEGATIVE},
     *     {@link #CLEAR_OWNER}, or'ed
     * @return the stored word with {@link #FOLDED} (and maybe {@link #CLAIMED}), or a word
     *     without {@link #FOLDED} if nothing changed
     */
    static long fold(RefCounted x, Cell only, long ownerRefs, long set, long clear, int mode) {
        for (;;) {
            Extras e = CountFields.extrasVolatile(x);
            if (e == null) {
                if (only != null) {
                    return 0; // a cell lives in its object's Extras: it cannot be missing
                }
                long w = CountFields.wordVolatile(x);
                if (isDead(w)) {
                    return w;
                }
                if (pins(w) > 0) {
                    continue; // a cell, and so an Extras, appeared meanwhile: fold it under the lock
                }
                long nw = next(w, ownerRefs, 0, set, clear, mode);
                if (CountFields.casWord(x, w, nw & ~RESULT_BITS)) {
                    clearOwner(x, mode);
                    return nw | FOLDED;
                }
                continue;
            }
            e.lock();
            try {
                long sum;
                int n;
                if (only != null) {
                    int v = only.freeze();
                    if (v < 0) {
                        return 0; // someone froze it already and folded its value
                    }
                    unlink(e, only);
                    sum = v;
                    n = 1;
                } else {
                    long frozen = freezeAll(e);
                    sum = frozen >>> 8;
                    n = (int) (frozen & 0xFF);
                }
                for (;;) {
                    long w = CountFields.wordVolatile(x);
                    if (isDead(w)) {
                        return w;
                    }
                    long nw = next(w, ownerRefs + sum, n, set, clear, mode);
                    if (CountFields.casWord(x, w, nw & ~RESULT_BITS)) {
                        clearOwner(x, mode);
                        return nw | FOLDED;
                    }
                }
            } finally {
                e.unlock();
            }
        }
    }

    /** @return the word {@code w} becomes: counts folded, flags set and cleared, decisions taken */
    private static long next(long w, long addRefs, int removePins, long set, long clear, int mode) {
        long r = refs(w) + addRefs;
        int pins = pins(w) - removePins;
        long nw = withPins(withRefs(w, r), pins);
        if ((mode & TOUCH) != 0) {
            nw = touch(nw);
        }
        nw = (nw | set) & ~clear;
        boolean merged = (nw & MERGED) != 0;
        if ((mode & DECIDE) != 0 && merged && pins == 0 && r <= 0) {
            nw |= DEAD;
        }
        if ((mode & CLAIM_CAND) != 0 && (nw & (DEAD | CAND)) == 0) {
            nw |= CAND | CLAIMED; // a release left it alive: it may be in a garbage cycle
        }
        if ((mode & QUEUE_NEGATIVE) != 0 && !merged && r < 0 && (nw & QUEUED) == 0) {
            nw |= QUEUED | CLAIMED; // the owner's plain count may make the total zero: it must merge
        }
        return nw;
    }

    private static void clearOwner(RefCounted x, int mode) {
        if ((mode & CLEAR_OWNER) != 0) {
            CountFields.setOwnerPlain(x, null);
            CountFields.setLocalPlain(x, CountFields.localPlain(x) & BUFFERED);
        }
    }

    /**
     * Freezes every cell of an object, taking each one's value exactly once, and unlinks them.
     * Caller holds {@code e}'s lock.
     *
     * @return the references the cells held, times 256, plus how many cells were frozen (at most
     *     {@link CountWord#MAX_PINS})
     */
    private static long freezeAll(Extras e) {
        long sum = 0;
        int n = 0;
        for (Cell c = e.cells; c != null; c = c.next) {
            int v = c.freeze();
            if (v >= 0) {
                sum += v;
                n++;
            }
        }
        e.cells = null;
        return (sum << 8) | n;
    }

    /** Removes {@code c} from {@code e}'s cell list. Caller holds {@code e}'s lock. */
    private static void unlink(Extras e, Cell c) {
        Cell prev = null;
        for (Cell p = e.cells; p != null; prev = p, p = p.next) {
            if (p == c) {
                if (prev == null) {
                    e.cells = p.next;
                } else {
                    prev.next = p.next;
                }
                return;
            }
        }
    }

    /** @return whether the fold changed the word */
    static boolean folded(long result) {
        return (result & FOLDED) != 0;
    }

    /** @return whether the fold killed the object (its CAS set DEAD) */
    static boolean killed(long result) {
        return (result & (FOLDED | DEAD)) == (FOLDED | DEAD);
    }

    /** @return whether the fold claimed the flag its mode asks for */
    static boolean claimed(long result) {
        return (result & CLAIMED) != 0;
    }

    /** @return the word as stored, without the result bits */
    static long word(long result) {
        return result & ~RESULT_BITS;
    }
}
