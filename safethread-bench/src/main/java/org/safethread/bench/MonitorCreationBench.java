package org.safethread.bench;

import java.util.concurrent.TimeUnit;
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

/**
 * The cost of making a guarded object, one thread: a fresh target and its guard per operation,
 * the guard returned to JMH (so it escapes and is collected later, as a short-lived monitor in an
 * application is). The target and the peer are {@link MonitorCallBench}'s.
 *
 * <ul>
 *   <li>{@code reentrantLockWrapper}: the target and a hand-written wrapper with a
 *       {@code ReentrantLock} (the peer);</li>
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

    @Benchmark
    public Object reentrantLockWrapper() {
        return new MonitorCallBench.LockedAdder(new MonitorCallBench.Counter());
    }

    @Benchmark
    public Object monitorClassProxy() {
        return Monitor.of(new MonitorCallBench.Counter());
    }

    @Benchmark
    public Object monitorInterfaceProxy() {
        return Monitor.of(new MonitorCallBench.Counter(), MonitorCallBench.Adder.class);
    }
}
