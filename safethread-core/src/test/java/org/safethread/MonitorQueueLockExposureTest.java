package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.safethread.MonitorTesting.awaitBlockedEntering;
import static org.safethread.MonitorTesting.start;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Gate;
import org.safethread.MonitorTesting.Worker;
import org.safethread.internal.monitor.MonitorLock;

/**
 * A monitor's entry-queue lock is the {@code MonitorLock}'s own intrinsic lock (session 5, light
 * registrations), and the {@code MonitorLock} is what a parked entrant's
 * {@link LockSupport#getBlocker} returns to any code. User code that synchronizes on that object
 * (a diagnostics tool, a careless "lock on what it waits for") stalls that monitor's entrants;
 * and since a full registration takes the queue lock inside the global graph lock, one such
 * entrant then holds the graph lock while it waits, and every other full registration, in any
 * monitor, branch join or map-key wait of the process, stalls behind it. Before session 5 the
 * queues were guarded by the graph lock, which no user code can reach.
 *
 * <p>The queue lock is now a private object (8 more bytes in the monitor and a 16-byte object);
 * against the intrinsic-lock version this test fails (the unrelated entry never parks).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MonitorQueueLockExposureTest {

    @Test
    void userCodeSynchronizingOnAnEntrantsBlockerDoesNotStallUnrelatedMonitors() throws Throwable {
        Gate gate = Monitor.of(new Gate());
        Gate other = Monitor.of(new Gate());
        Gate unrelated = Monitor.of(new Gate());
        Gate unrelatedOuter = Monitor.of(new Gate());
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Worker gateHolder = start("gate-holder", () -> gate.holdWhile(() -> {
            held.countDown();
            MonitorTesting.await(release);
        }));
        CountDownLatch held2 = new CountDownLatch(1);
        Worker unrelatedHolder = start("unrelated-holder", () -> unrelated.holdWhile(() -> {
            held2.countDown();
            MonitorTesting.await(release);
        }));
        MonitorTesting.await(held);
        MonitorTesting.await(held2);
        Worker light = start("light", gate::enter);
        awaitBlockedEntering(light.thread, gate);
        Object blocker = LockSupport.getBlocker(light.thread);
        assertThat(blocker).isInstanceOf(MonitorLock.class);
        Worker full;
        Worker elsewhere;
        boolean elsewhereParkedOnItsMonitor;
        synchronized (blocker) { // what user code can do with the object getBlocker returned
            full = start("full", () -> other.holdWhile(gate::enter)); // full registration: graph lock, then queue lock
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (full.thread.getState() != Thread.State.BLOCKED && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            // An unrelated full registration: another thread, other monitors.
            elsewhere = start("elsewhere", () -> unrelatedOuter.holdWhile(unrelated::enter));
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            elsewhereParkedOnItsMonitor = false;
            while (System.nanoTime() < deadline && !elsewhereParkedOnItsMonitor) {
                elsewhereParkedOnItsMonitor = LockSupport.getBlocker(elsewhere.thread) instanceof MonitorLock
                        && elsewhere.thread.getState() == Thread.State.WAITING;
                Thread.sleep(1);
            }
        }
        release.countDown();
        gateHolder.joinAndCheck();
        unrelatedHolder.joinAndCheck();
        light.joinAndCheck();
        full.joinAndCheck();
        elsewhere.joinAndCheck();
        assertThat(elsewhereParkedOnItsMonitor)
                .as("an entry into an unrelated monitor reached its own park while user code held gate's blocker")
                .isTrue();
    }
}
