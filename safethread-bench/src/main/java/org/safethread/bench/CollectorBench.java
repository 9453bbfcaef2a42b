package org.safethread.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.Timeout;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.safethread.CollectionResult;
import org.safethread.Ref;
import org.safethread.RefCounted;
import org.safethread.SafeThread;

/**
 * The cycle collector: how long {@link SafeThread#collect()} takes to find and kill large
 * garbage graphs, how many objects it examines per second, and how long a mutator thread is
 * stopped while a collection runs on another thread; against the JVM's own collector reclaiming
 * the same shapes built from plain objects ({@code System.gc()}, a full G1 collection).
 *
 * <h2>Garbage (one fresh graph per invocation, built in the setup, {@code SingleShotTime})</h2>
 * <ul>
 *   <li>{@code ring}: {@value #BIG} {@link RefCounted} nodes, each holding the next in a
 *       {@link Ref}; every node's own reference is then released, so each has count 1, is a
 *       candidate, and the ring is one garbage group;</li>
 *   <li>{@code random}: the same ring plus one {@code Ref} per node to a uniformly random node
 *       (seeded): one strongly connected garbage group with two edges per node, traversed in an
 *       order that defeats the caches.</li>
 * </ul>
 * The sample is {@code SafeThread.collect()} (hand-shake, snapshot, trial deletion, validation,
 * and the death of every node, i.e. clearing every {@code Ref}).
 *
 * <p>The setup ends with {@code System.gc()} (while the garbage is still reachable for the JVM:
 * the collector's candidate queue holds it), so the graph sits in the old generation, as
 * long-lived garbage would. Without that, the collection's own large temporary arrays trigger a
 * G1 young collection that must copy the million just-built nodes and their {@code Ref}s, and
 * that evacuation (hundreds of milliseconds here) would dominate the sample: a cost of having
 * allocated the graph a moment ago, not of the collector. The tear-down checks that it
 * collected every node. Auxiliary counters: {@code examined}, {@code collected} and
 * {@code examinedPerSecond} (examined / the collection's own duration from
 * {@link CollectionResult}). Background collections are disabled
 * ({@code -Dsafethread.collector.enabled=false}) so that only the measured one runs.
 * Peers {@code ringSystemGc} / {@code randomSystemGc}: the same graphs of plain objects, the
 * last strong reference dropped, then {@code System.gc()}.
 *
 * <h2>Mutator pause ({@code pauseSafethread}, {@code pauseSystemGc})</h2>
 * A mutator thread, which owns a {@code RefCounted} and so takes part in the collector's
 * hand-shake, loops doing an owner {@code incref}/{@code decref} pair (a runtime call that
 * stops at the collector's safe point when asked) and records the longest gap between two
 * iterations. The benchmark thread builds {@value #SMALL} candidates of garbage (rings of 100)
 * in the setup, resets the mutator's maximum, runs {@code SafeThread.collect()} (the same code
 * the background collector thread runs) and then reads the mutator's longest gap:
 * auxiliary counter {@code mutatorMaxPauseUs}. The peer does the same around
 * {@code System.gc()} with plain garbage of the same shape (a stop-the-world full GC).
 * The gap includes scheduling noise: on a 2-core machine shared with other work, a gap of a few
 * milliseconds can be the OS, not the collector.
 *
 * <p>Goals: at least 5 million objects examined per second; a mutator pause below 20 ms for
 * {@value #SMALL} candidates.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Timeout(time = 120)
@Fork(value = 1, jvmArgsAppend = {"-Dsafethread.collector.enabled=false"})
public class CollectorBench {
    static final int BIG = 1_000_000;
    static final int SMALL = 100_000;
    static final int SMALL_RING = 100;

    /** A counted node with two traced slots. */
    public static final class Node extends RefCounted {
        final Ref<Node> next = new Ref<>();
        final Ref<Node> other = new Ref<>();
    }

    /** The same shape for the JVM's collector. */
    static final class PlainNode {
        PlainNode next;
        PlainNode other;
    }

    /** Builds {@code n} nodes as rings of {@code ringSize}, plus random chords if asked; releases the nodes' own references. */
    static void buildGarbage(int n, int ringSize, boolean chords, long seed) {
        Node[] nodes = new Node[n];
        for (int i = 0; i < n; i++) {
            nodes[i] = new Node();
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int start = 0; start < n; start += ringSize) {
            int end = Math.min(n, start + ringSize);
            for (int i = start; i < end; i++) {
                nodes[i].next.set(nodes[i + 1 < end ? i + 1 : start]);
                if (chords) {
                    nodes[i].other.set(nodes[start + rnd.nextInt(end - start)]);
                }
            }
        }
        for (Node x : nodes) {
            x.decref(); // now referenced only from inside the garbage: every node is a candidate
        }
    }

    static Object buildPlainGarbage(int n, int ringSize, boolean chords, long seed) {
        PlainNode[] nodes = new PlainNode[n];
        for (int i = 0; i < n; i++) {
            nodes[i] = new PlainNode();
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int start = 0; start < n; start += ringSize) {
            int end = Math.min(n, start + ringSize);
            for (int i = start; i < end; i++) {
                nodes[i].next = nodes[i + 1 < end ? i + 1 : start];
                if (chords) {
                    nodes[i].other = nodes[start + rnd.nextInt(end - start)];
                }
            }
        }
        return nodes[0]; // the rest is reachable only through the ring
    }

    /** Counters reported next to the time of each collection. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Counts {
        public long examined;
        public long collected;
        long nanos;

        @Setup(Level.Iteration)
        public void reset() {
            examined = 0;
            collected = 0;
            nanos = 0;
        }

        /** @return objects examined per second of the collector's own duration */
        public double examinedPerSecond() {
            return nanos == 0 ? 0 : examined * 1e9 / nanos;
        }

        void record(CollectionResult r) {
            examined += r.examined();
            collected += r.collected();
            nanos += r.duration().toNanos();
        }
    }

    // ------------------------------------------------------------------ big garbage graphs

    /** A fresh garbage graph per invocation. */
    @State(Scope.Thread)
    public static class Garbage {
        long seed;
        long expected;
        Object plain;
        CollectionResult last;

        @Setup(Level.Invocation)
        public void build(BenchmarkParams params) {
            String b = params.getBenchmark();
            boolean chords = b.contains(".random");
            seed++;
            last = null;
            if (b.endsWith("SystemGc")) {
                plain = buildPlainGarbage(BIG, BIG, chords, seed);
            } else {
                SafeThread.collect(); // nothing left from earlier invocations
                buildGarbage(BIG, BIG, chords, seed);
                expected = BIG;
            }
            System.gc(); // age the graph into the old generation (see the class comment)
        }

        @TearDown(Level.Invocation)
        public void check() {
            if (last != null) {
                MonitorCallBench.check(last.collected() == expected && last.examined() >= expected,
                        "collected the whole graph (" + last + ", expected " + expected + ")");
            }
        }
    }

    @Benchmark
    public CollectionResult ringSafethread(Garbage g, Counts c) {
        CollectionResult r = SafeThread.collect();
        c.record(r);
        g.last = r;
        return r;
    }

    @Benchmark
    public CollectionResult randomSafethread(Garbage g, Counts c) {
        CollectionResult r = SafeThread.collect();
        c.record(r);
        g.last = r;
        return r;
    }

    @Benchmark
    public Object ringSystemGc(Garbage g) {
        Object o = g.plain;
        g.plain = null;
        System.gc();
        return o == null ? null : Boolean.TRUE;
    }

    @Benchmark
    public Object randomSystemGc(Garbage g) {
        Object o = g.plain;
        g.plain = null;
        System.gc();
        return o == null ? null : Boolean.TRUE;
    }

    // ------------------------------------------------------------------ mutator pause

    /** A thread that owns an object and keeps making runtime calls, recording its longest gap. */
    static final class Mutator implements Runnable {
        volatile boolean running = true;
        /** Bumped by the benchmark thread to restart the measurement window. */
        volatile int window;
        /** The window the mutator has started (acknowledgement). */
        volatile int windowSeen = -1;
        /** Longest gap in the current window, nanoseconds. */
        volatile long maxGap;
        /** Iterations so far. */
        volatile long iterations;
        volatile Throwable failure;

        @Override
        public void run() {
            try {
                RefCounted mine = new Node(); // owned by this thread: it takes part in hand-shakes
                long last = System.nanoTime();
                long max = 0;
                int seen = -1;
                long n = 0;
                while (running) {
                    mine.incref();
                    mine.decref();
                    long now = System.nanoTime();
                    long gap = now - last;
                    last = now;
                    int w = window;
                    if (w != seen) {
                        seen = w;
                        max = 0;
                        maxGap = 0;
                        windowSeen = w;
                    } else if (gap > max) {
                        max = gap;
                        maxGap = gap;
                    }
                    iterations = ++n;
                }
                mine.decref();
            } catch (Throwable t) {
                failure = t;
            }
        }
    }

    /** The mutator, the garbage, and the pause counter. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Pause {
        Mutator mutator;
        Thread thread;
        long seed;
        Object plain;
        public long mutatorMaxPauseUs;
        CollectionResult last;

        @Setup(Level.Trial)
        public void start() {
            mutator = new Mutator();
            thread = new Thread(mutator, "mutator");
            thread.setDaemon(true);
            thread.start();
        }

        @Setup(Level.Iteration)
        public void resetCounter() {
            mutatorMaxPauseUs = 0;
        }

        @Setup(Level.Invocation)
        public void build(BenchmarkParams params) {
            seed++;
            last = null;
            if (params.getBenchmark().endsWith("SystemGc")) {
                plain = buildPlainGarbage(SMALL, SMALL_RING, false, seed);
            } else {
                SafeThread.collect();
                buildGarbage(SMALL, SMALL_RING, false, seed);
            }
            System.gc(); // age the garbage into the old generation, as for the big graphs
            // open a fresh window and wait (bounded) until the mutator has started it
            int w = mutator.window + 1;
            mutator.window = w;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (mutator.windowSeen != w) {
                if (System.nanoTime() - deadline > 0 || !thread.isAlive()) {
                    throw new IllegalStateException("mutator not running: " + mutator.failure);
                }
                Thread.onSpinWait();
            }
        }

        /** After the measured call: let the mutator finish one more iteration, then read its longest gap. */
        void finishWindow() {
            long after = mutator.iterations;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (mutator.iterations == after) {
                if (System.nanoTime() - deadline > 0 || !thread.isAlive()) {
                    throw new IllegalStateException("mutator stuck after the collection: " + mutator.failure);
                }
                Thread.onSpinWait();
            }
            mutatorMaxPauseUs += TimeUnit.NANOSECONDS.toMicros(mutator.maxGap);
        }

        @TearDown(Level.Invocation)
        public void check() {
            if (last != null) {
                MonitorCallBench.check(last.collected() >= SMALL, "collected the small garbage (" + last + ")");
            }
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            mutator.running = false;
            thread.join(5000);
        }
    }

    @Benchmark
    public CollectionResult pauseSafethread(Pause p) {
        CollectionResult r = SafeThread.collect();
        p.last = r;
        p.finishWindow();
        return r;
    }

    @Benchmark
    public Object pauseSystemGc(Pause p) {
        Object o = p.plain;
        p.plain = null;
        System.gc();
        p.finishWindow();
        return o == null ? null : Boolean.TRUE;
    }
}
