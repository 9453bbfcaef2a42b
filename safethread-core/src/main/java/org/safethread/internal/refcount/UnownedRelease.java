package org.safethread.internal.refcount;

import static org.safethread.internal.refcount.CountWord.BARE;
import static org.safethread.internal.refcount.CountWord.CAND;
import static org.safethread.internal.refcount.CountWord.DEAD;
import static org.safethread.internal.refcount.CountWord.MERGED;
import static org.safethread.internal.refcount.CountWord.PIN_MASK;
import static org.safethread.internal.refcount.CountWord.REF_ONE;
import static org.safethread.internal.refcount.CountWord.refs;
import static org.safethread.internal.refcount.CountWord.touch;

import org.safethread.RefCounted;
import org.safethread.internal.runtime.ThreadState;

/**
 * The release of a reference to an object that has no owner (born unbiased on a pool worker, or
 * merged) and no cells, decided from the object's own word: the path on which pool threads
 * release objects made by other pool threads (issue 11), specialised so that it needs neither
 * the {@code ThreadLocal} lookup of the thread's state nor the class lookup at death.
 *
 * <h2>Implementation notes</h2>
 *
 * <p><b>When it applies.</b> {@link RefCounts#decrefSlow} calls it when the object's
 * {@code owner} field is null. It acts only if the volatile read of the word finds MERGED, not
 * DEAD, and no pins, and only by a CAS from exactly that word; otherwise (and for an
 * over-release, and while the calling thread has requests pending) it returns false having
 * changed nothing, and the general path runs. It relies on the word alone:
 * <ul>
 *   <li>MERGED means the owner's plain count, if there ever was one, was folded into the word by
 *       the CAS that set MERGED (and never comes back), so the owner field and {@code local} are
 *       not read; a stale non-null owner (read racily) only sends the release to the general
 *       path, a stale null cannot make a biased object look MERGED (its word is never MERGED).</li>
 *   <li>No pins means no cell holds references (cells are counted in pins while they live, and
 *       pins and cells change together under the Extras lock, invariant 2 of
 *       {@link RefCounts}); so the total is {@code refs}, and the calling thread has no cell for
 *       the object, which is why its cell table is not consulted. A cell created concurrently
 *       adds a pin by CAS on the word, so this thread's CAS from a pin-less word fails and it
 *       re-reads.</li>
 *   <li>The decrement is the general path's, for a MERGED word without pins: to a positive
 *       count it sets CAND the first time (the object may now be in a garbage cycle); to zero
 *       it sets DEAD, by the one CAS that may set it (invariant 3), so the object dies once;
 *       below zero it is an over-release, refused by the general path with its message.</li>
 * </ul>
 *
 * <p><b>The calling thread, without the ThreadLocal.</b> The thread's death counter
 * ({@link DeathCounts}) is found through the by-thread table ({@link CurrentThread}; see
 * {@link DeathCounts}' notes: an entry is used
 * only by the thread it names, so each counter keeps one writer), and the counter carries the
 * thread's state. The state's request word is read (opaque, as on the owner's fast path) before
 * anything changes: if requests are pending the general path runs and polls, so this release is a
 * safe point like every other runtime call. A missing entry (the thread's first release, or a
 * slot taken by a thread whose id collides) is installed from the thread's state.
 *
 * <p><b>Death.</b> After its DEAD CAS the releasing thread reads the Extras field (volatile). With
 * BARE in the word (set at birth for a class with no {@code Ref} fields and no finalizer core,
 * {@link ClassInfo#bareDeath}, and never changed) and no Extras, the death has nothing to do but
 * be counted: it adds one to the thread's own counter, which {@code stats()} reads, so a death
 * that happens-before {@code stats()} is in it (the counter's write comes before the release
 * returns). Otherwise it runs {@link Deaths#die} with the thread's state. The Dekker pair with
 * whoever installs Extras ({@link RefCounts#watch}, {@link RefCounts#touchForBindings}: a volatile
 * CAS of the field, then a volatile read of the word) is the one {@link Deaths} describes: the
 * DEAD CAS and the field read here, the field CAS and the word read there, all four in the
 * synchronization order, so either this death sees the Extras and takes the full path (firing
 * the watch, closing the bindings), or the installer sees DEAD and handles the death itself.
 *
 * <p><b>Memory ordering.</b> The CAS is volatile, so the caller's actions before this release
 * happen-before the DEAD CAS that ends the object, and so its death processing, whichever thread
 * released last (as on the general path).
 */
final class UnownedRelease {
    /** The word bits that send a release to the general path when they differ from MERGED. */
    private static final long GATE = MERGED | DEAD | PIN_MASK;

    private UnownedRelease() {
    }

    /**
     * Releases one reference to {@code x}, whose owner field the caller read as null.
     *
     * @return true if released here; false if nothing changed and the general path must run
     */
    static boolean release(RefCounted x) {
        long w = CountFields.wordVolatile(x);
        if ((w & GATE) != MERGED) {
            return false;
        }
        DeathCounts c = CurrentThread.counts();
        ThreadState ts = c.state;
        if (ts.requests() != 0) {
            return false; // the general path polls first
        }
        for (;;) {
            long nw = touch(w - REF_ONE);
            long r = refs(nw);
            if (r > 0) {
                boolean cand = (w & CAND) == 0;
                if (cand) {
                    nw |= CAND;
                }
                if (CountFields.casWord(x, w, nw)) {
                    if (cand) {
                        Candidates.add(x);
                    }
                    return true;
                }
            } else if (r == 0) {
                if (CountFields.casWord(x, w, nw | DEAD)) {
                    // pairs with RefCounts.watch's and touchForBindings' volatile reads of the
                    // word after installing Extras: this volatile read follows the DEAD CAS
                    if ((w & BARE) != 0 && CountFields.extrasVolatile(x) == null) {
                        c.add(1); // a bare death is only counted (Deaths: bare deaths)
                    } else {
                        Deaths.die(x, ts);
                    }
                    return true;
                }
            } else {
                return false; // an over-release: the general path refuses it
            }
            w = CountFields.wordVolatile(x);
            if ((w & GATE) != MERGED) {
                return false;
            }
        }
    }
}
