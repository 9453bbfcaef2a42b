package org.safethread.bench;

import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;
import org.safethread.RefCounted;

/**
 * Producer/consumer across pool threads (issue 11): one pool thread creates counted objects and
 * hands them, in batches of {@value #BATCH}, over a single-producer/single-consumer ring to
 * another pool thread, which releases the last reference of each, so every object dies on the
 * consumer. Batches keep the figure about counting and death rather than about how often the
 * two threads are scheduled together (on a loaded 2-core machine a ring of single objects
 * measures the scheduler). JMH's benchmark threads are
 * {@code ThreadPoolExecutor} workers, which is exactly the case: at the runtime's defaults the
 * producer's objects are born unbiased and die inside the consumer's {@code decref}.
 *
 * <p>Reported: objects freed per microsecond (the {@code consume} method's score, per object
 * through {@code @OperationsPerInvocation}; the producer's score is the same rate), against the same workload on Netty's {@link AbstractReferenceCounted}
 * (created with count 1, {@code release()} by the consumer deallocates). Both use the same ring,
 * so the ratio compares the counting and the death, not the hand-off. Goal: at least 1.0x Netty.
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PoolHandOffBench {
    /** Objects per hand-off. */
    static final int BATCH = 256;

    /** The counted object: an empty RefCounted. */
    public static final class Counted extends RefCounted {
    }

    /** Netty's base class; deallocation counts the object as freed. */
    public static final class NettyCounted extends AbstractReferenceCounted {
        private final AtomicLong freed;

        NettyCounted(AtomicLong freed) {
            this.freed = freed;
        }

        @Override
        protected void deallocate() {
            freed.lazySet(freed.get() + 1); // only the consumer deallocates
        }

        @Override
        public ReferenceCounted touch(Object hint) {
            return this;
        }
    }

    /** A bounded single-producer/single-consumer ring (Lamport), the same for both peers. */
    static final class Ring<T> {
        private static final int SIZE = 64;
        private final AtomicReferenceArray<T> slots = new AtomicReferenceArray<>(SIZE);
        private long head; // consumer only
        private long tail; // producer only

        boolean offer(T x) {
            int i = (int) (tail & (SIZE - 1));
            if (slots.get(i) != null) {
                return false;
            }
            slots.lazySet(i, x);
            tail++;
            return true;
        }

        T poll() {
            int i = (int) (head & (SIZE - 1));
            T x = slots.get(i);
            if (x != null) {
                slots.lazySet(i, null);
                head++;
            }
            return x;
        }
    }

    /** One ring per group and peer. */
    @State(Scope.Group)
    public static class Rings {
        final Ring<Counted[]> safethread = new Ring<>();
        final Ring<NettyCounted[]> netty = new Ring<>();
        final AtomicLong nettyFreed = new AtomicLong();

        @TearDown(Level.Trial)
        public void drain() {
            for (Counted[] b; (b = safethread.poll()) != null;) {
                for (Counted c : b) {
                    c.decref();
                }
            }
            for (NettyCounted[] b; (b = netty.poll()) != null;) {
                for (NettyCounted n : b) {
                    n.release();
                }
            }
        }
    }

    @Benchmark
    @Group("safethread")
    @GroupThreads(1)
    @OperationsPerInvocation(BATCH)
    public boolean produce(Rings r, Control control) {
        Counted[] b = new Counted[BATCH];
        for (int i = 0; i < BATCH; i++) {
            b[i] = new Counted();
        }
        while (!r.safethread.offer(b)) {
            if (control.stopMeasurement) {
                for (Counted c : b) {
                    c.decref();
                }
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    @Benchmark
    @Group("safethread")
    @GroupThreads(1)
    @OperationsPerInvocation(BATCH)
    public boolean consume(Rings r, Control control) {
        Counted[] b;
        while ((b = r.safethread.poll()) == null) {
            if (control.stopMeasurement) {
                return false;
            }
            Thread.onSpinWait();
        }
        boolean alive = false;
        for (Counted c : b) {
            c.decref(); // the last reference: it dies here
            alive |= c.isAlive();
        }
        return alive;
    }

    @Benchmark
    @Group("netty")
    @GroupThreads(1)
    @OperationsPerInvocation(BATCH)
    public boolean nettyProduce(Rings r, Control control) {
        NettyCounted[] b = new NettyCounted[BATCH];
        for (int i = 0; i < BATCH; i++) {
            b[i] = new NettyCounted(r.nettyFreed);
        }
        while (!r.netty.offer(b)) {
            if (control.stopMeasurement) {
                for (NettyCounted n : b) {
                    n.release();
                }
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    @Benchmark
    @Group("netty")
    @GroupThreads(1)
    @OperationsPerInvocation(BATCH)
    public boolean nettyConsume(Rings r, Control control) {
        NettyCounted[] b;
        while ((b = r.netty.poll()) == null) {
            if (control.stopMeasurement) {
                return false;
            }
            Thread.onSpinWait();
        }
        boolean freed = true;
        for (NettyCounted n : b) {
            freed &= n.release(); // the last reference: deallocated here
        }
        return freed;
    }
}
