package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.safethread.MonitorTesting.HANG;
import static org.safethread.MonitorTesting.awaitBlockedEntering;
import static org.safethread.MonitorTesting.start;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.safethread.MonitorTesting.Gate;
import org.safethread.MonitorTesting.Worker;
import org.safethread.internal.deadlock.WaitForGraph;
import org.safethread.internal.monitor.MonitorAccess;
import org.safethread.internal.monitor.MonitorLock;
import org.safethread.internal.runtime.ThreadRegistry;

/**
 * A refused entry that heads a monitor's entry queue leaves it without the monitor
 * ({@code MonitorLock.lostDeadlock}): it disarms its wake flag, then leaves the queue. A holder
 * that releases in between reads the leaving thread as the queue head, finds its flag disarmed
 * and wakes nobody; the next waiter then heads a queue of a free monitor, parked, and nothing
 * wakes it until some later entrant happens to come by (a lost wake-up: with no later entrant, a
 * hang). The leaver must wake the new head itself when it finds the monitor free after leaving
 * (as AQS's {@code cancelAcquire} wakes its successor).
 *
 * <p>The window is a few instructions wide; the test holds it open by holding the monitor's queue
 * lock (the {@code MonitorLock}'s private {@code queueLock}, which {@code dequeueEntry} takes) while the
 * head is refused (through the hang watchdog's hook, {@link WaitForGraph#abortWait}) and the
 * holder releases. Both the light registration (a fresh entry) and the full one (an entry by a
 * thread that holds another monitor: the holding queue) are covered.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EntryQueueVictimWakeTest {

    @ParameterizedTest(name = "head holds another monitor: {0}")
    @ValueSource(booleans = {false, true})
    void aRefusedQueueHeadLeavingAsTheMonitorIsReleasedWakesTheNextWaiter(boolean headHoldsAnother) throws Throwable {
        Gate gate = Monitor.of(new Gate());
        Gate other = Monitor.of(new Gate());
        Object queueLock = queueLockOf(MonitorAccess.lockOf(gate).space);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Worker holder = start("holder", () -> gate.holdWhile(() -> {
            held.countDown();
            MonitorTesting.await(release);
        }));
        MonitorTesting.await(held);
        Worker head = start("head", headHoldsAnother ? () -> other.holdWhile(gate::enter) : gate::enter);
        awaitBlockedEntering(head.thread, gate);
        Worker next = start("next", gate::enter);
        awaitBlockedEntering(next.thread, gate);

        synchronized (queueLock) { // the head's exit as a victim stops right before it leaves the queue
            assertThat(WaitForGraph.abortWait(ThreadRegistry.stateOf(head.thread), "refused by the test")).isTrue();
            long deadline = System.nanoTime() + HANG.toNanos();
            while (head.thread.getState() != Thread.State.BLOCKED) {
                assertThat(System.nanoTime()).as("head blocked on the queue lock; stack: %s",
                        MonitorTesting.stack(head.thread)).isLessThan(deadline);
                Thread.sleep(1);
            }
            release.countDown();
            holder.joinAndCheck(); // released: read the head (disarmed, leaving) and woke nobody
        }
        assertThat(head.joinAndGetFailure()).isInstanceOf(DeadlockException.class).hasMessage("refused by the test");

        // The monitor is free and "next" heads its queue: it must get in without anyone's help.
        boolean entered = next.done.await(5, TimeUnit.SECONDS);
        if (!entered) {
            gate.enter(); // rescue: this entry's release wakes it, so the test ends cleanly
        }
        next.joinAndCheck();
        assertThat(entered).as("the next waiter was woken once the refused head left the queue of a free monitor")
                .isTrue();
        assertThat(gate.enter()).isEqualTo(entered ? 3 : 4); // holder, next (, rescue), this one
    }

    /** The monitor's private queue lock (reflection: tests only). */
    private static Object queueLockOf(MonitorLock lock) throws ReflectiveOperationException {
        java.lang.reflect.Field f = MonitorLock.class.getDeclaredField("queueLock");
        f.setAccessible(true);
        return f.get(lock);
    }
}
