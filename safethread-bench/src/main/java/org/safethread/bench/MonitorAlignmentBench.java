package org.safethread.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jol.vm.VM;
import org.safethread.Monitor;
import org.safethread.bench.MonitorCallBench.Counter;
import org.safethread.internal.monitor.MonitorAccess;

/**
 * {@link ContendedMonitorBench}'s two-thread monitor, with the monitor's lock object placed at a
 * chosen address modulo 64 (the cache-line size): a factorial control for false sharing between
 * the lock word and the monitor's other fields, which made the contended benchmark bimodal from
 * fork to fork when those fields shared the lock word's line for some alignments (see
 * {@code LockWord}).
 *
 * <p>How: the setup makes monitors, lets a full GC settle them, and keeps the first whose
 * {@code MonitorLock} lies at {@code alignment} bytes past a 64-byte boundary (JOL's
 * {@code VM.addressOf}); the measured loop allocates nothing, so no GC moves it, and the
 * tear-down checks that it did not move. Every alignment should give the same throughput within
 * the noise; before {@code LockWord} (the class compiles against the branch point too, so the
 * same file measures it) alignments 0, 8, 48 and 56 put {@code space} or {@code firstWaiter} on
 * the lock word's line.
 *
 * <p>Command: {@code java -jar safethread-bench/target/benchmarks.jar MonitorAlignmentBench -f 3}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = "-Djdk.attach.allowAttachSelf=true")
@Threads(2)
@State(Scope.Benchmark)
public class MonitorAlignmentBench {

    /** The lock object's address modulo 64, in bytes (objects are 8-byte aligned). */
    @Param({"0", "8", "16", "24", "32", "40", "48", "56"})
    int alignment;

    /** Non-final, so the JIT cannot treat it as a constant. */
    int x = 1;

    Counter monitor;
    private long address;
    /** The monitors made while looking, kept so the chosen one's neighbours do not change. */
    private final List<Counter> made = new ArrayList<>();

    @Setup
    public void setup() {
        for (int attempt = 0; attempt < 20 && monitor == null; attempt++) {
            List<Counter> batch = new ArrayList<>();
            for (int i = 0; i < 256; i++) {
                batch.add(Monitor.of(new Counter()));
            }
            made.addAll(batch);
            System.gc(); // settle them (a full GC compacts), then look
            for (Counter c : batch) {
                if ((addressOfLock(c) & 63) == alignment) {
                    monitor = c;
                    break;
                }
            }
        }
        MonitorCallBench.check(monitor != null, "a monitor at alignment " + alignment + " was found");
        address = addressOfLock(monitor);
    }

    @TearDown
    public void tearDown() {
        MonitorCallBench.check(addressOfLock(monitor) == address, "the monitor did not move during the run");
    }

    private static long addressOfLock(Counter c) {
        return VM.current().addressOf(MonitorAccess.lockOf(c));
    }

    @Benchmark
    public int monitor() {
        return monitor.add(x);
    }
}
