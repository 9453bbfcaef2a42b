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
        LockSupport.unpark(THREAD.ensureRunning()); // started on first need, again after a shutdown
    }

    private static void run() {
        ThreadState.markRuntimeThread(); // counted in liveRuntimeThreads; may not call SafeThread.shutdown
        List<BranchCore> round = new ArrayList<>();
        while (THREAD.keepRunning()) { // false once SafeThread.shutdown stopped this thread
            LOCK.lock();
            try {
                round.clear();
                round.addAll(WATCHED);
            } finally {
                LOCK.unlock();
            }
            if (round.isEmpty()) {
                LockSupport.park(Reinterrupter.class);
            } else {
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
