package org.safethread.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/**
 * What waiting threads cost a monitor (issue #13, "conditions that scale with waiters").
 *
 * <ul>
 *   <li>{@code callWithWaiters}: one trivial monitor call while {@code waiters} threads wait in
 *       {@code Monitor.await} on a condition that stays false (every call's release re-evaluates
 *       conditions). Goal: 1,000 waiters cost at most 2x none.</li>
 *   <li>{@code openGate} against {@code openGateReentrantLock}: {@code gateWaiters} threads wait
 *       at a closed gate; one call opens it and the measurement ends when every waiter has passed
 *       (each is handed the monitor in turn). The peer is {@code ReentrantLock} with
 *       {@code Condition.signalAll}. Goal: within 3x of the peer.</li>
 * </ul>
 */
@Fork(value = 1)
public class ConditionBench {

    /** A gate: threads wait until it opens. */
    public static class Gate {
        private boolean open;
        private int ticks;

        @MonitorMethod
        public void pass() throws InterruptedException {
            Monitor.await(() -> open);
        }

        @MonitorMethod
        public void open() {
            open = true;
        }

        @MonitorMethod
        public int tick() {
            return ++ticks;
        }
    }

    /** The peer gate, written the usual way. */
    static final class LockGate {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition opened = lock.newCondition();
        private boolean open;

        void pass() throws InterruptedException {
            lock.lock();
            try {
                while (!open) {
                    opened.await();
                }
            } finally {
                lock.unlock();
            }
        }

        void open() {
            lock.lock();
            try {
                open = true;
                opened.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Threads parked on a gate that never opens during the measurement. */
    @State(Scope.Benchmark)
    public static class Waiting {
        @Param({"0", "1000"})
        public int waiters;
        Gate gate;
        final List<Thread> threads = new ArrayList<>();

        @Setup(Level.Trial)
        public void setUp() throws InterruptedException {
            gate = Monitor.of(new Gate());
            for (int i = 0; i < waiters; i++) {
                Thread t = new Thread(() -> {
                    try {
                        gate.pass();
                    } catch (InterruptedException e) {
                        // the trial is over
                    }
                }, "waiter-" + i);
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
            for (Thread t : threads) {
                while (t.getState() != Thread.State.WAITING) {
                    Thread.sleep(1);
                }
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            gate.open();
            for (Thread t : threads) {
                t.join();
            }
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    public int callWithWaiters(Waiting s) {
        return s.gate.tick();
    }

    /** A closed gate with its waiters parked, made anew for each opening. */
    @State(Scope.Benchmark)
    public static class Closed {
        @Param({"10000"})
        public int gateWaiters;
        Gate gate;
        LockGate lockGate;
        CountDownLatch passed;

        @Setup(Level.Invocation)
        public void setUp() throws InterruptedException {
            gate = Monitor.of(new Gate());
            lockGate = new LockGate();
            passed = new CountDownLatch(gateWaiters);
        }

        void park(Runnable body) throws InterruptedException {
            List<Thread> ts = new ArrayList<>(gateWaiters);
            for (int i = 0; i < gateWaiters; i++) {
                Thread t = new Thread(body);
                t.setDaemon(true);
                t.start();
                ts.add(t);
            }
            for (Thread t : ts) {
                while (t.getState() != Thread.State.WAITING) {
                    Thread.sleep(1);
                }
            }
        }
    }

    /** Waiters of the safethread gate: set up per invocation. */
    @State(Scope.Benchmark)
    public static class MonitorGate extends Closed {
        @Setup(Level.Invocation)
        public void parkWaiters() throws InterruptedException {
            park(() -> {
                try {
                    gate.pass();
                    passed.countDown();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }

    /** Waiters of the peer gate: set up per invocation. */
    @State(Scope.Benchmark)
    public static class PeerGate extends Closed {
        @Setup(Level.Invocation)
        public void parkWaiters() throws InterruptedException {
            park(() -> {
                try {
                    lockGate.pass();
                    passed.countDown();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2)
    @Measurement(iterations = 5)
    public void openGate(MonitorGate s) throws InterruptedException {
        s.gate.open();
        s.passed.await();
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2)
    @Measurement(iterations = 5)
    public void openGateReentrantLock(PeerGate s) throws InterruptedException {
        s.lockGate.open();
        s.passed.await();
    }
}
