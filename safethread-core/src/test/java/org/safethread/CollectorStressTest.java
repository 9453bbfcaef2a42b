package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.internal.collector.CycleCollector;
import org.safethread.internal.runtime.Settings;

/**
 * Randomized stress test of the collector with a reference model (issue 6). Mutator threads
 * create objects, link them (cycles, diamonds, self-references), pass them between threads and
 * drop them, while a collector thread runs collections back to back and background collections
 * fire at a low threshold. After every phase the mutators stop at a barrier and the model checks
 * that every object reachable from a root is alive (and every use of a counted reference checks
 * it too). At the end every reachable object has exactly the count the model predicts, every
 * unreachable one is dead, and after releasing everything each object has died exactly once.
 */
@Timeout(240)
class CollectorStressTest {
    static final int THREADS = 3;
    static final int PHASES = 12;
    static final int OPS_PER_PHASE = 20_000;
    static final int CAPACITY = 60_000;

    @AfterEach
    void restore() {
        Settings.setCollectorThreshold(10_000);
        CycleCollector.resetAdaptiveThreshold();
    }

    @Shareable
    static final class Obj extends RefCounted {
        final int id;
        final Ref<Obj> a = new Ref<>();
        final Ref<Obj> b = new Ref<>();
        final ConcurrentLinkedQueue<String> violations;

        Obj(int id, ConcurrentLinkedQueue<String> violations) {
            this.id = id;
            this.violations = violations;
        }

        void use(String where) {
            if (!isAlive()) {
                violations.add("object " + id + " used after death (" + where + ")");
            }
        }
    }

    @Test
    void concurrentCollectionsNeverKillWhatIsReachableAndEventuallyKillEverythingElseOnce() throws Exception {
        stress(null);
    }

    /**
     * Issue 11: half of the mutators are pool workers, which wait at the phase barriers and at
     * the end idle in their pool's queue (never calling into the runtime) while collections run
     * and the model is checked: their garbage cycles must be collected all the same, and nothing
     * reachable may die.
     */
    @Test
    void theSameWithHalfTheMutatorsIdlingInAThreadPool() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(THREADS); // room for every pooled mutator
        try {
            stress(pool);
        } finally {
            pool.shutdown();
        }
    }

    private void stress(java.util.concurrent.ExecutorService pool) throws Exception {
        Settings.setCollectorThreshold(500);
        CycleCollector.resetAdaptiveThreshold();
        long seed = System.nanoTime();
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        AtomicReferenceArray<Obj> all = new AtomicReferenceArray<>(CAPACITY);
        AtomicInteger nextId = new AtomicInteger();
        AtomicIntegerArray roots = new AtomicIntegerArray(CAPACITY); // references held by threads / in flight
        AtomicIntegerArray childA = new AtomicIntegerArray(CAPACITY);
        AtomicIntegerArray childB = new AtomicIntegerArray(CAPACITY);
        for (int i = 0; i < CAPACITY; i++) {
            childA.set(i, -1);
            childB.set(i, -1);
        }
        DeathQueue<Integer> deaths = new DeathQueue<>();
        @SuppressWarnings("unchecked")
        LinkedBlockingQueue<Obj>[] inbox = new LinkedBlockingQueue[THREADS];
        for (int t = 0; t < THREADS; t++) {
            inbox[t] = new LinkedBlockingQueue<>();
        }
        CyclicBarrier phaseEnd = new CyclicBarrier(THREADS + 1);
        CyclicBarrier phaseStart = new CyclicBarrier(THREADS + 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean stopCollector = new AtomicBoolean();
        AtomicLong collections = new AtomicLong();
        Thread collector = new Thread(() -> {
            while (!stopCollector.get()) {
                try {
                    SafeThread.collect();
                    collections.incrementAndGet();
                    Thread.sleep(1);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    return;
                }
            }
        }, "stress-collector");
        collector.start();
        List<Thread> mutators = new ArrayList<>();
        List<java.util.concurrent.Future<?>> tasks = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            final int me = t;
            Runnable body = () -> {
                SplittableRandom rnd = new SplittableRandom(seed * 31 + me);
                List<Obj> bag = new ArrayList<>();
                try {
                    for (int phase = 0; phase < PHASES; phase++) {
                        for (int op = 0; op < OPS_PER_PHASE; op++) {
                            Obj in;
                            while ((in = inbox[me].poll()) != null) {
                                in.use("received");
                                bag.add(in);
                            }
                            int k = rnd.nextInt(100);
                            if (bag.size() < 4 || k < 12) {
                                int id = nextId.getAndIncrement();
                                if (id >= CAPACITY) {
                                    nextId.set(CAPACITY);
                                    if (bag.isEmpty()) {
                                        continue;
                                    }
                                    k = 20 + rnd.nextInt(80);
                                } else {
                                    Obj o = new Obj(id, violations);
                                    all.set(id, o);
                                    roots.incrementAndGet(id);
                                    deaths.watch(o, id);
                                    bag.add(o);
                                    continue;
                                }
                            }
                            if (k < 20) {
                                Obj o = bag.get(rnd.nextInt(bag.size()));
                                o.use("incref");
                                roots.incrementAndGet(o.id);
                                o.incref();
                                bag.add(o);
                            } else if (k < 45) {
                                Obj o = bag.remove(rnd.nextInt(bag.size()));
                                o.use("release");
                                roots.decrementAndGet(o.id);
                                o.decref();
                            } else if (k < 70) {
                                Obj x = bag.get(rnd.nextInt(bag.size()));
                                Obj y = rnd.nextInt(10) == 0 ? x : bag.get(rnd.nextInt(bag.size()));
                                x.use("link from");
                                y.use("link to");
                                boolean first = rnd.nextBoolean();
                                Ref<Obj> slot = first ? x.a : x.b;
                                synchronized (slot) {
                                    (first ? childA : childB).set(x.id, y.id);
                                    slot.set(y);
                                }
                            } else if (k < 78) {
                                Obj x = bag.get(rnd.nextInt(bag.size()));
                                x.use("unlink");
                                boolean first = rnd.nextBoolean();
                                Ref<Obj> slot = first ? x.a : x.b;
                                synchronized (slot) {
                                    (first ? childA : childB).set(x.id, -1);
                                    slot.clear();
                                }
                            } else if (k < 90) {
                                Obj x = bag.get(rnd.nextInt(bag.size()));
                                x.use("follow");
                                boolean first = rnd.nextBoolean();
                                Ref<Obj> slot = first ? x.a : x.b;
                                Obj c;
                                synchronized (slot) {
                                    c = slot.acquire();
                                    if (c != null) {
                                        roots.incrementAndGet(c.id);
                                    }
                                }
                                if (c != null) {
                                    c.use("followed");
                                    bag.add(c);
                                }
                            } else {
                                Obj o = bag.remove(rnd.nextInt(bag.size()));
                                o.use("pass");
                                inbox[rnd.nextInt(THREADS)].add(o);
                            }
                        }
                        phaseEnd.await(60, TimeUnit.SECONDS);
                        phaseStart.await(60, TimeUnit.SECONDS);
                    }
                    Obj in;
                    while ((in = inbox[me].poll()) != null) {
                        bag.add(in);
                    }
                    phaseEnd.await(60, TimeUnit.SECONDS); // all inboxes drained by everyone
                    for (Obj o : bag) {
                        inbox[me].add(o); // leave our references for the main thread
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    phaseEnd.reset();
                    phaseStart.reset();
                }
            };
            if (pool != null && t % 2 == 0) {
                tasks.add(pool.submit(body)); // afterwards the worker idles in the pool's queue
            } else {
                Thread th = new Thread(body, "stress-mutator-" + t);
                mutators.add(th);
                th.start();
            }
        }
        try {
            for (int phase = 0; phase < PHASES; phase++) {
                phaseEnd.await(120, TimeUnit.SECONDS);
                int n = Math.min(nextId.get(), CAPACITY);
                boolean[] live = reachable(n, roots, childA, childB);
                for (int id = 0; id < n; id++) {
                    if (live[id]) {
                        assertThat(all.get(id).isAlive())
                                .as("phase " + phase + ": reachable object " + id + " died (seed " + seed + ")").isTrue();
                    }
                }
                phaseStart.await(60, TimeUnit.SECONDS);
            }
            phaseEnd.await(120, TimeUnit.SECONDS);
        } catch (Throwable e) {
            phaseEnd.reset(); // release the mutators, so that the first failure is reported
            phaseStart.reset();
            throw e;
        } finally {
            for (Thread th : mutators) {
                th.join(60_000);
            }
            for (java.util.concurrent.Future<?> f : tasks) {
                try {
                    f.get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    failure.compareAndSet(null, e);
                }
            }
            stopCollector.set(true);
            collector.join(60_000);
        }
        if (failure.get() != null) {
            throw new AssertionError("seed " + seed, failure.get());
        }
        assertThat(violations).as("use after death (seed " + seed + ")").isEmpty();
        assertThat(collections.get()).isPositive();
        // Quiescent: garbage goes, the rest matches the model exactly.
        for (int i = 0; i < 3; i++) {
            SafeThread.collect();
        }
        int n = Math.min(nextId.get(), CAPACITY);
        boolean[] live = reachable(n, roots, childA, childB);
        int[] linked = new int[n];
        for (int id = 0; id < n; id++) {
            if (live[id]) {
                if (childA.get(id) >= 0) {
                    linked[childA.get(id)]++;
                }
                if (childB.get(id) >= 0) {
                    linked[childB.get(id)]++;
                }
            }
        }
        for (int id = 0; id < n; id++) {
            Obj o = all.get(id);
            if (live[id]) {
                assertThat(o.isAlive()).as("reachable " + id + " (seed " + seed + ")").isTrue();
                assertThat(o.refCount()).as("count of " + id + " (seed " + seed + ")")
                        .isEqualTo(roots.get(id) + linked[id]);
            } else {
                assertThat(o.isAlive()).as("unreachable " + id + " after collect (seed " + seed + ")").isFalse();
            }
        }
        for (LinkedBlockingQueue<Obj> q : inbox) {
            Obj o;
            while ((o = q.poll()) != null) {
                o.decref();
            }
        }
        for (int i = 0; i < 3; i++) {
            SafeThread.collect();
        }
        int[] died = new int[n];
        Integer id;
        while ((id = deaths.poll(Duration.ofMillis(200))) != null) {
            died[id]++;
        }
        for (int i = 0; i < n; i++) {
            assertThat(all.get(i).isAlive()).as("left alive " + i + " (seed " + seed + ")").isFalse();
            assertThat(died[i]).as("deaths of " + i + " (seed " + seed + ")").isEqualTo(1);
        }
    }

    private static boolean[] reachable(int n, AtomicIntegerArray roots, AtomicIntegerArray childA,
            AtomicIntegerArray childB) {
        boolean[] live = new boolean[n];
        ArrayDeque<Integer> work = new ArrayDeque<>();
        for (int id = 0; id < n; id++) {
            if (roots.get(id) > 0) {
                live[id] = true;
                work.add(id);
            }
        }
        while (!work.isEmpty()) {
            int x = work.poll();
            for (int c : new int[] {childA.get(x), childB.get(x)}) {
                if (c >= 0 && c < n && !live[c]) {
                    live[c] = true;
                    work.add(c);
                }
            }
        }
        return live;
    }
}
