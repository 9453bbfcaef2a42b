package org.safethread.bench;

import java.util.concurrent.ConcurrentHashMap;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;
import org.safethread.SharedMap;

/**
 * {@link SharedMap} against its peer {@link ConcurrentHashMap}, the same keys in the same run.
 *
 * <p>What is measured (average time per operation): {@code get} of a present key;
 * {@code put} of a shareable record value over a present key (the map's shareability checks of
 * the key and the value are the difference); {@code computeIfAbsent} of a present key (the hot
 * path of a cache); and, on 2 threads, a 90/10 mix of {@code get} and {@code put}. Keys are
 * {@code String}s or records ({@code keys} parameter), 1,024 of them, prefilled; each thread walks
 * them from its own offset. Each benchmark allocates only the map it measures ({@link ChmMap} or
 * {@link Shared}), after the keys, so the two maps' nodes lie the same way.
 *
 * <p>Goals (ratio to {@code chm*} of the same key kind): get &le; 1.2x, put &le; 2x,
 * computeIfAbsent &le; 1.2x, mixed &le; 1.5x.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SharedMapBench {
    /** A record key: two components whose types are shareable by class alone. */
    public record Key(String name, int id) {
    }

    /** The record value put: shareable by its class (the per-class verdict; no component is read). */
    public record Value(String label, long x, long y) {
    }

    private static final int N = 1024; // a power of two: the index wraps with a mask
    private static final java.util.function.Function<Object, Value> MAPPING = k -> new Value("computed", 0, 0);

    /** The keys and values, read (never written) by the threads of a run. */
    @State(Scope.Benchmark)
    public static class Keys {
        @Param({"string", "record"})
        public String keys;

        Object[] keyArray;
        Value[] values;

        @Setup
        public void setUp() {
            keyArray = new Object[N];
            values = new Value[N];
            for (int i = 0; i < N; i++) {
                keyArray[i] = keys.equals("string") ? "key-" + i : new Key("key", i);
                values[i] = new Value("v" + i, i, -i);
            }
        }
    }

    /**
     * The peer map, prefilled. One state per map, so that a run allocates only the map it
     * measures: with both maps in one state, prefilled in one loop, the two maps' nodes were
     * allocated in alternation, each node's cache line shared with a node of the other map, and
     * the placement (which node shares a line with which, after the JVM's collector moved them)
     * differed from build to build; the 2-thread mix then ran in two modes (0.8-1.1x and 3x the
     * peer, docs/performance.md).
     */
    @State(Scope.Benchmark)
    public static class ChmMap {
        final ConcurrentHashMap<Object, Value> map = new ConcurrentHashMap<>();

        @Setup
        public void setUp(Keys k) {
            for (int i = 0; i < N; i++) {
                map.put(k.keyArray[i], k.values[i]);
            }
        }
    }

    /** The map measured, prefilled the same way as {@link ChmMap}. */
    @State(Scope.Benchmark)
    public static class Shared {
        final SharedMap<Object, Value> map = new SharedMap<>();

        @Setup
        public void setUp(Keys k) {
            for (int i = 0; i < N; i++) {
                map.put(k.keyArray[i], k.values[i]);
            }
        }
    }

    /**
     * Each thread's position and its random stream for the mix. A thread-scoped state, which JMH
     * pads (its generated subclasses put padding fields before and after the state's own), so the
     * two threads' cursors never share a cache line. Threads start half the key ring apart, by
     * JMH's thread index (the thread id, used before, differed between runs).
     */
    @State(Scope.Thread)
    public static class Cursor {
        int i;
        int seed;

        @Setup
        public void setUp(ThreadParams t) {
            i = (int) ((long) t.getThreadIndex() * N / Math.max(1, t.getThreadCount())) & (N - 1);
            seed = (int) System.nanoTime() | 1;
        }

        int next() {
            return i = (i + 1) & (N - 1);
        }

        /** @return whether this operation writes (one in ten), by xorshift */
        boolean write() {
            int x = seed;
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            seed = x;
            return Integer.remainderUnsigned(x, 10) == 0;
        }
    }

    @Benchmark
    public Value chmGet(Keys k, ChmMap m, Cursor c) {
        return m.map.get(k.keyArray[c.next()]);
    }

    @Benchmark
    public Value sharedGet(Keys k, Shared m, Cursor c) {
        return m.map.get(k.keyArray[c.next()]);
    }

    @Benchmark
    public Value chmPut(Keys k, ChmMap m, Cursor c) {
        int i = c.next();
        return m.map.put(k.keyArray[i], k.values[i]);
    }

    @Benchmark
    public Value sharedPut(Keys k, Shared m, Cursor c) {
        int i = c.next();
        return m.map.put(k.keyArray[i], k.values[i]);
    }

    @Benchmark
    public Value chmComputeIfAbsentPresent(Keys k, ChmMap m, Cursor c) {
        return m.map.computeIfAbsent(k.keyArray[c.next()], MAPPING);
    }

    @Benchmark
    public Value sharedComputeIfAbsentPresent(Keys k, Shared m, Cursor c) {
        return m.map.computeIfAbsent(k.keyArray[c.next()], MAPPING);
    }

    @Benchmark
    @Threads(2)
    public Value chmMixed90x10(Keys k, ChmMap m, Cursor c) {
        int i = c.next();
        return c.write() ? m.map.put(k.keyArray[i], k.values[i]) : m.map.get(k.keyArray[i]);
    }

    @Benchmark
    @Threads(2)
    public Value sharedMixed90x10(Keys k, Shared m, Cursor c) {
        int i = c.next();
        return c.write() ? m.map.put(k.keyArray[i], k.values[i]) : m.map.get(k.keyArray[i]);
    }
}
