package org.safethread.internal.finalizer;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.safethread.internal.events.FinalizerFailedEvent;
import org.safethread.internal.events.FinalizerStalledEvent;
import org.safethread.internal.monitor.MonitorAccess;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.Housekeeper;
import org.safethread.internal.runtime.Notices;
import org.safethread.internal.runtime.RuntimeThreads;
import org.safethread.internal.runtime.SafeText;
import org.safethread.internal.runtime.Settings;
import org.jspecify.annotations.Nullable;
import org.safethread.internal.runtime.LoggerNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The finalizer service: a queue of cores whose {@code @Finalize} method must run, and the
 * daemon thread ({@code safethread-finalizer}) that runs them, one at a time, in queue order.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li>Each core is enqueued at most once: callers enqueue only after winning the object's
 *       exactly-once claim ({@code Extras.claimFinalization} or a registration's claim).</li>
 *   <li>{@code pending} counts cores queued or running; it is incremented before the core is
 *       queued and decremented after it ran, so {@code pending == 0} means every queued core has
 *       run. Waiters on {@link #awaitIdle} are signalled under a lock when it reaches zero.</li>
 *   <li>A core that throws is counted, then logged at WARN with its class; the thread goes on
 *       (exceptions, errors — {@code StackOverflowError} included — and interrupts a core leaves
 *       behind are all cleared, and the thread's name, priority, context class loader and
 *       uncaught-exception handler, if a core changed them, are put back:
 *       {@code RuntimeThreads.resetAfterUserCode}). The user's exception is never handed to the logger: it is
 *       rendered defensively ({@link SafeText}), so a {@code getMessage()} or {@code toString()}
 *       that throws cannot kill the thread either.</li>
 *   <li>A worker that died anyway (a failure of the runtime itself, or of the logging backend)
 *       counts what it ran ({@code finished} is in a {@code finally}); the housekeeper's watchdog
 *       sees its thread TERMINATED, starts a fresh worker and gives it the dead worker's batch,
 *       exactly as for a stall. An idle worker in turn makes sure the housekeeper is running, so
 *       neither thread is ever lost.</li>
 *   <li>A worker takes up to {@value #BATCH} cores from the queue at once (one lock round trip)
 *       into its own batch, a concurrent queue, and runs them in order.</li>
 *   <li>Stalls: the worker records when its current core started. The housekeeper's watchdog
 *       reports a core running past {@code safethread.finalizer.stallTimeout} (WARN), bumps the
 *       generation, starts a fresh worker on the same queue, and moves the stalled worker's
 *       untouched batch back to the queue (each core is taken from the batch by one thread only,
 *       so none runs twice). The stalled worker, if its core ever returns, sees the new
 *       generation, gives back anything left, and exits.</li>
 *   <li>At JVM shutdown a hook waits for pending cores for at most
 *       {@code safethread.finalizer.shutdownTimeout}.</li>
 *   <li>Start and stop ({@link #shutdown}, for {@code SafeThread.shutdown}): {@code STARTED}
 *       changes only under {@code LIFECYCLE}, with the worker and the JVM hook. {@link #enqueue}
 *       publishes its core (queue, then pending count) <em>before</em> it reads {@code STARTED};
 *       a stop clears {@code STARTED} <em>before</em> it looks at the queue (pairs with
 *       {@link #enqueue}). Both are volatile or locked accesses, so at least one of the two sees
 *       the other: the enqueuer starts a fresh worker, or the stopper finds the core and starts
 *       one itself. A core is never left queued with no worker. The stop then queues
 *       {@code STOP}, a task that is no core, so that the idle worker wakes and sees its
 *       generation gone at once; any worker skips it. The jcstress test
 *       {@code FinalizerStopVsEnqueueTest} races the two ends.</li>
 * </ul>
 */
public final class Finalizers {
    private static final Logger LOG = LoggerFactory.getLogger(LoggerNames.FINALIZER);
    /** How often an idle worker wakes to notice it was replaced. */
    private static final long IDLE_POLL_MS = 200;
    /** Cores a worker takes from the queue at once: one lock round trip instead of one each. */
    private static final int BATCH = 256;

    private record Task(Object core, Class<?> ownerType) {
    }

    private static final LinkedBlockingQueue<Task> QUEUE = new LinkedBlockingQueue<>();
    /**
     * Queued by a stop to wake the idle worker at once (instead of at its next poll timeout): not
     * a core, never counted as pending, skipped wherever a worker finds it.
     */
    private static final Task STOP = new Task(new Object(), Object.class);
    private static final AtomicLong PENDING = new AtomicLong();
    private static final ReentrantLock IDLE_LOCK = new ReentrantLock();
    private static final Condition IDLE = IDLE_LOCK.newCondition();
    private static final AtomicInteger GENERATION = new AtomicInteger();
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    /** Guards starting and stopping: STARTED's changes, the worker's start, the JVM hook. */
    private static final ReentrantLock LIFECYCLE = new ReentrantLock();
    /** One {@link #shutdown} at a time; a second waits for the first and then does its own. */
    private static final ReentrantLock SHUTDOWN = new ReentrantLock();
    /**
     * True while a shutdown stops the threads: the worker then does not restart the housekeeper
     * (its idle check), which would otherwise undo the stop it is part of.
     */
    private static volatile boolean stopping;
    /** The JVM shutdown hook while registered. Guarded by LIFECYCLE. */
    private static @Nullable Thread hook;
    /** Depth of {@code @Finalize} calls running in this thread (SafeThread.shutdown refuses them). */
    private static final ThreadLocal<int[]> RUNNING_HERE = ThreadLocal.withInitial(() -> new int[1]);
    private static volatile Worker worker;

    static {
        Housekeeper.register(new Housekeeper.Task() {
            @Override
            public String roleName() {
                return "the finalizer watchdog";
            }

            @Override
            public int doWork() {
                watchdog();
                return 0; // it replaces at most one thread a round: nothing to hurry for
            }
        });
    }

    private Finalizers() {
    }

    /** Queues {@code core} to be finalized on the finalizer thread. */
    public static void enqueue(Object core, Class<?> ownerType) {
        PENDING.incrementAndGet();
        Counters.FINALIZERS_QUEUED.increment();
        QUEUE.add(new Task(core, ownerType));
        ensureStarted(); // after the add: pairs with the queue check in stopWorker
    }

    /**
     * Runs {@code core}'s {@code @Finalize} in the calling thread (for
     * {@code SafeThread.finalizeNow}), counting it; an exception it throws is counted, logged and
     * rethrown to the caller.
     */
    public static void runNow(Object core, Class<?> ownerType) {
        run(core, ownerType, true);
    }

    /** @return cores queued or running now */
    public static long pending() {
        return PENDING.get();
    }

    /**
     * Waits until every queued core has run.
     *
     * @return true if none is pending, false if the timeout passed first
     */
    public static boolean awaitIdle(long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        IDLE_LOCK.lock();
        try {
            while (PENDING.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                IDLE.awaitNanos(left);
            }
            return true;
        } finally {
            IDLE_LOCK.unlock();
        }
    }

    private static void ensureStarted() {
        if (STARTED.get()) {
            Housekeeper.ensureStarted(); // the finalizer's watchdog: cheap when running
            return;
        }
        LIFECYCLE.lock();
        try {
            if (!STARTED.get()) {
                startWorker(false);
                Thread h = RuntimeThreads.newThread("safethread-shutdown", Finalizers::drainAtShutdown);
                try {
                    Runtime.getRuntime().addShutdownHook(h);
                    hook = h;
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is already exiting; nothing to hook
                }
                STARTED.set(true);
            }
        } finally {
            LIFECYCLE.unlock();
        }
        Housekeeper.ensureStarted();
    }

    /**
     * For {@code SafeThread.shutdown}: waits for the pending cores, stops the housekeeper, the
     * collector and the canceller ({@link RuntimeThreads#stopSlots}), waits for the cores their
     * last rounds queued, then stops the finalizer worker and removes the JVM shutdown hook. The
     * next core queued (or the next need of any runtime thread) starts them again. Runs one at a
     * time; the caller has checked that it is not a runtime thread nor inside a core.
     *
     * <p>An interrupt cuts the waits short (the threads are still told to stop) and is left set.
     *
     * @param deadlineNanos the {@link System#nanoTime()} by which to give up waiting
     * @return true if every queued core ran and every runtime thread ended by the deadline; false
     *     otherwise, or if the caller was interrupted (its interrupt status is then set)
     */
    public static boolean shutdown(long deadlineNanos) {
        try {
            SHUTDOWN.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            boolean drained = awaitIdleUntil(deadlineNanos);
            stopping = true;
            boolean stopped = RuntimeThreads.stopSlots(deadlineNanos);
            drained = awaitIdleUntil(deadlineNanos) && drained; // cores the stopped threads' last rounds queued
            stopped = stopWorker(deadlineNanos) && stopped; // joins the worker: it is past its idle check
            return drained && stopped && !Thread.currentThread().isInterrupted();
        } finally {
            stopping = false;
            SHUTDOWN.unlock();
        }
    }

    private static boolean awaitIdleUntil(long deadlineNanos) {
        try {
            return awaitIdle(deadlineNanos - System.nanoTime());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the later waits return at once
            return PENDING.get() == 0;
        }
    }

    /** Stops the current worker and unhooks; restarts at once if a core was queued meanwhile. */
    private static boolean stopWorker(long deadlineNanos) {
        Worker w;
        LIFECYCLE.lock();
        try {
            if (!STARTED.get()) {
                return true;
            }
            STARTED.set(false); // pairs with the STARTED read in enqueue (after its add)
            w = worker;
            worker = null;
            GENERATION.incrementAndGet(); // the worker leaves at its next look (STOP below wakes it)
            Thread h = hook;
            hook = null;
            if (h != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(h);
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is exiting: the hook runs anyway
                }
            }
        } finally {
            LIFECYCLE.unlock();
        }
        boolean restarted = false;
        if (hasCores()) { // a core queued while we stopped: its enqueuer may have seen STARTED true
            ensureStarted();
            restarted = true;
        }
        QUEUE.add(STOP); // wakes the stopped worker now; a current one skips it
        return !restarted && (w == null || RuntimeThreads.join(w.thread, deadlineNanos));
    }

    /** @return whether a core (not a leftover {@link #STOP}) is queued; the iterator locks the queue */
    private static boolean hasCores() {
        for (Task t : QUEUE) {
            if (t != STOP) {
                return true;
            }
        }
        return false;
    }

    /** @return whether the calling thread is running a {@code @Finalize} method now */
    public static boolean runningCoreHere() {
        return RUNNING_HERE.get()[0] > 0;
    }

    /** Replacements since the last start, for the replacement's name ({@code safethread-finalizer-2}, ...). Guarded by LIFECYCLE. */
    private static int replacements;

    /** Starts a worker under LIFECYCLE: the first one (named plainly) or a replacement. */
    private static void startWorker(boolean replacement) {
        int gen = GENERATION.incrementAndGet();
        replacements = replacement ? replacements + 1 : 0;
        Worker w = new Worker(gen);
        Thread t = RuntimeThreads.newThread(
                replacement ? "safethread-finalizer-" + (replacements + 1) : "safethread-finalizer", w);
        w.thread = t;
        worker = w;
        t.start();
    }

    /** Housekeeper: replaces a worker whose current core runs past the stall timeout. */
    private static void watchdog() {
        Worker w = worker;
        if (w == null) {
            return;
        }
        if (w.thread.getState() == Thread.State.TERMINATED) {
            if (!replace(w)) {
                return; // stopped by a shutdown meanwhile, not dead
            }
            // It died although everything it runs is contained: replaced, as for a stall.
            LOG.error("safethread: finalizer thread {} ended unexpectedly; a fresh finalizer thread takes over "
                    + "the queue", w.thread.getName());
            giveBack(w.batch);
            return;
        }
        long since = w.runningSince;
        Task t = w.running;
        if (since == 0 || t == null || w.reported) {
            return;
        }
        long ran = System.nanoTime() - since;
        if (ran > Settings.stallTimeoutNanos()) {
            w.reported = true;
            FinalizerStalledEvent jfr = new FinalizerStalledEvent();
            jfr.begin();
            LOG.warn("safethread: the finalizer of {} (core {}) has run for {} ms, past the stall timeout; "
                    + "a fresh finalizer thread takes over the queue (thread {} is left to finish)",
                    t.ownerType.getName(), t.core.getClass().getName(), TimeUnit.NANOSECONDS.toMillis(ran),
                    w.thread.getName());
            Notices.unlogged(LOG.isWarnEnabled(), "a finalizer stalled past the stall timeout");
            replace(w);
            giveBack(w.batch); // the cores queued behind the stalled one go to the fresh worker
            jfr.end();
            if (jfr.shouldCommit()) {
                jfr.coreClass = t.core.getClass().getName();
                jfr.ownerClass = t.ownerType.getName();
                jfr.stalledThread = w.thread.getName();
                jfr.running = ran;
                jfr.commit();
            }
            // Counted last: whoever sees the count (stats(), a test, a dashboard) can rely on the
            // stall's event and log line being out already.
            Counters.FINALIZER_STALLS.increment();
        }
    }

    /** Starts a replacement for {@code w} unless a shutdown stopped it (or it was replaced) meanwhile. */
    private static boolean replace(Worker w) {
        LIFECYCLE.lock();
        try {
            if (!STARTED.get() || worker != w) {
                return false;
            }
            startWorker(true);
            return true;
        } finally {
            LIFECYCLE.unlock();
        }
    }

    private static void drainAtShutdown() {
        try {
            if (!awaitIdle(Settings.shutdownTimeoutNanos()) && LOG.isWarnEnabled()) {
                LOG.warn("safethread: JVM exit with {} finalizer(s) still pending after the shutdown timeout",
                        PENDING.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void run(Object core, Class<?> ownerType, boolean rethrow) {
        FinalizerFailedEvent jfr = new FinalizerFailedEvent();
        jfr.begin();
        int[] depth = RUNNING_HERE.get();
        depth[0]++;
        try {
            if (MonitorAccess.isMonitor(core)) {
                MonitorAccess.runInside(core, target -> FinalizeMethods.of(target.getClass()).invoke(target));
            } else {
                FinalizeMethods.of(core.getClass()).invoke(core);
            }
        } catch (Throwable e) {
            try {
                jfr.failed(core, ownerType, e);
                LOG.warn("safethread: @Finalize of {} (finalizer core of {}) threw {}", core.getClass().getName(),
                        ownerType.getName(), SafeText.of(e), SafeText.loggable(e));
                Notices.unlogged(LOG.isWarnEnabled(), "a @Finalize method threw");
            } catch (Throwable logFailed) {
                // rendering, JFR or the logging backend failed: the failure is still counted below
            }
            // Counted after its event and log line: whoever sees the count can rely on them.
            Counters.FINALIZER_FAILURES.increment();
            if (rethrow) {
                sneakyThrow(e);
            }
        } finally {
            depth[0]--;
            Counters.FINALIZERS_RUN.increment();
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> void sneakyThrow(Throwable e) throws E {
        throw (E) e;
    }

    /**
     * Puts back cores a replaced or stopped worker had taken but not run (they stay pending).
     * A stopper may have looked for queued cores while they were in the batch: like
     * {@link #enqueue}, this reads {@code STARTED} after adding them, and starts a worker if a
     * stop left none (pairs with the queue check in {@link #stopWorker}).
     */
    private static void giveBack(java.util.Queue<Task> rest) {
        Task t;
        boolean any = false;
        while ((t = rest.poll()) != null) {
            QUEUE.add(t);
            any |= t != STOP;
        }
        if (any && !STARTED.get()) {
            ensureStarted();
        }
    }

    private static void finished(int n) {
        if (n > 0 && PENDING.addAndGet(-n) == 0) {
            IDLE_LOCK.lock();
            try {
                IDLE.signalAll();
            } finally {
                IDLE_LOCK.unlock();
            }
        }
    }

    private static final class Worker implements Runnable {
        final int generation;
        /** Cores taken from the queue and not yet run; the watchdog gives them back on a stall. */
        final java.util.concurrent.ConcurrentLinkedQueue<Task> batch = new java.util.concurrent.ConcurrentLinkedQueue<>();
        volatile Thread thread;
        volatile long runningSince;
        volatile Task running;
        volatile boolean reported;

        Worker(int generation) {
            this.generation = generation;
        }

        /** The thread's name as started, restored after each core (RuntimeThreads.resetAfterUserCode). */
        private String name;

        @Override
        public void run() {
            name = Thread.currentThread().getName();
            org.safethread.internal.runtime.ThreadState.markRuntimeThread();
            java.util.ArrayList<Task> taken = new java.util.ArrayList<>(BATCH);
            while (GENERATION.get() == generation) {
                try {
                    serveOnce(taken);
                } catch (Throwable t) {
                    taken.clear(); // whatever failed (not a core: those are contained), keep serving
                }
            }
        }

        private void serveOnce(java.util.ArrayList<Task> taken) {
            Task first;
            try {
                first = QUEUE.poll(IDLE_POLL_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return; // interrupt status is cleared by poll's throw; keep serving
            }
            if (first == null) {
                if (!stopping && GENERATION.get() == generation) {
                    Housekeeper.ensureStarted(); // idle: make sure our own watchdog is alive
                }
                return;
            }
            if (first == STOP) {
                return; // a stop's wake-up: the loop re-reads the generation
            }
            taken.add(first);
            QUEUE.drainTo(taken, BATCH - 1); // one lock round trip for many cores
            batch.addAll(taken);
            taken.clear();
            int done = 0;
            try {
                Task t;
                // The watchdog may take the rest of the batch back if a core here stalls.
                while (GENERATION.get() == generation && (t = batch.poll()) != null) {
                    if (t == STOP) {
                        continue; // drained along with cores queued after a stop: not a core
                    }
                    running = t;
                    runningSince = System.nanoTime();
                    try {
                        Finalizers.run(t.core, t.ownerType, false);
                    } finally {
                        runningSince = 0;
                        running = null;
                        Thread.interrupted(); // a core must not leave the thread interrupted
                        RuntimeThreads.resetAfterUserCode(Thread.currentThread(), name); // nor changed otherwise
                        done++;
                    }
                }
                if (GENERATION.get() != generation) {
                    giveBack(batch); // replaced while we ran: the new worker takes the rest
                }
            } finally {
                finished(done); // even if this thread is dying: the cores it ran are not pending
            }
        }
    }
}
