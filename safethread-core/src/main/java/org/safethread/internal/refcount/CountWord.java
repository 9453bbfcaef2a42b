package org.safethread.internal.refcount;

/**
 * Layout of a {@code RefCounted}'s shared count word (a {@code long} changed only by CAS) and of
 * the owner's plain {@code int} count.
 *
 * <pre>
 * shared:  63 ............ 16 | 15 .... 8 | 7 | 6    | 5       | 4    | 3    | 2    | 1      | 0
 *          refs (signed 48)   | pins      | - | BARE | TOUCHED | SCAN | CAND | DEAD | QUEUED | MERGED
 * local:   31 | 30       | 29 ........................ 0
 *          -  | BUFFERED | count (owner's references)
 * </pre>
 *
 * <ul>
 *   <li>{@code refs}: references counted by other threads (and, once MERGED, all references
 *       that are not in cells). Negative while the owner has not merged and other threads
 *       released references that the owner's plain count still holds.</li>
 *   <li>{@code pins}: cells (per-thread atomic counters) that exist for this object; each may
 *       hold references. At most {@value #MAX_PINS}; beyond that threads use {@code refs}.</li>
 *   <li>MERGED: the owner gave up its plain count; the total is {@code refs + sum(cells)}.</li>
 *   <li>QUEUED: the object is on its owner's merge queue.</li>
 *   <li>DEAD: the object died; every count operation on it is refused.</li>
 *   <li>CAND: the object is on the collector's global candidate queue.</li>
 *   <li>SCAN / TOUCHED: set by the collector when it snapshots the word; any later change by
 *       another thread sets TOUCHED, so the collector can tell that its snapshot went stale.</li>
 *   <li>BARE: set at the birth of an unbiased object whose class has nothing to do at death
 *       ({@link ClassInfo#bareDeath}), never changed after: a release decides such an object's
 *       death from the word alone, without looking its class up ({@link UnownedRelease}). Every
 *       update keeps it (they add to {@code refs}/{@code pins} or set and clear other flags).</li>
 * </ul>
 */
public final class CountWord {
    public static final long MERGED = 1L;
    public static final long QUEUED = 1L << 1;
    public static final long DEAD = 1L << 2;
    public static final long CAND = 1L << 3;
    public static final long SCAN = 1L << 4;
    public static final long TOUCHED = 1L << 5;
    /** Born unbiased, of a class with nothing to do at death; immutable (see the class comment). */
    public static final long BARE = 1L << 6;

    static final int PIN_SHIFT = 8;
    static final long PIN_ONE = 1L << PIN_SHIFT;
    static final long PIN_MASK = 0xFFL << PIN_SHIFT;
    /** Pins fit in 8 bits; more threads than this on one object fall back to the shared count. */
    static final int MAX_PINS = 255;

    static final int REF_SHIFT = 16;
    public static final long REF_ONE = 1L << REF_SHIFT;
    /** Largest refs value before we refuse an increment (far beyond any real program). */
    static final long MAX_REFS = (1L << 46);

    /** Owner count bits of the plain {@code local} field. */
    public static final int LOCAL_COUNT = (1 << 30) - 1;
    /** The object is on its owner's candidate list (owner-only flag in {@code local}). */
    public static final int BUFFERED = 1 << 30;

    private CountWord() {
    }

    public static long refs(long w) {
        return w >> REF_SHIFT;
    }

    public static int pins(long w) {
        return (int) ((w >>> PIN_SHIFT) & 0xFF);
    }

    static long withRefs(long w, long refs) {
        return (w & ((1L << REF_SHIFT) - 1)) | (refs << REF_SHIFT);
    }

    static long withPins(long w, int pins) {
        return (w & ~PIN_MASK) | ((long) pins << PIN_SHIFT);
    }

    /** @return the word with TOUCHED added when the collector is watching it */
    static long touch(long w) {
        return (w & SCAN) != 0 ? w | TOUCHED : w;
    }

    public static boolean isDead(long w) {
        return (w & DEAD) != 0;
    }

    public static boolean isMerged(long w) {
        return (w & MERGED) != 0;
    }

    /** @return a readable rendering, for error messages */
    public static String describe(long w) {
        StringBuilder b = new StringBuilder("refs=").append(refs(w)).append(" pins=").append(pins(w));
        if ((w & MERGED) != 0) {
            b.append(" MERGED");
        }
        if ((w & QUEUED) != 0) {
            b.append(" QUEUED");
        }
        if ((w & DEAD) != 0) {
            b.append(" DEAD");
        }
        if ((w & CAND) != 0) {
            b.append(" CAND");
        }
        if ((w & SCAN) != 0) {
            b.append(" SCAN");
        }
        if ((w & TOUCHED) != 0) {
            b.append(" TOUCHED");
        }
        if ((w & BARE) != 0) {
            b.append(" BARE");
        }
        return b.toString();
    }
}
