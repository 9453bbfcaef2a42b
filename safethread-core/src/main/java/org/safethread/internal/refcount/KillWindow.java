package org.safethread.internal.refcount;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.safethread.RefCounted;

/**
 * A sequence lock around the collector's kill phase, so that a reader that finds an object DEAD
 * can tell a final death from the collector's tentative one.
 *
 * <h2>Implementation notes</h2>
 * <p>The collector marks a validated garbage group DEAD member by member, each by a CAS from its
 * snapshot word; if one CAS fails (a thread changed that member since the check), the members
 * already marked are restored. So between {@link #open()} and {@link #close()} a DEAD word may be
 * undone; outside that window DEAD is final (every other path sets it by one CAS that nothing
 * undoes). The sequence is odd while the window is open.
 *
 * <p>A reader ({@link #deadIsFinal}) reads the sequence {@code s}, waits while it is odd, reads
 * the word, and re-reads the sequence: if the word is DEAD and the sequence is still {@code s},
 * no window was open at any time between the two reads, and since a restore happens only inside
 * the window that set the DEAD it undoes, the DEAD is final. All accesses are volatile, so the
 * three reads are ordered with the collector's writes in the synchronization order. Only readers
 * that reach an object without a counted reference care (weak references, weak-keyed maps):
 * anyone holding a counted reference can never see its object DEAD.
 *
 * <p>Pairs with {@code Snapshot.collectGarbage}, which opens and closes the window.
 */
public final class KillWindow {
    private static final VarHandle SEQ;
    /** Spins before a waiting reader yields (the window is a loop of CASes, microseconds). */
    private static final int SPINS_BEFORE_YIELD = 64;

    static {
        try {
            SEQ = MethodHandles.lookup().findStaticVarHandle(KillWindow.class, "seq", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through SEQ
    private static volatile int seq;

    private KillWindow() {
    }

    /** Collector (one at a time): DEAD words set from now on may be restored. */
    public static void open() {
        SEQ.getAndAdd(1);
    }

    /** Collector: every DEAD set since {@link #open()} and not restored is final. */
    public static void close() {
        SEQ.getAndAdd(1);
    }

    private static int seqVolatile() {
        return (int) SEQ.getVolatile();
    }

    /**
     * @return true if {@code x} is dead for good, false if it is alive (a tentative DEAD was
     *     restored); waits while a kill phase is under way
     */
    public static boolean deadIsFinal(RefCounted x) {
        int spins = 0;
        for (;;) {
            int s = seqVolatile();
            if ((s & 1) == 0) {
                boolean dead = CountWord.isDead(CountFields.wordVolatile(x));
                if (!dead) {
                    return false;
                }
                if (seqVolatile() == s) {
                    return true;
                }
            }
            if (++spins < SPINS_BEFORE_YIELD) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }
}
