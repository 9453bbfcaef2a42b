package org.safethread.bench;

import java.lang.ref.Cleaner;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Timeout;
import org.openjdk.jmh.annotations.Warmup;
import org.safethread.Finalize;
import org.safethread.FinalizerCore;
import org.safethread.RefCounted;
import org.safethread.SafeThread;

/**
 * Finalization: how soon cleanup starts after an object is released, and how many objects per
 * second can be cleaned up, with safethread's {@code @FinalizerCore}/{@code @Finalize} against
 * {@link Cleaner} on the same kind of objects.
 *
 * <p>The objects: a {@link RefCounted} whose core is a record holding an id (safethread), and a
 * plain object registered with a {@link Cleaner} whose action is a static nested record holding
 * the same id (the JDK's documented pattern). Both cleanups do the same thing: record
 * {@code System.nanoTime()} and the id in shared atomics.
 *
 * <ul>
 *   <li>{@code latencySafethread} ({@code SampleTime}): a fresh object is made in the
 *       per-invocation setup (its core captured by a safe point there); the sample is its
 *       releasing {@code decref()} (the object dies inside it and its core is queued) until this
 *       thread sees that its {@code @Finalize} has started on the finalizer thread.</li>
 *   <li>{@code latencyCleaner}: the sample is dropping the last strong reference, calling
 *       {@code System.gc()} (the JVM's collector is the only thing that can notice), and waiting
 *       until the cleaning action has started on the Cleaner's thread.</li>
 *   <li>{@code throughputSafethread} / {@code throughputCleaner} ({@code Throughput}; the
 *       secondary result {@code finalized} is finalizations per second): a batch of
 *       {@code batch} objects made in the setup is released (each {@code decref}; or all
 *       references dropped, then one {@code System.gc()}), and the invocation ends when every
 *       cleanup of the batch has run. The batch size matters to the peer: one
 *       {@code System.gc()} serves the whole batch, so large batches amortise it.</li>
 * </ul>
 * The latency variants spin while they wait (so the sample ends as soon as the cleanup starts;
 * this needs a second free core for the cleanup thread); the throughput variants park and are
 * woken by the cleanup that completes the batch. Every wait is bounded (10 s) and fails the run
 * instead of hanging. The Cleaner variants use
 * the default collector (G1); {@code System.gc()} is a full collection there.
 *
 * <p>Goals: safethread's median latency below 1 ms; its throughput at least the Cleaner's with
 * explicit {@code System.gc()}.
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Timeout(time = 60)
@Fork(1)
public class FinalizeBench {
    static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** Id of the last cleanup that started, and how many have run: written by the cleanup threads. */
    static final AtomicLong LAST_STARTED = new AtomicLong(-1);
    static final AtomicLong STARTED_AT = new AtomicLong();
    static final AtomicLong RUN = new AtomicLong();

    /** A thread waiting in {@link #awaitRun} for {@link #RUN} to reach {@link #target}, or null. */
    static volatile Thread waiter;
    static volatile long target = Long.MAX_VALUE;

    static void cleanup(long id) {
        STARTED_AT.set(System.nanoTime());
        LAST_STARTED.set(id);
        if (RUN.incrementAndGet() >= target) {
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    // ------------------------------------------------------------------ the two kinds of object

    /** safethread's core: shareable (a record of primitives), does not reach its owner. */
    public record Core(long id) {
        @Finalize
        void close() {
            cleanup(id);
        }
    }

    /** A counted resource with a finalizer core. */
    public static final class Resource extends RefCounted {
        @FinalizerCore
        private final Core core;

        Resource(long id) {
            core = new Core(id);
        }
    }

    /** The Cleaner's action: a static nested record that does not reach the object. */
    record CleanAction(long id) implements Runnable {
        @Override
        public void run() {
            cleanup(id);
        }
    }

    /** The same resource for the Cleaner. */
    public static final class CleanedResource {
        private final long id;

        CleanedResource(Cleaner cleaner, long id) {
            this.id = id;
            cleaner.register(this, new CleanAction(id));
        }

        long id() {
            return id;
        }
    }

    static void awaitStarted(long id) {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (LAST_STARTED.get() != id) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("cleanup of object " + id + " did not start within 10 s");
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Waits until {@code count} cleanups have run, parked (woken by the cleanup that reaches the
     * count), so that on a small machine the cleanup thread gets the processor this thread would
     * otherwise spin on. Both variants wait the same way.
     */
    static void awaitRun(long count) {
        long deadline = System.nanoTime() + WAIT_NANOS;
        waiter = Thread.currentThread();
        target = count;
        try {
            while (RUN.get() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("only " + RUN.get() + " of " + count + " cleanups ran within 10 s");
                }
                LockSupport.parkNanos(FinalizeBench.class, left);
            }
        } finally {
            target = Long.MAX_VALUE;
            waiter = null;
        }
    }

    // ------------------------------------------------------------------ latency

    /** One fresh object per invocation. */
    @State(Scope.Thread)
    public static class One {
        long nextId;
        Resource resource;
        CleanedResource cleaned;
        Cleaner cleaner;

        @Setup(Level.Trial)
        public void start() {
            cleaner = Cleaner.create();
        }

        @Setup(Level.Invocation)
        public void make(org.openjdk.jmh.infra.BenchmarkParams params) {
            long id = nextId++;
            if (params.getBenchmark().endsWith("Safethread")) {
                resource = new Resource(id);
                SafeThread.poll(); // a safe point: the core is captured here, not inside the measured decref
            } else {
                cleaned = new CleanedResource(cleaner, id);
            }
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long latencySafethread(One o) {
        Resource r = o.resource;
        o.resource = null;
        long id = o.nextId - 1;
        r.decref();
        awaitStarted(id);
        return STARTED_AT.get();
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long latencyCleaner(One o) {
        long id = o.cleaned.id();
        o.cleaned = null;
        System.gc();
        awaitStarted(id);
        return STARTED_AT.get();
    }

    // ------------------------------------------------------------------ throughput

    /** Cleanups run, reported per second (JMH normalises OPERATIONS counters by the measured time). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Finalized {
        public long finalized;

        @Setup(Level.Iteration)
        public void reset() {
            finalized = 0;
        }
    }

    /** One batch of objects per invocation. */
    @State(Scope.Thread)
    public static class Batch {
        @Param({"1000", "10000", "100000"})
        public int batch;
        long nextId;
        Resource[] resources;
        CleanedResource[] cleaned;
        Cleaner cleaner;
        long expectedRun;

        @Setup(Level.Trial)
        public void start() {
            cleaner = Cleaner.create();
        }

        @Setup(Level.Invocation)
        public void make(org.openjdk.jmh.infra.BenchmarkParams params) {
            // everything from earlier invocations has run (the benchmark waited for it)
            expectedRun = RUN.get() + batch;
            if (params.getBenchmark().endsWith("Safethread")) {
                resources = new Resource[batch];
                for (int i = 0; i < batch; i++) {
                    resources[i] = new Resource(nextId++);
                }
                SafeThread.poll();
            } else {
                cleaned = new CleanedResource[batch];
                for (int i = 0; i < batch; i++) {
                    cleaned[i] = new CleanedResource(cleaner, nextId++);
                }
            }
        }

        @TearDown(Level.Trial)
        public void check() {
            MonitorCallBench.check(SafeThread.stats().finalizerFailures() == 0, "no @Finalize failed");
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public long throughputSafethread(Batch b, Finalized f) {
        Resource[] rs = b.resources;
        b.resources = null;
        for (Resource r : rs) {
            r.decref();
        }
        awaitRun(b.expectedRun);
        f.finalized += rs.length;
        return RUN.get();
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public long throughputCleaner(Batch b, Finalized f) {
        int n = b.cleaned.length;
        b.cleaned = null;
        System.gc();
        awaitRun(b.expectedRun);
        f.finalized += n;
        return RUN.get();
    }
}
