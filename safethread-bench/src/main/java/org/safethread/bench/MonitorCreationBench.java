package org.safethread.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/**
 * The cost of making a guarded object, one thread: a fresh target and its guard per operation,
 * the guard returned to JMH (so it escapes and is collected later, as a short-lived monitor in an
 * application is).
 *
 * <ul>
 *   <li>{@code reentrantLockWrapper}: the target and a hand-written wrapper with a
 *       {@link ReentrantLock} (the peer);</li>
 *   <li>{@code monitorClassProxy}: {@code Monitor.of(target)} (the proxy, its lock, and the
 *       record that the target is guarded, which refuses a second monitor of it);</li>
 *   <li>{@code monitorInterfaceProxy}: {@code Monitor.of(target, Adder.class)}.</li>
 * </ul>
 * No goal is set; the figure says what the one-monitor-per-object rule costs at creation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class MonitorCreationBench {

    /** The target. Non-final so a class proxy can subclass it. */
    public static class Counter implements MonitorCallBench.Adder {
        private int total;

        @Override
        @MonitorMethod
        public int add(int x) {
            total += x;
            return total;
        }
    }

    /** The hand-written peer. */
    static final class LockedCounter implements MonitorCallBench.Adder {
        private final ReentrantLock lock = new ReentrantLock();
        private final Counter target;

        LockedCounter(Counter target) {
            this.target = target;
        }

        @Override
        public int add(int x) {
            lock.lock();
            try {
                return target.add(x);
            } finally {
                lock.unlock();
            }
        }
    }

    @Benchmark
    public Object reentrantLockWrapper() {
        return new LockedCounter(new Counter());
    }

    @Benchmark
    public Object monitorClassProxy() {
        return Monitor.of(new Counter());
    }

    @Benchmark
    public Object monitorInterfaceProxy() {
        return Monitor.of(new Counter(), MonitorCallBench.Adder.class);
    }
}
