package org.safethread.internal.runtime;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.safethread.internal.finalizer.Finalizers;
import org.safethread.internal.finalizer.ReferenceReaper;
import org.safethread.internal.refcount.Merges;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime's housekeeping daemon, {@code safethread-housekeeper}: it merges counts on behalf
 * of owners that are blocked inside the runtime or have terminated, delivers death notices for
 * objects the JVM's collector found unreachable, finishes and forgets terminated threads, and
 * watches the finalizer thread (stalls, and a worker that died).
 *
 * <h2>Implementation notes</h2>
 * <p>It never runs user code. It parks between rounds: {@value #BUSY_PERIOD_MS} ms after a round that merged
 * something, {@value #PENDING_PERIOD_MS} ms while merges are pending (the contract promises death within 10 ms of a blocked or terminated owner),
 * {@value #IDLE_PERIOD_MS} ms otherwise. {@link #requestMergeHelp()} unparks it at once. An
 * exception in one task is logged and the loop goes on, so a bug cannot kill the thread; should
 * it end anyway, the next {@link #ensureStarted()} (called on every merge request, finalizer
 * enqueue, and by the finalizer thread when idle) starts a fresh one ({@link RuntimeThreads.Slot}).
 * {@code SafeThread.shutdown} stops it through the same slot; the next need starts it again.
 */
public final class Housekeeper {
    private static final Logger LOG = LoggerFactory.getLogger(LoggerNames.RUNTIME);
    /** Round period right after a round that merged something: more may follow at once. */
    private static final long BUSY_PERIOD_MS = 1;
    /** Round period while merges wait on owners that are running: inside the 10 ms promise for owners that end. */
    private static final long PENDING_PERIOD_MS = 5;
    /** Round period when idle: keeps wake-ups rare (20/s) while bounding reaper latency. */
    private static final long IDLE_PERIOD_MS = 50;
    /** Terminated-thread pruning runs every this many idle rounds. */
    private static final int PRUNE_EVERY = 4;

    private static final RuntimeThreads.Slot THREAD = new RuntimeThreads.Slot("safethread-housekeeper", Housekeeper::run);

    private Housekeeper() {
    }

    /** Starts the daemon if it is not running yet (or starts a fresh one if it ended). */
    public static void ensureStarted() {
        THREAD.ensureRunning();
    }

    /** Asks the housekeeper to look for merges to do on some owner's behalf now. */
    public static void requestMergeHelp() {
        LockSupport.unpark(THREAD.ensureRunning());
    }

    private static void run() {
        ThreadState.markRuntimeThread();
        int round = 0;
        while (THREAD.keepRunning()) { // false once SafeThread.shutdown stopped this thread
            try {
                boolean busy = round(++round);
                long period = busy ? BUSY_PERIOD_MS
                        : Merges.hasOwnersWithWork() ? PENDING_PERIOD_MS : IDLE_PERIOD_MS;
                LockSupport.parkNanos(Housekeeper.class, TimeUnit.MILLISECONDS.toNanos(period));
            } catch (Throwable t) {
                report("a housekeeping round", t);
                LockSupport.parkNanos(Housekeeper.class, TimeUnit.MILLISECONDS.toNanos(IDLE_PERIOD_MS));
            }
        }
    }

    private static boolean round(int round) {
        boolean busy = false;
        try {
            busy = Merges.helpOwners();
        } catch (Throwable t) {
            report("merging on behalf of owners", t);
        }
        try {
            ReferenceReaper.drain();
        } catch (Throwable t) {
            report("delivering JVM-collected notices", t);
        }
        try {
            Finalizers.watchdog();
        } catch (Throwable t) {
            report("the finalizer watchdog", t);
        }
        if (round % PRUNE_EVERY == 0) {
            try {
                ThreadRegistry.pruneTerminated();
            } catch (Throwable t) {
                report("pruning terminated threads", t);
            }
            try {
                ThreadRegistry.captureForIdleOwners();
            } catch (Throwable t) {
                report("capturing finalizer cores for idle owners", t);
            }
        }
        return busy;
    }

    private static void report(String what, Throwable t) {
        try {
            LOG.error("safethread housekeeper: {} failed: {}", what, SafeText.of(t), SafeText.loggable(t));
        } catch (Throwable ignored) {
            // the logging backend failed: carry on, the next round tries again
        }
    }
}
