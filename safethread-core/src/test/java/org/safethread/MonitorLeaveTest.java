package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.safethread.MonitorTesting.start;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Worker;

/**
 * {@link Monitor#leave} (CONTRACT §1, "Leaving"): the monitor is really released while the
 * action runs, re-entered before returning (also when the action throws), and the action's
 * result must be shareable.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MonitorLeaveTest {

    static final ConcurrentLinkedQueue<Worker> PROBES = new ConcurrentLinkedQueue<>();

    @AfterEach
    void joinProbes() throws Throwable {
        Worker w;
        while ((w = PROBES.poll()) != null) {
            w.joinAndCheck();
        }
    }

    public static class Room {
        private Room self;
        private int touches;
        private boolean open;
        private final List<String> log = new ArrayList<>();

        @MonitorMethod
        public void setSelf(Room r) {
            self = r;
        }

        @MonitorMethod
        public int touch() {
            return ++touches;
        }

        @MonitorMethod
        public void open() {
            open = true;
        }

        @MonitorMethod
        public List<String> log() {
            return List.copyOf(log);
        }

        /** Leaves; while outside, signals and waits for another thread to have been inside. */
        @MonitorMethod
        public String leaveWhileOtherEnters(CountDownLatch inLeave, CountDownLatch otherWasInside) {
            int before = touches;
            String r = Monitor.leave(() -> {
                inLeave.countDown();
                MonitorTesting.await(otherWasInside);
                return "left";
            });
            return r + ", touches +" + (touches - before) + ", " + proveHeld();
        }

        @MonitorMethod
        public String leaveReturningUnshareable() {
            try {
                Monitor.leave(() -> new ArrayList<>(List.of("mutable")));
                return "no exception";
            } catch (UnshareableException e) {
                return e.getMessage() + " | " + proveHeld();
            }
        }

        @MonitorMethod
        public List<String> leaveReturningUnshareableUncaught() {
            touches += 10;
            return Monitor.leave(() -> new ArrayList<>(List.of("mutable")));
        }

        @MonitorMethod
        public String leaveWhoseActionThrows() {
            RuntimeException boom = new IllegalStateException("boom");
            try {
                Monitor.leave(() -> {
                    throw boom;
                });
                return "no exception";
            } catch (IllegalStateException e) {
                return (e == boom ? "same exception" : "other exception: " + e) + ", " + proveHeld();
            }
        }

        @MonitorMethod
        public void leaveWhoseActionThrowsUncaught() {
            Monitor.leave(() -> {
                throw new UnsupportedOperationException("escaped");
            });
        }

        @MonitorMethod
        public String awaitInsideLeave() {
            return Monitor.leave(() -> {
                try {
                    Monitor.await(() -> true);
                    return "await allowed";
                } catch (IllegalStateException e) {
                    return "refused: " + e.getMessage();
                } catch (InterruptedException e) {
                    return "interrupted";
                }
            });
        }

        @MonitorMethod
        public String leaveInsideLeave() {
            return Monitor.leave(() -> {
                try {
                    return Monitor.leave(() -> "nested leave allowed");
                } catch (IllegalStateException e) {
                    return "refused: " + e.getMessage();
                }
            });
        }

        /** Leaves from depth 2 (inside a direct self-call). */
        @MonitorMethod
        public String outer(CountDownLatch inLeave, CountDownLatch otherWasInside) {
            String inner = self.leaveWhileOtherEnters(inLeave, otherWasInside);
            touches += 1000;
            return inner + ", outer " + proveHeld();
        }

        /** The canonical use: call into another monitor that calls back into this one. */
        @MonitorMethod
        public String callOut(Relay relay) {
            log.add("before");
            String r = Monitor.leave(() -> relay.callBack(self));
            log.add("after");
            return r;
        }

        /** Makes the gate's condition true, then leaves: the waiter should get the monitor meanwhile. */
        @MonitorMethod
        public String openThenLeave(CountDownLatch waiterDone) {
            open = true;
            Monitor.leave(() -> {
                MonitorTesting.await(waiterDone);
                return null;
            });
            return String.join(",", log);
        }

        @MonitorMethod
        public void awaitOpen(CountDownLatch done) throws InterruptedException {
            Monitor.await(() -> open);
            log.add("waiter");
            done.countDown(); // signalled from inside: the leaver is still outside
        }

        String proveHeld() {
            return MonitorTesting.proveHeld(() -> self.touch(), PROBES);
        }
    }

    public static class Relay {
        private int calls;

        @MonitorMethod
        public String callBack(Room room) {
            calls++;
            return "room touched " + room.touch();
        }
    }

    private static Room room() {
        Room r = Monitor.of(new Room());
        r.setSelf(r);
        return r;
    }

    @Test
    void leaveOutsideAMonitorMethodRefuses() {
        assertThatThrownBy(() -> Monitor.leave(() -> "x"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("outside a monitor");
    }

    @Test
    void awaitInsideALeaveActionRefuses() {
        Room r = room();
        assertThat(r.awaitInsideLeave()).startsWith("refused: ").contains("outside a monitor");
    }

    /** Like await there, a leave inside a leave action is refused, and the message says why: the action runs outside. */
    @Test
    void leaveInsideALeaveActionRefusesSayingTheActionIsOutside() {
        Room r = room();
        assertThat(r.leaveInsideLeave()).startsWith("refused: ").contains("outside a monitor")
                .contains("inside Monitor.leave you are outside the monitor already");
        assertThat(r.touch()).as("the monitor is usable afterwards").isPositive();
    }

    @Test
    void leaveReallyReleasesTheMonitorAndReEntersBeforeReturning() throws Throwable {
        Room r = room();
        CountDownLatch inLeave = new CountDownLatch(1);
        CountDownLatch otherWasInside = new CountDownLatch(1);
        String[] result = new String[1];
        Worker leaver = start("leaver", () -> result[0] = r.leaveWhileOtherEnters(inLeave, otherWasInside));
        MonitorTesting.await(inLeave);
        // While the leaver is outside, this thread gets in (a bounded join: a hang fails).
        start("other", () -> r.touch()).joinAndCheck();
        otherWasInside.countDown();
        leaver.joinAndCheck();
        assertThat(result[0]).isEqualTo("left, touches +1, held");
    }

    @Test
    void leaveFromInsideADirectSelfCallReleasesFully() throws Throwable {
        Room r = room();
        CountDownLatch inLeave = new CountDownLatch(1);
        CountDownLatch otherWasInside = new CountDownLatch(1);
        String[] result = new String[1];
        Worker leaver = start("leaver", () -> result[0] = r.outer(inLeave, otherWasInside));
        MonitorTesting.await(inLeave);
        start("other", () -> r.touch()).joinAndCheck();
        otherWasInside.countDown();
        leaver.joinAndCheck();
        assertThat(result[0]).isEqualTo("left, touches +1, held, outer held");
        joinProbes();
        start("after", () -> r.touch()).joinAndCheck(); // released completely at the outer exit
    }

    @Test
    void leaveResultMustBeShareableAndTheMonitorIsHeldAgainAfterTheRefusal() throws Throwable {
        Room r = room();
        assertThat(r.leaveReturningUnshareable())
                .contains("Monitor.leave")
                .contains("(java.util.ArrayList) is not shareable")
                .endsWith(" | held");
        assertThatThrownBy(r::leaveReturningUnshareableUncaught)
                .isInstanceOf(UnshareableException.class)
                .hasMessageContaining("java.util.ArrayList");
        joinProbes();
        start("after", () -> r.touch()).joinAndCheck();
    }

    @Test
    void leaveReEntersEvenWhenTheActionThrows() throws Throwable {
        Room r = room();
        assertThat(r.leaveWhoseActionThrows()).isEqualTo("same exception, held");
        assertThatThrownBy(r::leaveWhoseActionThrowsUncaught)
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessage("escaped");
        joinProbes();
        start("after", () -> r.touch()).joinAndCheck();
    }

    @Test
    void aLeaveActionMayCallAMonitorThatCallsBackIntoTheLeftOne() {
        Room r = room();
        Relay relay = Monitor.of(new Relay());
        // room -> (left) -> relay -> room: not a re-entry of a held monitor, so no DeadlockException.
        assertThat(r.callOut(relay)).isEqualTo("room touched 1");
        assertThat(r.log()).containsExactly("before", "after");
    }

    @Test
    void leaveHandsTheMonitorToAWaiterWhoseConditionHolds() throws Throwable {
        Room r = room();
        CountDownLatch waiterDone = new CountDownLatch(1);
        Worker waiter = start("waiter", () -> r.awaitOpen(waiterDone));
        // Wait until the waiter is parked in await (a condition wait, not an entry).
        long deadline = System.nanoTime() + MonitorTesting.HANG.toNanos();
        while (!(java.util.concurrent.locks.LockSupport.getBlocker(waiter.thread)
                instanceof org.safethread.internal.monitor.MonitorLock)) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(1);
        }
        // openThenLeave's leave blocks until the waiter has run inside the monitor.
        assertThat(r.openThenLeave(waiterDone)).isEqualTo("waiter");
        waiter.joinAndCheck();
    }
}
