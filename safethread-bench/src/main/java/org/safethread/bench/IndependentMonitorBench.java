package org.safethread.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.safethread.Monitor;
import org.safethread.bench.MonitorCallBench.Adder;
import org.safethread.bench.MonitorCallBench.Counter;

/**
 * Independent monitors: N threads, each calling a monitor of its own ({@link Scope#Thread}
 * state), N = 1 and 2. Nothing is shared between the threads except what the runtime itself
 * shares, so the aggregate throughput at 2 threads should be twice that at 1: python-safethread's
 * headline claim ("each thread at or near 100%"). A runtime that touched a global structure on
 * every call (a global lock, a shared counter, a registry) would show here as a ratio well below
 * 2.
 *
 * <p>What is measured: aggregate calls per microsecond of all threads ({@code Mode.Throughput}
 * sums the threads). {@code monitor1}/{@code monitor2} run {@code Monitor.of(new Counter())}
 * with 1 and 2 threads; {@code reentrantLock1}/{@code reentrantLock2} the hand-written
 * {@code ReentrantLock} wrapper, as the reference for what the machine gives two independent
 * threads (on a 2-core machine JMH's own threads and the OS share the cores too).
 *
 * <p>Goal: {@code monitor2} &ge; 1.9x {@code monitor1} in the same run.
 *
 * <p>Command: {@code java -jar safethread-bench/target/benchmarks.jar IndependentMonitorBench -f 3}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
@State(Scope.Thread)
public class IndependentMonitorBench {

    /** Non-final, so the JIT cannot treat it as a constant. */
    int x = 1;

    Counter monitor;
    Adder locked;

    @Setup
    public void setup() {
        monitor = Monitor.of(new Counter());
        locked = new MonitorCallBench.LockedAdder(new Counter());
        MonitorCallBench.check(monitor.add(0) == 0 && Monitor.isMonitor(monitor), "each thread has a monitor of its own");
    }

    @Benchmark
    @Threads(1)
    public int monitor1() {
        return monitor.add(x);
    }

    @Benchmark
    @Threads(2)
    public int monitor2() {
        return monitor.add(x);
    }

    @Benchmark
    @Threads(1)
    public int reentrantLock1() {
        return locked.add(x);
    }

    @Benchmark
    @Threads(2)
    public int reentrantLock2() {
        return locked.add(x);
    }
}
