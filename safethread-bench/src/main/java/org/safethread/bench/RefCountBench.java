package org.safethread.bench;

import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.safethread.RefCounted;

/**
 * Reference counting: one {@code incref}/{@code decref} pair (one reference taken and released,
 * the object stays alive) under three ownership patterns, against three peers doing the same
 * pair on the same kind of object.
 *
 * <h2>Single thread (average time per pair)</h2>
 * <ul>
 *   <li>{@code safethreadOwner}: the thread that created the object; biased counting makes this
 *       two plain read-modify-writes of {@code local} plus the fast-path checks (owner, current
 *       thread, pending requests; the first decref also puts the object on the owner's candidate
 *       list once);</li>
 *   <li>{@code safethreadNonOwner}: an object created by another thread (which stays alive and
 *       idle); after the second touch this thread counts in its own per-thread cell, i.e. one CAS
 *       per operation on a line only this thread writes, plus a table lookup;</li>
 *   <li>peers: {@code plainLong} ({@code count++; count--} on a plain field: the JIT may fold the
 *       pair into nothing, or a single store, which is legitimately what unsynchronised counting
 *       costs, and it is not thread-safe), {@code atomicLong} ({@code incrementAndGet} +
 *       {@code decrementAndGet}), and {@code netty} ({@link AbstractReferenceCounted#retain()}
 *       + {@link AbstractReferenceCounted#release()}: one atomic add and one CAS; its count
 *       starts high so that {@code release} never deallocates).</li>
 * </ul>
 *
 * <h2>Two threads on one hot object (aggregate pairs per microsecond, {@code @Group} of 2)</h2>
 * <ul>
 *   <li>{@code hotSafethread}: the object is created by a third thread, so both workers are
 *       non-owners and each counts in its own cell (no shared cache line is written in the steady
 *       state);</li>
 *   <li>{@code hotSafethreadOwnerAndNonOwner}: one worker is the owner (plain count), the other
 *       a non-owner (cell). Reported honestly: the owner writes {@code local}, which lives in the
 *       object next to {@code owner}, which the non-owner's fast path reads on every operation,
 *       so that line moves between the cores;</li>
 *   <li>peers: the same two threads on one {@code AtomicLong}, one Netty object, and a plain
 *       {@code long} (racy; shown only as the floor).</li>
 * </ul>
 *
 * <p>Goals: {@code safethreadOwner} at least 9x cheaper than {@code netty}; {@code hotSafethread}
 * at least 4x Netty's aggregate throughput ({@code hotNetty}). All at the JVM's default heap.
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {RefCountBench.BIASED_WORKERS})
public class RefCountBench {
    /**
     * JMH runs benchmark methods on {@code ThreadPoolExecutor} workers, which the runtime
     * recognises as pool workers and, by default, gives no owner bias (their objects are counted
     * on the shared word, so that none waits for an idle worker). The owner benchmarks measure a
     * thread that keeps its bias (a thread that is not a pool worker: main, a thread of one's
     * own), so their fork lets pool workers keep it. {@link #safethreadPoolWorker} runs at the
     * default to show what giving the bias up costs. The heap is the JVM's default.
     */
    static final String BIASED_WORKERS = "-Dsafethread.refcount.biasPoolWorkers=true";
    /** The runtime's default for pool workers: unbiased. */
    static final String DEFAULT_WORKERS = "-Dsafethread.refcount.biasPoolWorkers=false";

    /** The counted object: an empty RefCounted. */
    public static final class Counted extends RefCounted {
    }

    /** Netty's base class, with nothing to deallocate. */
    public static final class NettyCounted extends AbstractReferenceCounted {
        NettyCounted() {
            setRefCnt(1 << 20); // far from zero: release() never deallocates in this benchmark
        }

        @Override
        protected void deallocate() {
            throw new IllegalStateException("the benchmark's Netty object must never be deallocated");
        }

        @Override
        public ReferenceCounted touch(Object hint) {
            return this;
        }
    }

    /** A plain counter, the floor. */
    public static final class PlainCounted {
        long count = 1;
    }

    /** Creates a {@link Counted} in a separate thread that stays alive (idle, outside the runtime) until released. */
    static final class ForeignOwner {
        final Counted object;
        private final CountDownLatch finish = new CountDownLatch(1);
        private final Thread thread;

        ForeignOwner(String name) {
            AtomicReference<Counted> made = new AtomicReference<>();
            CountDownLatch created = new CountDownLatch(1);
            thread = new Thread(() -> {
                made.set(new Counted());
                created.countDown();
                try {
                    finish.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, name);
            thread.setDaemon(true);
            thread.start();
            try {
                if (!created.await(5, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("owner thread did not create the object");
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            object = made.get();
        }

        void close() throws InterruptedException {
            finish.countDown();
            thread.join(5000);
        }
    }

    // ================================================================== single thread

    /** Objects for one thread; the safethread one owned by this thread. */
    @State(Scope.Thread)
    public static class Single {
        Counted owned;
        ForeignOwner foreign;
        Counted notOwned;
        PlainCounted plain;
        AtomicLong atomic;
        NettyCounted netty;

        @Setup(Level.Trial)
        public void setup() {
            owned = new Counted();
            foreign = new ForeignOwner("refcount-owner");
            notOwned = foreign.object;
            plain = new PlainCounted();
            atomic = new AtomicLong(1);
            netty = new NettyCounted();
        }

        @TearDown(Level.Trial)
        public void check() throws InterruptedException {
            MonitorCallBench.check(owned.refCount() == 1 && notOwned.refCount() == 1 && owned.isAlive()
                    && notOwned.isAlive(), "every pair left the count as it was (owned " + owned.refCount()
                    + ", not owned " + notOwned.refCount() + ")");
            MonitorCallBench.check(netty.refCnt() == 1 << 20 && atomic.get() == 1, "peer counts unchanged");
            foreign.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public Object safethreadOwner(Single s) {
        Counted c = s.owned;
        c.incref();
        c.decref();
        return c;
    }

    /**
     * The creating thread's pair at the runtime's default for a pool worker (JMH's threads are
     * ThreadPoolExecutor workers): the object was born unbiased, so this thread counts in its own
     * cell, as any non-owner does. The price of never letting an object wait for an idle worker.
     */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Fork(value = 1, jvmArgsAppend = {DEFAULT_WORKERS})
    public Object safethreadPoolWorker(Single s) {
        Counted c = s.owned;
        c.incref();
        c.decref();
        return c;
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public Object safethreadNonOwner(Single s) {
        Counted c = s.notOwned;
        c.incref();
        c.decref();
        return c;
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long plainLong(Single s) {
        PlainCounted p = s.plain;
        p.count++;
        p.count--;
        return p.count;
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long atomicLong(Single s) {
        AtomicLong a = s.atomic;
        a.incrementAndGet();
        return a.decrementAndGet();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public boolean netty(Single s) {
        NettyCounted n = s.netty;
        n.retain();
        return n.release();
    }

    // ================================================================== two threads, one object

    /** One hot object per group, created by a third thread (so both workers are non-owners). */
    @State(Scope.Group)
    public static class Hot {
        ForeignOwner foreign;
        Counted object;
        PlainCounted plain;
        AtomicLong atomic;
        NettyCounted netty;

        @Setup(Level.Trial)
        public void setup() {
            foreign = new ForeignOwner("refcount-hot-owner");
            object = foreign.object;
            plain = new PlainCounted();
            atomic = new AtomicLong(1);
            netty = new NettyCounted();
        }

        @TearDown(Level.Trial)
        public void check() throws InterruptedException {
            MonitorCallBench.check(object.isAlive() && object.refCount() == 1,
                    "the hot object's count is back to 1 (is " + object.refCount() + ")");
            MonitorCallBench.check(netty.refCnt() == 1 << 20 && atomic.get() == 1, "peer counts unchanged");
            foreign.close();
        }
    }

    @Benchmark
    @Group("hotSafethread")
    @GroupThreads(2)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Object hotSafethread(Hot h) {
        Counted c = h.object;
        c.incref();
        c.decref();
        return c;
    }

    @Benchmark
    @Group("hotPlainLong")
    @GroupThreads(2)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long hotPlainLong(Hot h) {
        PlainCounted p = h.plain;
        p.count++;
        p.count--;
        return p.count;
    }

    @Benchmark
    @Group("hotAtomicLong")
    @GroupThreads(2)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long hotAtomicLong(Hot h) {
        AtomicLong a = h.atomic;
        a.incrementAndGet();
        return a.decrementAndGet();
    }

    @Benchmark
    @Group("hotNetty")
    @GroupThreads(2)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public boolean hotNetty(Hot h) {
        NettyCounted n = h.netty;
        n.retain();
        return n.release();
    }

    // ---------------------------------------------------------------- owner + non-owner

    /** The object shared by the owner/non-owner pair; created by the owner worker's setup. */
    @State(Scope.Group)
    public static class Mixed {
        volatile Counted object;
    }

    /** The owner worker's state: its trial setup creates the object, so this worker owns it. */
    @State(Scope.Thread)
    public static class OwnerSide {
        Counted object;

        @Setup(Level.Trial)
        public void setup(Mixed m) {
            object = new Counted();
            m.object = object;
        }

        @TearDown(Level.Trial)
        public void check() {
            MonitorCallBench.check(object.isAlive(), "the owner/non-owner object is alive");
        }
    }

    /** The non-owner worker's state: waits (bounded) for the owner worker's object. */
    @State(Scope.Thread)
    public static class NonOwnerSide {
        Counted object;

        @Setup(Level.Trial)
        public void setup(Mixed m) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while ((object = m.object) == null) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("the owner worker did not create the object");
                }
                Thread.onSpinWait();
            }
        }
    }

    @Benchmark
    @Group("hotSafethreadOwnerAndNonOwner")
    @GroupThreads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Object ownerSide(OwnerSide s) {
        Counted c = s.object;
        c.incref();
        c.decref();
        return c;
    }

    @Benchmark
    @Group("hotSafethreadOwnerAndNonOwner")
    @GroupThreads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Object nonOwnerSide(NonOwnerSide s) {
        Counted c = s.object;
        c.incref();
        c.decref();
        return c;
    }
}
