package org.safethread.bench;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.safethread.RefCounted;
import org.safethread.WeakKeyMap;

/**
 * Weak-keyed maps (issue 16).
 *
 * <h2>Lookups: two threads, 4096 present keys, throughput</h2>
 * <ul>
 *   <li>{@code getPlainKeys}: {@link WeakKeyMap#get} with ordinary objects as keys (a
 *       concurrent hash table probed by identity, no lock);</li>
 *   <li>{@code getCountedKeys}: the same with {@link RefCounted} keys (one more volatile read:
 *       the key's count word, so that a dead key's entry is never returned);</li>
 *   <li>peers on the same keys: {@code Collections.synchronizedMap(new WeakHashMap<>())}
 *       ({@code synchronizedWeakHashMap}) and Caffeine's {@code weakKeys()} cache
 *       ({@code caffeineWeakKeys}, {@code getIfPresent}; identity keys too).</li>
 * </ul>
 * Goals: {@code getPlainKeys} at least 2x {@code synchronizedWeakHashMap}, and at most 1.5x
 * slower than {@code caffeineWeakKeys}.
 *
 * <h2>What an entry costs its key's death (one thread, average time)</h2>
 * {@code deathAlone}: create a counted key and release it (it dies in the decref).
 * {@code deathWithEntry}: the same with one {@code put} in between, so the death also removes
 * the entry. The difference is {@code put} plus the removal at death; goal: at most 100 ns.
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class WeakKeyMapBench {
    static final int KEYS = 4096;

    /** A counted key. */
    public static final class Key extends RefCounted {
    }

    @State(Scope.Benchmark)
    public static class Maps {
        final Object[] plain = new Object[KEYS];
        final Key[] counted = new Key[KEYS];
        final WeakKeyMap<Object, Integer> plainMap = new WeakKeyMap<>();
        final WeakKeyMap<Key, Integer> countedMap = new WeakKeyMap<>();
        final Map<Object, Integer> weakHashMap = Collections.synchronizedMap(new WeakHashMap<>());
        final Cache<Object, Integer> caffeine = Caffeine.newBuilder().weakKeys().build();

        @Setup
        public void setup() {
            for (int i = 0; i < KEYS; i++) {
                plain[i] = new Object();
                counted[i] = new Key();
                Integer v = i;
                plainMap.put(plain[i], v);
                countedMap.put(counted[i], v);
                weakHashMap.put(plain[i], v);
                caffeine.put(plain[i], v);
            }
        }

        @TearDown
        public void tearDown() {
            for (Key k : counted) {
                k.decref();
            }
        }
    }

    /** Each thread walks the keys from its own starting point. */
    @State(Scope.Thread)
    public static class Cursor {
        int i;

        @Setup(Level.Iteration)
        public void setup() {
            i = (int) (Thread.currentThread().getId() * 977) & (KEYS - 1);
        }

        int next() {
            int n = i;
            i = (n + 1) & (KEYS - 1);
            return n;
        }
    }

    @Benchmark
    @Threads(2)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Integer getPlainKeys(Maps m, Cursor c) {
        return m.plainMap.get(m.plain[c.next()]);
    }

    @Benchmark
    @Threads(2)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Integer getCountedKeys(Maps m, Cursor c) {
        return m.countedMap.get(m.counted[c.next()]);
    }

    @Benchmark
    @Threads(2)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Integer synchronizedWeakHashMap(Maps m, Cursor c) {
        return m.weakHashMap.get(m.plain[c.next()]);
    }

    @Benchmark
    @Threads(2)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Integer caffeineWeakKeys(Maps m, Cursor c) {
        return m.caffeine.getIfPresent(m.plain[c.next()]);
    }

    @State(Scope.Thread)
    public static class DeathMap {
        final WeakKeyMap<Key, String> map = new WeakKeyMap<>();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void deathAlone(Blackhole bh) {
        Key k = new Key();
        bh.consume(k);
        k.decref();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void deathWithEntry(DeathMap d, Blackhole bh) {
        Key k = new Key();
        bh.consume(k);
        d.map.put(k, "v");
        k.decref();
    }
}
