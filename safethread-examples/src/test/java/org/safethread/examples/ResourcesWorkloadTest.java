package org.safethread.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(Transcript.class)
class ResourcesWorkloadTest {
    private static final int KIB = 1024;

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void safeThreadFreesEveryByte(Transcript log) throws Exception {
        // Every 2nd buffer in a cycle, and a budget small enough that producers must collect.
        ResourcesWorkload.Config c = new ResourcesWorkload.Config(2, Duration.ofSeconds(2), 16 * KIB,
                ResourcesWorkload.Config.minBudget(2, 16 * KIB) * 4, 2);

        ResourcesWorkload.SafeThreadResult r = ResourcesWorkload.runSafeThread(c, log.out()::println);
        log.out().println(r);
        ResourcesWorkload.Outcome o = r.outcome();

        assertThat(o.failures()).isEmpty();
        assertThat(o.buffers()).isPositive();
        assertThat(o.cycles()).isPositive();
        assertThat(o.bytesAllocated()).isEqualTo(o.buffers() * c.bufferBytes());
        assertThat(o.heldAtEnd()).as("bytes still held after collect + awaitFinalizers").isZero();
        assertThat(r.succeeded()).isTrue();
        assertThat(o.peakBytesHeld()).isLessThanOrEqualTo(c.budgetBytes() + (long) c.threads() * c.bufferBytes());
        assertThat(r.finalizersRun()).isGreaterThanOrEqualTo(o.buffers());
        assertThat(r.finalizerFailures()).isZero();
        assertThat(r.objectsCollected()).as("cycles found by the collector").isPositive();
        assertThat(r.collections()).isPositive();
        assertThat(r.leaksDetected()).isZero();
        // The chart's data: one point per 10 ms sample, in time order, never above what was ever held.
        assertThat(o.timeline()).isNotEmpty();
        assertThat(o.timeline()).extracting(ResourcesWorkload.Point::millis).isSorted();
        assertThat(o.timeline()).allSatisfy(p -> assertThat(p.bytesHeld()).isBetween(0L, o.peakBytesHeld()));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void cleanerFreesOnlyWhenTheJvmCollects(Transcript log) throws Exception {
        ResourcesWorkload.Config c = new ResourcesWorkload.Config(2, Duration.ofSeconds(1), 16 * KIB,
                ResourcesWorkload.Config.minBudget(2, 16 * KIB) * 4, 4);

        ResourcesWorkload.CleanerResult r = ResourcesWorkload.runCleaner(c, Duration.ofSeconds(10),
                log.out()::println);
        log.out().println(r);
        ResourcesWorkload.Outcome o = r.outcome();

        assertThat(o.failures()).isEmpty();
        assertThat(o.buffers()).isPositive();
        // Dropping the references frees nothing; only the JVM's collector does (System.gc in the budget's relief).
        assertThat(o.reliefs()).isPositive();
        assertThat(o.heldAtEnd()).as("after System.gc() and the wait").isZero();
    }

    @Test
    void contentsCheckCatchesCorruption() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * KIB);
        java.nio.ByteBuffer header = b.slice(0, ResourcesWorkload.HEADER_BYTES);
        java.nio.ByteBuffer body = b.slice(ResourcesWorkload.HEADER_BYTES, 4 * KIB - ResourcesWorkload.HEADER_BYTES);
        ResourcesWorkload.fill(42, header, body);
        assertThat(ResourcesWorkload.check(42, header, body)).isNull();
        body.put(100, (byte) (body.get(100) + 1));
        assertThat(ResourcesWorkload.check(42, header, body)).contains("buffer 42").contains("corrupted");
        assertThat(ResourcesWorkload.check(41, header, body)).contains("header");
    }
}
