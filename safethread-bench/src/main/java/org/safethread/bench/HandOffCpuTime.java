package org.safethread.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A diagnostic for {@link PoolHandOffBench} on a loaded machine, not a JMH benchmark: where JMH's
 * wall-clock throughput of two threads measures the scheduler (both threads must be on a CPU at
 * once), this measures each side's <em>CPU time</em> per object. A producer pool thread makes a
 * batch of {@value #BATCH} objects, hands it to a consumer pool thread, which releases the last
 * reference of each (safethread: {@code decref}, the object dies; Netty: {@code release}, the
 * object is deallocated), one batch at a time; each side times only its own loop with
 * {@link ThreadMXBean#getCurrentThreadCpuTime()}. Reported: the minimum over trials of CPU
 * nanoseconds per object for each side and peer, in one JVM. The streaming benchmark's throughput
 * is bounded by the slower side of each peer, so the ratio of the two "slower sides" estimates
 * {@code PoolHandOffBench}'s ratio on a quiet machine (it leaves out the two threads' caches
 * interfering while both run).
 *
 * <p>Run: {@code java -cp safethread-bench/target/benchmarks.jar org.safethread.bench.HandOffCpuTime}
 */
public final class HandOffCpuTime {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    /** Objects per hand-off: large enough that the timer's own cost (a system call) is noise. */
    static final int BATCH = 4096;
    private static final int ROUNDS = 400;
    private static final int TRIALS = 8;

    private static volatile Object[] slot;

    private HandOffCpuTime() {
    }

    /** @return {producer, consumer} CPU ns per object, minimum over trials after two warm-ups */
    static double[] measure(boolean netty) throws Exception {
        ExecutorService p = Executors.newSingleThreadExecutor();
        ExecutorService c = Executors.newSingleThreadExecutor();
        AtomicLong freed = new AtomicLong();
        double bestP = Double.MAX_VALUE;
        double bestC = Double.MAX_VALUE;
        try {
            for (int trial = 0; trial < TRIALS; trial++) {
                Future<Double> cons = c.submit(() -> {
                    long cpu = 0;
                    boolean odd = false;
                    for (int r = 0; r < ROUNDS; r++) {
                        Object[] b;
                        while ((b = slot) == null) {
                            Thread.onSpinWait();
                        }
                        long t0 = MX.getCurrentThreadCpuTime();
                        if (netty) {
                            for (Object o : b) {
                                odd |= !((PoolHandOffBench.NettyCounted) o).release();
                            }
                        } else {
                            for (Object o : b) {
                                PoolHandOffBench.Counted x = (PoolHandOffBench.Counted) o;
                                x.decref();
                                odd |= x.isAlive();
                            }
                        }
                        cpu += MX.getCurrentThreadCpuTime() - t0;
                        slot = null;
                    }
                    if (odd) {
                        throw new AssertionError("an object survived its last release");
                    }
                    return cpu / (double) (ROUNDS * BATCH);
                });
                Future<Double> prod = p.submit(() -> {
                    long cpu = 0;
                    for (int r = 0; r < ROUNDS; r++) {
                        Object[] b = new Object[BATCH];
                        long t0 = MX.getCurrentThreadCpuTime();
                        if (netty) {
                            for (int i = 0; i < BATCH; i++) {
                                b[i] = new PoolHandOffBench.NettyCounted(freed);
                            }
                        } else {
                            for (int i = 0; i < BATCH; i++) {
                                b[i] = new PoolHandOffBench.Counted();
                            }
                        }
                        cpu += MX.getCurrentThreadCpuTime() - t0;
                        while (slot != null) {
                            Thread.onSpinWait();
                        }
                        slot = b;
                    }
                    return cpu / (double) (ROUNDS * BATCH);
                });
                double pc = prod.get();
                double cc = cons.get();
                if (trial >= 2) {
                    bestP = Math.min(bestP, pc);
                    bestC = Math.min(bestC, cc);
                }
            }
        } finally {
            p.shutdown();
            c.shutdown();
        }
        return new double[] {bestP, bestC};
    }

    public static void main(String[] args) throws Exception {
        for (int round = 0; round < 2; round++) {
            double[] s = measure(false);
            double[] n = measure(true);
            double slowS = Math.max(s[0], s[1]);
            double slowN = Math.max(n[0], n[1]);
            System.out.printf(Locale.ROOT, "safethread: produce %.2f, consume %.2f ns/object | Netty: produce %.2f,"
                    + " consume %.2f ns/object | slower sides %.2f vs %.2f: estimated throughput ratio %.2fx%n",
                    s[0], s[1], n[0], n[1], slowS, slowN, slowN / slowS);
        }
    }
}
