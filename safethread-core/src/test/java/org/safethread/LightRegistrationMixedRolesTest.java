package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.safethread.MonitorTesting.HANG;
import static org.safethread.MonitorTesting.awaitWaitingInGraph;
import static org.safethread.MonitorTesting.awaitBlockedEntering;
import static org.safethread.MonitorTesting.start;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.safethread.MonitorTesting.Gate;
import org.safethread.MonitorTesting.Worker;
import org.safethread.internal.deadlock.WaitForGraph;
import org.safethread.internal.runtime.ThreadState;

/**
 * Light registrations across layers (review of issue 13's light entries): a cycle whose only
 * edge into a light waiter comes from a join nested inside another blocker role. A map key's
 * computer opens a branch inside its mapping; the branch's factory thread enters, before it runs
 * its task (no role yet: a light entry), the monitor whose holder waits for that key. The cycle
 * holder → key → computer's join → factory thread → monitor → holder must be broken whichever
 * wait comes last, and in particular when the light entry is last (it does not walk: the
 * computer's join re-walks while the launch is pending).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LightRegistrationMixedRolesTest {

    @ParameterizedTest(name = "factory thread blocks last: {0}")
    @ValueSource(booleans = {true, false})
    void aMappingsBranchWhoseFactoryThreadEntersTheKeyWaitersMonitorIsBroken(boolean factoryLast) throws Throwable {
        SharedMap<String, Integer> map = new SharedMap<>();
        Gate gate = Monitor.of(new Gate());
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch forked = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch holderMayAsk = new CountDownLatch(1);
        List<Throwable> refused = new CopyOnWriteArrayList<>();
        AtomicReference<Thread> factoryThread = new AtomicReference<>();
        Worker holder = start("holder", () -> gate.holdWhile(() -> {
            holding.countDown();
            MonitorTesting.await(holderMayAsk);
            try {
                map.computeIfAbsent("k", k -> 1);
            } catch (DeadlockException e) {
                refused.add(e);
            }
        }));
        MonitorTesting.await(holding);
        Worker computer = start("computer", () -> {
            try {
                map.computeIfAbsent("k", k -> {
                    try (Branch b = Branch.open(r -> {
                        Thread t = new Thread(() -> {
                            try {
                                MonitorTesting.await(go);
                                gate.enter(); // before the task: no blocker role yet, a light entry
                            } catch (DeadlockException e) {
                                refused.add(e);
                                return; // never runs r: the child is abandoned
                            }
                            r.run();
                        }, "wrapping-factory-thread");
                        factoryThread.set(t);
                        return t;
                    })) {
                        b.fork(() -> 2);
                        forked.countDown();
                        b.join();
                    } catch (IllegalStateException abandoned) {
                        return null; // the factory thread was refused and never ran the task
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                    return 2;
                });
            } catch (DeadlockException e) {
                refused.add(e);
            }
        });
        MonitorTesting.await(forked);
        if (factoryLast) {
            holderMayAsk.countDown();
            awaitWaitingInGraph(holder.thread); // holder → key → computer's join: no cycle yet
            awaitWaitingInGraph(computer.thread);
            go.countDown(); // the light entry closes the cycle and does not walk
        } else {
            go.countDown();
            awaitBlockedEntering(factoryThread.get(), gate);
            awaitWaitingInGraph(computer.thread);
            holderMayAsk.countDown(); // the holder's key wait closes the cycle and walks
        }
        holder.joinAndCheck();
        computer.joinAndCheck();
        factoryThread.get().join(HANG.toMillis());
        assertThat(refused).as("exactly one wait refused").hasSize(1);
        assertThat(map.get("k")).isIn(1, 2);
    }

    /**
     * The key computer's blocker role ends with its mapping however the mapping ends (a value,
     * null, a throw, a refused recursive request for the same key): a role left behind would make
     * every later monitor wait of this (possibly pooled) thread register fully, and an unmatched
     * exit would throw from a finally, hiding the mapping's own exception.
     */
    @Test
    void aKeyComputersRoleEndsWithItsMappingHoweverTheMappingEnds() {
        SharedMap<String, Integer> map = new SharedMap<>();
        ThreadState ts = ThreadState.current();
        assertThat(WaitForGraph.inBlockerRole(ts)).isFalse();
        assertThat(map.computeIfAbsent("value", k -> {
            assertThat(WaitForGraph.inBlockerRole(ts)).as("in the role while computing").isTrue();
            return 1;
        })).isEqualTo(1);
        assertThat(WaitForGraph.inBlockerRole(ts)).isFalse();
        assertThat(map.computeIfAbsent("null", k -> null)).isNull();
        assertThat(WaitForGraph.inBlockerRole(ts)).isFalse();
        IllegalArgumentException mine = new IllegalArgumentException("the mapping's own failure");
        assertThat(catchThrowable(() -> map.computeIfAbsent("throws", k -> {
            throw mine;
        }))).isSameAs(mine);
        assertThat(WaitForGraph.inBlockerRole(ts)).isFalse();
        assertThat(catchThrowable(() -> map.computeIfAbsent("outer", k -> map.computeIfAbsent("inner",
                k2 -> map.computeIfAbsent("outer", k3 -> 3))))).isInstanceOf(DeadlockException.class);
        assertThat(WaitForGraph.inBlockerRole(ts)).isFalse();
    }
}
