package org.safethread.bench;

import java.lang.reflect.Method;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.safethread.Branch;
import org.safethread.internal.share.ShareRules;

/**
 * Branches (CONTRACT §6).
 *
 * <p><b>Fork and join of 1,000 trivial children</b> ({@code branch1000}) against the plain JDK
 * doing the same work with no guarantees ({@code threads1000}: 1,000 × {@code new Thread(r)
 * .start()}, then 1,000 × {@code join()}). Both start all children first, then wait for all.
 * Goal: ≤ 1.2x. On JDK 21+ the same pair with virtual threads ({@code branch1000Virtual} against
 * {@code threads1000Virtual}: {@code Thread.ofVirtual().start(r)} then {@code join()}); they fail
 * fast on JDK 17 (exclude them there with {@code -e Virtual}). The peer for virtual
 * threads is {@code StructuredTaskScope} ({@code sts1000Virtual}: {@code open()}, 1,000 ×
 * {@code fork}, {@code join()}, {@code close()}), a preview API on JDK 25: called reflectively
 * (this module compiles for Java 17), run with {@code -jvmArgsAppend --enable-preview}.
 *
 * <p><b>The wall</b> ({@code wallCheck}): the shareability check {@code fork} makes on a task,
 * for a lambda capturing a String, an Integer and an {@link AtomicInteger} (one class lookup,
 * three field reads, three more lookups). Goal: &lt; 1 µs per child.
 */
@BenchmarkMode(Mode.AverageTime)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class BranchBench {
    static final int CHILDREN = 1000;
    /** A trivial child's work (captures nothing: shareable, checked by one class lookup). */
    static final Callable<Object> TRIVIAL = () -> null;
    static final Runnable TRIVIAL_RUNNABLE = () -> { };

    ThreadFactory virtual;
    Method startVirtual;
    Object virtualBuilder;
    Runnable capturing;
    Method stsOpen;
    Method stsFork;
    Method stsJoin;
    Method stsClose;

    @Setup
    public void setup() throws ReflectiveOperationException {
        String s = "account-7";
        Integer n = 42;
        AtomicInteger hits = new AtomicInteger();
        capturing = () -> hits.addAndGet(n + s.length());
        if (Runtime.version().feature() >= 21) {
            virtualBuilder = Thread.class.getMethod("ofVirtual").invoke(null);
            Class<?> builder = Class.forName("java.lang.Thread$Builder");
            virtual = (ThreadFactory) builder.getMethod("factory").invoke(virtualBuilder);
            startVirtual = builder.getMethod("start", Runnable.class);
            try {
                Class<?> sts = Class.forName("java.util.concurrent.StructuredTaskScope");
                stsOpen = sts.getMethod("open");
                stsFork = sts.getMethod("fork", Callable.class);
                stsJoin = sts.getMethod("join");
                stsClose = sts.getMethod("close");
            } catch (ReflectiveOperationException absent) {
                stsOpen = null; // not on this JDK: sts1000Virtual fails if selected
            }
        }
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public void branch1000() throws InterruptedException {
        try (Branch b = Branch.open()) {
            for (int i = 0; i < CHILDREN; i++) {
                b.fork(TRIVIAL);
            }
            b.join();
        }
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public void threads1000() throws InterruptedException {
        Thread[] ts = new Thread[CHILDREN];
        for (int i = 0; i < CHILDREN; i++) {
            ts[i] = new Thread(TRIVIAL_RUNNABLE);
            ts[i].start();
        }
        for (Thread t : ts) {
            t.join();
        }
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public void branch1000Virtual() throws InterruptedException {
        try (Branch b = Branch.open(virtual)) {
            for (int i = 0; i < CHILDREN; i++) {
                b.fork(TRIVIAL);
            }
            b.join();
        }
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public void threads1000Virtual() throws Exception {
        Thread[] ts = new Thread[CHILDREN];
        for (int i = 0; i < CHILDREN; i++) {
            ts[i] = (Thread) startVirtual.invoke(virtualBuilder, TRIVIAL_RUNNABLE);
        }
        for (Thread t : ts) {
            t.join();
        }
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public void sts1000Virtual() throws Exception {
        Object scope = stsOpen.invoke(null);
        try {
            for (int i = 0; i < CHILDREN; i++) {
                stsFork.invoke(scope, TRIVIAL);
            }
            stsJoin.invoke(scope);
        } finally {
            stsClose.invoke(scope);
        }
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void wallCheck(Blackhole bh) {
        Runnable task = capturing;
        bh.consume(ShareRules.shareableAtOneLevel(task) || ShareRules.whyNot(task) == null);
    }
}
