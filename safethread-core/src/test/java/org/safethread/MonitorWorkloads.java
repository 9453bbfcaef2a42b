package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.safethread.MonitorTesting.start;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import org.safethread.MonitorTesting.Starter;
import org.safethread.MonitorTesting.Worker;

/**
 * Workloads run by both the platform-thread and the virtual-thread tests: python-safethread's
 * counter and bounded queue, and the AB/BA deadlock repeated.
 */
final class MonitorWorkloads {
    private MonitorWorkloads() {
    }

    // ------------------------------------------------------------------ counter

    public static class Counter {
        private int value;

        @MonitorMethod
        public void tick() {
            int v = value;
            Thread.yield(); // a lost update shows if two threads are ever inside together
            value = v + 1;
        }

        @MonitorMethod
        public int value() {
            return value;
        }
    }

    /** python-safethread's Counter: 10 threads tick it 20 times each; it ends at 200. */
    static void counter(Starter starter) throws Throwable {
        Counter c = Monitor.of(new Counter());
        CountDownLatch go = new CountDownLatch(1);
        List<Worker> ws = new ArrayList<>();
        for (int t = 0; t < 10; t++) {
            ws.add(start(starter, "tick-" + t, () -> {
                MonitorTesting.await(go);
                for (int i = 0; i < 20; i++) {
                    c.tick();
                }
            }));
        }
        go.countDown();
        MonitorTesting.assertNoFailures(ws);
        assertThat(c.value()).isEqualTo(200);
    }

    // ------------------------------------------------------------------ bounded queue

    /** A bounded queue whose put waits for "not full" and take for "not empty", with no loops. */
    public static class BoundedQueue {
        private final int capacity;
        private final ArrayDeque<Object> items = new ArrayDeque<>();
        private int maxSize;

        BoundedQueue(int capacity) {
            this.capacity = capacity;
        }

        @MonitorMethod
        public void put(Object item) throws InterruptedException {
            Monitor.await(() -> items.size() < capacity); // notFull
            if (items.size() >= capacity) {
                throw new AssertionError("await returned with the queue full");
            }
            items.addLast(item);
            maxSize = Math.max(maxSize, items.size());
        }

        @MonitorMethod
        public Object take() throws InterruptedException {
            Monitor.await(() -> !items.isEmpty()); // notEmpty
            return items.removeFirst(); // NoSuchElementException if await lied
        }

        @MonitorMethod
        public int maxSize() {
            return maxSize;
        }

        @MonitorMethod
        public int size() {
            return items.size();
        }
    }

    /**
     * Several producers and consumers through a small bounded queue: nothing lost, nothing
     * duplicated, never over capacity.
     */
    static void boundedQueue(Starter starter, int producers, int consumers, int perProducer, int capacity)
            throws Throwable {
        BoundedQueue q = Monitor.of(new BoundedQueue(capacity));
        ConcurrentLinkedQueue<Integer> received = new ConcurrentLinkedQueue<>();
        List<Worker> ps = new ArrayList<>();
        List<Worker> cs = new ArrayList<>();
        for (int c = 0; c < consumers; c++) {
            cs.add(start(starter, "consumer-" + c, () -> {
                for (;;) {
                    Integer v = (Integer) q.take();
                    if (v < 0) {
                        return;
                    }
                    received.add(v);
                }
            }));
        }
        for (int p = 0; p < producers; p++) {
            int base = p * perProducer;
            ps.add(start(starter, "producer-" + p, () -> {
                for (int i = 0; i < perProducer; i++) {
                    q.put(base + i);
                }
            }));
        }
        MonitorTesting.assertNoFailures(ps);
        for (int c = 0; c < consumers; c++) {
            q.put(-1);
        }
        MonitorTesting.assertNoFailures(cs);
        int total = producers * perProducer;
        assertThat(received).hasSize(total);
        Set<Integer> distinct = new HashSet<>(received);
        assertThat(distinct).as("no duplicates").hasSize(total);
        assertThat(distinct).as("nothing lost").allMatch(v -> v >= 0 && v < total);
        assertThat(q.size()).isZero();
        assertThat(q.maxSize()).isLessThanOrEqualTo(capacity).isPositive();
    }

    // ------------------------------------------------------------------ AB/BA

    public interface Acc {
        /** Holds this monitor, meets the other thread, then touches {@code other}. */
        void poke(Acc other);

        void touch();

        int touched();
    }

    /** The target behind an {@link Acc} monitor. */
    static final class AccImpl implements Acc {
        final CyclicBarrier bothInside;
        int touched;

        AccImpl(CyclicBarrier bothInside) {
            this.bothInside = bothInside;
        }

        @Override
        public void poke(Acc other) {
            MonitorTesting.await(bothInside);
            other.touch();
        }

        @Override
        public void touch() {
            touched++;
        }

        @Override
        public int touched() {
            return touched;
        }
    }

    /** What one AB/BA run saw. */
    record AbBaResult(int rounds, long deadlocksBrokenDelta) {
    }

    /**
     * Two threads, one calling A.poke(B) and the other B.poke(A), {@code rounds} times. Every round
     * exactly one of them gets a {@link DeadlockException} (the victim), the other's call
     * completes, the monitor the victim wanted is untouched by it, and the exception's message and
     * cycle name both threads and both monitors.
     *
     * @param names the two threads' names, or null for unnamed threads (virtual only)
     */
    static AbBaResult abBa(Starter starter, int rounds, String[] names) throws Throwable {
        CyclicBarrier inside = new CyclicBarrier(2);
        Acc a = Monitor.of(new AccImpl(inside), Acc.class);
        Acc b = Monitor.of(new AccImpl(inside), Acc.class);
        CyclicBarrier roundStart = new CyclicBarrier(3);
        CyclicBarrier roundEnd = new CyclicBarrier(3);
        DeadlockException[] caught = new DeadlockException[2];
        Throwable[] unexpected = new Throwable[2];
        Acc[] first = {a, b};
        Acc[] second = {b, a};
        Thread[] threads = new Thread[2];
        List<Worker> ws = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            int me = k;
            Worker w = start(starter, names == null ? null : names[k], () -> {
                for (int r = 0; r < rounds; r++) {
                    MonitorTesting.await(roundStart);
                    try {
                        first[me].poke(second[me]);
                    } catch (DeadlockException e) {
                        caught[me] = e;
                    } catch (Throwable t) {
                        unexpected[me] = t;
                    }
                    MonitorTesting.await(roundEnd);
                }
            });
            ws.add(w);
            threads[k] = w.thread;
        }
        long broken0 = SafeThread.stats().deadlocksBroken();
        int aTouched = 0;
        int bTouched = 0;
        for (int r = 0; r < rounds; r++) {
            caught[0] = caught[1] = null;
            unexpected[0] = unexpected[1] = null;
            MonitorTesting.await(roundStart);
            MonitorTesting.await(roundEnd); // the barriers order the workers' writes before our reads
            String round = "round " + r;
            assertThat(unexpected).as(round).containsOnlyNulls();
            int victims = (caught[0] != null ? 1 : 0) + (caught[1] != null ? 1 : 0);
            assertThat(victims).as(round + ": exactly one victim").isEqualTo(1);
            int v = caught[0] != null ? 0 : 1;
            DeadlockException e = caught[v];
            Acc held = first[v];
            Acc wanted = second[v];
            // The victim never entered the monitor it wanted; the other call completed.
            int aNow = a.touched();
            int bNow = b.touched();
            if (wanted == b) {
                assertThat(bNow).as(round + ": B, wanted by the victim, untouched").isEqualTo(bTouched);
                assertThat(aNow).as(round + ": the survivor touched A").isEqualTo(aTouched + 1);
            } else {
                assertThat(aNow).as(round + ": A, wanted by the victim, untouched").isEqualTo(aTouched);
                assertThat(bNow).as(round + ": the survivor touched B").isEqualTo(bTouched + 1);
            }
            aTouched = aNow;
            bTouched = bNow;
            checkCycle(e, threads[v], threads[1 - v], held, wanted, round);
        }
        MonitorTesting.assertNoFailures(ws);
        assertThat(aTouched + bTouched).isEqualTo(rounds);
        long delta = SafeThread.stats().deadlocksBroken() - broken0;
        return new AbBaResult(rounds, delta);
    }

    /** The exception's message and cycle() describe victim and survivor, and both monitors. */
    static void checkCycle(DeadlockException e, Thread victim, Thread survivor, Object held, Object wanted,
            String round) {
        String msg = e.getMessage();
        assertThat(msg).as(round + ": message").contains(held.toString(), wanted.toString());
        if (!victim.getName().isEmpty()) {
            assertThat(msg).as(round + ": message names the threads")
                    .contains(victim.getName(), survivor.getName());
        }
        List<DeadlockException.Link> cycle = e.cycle();
        assertThat(cycle).as(round + ": cycle").hasSize(2);
        DeadlockException.Link v = cycle.get(0);
        DeadlockException.Link s = cycle.get(1);
        assertThat(v.threadName()).isEqualTo(victim.getName());
        assertThat(v.threadId()).isEqualTo(MonitorTesting.id(victim));
        assertThat(v.holds()).isEqualTo(held.toString());
        assertThat(v.waitsFor()).isEqualTo(wanted.toString());
        assertThat(s.threadName()).isEqualTo(survivor.getName());
        assertThat(s.threadId()).isEqualTo(MonitorTesting.id(survivor));
        assertThat(s.holds()).isEqualTo(wanted.toString());
        assertThat(s.waitsFor()).isEqualTo(held.toString());
    }
}
