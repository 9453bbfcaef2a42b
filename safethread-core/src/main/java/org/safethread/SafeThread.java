package org.safethread;

import java.time.Duration;
import java.util.Objects;
import org.safethread.internal.collector.CycleCollector;
import org.safethread.internal.finalizer.Finalizers;
import org.safethread.internal.finalizer.Registrations;
import org.safethread.internal.metrics.Jmx;
import org.safethread.internal.metrics.Stats;
import org.safethread.internal.monitor.MonitorAccess;
import org.safethread.internal.refcount.ClassInfo;
import org.safethread.internal.refcount.RefCounts;
import org.safethread.internal.runtime.CancelScope;
import org.safethread.internal.runtime.ThreadState;

/**
 * The runtime facade: finalization registration, safe points, the collector, and statistics.
 *
 * <p>The runtime starts lazily and runs on daemon threads: {@code safethread-finalizer} (runs
 * finalizer cores), {@code safethread-collector} (background collections) and
 * {@code safethread-housekeeper} (merges on behalf of blocked or ended owners, JVM-collected
 * notices, the finalizer watchdog); once a {@link Branch} is cancelled with children still
 * running, {@code safethread-canceller} (re-interrupts them every 100 ms). None of them ever runs
 * user code except the finalizer thread, which runs {@code @Finalize} methods.
 *
 * <h2>Settings</h2>
 * System properties read at start-up: {@code safethread.deadlock.delay} (default 0),
 * {@code safethread.finalizer.stallTimeout} (10s), {@code safethread.finalizer.shutdownTimeout}
 * (5s), {@code safethread.leakDetection} (off; also {@code simple}, {@code sampled:N},
 * {@code paranoid}; the old {@code safethread.leakTracking=true} means paranoid),
 * {@code safethread.jmx} (false), {@code safethread.collector.threshold} (10000),
 * {@code safethread.collector.enabled} (true), {@code safethread.collector.handshakeTimeout}
 * (5ms), {@code safethread.monitor.spins} (0). Durations accept {@code 250ms}, {@code 10s},
 * {@code PT1S} or a number of milliseconds.
 */
public final class SafeThread {
    static {
        Jmx.registerIfEnabled(); // safethread.jmx=true: the MXBean appears at first use of the library
    }

    private SafeThread() {
    }

    /**
     * Registers {@code obj} for finalization: when the JVM's collector finds it unreachable, the
     * {@link Finalize} method of its {@link FinalizerCore} runs once on the finalizer thread (a
     * safer {@link java.lang.ref.Cleaner}: the core was checked not to reach {@code obj}). For a
     * {@link RefCounted} (finalized at death anyway), this arms leak detection and captures its
     * core now. Registering twice has no further effect.
     *
     * <p>A {@linkplain Monitor monitor} stands for its target: {@code register(monitor)} registers
     * the object it guards (whose fields hold the core; the monitor keeps it reachable, so it is
     * finalized once the monitor and every other reference to it are gone).
     *
     * <p>Memory consistency effects: actions in the registering thread before this call, and
     * the core's state as captured now, happen-before the {@code @Finalize} method runs on the
     * finalizer thread.
     *
     * @param obj an object with a {@code @FinalizerCore} field, or a monitor guarding one
     * @param <T> its type
     * @return {@code obj}
     * @throws NullPointerException if {@code obj} is null
     * @throws IllegalArgumentException if {@code obj} has no core, or its core is not
     *     shareable, has no proper {@code @Finalize} method, or reaches {@code obj} (the message
     *     names the path back, e.g. {@code core.listener.owner})
     */
    public static <T> T register(T obj) {
        Objects.requireNonNull(obj, "SafeThread.register: obj (the object to finalize) is null");
        ThreadState.current().pollIfRequested();
        Object owner = ownerOf(obj);
        if (owner instanceof RefCounted) {
            RefCounts.register((RefCounted) owner);
        } else {
            Registrations.register(owner);
        }
        return obj;
    }

    /**
     * Runs {@code owner}'s finalizer core in the calling thread, once, and cancels the automatic
     * run. If the core is a monitor, its {@code @Finalize} runs inside it. An exception it throws
     * is counted, logged and rethrown.
     *
     * <p>Memory consistency effects: the core runs in the calling thread, so its actions are
     * ordered with the caller's by program order; if the core ran (or is running) on the
     * finalizer thread instead, this call returns false without waiting for it.
     *
     * <p>A {@linkplain Monitor monitor} stands for its target, as in {@link #register}.
     *
     * @param owner a {@link RefCounted} with a core, or an object given to {@link #register}, or a
     *     monitor guarding one of these
     * @return true if the core ran now; false if it had already run or been cancelled
     * @throws NullPointerException if {@code owner} is null
     * @throws IllegalArgumentException if {@code owner} has no core, or (not being a
     *     {@code RefCounted}) was never registered
     */
    public static boolean finalizeNow(Object owner) {
        Objects.requireNonNull(owner, "SafeThread.finalizeNow: owner (the object whose core to run) is null");
        ThreadState.current().pollIfRequested();
        owner = ownerOf(owner);
        if (owner instanceof RefCounted) {
            return RefCounts.finalizeNow((RefCounted) owner);
        }
        Boolean ran = Registrations.finalizeNow(owner);
        if (ran != null) {
            return ran;
        }
        ClassInfo info = ClassInfo.of(owner.getClass());
        if (!info.hasCore()) {
            throw new IllegalArgumentException("SafeThread.finalizeNow: " + owner.getClass().getName()
                    + " has no @FinalizerCore field, so there is nothing to finalize");
        }
        throw new IllegalArgumentException("SafeThread.finalizeNow: this " + owner.getClass().getName()
                + " was never registered (or its finalizer already ran): call SafeThread.register(obj) first");
    }

    /**
     * The object whose core {@code register}/{@code finalizeNow} mean: a monitor's target (the
     * monitor's own fields are a class proxy's never-initialised copies, or an interface proxy's
     * plumbing), else {@code obj} itself.
     */
    private static Object ownerOf(Object obj) {
        return MonitorAccess.standIn(obj);
    }

    /**
     * A safe point: merges objects that other threads released on this thread's behalf (they die
     * now if nothing is left), answers a pending collection, and captures finalizer cores of
     * objects constructed since the last runtime call. Every safethread operation does this
     * when something is pending; call it from threads that own objects but spend long stretches
     * outside the runtime.
     *
     * <p>Memory consistency effects: for each object that dies here, actions of every thread
     * before it released its reference happen-before the object's death (its {@code Ref} fields
     * cleared, its finalizer core queued).
     */
    public static void poll() {
        ThreadState.current().poll();
    }

    /**
     * A cancellation point (CONTRACT §6): throws {@link CancelledException} if the calling thread
     * is a child of a {@link Branch} that is cancelled, and does so every time it is called while
     * the branch stays cancelled. Otherwise it is a safe point like {@link #poll()}. Call it in
     * long computations of a child that reach no other blocking point.
     *
     * <p>Memory consistency effects: as {@link #poll()}; and the cancellation of the branch
     * happens-before the {@code CancelledException} this throws.
     *
     * @throws CancelledException if the calling thread's branch is cancelled
     */
    public static void checkpoint() {
        ThreadState.current().pollIfRequested();
        CancelScope.check("SafeThread.checkpoint");
    }

    /**
     * Runs a collection now, in the calling thread: finds groups of {@link RefCounted} objects
     * referenced only through each other's {@link Ref} fields and makes them die. Threads that
     * own objects and are running elsewhere are asked to stop at their next safe point; those that
     * do not answer within {@code safethread.collector.handshakeTimeout} keep their objects alive
     * until a later collection.
     *
     * <p>Memory consistency effects: for each collected object, actions of every thread before
     * it released its last reference from outside the group happen-before the object's death;
     * the objects' deaths (their {@code Ref} fields cleared, their finalizer cores queued)
     * happen-before this method returns.
     *
     * @return what the collection examined and collected, and how long it took
     */
    public static CollectionResult collect() {
        return CycleCollector.collect(false);
    }

    /**
     * Waits until every finalizer queued so far has run.
     *
     * <p>Memory consistency effects: the actions of every finalizer that ran happen-before this
     * method returns {@code true}.
     *
     * @param timeout the longest time to wait; zero or negative: do not wait
     * @return true if none is pending; false if the timeout passed first or the thread was
     *     interrupted (its interrupt status is then set)
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalStateException if called on one of the runtime's threads (from a
     *     {@code @Finalize} method running on the finalizer thread): that core is itself pending
     *     until it returns, and the cores queued after it run on the same thread, so the wait
     *     could never succeed; it would only hold up every later finalizer for the whole timeout
     */
    public static boolean awaitFinalizers(Duration timeout) {
        Objects.requireNonNull(timeout, "SafeThread.awaitFinalizers: timeout is null");
        ThreadState ts = ThreadState.current();
        if (ts.isRuntimeThread()) {
            throw new IllegalStateException("SafeThread.awaitFinalizers called on " + Thread.currentThread().getName()
                    + ", one of the runtime's own threads (a @Finalize method on the finalizer thread): the finalizers "
                    + "it would wait for include the one running and those queued behind it on this thread, so it "
                    + "could never return true; wait for finalizers from an application thread instead");
        }
        ts.pollIfRequested();
        long nanos;
        try {
            nanos = Math.max(0, timeout.toNanos());
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE;
        }
        if (Finalizers.pending() == 0) {
            return true;
        }
        ts.detach();
        try {
            return Finalizers.awaitIdle(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            ts.attach();
        }
    }

    /**
     * Stops the runtime's threads, for containers that redeploy or unload applications: waits for
     * the pending finalizers to run, then stops {@code safethread-housekeeper},
     * {@code safethread-collector}, {@code safethread-canceller} and {@code safethread-finalizer},
     * removes the JVM shutdown hook, and unregisters the JMX bean ({@code safethread.jmx=true}).
     * In that order: finalizers queued by the housekeeper's or the collector's last round are
     * waited for too. Call it when the application stops, after its own threads stopped using
     * safethread; then nothing of the runtime keeps the class loader of the library (when the
     * application bundles it) reachable, except the per-thread state of threads that used the
     * library and are still alive (a thread-local, dropped when such a thread ends).
     *
     * <p><b>Later use restarts the runtime.</b> The runtime is not closed: every runtime thread
     * starts again on its next need, exactly as at first use (a death with a finalizer core, a
     * {@link #register}ed object, a merge that needs a helper, a background collection, a
     * cancellation). So a copy of the library that several applications share keeps working for
     * the others. What is already registered stays registered: a registered object that the JVM
     * collects after the shutdown is finalized once the runtime runs again. The JMX bean is not
     * registered again.
     *
     * <p><b>Branches still being joined.</b> A {@link Branch#join} or {@code close} in progress is
     * never stranded: {@code safethread-canceller} goes on re-interrupting the running children
     * of the cancelled branches whose owners still wait, and ends once those children have ended;
     * this method waits for it like for the other threads (so {@code true} means they ended in
     * time). A branch that is not cancelled needs no runtime thread to be joined.
     *
     * <p>Concurrent calls run one after the other; each returns its own result. An interrupt cuts
     * the waits short (the threads are still told to stop) and stays set.
     *
     * <p>Memory consistency effects: everything a finalizer that ran did happens-before this
     * method returns {@code true}.
     *
     * @param timeout the longest time to wait, for the pending finalizers and the threads to end
     *     together; zero or negative: do not wait (the threads are still told to stop)
     * @return true if every pending finalizer ran and every runtime thread ended within the
     *     timeout; false if some finalizer was still pending or running (a running one finishes
     *     on its thread; pending ones run when the runtime starts again), a thread had not ended
     *     yet (it ends on its own shortly after; the canceller, once the children of the cancelled
     *     branches still being joined have ended), safethread was used meanwhile and restarted a
     *     thread, or the calling thread was interrupted
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalStateException if called on one of the runtime's threads, or from a
     *     {@code @Finalize} method (on any thread): the runtime cannot wait for itself to stop
     */
    public static boolean shutdown(Duration timeout) {
        Objects.requireNonNull(timeout, "SafeThread.shutdown: timeout is null");
        ThreadState ts = ThreadState.current();
        if (ts.isRuntimeThread() || Finalizers.runningCoreHere()) {
            throw new IllegalStateException("SafeThread.shutdown called on " + Thread.currentThread().getName()
                    + (ts.isRuntimeThread() ? ", one of the runtime's own threads" : ", inside a @Finalize method")
                    + ": the runtime cannot wait for itself to stop; call it from the thread that stops the application");
        }
        ts.poll(); // this thread's own released objects die now, their finalizers queued before the wait
        long nanos;
        try {
            nanos = Math.max(0, timeout.toNanos());
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE / 2;
        }
        long deadline = System.nanoTime() + Math.min(nanos, Long.MAX_VALUE / 2);
        ts.detach();
        try {
            boolean done = Finalizers.shutdown(deadline);
            Jmx.unregister();
            return done;
        } finally {
            ts.attach();
        }
    }

    /**
     * The runtime's counters now. Each counter is read once, so the snapshot is not atomic across
     * counters (a finalizer may be counted as run and, for a moment, still as pending).
     *
     * <p>Memory consistency effects: each abnormal event (a failed or stalled finalizer, a leak,
     * an over-release) is counted after its JFR event is committed and its log line written, so
     * a count read here means those are out.
     *
     * @return a snapshot of the runtime's counters
     */
    public static RuntimeStats stats() {
        ThreadState.current().pollIfRequested();
        return Stats.snapshot();
    }
}
