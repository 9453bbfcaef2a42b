package org.safethread.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.safethread.RuntimeStats;
import org.safethread.SafeThread;

/**
 * Binds safethread's runtime statistics ({@link SafeThread#stats()}) to a Micrometer
 * {@link MeterRegistry}, the way Caffeine's {@code CaffeineCacheMetrics} and HikariCP's
 * {@code MicrometerMetricsTracker} bind theirs:
 *
 * <pre>{@code
 * new SafeThreadMetrics().bindTo(registry);                       // no extra tags
 * new SafeThreadMetrics(Tags.of("app", "billing")).bindTo(registry);
 * }</pre>
 *
 * <p>Totals since the JVM started are {@link FunctionCounter}s (monotonic; a registry turns them
 * into rates); values that go up and down are {@link Gauge}s; collection pauses are
 * {@link TimeGauge}s in the registry's base time unit. Every meter is named {@code safethread.*}:
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>Name</th><th>Type</th><th>{@link RuntimeStats} value</th></tr>
 * <tr><td>safethread.deadlocks.broken</td><td>counter</td><td>deadlocksBroken</td></tr>
 * <tr><td>safethread.monitor.contended.entries</td><td>counter</td><td>contendedEntries</td></tr>
 * <tr><td>safethread.collections</td><td>counter</td><td>collections</td></tr>
 * <tr><td>safethread.collector.objects.examined</td><td>counter</td><td>objectsExamined</td></tr>
 * <tr><td>safethread.collector.objects.collected</td><td>counter</td><td>objectsCollected</td></tr>
 * <tr><td>safethread.collector.pause.total</td><td>time gauge</td><td>collectionPauseTotalNanos</td></tr>
 * <tr><td>safethread.collector.pause.max</td><td>time gauge</td><td>collectionPauseMaxNanos</td></tr>
 * <tr><td>safethread.objects.died</td><td>counter</td><td>objectsDied</td></tr>
 * <tr><td>safethread.leaks</td><td>counter</td><td>leaksDetected</td></tr>
 * <tr><td>safethread.over.releases</td><td>counter</td><td>overReleases</td></tr>
 * <tr><td>safethread.merges.pending</td><td>gauge</td><td>pendingMerges</td></tr>
 * <tr><td>safethread.finalizers.run</td><td>counter</td><td>finalizersRun</td></tr>
 * <tr><td>safethread.finalizers.failed</td><td>counter</td><td>finalizerFailures</td></tr>
 * <tr><td>safethread.finalizers.stalled</td><td>counter</td><td>finalizerStalls</td></tr>
 * <tr><td>safethread.finalizers.pending</td><td>gauge</td><td>pendingFinalizers</td></tr>
 * <tr><td>safethread.runtime.threads</td><td>gauge</td><td>liveRuntimeThreads</td></tr>
 * </table>
 *
 * <p>Each meter reads a fresh snapshot when the registry polls it (the runtime's counters are
 * {@code LongAdder}s; a snapshot costs a few dozen nanoseconds), so binding costs nothing
 * between polls and the binder holds no state of its own.
 */
public final class SafeThreadMetrics implements MeterBinder {
    private final Iterable<Tag> tags;

    /** A binder that adds no tags. */
    public SafeThreadMetrics() {
        this(Tags.empty());
    }

    /**
     * A binder that adds {@code tags} to every meter.
     *
     * @param tags tags for every meter, e.g. the application's name; not null
     * @throws NullPointerException if {@code tags} is null
     */
    public SafeThreadMetrics(Iterable<Tag> tags) {
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
    }

    /**
     * Registers the meters listed in the class comment.
     *
     * @param registry where to register them; not null
     * @throws NullPointerException if {@code registry} is null
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        counter(registry, "safethread.deadlocks.broken", "Deadlocks between monitors broken by refusing one entry",
                RuntimeStats::deadlocksBroken);
        counter(registry, "safethread.monitor.contended.entries", "Monitor entries that blocked",
                RuntimeStats::contendedEntries);
        counter(registry, "safethread.collections", "Cycle collections run", RuntimeStats::collections);
        counter(registry, "safethread.collector.objects.examined", "Objects the cycle collector examined",
                RuntimeStats::objectsExamined);
        counter(registry, "safethread.collector.objects.collected", "Objects found in garbage cycles and made to die",
                RuntimeStats::objectsCollected);
        TimeGauge.builder("safethread.collector.pause.total", SafeThreadMetrics.class, TimeUnit.NANOSECONDS,
                        c -> SafeThread.stats().collectionPauseTotalNanos())
                .description("Time threads were stopped by collections, summed")
                .tags(tags).register(registry);
        TimeGauge.builder("safethread.collector.pause.max", SafeThreadMetrics.class, TimeUnit.NANOSECONDS,
                        c -> SafeThread.stats().collectionPauseMaxNanos())
                .description("Longest single collection pause since the JVM started")
                .tags(tags).register(registry);
        counter(registry, "safethread.objects.died", "RefCounted objects that died", RuntimeStats::objectsDied);
        counter(registry, "safethread.leaks", "RefCounted objects collected by the JVM while still referenced",
                RuntimeStats::leaksDetected);
        counter(registry, "safethread.over.releases", "Decrefs that released more references than the object had",
                RuntimeStats::overReleases);
        gauge(registry, "safethread.merges.pending", "Objects waiting to be merged by a busy owner thread",
                RuntimeStats::pendingMerges);
        counter(registry, "safethread.finalizers.run", "@Finalize methods run", RuntimeStats::finalizersRun);
        counter(registry, "safethread.finalizers.failed", "@Finalize methods that threw",
                RuntimeStats::finalizerFailures);
        counter(registry, "safethread.finalizers.stalled", "Finalizers that ran past the stall timeout",
                RuntimeStats::finalizerStalls);
        gauge(registry, "safethread.finalizers.pending", "Finalizers queued and not yet finished",
                RuntimeStats::pendingFinalizers);
        gauge(registry, "safethread.runtime.threads", "The runtime's own threads alive now",
                RuntimeStats::liveRuntimeThreads);
    }

    private void counter(MeterRegistry registry, String name, String description, ToDoubleFunction<RuntimeStats> f) {
        FunctionCounter.builder(name, SafeThreadMetrics.class, c -> f.applyAsDouble(SafeThread.stats()))
                .description(description).tags(tags).register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<RuntimeStats> f) {
        Gauge.builder(name, SafeThreadMetrics.class, c -> f.applyAsDouble(SafeThread.stats()))
                .description(description).tags(tags).register(registry);
    }
}
