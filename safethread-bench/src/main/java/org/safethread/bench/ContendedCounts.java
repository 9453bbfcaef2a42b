package org.safethread.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;
import org.safethread.SafeThread;

/**
 * A diagnostic for {@link ContendedMonitorBench}, not a JMH benchmark: it says <em>why</em> a
 * contended run was fast or slow, with counts that do not depend on how loaded the machine is.
 * Threads call one monitor ({@code Monitor.of}) as fast as they can, then the same target behind
 * a hand-written {@link ReentrantLock}, alternating, 1-second rounds, in one JVM. For each round
 * it prints the calls per microsecond, the <b>hand-offs</b> (how often the thread inside differs
 * from the one before it, per 1,000 calls: each one moves the lock's and the target's cache lines
 * between cores), the <b>parks</b> per second of the calling threads (from
 * {@link java.lang.management.ThreadInfo#getWaitedCount()}: every {@code LockSupport.park},
 * including parks on the wait-for graph's lock) and, for the monitor, its contended entries per
 * second ({@code stats().contendedEntries()}: entries that went past the graph lock's re-try).
 *
 * <p>What the counts showed on the 2-core machine (docs/performance.md, session 4): the
 * contended benchmark has two regimes set by the machine, not the build. With both threads on a
 * core (true contention) {@code ReentrantLock} hands off 40-200 times per 1,000 calls and both
 * locks park hundreds of thousands of times a second; when the two threads share one core the
 * hand-offs fall to about 0, parks to about 100 a second, and both run at one thread's speed.
 * A throughput figure means nothing until the hand-off count says which regime it came from.
 *
 * <p>Run: {@code java -cp safethread-bench/target/benchmarks.jar org.safethread.bench.ContendedCounts [threads] [rounds]}
 * (defaults 2 and 6).
 */
public final class ContendedCounts {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    /** Length of one round: long enough for tens of millions of calls, short enough to alternate often. */
    private static final long ROUND_MILLIS = 1_000;

    private ContendedCounts() {
    }

    /** The guarded state: a counter that also counts hand-offs (a different thread than last time). */
    public static class SwitchCounter {
        private int total;
        private Thread last;
        private long handOffs;

        /** Adds {@code x}; counts a hand-off when the calling thread is not the last one inside. */
        @MonitorMethod
        public int add(int x) {
            Thread me = Thread.currentThread();
            if (me != last) {
                handOffs++;
                last = me;
            }
            total += x;
            return total;
        }

        /** @return the hand-offs so far */
        @MonitorMethod
        public long handOffs() {
            return handOffs;
        }
    }

    /** The peer: the same target behind a {@code ReentrantLock}, as users write it. */
    static final class Locked {
        private final ReentrantLock lock = new ReentrantLock();
        private final SwitchCounter target = new SwitchCounter();

        int add(int x) {
            lock.lock();
            try {
                return target.add(x);
            } finally {
                lock.unlock();
            }
        }

        long handOffs() {
            lock.lock();
            try {
                return target.handOffs();
            } finally {
                lock.unlock();
            }
        }
    }

    private static volatile boolean stop;

    public static void main(String[] args) throws InterruptedException {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        round("warm-up monitor", threads, true);
        round("warm-up reentrantLock", threads, false);
        for (int i = 0; i < rounds; i++) {
            System.out.println(round("monitor", threads, true));
            System.out.println(round("reentrantLock", threads, false));
        }
    }

    private static String round(String name, int threads, boolean monitor) throws InterruptedException {
        SwitchCounter m = Monitor.of(new SwitchCounter());
        Locked l = new Locked();
        long[] calls = new long[threads];
        long[] parks = new long[threads];
        Thread[] ts = new Thread[threads];
        stop = false;
        for (int i = 0; i < threads; i++) {
            int k = i;
            ts[i] = new Thread(() -> {
                long before = MX.getThreadInfo(Thread.currentThread().getId()).getWaitedCount();
                long n = 0;
                if (monitor) {
                    while (!stop) {
                        m.add(1);
                        n++;
                    }
                } else {
                    while (!stop) {
                        l.add(1);
                        n++;
                    }
                }
                calls[k] = n;
                parks[k] = MX.getThreadInfo(Thread.currentThread().getId()).getWaitedCount() - before;
            }, "contended-" + i);
        }
        long contendedBefore = SafeThread.stats().contendedEntries();
        for (Thread t : ts) {
            t.start();
        }
        Thread.sleep(ROUND_MILLIS);
        stop = true;
        for (Thread t : ts) {
            t.join();
        }
        long contended = SafeThread.stats().contendedEntries() - contendedBefore;
        long total = 0;
        long parked = 0;
        for (int i = 0; i < threads; i++) {
            total += calls[i];
            parked += parks[i];
        }
        long handOffs = monitor ? m.handOffs() : l.handOffs();
        double perSecond = 1000.0 / ROUND_MILLIS;
        return String.format(Locale.ROOT, "%-14s threads %d: %6.1f calls/us, %7.2f hand-offs per 1,000 calls, "
                + "%8.0f parks/s%s", name, threads, total / (ROUND_MILLIS * 1000.0), 1000.0 * handOffs / Math.max(1, total),
                parked * perSecond, monitor ? String.format(Locale.ROOT, ", %8.0f contended entries/s", contended * perSecond) : "");
    }
}
