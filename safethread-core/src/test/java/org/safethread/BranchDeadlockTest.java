package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.safethread.Branch.Child.State;
import org.safethread.BranchTesting.Kind;
import org.safethread.MonitorTesting.Worker;

/**
 * Deadlocks through joins (CONTRACT §6, "Deadlocks through joins"): an owner in {@code join}
 * waits on every live child; a cycle through a join is broken at once by refusing a monitor
 * entry (never the join), the victim's {@link DeadlockException} is its child's failure and
 * {@code join} rethrows that very object; the message names the branch and its children; no
 * false positives for programs that take monitors in a global order.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BranchDeadlockTest {

    /** An account whose monitor methods open branches. */
    public static class Account {
        private int balance;

        @MonitorMethod
        public int deposit(int amount) {
            balance += amount;
            return balance;
        }

        @MonitorMethod
        public int balance() {
            return balance;
        }

        /** python-safethread's case: a branch inside the monitor whose child calls the same monitor. */
        @MonitorMethod
        public int depositThroughAChild(Account self, int amount, Kind kind) throws InterruptedException {
            balance += 1000; // changed before the branch: must stay (the victim is the child's entry)
            try (Branch b = kind.open()) {
                b.fork(() -> self.deposit(amount));
                b.join();
            }
            return balance;
        }

        /** A first child blocks on a latch (not a graph wait), a second deadlocks. */
        @MonitorMethod
        public void latchThenDeadlock(Account self, CountDownLatch never, AtomicReference<Object> firstState,
                Kind kind) throws InterruptedException {
            try (Branch b = kind.open()) {
                Branch.Child<Void> first = b.fork(() -> {
                    never.await();
                    return null;
                });
                b.fork(() -> self.deposit(1));
                try {
                    b.join();
                } finally {
                    firstState.set(first.state());
                }
            }
        }

        /** The grandchild enters this (its grandparent's) monitor. */
        @MonitorMethod
        public void grandchildEnters(Account self, Kind kind) throws InterruptedException {
            try (Branch b = kind.open()) {
                b.fork(() -> {
                    try (Branch inner = kind.open()) {
                        inner.fork(() -> self.deposit(1));
                        inner.join();
                    }
                    return null;
                });
                b.join();
            }
        }

        /**
         * Holds this monitor and joins two children: one enters {@code other} and then this
         * monitor, the other waits for {@code other} (a cycle of a join and two monitors).
         */
        @MonitorMethod
        public void joinAndTwoMonitors(Account self, Account other, CountDownLatch otherHeld) throws InterruptedException {
            try (Branch b = Branch.open()) {
                b.fork(() -> other.holdThenCall(self, otherHeld));
                b.fork(() -> {
                    otherHeld.await();
                    return other.deposit(1);
                });
                MonitorTesting.await(otherHeld);
                b.join();
            }
        }

        @MonitorMethod
        public int holdThenCall(Account target, CountDownLatch held) {
            held.countDown();
            return target.deposit(1);
        }
    }

    private static void assume(Kind kind) {
        assumeTrue(kind.available(), "virtual threads need JDK 21+");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void pythonAMonitorMethodWhoseBranchChildCallsTheSameMonitorGetsDeadlockExceptionFromJoin(Kind kind) {
        assume(kind);
        Account a = Monitor.of(new Account());
        long before = SafeThread.stats().deadlocksBroken();
        Throwable t = catchThrowable(() -> a.depositThroughAChild(a, 5, kind));
        assertThat(t).isInstanceOf(DeadlockException.class);
        assertThat(t.getMessage()).contains("branch#").contains("waits for the end of branch#")
                .contains(kind == Kind.PLATFORM ? "live children: branch#" : "live children: child 1 (#")
                .contains("blocked by its child ").contains(kind == Kind.PLATFORM ? "-child-1" : "#")
                .contains("Account");
        assertThat(a.balance()).isEqualTo(1000); // the child's deposit never entered; the owner's change stays
        assertThat(SafeThread.stats().deadlocksBroken() - before).isEqualTo(1);
        assertThat(a.deposit(1)).isEqualTo(1001); // the monitor is free and works
    }

    @Test
    void theRetryLoopWorksAcrossABranch() throws Exception {
        Account a = Monitor.of(new Account());
        int attempts = 0;
        for (;;) {
            attempts++;
            try {
                if (attempts == 1) {
                    a.depositThroughAChild(a, 5, Kind.PLATFORM); // deadlocks: the child's DeadlockException, rethrown by join
                } else {
                    try (Branch b = Branch.open()) { // the fixed shape: the branch outside the monitor
                        b.fork(() -> a.deposit(5));
                        b.join();
                    }
                }
                break;
            } catch (DeadlockException e) {
                assertThat(attempts).isEqualTo(1);
            }
        }
        assertThat(attempts).isEqualTo(2);
        assertThat(a.balance()).isEqualTo(1005);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aSecondChildDeadlockingWhileTheFirstWaitsOnALatchIsFoundAtOnce(Kind kind) {
        assume(kind);
        Account a = Monitor.of(new Account());
        CountDownLatch never = new CountDownLatch(1);
        AtomicReference<Object> firstState = new AtomicReference<>();
        Throwable t = catchThrowable(() -> a.latchThenDeadlock(a, never, firstState, kind));
        assertThat(t).isInstanceOf(DeadlockException.class);
        assertThat(firstState.get()).isEqualTo(State.CANCELLED); // fail fast interrupted the latch wait
        assertThat(never.getCount()).isEqualTo(1);
        assertThat(a.balance()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aGrandchildEnteringItsGrandparentsMonitorIsRefusedAndTheFailureTravelsUp(Kind kind) {
        assume(kind);
        Account a = Monitor.of(new Account());
        Throwable t = catchThrowable(() -> a.grandchildEnters(a, kind));
        assertThat(t).isInstanceOf(DeadlockException.class);
        assertThat(t.getMessage()).contains("is a child of branch#").contains("live children");
        assertThat(a.balance()).isZero();
    }

    @Test
    void aCycleOfAJoinAndTwoMonitorsIsBrokenAndJoinRethrowsTheVictimsException() {
        for (int round = 0; round < 20; round++) {
            Account a = Monitor.of(new Account());
            Account other = Monitor.of(new Account());
            CountDownLatch otherHeld = new CountDownLatch(1);
            long before = SafeThread.stats().deadlocksBroken();
            Throwable t = catchThrowable(() -> a.joinAndTwoMonitors(a, other, otherHeld));
            assertThat(t).isInstanceOf(DeadlockException.class);
            assertThat(SafeThread.stats().deadlocksBroken() - before).isBetween(1L, 2L);
            assertThat(a.balance()).isZero(); // nobody entered the owner's monitor
            assertThat(other.balance()).isBetween(0, 1);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aChildBlockedOnTheOwnersMonitorOutsideAnyCycleIsNotAVictim(Kind kind) throws Throwable {
        assume(kind);
        // The owner holds the monitor only until it joins elsewhere: no cycle, no victim.
        Account a = Monitor.of(new Account());
        CountDownLatch entered = new CountDownLatch(1);
        Worker holder = MonitorTesting.start("holder", () -> a.holdThenCall(a, entered));
        holder.joinAndCheck();
        long before = SafeThread.stats().deadlocksBroken();
        try (Branch b = kind.open()) {
            for (int i = 0; i < 8; i++) {
                b.fork(() -> a.deposit(1));
            }
            b.join();
        }
        assertThat(a.balance()).isEqualTo(9);
        assertThat(SafeThread.stats().deadlocksBroken() - before).isZero();
    }

    // ------------------------------------------------------------------ no false positives

    /** A monitor in a global order; a visit enters it and goes on to higher-ranked ones. */
    public static class Ranked {
        private final int rank;
        private int visits;

        public Ranked() {
            this(0);
        }

        Ranked(int rank) {
            this.rank = rank;
        }

        /**
         * Enters this monitor, then visits a random increasing sub-sequence of {@code higher}:
         * directly (nested monitor calls) or from the children of a branch opened here.
         */
        @MonitorMethod
        public void visit(List<Ranked> higher, long seed, int depth, AtomicLong total) throws InterruptedException {
            visits++;
            total.incrementAndGet();
            if (higher.isEmpty() || depth > 3) {
                return;
            }
            SplittableRandom r = new SplittableRandom(seed);
            int from = r.nextInt(higher.size());
            Ranked next = higher.get(from);
            List<Ranked> rest = List.copyOf(higher.subList(from + 1, higher.size()));
            if (r.nextBoolean()) {
                next.visit(rest, r.nextLong(), depth + 1, total);
                return;
            }
            try (Branch b = Branch.open()) {
                int kids = 1 + r.nextInt(3);
                for (int k = 0; k < kids; k++) {
                    long s = r.nextLong();
                    b.fork(() -> {
                        next.visit(rest, s, depth + 1, total);
                        return null;
                    });
                }
                b.join();
            }
        }

        @MonitorMethod
        public int visits() {
            return visits;
        }
    }

    @Test
    void randomNestedBranchesTakingMonitorsInAGlobalOrderNeverSeeADeadlockException() throws Exception {
        int n = 6;
        List<Ranked> ranked = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ranked.add(Monitor.of(new Ranked(i)));
        }
        List<Ranked> all = List.copyOf(ranked);
        AtomicLong total = new AtomicLong();
        AtomicInteger deadlocks = new AtomicInteger();
        long before = SafeThread.stats().deadlocksBroken();
        long seed = System.nanoTime();
        List<Worker> workers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            long ws = seed + w;
            workers.add(MonitorTesting.start("ordered-" + w, () -> {
                SplittableRandom r = new SplittableRandom(ws);
                for (int i = 0; i < 150; i++) {
                    int first = r.nextInt(n);
                    try {
                        all.get(first).visit(List.copyOf(all.subList(first + 1, n)), r.nextLong(), 0, total);
                    } catch (DeadlockException e) {
                        deadlocks.incrementAndGet();
                        throw e;
                    }
                }
            }));
        }
        MonitorTesting.assertNoFailures(workers);
        assertThat(deadlocks.get()).as("seed %d", seed).isZero();
        assertThat(SafeThread.stats().deadlocksBroken() - before).as("seed %d", seed).isZero();
        long visits = 0;
        for (Ranked m : ranked) {
            visits += m.visits();
        }
        assertThat(visits).isEqualTo(total.get());
    }
}
