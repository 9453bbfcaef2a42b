package org.safethread;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.safethread.internal.runtime.ThreadRegistry;

/**
 * Child-JVM program for {@link EndedThreadsTest}: many short threads each make one monitor call
 * and end; prints what stays behind: {@code RETAINED_BYTES n}, {@code REGISTERED n},
 * {@code COLLECT_MICROS median}. Arguments: platform thread count, virtual thread count (0 to skip).
 */
public final class EndedThreadsMain {
    /** Platform threads alive at once: start/join in waves, as a server's short tasks would. */
    private static final int WAVE = 64;

    public static class Counter {
        private long n;

        @MonitorMethod
        public void add() {
            n++;
        }

        @MonitorMethod
        public long get() {
            return n;
        }
    }

    private EndedThreadsMain() {
    }

    public static void main(String[] args) throws Exception {
        int platform = Integer.parseInt(args[0]);
        int virtual = Integer.parseInt(args[1]);
        Counter counter = Monitor.of(new Counter());
        runPlatform(counter, 2_000); // warm up: classes loaded, runtime threads (if any) started
        if (virtual > 0) {
            runVirtual(counter, 2_000);
        }
        SafeThread.collect();
        long before = usedAfterGc();
        runPlatform(counter, platform);
        if (virtual > 0) {
            runVirtual(counter, virtual);
        }
        // As before the runs: measured after a collection, one of the registry's two prune points
        // (the other is a thread's first runtime call). Without one, up to twice the threads
        // alive at the last add-path prune stay registered (thousands, after 10,000 virtual
        // threads queued on one monitor: 1,200-3,600 seen on a loaded machine).
        SafeThread.collect();
        long after = usedAfterGc();
        long expected = 2_000L + platform + (virtual > 0 ? 2_000L + virtual : 0);
        if (counter.get() != expected) {
            throw new AssertionError("monitor calls lost: " + counter.get() + " != " + expected);
        }
        long[] micros = new long[21];
        for (int i = 0; i < micros.length; i++) {
            long t0 = System.nanoTime();
            SafeThread.collect();
            micros[i] = (System.nanoTime() - t0) / 1_000;
        }
        Arrays.sort(micros);
        System.out.println("RETAINED_BYTES " + (after - before));
        System.out.println("REGISTERED " + ThreadRegistry.size());
        System.out.println("COLLECT_MICROS " + micros[micros.length / 2]);
    }

    private static void runPlatform(Counter counter, int n) throws InterruptedException {
        List<Thread> wave = new ArrayList<>(WAVE);
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(counter::add);
            t.start();
            wave.add(t);
            if (wave.size() == WAVE) {
                for (Thread w : wave) {
                    w.join();
                }
                wave.clear();
            }
        }
        for (Thread w : wave) {
            w.join();
        }
    }

    /** Virtual threads in flight at once: bounds the heap the JDK's own thread objects take. */
    private static final int VIRTUAL_WAVE = 10_000;

    /** JDK 21+ only (the test runs this part on JDK 21+); reflective so the source stays Java 17. */
    private static void runVirtual(Counter counter, int n) throws Exception {
        java.lang.reflect.Method start = Thread.class.getMethod("startVirtualThread", Runnable.class);
        List<Thread> wave = new ArrayList<>(VIRTUAL_WAVE);
        for (int i = 0; i < n; i++) {
            wave.add((Thread) start.invoke(null, (Runnable) counter::add));
            if (wave.size() == VIRTUAL_WAVE || i == n - 1) {
                for (Thread w : wave) {
                    w.join();
                }
                wave.clear();
            }
        }
    }

    private static long usedAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }
}
