package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.safethread.MonitorTesting.HANG;
import static org.safethread.MonitorTesting.await;
import static org.safethread.MonitorTesting.awaitBlockedEntering;
import static org.safethread.MonitorTesting.start;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Worker;
import org.safethread.internal.deadlock.WaitForGraph;
import org.safethread.internal.deadlock.Waitable;
import org.safethread.internal.runtime.ThreadRegistry;
import org.safethread.internal.runtime.ThreadState;

/**
 * The wait-for graph with waits other than monitor entries: a join-like wait on several threads
 * (multi-edges, never the victim), a wait on one thread that may be refused, cycles that mix
 * them with monitors whichever wait closes them, and the hooks (interrupts, {@code abortWait}).
 */
@Timeout(60)
class WaitForGraphTest {

    /** A station monitor: enter it to block on whoever holds it. */
    public static class Station {
        private int touched;

        @MonitorMethod
        public void touch() {
            touched++;
        }

        @MonitorMethod
        public void holdWhile(Runnable r) {
            r.run();
        }
    }

    /** Waits for every listed thread to end (a join); never abortable. */
    @Shareable
    static final class JoinAll implements Waitable {
        final List<Thread> threads = new CopyOnWriteArrayList<>();

        boolean done() {
            for (Thread t : threads) {
                if (t.isAlive()) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void blockers(ThreadState waiter, List<ThreadState> out) {
            for (Thread t : threads) {
                ThreadState s = ThreadRegistry.stateOf(t);
                if (t.isAlive() && s != null) {
                    out.add(s);
                }
            }
        }

        @Override
        public boolean retry(ThreadState waiter) {
            return done();
        }

        @Override
        public String waitableName() {
            return "the children of test-branch";
        }

        @Override
        public String blockerPhrase() {
            return "among them";
        }

        void join() {
            WaitForGraph.await(this, false, this::done, null);
        }
    }

    /** A value that one thread computes and others wait for (abortable). */
    @Shareable
    static final class Pending implements Waitable {
        volatile Thread computer;
        volatile boolean ready;

        @Override
        public void blockers(ThreadState waiter, List<ThreadState> out) {
            Thread c = computer;
            ThreadState s = c == null ? null : ThreadRegistry.stateOf(c);
            if (!ready && s != null) {
                out.add(s); // the waiter itself too: waiting for one's own value is a real deadlock
            }
        }

        @Override
        public boolean retry(ThreadState waiter) {
            return ready;
        }

        @Override
        public String waitableName() {
            return "pending value";
        }

        @Override
        public String blockerPhrase() {
            return "being computed by";
        }
    }

    /** Unparks {@code joiner} once the calling thread has ended (as a branch's child end does). */
    static void unparkAfterEnd(Thread joiner) {
        Thread me = Thread.currentThread();
        Thread t = new Thread(() -> {
            try {
                me.join();
            } catch (InterruptedException e) {
                return;
            }
            LockSupport.unpark(joiner);
        });
        t.setDaemon(true);
        t.start();
    }

    /**
     * A joiner holding a monitor and a child entering it: the child is refused, whoever closes the
     * cycle. The child is in a blocker role (as the rule in {@link Waitable}'s Javadoc asks of a
     * thread a waitable reports), so its entry registers fully and walks.
     */
    @Test
    void aCycleThroughAJoinIsBrokenAtTheChildsEntryWhenTheJoinClosesIt() throws Throwable {
        joinCycle(true, true);
    }

    @Test
    void aCycleThroughAJoinIsBrokenAtTheChildsEntryWhenTheEntryClosesIt() throws Throwable {
        joinCycle(false, true);
    }

    /**
     * The child outside any blocker role: its entry registers lightly and does not walk, but the
     * join's walk still follows it (a light registration is visible to walkers) and closes the cycle.
     */
    @Test
    void aJoinsWalkFollowsALightlyRegisteredEntry() throws Throwable {
        joinCycle(true, false);
    }

    private void joinCycle(boolean childBlocksFirst, boolean childInRole) throws Throwable {
        Station m = Monitor.of(new Station());
        JoinAll join = new JoinAll();
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger childFailures = new AtomicInteger();
        List<Throwable> caught = new CopyOnWriteArrayList<>();
        Worker owner = start("owner", () -> m.holdWhile(() -> {
            Thread self = Thread.currentThread();
            Worker child = start("child", () -> {
                if (childInRole) {
                    WaitForGraph.enterBlockerRole(ThreadState.current());
                }
                await(go);
                try {
                    m.touch();
                } catch (DeadlockException e) {
                    childFailures.incrementAndGet();
                    caught.add(e);
                } finally {
                    unparkAfterEnd(self);
                }
            });
            join.threads.add(child.thread);
            go.countDown();
            if (childBlocksFirst) {
                try {
                    awaitBlockedEntering(child.thread);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
            join.join();
        }));
        owner.joinAndCheck();
        assertThat(childFailures.get()).isEqualTo(1);
        DeadlockException e = (DeadlockException) caught.get(0);
        assertThat(e.getMessage()).contains("owner", "child", "the children of test-branch", m.toString());
        assertThat(e.cycle()).hasSize(2);
        assertThat(e.cycle().get(0).threadName()).isEqualTo("child");
    }

    /** The second of two children closes the cycle while the first is busy elsewhere: still found at once. */
    @Test
    void aJoinWaitsOnEveryLiveChildNotJustTheFirst() throws Throwable {
        Station m = Monitor.of(new Station());
        JoinAll join = new JoinAll();
        CountDownLatch release = new CountDownLatch(1);
        List<Throwable> caught = new CopyOnWriteArrayList<>();
        Worker owner = start("owner", () -> m.holdWhile(() -> {
            Thread self = Thread.currentThread();
            Worker first = start("first", () -> {
                await(release);
                unparkAfterEnd(self);
            });
            Worker second = start("second", () -> {
                WaitForGraph.enterBlockerRole(ThreadState.current()); // the join reports it (Waitable's rule)
                try {
                    m.touch();
                } catch (DeadlockException e) {
                    caught.add(e);
                    release.countDown();
                } finally {
                    unparkAfterEnd(self);
                }
            });
            join.threads.add(first.thread);
            join.threads.add(second.thread);
            join.join();
        }));
        owner.joinAndCheck();
        assertThat(caught).hasSize(1);
        assertThat(caught.get(0).getMessage()).contains("second", "owner");
    }

    /** A thread waiting for a value it is computing itself is refused at once. */
    @Test
    void waitingForOnesOwnPendingValueIsRefused() {
        Pending p = new Pending();
        p.computer = Thread.currentThread();
        ThreadState.current(); // registered
        assertThatThrownBy(() -> WaitForGraph.await(p, true, () -> p.ready, null))
                .isInstanceOf(DeadlockException.class)
                .hasMessageContaining("pending value")
                .hasMessageContaining("being computed by");
    }

    /** Two pending values computed by two threads that need each other's: exactly one is refused. */
    @Test
    void crossedPendingValuesHaveExactlyOneVictim() throws Throwable {
        Pending p1 = new Pending();
        Pending p2 = new Pending();
        CountDownLatch both = new CountDownLatch(2);
        AtomicInteger refused = new AtomicInteger();
        Worker t1 = start("t1", () -> {
            p1.computer = Thread.currentThread();
            both.countDown();
            await(both);
            try {
                WaitForGraph.await(p2, true, () -> p2.ready, null);
            } catch (DeadlockException e) {
                refused.incrementAndGet();
            }
            p1.ready = true;
            LockSupport.unpark(p2.computer);
        });
        Worker t2 = start("t2", () -> {
            p2.computer = Thread.currentThread();
            both.countDown();
            await(both);
            try {
                WaitForGraph.await(p1, true, () -> p1.ready, null);
            } catch (DeadlockException e) {
                refused.incrementAndGet();
            }
            p2.ready = true;
            LockSupport.unpark(p1.computer);
        });
        t1.joinAndCheck();
        t2.joinAndCheck();
        assertThat(refused.get()).isEqualTo(1);
    }

    /** A chain that is not a cycle (the last thread waits outside the graph) is never broken. */
    @Test
    void noCycleNoVictim() throws Throwable {
        Pending p = new Pending();
        CountDownLatch computing = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        Worker computer = start("computer", () -> {
            p.computer = Thread.currentThread();
            computing.countDown();
            await(finish);
            p.ready = true;
        });
        await(computing);
        Thread waiterThread = Thread.currentThread();
        Worker finisher = start("finisher", () -> {
            Thread.sleep(200);
            finish.countDown();
            computer.join();
            LockSupport.unpark(waiterThread);
        });
        WaitForGraph.await(p, true, () -> p.ready, null);
        assertThat(p.ready).isTrue();
        finisher.joinAndCheck();
    }

    /** Interrupts do not end the wait; the hook sees them and the status is restored. */
    @Test
    void interruptsCallTheHookAndTheStatusIsRestored() throws Throwable {
        JoinAll join = new JoinAll();
        CountDownLatch end = new CountDownLatch(1);
        Worker child = start("sleeper", () -> await(end));
        join.threads.add(child.thread);
        AtomicInteger hooks = new AtomicInteger();
        Thread self = Thread.currentThread();
        Worker poker = start("poker", () -> {
            while (LockSupport.getBlocker(self) != join) {
                Thread.sleep(1);
            }
            self.interrupt();
            while (hooks.get() == 0) {
                Thread.sleep(1);
            }
            end.countDown();
            child.join();
            LockSupport.unpark(self); // as a branch's child does when it ends
        });
        WaitForGraph.await(join, false, join::done, hooks::incrementAndGet);
        assertThat(Thread.interrupted()).as("interrupt status restored").isTrue();
        assertThat(hooks.get()).isGreaterThanOrEqualTo(1);
        poker.joinAndCheck();
    }

    /** The watchdog hook breaks a parked wait with the given message, and only a parked one. */
    @Test
    void abortWaitBreaksAParkedWait() throws Throwable {
        Pending p = new Pending();
        Worker never = start("never-computes", () -> {
            p.computer = Thread.currentThread();
            Thread.sleep(TimeUnit.SECONDS.toMillis(2));
        });
        while (p.computer == null) {
            Thread.onSpinWait();
        }
        Worker w = start("waiter", () -> WaitForGraph.await(p, true, () -> p.ready, null));
        ThreadState ws = null;
        long deadline = System.nanoTime() + HANG.toNanos();
        while (ws == null || WaitForGraph.waitingFor(ws) == null) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            ws = ThreadRegistry.stateOf(w.thread);
            Thread.sleep(1);
        }
        assertThat(WaitForGraph.abortWait(ws, "watchdog says stop")).isTrue();
        Throwable t = w.joinAndGetFailure();
        assertThat(t).isInstanceOf(DeadlockException.class).hasMessage("watchdog says stop");
        assertThat(WaitForGraph.abortWait(ws, "again")).as("not waiting any more").isFalse();
        never.join();
    }
}
