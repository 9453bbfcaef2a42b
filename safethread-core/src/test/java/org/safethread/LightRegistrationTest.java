package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.safethread.MonitorTesting.awaitWaitingInGraph;
import static org.safethread.MonitorTesting.awaitBlockedEntering;
import static org.safethread.MonitorTesting.start;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Gate;
import org.safethread.MonitorTesting.Worker;
import org.safethread.internal.deadlock.WaitForGraph;
import org.safethread.internal.runtime.ThreadRegistry;
import org.safethread.internal.runtime.ThreadState;

/**
 * Light registrations in the wait-for graph (issue 13): a fresh outermost monitor entry by a
 * thread in no blocker role waits without the graph lock and does not walk. These tests pin what
 * must still hold: every cycle that such a thread is part of is still broken, through each kind
 * of edge into it (a branch child's thread, before and after it takes its task; the thread
 * computing a map key), whichever wait closes the cycle; and the hang watchdog's hook still
 * breaks a light wait.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LightRegistrationTest {

    /** A thread, for a task to capture (a reference to a thread is safe to share; the thread is not touched). */
    @Shareable
    record ThreadRef(Thread thread) {
    }

    /** A thread set later, for a monitor argument to capture (thread-safe: one volatile field). */
    @Shareable
    static final class ThreadBox {
        volatile Thread thread;
    }

    /**
     * A factory's thread that enters the owner's monitor before it runs the task it was given is
     * in no blocker role yet, so its entry is light. The owner holds the monitor and joins: a
     * deadlock (the thread never gets to the task; the join waits for it), broken at the factory
     * thread's entry, which then ends without running the task (the child is FAILED), and the
     * join returns.
     *
     * @param threadBlocksFirst true: the factory's thread is parked before the owner joins (the
     *     join's first walk follows the light registration); false: the owner is parked in join
     *     first, and the thread's light entry, which does not walk, is found by the join's
     *     re-check while the launch is pending
     */
    private void factoryThreadEntersOwnersMonitorBeforeItsTask(boolean threadBlocksFirst) throws Throwable {
        Gate gate = Monitor.of(new Gate());
        AtomicReference<Throwable> seenByFactoryThread = new AtomicReference<>();
        AtomicInteger taskRuns = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Thread> factoryThread = new AtomicReference<>();
        AtomicReference<Branch.Child<Integer>> child = new AtomicReference<>();
        AtomicReference<Throwable> joinFailure = new AtomicReference<>();
        Worker owner = start("owner", () -> gate.holdWhile(() -> {
            Thread ownerThread = Thread.currentThread();
            try (Branch b = Branch.open(r -> {
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                        gate.enter(); // before the task: no blocker role yet
                    } catch (Throwable e) {
                        seenByFactoryThread.set(e);
                        return; // never runs r: the child is abandoned
                    }
                    r.run();
                }, "wrapping-factory-thread");
                factoryThread.set(t);
                return t;
            })) {
                child.set(b.fork(taskRuns::incrementAndGet));
                if (threadBlocksFirst) {
                    go.countDown();
                    try {
                        awaitBlockedEntering(factoryThread.get());
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                } else {
                    Thread releaser = new Thread(() -> {
                        try {
                            awaitWaitingInGraph(ownerThread); // the owner is parked in join
                        } catch (InterruptedException e) {
                            return;
                        }
                        go.countDown();
                    }, "releaser");
                    releaser.setDaemon(true);
                    releaser.start();
                }
                joinFailure.set(catchThrowable(b::join));
            }
        }));
        owner.joinAndCheck();
        assertThat(seenByFactoryThread.get()).isInstanceOf(DeadlockException.class)
                .hasMessageContaining("wrapping-factory-thread").hasMessageContaining("owner")
                .hasMessageContaining("Gate");
        assertThat(taskRuns).hasValue(0);
        assertThat(child.get().state()).isEqualTo(Branch.Child.State.FAILED);
        assertThat(joinFailure.get()).isSameAs(child.get().failure());
        assertThat(gate.enter()).isEqualTo(2); // the owner's entry and this one: the refused entry changed nothing
    }

    @Test
    void aFactoryThreadBlockedOnTheOwnersMonitorBeforeItsTaskIsRefusedWhenTheJoinCloses() throws Throwable {
        factoryThreadEntersOwnersMonitorBeforeItsTask(true);
    }

    @Test
    void aFactoryThreadBlockingOnTheOwnersMonitorAfterTheJoinParkedIsRefusedByTheJoinsRecheck() throws Throwable {
        factoryThreadEntersOwnersMonitorBeforeItsTask(false);
    }

    /**
     * A child that has taken its task is in a blocker role: its entry registers fully and walks,
     * so when the owner is already parked in join, the child's own entry closes the cycle and is
     * refused at once.
     */
    @Test
    void aChildEnteringTheOwnersMonitorAfterTheOwnerParkedInJoinClosesTheCycleItself() throws Throwable {
        Gate gate = Monitor.of(new Gate());
        AtomicReference<Throwable> joinFailure = new AtomicReference<>();
        AtomicReference<Branch.Child<Integer>> child = new AtomicReference<>();
        Worker owner = start("owner", () -> gate.holdWhile(() -> {
            ThreadRef ownerThread = new ThreadRef(Thread.currentThread());
            try (Branch b = Branch.open()) {
                child.set(b.fork(() -> {
                    awaitWaitingInGraph(ownerThread.thread); // the owner is parked in join, and stays
                    return gate.enter();
                }));
                joinFailure.set(catchThrowable(b::join));
            }
        }));
        owner.joinAndCheck();
        assertThat(child.get().state()).isEqualTo(Branch.Child.State.FAILED);
        assertThat(child.get().failure()).isInstanceOf(DeadlockException.class);
        assertThat(joinFailure.get()).isSameAs(child.get().failure());
    }

    /**
     * The thread computing a map key is in a blocker role while it computes: a mapping that enters
     * a monitor whose holder waits for that key closes the cycle, whichever wait comes first.
     */
    private void mappingEntersMonitorWhoseHolderWaitsForTheKey(boolean holderWaitsFirst) throws Throwable {
        SharedMap<String, Integer> map = new SharedMap<>();
        Gate gate = Monitor.of(new Gate());
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch computing = new CountDownLatch(1);
        List<Throwable> refused = new CopyOnWriteArrayList<>();
        ThreadBox computerThread = new ThreadBox();
        Worker holder = start("holder", () -> gate.holdWhile(() -> {
            holding.countDown();
            MonitorTesting.await(computing);
            if (!holderWaitsFirst) {
                try {
                    awaitBlockedEntering(computerThread.thread); // the mapping's entry waits first
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
            try {
                map.computeIfAbsent("k", k -> 1);
            } catch (DeadlockException e) {
                refused.add(e);
            }
        }));
        Worker computer = start("computer", () -> {
            computerThread.thread = Thread.currentThread();
            MonitorTesting.await(holding);
            try {
                map.computeIfAbsent("k", k -> {
                    computing.countDown();
                    if (holderWaitsFirst) {
                        try {
                            awaitWaitingInGraph(holder.thread);
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                    }
                    return gate.enter();
                });
            } catch (DeadlockException e) {
                refused.add(e);
            }
        });
        holder.joinAndCheck();
        computer.joinAndCheck();
        assertThat(refused).hasSize(1);
        assertThat(refused.get(0).getMessage()).contains("holder", "computer", "SharedMap key \"k\"", "Gate");
    }

    @Test
    void aMappingEnteringAMonitorWhoseHolderAlreadyWaitsForTheKeyIsACycleFoundAtOnce() throws Throwable {
        mappingEntersMonitorWhoseHolderWaitsForTheKey(true);
    }

    @Test
    void aHolderAskingForAKeyWhoseMappingWaitsForItsMonitorIsACycleFoundAtOnce() throws Throwable {
        mappingEntersMonitorWhoseHolderWaitsForTheKey(false);
    }

    /** The hang watchdog's hook sees a light entry ({@code waitingFor}) and breaks it ({@code abortWait}). */
    @Test
    void aLightEntryIsVisibleToTheWatchdogHookAndBrokenByIt() throws Throwable {
        Gate gate = Monitor.of(new Gate());
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Worker holder = start("holder", () -> gate.holdWhile(() -> {
            held.countDown();
            MonitorTesting.await(release);
        }));
        MonitorTesting.await(held);
        Worker entrant = start("entrant", gate::enter);
        awaitWaitingInGraph(entrant.thread);
        ThreadState ts = ThreadRegistry.stateOf(entrant.thread);
        assertThat(WaitForGraph.waitingFor(ts))
                .isEqualTo(org.safethread.internal.monitor.MonitorAccess.lockOf(gate).displayName());
        assertThat(WaitForGraph.abortWait(ts, "watchdog says stop")).isTrue();
        Throwable t = entrant.joinAndGetFailure();
        assertThat(t).isInstanceOf(DeadlockException.class).hasMessage("watchdog says stop");
        assertThat(WaitForGraph.abortWait(ts, "again")).as("not waiting any more").isFalse();
        release.countDown();
        holder.joinAndCheck();
        assertThat(gate.enter()).isEqualTo(2); // the refused entry changed nothing
    }
}
