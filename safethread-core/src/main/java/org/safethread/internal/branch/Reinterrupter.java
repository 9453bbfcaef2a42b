package org.safethread.internal.branch;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.safethread.internal.runtime.RuntimeThreads;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.internal.runtime.LoggerNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon {@code safethread-canceller}: interrupts the live children of cancelled branches
 * again every {@value #PERIOD_MS} ms, so that a child that caught the cancellation's interrupt,
 * cleared it and blocked again in a JDK call ({@code Thread.sleep}, a {@code BlockingQueue},
 * socket I/O on an interruptible channel) is still woken. safethread's own blocking points need
 * no such help: they test the cancellation itself (level-triggered), whatever the interrupt
 * status.
 *
 * <h2>Implementation notes</h2>
 * <p>The trade-off: an interrupt closes an {@link java.nio.channels.InterruptibleChannel} the
 * thread is blocked in. The first interrupt of a cancellation already does that (as for any
 * interrupt-based cancellation, e.g. {@code Future.cancel(true)}); re-interrupting only reaches
 * children that ignored the first one, and a cancelled child's I/O is being abandoned anyway.
 * A child that must finish I/O on a channel shared with threads outside the branch should not
 * run that I/O while cancelled (test {@code SafeThread.checkpoint()} first).
 *
 * <p>The thread starts on the first cancellation that leaves a child running, and parks
 * without a timeout when no cancelled branch has live children. {@link #watch} appends under
 * this class's lock (a {@code ReentrantLock}: callers may be virtual threads) and unparks it; the loop drops a branch once none of its children is
 * running. It never runs user code except {@code Thread.interrupt()} of a thread a user's
 * {@code ThreadFactory} made (which could override it): any throwable from that is logged and
 * the loop goes on.
 *
 * <p><b>Stopping ({@code SafeThread.shutdown}) while branches are watched.</b> A watched branch
 * is one whose owner may be parked in {@code join} or {@code close} right now, waiting for a
 * child that only a repeated interrupt will end; that wait registered itself here once, before
 * it parked, and never again. So a stopped canceller does not leave while {@code WATCHED} is not
 * empty ({@link #mustDrain}): it keeps serving those branches, and leaves once none of their
 * children runs, or as soon as a fresh canceller has been started (a {@link #watch} after the
 * stop finds the slot empty and starts one, which serves all of {@code WATCHED} itself). The
 * shutdown waits for it as for any runtime thread, within its timeout, and reports
 * {@code false} if it is still serving at the deadline. States of the thread: serving (the slot
 * holds it), draining (the slot is empty or holds a newer thread, and it still has branches to
 * serve), ended. A draining canceller never parks without a timeout: a fresh one may empty
 * {@code WATCHED} under it, and nothing unparks a thread no longer in the slot.
 *
 * <p><i>Why no watched branch is stranded</i> (pairs with {@link #watch}): {@code watch} adds
 * the branch under {@code LOCK}, then reads the slot ({@code ensureRunning}); a stopping
 * canceller reads the slot (sees it no longer holds itself), then reads {@code WATCHED} under
 * {@code LOCK} before it leaves. If {@code watch}'s read of the slot came before the stop's
 * swap, it saw this thread; then its add, which precedes that read, happens-before the swap, which
 * happens-before this thread's read of the emptied slot and so its later look at
 * {@code WATCHED}: it sees the branch and keeps serving. Otherwise {@code watch} saw the slot
 * empty (or a newer thread) and started (or unparked) a canceller that serves the branch.
 */
final class Reinterrupter {
    private static final Logger LOG = LoggerFactory.getLogger(LoggerNames.BRANCH);
    /** Re-interrupt period: bounds how long a child that swallowed an interrupt stays blocked in a JDK call. */
    static final long PERIOD_MS = 100;

    private static final java.util.concurrent.locks.ReentrantLock LOCK = new java.util.concurrent.locks.ReentrantLock();
    /** Cancelled branches with children that may still run. Guarded by LOCK. */
    private static final List<BranchCore> WATCHED = new ArrayList<>();
    /**
     * The daemon, started on first need by the runtime's thread factory (so it does not pin the
     * class loader of whichever thread cancelled first), stopped by {@code SafeThread.shutdown}.
     */
    private static final RuntimeThreads.Slot THREAD = new RuntimeThreads.Slot("safethread-canceller", Reinterrupter::run);

    private Reinterrupter() {
    }

    /** Re-interrupts {@code b}'s running children every period until none runs. */
    static void watch(BranchCore b) {
        LOCK.lock();
        try {
            if (!WATCHED.contains(b)) {
                WATCHED.add(b);
            }
        } finally {
            LOCK.unlock();
        }
        // Started on first need, again after a shutdown. Pairs with mustDrain: added, then the slot read.
        LockSupport.unpark(THREAD.ensureRunning());
    }

    /**
     * For a canceller that a shutdown stopped: whether it must go on serving (see the notes).
     * Pairs with {@link #watch}: the slot read, then {@code WATCHED} under the lock.
     *
     * @return true while some branch is watched and no newer canceller has been started
     */
    private static boolean mustDrain() {
        if (THREAD.peek() != null) {
            return false; // a newer canceller (started by a watch after the stop) serves WATCHED
        }
        LOCK.lock();
        try {
            return !WATCHED.isEmpty();
        } finally {
            LOCK.unlock();
        }
    }

    private static void run() {
        ThreadState.markRuntimeThread(); // counted in liveRuntimeThreads; may not call SafeThread.shutdown
        List<BranchCore> round = new ArrayList<>();
        // keepRunning is false once SafeThread.shutdown stopped this thread; it then drains
        while (THREAD.keepRunning() || mustDrain()) {
            LOCK.lock();
            try {
                round.clear();
                round.addAll(WATCHED);
            } finally {
                LOCK.unlock();
            }
            if (round.isEmpty() && THREAD.keepRunning()) {
                LockSupport.park(Reinterrupter.class);
            } else {
                // Branches to serve; or stopped (draining) with none in this round: a fresh
                // canceller may have emptied WATCHED since mustDrain, and nothing unparks a thread
                // no longer in the slot, so it looks again within a period (and then leaves).
                LockSupport.parkNanos(Reinterrupter.class, TimeUnit.MILLISECONDS.toNanos(PERIOD_MS));
            }
            Thread.interrupted(); // nobody should interrupt this thread; ignore it if someone does
            LOCK.lock();
            try {
                round.clear();
                round.addAll(WATCHED);
            } finally {
                LOCK.unlock();
            }
            for (BranchCore b : round) {
                boolean running;
                try {
                    running = b.interruptRunningChildren();
                } catch (Throwable e) {
                    LOG.warn("safethread-canceller: interrupting a child of {} failed", b.scopeName(), e);
                    running = true;
                }
                if (!running) {
                    LOCK.lock();
                    try {
                        WATCHED.remove(b);
                    } finally {
                        LOCK.unlock();
                    }
                }
            }
        }
    }
}
