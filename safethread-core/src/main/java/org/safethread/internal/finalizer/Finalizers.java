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
 *       behind are all cleared). The user's exception is never handed to the logger: it is
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
 * </ul>
 */
public final class Finalizers {
    private static final Logger LOG = LoggerFactory.getLogger(Finalizers.class);
    /** How often an idle worker wakes to notice it was replaced. */
    private static final long IDLE_POLL_MS = 200;
    /** Cores a worker takes from the queue at once: one lock round trip instead of one each. */
    private static final int BATCH = 256;

    private record Task(Object core, Class<?> ownerType) {
    }

    private static final LinkedBlockingQueue<Task> QUEUE = new LinkedBlockingQueue<>();
    private static final AtomicLong PENDING = new AtomicLong();
    private static final ReentrantLock IDLE_LOCK = new ReentrantLock();
    private static final Condition IDLE = IDLE_LOCK.newCondition();
    private static final AtomicInteger GENERATION = new AtomicInteger();
    private static final AtomicBoolean STARTED = new AtomicBoolean();
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
        ensureStarted();
        PENDING.incrementAndGet();
        Counters.FINALIZERS_QUEUED.increment();
        QUEUE.add(new Task(core, ownerType));
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
        if (STARTED.compareAndSet(false, true)) {
            startWorker();
            Housekeeper.ensureStarted();
            try {
                Runtime.getRuntime().addShutdownHook(
                        RuntimeThreads.newThread("safethread-shutdown", Finalizers::drainAtShutdown));
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already exiting; nothing to hook
            }
        }
    }

    private static void startWorker() {
        int gen = GENERATION.incrementAndGet();
        Worker w = new Worker(gen);
        Thread t = RuntimeThreads.newThread(gen == 1 ? "safethread-finalizer" : "safethread-finalizer-" + gen, w);
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
            // It died although everything it runs is contained: replace it, as for a stall.
            LOG.error("safethread: finalizer thread {} ended unexpectedly; a fresh finalizer thread takes over "
                    + "the queue", w.thread.getName());
            startWorker();
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
            startWorker();
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
            Counters.FINALIZERS_RUN.increment();
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> void sneakyThrow(Throwable e) throws E {
        throw (E) e;
    }

    /** Puts back cores a replaced worker had taken but not run (they stay pending). */
    private static void giveBack(java.util.Queue<Task> rest) {
        Task t;
        while ((t = rest.poll()) != null) {
            QUEUE.add(t);
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

        @Override
        public void run() {
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
                Housekeeper.ensureStarted(); // idle: make sure our own watchdog is alive
                return;
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
                    running = t;
                    runningSince = System.nanoTime();
                    try {
                        Finalizers.run(t.core, t.ownerType, false);
                    } finally {
                        runningSince = 0;
                        running = null;
                        Thread.interrupted(); // a core must not leave the thread interrupted
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
