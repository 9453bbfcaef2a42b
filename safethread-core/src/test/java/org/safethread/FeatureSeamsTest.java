package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Features used together, as an application combines them: a branch opened inside a monitor
 * whose children use a space's other monitors and a {@code SharedMap}; key waits, joins and
 * monitor entries in one cycle; a branch's cancellation reaching a child in each kind of wait;
 * finalizers that use monitors, maps, branches and weak references; a weak reference to a
 * monitor; keys whose {@code toString} fails in a deadlock message; an interrupt status carried
 * through every kind of call. Each test holds a guarantee of CONTRACT sections 1-9 that another
 * feature could break.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FeatureSeamsTest {
    /** How long a cancelled child may take to end (its waits leave at once; this is slack). */
    private static final long CANCEL_BOUND_MS = 2_000;

    public static class Box {
        private final ArrayDeque<String> items = new ArrayDeque<>();
        private int touches;

        @MonitorMethod
        public void send(String s) {
            items.add(s);
        }

        @MonitorMethod
        public String receive() throws InterruptedException {
            Monitor.await(() -> !items.isEmpty());
            return items.poll();
        }

        @MonitorMethod
        public boolean receiveWithin(Duration d) throws InterruptedException {
            return Monitor.await(() -> !items.isEmpty(), d);
        }

        @MonitorMethod
        public String sleepOutside() {
            return Monitor.leave(() -> {
                try {
                    Thread.sleep(60_000);
                    return "slept";
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "interrupted";
                }
            });
        }

        @MonitorMethod
        public int touch() {
            return ++touches;
        }

        @MonitorMethod
        public int leaveOut() {
            return Monitor.leave(() -> 1);
        }
    }

    // ------------------------------------------------------------------ cancellation reaches every wait

    /** Forks {@code body}, cancels the branch once it waits, and checks it ended CANCELLED promptly. */
    private static void cancelledPromptly(Callable<Object> body) throws Exception {
        try (Branch b = Branch.open()) {
            Branch.Child<Object> c = b.fork(body);
            Thread.sleep(200); // into its wait
            long t0 = System.nanoTime();
            b.cancel();
            b.join();
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(c.state()).as("failure: %s", c.failure()).isEqualTo(Branch.Child.State.CANCELLED);
            assertThat(ms).isLessThan(CANCEL_BOUND_MS);
        }
    }

    @Test
    void cancellationReachesAChildInMonitorAwait() throws Exception {
        Box box = Monitor.of(new Box());
        cancelledPromptly(box::receive);
        cancelledPromptly(() -> box.receiveWithin(Duration.ofMinutes(1)));
        box.send("after");
        assertThat(box.receive()).isEqualTo("after"); // the monitor was left free
    }

    @Test
    void cancellationReachesAChildBlockedInALeaveAction() throws Exception {
        Box box = Monitor.of(new Box());
        cancelledPromptly(() -> {
            box.sleepOutside();
            SafeThread.checkpoint();
            return null;
        });
        assertThat(box.touch()).isEqualTo(1);
    }

    @Test
    void cancellationReachesAChildInADeathQueueWait() throws Exception {
        DeathQueue<String> q = new DeathQueue<>();
        cancelledPromptly(q::take);
        cancelledPromptly(() -> q.poll(Duration.ofMinutes(1)));
    }

    @Test
    void cancellationReachesGrandchildrenThroughANestedJoin() throws Exception {
        Box box = Monitor.of(new Box());
        cancelledPromptly(() -> {
            try (Branch inner = Branch.open()) {
                inner.fork(box::receive);
                inner.fork(() -> {
                    Thread.sleep(60_000);
                    return null;
                });
                inner.join();
            }
            return null;
        });
    }

    @Test
    void cancellationReachesAChildWaitingForAFuture() throws Exception {
        CompletableFuture<String> never = new CompletableFuture<>();
        cancelledPromptly(never::get);
    }

    // ------------------------------------------------------------------ deadlocks across features

    public static class Owner {
        private int n;

        @MonitorMethod
        public int forkInto(Box other) throws InterruptedException {
            try (Branch b = Branch.open()) {
                Branch.Child<Integer> c = b.fork(other::touch);
                b.join();
                return c.get();
            }
        }

        @MonitorMethod
        public int grandchildInto(Owner self) throws InterruptedException {
            try (Branch b = Branch.open()) {
                Branch.Child<Integer> c = b.fork(() -> {
                    try (Branch inner = Branch.open()) {
                        Branch.Child<Integer> g = inner.fork(self::get);
                        inner.join();
                        return g.get();
                    }
                });
                b.join();
                return c.get();
            }
        }

        @MonitorMethod
        public int keyMappingInto(Owner self, SharedMap<String, Integer> m) throws InterruptedException {
            try (Branch b = Branch.open()) {
                b.fork(() -> m.computeIfAbsent("k", k -> self.get()));
                b.fork(() -> m.computeIfAbsent("k", k -> 5));
                b.join();
                return 0;
            }
        }

        @MonitorMethod
        public int branchInsideLeave(Owner self) {
            return Monitor.leave(() -> {
                try (Branch b = Branch.open()) {
                    Branch.Child<Integer> c = b.fork(self::inc);
                    b.join();
                    return c.get();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        @MonitorMethod
        public int mappingWithBranchInto(Owner self, SharedMap<String, Integer> m) {
            return m.computeIfAbsent("h", k -> {
                try (Branch b = Branch.open()) {
                    b.fork(self::inc);
                    b.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return 1;
            });
        }

        @MonitorMethod
        public int get() {
            return n;
        }

        @MonitorMethod
        public int inc() {
            return ++n;
        }
    }

    @Test
    void aChildEnteringAnotherMonitorOfTheOwnersSpaceIsADeadlockBroken() {
        MonitorSpace space = MonitorSpace.create("seams");
        Owner owner = space.monitor(new Owner());
        Box sibling = space.monitor(new Box());
        assertThat(catchThrowable(() -> owner.forkInto(sibling))).isInstanceOf(DeadlockException.class);
        assertThat(sibling.touch()).isEqualTo(1); // the refused entry changed nothing
    }

    @Test
    void aGrandchildEnteringTheOwnersMonitorIsADeadlockBroken() {
        Owner owner = Monitor.of(new Owner());
        assertThat(catchThrowable(() -> owner.grandchildInto(owner))).isInstanceOf(DeadlockException.class);
        assertThat(owner.inc()).isEqualTo(1);
    }

    @Test
    void aKeyWaitThroughAJoinIsADeadlockBroken() {
        Owner owner = Monitor.of(new Owner());
        SharedMap<String, Integer> m = new SharedMap<>();
        assertThat(catchThrowable(() -> owner.keyMappingInto(owner, m))).isInstanceOf(DeadlockException.class);
        assertThat(m.computeIfAbsent("k", k -> 9)).isIn(5, 9);
    }

    @Test
    void aMappingWhoseBranchChildAsksForTheSameKeyIsADeadlockBroken() {
        SharedMap<String, Integer> m = new SharedMap<>();
        Throwable t = catchThrowable(() -> m.computeIfAbsent("k", k -> {
            try (Branch b = Branch.open()) {
                Branch.Child<Integer> c = b.fork(() -> m.computeIfAbsent("k", kk -> 1));
                b.join();
                return c.get() + 1;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }));
        assertThat(t).isInstanceOf(DeadlockException.class);
        assertThat(m.containsKey("k")).isFalse();
        assertThat(m.computeIfAbsent("k", k -> 5)).isEqualTo(5);
    }

    @Test
    void aCycleOfKeyJoinAndKeyIsADeadlockBroken() {
        SharedMap<String, Integer> m = new SharedMap<>();
        Throwable t = catchThrowable(() -> m.computeIfAbsent("k1", k -> {
            try (Branch b = Branch.open()) {
                Branch.Child<Integer> c = b.fork(() -> m.computeIfAbsent("k2", kk -> m.computeIfAbsent("k1", x -> 1) + 1));
                b.join();
                return c.get() + 1;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }));
        assertThat(t).isInstanceOf(DeadlockException.class);
        assertThat(m.computeIfAbsent("k1", k -> 5)).isEqualTo(5);
    }

    @Test
    void aMappingRunInsideAMonitorWhoseBranchChildEntersItIsADeadlockBroken() {
        Owner owner = Monitor.of(new Owner());
        SharedMap<String, Integer> m = new SharedMap<>();
        assertThat(catchThrowable(() -> owner.mappingWithBranchInto(owner, m))).isInstanceOf(DeadlockException.class);
        assertThat(m.containsKey("h")).isFalse();
        assertThat(owner.inc()).isEqualTo(1);
    }

    @Test
    void aBranchInsideALeaveActionMayEnterTheMonitorItLeft() {
        Owner owner = Monitor.of(new Owner());
        assertThat(owner.branchInsideLeave(owner)).isEqualTo(1);
    }

    // ------------------------------------------------------------------ user code in messages

    /** A shareable key whose toString throws: the library must not call it, or contain it. */
    @Shareable
    static final class UnprintableKey {
        @Override
        public int hashCode() {
            return 1;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof UnprintableKey;
        }

        @Override
        public String toString() {
            throw new IllegalStateException("toString failed");
        }
    }

    /** A shareable key whose toString recurses until the stack overflows. */
    @Shareable
    static final class EndlessKey {
        @Override
        public int hashCode() {
            return 2;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof EndlessKey;
        }

        @Override
        public String toString() {
            return "r" + toString();
        }
    }

    @Test
    void aKeyDeadlockMessageSurvivesAKeyWhoseToStringFails() {
        for (Object key : new Object[] {new UnprintableKey(), new EndlessKey()}) {
            SharedMap<Object, Integer> m = new SharedMap<>();
            Throwable t = catchThrowable(() -> m.computeIfAbsent(key, k -> m.computeIfAbsent(key, kk -> 1)));
            assertThat(t).as(key.getClass().getSimpleName()).isInstanceOf(DeadlockException.class);
            assertThat(t.getMessage()).contains(key.getClass().getName());
            assertThat(m.computeIfAbsent(key, k -> 3)).isEqualTo(3); // not left pending
        }
    }

    // ------------------------------------------------------------------ finalizers and weak references

    @Shareable
    public static final class Core {
        final SharedMap<String, Integer> seen;
        final Box box;
        final WeakRef<Object> weak;

        Core(SharedMap<String, Integer> seen, Box box, WeakRef<Object> weak) {
            this.seen = seen;
            this.box = box;
            this.weak = weak;
        }

        @Finalize
        void done() throws InterruptedException {
            seen.put("fin", seen.computeIfAbsent("x", k -> 1) + 1);
            box.send("fin");
            try (Branch b = Branch.open()) {
                Branch.Child<Integer> c = b.fork(() -> 5);
                b.join();
                seen.put("branch", c.get());
            }
            seen.put("weakAlive", weak.get() == null ? 0 : 1);
        }
    }

    static final class Resource extends RefCounted {
        @FinalizerCore final Core core;

        Resource(Core core) {
            this.core = core;
        }
    }

    @Test
    void aFinalizerMayUseMonitorsMapsBranchesAndWeakReferences() throws Exception {
        SharedMap<String, Integer> seen = new SharedMap<>();
        Box box = Monitor.of(new Box());
        Object target = new Object();
        new Resource(new Core(seen, box, new WeakRef<>(target))).decref();
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(20))).isTrue();
        assertThat(box.receive()).isEqualTo("fin");
        assertThat(seen.snapshot()).containsEntry("fin", 2).containsEntry("branch", 5).containsEntry("weakAlive", 1);
        assertThat(target).isNotNull(); // reachable until here
    }

    @Test
    void aWeakRefToAMonitorIsShareableAndClearedWhenTheMonitorIsCollected() throws Exception {
        Box box = Monitor.of(new Box());
        WeakRef<Box> weak = new WeakRef<>(box);
        assertThat(Shareability.isShareable(weak)).isTrue();
        assertThat(weak.get()).isSameAs(box);
        assertThat(catchThrowable(weak::acquire)).isInstanceOf(IllegalStateException.class);
        SharedMap<String, WeakRef<Box>> m = new SharedMap<>();
        m.put("w", weak); // crosses as a shareable value
        box = null;
        for (int i = 0; i < 100 && weak.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(weak.get()).isNull();
    }

    // ------------------------------------------------------------------ interrupts

    static final class Node extends RefCounted {
        final Ref<Node> next = new Ref<>();
    }

    @Test
    void anInterruptStatusIsKeptThroughEveryKindOfCall() throws Exception {
        Box box = Monitor.of(new Box());
        SharedMap<String, Integer> m = new SharedMap<>();
        Thread.currentThread().interrupt();
        try {
            box.touch();
            assertThat(Thread.currentThread().isInterrupted()).as("monitor call").isTrue();
            box.leaveOut();
            assertThat(Thread.currentThread().isInterrupted()).as("Monitor.leave").isTrue();
            m.computeIfAbsent("k", k -> 1);
            assertThat(Thread.currentThread().isInterrupted()).as("computeIfAbsent").isTrue();
            Node n = new Node();
            Node child = new Node();
            n.next.set(child);
            child.decref();
            n.decref();
            assertThat(child.isAlive()).isFalse();
            assertThat(Thread.currentThread().isInterrupted()).as("death").isTrue();
            SafeThread.collect();
            assertThat(Thread.currentThread().isInterrupted()).as("collect").isTrue();
            new WeakKeyMap<Node, String>().put(new Node(), "v");
            assertThat(Thread.currentThread().isInterrupted()).as("WeakKeyMap.put").isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aCollectionWhileAnotherThreadIsInterruptedRepeatedlyEndsAndCorruptsNothing() throws Exception {
        Box box = Monitor.of(new Box());
        AtomicInteger done = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        FutureTask<Integer> worker = new FutureTask<>(() -> {
            started.countDown();
            for (int i = 0; i < 100_000; i++) {
                box.touch();
                Thread.interrupted();
            }
            return done.incrementAndGet();
        });
        Thread t = new Thread(worker, "interrupted-worker");
        t.start();
        started.await();
        for (int i = 0; i < 50; i++) {
            t.interrupt();
            SafeThread.collect();
        }
        assertThat(worker.get(30, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(box.touch()).isEqualTo(100_001);
    }
}
