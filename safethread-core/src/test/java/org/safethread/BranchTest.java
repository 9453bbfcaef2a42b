package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.safethread.Branch.Child.State;
import org.safethread.BranchTesting.CountingFactory;
import org.safethread.BranchTesting.Kind;

/**
 * Branches (CONTRACT §6), one test per rule, each on platform threads and (JDK 21+) on virtual
 * threads: the owner, the wall, fail fast, join's reporting rules, the interrupted owner, no child
 * alive afterwards, close without join, level-triggered cancellation, nested branches, pinned
 * monitors, stats. python-safethread's own branch tests are here in Java (marked "python:").
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BranchTest {

    /** A monitor for the pinned-monitor and cancellation tests. */
    public static class Box {
        private int value;

        @MonitorMethod
        public void set(int v) {
            value = v;
        }

        @MonitorMethod
        public int get() {
            return value;
        }

        /** Waits until the value is {@code v}. */
        @MonitorMethod
        public void awaitValue(int v) throws InterruptedException {
            Monitor.await(() -> value == v);
        }

        /** Opens a branch inside this monitor and tries {@code await} and {@code leave} while it is open. */
        @MonitorMethod
        public String pinnedOps(boolean viaAwait) throws InterruptedException {
            try (Branch b = Branch.open()) {
                b.fork(() -> 1);
                String refused;
                try {
                    if (viaAwait) {
                        Monitor.await(() -> true);
                    } else {
                        Monitor.leave(() -> null);
                    }
                    refused = "allowed";
                } catch (IllegalStateException e) {
                    refused = e.getMessage();
                }
                b.join();
                Monitor.await(() -> true); // allowed again once the branch ended
                Monitor.leave(() -> null);
                return refused;
            }
        }
    }

    private static void assume(Kind kind) {
        assumeTrue(kind.available(), "virtual threads need JDK 21+");
    }

    // ------------------------------------------------------------------ basics

    @ParameterizedTest
    @EnumSource(Kind.class)
    void forkAndJoinGiveEveryResult(Kind kind) throws Exception {
        assume(kind);
        try (Branch b = kind.open()) {
            List<Branch.Child<Integer>> kids = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int n = i;
                kids.add(b.fork(() -> n * n));
            }
            Branch.Child<Void> r = b.fork(() -> { });
            b.join();
            for (int i = 0; i < 5; i++) {
                assertThat(kids.get(i).state()).isEqualTo(State.SUCCEEDED);
                assertThat(kids.get(i).get()).isEqualTo(i * i);
                assertThat(kids.get(i).failure()).isNull();
            }
            assertThat(r.get()).isNull();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void getBeforeTheChildSucceededIsRefused(Kind kind) throws Exception {
        assume(kind);
        CountDownLatch go = new CountDownLatch(1);
        try (Branch b = kind.open()) {
            Branch.Child<Integer> c = b.fork(() -> {
                go.await();
                return 1;
            });
            assertThat(c.state()).isEqualTo(State.RUNNING);
            assertThatThrownBy(c::get).isInstanceOf(IllegalStateException.class).hasMessageContaining("RUNNING");
            go.countDown();
            b.join();
            assertThat(c.get()).isEqualTo(1);
        }
    }

    @Test
    void onlyTheOwnerMayForkJoinOrClose() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        try (Branch b = Branch.open()) {
            b.fork(() -> {
                go.await();
                return null;
            });
            AtomicReference<List<Throwable>> seen = new AtomicReference<>();
            Thread other = new Thread(() -> {
                List<Throwable> out = new ArrayList<>();
                out.add(catchThrowable(() -> b.fork(() -> 1)));
                out.add(catchThrowable(b::join));
                out.add(catchThrowable(b::close));
                seen.set(out);
            }, "not-the-owner");
            other.start();
            other.join();
            assertThat(seen.get()).hasSize(3).allSatisfy(t -> assertThat(t).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not-the-owner").hasMessageContaining("only the owner"));
            go.countDown();
            b.join(); // the refused calls changed nothing
            assertThat(b.isCancelled()).isFalse();
        }
    }

    @Test
    void anotherThreadMayCancel() throws Exception {
        try (Branch b = Branch.open()) {
            Branch.Child<Void> c = b.fork(() -> BranchTesting.sleepLong());
            Thread other = new Thread(b::cancel);
            other.start();
            other.join();
            b.join();
            assertThat(c.state()).isEqualTo(State.CANCELLED);
        }
    }

    @Test
    void forkAfterJoinOrCloseIsRefused() throws Exception {
        Branch b = Branch.open();
        b.join();
        assertThatThrownBy(() -> b.fork(() -> 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("joined");
        assertThatThrownBy(b::join).isInstanceOf(IllegalStateException.class);
        b.close(); // after a completed join: nothing to do
        assertThatThrownBy(() -> b.fork(() -> 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        Branch c = Branch.open();
        assertThatThrownBy(c::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("without a completed join");
        assertThatThrownBy(() -> c.fork(() -> 1)).isInstanceOf(IllegalStateException.class);
        c.close(); // a second close does nothing
    }

    // ------------------------------------------------------------------ the wall

    @Test
    void aTaskCapturingAnArrayListIsRefusedAndNoThreadStarts() throws Exception {
        CountingFactory threads = new CountingFactory();
        List<String> list = new ArrayList<>();
        try (Branch b = Branch.open(threads)) {
            assertThatThrownBy(() -> b.fork(() -> list.add("x"))).isInstanceOf(UnshareableException.class)
                    .hasMessageContaining("Branch.fork").hasMessageContaining("java.util.ArrayList");
            assertThatThrownBy(() -> b.fork(() -> list.size())).isInstanceOf(UnshareableException.class);
            assertThat(threads.made.get()).isZero();
            b.join();
        }
        assertThat(list).isEmpty();
    }

    @Test
    void aTaskCapturingShareableValuesIsAccepted() throws Exception {
        AtomicInteger hits = new AtomicInteger();
        List<Integer> frozen = List.of(1, 2, 3);
        Box box = Monitor.of(new Box());
        try (Branch b = Branch.open()) {
            b.fork(() -> {
                hits.addAndGet(frozen.size());
                box.set(7);
            });
            b.join();
        }
        assertThat(hits.get()).isEqualTo(3);
        assertThat(box.get()).isEqualTo(7);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anUnshareableResultFailsTheChild(Kind kind) throws Exception {
        assume(kind);
        try (Branch b = kind.open()) {
            Branch.Child<List<String>> c = b.fork(() -> new ArrayList<>(List.of("a")));
            Throwable t = catchThrowable(b::join);
            assertThat(t).isInstanceOf(UnshareableException.class).hasMessageContaining("Branch.fork")
                    .hasMessageContaining("result").hasMessageContaining("java.util.ArrayList");
            assertThat(c.state()).isEqualTo(State.FAILED);
            assertThat(c.failure()).isSameAs(t);
            assertThatThrownBy(c::get).isInstanceOf(IllegalStateException.class);
        }
    }

    // ------------------------------------------------------------------ fail fast, reporting

    @ParameterizedTest
    @EnumSource(Kind.class)
    void theFirstFailureCancelsTheSiblingsAndJoinRethrowsTheSameObject(Kind kind) throws Exception {
        assume(kind);
        IllegalStateException boom = new IllegalStateException("boom");
        Thrown<RuntimeException> boomRef = new Thrown<>(boom);
        try (Branch b = kind.open()) {
            Branch.Child<Void> sleeper = b.fork(() -> BranchTesting.sleepLong());
            Branch.Child<Void> waiter = b.fork(() -> {
                new CountDownLatch(1).await();
                return null;
            });
            Branch.Child<Object> failing = b.fork(() -> {
                throw boomRef.get();
            });
            assertThat(catchThrowable(b::join)).isSameAs(boom);
            assertThat(b.isCancelled()).isTrue();
            assertThat(sleeper.state()).isEqualTo(State.CANCELLED);
            assertThat(waiter.state()).isEqualTo(State.CANCELLED);
            assertThat(failing.state()).isEqualTo(State.FAILED);
            assertThat(failing.failure()).isSameAs(boom);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void oneCheckedFailureIsTheCauseOfABranchException(Kind kind) throws Exception {
        assume(kind);
        IOException io = new IOException("disk");
        Thrown<IOException> ioRef = new Thrown<>(io);
        try (Branch b = kind.open()) {
            b.fork(() -> {
                throw ioRef.get();
            });
            b.fork(() -> 2);
            Throwable t = catchThrowable(b::join);
            assertThat(t).isInstanceOf(BranchException.class).hasCause(io);
            assertThat(((BranchException) t).failures()).containsExactly(io);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void twoFailuresAreListedInForkOrderNotInTimeOrder(Kind kind) throws Exception {
        assume(kind);
        AtomicBoolean secondFailed = new AtomicBoolean();
        IllegalArgumentException first = new IllegalArgumentException("first forked, fails last");
        IOException second = new IOException("second forked, fails first");
        Thrown<Object[]> refs = new Thrown<>(new Object[] {first, second});
        CountDownLatch firstRunning = new CountDownLatch(1); // else the second's failure may cancel the first unborn
        try (Branch b = kind.open()) {
            b.fork(() -> {
                firstRunning.countDown();
                while (!secondFailed.get()) { // ignores the cancellation: its failure is real
                    Thread.onSpinWait();
                }
                throw (IllegalArgumentException) refs.get()[0];
            });
            b.fork(() -> {
                spinUntil(firstRunning);
                secondFailed.set(true);
                throw (IOException) refs.get()[1];
            });
            Throwable t = catchThrowable(b::join);
            assertThat(t).isInstanceOf(BranchException.class);
            assertThat(((BranchException) t).failures()).containsExactly(first, second);
            assertThat(t.getCause()).isSameAs(first);
        }
    }

    @Test
    void aVirtualMachineErrorWinsOverEverything() throws Exception {
        StackOverflowError soe = new StackOverflowError("deep");
        Thrown<StackOverflowError> soeRef = new Thrown<>(soe);
        CountDownLatch allRunning = new CountDownLatch(3); // spun on, not awaited: no failure cancels a fork
        try (Branch b = Branch.open()) {
            b.fork(() -> {
                allRunning.countDown();
                spinUntil(allRunning);
                throw new IllegalStateException("ordinary");
            });
            b.fork(() -> {
                allRunning.countDown();
                spinUntil(allRunning);
                throw soeRef.get();
            });
            b.fork(() -> {
                allRunning.countDown();
                spinUntil(allRunning);
                throw new IOException("checked");
            });
            assertThat(catchThrowable(b::join)).isSameAs(soe);
        }
    }

    private static void spinUntil(CountDownLatch latch) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (latch.getCount() > 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("spun 30 s for siblings that never came"); // never hang a close()
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Carries a prepared exception (or array of them) into a child, to be thrown there by identity.
     * Exceptions are not shareable, and an {@code AtomicReference} is shareable only when what it
     * holds is; this box vouches for itself because the test only ever throws what it holds.
     */
    @Shareable
    static final class Thrown<T> {
        private final T value;

        Thrown(T value) {
            this.value = value;
        }

        T get() {
            return value;
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anOwnerThatCancelsJoinsNormallyAndCancelledChildrenAreNotFailures(Kind kind) throws Exception {
        assume(kind);
        try (Branch b = kind.open()) {
            Branch.Child<Void> c1 = b.fork(() -> BranchTesting.sleepLong());
            Branch.Child<Void> c2 = b.fork(() -> {
                for (;;) {
                    SafeThread.checkpoint();
                    Thread.onSpinWait();
                }
            });
            b.cancel();
            b.join();
            assertThat(c1.state()).isEqualTo(State.CANCELLED);
            assertThat(c2.state()).isEqualTo(State.CANCELLED);
            assertThat(c1.failure()).isNull();
        }
    }

    @Test
    void aFailureAfterTheCancellationThatIsNotCausedByItIsStillAFailure() throws Exception {
        IllegalStateException real = new IllegalStateException("real");
        Thrown<IllegalStateException> realRef = new Thrown<>(real);
        CountDownLatch running = new CountDownLatch(2); // both tasks run before the cancel
        try (Branch b = Branch.open()) {
            b.fork(() -> {
                running.countDown();
                try {
                    BranchTesting.sleepLong();
                } catch (InterruptedException e) {
                    throw realRef.get();
                }
            });
            b.fork(() -> {
                running.countDown();
                try {
                    BranchTesting.sleepLong();
                } catch (InterruptedException e) {
                    throw new RuntimeException("wrapped", e); // caused by the cancellation: cancelled
                }
            });
            running.await();
            b.cancel();
            assertThat(catchThrowable(b::join)).isSameAs(real);
        }
    }

    // ------------------------------------------------------------------ python-safethread's cases

    @ParameterizedTest
    @EnumSource(Kind.class)
    void pythonBodyAndChildBothFailAndBothAreReported(Kind kind) {
        assume(kind);
        IllegalStateException child = new IllegalStateException("child");
        Thrown<IllegalStateException> childRef = new Thrown<>(child);
        IllegalArgumentException body = new IllegalArgumentException("body");
        CountDownLatch childFailed = new CountDownLatch(1);
        Throwable t = catchThrowable(() -> {
            try (Branch b = kind.open()) {
                b.fork(() -> {
                    childFailed.countDown();
                    throw childRef.get();
                });
                childFailed.await();
                throw body;
            }
        });
        assertThat(t).isSameAs(body);
        assertThat(t.getSuppressed()).hasSize(1);
        Throwable closed = t.getSuppressed()[0];
        assertThat(closed).isInstanceOf(IllegalStateException.class).hasMessageContaining("without a completed join");
        assertThat(closed.getSuppressed()).containsExactly(child);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void pythonBodyFailsWhileAChildSleepsTheBodysExceptionWinsAndTheChildIsCancelled(Kind kind) {
        assume(kind);
        IllegalArgumentException body = new IllegalArgumentException("body");
        AtomicReference<Branch.Child<Void>> child = new AtomicReference<>();
        ThreadsSeen threads = new ThreadsSeen();
        long start = System.nanoTime();
        Throwable t = catchThrowable(() -> {
            try (Branch b = kind.open()) {
                child.set(b.fork(() -> {
                    threads.add(Thread.currentThread());
                    return BranchTesting.sleepLong();
                }));
                throw body;
            }
        });
        long took = System.nanoTime() - start;
        assertThat(t).isSameAs(body);
        assertThat(t.getSuppressed()[0].getSuppressed()).isEmpty(); // the child was cancelled, not failed
        assertThat(child.get().state()).isEqualTo(State.CANCELLED);
        assertThat(BranchTesting.anyAlive(threads)).isFalse();
        assertThat(Duration.ofNanos(took)).isLessThan(Duration.ofSeconds(1));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void pythonAChildSleeping60SecondsIsCancelledWithinASecond(Kind kind) throws Exception {
        assume(kind);
        try (Branch b = kind.open()) {
            CountDownLatch sleeping = new CountDownLatch(1);
            Branch.Child<Void> c = b.fork(() -> {
                sleeping.countDown();
                return BranchTesting.sleepLong();
            });
            sleeping.await();
            long start = System.nanoTime();
            b.cancel();
            b.join();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
            assertThat(c.state()).isEqualTo(State.CANCELLED);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void pythonANestedBranchFailingFailsTheOuterOne(Kind kind) throws Exception {
        assume(kind);
        IllegalStateException deep = new IllegalStateException("grandchild");
        Thrown<IllegalStateException> deepRef = new Thrown<>(deep);
        try (Branch outer = kind.open()) {
            Branch.Child<Void> sibling = outer.fork(() -> BranchTesting.sleepLong());
            Branch.Child<Void> middle = outer.fork(() -> {
                try (Branch inner = kind.open()) {
                    inner.fork(() -> {
                        throw deepRef.get();
                    });
                    inner.join();
                }
                return null;
            });
            assertThat(catchThrowable(outer::join)).isSameAs(deep);
            assertThat(middle.failure()).isSameAs(deep);
            assertThat(sibling.state()).isEqualTo(State.CANCELLED);
        }
    }

    // ------------------------------------------------------------------ interrupts, liveness

    @ParameterizedTest
    @EnumSource(Kind.class)
    void anOwnerInterruptedWhileJoiningCancelsWaitsForEveryChildThenThrows(Kind kind) throws Exception {
        assume(kind);
        ThreadsSeen threads = new ThreadsSeen();
        CountDownLatch started = new CountDownLatch(2);
        Thread owner = Thread.currentThread();
        Branch b = kind.open();
        Branch.Child<Void> stubborn = b.fork(() -> {
            threads.add(Thread.currentThread());
            started.countDown();
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
            while (System.nanoTime() < until) { // ignores interrupts for a while: join must still wait
                Thread.onSpinWait();
            }
        });
        Branch.Child<Void> sleeper = b.fork(() -> {
            threads.add(Thread.currentThread());
            started.countDown();
            return BranchTesting.sleepLong();
        });
        started.await();
        Thread interrupter = new Thread(() -> {
            while (owner.getState() != Thread.State.WAITING) {
                Thread.onSpinWait();
            }
            owner.interrupt();
        });
        interrupter.start();
        Throwable t = catchThrowable(b::join);
        interrupter.join();
        assertThat(t).isInstanceOf(InterruptedException.class);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        assertThat(b.isCancelled()).isTrue();
        assertThat(BranchTesting.anyAlive(threads)).isFalse();
        assertThat(stubborn.state()).isEqualTo(State.SUCCEEDED);
        assertThat(sleeper.state()).isEqualTo(State.CANCELLED);
        b.close(); // joined (by an interrupted join): nothing left to do
    }

    @Test
    void anOwnerWhoseInterruptIsSetBeforeJoinGetsInterruptedExceptionAfterTheChildrenEnded() throws Exception {
        Branch b = Branch.open();
        Branch.Child<Void> c = b.fork(() -> BranchTesting.sleepLong());
        Thread.currentThread().interrupt();
        assertThatThrownBy(b::join).isInstanceOf(InterruptedException.class);
        assertThat(c.state()).isEqualTo(State.CANCELLED);
        assertThat(Thread.interrupted()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void theOwnersInterruptFlagAfterJoinIsWhatItWasBefore(Kind kind) throws Exception {
        assume(kind);
        try (Branch b = kind.open()) {
            b.fork(() -> BranchTesting.sleepLong());
            b.fork(() -> {
                throw new IllegalStateException("fail fast interrupts the sibling, never the owner");
            });
            catchThrowable(b::join);
        }
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        try (Branch b = kind.open()) {
            b.fork(() -> BranchTesting.sleepLong());
            b.cancel();
            b.join();
        }
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void closeKeepsTheOwnersInterruptInItsStatus() {
        Branch b = Branch.open();
        b.fork(() -> BranchTesting.sleepLong());
        Thread.currentThread().interrupt();
        assertThatThrownBy(b::close).isInstanceOf(IllegalStateException.class);
        assertThat(Thread.interrupted()).isTrue();
    }

    /**
     * The children's threads, as they record themselves. A concurrent queue is shareable only while
     * what it holds is, and threads are not; the test vouches for this one (it only reads it after
     * the children ended).
     */
    @Shareable
    static final class ThreadsSeen extends ConcurrentLinkedQueue<Thread> {
        private static final long serialVersionUID = 1L;
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void noChildThreadIsAliveAfterJoinOrClose(Kind kind) throws Exception {
        assume(kind);
        for (int round = 0; round < 20; round++) {
            ThreadsSeen threads = new ThreadsSeen();
            try (Branch b = kind.open()) {
                for (int i = 0; i < 8; i++) {
                    b.fork(() -> threads.add(Thread.currentThread()));
                }
                if (round % 2 == 0) {
                    b.join();
                    assertThat(BranchTesting.anyAlive(threads)).isFalse();
                }
            } catch (IllegalStateException closedWithoutJoin) {
                assertThat(round % 2).isEqualTo(1);
            }
            assertThat(threads).hasSize(round % 2 == 0 ? 8 : threads.size());
            assertThat(BranchTesting.anyAlive(threads)).isFalse();
        }
    }

    // ------------------------------------------------------------------ level-triggered cancellation

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aChildThatCatchesCancelledExceptionGetsItAgainAtEveryBlockingPoint(Kind kind) throws Exception {
        assume(kind);
        Box box = Monitor.of(new Box());
        DeathQueue<String> queue = new DeathQueue<>();
        AtomicInteger caught = new AtomicInteger();
        AtomicReference<Thread> thread = new AtomicReference<>();
        try (Branch b = kind.open()) {
            Branch.Child<Void> c = b.fork(() -> {
                thread.set(Thread.currentThread());
                try {
                    box.awaitValue(1); // parks; woken by the cancellation
                } catch (CancelledException e) {
                    caught.incrementAndGet();
                }
                for (int i = 0; i < 3; i++) {
                    try {
                        SafeThread.checkpoint();
                    } catch (CancelledException e) {
                        caught.incrementAndGet();
                    }
                    try {
                        box.awaitValue(1);
                    } catch (CancelledException e) {
                        caught.incrementAndGet();
                    }
                    try {
                        queue.take();
                    } catch (CancelledException e) {
                        caught.incrementAndGet();
                    }
                    try {
                        queue.poll(Duration.ofSeconds(60));
                    } catch (CancelledException e) {
                        caught.incrementAndGet();
                    }
                }
                SafeThread.checkpoint(); // still cancelled: ends the child CANCELLED
                return null;
            });
            while (thread.get() == null || thread.get().getState() != Thread.State.WAITING) {
                Thread.sleep(1); // parked in Monitor.await
            }
            b.cancel();
            b.join();
            assertThat(c.state()).isEqualTo(State.CANCELLED);
        }
        assertThat(caught.get()).isEqualTo(1 + 3 * 4);
        assertThat(box.get()).isZero(); // the monitor is usable and unchanged
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aChildThatSwallowsTheInterruptIsInterruptedAgain(Kind kind) throws Exception {
        assume(kind);
        AtomicInteger swallowed = new AtomicInteger();
        CountDownLatch running = new CountDownLatch(1);
        try (Branch b = kind.open()) {
            Branch.Child<Void> c = b.fork(() -> {
                running.countDown();
                while (swallowed.get() < 3) {
                    try {
                        BranchTesting.sleepLong();
                    } catch (InterruptedException e) {
                        swallowed.incrementAndGet(); // and the status is clear again
                    }
                }
            });
            running.await();
            b.cancel();
            b.join();
            assertThat(c.state()).isEqualTo(State.SUCCEEDED); // it returned: it finished, not cancelled
        }
        assertThat(swallowed.get()).isEqualTo(3);
    }

    /** Holds its monitor until released. */
    public static class Gate {
        private int entered;

        @MonitorMethod
        public void hold(CountDownLatch held, CountDownLatch release) throws InterruptedException {
            held.countDown();
            release.await();
        }

        @MonitorMethod
        public int enter() {
            return ++entered;
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void monitorEntryIsNotCancellable(Kind kind) throws Throwable {
        assume(kind);
        Gate gate = Monitor.of(new Gate());
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        MonitorTesting.Worker holder = MonitorTesting.start("gate-holder", () -> gate.hold(held, release));
        held.await();
        AtomicReference<Thread> child = new AtomicReference<>();
        AtomicReference<Throwable> afterEntry = new AtomicReference<>();
        try (Branch b = kind.open()) {
            Branch.Child<Integer> c = b.fork(() -> {
                child.set(Thread.currentThread());
                int n = gate.enter();                 // blocks; a cancellation does not end it
                afterEntry.set(catchThrowable(SafeThread::checkpoint));
                return n;
            });
            while (child.get() == null) {
                Thread.sleep(1);
            }
            MonitorTesting.awaitBlockedEntering(child.get(), gate);
            b.cancel();
            Thread.sleep(50);
            MonitorTesting.awaitBlockedEntering(child.get(), gate); // still waiting to enter
            assertThat(c.state()).isEqualTo(State.RUNNING);
            release.countDown();
            b.join();
            assertThat(c.state()).isEqualTo(State.SUCCEEDED); // it entered, then returned
            assertThat(c.get()).isEqualTo(1);
        }
        holder.joinAndCheck();
        assertThat(afterEntry.get()).isInstanceOf(CancelledException.class);
    }

    @Test
    void forkOnACancelledBranchReturnsACancelledChildAndStartsNoThread() throws Exception {
        CountingFactory threads = new CountingFactory();
        long before = SafeThread.stats().childrenCancelled();
        try (Branch b = Branch.open(threads)) {
            b.cancel();
            Branch.Child<Integer> c = b.fork(() -> 1);
            assertThat(c.state()).isEqualTo(State.CANCELLED);
            assertThat(c.failure()).isNull();
            assertThatThrownBy(c::get).isInstanceOf(IllegalStateException.class);
            b.join();
        }
        assertThat(threads.made.get()).isZero();
        assertThat(SafeThread.stats().childrenCancelled() - before).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void nestedBranchesOfACancelledChildAreCancelledAndTheirJoinThrowsCancelled(Kind kind) throws Exception {
        assume(kind);
        AtomicReference<Throwable> innerJoin = new AtomicReference<>();
        AtomicReference<Branch.Child.State> grandchild = new AtomicReference<>();
        CountDownLatch inside = new CountDownLatch(1);
        try (Branch outer = kind.open()) {
            Branch.Child<Void> middle = outer.fork(() -> {
                try (Branch inner = kind.open()) {
                    Branch.Child<Void> g = inner.fork(() -> BranchTesting.sleepLong());
                    inside.countDown();
                    try {
                        inner.join();
                    } catch (Throwable t) {
                        innerJoin.set(t);
                        grandchild.set(g.state());
                        throw t;
                    }
                }
                return null;
            });
            inside.await();
            outer.cancel();
            outer.join();
            assertThat(middle.state()).isEqualTo(State.CANCELLED);
        }
        assertThat(innerJoin.get()).isInstanceOf(CancelledException.class);
        assertThat(grandchild.get()).isEqualTo(State.CANCELLED);
    }

    @Test
    void aBranchOpenedByAChildOfACancelledBranchStartsCancelled() throws Exception {
        AtomicReference<Object> seen = new AtomicReference<>();
        try (Branch outer = Branch.open()) {
            outer.cancel();
            // The owner is not a child: its own new branches are not cancelled.
            try (Branch mine = Branch.open()) {
                assertThat(mine.isCancelled()).isFalse();
                mine.join();
            }
            outer.join();
        }
        try (Branch outer = Branch.open()) {
            CountDownLatch running = new CountDownLatch(2);
            outer.fork(() -> {
                running.countDown();
                new CountDownLatch(1).await(); // the cancellation interrupts this...
                return null;
            });
            outer.fork(() -> {
                running.countDown();
                try {
                    BranchTesting.sleepLong();
                } catch (InterruptedException e) {
                    // ...and this child, swallowing it, opens a branch: born cancelled
                    try (Branch inner = Branch.open()) {
                        seen.set(List.of(inner.isCancelled(), inner.fork(() -> 1).state()));
                        inner.join();
                    }
                }
                return null;
            });
            running.await();
            outer.cancel();
            catchThrowable(outer::join);
        }
        assertThat(seen.get()).isEqualTo(List.of(true, State.CANCELLED));
    }

    @Test
    void checkpointOutsideABranchDoesNothing() throws Exception {
        SafeThread.checkpoint();
        try (Branch b = Branch.open()) {
            b.cancel();
            SafeThread.checkpoint(); // the owner is not a child of b
            b.join();
        }
    }

    // ------------------------------------------------------------------ pinned monitors

    @Test
    void anOwnerMayNotAwaitOrLeaveTheMonitorItOpenedTheBranchIn() throws Exception {
        Box box = Monitor.of(new Box());
        assertThat(box.pinnedOps(true)).contains("Monitor.await").contains("Branch opened inside");
        assertThat(box.pinnedOps(false)).contains("Monitor.leave").contains("Branch opened inside");
    }

    // ------------------------------------------------------------------ stats, JFR

    @Test
    void statsCountBranchesFailedAndCancelledChildren() throws Exception {
        RuntimeStats before = SafeThread.stats();
        try (Branch b = Branch.open()) {
            b.fork(() -> BranchTesting.sleepLong());
            b.fork(() -> {
                throw new IllegalStateException("x");
            });
            catchThrowable(b::join);
        }
        try (Branch b = Branch.open()) {
            b.fork(() -> 1);
            b.join();
        }
        RuntimeStats after = SafeThread.stats();
        assertThat(after.branchesOpened() - before.branchesOpened()).isEqualTo(2);
        assertThat(after.childrenFailed() - before.childrenFailed()).isEqualTo(1);
        assertThat(after.childrenCancelled() - before.childrenCancelled()).isEqualTo(1);
    }
}
