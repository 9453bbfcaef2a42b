package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.safethread.MonitorTesting.awaitBlockedEntering;
import static org.safethread.MonitorTesting.start;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Worker;

/**
 * MonitorSpace (CONTRACT §8): one lock for several monitors; direct re-entry between monitors
 * of the innermost space (arguments still checked); re-entering a space held further out refused;
 * conditions of every monitor re-evaluated when the space is released; messages naming the space;
 * {@code Monitor.of} a space of its own.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MonitorSpaceTest {

    public static class Cell {
        private int value;

        @MonitorMethod
        public int get() {
            return value;
        }

        @MonitorMethod
        public void add(int n) {
            value += n;
        }

        /** Moves {@code n} from this cell to {@code other} (a call into another monitor). */
        @MonitorMethod
        public void moveTo(Cell other, int n) {
            value -= n;
            other.add(n);
        }

        /** Holds this monitor while {@code r} runs. */
        @MonitorMethod
        public void hold(Runnable r) {
            r.run();
        }

        @MonitorMethod
        public void take(Object anything) {
        }

        /** Waits until the value is at least {@code n}, then logs {@code who} inside the space. */
        @MonitorMethod
        public void awaitThenLog(int n, java.util.Queue<String> log, String who) throws InterruptedException {
            Monitor.await(() -> value >= n);
            log.add(who);
        }

        @MonitorMethod
        public int awaitAtLeast(int n) throws InterruptedException {
            Monitor.await(() -> value >= n);
            return value;
        }
    }

    public interface Box {
        int put(int v);
    }

    static final class IntBox implements Box {
        private int v;

        @Override
        public int put(int nv) {
            int old = v;
            v = nv;
            return old;
        }
    }

    @Test
    void twoMonitorsOfASpaceExcludeEachOther() throws Throwable {
        MonitorSpace space = MonitorSpace.create("pair");
        Cell a = space.monitor(new Cell());
        Cell b = space.monitor(new Cell());
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Worker holder = start("holder", () -> a.hold(() -> {
            inside.countDown();
            MonitorTesting.await(release);
        }));
        MonitorTesting.await(inside);
        Worker other = start("other", () -> b.add(1));
        awaitBlockedEntering(other.thread, b); // b's entry waits for the space a holds
        assertThat(other.finished()).isFalse();
        release.countDown();
        holder.joinAndCheck();
        other.joinAndCheck();
        assertThat(b.get()).isEqualTo(1);
    }

    @Test
    void aSpaceKeepsAnInvariantAcrossItsMonitorsUnderContention() throws Throwable {
        MonitorSpace space = MonitorSpace.create("ledger");
        List<Cell> cells = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Cell c = space.monitor(new Cell());
            c.add(1000);
            cells.add(c);
        }
        List<Worker> workers = new ArrayList<>();
        AtomicInteger badSums = new AtomicInteger();
        for (int t = 0; t < 4; t++) {
            int id = t;
            workers.add(start("mover-" + t, () -> {
                java.util.Random rnd = new java.util.Random(id);
                for (int i = 0; i < 5000; i++) {
                    Cell from = cells.get(rnd.nextInt(4));
                    Cell to = cells.get(rnd.nextInt(4));
                    from.moveTo(to, 1); // crosses monitors in any order: never a deadlock in one space
                    if (i % 100 == 0) {
                        // a consistent read of all four needs the space held: read inside one call
                        AtomicInteger sum = new AtomicInteger();
                        List<Cell> all = List.copyOf(cells);
                        all.get(0).hold(() -> all.forEach(c -> sum.addAndGet(c.get())));
                        if (sum.get() != 4000) {
                            badSums.incrementAndGet();
                        }
                    }
                }
            }));
        }
        long deadlocksBefore = SafeThread.stats().deadlocksBroken();
        MonitorTesting.assertNoFailures(workers);
        assertThat(badSums.get()).isZero();
        assertThat(cells.stream().mapToInt(Cell::get).sum()).isEqualTo(4000);
        assertThat(SafeThread.stats().deadlocksBroken()).isEqualTo(deadlocksBefore);
    }

    @Test
    void aCallBetweenMonitorsOfTheInnermostSpaceIsADirectReentryWithArgumentsStillChecked() {
        MonitorSpace space = MonitorSpace.create("s");
        Cell a = space.monitor(new Cell());
        Cell b = space.monitor(new Cell());
        a.add(10);
        a.moveTo(b, 3);
        assertThat(a.get()).isEqualTo(7);
        assertThat(b.get()).isEqualTo(3);
        assertThatThrownBy(() -> a.hold(() -> b.take(new ArrayList<>())))
                .isInstanceOf(UnshareableException.class).hasMessageContaining("take: argument 1 (java.util.ArrayList)");
        Box box = space.monitor(new IntBox(), Box.class);
        a.hold(() -> assertThat(box.put(5)).isZero()); // class proxy into interface proxy of the same space
        assertThat(box.put(6)).isEqualTo(5);
    }

    @Test
    void reenteringASpaceHeldFurtherOutIsRefused() {
        MonitorSpace s = MonitorSpace.create("outer");
        Cell a = s.monitor(new Cell());
        Cell b = s.monitor(new Cell());
        Cell other = Monitor.of(new Cell());
        assertThatThrownBy(() -> a.hold(() -> other.hold(() -> b.add(1))))
                .isInstanceOf(DeadlockException.class)
                .hasMessageContaining(MonitorSpace.of(b).toString())
                .hasMessageContaining(b + " in space outer");
        assertThat(b.get()).isZero();
        // after leaving the outer space, the same path is a fresh entry
        a.hold(() -> Monitor.leave(() -> {
            other.hold(() -> b.add(1));
            return null;
        }));
        assertThat(b.get()).isEqualTo(1);
    }

    @Test
    void aConditionOnOneMonitorWakesWhenAnotherMonitorOfTheSpaceChangesItsState() throws Throwable {
        MonitorSpace space = MonitorSpace.create("cond");
        Cell a = space.monitor(new Cell());
        Cell b = space.monitor(new Cell());
        a.add(100);
        int[] got = new int[1];
        Worker waiter = start("waiter", () -> got[0] = b.awaitAtLeast(5));
        awaitParked(waiter.thread);
        a.moveTo(b, 2);
        Thread.sleep(20);
        assertThat(waiter.finished()).isFalse();
        a.moveTo(b, 3); // b's state changed inside a's method: b's waiter wakes when the space is released
        waiter.joinAndCheck();
        assertThat(got[0]).isEqualTo(5);
    }

    @Test
    void conditionWaitersOfASpaceAreWokenOldestFirst() throws Throwable {
        MonitorSpace space = MonitorSpace.create("fifo");
        Cell a = space.monitor(new Cell());
        Cell b = space.monitor(new Cell());
        java.util.Queue<String> order = new java.util.concurrent.ConcurrentLinkedQueue<>();
        // each logs inside the space, so the log's order is the order they got the space in
        Worker first = start("first", () -> b.awaitThenLog(1, order, "first"));
        awaitParked(first.thread);
        Worker second = start("second", () -> a.awaitThenLog(1, order, "second"));
        awaitParked(second.thread);
        a.hold(() -> {
            a.add(1);
            b.add(1);
        });
        first.joinAndCheck();
        second.joinAndCheck();
        assertThat(order).containsExactly("first", "second");
    }

    @Test
    void monitorOfIsASpaceOfItsOwn() {
        Cell x = Monitor.of(new Cell());
        Cell y = Monitor.of(new Cell());
        assertThat(MonitorSpace.of(x)).isNotEqualTo(MonitorSpace.of(y));
        assertThat(MonitorSpace.of(x)).isEqualTo(MonitorSpace.of(x));
        assertThat(MonitorSpace.of(x).name()).isEqualTo(x.toString());
        MonitorSpace s = MonitorSpace.create("bank");
        Cell a = s.monitor(new Cell());
        Cell b = s.monitor(new Cell());
        assertThat(MonitorSpace.of(a)).isEqualTo(MonitorSpace.of(b)).isEqualTo(s).hasSameHashCodeAs(s);
        assertThat(s.name()).isEqualTo("bank");
        assertThat(s.toString()).isEqualTo("space bank");
        assertThat(a.toString()).startsWith("Cell#");
        // a monitor's own space can take more monitors
        Cell z = MonitorSpace.of(x).monitor(new Cell());
        x.hold(() -> z.add(1));
        assertThat(MonitorSpace.of(z)).isEqualTo(MonitorSpace.of(x));
        assertThat(Shareability.isShareable(s)).isTrue();
    }

    @Test
    void refusals() {
        assertThatThrownBy(() -> MonitorSpace.of(new Cell())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a monitor");
        assertThatThrownBy(() -> MonitorSpace.of(null)).isInstanceOf(NullPointerException.class);
        MonitorSpace s = MonitorSpace.create("r");
        assertThatThrownBy(() -> s.monitor(null)).isInstanceOf(NullPointerException.class);
        Cell c = s.monitor(new Cell());
        assertThatThrownBy(() -> s.monitor(c)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already is a monitor");
        assertThatThrownBy(() -> s.monitor("final class")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.monitor(new Cell(), (Class) Box.class)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not implement");
        assertThatThrownBy(() -> MonitorSpace.create(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MonitorSpace.create(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void aDeadlockBetweenSpacesIsBrokenAndNamesTheSpaces() throws Throwable {
        for (int round = 0; round < 10; round++) {
            MonitorSpace left = MonitorSpace.create("left");
            MonitorSpace right = MonitorSpace.create("right");
            Cell a = left.monitor(new Cell());
            Cell a2 = left.monitor(new Cell());
            Cell b = right.monitor(new Cell());
            Cell b2 = right.monitor(new Cell());
            CyclicBarrier both = new CyclicBarrier(2);
            List<DeadlockException> caught = java.util.Collections.synchronizedList(new ArrayList<>());
            Supplier<Worker> t1 = () -> start("t1", () -> {
                try {
                    a.hold(() -> {
                        MonitorTesting.await(both);
                        b2.add(1);
                    });
                } catch (DeadlockException e) {
                    caught.add(e);
                }
            });
            Supplier<Worker> t2 = () -> start("t2", () -> {
                try {
                    b.hold(() -> {
                        MonitorTesting.await(both);
                        a2.add(1);
                    });
                } catch (DeadlockException e) {
                    caught.add(e);
                }
            });
            Worker w1 = t1.get();
            Worker w2 = t2.get();
            w1.joinAndCheck();
            w2.joinAndCheck();
            assertThat(caught).hasSize(1);
            String msg = caught.get(0).getMessage();
            assertThat(msg).containsAnyOf(a2 + " in space left", b2 + " in space right");
            assertThat(a2.get() + b2.get()).isEqualTo(1);
        }
    }

    @Test
    void aCycleThroughAMonitorAndAPendingMapKeyIsBroken() throws Throwable {
        for (int round = 0; round < 10; round++) {
            SharedMap<String, Integer> map = new SharedMap<>();
            Cell m = Monitor.of(new Cell());
            CyclicBarrier both = new CyclicBarrier(2);
            List<DeadlockException> caught = java.util.Collections.synchronizedList(new ArrayList<>());
            // A holds m and asks for key k; B computes k and its mapping enters m.
            Worker a = start("A", () -> {
                try {
                    m.hold(() -> {
                        MonitorTesting.await(both);
                        MonitorTesting.await(both);
                        m.add(map.computeIfAbsent("k", k -> 1));
                    });
                } catch (DeadlockException e) {
                    caught.add(e);
                }
            });
            Worker b = start("B", () -> {
                try {
                    map.computeIfAbsent("k", k -> {
                        MonitorTesting.await(both);
                        MonitorTesting.await(both);
                        m.add(10);
                        return 2;
                    });
                } catch (DeadlockException e) {
                    caught.add(e);
                }
            });
            a.joinAndCheck();
            b.joinAndCheck();
            assertThat(caught).hasSize(1);
            assertThat(caught.get(0).getMessage()).contains("SharedMap key \"k\"").contains(m.toString());
            // whoever lost, the other finished: either A got k (computing it itself or B's value) or B
            assertThat(m.get()).isIn(1, 2, 10 + 2, 10);
        }
    }

    static void awaitParked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + MonitorTesting.HANG.toNanos();
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            if (!t.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError(t.getName() + " did not park: " + MonitorTesting.stack(t));
            }
            Thread.sleep(1);
        }
    }
}
