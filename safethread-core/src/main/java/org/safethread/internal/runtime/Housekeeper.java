package org.safethread.internal.runtime;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime's housekeeping daemon, {@code safethread-housekeeper}: it runs, round after round,
 * the tasks the layers above register ({@link #register}): today the count engine merges counts on
 * behalf of owners that are blocked inside the runtime or have terminated, and the finalizer layer
 * delivers death notices for objects the JVM's collector found unreachable and watches the
 * finalizer thread (stalls, and a worker that died). Its own task finishes and forgets terminated
 * threads. It names none of the layers above it.
 *
 * <h2>Implementation notes</h2>
 * <p>A task is an agent in the style of Agrona's {@code Agent}: {@link Task#doWork()} does one
 * round's work and returns how much it did, which drives the back-off. The daemon never runs user
 * code. It parks between rounds: {@value #BUSY_PERIOD_MS} ms after a round in which some task did
 * work, {@value #PENDING_PERIOD_MS} ms while some task {@linkplain Task#workPending() has work
 * waiting on others} (merges pending on owners that are running: the contract promises death
 * within 10 ms of a blocked or terminated owner), {@value #IDLE_PERIOD_MS} ms otherwise.
 * {@link #requestMergeHelp()} unparks it at once. Tasks are kept in a copy-on-write list: a task
 * registered while a round runs is run from the next round on. An exception in one task is
 * logged and the loop goes on, so a bug cannot kill the thread; should it end anyway, the next
 * {@link #ensureStarted()} (called on every merge request, finalizer enqueue, and by the finalizer
 * thread when idle) starts a fresh one ({@link RuntimeThreads.Slot}).
 * {@code SafeThread.shutdown} stops it through the same slot; the next need starts it again.
 */
public final class Housekeeper {
    private static final Logger LOG = LoggerFactory.getLogger(LoggerNames.RUNTIME);
    /** Round period right after a round in which a task did work: more may follow at once. */
    private static final long BUSY_PERIOD_MS = 1;
    /** Round period while merges wait on owners that are running: inside the 10 ms promise for owners that end. */
    private static final long PENDING_PERIOD_MS = 5;
    /** Round period when idle: keeps wake-ups rare (20/s) while bounding reaper latency. */
    private static final long IDLE_PERIOD_MS = 50;
    /** Terminated-thread pruning runs every this many rounds. */
    private static final int PRUNE_EVERY = 4;

    /**
     * One piece of housekeeping that a layer above registers: an agent whose {@link #doWork()}
     * the housekeeper calls once per round, on its own thread.
     */
    public interface Task {
        /** @return what the task does, for the log line when it fails ("merging on behalf of owners") */
        String roleName();

        /**
         * Does one round of this task's work. Must not block and must not run user code.
         *
         * @return the work done (0: there was nothing to do); any work makes the next round come
         *     after {@value Housekeeper#BUSY_PERIOD_MS} ms, as more may follow at once
         */
        int doWork();

        /**
         * @return whether work waits on others (the next round comes within
         *     {@value Housekeeper#PENDING_PERIOD_MS} ms rather than the idle period)
         */
        default boolean workPending() {
            return false;
        }
    }

    private static final CopyOnWriteArrayList<Task> TASKS = new CopyOnWriteArrayList<>();

    private static final RuntimeThreads.Slot THREAD = new RuntimeThreads.Slot("safethread-housekeeper", Housekeeper::run);

    static {
        // The runtime's own tasks, every PRUNE_EVERY rounds.
        register(every(PRUNE_EVERY, "pruning terminated threads", ThreadRegistry::pruneTerminated));
        register(every(PRUNE_EVERY, "capturing finalizer cores for idle owners", ThreadRegistry::captureForIdleOwners));
    }

    /** @return a task that runs {@code work} every {@code rounds} rounds and reports no work (it never hurries the next round) */
    private static Task every(int rounds, String role, Runnable work) {
        return new Task() {
            private int round; // housekeeper thread only

            @Override
            public String roleName() {
                return role;
            }

            @Override
            public int doWork() {
                if (++round % rounds == 0) {
                    work.run();
                }
                return 0;
            }
        };
    }

    private Housekeeper() {
    }

    /**
     * Adds a task to every round from the next one on (the layer that owns the work, once, from
     * its class initializer). Does not start the daemon.
     */
    public static void register(Task task) {
        TASKS.add(task);
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
        while (THREAD.keepRunning()) { // false once SafeThread.shutdown stopped this thread
            try {
                boolean busy = round();
                long period = busy ? BUSY_PERIOD_MS : workPending() ? PENDING_PERIOD_MS : IDLE_PERIOD_MS;
                LockSupport.parkNanos(Housekeeper.class, TimeUnit.MILLISECONDS.toNanos(period));
            } catch (Throwable t) {
                report("a housekeeping round", t);
                LockSupport.parkNanos(Housekeeper.class, TimeUnit.MILLISECONDS.toNanos(IDLE_PERIOD_MS));
            }
        }
    }

    /** @return whether some task did work */
    private static boolean round() {
        boolean busy = false;
        for (Task task : TASKS) {
            try {
                busy |= task.doWork() > 0;
            } catch (Throwable t) {
                report(task.roleName(), t);
            }
        }
        return busy;
    }

    private static boolean workPending() {
        for (Task task : TASKS) {
            if (task.workPending()) {
                return true;
            }
        }
        return false;
    }

    private static void report(String what, Throwable t) {
        try {
            LOG.error("safethread housekeeper: {} failed: {}", what, SafeText.of(t), SafeText.loggable(t));
        } catch (Throwable ignored) {
            // the logging backend failed: carry on, the next round tries again
        }
    }
}
