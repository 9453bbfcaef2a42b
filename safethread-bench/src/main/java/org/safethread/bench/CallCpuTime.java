package org.safethread.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/**
 * A diagnostic for {@link MonitorCallBench} on a loaded machine, not a JMH benchmark: where JMH's
 * average time of a call is wall-clock time (a thread descheduled for a while in an iteration
 * makes that iteration slow; at a load average of 5-12 on 2 cores the forks of one variant spread
 * by 1.5x), this times each loop with the thread's own CPU time
 * ({@link ThreadMXBean#getCurrentThreadCpuTime()}), which excludes the time it was descheduled.
 * One thread calls {@code Monitor.of(counter).add(x)} (the generated class proxy, as
 * {@code MonitorCallBench.monitorClassProxy}), the hand-written {@code ReentrantLock} wrapper and
 * the {@code synchronized} wrapper in turn, {@value #CALLS} calls per loop, {@value #ROUNDS}
 * rounds after {@value #WARMUP} warm-up rounds, in one JVM. Reported: the median CPU nanoseconds
 * per call of each, and the median and quartiles over rounds of the ratio monitor / ReentrantLock
 * (both timed in the same round); and the median CPU time of a nested call (a monitor method
 * that calls another monitor, the shape of a bank transfer), which pushes a second entry on the
 * thread's monitor stack. It leaves out what CPU time cannot see (another process
 * evicting this one's caches, frequency changes), so compare builds with it interleaved, and
 * judge the goal with JMH on a quiet machine.
 *
 * <p>Run: {@code java -cp safethread-bench/target/benchmarks.jar org.safethread.bench.CallCpuTime}
 */
public final class CallCpuTime {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    /** Calls per timed loop: long enough (about 60 ms) that the timer's own cost is noise. */
    static final int CALLS = 5_000_000;
    private static final int WARMUP = 10;
    private static final int ROUNDS = 20;

    /** Non-final, so the JIT cannot treat it as a constant. */
    static int x = 1;
    /** Where results go, so that the loops are not dead code. */
    static int sink;

    private CallCpuTime() {
    }

    /** A monitor target whose method calls another monitor (two entries on the stack). */
    public static class Outer {
        private int calls;

        @MonitorMethod
        public int call(MonitorCallBench.Counter inner, int v) {
            calls++;
            return inner.add(v);
        }
    }

    static long nestedLoop(Outer o, MonitorCallBench.Counter inner) {
        long t0 = MX.getCurrentThreadCpuTime();
        int s = 0;
        for (int i = 0; i < CALLS; i++) {
            s += o.call(inner, x);
        }
        long t1 = MX.getCurrentThreadCpuTime();
        sink += s;
        return t1 - t0;
    }

    /** Monitor proxy loop (its own method: its own call-site profile, as JMH's forks give). */
    static long monitorLoop(MonitorCallBench.Counter c) {
        long t0 = MX.getCurrentThreadCpuTime();
        int s = 0;
        for (int i = 0; i < CALLS; i++) {
            s += c.add(x);
        }
        long t1 = MX.getCurrentThreadCpuTime();
        sink += s;
        return t1 - t0;
    }

    static long lockLoop(MonitorCallBench.Adder c) {
        long t0 = MX.getCurrentThreadCpuTime();
        int s = 0;
        for (int i = 0; i < CALLS; i++) {
            s += c.add(x);
        }
        long t1 = MX.getCurrentThreadCpuTime();
        sink += s;
        return t1 - t0;
    }

    static long syncLoop(MonitorCallBench.Adder c) {
        long t0 = MX.getCurrentThreadCpuTime();
        int s = 0;
        for (int i = 0; i < CALLS; i++) {
            s += c.add(x);
        }
        long t1 = MX.getCurrentThreadCpuTime();
        sink += s;
        return t1 - t0;
    }

    public static void main(String[] args) {
        MonitorCallBench.Counter monitor = Monitor.of(new MonitorCallBench.Counter());
        MonitorCallBench.Adder locked = new MonitorCallBench.LockedAdder(new MonitorCallBench.Counter());
        MonitorCallBench.Adder synced = new MonitorCallBench.SynchronizedAdder(new MonitorCallBench.Counter());
        Outer outer = Monitor.of(new Outer());
        MonitorCallBench.Counter inner = Monitor.of(new MonitorCallBench.Counter());
        for (int w = 0; w < WARMUP; w++) {
            monitorLoop(monitor);
            lockLoop(locked);
            syncLoop(synced);
            nestedLoop(outer, inner);
        }
        double[] m = new double[ROUNDS];
        double[] r = new double[ROUNDS];
        double[] y = new double[ROUNDS];
        double[] ratio = new double[ROUNDS];
        double[] nested = new double[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            m[i] = monitorLoop(monitor) / (double) CALLS;
            r[i] = lockLoop(locked) / (double) CALLS;
            y[i] = syncLoop(synced) / (double) CALLS;
            nested[i] = nestedLoop(outer, inner) / (double) CALLS;
            ratio[i] = m[i] / r[i];
        }
        Arrays.sort(nested);
        Arrays.sort(m);
        Arrays.sort(r);
        Arrays.sort(y);
        Arrays.sort(ratio);
        System.out.printf(Locale.ROOT, "CPU ns per call (median of %d rounds): monitorClassProxy %.2f, reentrantLock %.2f, "
                + "synchronized %.2f; monitor / reentrantLock per round: median %.3f (quartiles %.3f-%.3f); "
                + "nested monitor call %.2f%n",
                ROUNDS, m[ROUNDS / 2], r[ROUNDS / 2], y[ROUNDS / 2], ratio[ROUNDS / 2], ratio[ROUNDS / 4],
                ratio[3 * ROUNDS / 4], nested[ROUNDS / 2]);
    }
}
