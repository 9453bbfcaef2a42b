package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.safethread.MonitorTesting.start;

import java.lang.reflect.Method;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Worker;

/**
 * Entering a held monitor: the entrant waits (parked, not spinning), is not interruptible, and
 * keeps its interrupt status for its own code (MonitorLock's notes: "a deadlock victim must leave
 * its entry with an exception while its interrupt status stays the user's").
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MonitorEntryTest {

    public static class Room {
        private int touches;

        @MonitorMethod
        public void hold(CountDownLatch held, CountDownLatch release) {
            held.countDown();
            MonitorTesting.await(release);
        }

        @MonitorMethod
        public boolean touchReportingInterrupt() {
            touches++;
            return Thread.currentThread().isInterrupted();
        }

        @MonitorMethod
        public int touches() {
            return touches;
        }
    }

    @Test
    void anInterruptedEntrantKeepsWaitingParkedAndKeepsItsInterruptStatus() throws Throwable {
        Room room = Monitor.of(new Room());
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Worker holder = start("holder", () -> room.hold(held, release));
        MonitorTesting.await(held);
        boolean[] interruptSeenInside = new boolean[1];
        Worker entrant = start("entrant", () -> interruptSeenInside[0] = room.touchReportingInterrupt());
        MonitorTesting.awaitBlockedEntering(entrant.thread, room);
        long cpu0 = cpuNanos(entrant.thread);
        long wall0 = System.nanoTime();
        entrant.thread.interrupt();
        Thread.sleep(500);
        long cpu = cpuNanos(entrant.thread) - cpu0;
        long wall = System.nanoTime() - wall0;
        assertThat(entrant.finished()).as("monitor entry is not interruptible").isFalse();
        release.countDown();
        holder.joinAndCheck();
        entrant.joinAndCheck();
        assertThat(interruptSeenInside[0]).as("interrupt status kept for the user's code").isTrue();
        assertThat(room.touches()).isEqualTo(1);
        // A parked entrant uses (almost) no CPU. An entrant that spins because park() returns at
        // once while its interrupt status is set burns a core, and takes the global wait-for-graph
        // lock on every turn. Generous bound: a quarter of the wall time.
        assertThat(cpu).as("CPU ns used by the interrupted entrant in %d ms of waiting", wall / 1_000_000)
                .isLessThan(wall / 4);
    }

    /** The thread's CPU time through ThreadMXBean (by reflection: this module does not read java.management). */
    private static long cpuNanos(Thread t) throws Exception {
        Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
        Class<?> bean = Class.forName("java.lang.management.ThreadMXBean");
        Object mx = factory.getMethod("getThreadMXBean").invoke(null);
        Assumptions.assumeTrue((Boolean) bean.getMethod("isThreadCpuTimeSupported").invoke(mx));
        Method cpu = bean.getMethod("getThreadCpuTime", long.class);
        long v = (Long) cpu.invoke(mx, MonitorTesting.id(t));
        Assumptions.assumeTrue(v >= 0, "thread CPU time available");
        return v;
    }
}
