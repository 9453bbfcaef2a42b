package org.safethread.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.safethread.Ref;
import org.safethread.RefCounted;
import org.safethread.SafeThread;

class SafeThreadMetricsTest {

    /** A two-object cycle: only the collector can free it. */
    static final class Node extends RefCounted {
        final Ref<Node> next = new Ref<>();
    }

    @Test
    void registersEveryStatisticAsAMeterWithTheGivenTags() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new SafeThreadMetrics(Tags.of("app", "test")).bindTo(registry);

        Set<String> names = registry.getMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toSet());
        assertThat(names).containsExactlyInAnyOrder(
                "safethread.deadlocks.broken", "safethread.monitor.contended.entries", "safethread.collections",
                "safethread.collector.objects.examined", "safethread.collector.objects.collected",
                "safethread.collector.pause.total", "safethread.collector.pause.max", "safethread.objects.died",
                "safethread.leaks", "safethread.over.releases", "safethread.merges.pending",
                "safethread.finalizers.run", "safethread.finalizers.failed", "safethread.finalizers.stalled",
                "safethread.finalizers.pending", "safethread.runtime.threads");
        for (Meter m : registry.getMeters()) {
            assertThat(m.getId().getTag("app")).as(m.getId().getName()).isEqualTo("test");
            assertThat(m.getId().getDescription()).as(m.getId().getName()).isNotBlank();
        }
        assertThat(registry.get("safethread.collections").meter()).isInstanceOf(FunctionCounter.class);
        assertThat(registry.get("safethread.merges.pending").meter()).isInstanceOf(Gauge.class);
        assertThat(registry.get("safethread.collector.pause.max").meter()).isInstanceOf(TimeGauge.class);
    }

    @Test
    void metersFollowTheRuntimeAsItWorks() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new SafeThreadMetrics().bindTo(registry);
        double collections = registry.get("safethread.collections").functionCounter().count();
        double collected = registry.get("safethread.collector.objects.collected").functionCounter().count();
        double overReleases = registry.get("safethread.over.releases").functionCounter().count();

        // A garbage cycle, collected explicitly.
        Node a = new Node();
        Node b = new Node();
        a.next.set(b);
        b.next.set(a);
        a.decref();
        b.decref();
        SafeThread.collect();

        // An over-release, refused.
        Node c = new Node();
        c.decref();
        assertThatThrownBy(c::decref).isInstanceOf(IllegalStateException.class);

        assertThat(registry.get("safethread.collections").functionCounter().count()).isGreaterThan(collections);
        assertThat(registry.get("safethread.collector.objects.collected").functionCounter().count())
                .isGreaterThanOrEqualTo(collected + 2);
        assertThat(registry.get("safethread.over.releases").functionCounter().count()).isEqualTo(overReleases + 1);
        // A time gauge reports in the registry's base unit (seconds) and converts back: equal up to
        // double rounding, hence the relative tolerance of 1e-9.
        double pauseNanos = SafeThread.stats().collectionPauseTotalNanos();
        assertThat(registry.get("safethread.collector.pause.total").timeGauge().value(TimeUnit.NANOSECONDS))
                .isCloseTo(pauseNanos, within(pauseNanos * 1e-9)).isPositive();
        assertThat(registry.get("safethread.collector.pause.max").timeGauge().value(TimeUnit.NANOSECONDS))
                .isPositive();
    }

    @Test
    void refusesNulls() {
        assertThatThrownBy(() -> new SafeThreadMetrics(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("tags");
        assertThatThrownBy(() -> new SafeThreadMetrics().bindTo(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("registry");
    }
}
