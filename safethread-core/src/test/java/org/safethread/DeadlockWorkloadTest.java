package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.safethread.MonitorTesting.start;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.MonitorTesting.Worker;

/**
 * Deadlock breaking under load (CONTRACT §1): transfers between random pairs of accounts, nested
 * in random order, retried on {@link DeadlockException} — all complete and money is conserved;
 * the same with a consistent lock order never sees a DeadlockException (no false positives) over
 * at least a million contended monitor entries.
 */
class DeadlockWorkloadTest {

    /** An account; transfers nest a call into the other account, which may be refused. */
    public static class Account {
        private long balance;

        Account(long balance) {
            this.balance = balance;
        }

        /** Locks this, then {@code to}. Changes this only after the nested call succeeded. */
        @MonitorMethod
        public void push(Account to, long amount) {
            Thread.yield(); // hold this monitor while others run: contention and cycles
            to.deposit(amount);
            balance -= amount;
        }

        /** Locks this, then {@code from}. */
        @MonitorMethod
        public void pull(Account from, long amount) {
            Thread.yield();
            from.withdraw(amount);
            balance += amount;
        }

        @MonitorMethod
        public void deposit(long amount) {
            Thread.yield();
            balance += amount;
        }

        @MonitorMethod
        public void withdraw(long amount) {
            Thread.yield();
            balance -= amount;
        }

        @MonitorMethod
        public long balance() {
            return balance;
        }
    }

    private static Account[] accounts(int n, long each) {
        Account[] a = new Account[n];
        for (int i = 0; i < n; i++) {
            a[i] = Monitor.of(new Account(each));
        }
        return a;
    }

    private static long total(Account[] accounts) {
        long sum = 0;
        for (Account a : accounts) {
            sum += a.balance();
        }
        return sum;
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void randomNestingOrderWithRetriesCompletesEveryTransferAndConservesMoney() throws Throwable {
        int nAccounts = 5;
        int threads = 4;
        int perThread = 1500;
        Account[] acc = accounts(nAccounts, 1000);
        LongAdder completed = new LongAdder();
        LongAdder deadlocks = new LongAdder();
        long broken0 = SafeThread.stats().deadlocksBroken();
        List<Worker> ws = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long seed = 42 + t;
            ws.add(start("random-" + t, () -> {
                SplittableRandom r = new SplittableRandom(seed);
                for (int k = 0; k < perThread; k++) {
                    int from = r.nextInt(nAccounts);
                    int to = (from + 1 + r.nextInt(nAccounts - 1)) % nAccounts;
                    long amount = 1 + r.nextInt(20);
                    boolean pushFirst = r.nextBoolean();
                    for (int attempt = 0; ; attempt++) {
                        if (attempt > 10_000) {
                            throw new AssertionError("transfer " + k + " did not complete in 10000 attempts");
                        }
                        try {
                            if (pushFirst) {
                                acc[from].push(acc[to], amount); // from, then to
                            } else {
                                acc[to].pull(acc[from], amount); // to, then from
                            }
                            completed.increment();
                            break;
                        } catch (DeadlockException e) {
                            deadlocks.increment();
                        }
                    }
                }
            }));
        }
        MonitorTesting.assertNoFailures(ws);
        assertThat(completed.sum()).isEqualTo((long) threads * perThread);
        assertThat(total(acc)).as("money conserved").isEqualTo(nAccounts * 1000L);
        long broken = SafeThread.stats().deadlocksBroken() - broken0;
        assertThat(broken).as("every broken deadlock reached exactly one victim").isEqualTo(deadlocks.sum());
        assertThat(deadlocks.sum()).as("the workload did deadlock (else it proves nothing)").isPositive();
    }

    /**
     * Two threads nesting the same two monitors in opposite orders, each retrying at once when it
     * is the victim. The victim's retry must not barge back into the monitor whose release woke
     * its partner (it would win the race and close the same cycle again, for ever: a livelock
     * that this test caught within seconds before victims queued behind waiters).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aVictimRetryingAtOnceDoesNotLiveLockWithItsPartner() throws Throwable {
        Account a = Monitor.of(new Account(1000));
        Account b = Monitor.of(new Account(1000));
        int minTransfers = 20_000;
        long wantDeadlocks = 1000;
        int maxAttempts = 1000;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        LongAdder deadlocks = new LongAdder();
        java.util.concurrent.atomic.AtomicInteger worst = new java.util.concurrent.atomic.AtomicInteger();
        List<Worker> ws = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            Account first = t == 0 ? a : b;
            Account second = t == 0 ? b : a;
            ws.add(start("opposite-" + t, () -> {
                // Until both have made enough transfers and enough deadlocks were broken (the
                // threads may happen to run one after the other for a while on 2 cores).
                for (int k = 0; k < minTransfers
                        || (deadlocks.sum() < wantDeadlocks && System.nanoTime() < deadline); k++) {
                    for (int attempt = 1; ; attempt++) {
                        if (attempt > maxAttempts) {
                            throw new AssertionError("transfer " + k + " did not complete in " + maxAttempts
                                    + " attempts (livelock)");
                        }
                        try {
                            first.push(second, 1);
                            worst.accumulateAndGet(attempt, Math::max);
                            break;
                        } catch (DeadlockException e) {
                            deadlocks.increment();
                        }
                    }
                }
            }));
        }
        MonitorTesting.assertNoFailures(ws);
        assertThat(a.balance() + b.balance()).as("money conserved").isEqualTo(2000);
        assertThat(deadlocks.sum()).as("the workload did deadlock (worst transfer took %d attempts)", worst.get())
                .isPositive();
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void consistentLockOrderNeverSeesADeadlockExceptionOverAMillionContendedEntries() throws Throwable {
        int nAccounts = 4;
        int threads = 4;
        long target = 1_000_000;
        Account[] acc = accounts(nAccounts, 1000);
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder entries = new LongAdder();
        LongAdder deadlocks = new LongAdder();
        long broken0 = SafeThread.stats().deadlocksBroken();
        long contended0 = SafeThread.stats().contendedEntries();
        List<Worker> ws = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long seed = 7 + t;
            ws.add(start("ordered-" + t, () -> {
                SplittableRandom r = new SplittableRandom(seed);
                while (!stop.get()) {
                    int i = r.nextInt(nAccounts);
                    int j = (i + 1 + r.nextInt(nAccounts - 1)) % nAccounts;
                    int lo = Math.min(i, j);
                    int hi = Math.max(i, j);
                    try {
                        // Always the lower index first, whichever way the money goes.
                        if (i == lo) {
                            acc[lo].push(acc[hi], 1);
                        } else {
                            acc[lo].pull(acc[hi], 1);
                        }
                    } catch (DeadlockException e) {
                        deadlocks.increment();
                        throw e; // a false positive: fail now
                    }
                    entries.add(2);
                }
            }));
        }
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(75);
        long contended;
        while ((contended = SafeThread.stats().contendedEntries() - contended0) < target
                && System.nanoTime() < deadline && ws.stream().noneMatch(Worker::finished)) {
            Thread.sleep(50);
        }
        stop.set(true);
        MonitorTesting.assertNoFailures(ws);
        double seconds = (System.nanoTime() - start) / 1e9;
        String rates = String.format("%d contended of %d entries in %.1f s", contended, entries.sum(), seconds);
        assertThat(deadlocks.sum()).as(rates).isZero();
        assertThat(SafeThread.stats().deadlocksBroken() - broken0).as(rates).isZero();
        assertThat(contended).as("contended entries (parked in the wait-for graph): " + rates)
                .isGreaterThanOrEqualTo(target);
        assertThat(total(acc)).isEqualTo(nAccounts * 1000L);
    }
}
