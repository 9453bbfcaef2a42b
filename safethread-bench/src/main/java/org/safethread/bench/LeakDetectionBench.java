package org.safethread.bench;

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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.safethread.RefCounted;
import org.safethread.internal.runtime.Settings;

/**
 * What each {@code safethread.leakDetection} level costs an allocation: one {@link RefCounted}
 * made and released (it dies inside its {@code decref}), at each level. {@code off} watches only
 * objects with finalizer cores, so this object costs nothing extra; {@code simple} arms a phantom
 * reference per object (and disarms it at death); {@code sampled:N} adds a stack trace for one
 * object in N; {@code paranoid} a stack trace for every object. Run with {@code -prof gc} for the
 * bytes each allocation costs ({@code gc.alloc.rate.norm}).
 *
 * <p>There is no peer: the question is the ratio of each level to {@code off}, measured in the
 * same run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LeakDetectionBench {

    /** A plain counted object without a finalizer core. */
    static final class Plain extends RefCounted {
        long payload;
    }

    @Param({"off", "simple", "sampled:128", "paranoid"})
    public String level;

    @Setup
    public void setLevel() {
        Settings.setLeakDetection(level);
    }

    @Benchmark
    public void allocateAndRelease(Blackhole bh) {
        Plain p = new Plain();
        bh.consume(p);
        p.decref();
    }
}
