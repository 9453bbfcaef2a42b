package org.safethread.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Timeout;
import org.openjdk.jmh.annotations.Warmup;
import org.safethread.DeadlockException;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;
import org.safethread.internal.monitor.MonitorAccess;
import org.safethread.internal.monitor.MonitorLock;
import org.safethread.internal.monitor.ProxySupport;

/**
 * Deadlock breaking latency: from the moment a wait-for cycle closes to the victim's
 * {@link DeadlockException}.
 *
 * <h2>safethread ({@code safethreadCycleClose})</h2>
 * In safethread the thread whose wait closes the cycle walks the wait-for graph from the monitor
 * it wants just before it parks ({@code MonitorLock.waitToEnter} and {@code WaitForGraph.detect},
 * after {@code safethread.monitor.spins} failed spins); the victim is the youngest operation on
 * the cycle (wait-die), which here is the closer's (its call starts after the helper's), so it
 * finds itself and throws at once. The per-invocation tear-down ends the lost operation with one
 * ordinary call, because a victim keeps its operation's age for its immediate retry. Each invocation is arranged so:
 * <ol>
 *   <li>(setup) the benchmark thread enters monitor A and stays inside it. A monitor is normally
 *       held only for the span of a monitor-method call, which cannot straddle JMH's setup and
 *       benchmark methods, so the setup enters A with the same internal entry
 *       ({@code ProxySupport.enter}) that A's generated proxy methods call;</li>
 *   <li>(setup) a helper thread, started once per trial, enters monitor B and from inside it
 *       calls into A, where it blocks; the setup waits (bounded) until the helper is parked on
 *       A's lock;</li>
 *   <li>(measured) the benchmark thread calls {@code b.touch()}, an ordinary monitor call. It
 *       closes the cycle A&rarr;B&rarr;A and must throw {@code DeadlockException}; the sample is
 *       that call, from its start to the exception arriving in the caller (which includes the
 *       brief spin before the detector runs, building the message, and filling in the
 *       exception's stack trace);</li>
 *   <li>(tear-down) the benchmark thread leaves A; the helper enters it, both return, and the
 *       tear-down waits (bounded) for the helper to be idle again.</li>
 * </ol>
 * Every wait is bounded (5 s) and fails the run instead of hanging; the measured call itself
 * cannot be bounded from inside (monitor entry is not interruptible), so a watchdog halts the
 * forked JVM if it has not returned after 10 s.
 *
 * <h2>Peer ({@code jdkWatchdogDetectAndInterrupt})</h2>
 * The JDK cannot break a deadlock, only diagnose one: {@link ThreadMXBean#findDeadlockedThreads()}.
 * The best a plain-JDK program can do is a watchdog that calls it and interrupts a victim blocked
 * in {@link ReentrantLock#lockInterruptibly()}. Here two helper threads deadlock for real on two
 * {@code ReentrantLock}s (set up per invocation), and the measured call is one watchdog round
 * run the moment the cycle exists: {@code findDeadlockedThreads()}, interrupt the victim, and
 * wait until the victim has caught its {@link InterruptedException}. A real watchdog also waits
 * for its polling period (PostgreSQL's {@code deadlock_timeout} and python-safethread's check
 * default to 1 s), so this is a lower bound for the peer.
 *
 * <p>Goal: safethread's median below 10 µs (issue 13; it was 1 ms).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Timeout(time = 60)
@Fork(1)
public class DeadlockBench {
    static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** Monitor B's target (and A's): one method that calls into the other monitor, one that touches. */
    public static class Node {
        private Node other;
        private int touched;

        /** Wired once, before any thread uses the monitors. */
        void wire(Node otherMonitor) {
            this.other = otherMonitor;
        }

        @MonitorMethod
        public int callOther() {
            return other.touch() + touched;
        }

        @MonitorMethod
        public int touch() {
            return ++touched;
        }
    }

    // ------------------------------------------------------------------ safethread

    /** The two monitors, the helper thread, and the per-invocation arrangement. */
    @State(Scope.Thread)
    public static class Cycle {
        Node a;
        Node b;
        MonitorLock lockA;
        Thread helper;
        final Semaphore go = new Semaphore(0);
        final Semaphore done = new Semaphore(0);
        final AtomicReference<Throwable> helperFailure = new AtomicReference<>();
        volatile boolean running = true;
        Object tokenA;
        /** When the current invocation's cycle was armed (0 between invocations); for the watchdog. */
        volatile long armedAt;
        Thread watchdog;

        @Setup(Level.Trial)
        public void start() {
            Node ta = new Node();
            Node tb = new Node();
            a = Monitor.of(ta);
            b = Monitor.of(tb);
            ta.wire(b); // not used by the benchmark thread; kept symmetric
            tb.wire(a); // helper: inside B, calls a.touch()
            lockA = MonitorAccess.lockOf(a);
            helper = new Thread(this::helperLoop, "deadlock-helper");
            helper.setDaemon(true);
            helper.start();
            watchdog = new Thread(this::watch, "deadlock-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
        }

        /**
         * The measured call cannot be bounded from inside (a monitor entry is not interruptible),
         * so if safethread ever failed to break the cycle this ends the forked JVM instead of
         * hanging the run: JMH then reports the fork as failed and goes on.
         */
        private void watch() {
            while (running) {
                long armed = armedAt;
                if (armed != 0 && System.nanoTime() - armed > TimeUnit.SECONDS.toNanos(10)) {
                    Thread t = benchThread;
                    System.err.println("DeadlockBench: the cycle-closing call has not returned for 10 s: "
                            + "safethread did not break the deadlock. " + t + " is " + t.getState() + " at:");
                    for (StackTraceElement e : t.getStackTrace()) {
                        System.err.println("\tat " + e);
                    }
                    System.err.flush();
                    Runtime.getRuntime().halt(3);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
            }
        }

        private volatile Thread benchThread;

        private void helperLoop() {
            while (running) {
                try {
                    if (!go.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    b.callOther(); // enters B, then blocks entering A until the benchmark thread leaves it
                } catch (Throwable t) {
                    helperFailure.compareAndSet(null, t);
                }
                done.release();
            }
        }

        @Setup(Level.Invocation)
        public void arrange() {
            benchThread = Thread.currentThread();
            tokenA = ProxySupport.enter(lockA); // the benchmark thread is now inside A
            go.release();
            long deadline = System.nanoTime() + WAIT_NANOS;
            while (LockSupport.getBlocker(helper) != lockA) {
                if (System.nanoTime() - deadline > 0) {
                    ProxySupport.exit(lockA, tokenA);
                    throw new IllegalStateException("helper did not block entering A within 5 s: " + helper.getState()
                            + ", failure " + helperFailure.get());
                }
                Thread.onSpinWait();
            }
            armedAt = System.nanoTime();
        }

        @TearDown(Level.Invocation)
        public void release() throws InterruptedException {
            armedAt = 0;
            ProxySupport.exit(lockA, tokenA);
            if (!done.tryAcquire(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException("helper did not finish within 5 s after A was released");
            }
            Throwable t = helperFailure.get();
            if (t != null) {
                throw new IllegalStateException("helper failed (it must never be the victim)", t);
            }
            // End the lost operation with one ordinary call. The victim is the youngest operation
            // on the cycle (wait-die), and a victim keeps its operation's age for its immediate
            // retry; without this, the next invocation's touch() would count as that retry, be
            // older than the helper's fresh operation, and the helper would be refused instead.
            a.touch();
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            running = false;
            helper.join(5000);
            watchdog.join(5000);
        }
    }

    @Benchmark
    public Object safethreadCycleClose(Cycle c) {
        try {
            c.b.touch();
        } catch (DeadlockException e) {
            return e;
        }
        throw new IllegalStateException("closing the cycle A->B->A did not throw DeadlockException");
    }

    // ------------------------------------------------------------------ JDK watchdog peer

    /** Two threads that really deadlock on two ReentrantLocks, re-arranged every invocation. */
    @State(Scope.Thread)
    public static class JdkDeadlock {
        final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        final ReentrantLock lockA = new ReentrantLock();
        final ReentrantLock lockB = new ReentrantLock();
        Thread t1;
        Thread t2;
        final Semaphore go1 = new Semaphore(0);
        final Semaphore go2 = new Semaphore(0);
        final Semaphore done = new Semaphore(0);
        /** Set by the thread whose lockInterruptibly was interrupted. */
        volatile Thread interrupted;
        volatile boolean running = true;
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        @Setup(Level.Trial)
        public void start() {
            t1 = new Thread(() -> loop(go1, lockA, lockB), "jdk-deadlock-1");
            t2 = new Thread(() -> loop(go2, lockB, lockA), "jdk-deadlock-2");
            t1.setDaemon(true);
            t2.setDaemon(true);
            t1.start();
            t2.start();
        }

        private void loop(Semaphore go, ReentrantLock first, ReentrantLock second) {
            while (running) {
                try {
                    if (!go.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                } catch (InterruptedException e) {
                    continue; // a stray interrupt between rounds
                }
                first.lock();
                try {
                    // wait (bounded) until the other thread holds its first lock, so the cycle forms
                    long deadline = System.nanoTime() + WAIT_NANOS;
                    while (!(lockA.isLocked() && lockB.isLocked())) {
                        if (System.nanoTime() - deadline > 0) {
                            throw new IllegalStateException("the other thread never took its first lock");
                        }
                        Thread.onSpinWait();
                    }
                    try {
                        second.lockInterruptibly();
                        second.unlock();
                    } catch (InterruptedException e) {
                        interrupted = Thread.currentThread();
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    first.unlock();
                }
                done.release();
            }
        }

        @Setup(Level.Invocation)
        public void arrange() {
            interrupted = null;
            go1.release();
            go2.release();
            long deadline = System.nanoTime() + WAIT_NANOS;
            // Queued is not enough: ThreadMXBean reports only threads that have parked.
            while (!(lockA.hasQueuedThread(t2) && lockB.hasQueuedThread(t1)
                    && t1.getState() == Thread.State.WAITING && t2.getState() == Thread.State.WAITING)) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("the JDK deadlock did not form within 5 s; failure " + failure.get());
                }
                Thread.onSpinWait();
            }
        }

        @TearDown(Level.Invocation)
        public void release() throws InterruptedException {
            if (!done.tryAcquire(2, 5, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the JDK deadlock threads did not finish within 5 s");
            }
            Thread.interrupted(); // nothing should have interrupted us; keep JMH's thread clean anyway
            Throwable t = failure.get();
            if (t != null) {
                throw new IllegalStateException("JDK deadlock helper failed", t);
            }
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            running = false;
            t1.join(5000);
            t2.join(5000);
        }
    }

    @Benchmark
    public Object jdkWatchdogDetectAndInterrupt(JdkDeadlock d) {
        long[] ids = d.mx.findDeadlockedThreads();
        if (ids == null || ids.length != 2) {
            throw new IllegalStateException("ThreadMXBean did not report the deadlock");
        }
        @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+
        Thread victim = ids[0] == d.t1.getId() ? d.t1 : d.t2;
        victim.interrupt();
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (d.interrupted != victim) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the interrupted victim did not leave its wait within 5 s");
            }
            Thread.onSpinWait();
        }
        return ids;
    }
}
