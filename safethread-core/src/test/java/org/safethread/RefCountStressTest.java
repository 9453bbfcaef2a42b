package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Randomized stress test with a reference model (issue 4): several threads take, pass (through a
 * monitor and through queues), link and release references to a shared population. Every use of
 * a counted reference checks that the object is alive (a use-after-death check inside the
 * objects). The model records root references per object (held by threads, in flight, in shared
 * slots) and each object's child link. When the threads have stopped and garbage cycles were
 * collected, every object reachable from a root must be alive with {@code refCount()} equal to
 * its root references plus the live objects linking to it, and every unreachable one dead. Then
 * everything is released: every object must be dead, each exactly once.
 */
@Timeout(180)
class RefCountStressTest {
    static final int THREADS = 4;
    static final int PER_THREAD_OBJECTS = 300;
    static final int OPS = 150_000;
    static final int SLOTS = 64;

    /** Shareable: its only state is Ref fields and atomics (thread-safe). */
    @Shareable
    static final class Obj extends RefCounted {
        final int id;
        final Ref<Obj> child = new Ref<>();
        final ConcurrentLinkedQueue<String> violations;

        Obj(int id, ConcurrentLinkedQueue<String> violations) {
            this.id = id;
            this.violations = violations;
        }

        /** Use-after-death check: called only through a counted reference. */
        void use(String where) {
            if (!isAlive()) {
                violations.add("object " + id + " used after death (" + where + ")");
            }
        }
    }

    /** A monitor mailbox per thread. */
    public static class Mailbox {
        private final java.util.ArrayDeque<Obj> items = new java.util.ArrayDeque<>();

        @MonitorMethod
        public void put(Obj o) {
            items.add(o);
        }

        @MonitorMethod
        public Obj poll() {
            return items.poll();
        }
    }

    @Test
    void randomTakePassReleaseMatchesTheModelAndEveryObjectDiesExactlyOnce() throws Exception {
        stress(false);
    }

    /**
     * Issue 11: half of the threads are pool workers that stay alive and idle in their pool's
     * queue while the model is checked (their objects must not wait for them: no leak), the
     * other half threads of our own that end. Zero early deaths, zero leaks.
     */
    @Test
    void theSameWithHalfTheOwnersIdlingInAThreadPool() throws Exception {
        stress(true);
    }

    private void stress(boolean pooled) throws Exception {
        java.util.concurrent.ExecutorService pool = pooled
                ? java.util.concurrent.Executors.newFixedThreadPool(THREADS / 2) : null;
        try {
            stress(pool);
        } finally {
            if (pool != null) {
                pool.shutdown();
            }
        }
    }

    private void stress(java.util.concurrent.ExecutorService pool) throws Exception {
        long seed = System.nanoTime();
        int n = THREADS * PER_THREAD_OBJECTS;
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        AtomicIntegerArray expected = new AtomicIntegerArray(n); // model: root references per object
        AtomicIntegerArray childOf = new AtomicIntegerArray(n); // model: each object's child link, or -1
        for (int i = 0; i < n; i++) {
            childOf.set(i, -1);
        }
        Obj[] all = new Obj[n];
        DeathQueue<Integer> deaths = new DeathQueue<>();
        @SuppressWarnings("unchecked")
        Ref<Obj>[] slots = new Ref[SLOTS];
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = new Ref<>();
        }
        Mailbox[] boxes = new Mailbox[THREADS];
        @SuppressWarnings("unchecked")
        LinkedBlockingQueue<Obj>[] queues = new LinkedBlockingQueue[THREADS];
        for (int t = 0; t < THREADS; t++) {
            boxes[t] = Monitor.of(new Mailbox());
            queues[t] = new LinkedBlockingQueue<>();
        }
        CyclicBarrier created = new CyclicBarrier(THREADS);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        List<java.util.concurrent.Future<?>> tasks = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            final int me = t;
            Runnable body = () -> {
                SplittableRandom rnd = new SplittableRandom(seed + me);
                List<Obj> bag = new ArrayList<>();
                try {
                    for (int i = 0; i < PER_THREAD_OBJECTS; i++) {
                        int id = me * PER_THREAD_OBJECTS + i;
                        Obj o = new Obj(id, violations);
                        all[id] = o;
                        expected.incrementAndGet(id);
                        deaths.watch(o, id);
                        bag.add(o);
                    }
                    created.await();
                    for (int op = 0; op < OPS; op++) {
                        drainInbox(boxes[me], queues[me], bag);
                        int kind = rnd.nextInt(100);
                        if (bag.isEmpty()) {
                            kind = 40 + rnd.nextInt(10); // acquire from a slot
                        }
                        if (kind < 15) { // take another reference
                            Obj o = bag.get(rnd.nextInt(bag.size()));
                            o.use("incref");
                            o.incref();
                            expected.incrementAndGet(o.id);
                            bag.add(o);
                        } else if (kind < 35) { // release one
                            Obj o = bag.remove(rnd.nextInt(bag.size()));
                            o.use("decref");
                            expected.decrementAndGet(o.id);
                            o.decref();
                        } else if (kind < 40) { // store in a shared slot
                            Obj o = bag.get(rnd.nextInt(bag.size()));
                            o.use("slot set");
                            Ref<Obj> slot = slots[rnd.nextInt(SLOTS)];
                            synchronized (slot) { // model and slot change together
                                Obj old = slot.get();
                                expected.incrementAndGet(o.id);
                                slot.set(o);
                                if (old != null) {
                                    expected.decrementAndGet(old.id);
                                }
                            }
                        } else if (kind < 50) { // acquire from a shared slot
                            Ref<Obj> slot = slots[rnd.nextInt(SLOTS)];
                            Obj o;
                            synchronized (slot) {
                                o = slot.acquire();
                                if (o != null) {
                                    expected.incrementAndGet(o.id);
                                }
                            }
                            if (o != null) {
                                o.use("acquire");
                                bag.add(o);
                            }
                        } else if (kind < 53) { // clear a slot
                            Ref<Obj> slot = slots[rnd.nextInt(SLOTS)];
                            synchronized (slot) {
                                Obj old = slot.get();
                                if (old != null) {
                                    expected.decrementAndGet(old.id);
                                }
                                slot.clear();
                            }
                        } else if (kind < 63) { // link: a.child = b (may make cycles)
                            Obj a = bag.get(rnd.nextInt(bag.size()));
                            Obj b = bag.get(rnd.nextInt(bag.size()));
                            a.use("link parent");
                            b.use("link child");
                            synchronized (a.child) {
                                childOf.set(a.id, b.id);
                                a.child.set(b);
                            }
                        } else if (kind < 68) { // follow a link
                            Obj a = bag.get(rnd.nextInt(bag.size()));
                            a.use("follow");
                            Obj c;
                            synchronized (a.child) {
                                c = a.child.acquire();
                                if (c != null) {
                                    expected.incrementAndGet(c.id);
                                }
                            }
                            if (c != null) {
                                c.use("followed");
                                bag.add(c);
                            }
                        } else if (kind < 84) { // pass through the other thread's monitor mailbox
                            Obj o = bag.remove(rnd.nextInt(bag.size()));
                            o.use("pass/monitor");
                            boxes[rnd.nextInt(THREADS)].put(o);
                        } else { // pass through a queue
                            Obj o = bag.remove(rnd.nextInt(bag.size()));
                            o.use("pass/queue");
                            queues[rnd.nextInt(THREADS)].add(o);
                        }
                    }
                    created.await(); // everyone stopped sending
                    drainInbox(boxes[me], queues[me], bag);
                    created.await();
                    // hand the leftovers to the main thread through our queue of ownership
                    for (Obj o : bag) {
                        o.use("final");
                        queues[me].add(o);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    created.reset();
                }
            };
            if (pool != null && t % 2 == 0) {
                tasks.add(pool.submit(body)); // the worker then idles in the pool's queue
            } else {
                Thread th = new Thread(body, "stress-" + t);
                threads.add(th);
                th.start();
            }
        }
        for (Thread th : threads) {
            th.join(150_000);
            assertThat(th.isAlive()).as(th.getName() + " finished").isFalse();
        }
        for (java.util.concurrent.Future<?> f : tasks) {
            f.get(150, java.util.concurrent.TimeUnit.SECONDS);
        }
        if (failure.get() != null) {
            throw new AssertionError("seed " + seed, failure.get());
        }
        assertThat(violations).as("use after death (seed " + seed + ")").isEmpty();
        SafeThread.poll();
        // Quiescent. Let garbage cycles go, then compare every object with the model.
        for (int i = 0; i < 3; i++) {
            SafeThread.collect();
        }
        boolean[] live = new boolean[n];
        java.util.ArrayDeque<Integer> work = new java.util.ArrayDeque<>();
        for (int id = 0; id < n; id++) {
            if (expected.get(id) > 0) {
                live[id] = true;
                work.add(id);
            }
        }
        while (!work.isEmpty()) {
            int c = childOf.get(work.poll());
            if (c >= 0 && !live[c]) {
                live[c] = true;
                work.add(c);
            }
        }
        int[] linkedFrom = new int[n];
        for (int id = 0; id < n; id++) {
            if (live[id] && childOf.get(id) >= 0) {
                linkedFrom[childOf.get(id)]++;
            }
        }
        for (int id = 0; id < n; id++) {
            Obj o = all[id];
            if (live[id]) {
                assertThat(o.isAlive()).as("reachable object " + id + " (seed " + seed + ")").isTrue();
                assertThat(o.refCount()).as("refCount of object " + id + " (seed " + seed + ")")
                        .isEqualTo(expected.get(id) + linkedFrom[id]);
            } else {
                assertThat(o.isAlive()).as("unreachable object " + id + " after collect (seed " + seed + ")")
                        .isFalse();
            }
        }
        // Release everything: bags (now in the queues), slots; then collect the cycles.
        for (LinkedBlockingQueue<Obj> q : queues) {
            Obj o;
            while ((o = q.poll()) != null) {
                o.decref();
            }
        }
        for (Ref<Obj> slot : slots) {
            slot.clear();
        }
        for (int i = 0; i < 5; i++) {
            SafeThread.collect();
        }
        int[] died = new int[n];
        Integer id;
        while ((id = deaths.poll(Duration.ofMillis(200))) != null) {
            died[id]++;
        }
        for (int i = 0; i < n; i++) {
            assertThat(all[i].isAlive()).as("object " + i + " left alive (seed " + seed + ")").isFalse();
            assertThat(died[i]).as("deaths of object " + i + " (seed " + seed + ")").isEqualTo(1);
        }
        assertThat(violations).isEmpty();
    }

    private static void drainInbox(Mailbox box, LinkedBlockingQueue<Obj> queue, List<Obj> bag) {
        Obj o;
        while ((o = box.poll()) != null) {
            o.use("received/monitor");
            bag.add(o);
        }
        while ((o = queue.poll()) != null) {
            o.use("received/queue");
            bag.add(o);
        }
    }
}
