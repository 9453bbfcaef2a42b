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
import org.safethread.SharedMap;

/**
 * {@link SharedMap} against its peer {@link ConcurrentHashMap}, the same keys in the same run.
 *
 * <p>What is measured (average time per operation): {@code get} of a present key;
 * {@code put} of a shareable record value over a present key (the map's shareability checks of
 * the key and the value are the difference); {@code computeIfAbsent} of a present key (the hot
 * path of a cache); and, on 2 threads, a 90/10 mix of {@code get} and {@code put}. Keys are
 * {@code String}s or records ({@code keys} parameter), 1,024 of them, prefilled; each thread walks
 * them from its own offset.
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

    /** The maps and keys, shared by the threads of a run. */
    @State(Scope.Benchmark)
    public static class Maps {
        @Param({"string", "record"})
        public String keys;

        final ConcurrentHashMap<Object, Value> chm = new ConcurrentHashMap<>();
        final SharedMap<Object, Value> shared = new SharedMap<>();
        Object[] keyArray;
        Value[] values;

        @Setup
        public void setUp() {
            keyArray = new Object[N];
            values = new Value[N];
            for (int i = 0; i < N; i++) {
                keyArray[i] = keys.equals("string") ? "key-" + i : new Key("key", i);
                values[i] = new Value("v" + i, i, -i);
                chm.put(keyArray[i], values[i]);
                shared.put(keyArray[i], values[i]);
            }
        }
    }

    /** Each thread's position and its random stream for the mix. */
    @State(Scope.Thread)
    public static class Cursor {
        int i;
        int seed;

        @Setup
        public void setUp() {
            i = (int) (Thread.currentThread().getId() * 397) & (N - 1);
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
    public Value chmGet(Maps m, Cursor c) {
        return m.chm.get(m.keyArray[c.next()]);
    }

    @Benchmark
    public Value sharedGet(Maps m, Cursor c) {
        return m.shared.get(m.keyArray[c.next()]);
    }

    @Benchmark
    public Value chmPut(Maps m, Cursor c) {
        int i = c.next();
        return m.chm.put(m.keyArray[i], m.values[i]);
    }

    @Benchmark
    public Value sharedPut(Maps m, Cursor c) {
        int i = c.next();
        return m.shared.put(m.keyArray[i], m.values[i]);
    }

    @Benchmark
    public Value chmComputeIfAbsentPresent(Maps m, Cursor c) {
        return m.chm.computeIfAbsent(m.keyArray[c.next()], MAPPING);
    }

    @Benchmark
    public Value sharedComputeIfAbsentPresent(Maps m, Cursor c) {
        return m.shared.computeIfAbsent(m.keyArray[c.next()], MAPPING);
    }

    @Benchmark
    @Threads(2)
    public Value chmMixed90x10(Maps m, Cursor c) {
        int i = c.next();
        return c.write() ? m.chm.put(m.keyArray[i], m.values[i]) : m.chm.get(m.keyArray[i]);
    }

    @Benchmark
    @Threads(2)
    public Value sharedMixed90x10(Maps m, Cursor c) {
        int i = c.next();
        return c.write() ? m.shared.put(m.keyArray[i], m.values[i]) : m.shared.get(m.keyArray[i]);
    }
}
