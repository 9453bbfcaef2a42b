package org.safethread.bench;

import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.safethread.RefCounted;

/**
 * The whole life of an unbiased object on one thread, without the cross-core traffic of
 * {@link PoolHandOffBench}: a pool worker (JMH's benchmark threads are {@code ThreadPoolExecutor}
 * workers, so their objects are born unbiased, counted on the shared word) creates an object and
 * releases its only reference, so it dies inside that {@code decref}. The peer does the same with
 * Netty's {@link AbstractReferenceCounted}: construct, {@code release()}, {@code deallocate()}.
 * This separates what the counting and death path costs in instructions from what moving the
 * objects' cache lines between cores costs in the hand-off benchmark.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
public class UnbiasedLifeBench {
    /** An empty counted object, as in {@link PoolHandOffBench}. */
    public static final class Counted extends RefCounted {
    }

    /** Netty's base class; deallocation counts the object as freed, as in {@link PoolHandOffBench}. */
    public static final class NettyCounted extends AbstractReferenceCounted {
        private final long[] freed;

        NettyCounted(long[] freed) {
            this.freed = freed;
        }

        @Override
        protected void deallocate() {
            freed[0]++;
        }

        @Override
        public ReferenceCounted touch(Object hint) {
            return this;
        }
    }

    private final long[] freed = new long[1];

    /** Create and release an unbiased safethread object: it dies in the {@code decref}. */
    @Benchmark
    public boolean safethread() {
        Counted c = new Counted();
        c.decref();
        return c.isAlive();
    }

    /** Create and release a Netty object: it is deallocated in the {@code release}. */
    @Benchmark
    public boolean netty() {
        return new NettyCounted(freed).release();
    }
}
