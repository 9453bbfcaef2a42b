package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.internal.runtime.Settings;
import org.safethread.testing.CapturedLogs;
import org.slf4j.event.Level;

/** CONTRACT §4: what the collector collects, what it never collects, and how it runs. */
@Timeout(120)
class CollectorTest {

    @AfterEach
    void restore() {
        Settings.setCollectorThreshold(10_000);
        Settings.setHandshakeTimeout(Duration.ofMillis(5));
        Settings.setCollectorEnabled(true);
    }

    static final class N extends RefCounted {
        final Ref<N> a = new Ref<>();
        final Ref<N> b = new Ref<>();
    }

    /** Builds a ring of {@code n} objects and releases every external reference. */
    private static List<N> garbageRing(int n) {
        List<N> ring = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ring.add(new N());
        }
        for (int i = 0; i < n; i++) {
            ring.get(i).a.set(ring.get((i + 1) % n));
        }
        for (N x : ring) {
            x.decref();
        }
        return ring;
    }

    private static void assertAllDead(List<N> xs) {
        for (int i = 0; i < xs.size(); i++) {
            assertThat(xs.get(i).isAlive()).as("object " + i).isFalse();
        }
    }

    @Test
    void cyclesOfTwoThreeAndTenThousandAreCollected() {
        Settings.setCollectorEnabled(false); // so that this collect() is the one that finds them
        for (int n : new int[] {2, 3, 10_000}) {
            List<N> ring = garbageRing(n);
            assertThat(ring.get(0).isAlive()).as("counts alone never free a cycle").isTrue();
            long before = SafeThread.stats().objectsCollected();
            CollectionResult r = SafeThread.collect();
            assertThat(SafeThread.stats().objectsCollected() - before).isGreaterThanOrEqualTo(n);
            assertThat(r.examined()).isGreaterThanOrEqualTo(r.collected());
            assertAllDead(ring);
        }
    }

    @Test
    void aSelfReferenceIsCollected() {
        N x = new N();
        x.a.set(x);
        x.decref();
        assertThat(x.isAlive()).isTrue();
        SafeThread.collect();
        assertThat(x.isAlive()).isFalse();
    }

    @Test
    void aCycleHangingOffALiveObjectSurvives() {
        N root = new N();
        List<N> ring = garbageRing(5);
        // garbageRing released its references; take one back through the root first
        N live = new N();
        N c1 = new N();
        N c2 = new N();
        c1.a.set(c2);
        c2.a.set(c1);
        live.a.set(c1);
        c1.decref();
        c2.decref();
        SafeThread.collect();
        assertThat(c1.isAlive()).isTrue();
        assertThat(c2.isAlive()).isTrue();
        assertThat(c1.refCount()).isEqualTo(2);
        assertAllDead(ring);
        live.decref(); // now the cycle is garbage
        SafeThread.collect();
        assertThat(c1.isAlive()).isFalse();
        assertThat(c2.isAlive()).isFalse();
        root.decref();
    }

    @Test
    void aLiveObjectHangingOffAGarbageCycleOnlyLosesOneCount() {
        N keep = new N(); // we keep one reference
        N g1 = new N();
        N g2 = new N();
        g1.a.set(g2);
        g2.a.set(g1);
        g1.b.set(keep);
        assertThat(keep.refCount()).isEqualTo(2);
        g1.decref();
        g2.decref();
        SafeThread.collect();
        assertThat(g1.isAlive()).isFalse();
        assertThat(g2.isAlive()).isFalse();
        assertThat(keep.isAlive()).isTrue();
        assertThat(keep.refCount()).isEqualTo(1);
        keep.decref();
        assertThat(keep.isAlive()).isFalse();
    }

    @Test
    void diamondsAndSharedChildren() {
        // top -> l, r ; l -> bottom ; r -> bottom ; bottom -> top (a cycle through a diamond)
        N top = new N();
        N l = new N();
        N r = new N();
        N bottom = new N();
        top.a.set(l);
        top.b.set(r);
        l.a.set(bottom);
        r.a.set(bottom);
        bottom.a.set(top);
        N outside = new N(); // a shared child also held from outside
        l.b.set(outside);
        r.b.set(outside);
        for (N x : List.of(l, r, bottom)) {
            x.decref();
        }
        SafeThread.collect();
        assertThat(top.isAlive()).as("held by us").isTrue();
        assertThat(bottom.isAlive()).isTrue();
        top.decref();
        SafeThread.collect();
        for (N x : List.of(top, l, r, bottom)) {
            assertThat(x.isAlive()).isFalse();
        }
        assertThat(outside.isAlive()).isTrue();
        assertThat(outside.refCount()).isEqualTo(1);
        outside.decref();
    }

    @Test
    void aMillionObjectGarbageGraphBuiltByTwoThreadsIsCollected() throws Exception {
        int perThread = 500_000;
        long collectedBefore = SafeThread.stats().objectsCollected();
        List<List<N>> parts = new ArrayList<>();
        List<Thread> builders = new ArrayList<>();
        AtomicReference<Throwable> err = new AtomicReference<>();
        CountDownLatch built = new CountDownLatch(2);
        CountDownLatch collected = new CountDownLatch(1);
        for (int t = 0; t < 2; t++) {
            List<N> part = new ArrayList<>(perThread);
            parts.add(part);
            final int seed = t;
            Thread th = new Thread(() -> {
                try {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    for (int i = 0; i < perThread; i++) {
                        part.add(new N());
                    }
                    for (int i = 0; i < perThread; i++) {
                        N x = part.get(i);
                        x.a.set(part.get((i + 1) % perThread)); // a ring keeps everything in one graph
                        x.b.set(part.get(rnd.nextInt(perThread)));
                    }
                    for (N x : part) {
                        x.decref();
                    }
                    built.countDown();
                    collected.await(); // the owner blocks (outside the runtime) until the check is done
                } catch (Throwable e) {
                    err.set(e);
                    built.countDown();
                }
            });
            builders.add(th);
            th.start();
        }
        assertThat(built.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(err.get()).isNull();
        // The owners are blocked on a plain latch: not in the runtime, so nothing of theirs is readable.
        CollectionResult early = SafeThread.collect();
        assertThat(parts.get(0).get(0).isAlive()).as("owners not answering: nothing freed").isTrue();
        assertThat(early.collected()).isZero();
        collected.countDown();
        for (Thread th : builders) {
            th.join(30_000);
        }
        SafeThread.collect();
        assertThat(SafeThread.stats().objectsCollected() - collectedBefore).isGreaterThanOrEqualTo(2L * perThread);
        for (List<N> part : parts) {
            for (N x : part) {
                assertThat(x.isAlive()).isFalse();
            }
        }
    }

    @Test
    void anUnresponsiveOwnerDelaysButNeverCorruptsACollection() throws Exception {
        Settings.setHandshakeTimeout(Duration.ofMillis(20));
        AtomicReference<List<N>> made = new AtomicReference<>();
        CountDownLatch built = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        Thread owner = new Thread(() -> {
            made.set(garbageRing(50));
            built.countDown();
            try {
                goOn.await(); // busy elsewhere: a foreign latch, outside the runtime
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            SafeThread.poll(); // back in the runtime
            try {
                Thread.sleep(200); // and idle again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        owner.start();
        assertThat(built.await(10, TimeUnit.SECONDS)).isTrue();
        long t0 = System.nanoTime();
        SafeThread.collect();
        assertThat(System.nanoTime() - t0).as("bounded by the handshake timeout").isLessThan(TimeUnit.SECONDS.toNanos(5));
        assertThat(made.get().get(0).isAlive()).as("unreadable counts: kept").isTrue();
        goOn.countDown();
        owner.join(10_000);
        SafeThread.collect(); // the owner ended: its counts are readable now
        assertAllDead(made.get());
    }

    /**
     * Regression (found by the examples' stress runs): a cycle whose members are read in
     * alternate partial views — one half merged (always readable), the other owned by a thread
     * that does not answer — must stay a candidate and be collected once both can be read.
     */
    @Test
    void aCycleHalfOwnedByAnUnresponsiveThreadIsCollectedOnceItCanBeRead() throws Exception {
        AtomicReference<N> aRef = new AtomicReference<>();
        AtomicReference<N> bRef = new AtomicReference<>();
        Thread q = new Thread(() -> bRef.set(new N()), "creates-b-then-ends");
        q.start();
        q.join();
        N b = bRef.get();
        b.incref(); // counted by a thread that is not its (ended) owner...
        b.decref(); // ...so b ends up merged once the housekeeper helps its ended owner
        CountDownLatch linked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread p = new Thread(() -> {
            N a = new N();
            a.a.set(b);
            b.a.set(a);
            aRef.set(a);
            a.decref();
            SafeThread.collect(); // both examined while b still has our outside reference: live
            linked.countDown();
            try {
                release.await(); // blocked outside the runtime: a's count is unreadable
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "owner-of-a");
        p.start();
        assertThat(linked.await(10, TimeUnit.SECONDS)).isTrue();
        b.decref(); // {a, b} is garbage now
        for (int i = 0; i < 3; i++) {
            SafeThread.collect(); // a unreadable: nothing may die, but nothing may be forgotten
        }
        assertThat(b.isAlive()).isTrue();
        release.countDown();
        p.join(10_000);
        for (int i = 0; i < 3 && (aRef.get().isAlive() || b.isAlive()); i++) {
            SafeThread.collect();
        }
        assertThat(aRef.get().isAlive()).isFalse();
        assertThat(b.isAlive()).isFalse();
    }

    /** A monitor whose method keeps the calling thread busy inside it. */
    public static class Busy {
        @MonitorMethod
        public void work(CountDownLatch entered, CountDownLatch done) throws InterruptedException {
            entered.countDown();
            done.await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aThreadBlockedEnteringAMonitorIsHeldAndItsGarbageCollected() throws Exception {
        Busy busy = Monitor.of(new Busy());
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            try {
                busy.work(entered, done);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        holder.start();
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        AtomicReference<List<N>> made = new AtomicReference<>();
        CountDownLatch built = new CountDownLatch(1);
        Thread blocked = new Thread(() -> {
            made.set(garbageRing(20));
            built.countDown();
            try {
                busy.work(new CountDownLatch(1), new CountDownLatch(0)); // blocks entering: inside the runtime
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        blocked.start();
        assertThat(built.await(10, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(100); // let it park in the monitor entry
        SafeThread.collect();
        assertAllDead(made.get());
        done.countDown();
        holder.join(10_000);
        blocked.join(10_000);
    }

    @Test
    void backgroundCollectionsRunWhenCandidatesPassTheThreshold() throws Exception {
        Settings.setCollectorThreshold(200);
        org.safethread.internal.collector.CycleCollector.resetAdaptiveThreshold();
        long before = SafeThread.stats().collections();
        List<N> rings = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            rings.addAll(garbageRing(10));
        }
        SafeThread.poll();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (rings.get(0).isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
            SafeThread.poll(); // answer the background collector's handshake
        }
        assertThat(SafeThread.stats().collections()).isGreaterThan(before);
        SafeThread.collect(); // whatever the background runs left over
        assertAllDead(rings);
        assertThat(Thread.getAllStackTraces().keySet()).anyMatch(t -> t.getName().equals("safethread-collector"));
    }

    @Test
    void collectionsAreCountedLoggedAndRecordedAsJfrEvents() throws Exception {
        CapturedLogs.clear();
        RuntimeStats before = SafeThread.stats();
        Path file = Files.createTempFile("safethread-collection", ".jfr");
        try (Recording rec = new Recording()) {
            rec.enable("org.safethread.Collection");
            rec.start();
            garbageRing(7);
            SafeThread.collect();
            rec.stop();
            rec.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        Files.deleteIfExists(file);
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("org.safethread.Collection");
            assertThat(e.getLong("collected")).isGreaterThanOrEqualTo(7);
            assertThat(e.getLong("examined")).isGreaterThanOrEqualTo(7);
            assertThat(e.getDuration("pause")).isPositive();
        });
        RuntimeStats after = SafeThread.stats();
        assertThat(after.collections()).isGreaterThan(before.collections());
        assertThat(after.objectsCollected() - before.objectsCollected()).isGreaterThanOrEqualTo(7);
        assertThat(CapturedLogs.at(Level.DEBUG, "collection examined")).isNotEmpty();
    }
}
