package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.safethread.MonitorTesting.awaitBlockedEntering;
import static org.safethread.MonitorTesting.start;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Worker;
import org.safethread.internal.deadlock.WaitForGraph;
import org.safethread.internal.runtime.Settings;
import org.safethread.testing.CapturedLogs;
import org.slf4j.event.Level;

/**
 * Deadlock detection and breaking (CONTRACT §1, "Deadlocks are detected and broken", and §5):
 * exactly one victim per cycle, refused at the entry it waited on (that monitor untouched), its
 * outer calls unwinding; message and {@code cycle()} naming every thread and monitor; counted in
 * {@code stats()}, logged at DEBUG, recorded as a JFR event; the delay setting; no false
 * positives; condition waits and {@code leave} actions are not nodes of the wait-for graph.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeadlockDetectionTest {

    private long savedDelayNanos;

    @BeforeEach
    void saveSettings() {
        savedDelayNanos = Settings.deadlockDelayNanos();
    }

    @AfterEach
    void restoreSettings() {
        Settings.setDeadlockDelay(Duration.ofNanos(savedDelayNanos));
    }

    // ------------------------------------------------------------------ targets

    public interface Station {
        /** Holds this monitor, runs {@code before} (a barrier or latch), then touches {@code other}. */
        void poke(Station other, Runnable before);

        void touch();

        int touched();
    }

    static final class StationImpl implements Station {
        int touched;
        /** When the holder started its call into the other station (nanoTime). */
        volatile long callStart;

        @Override
        public void poke(Station other, Runnable before) {
            before.run();
            callStart = System.nanoTime();
            other.touch();
        }

        @Override
        public void touch() {
            touched++;
        }

        @Override
        public int touched() {
            return touched;
        }
    }

    /** An outer monitor: runs code inside itself and notes that it unwound. */
    public static class Outer {
        private boolean unwound;
        private int touched;

        @MonitorMethod
        public String run(Supplier<String> inner) {
            try {
                return inner.get();
            } finally {
                unwound = true;
            }
        }

        @MonitorMethod
        public void touch() {
            touched++;
        }

        @MonitorMethod
        public boolean unwound() {
            return unwound;
        }
    }

    /** An inner monitor whose methods wait on a condition or in a leave action. */
    public static class Inner {
        private boolean never;
        private int touched;

        @MonitorMethod
        public String awaitUntilInterrupted(CountDownLatch waiting) {
            waiting.countDown();
            try {
                Monitor.await(() -> never);
                return "condition came true";
            } catch (InterruptedException e) {
                touched += 100; // the monitor is held again here
                return "interrupted";
            }
        }

        @MonitorMethod
        public String leaveUntil(CountDownLatch inLeave, CountDownLatch release) {
            Monitor.leave(() -> {
                inLeave.countDown();
                MonitorTesting.await(release);
                return null;
            });
            touched += 100;
            return "re-entered";
        }

        @MonitorMethod
        public String leaveInto(Outer outer) {
            return Monitor.leave(() -> {
                outer.touch();
                return "through";
            });
        }

        @MonitorMethod
        public void callInto(Outer outer, CountDownLatch inside) {
            inside.countDown();
            outer.touch();
        }

        @MonitorMethod
        public void touch() {
            touched++;
        }

        @MonitorMethod
        public int touched() {
            return touched;
        }
    }

    private static Station station() {
        return Monitor.of(new StationImpl(), Station.class);
    }

    /**
     * One AB/BA deadlock in a fixed order: the "first" thread holds B and is already parked
     * entering A when the "closer" (holding A) calls B and closes the cycle. The contract does not
     * say which of the two is the victim, so the roles are read from the outcome.
     */
    private static final class OneDeadlock {
        final StationImpl aImpl = new StationImpl();
        final StationImpl bImpl = new StationImpl();
        final Station a = Monitor.of(aImpl, Station.class);
        final Station b = Monitor.of(bImpl, Station.class);
        Worker victim;
        Worker survivor;
        Station held;
        Station wanted;
        DeadlockException exception;

        OneDeadlock run(String closerName, String firstName) throws Throwable {
            CountDownLatch closerHoldsA = new CountDownLatch(1);
            CountDownLatch go = new CountDownLatch(1);
            Worker closer = start(closerName, () -> a.poke(b, () -> {
                closerHoldsA.countDown();
                MonitorTesting.await(go);
            }));
            MonitorTesting.await(closerHoldsA);
            Worker first = start(firstName, () -> b.poke(a, () -> { }));
            awaitBlockedEntering(first.thread, a);
            go.countDown();
            Throwable fc = closer.joinAndGetFailure();
            Throwable ff = first.joinAndGetFailure();
            assertThat((fc == null ? 0 : 1) + (ff == null ? 0 : 1)).as("exactly one victim").isEqualTo(1);
            boolean closerIsVictim = fc != null;
            victim = closerIsVictim ? closer : first;
            survivor = closerIsVictim ? first : closer;
            held = closerIsVictim ? a : b;
            wanted = closerIsVictim ? b : a;
            Throwable t = closerIsVictim ? fc : ff;
            assertThat(t).isInstanceOf(DeadlockException.class);
            exception = (DeadlockException) t;
            StationImpl wantedImpl = closerIsVictim ? bImpl : aImpl;
            StationImpl heldImpl = closerIsVictim ? aImpl : bImpl;
            assertThat(wantedImpl.touched).as("the monitor the victim wanted is untouched").isZero();
            assertThat(heldImpl.touched).as("the survivor's call completed").isEqualTo(1);
            return this;
        }
    }

    // ------------------------------------------------------------------ AB/BA

    @Test
    void abBaRepeatedAThousandTimesHasExactlyOneVictimEveryRound() throws Throwable {
        MonitorWorkloads.AbBaResult r = MonitorWorkloads.abBa(MonitorTesting.PLATFORM, 1000,
                new String[] {"ab-thread", "ba-thread"});
        assertThat(r.deadlocksBrokenDelta()).as("stats().deadlocksBroken() growth").isEqualTo(1000);
    }

    @Test
    void theVictimIsRefusedAtTheEntryItWaitedOnAndTheMessageNamesEverything() throws Throwable {
        OneDeadlock d = new OneDeadlock().run("closer-1", "first-1");
        MonitorWorkloads.checkCycle(d.exception, d.victim.thread, d.survivor.thread, d.held, d.wanted, "one");
        assertThat(d.exception.getMessage())
                .contains("closer-1", "first-1", d.a.toString(), d.b.toString());
        // The DeadlockException is a plain RuntimeException: the outer call unwound normally and
        // both monitors are free again.
        start("after", () -> {
            d.a.touch();
            d.b.touch();
        }).joinAndCheck();
    }

    @Test
    void theVictimsOuterMonitorCallsUnwindAndReleaseTheirMonitors() throws Throwable {
        // o1 -> a -> (b)  and  o2 -> b -> (a): whichever is the victim, its outer call unwinds.
        Outer o1 = Monitor.of(new Outer());
        Outer o2 = Monitor.of(new Outer());
        StationImpl aImpl = new StationImpl();
        StationImpl bImpl = new StationImpl();
        Station a = Monitor.of(aImpl, Station.class);
        Station b = Monitor.of(bImpl, Station.class);
        CyclicBarrier bothHold = new CyclicBarrier(2);
        Worker w1 = start("nested-1", () -> o1.run(() -> {
            a.poke(b, () -> MonitorTesting.await(bothHold));
            return "done";
        }));
        Worker w2 = start("nested-2", () -> o2.run(() -> {
            b.poke(a, () -> MonitorTesting.await(bothHold));
            return "done";
        }));
        Throwable f1 = w1.joinAndGetFailure();
        Throwable f2 = w2.joinAndGetFailure();
        assertThat((f1 == null ? 0 : 1) + (f2 == null ? 0 : 1)).as("exactly one victim").isEqualTo(1);
        assertThat(f1 != null ? f1 : f2).isInstanceOf(DeadlockException.class);
        assertThat(o1.unwound()).isTrue();
        assertThat(o2.unwound()).isTrue();
        assertThat(aImpl.touched + bImpl.touched).isEqualTo(1);
        assertThat(f1 != null ? bImpl.touched : aImpl.touched).as("the victim's wanted monitor").isZero();
        start("after", () -> {
            o1.touch();
            o2.touch();
            a.touch();
            b.touch();
        }).joinAndCheck();
    }

    // ------------------------------------------------------------------ rings

    @Test
    void ringsOfThreeToEightThreadsHaveExactlyOneVictimAndEveryoneElseFinishes() throws Throwable {
        for (int n = 3; n <= 8; n++) {
            for (int round = 0; round < 20; round++) {
                ring(n, round);
            }
        }
    }

    @Test
    void withADelayRingsStillHaveExactlyOneVictim() throws Throwable {
        // With a delay several threads of the cycle check it, each after its own delay: still one victim.
        Settings.setDeadlockDelay(Duration.ofMillis(50));
        for (int n = 2; n <= 5; n++) {
            for (int round = 0; round < 3; round++) {
                ring(n, round);
            }
        }
    }

    private static void ring(int n, int round) throws Throwable {
        String what = "ring of " + n + ", round " + round;
        CyclicBarrier allHold = new CyclicBarrier(n);
        StationImpl[] impls = new StationImpl[n];
        Station[] st = new Station[n];
        for (int i = 0; i < n; i++) {
            impls[i] = new StationImpl();
            st[i] = Monitor.of(impls[i], Station.class);
        }
        long broken0 = SafeThread.stats().deadlocksBroken();
        List<Worker> ws = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Station mine = st[i];
            Station next = st[(i + 1) % n];
            ws.add(start("ring" + n + "-r" + round + "-t" + i, () -> mine.poke(next, () -> MonitorTesting.await(allHold))));
        }
        List<Throwable> failures = MonitorTesting.joinAll(ws);
        assertThat(failures).as(what + ": exactly one victim").hasSize(1);
        assertThat(failures.get(0)).as(what).isInstanceOf(DeadlockException.class);
        DeadlockException e = (DeadlockException) failures.get(0);
        int v = -1;
        for (int i = 0; i < n; i++) {
            if (ws.get(i).failure.get() != null) {
                v = i;
            }
        }
        // The monitor the victim wanted was never entered by it; every other one was, once.
        for (int i = 0; i < n; i++) {
            int expected = i == (v + 1) % n ? 0 : 1;
            assertThat(impls[i].touched).as(what + ": station " + i + " (victim " + v + ")").isEqualTo(expected);
        }
        assertThat(SafeThread.stats().deadlocksBroken() - broken0).as(what + ": deadlocksBroken").isEqualTo(1);
        // Message and cycle(): every thread and monitor, victim first, links chained.
        for (int i = 0; i < n; i++) {
            assertThat(e.getMessage()).as(what + ": message").contains(ws.get(i).thread.getName(), st[i].toString());
        }
        List<DeadlockException.Link> cycle = e.cycle();
        assertThat(cycle).as(what).hasSize(n);
        assertThat(cycle.get(0).threadName()).isEqualTo(ws.get(v).thread.getName());
        assertThat(cycle.get(0).waitsFor()).isEqualTo(st[(v + 1) % n].toString());
        assertThat(cycle.get(0).holds()).isEqualTo(st[v].toString());
        Set<String> names = new HashSet<>();
        for (int k = 0; k < n; k++) {
            DeadlockException.Link l = cycle.get(k);
            DeadlockException.Link next = cycle.get((k + 1) % n);
            assertThat(l.waitsFor()).as(what + ": link " + k + " waits for what the next holds").isEqualTo(next.holds());
            int i = Integer.parseInt(l.threadName().substring(l.threadName().lastIndexOf('t') + 1));
            assertThat(l.threadId()).isEqualTo(MonitorTesting.id(ws.get(i).thread));
            assertThat(l.holds()).isEqualTo(st[i].toString());
            assertThat(l.waitsFor()).isEqualTo(st[(i + 1) % n].toString());
            names.add(l.threadName());
        }
        assertThat(names).hasSize(n);
    }

    // ------------------------------------------------------------------ stats, log, JFR

    @Test
    void deadlocksBrokenCountsEachBrokenDeadlockOnce() throws Throwable {
        long before = SafeThread.stats().deadlocksBroken();
        new OneDeadlock().run("count-closer-1", "count-first-1");
        assertThat(SafeThread.stats().deadlocksBroken()).isEqualTo(before + 1);
        new OneDeadlock().run("count-closer-2", "count-first-2");
        new OneDeadlock().run("count-closer-3", "count-first-3");
        assertThat(SafeThread.stats().deadlocksBroken()).isEqualTo(before + 3);
    }

    @Test
    void aBrokenDeadlockIsLoggedAtDebug() throws Throwable {
        OneDeadlock d = new OneDeadlock().run("log-closer", "log-first");
        List<CapturedLogs.Event> events = CapturedLogs.matching(e -> e.level() == Level.DEBUG
                && e.logger().equals("org.safethread.deadlock")
                && e.message().contains("log-closer"));
        assertThat(events).hasSize(1);
        assertThat(events.get(0).message()).contains(d.exception.getMessage())
                .contains("log-closer", "log-first", d.a.toString(), d.b.toString());
    }

    @Test
    void aBrokenDeadlockIsRecordedAsAJfrEventWithCycleAndLatency() throws Throwable {
        Path file = Files.createTempFile("safethread-deadlock", ".jfr");
        try (Recording recording = new Recording()) {
            recording.enable("org.safethread.DeadlockBroken").withStackTrace();
            recording.start();
            OneDeadlock d = new OneDeadlock().run("jfr-closer", "jfr-first");
            recording.stop();
            recording.dump(file);
            List<RecordedEvent> events = new ArrayList<>();
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                if (e.getEventType().getName().equals("org.safethread.DeadlockBroken")) {
                    events.add(e);
                }
            }
            assertThat(events).hasSize(1);
            RecordedEvent e = events.get(0);
            String victim = d.victim.thread.getName();
            assertThat(e.getString("cycle")).contains("jfr-closer", "jfr-first", d.a.toString(), d.b.toString())
                    .isEqualTo(d.exception.getMessage());
            assertThat(e.getString("victim")).isEqualTo(victim);
            assertThat(e.getInt("threads")).isEqualTo(2);
            assertThat(e.getDuration("detectionLatency").isNegative()).as("detectionLatency negative").isFalse();
            assertThat(e.getThread().getJavaName()).as("committed by the victim").isEqualTo(victim);
            assertThat(e.getStackTrace()).isNotNull();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    // ------------------------------------------------------------------ the delay setting

    @Test
    void theDelaySettingDelaysDetection() throws Throwable {
        Duration delay = Duration.ofMillis(300);
        Settings.setDeadlockDelay(delay);
        // Either thread may be the victim with a delay (the first whose delay expires with the
        // cycle closed); whichever it is must have waited at least the delay.
        CyclicBarrier bothHold = new CyclicBarrier(2);
        StationImpl aImpl = new StationImpl();
        StationImpl bImpl = new StationImpl();
        Station a = Monitor.of(aImpl, Station.class);
        Station b = Monitor.of(bImpl, Station.class);
        long[] caughtAt = new long[2];
        long before = SafeThread.stats().deadlocksBroken();
        Worker w0 = start("delay-0", () -> {
            try {
                a.poke(b, () -> MonitorTesting.await(bothHold));
            } catch (DeadlockException e) {
                caughtAt[0] = System.nanoTime();
                throw e;
            }
        });
        Worker w1 = start("delay-1", () -> {
            try {
                b.poke(a, () -> MonitorTesting.await(bothHold));
            } catch (DeadlockException e) {
                caughtAt[1] = System.nanoTime();
                throw e;
            }
        });
        Throwable f0 = w0.joinAndGetFailure();
        Throwable f1 = w1.joinAndGetFailure();
        assertThat((f0 == null ? 0 : 1) + (f1 == null ? 0 : 1)).as("exactly one victim").isEqualTo(1);
        Throwable f = f0 != null ? f0 : f1;
        assertThat(f).isInstanceOf(DeadlockException.class);
        long waited = f0 != null ? caughtAt[0] - aImpl.callStart : caughtAt[1] - bImpl.callStart;
        assertThat(Duration.ofNanos(waited)).as("the victim's wait").isGreaterThanOrEqualTo(delay);
        assertThat(SafeThread.stats().deadlocksBroken()).isEqualTo(before + 1);
    }

    // ------------------------------------------------------------------ no false positives

    @Test
    void aChainOfBlockedThreadsIsNotADeadlock() throws Throwable {
        int n = 5;
        StationImpl[] impls = new StationImpl[n];
        Station[] st = new Station[n];
        for (int i = 0; i < n; i++) {
            impls[i] = new StationImpl();
            st[i] = Monitor.of(impls[i], Station.class);
        }
        long before = SafeThread.stats().deadlocksBroken();
        // The last thread holds the last station and waits on a latch (not a monitor); each other
        // thread i holds station i and waits to enter station i+1: a chain, no cycle.
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch lastHolds = new CountDownLatch(1);
        List<Worker> ws = new ArrayList<>();
        Station last = st[n - 1];
        ws.add(start("chain-end", () -> last.poke(station(), () -> {
            lastHolds.countDown();
            MonitorTesting.await(release);
        })));
        MonitorTesting.await(lastHolds);
        for (int i = n - 2; i >= 0; i--) {
            Station mine = st[i];
            Station next = st[i + 1];
            Worker w = start("chain-" + i, () -> mine.poke(next, () -> { }));
            ws.add(w);
            awaitBlockedEntering(w.thread, next);
        }
        // Everyone but the chain's end waits to enter a monitor; a bystander queues too.
        Worker bystander = start("bystander", () -> st[0].touch());
        ws.add(bystander);
        awaitBlockedEntering(bystander.thread, st[0]);
        release.countDown();
        MonitorTesting.assertNoFailures(ws);
        assertThat(SafeThread.stats().deadlocksBroken()).isEqualTo(before);
    }

    @Test
    void aThreadQueuedBehindACycleIsNotTheVictim() throws Throwable {
        StationImpl aImpl = new StationImpl();
        StationImpl bImpl = new StationImpl();
        Station a = Monitor.of(aImpl, Station.class);
        Station b = Monitor.of(bImpl, Station.class);
        CountDownLatch holdsA = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        long before = SafeThread.stats().deadlocksBroken();
        Worker closer = start("cycle-closer", () -> a.poke(b, () -> {
            holdsA.countDown();
            MonitorTesting.await(go);
        }));
        MonitorTesting.await(holdsA);
        Worker bystander = start("queued-bystander", a::touch);
        awaitBlockedEntering(bystander.thread, a);
        Worker member = start("cycle-member", () -> b.poke(a, () -> { }));
        awaitBlockedEntering(member.thread, a);
        go.countDown();
        Throwable fc = closer.joinAndGetFailure();
        Throwable fm = member.joinAndGetFailure();
        bystander.joinAndCheck(); // never the victim: it holds nothing and is on no cycle
        assertThat((fc == null ? 0 : 1) + (fm == null ? 0 : 1)).as("exactly one victim").isEqualTo(1);
        assertThat(fc != null ? fc : fm).isInstanceOf(DeadlockException.class);
        if (fc != null) {
            assertThat(bImpl.touched).isZero();
            assertThat(aImpl.touched).isEqualTo(2); // member and bystander
        } else {
            assertThat(aImpl.touched).isEqualTo(1); // bystander only
            assertThat(bImpl.touched).isEqualTo(1); // closer
        }
        assertThat(SafeThread.stats().deadlocksBroken() - before).isEqualTo(1);
    }

    // ------------------------------------------------------------------ condition waits and leave

    @Test
    void aThreadWaitingOnAConditionIsNotANodeOfTheWaitForGraph() throws Throwable {
        Outer x = Monitor.of(new Outer());
        Inner innerImpl = new Inner();
        Inner a = Monitor.of(innerImpl);
        CountDownLatch t1Waiting = new CountDownLatch(1);
        CountDownLatch t2Inside = new CountDownLatch(1);
        long before = SafeThread.stats().deadlocksBroken();
        // T1 holds X, enters A and waits on a condition there (A released, X still held).
        Worker t1 = start("cond-waiter", () -> x.run(() -> a.awaitUntilInterrupted(t1Waiting)));
        MonitorTesting.await(t1Waiting);
        // T2 enters A and calls X, held by T1: if T1's condition wait counted as waiting for A
        // (held by T2), this would close a cycle T2 -> X -> T1 -> A -> T2 right here.
        Worker t2 = start("cond-entrant", () -> a.callInto(x, t2Inside));
        MonitorTesting.await(t2Inside);
        awaitBlockedEntering(t2.thread, x); // registered and detected (no delay) before parking
        assertThat(SafeThread.stats().deadlocksBroken()).as("no deadlock while T1 only awaits").isEqualTo(before);
        assertThat(t2.finished()).isFalse();
        // Interrupting T1 makes it re-enter A (held by T2): now it is a real entry wait and the
        // cycle is real. T1 re-acquires and cannot be the victim, so T2 is.
        t1.thread.interrupt();
        Throwable f2 = t2.joinAndGetFailure();
        t1.joinAndCheck();
        assertThat(f2).isInstanceOf(DeadlockException.class);
        DeadlockException e = (DeadlockException) f2;
        assertThat(e.cycle().get(0).threadName()).isEqualTo("cond-entrant");
        assertThat(e.cycle().get(0).waitsFor()).isEqualTo(x.toString());
        assertThat(e.getMessage()).contains("cond-waiter", "cond-entrant", x.toString(), a.toString());
        assertThat(innerImpl.touched).as("T1 re-entered A after the interrupt").isEqualTo(100);
        assertThat(SafeThread.stats().deadlocksBroken()).isEqualTo(before + 1);
    }

    @Test
    void aThreadInsideALeaveActionIsNotANodeOfTheWaitForGraph() throws Throwable {
        Outer x = Monitor.of(new Outer());
        Inner innerImpl = new Inner();
        Inner a = Monitor.of(innerImpl);
        CountDownLatch t1InLeave = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch t2Inside = new CountDownLatch(1);
        long before = SafeThread.stats().deadlocksBroken();
        Worker t1 = start("leaver", () -> x.run(() -> a.leaveUntil(t1InLeave, release)));
        MonitorTesting.await(t1InLeave);
        Worker t2 = start("leave-entrant", () -> a.callInto(x, t2Inside));
        MonitorTesting.await(t2Inside);
        awaitBlockedEntering(t2.thread, x);
        assertThat(SafeThread.stats().deadlocksBroken()).as("no deadlock while T1 is in leave").isEqualTo(before);
        release.countDown(); // T1 re-enters A, held by T2, which waits for X held by T1: now a cycle
        Throwable f2 = t2.joinAndGetFailure();
        t1.joinAndCheck();
        assertThat(f2).isInstanceOf(DeadlockException.class);
        assertThat(((DeadlockException) f2).cycle().get(0).threadName()).isEqualTo("leave-entrant");
        assertThat(innerImpl.touched).isEqualTo(100);
        assertThat(SafeThread.stats().deadlocksBroken()).isEqualTo(before + 1);
    }

    @Test
    void leavingToCallAMonitorWhoseHolderCallsBackIsNoDeadlock() throws Throwable {
        // T1: A -> leave -> X.   T2: X -> A.  Without leave this is AB/BA; with it, both finish.
        Outer xImpl = new Outer();
        Outer x = Monitor.of(xImpl);
        Inner a = Monitor.of(new Inner());
        long before = SafeThread.stats().deadlocksBroken();
        for (int round = 0; round < 50; round++) {
            CyclicBarrier both = new CyclicBarrier(2);
            Worker t1 = start("leave-out-" + round, () -> {
                MonitorTesting.await(both);
                a.leaveInto(x);
            });
            Worker t2 = start("call-back-" + round, () -> x.run(() -> {
                MonitorTesting.await(both);
                a.touch();
                return "ok";
            }));
            t1.joinAndCheck();
            t2.joinAndCheck();
        }
        assertThat(SafeThread.stats().deadlocksBroken()).isEqualTo(before);
        assertThat(a.touched()).isEqualTo(50);
    }
}
