package org.safethread.bench;

import com.google.common.util.concurrent.CycleDetectingLockFactory;
import com.google.common.util.concurrent.CycleDetectingLockFactory.PotentialDeadlockException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.safethread.DeadlockException;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/**
 * Bank transfers, the examples' workload as a benchmark: 4 threads move 1 unit at a time between
 * two random accounts of 8, each transfer holding the paying account while it takes the receiving
 * one, in whatever order the pair comes (so opposite transfers between a pair can deadlock).
 *
 * <p>What is measured: transfers completed per microsecond, all threads together. Three ways to
 * write it:
 * <ul>
 *   <li>{@code safethread}: each account is {@code Monitor.of(new Account())};
 *       {@code from.transferTo(to, 1)} calls {@code to.deposit(1)} inside {@code from}'s monitor.
 *       A deadlock is broken by the runtime: the victim's {@code deposit} throws
 *       {@link DeadlockException} without entering, {@code transferTo} undoes its withdrawal, and
 *       the loop retries at once (the guide's pattern).</li>
 *   <li>{@code tryLockBackOff}: what one writes with plain locks to avoid the deadlock
 *       (<i>Java Concurrency in Practice</i>, listing 13.3): lock {@code from}, {@code tryLock}
 *       {@code to}; on failure release {@code from}, back off (randomized exponential: spin, then
 *       {@code Thread.yield()}) and retry.</li>
 *   <li>{@code guavaCycleDetecting}: Guava's {@link CycleDetectingLockFactory} with
 *       {@code Policies.THROW}: it throws {@link PotentialDeadlockException} when locks are taken
 *       in an order inconsistent with an order seen before, whether or not a deadlock happens.
 *       The loop then retries in the global order (lower account first). The setup takes every
 *       pair once in the global order, so that order is the one the factory has seen and the
 *       retry never throws (without it, the first transfers would fix an arbitrary order and a
 *       retry in account order could be refused for ever).</li>
 * </ul>
 * Each variant checks at tear-down that no money was created or lost.
 *
 * <p>Goal: {@code safethread} &ge; both peers.
 *
 * <p>Command: {@code java -jar safethread-bench/target/benchmarks.jar BankBench -f 3}. The
 * tear-down prints how many transfers the safethread variant retried after a
 * {@code DeadlockException}, and the Guava variant after a {@code PotentialDeadlockException}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
@Threads(4)
@State(Scope.Benchmark)
public class BankBench {
    static final int ACCOUNTS = 8;
    static final long OPENING = 1_000_000L;

    /** A bank account; made a monitor with {@code Monitor.of}. Non-final so a class proxy can subclass it. */
    public static class Account {
        private long balance = OPENING;

        @MonitorMethod
        public long balance() {
            return balance;
        }

        @MonitorMethod
        public void deposit(long amount) {
            balance += amount;
        }

        /** Withdraws here and deposits into {@code to} (entering its monitor) while holding this one. */
        @MonitorMethod
        public void transferTo(Account to, long amount) {
            balance -= amount;
            try {
                to.deposit(amount);
            } catch (RuntimeException e) {
                balance += amount; // the deposit did not happen (a DeadlockException did not enter)
                throw e;
            }
        }
    }

    /** An account guarded by a lock by hand: the peers' account. */
    static final class LockedAccount {
        final ReentrantLock lock;
        long balance = OPENING;

        LockedAccount(ReentrantLock lock) {
            this.lock = lock;
        }
    }

    Account[] monitors;
    LockedAccount[] plain;
    LockedAccount[] guava;
    final LongAdder deadlockRetries = new LongAdder();
    final LongAdder guavaRetries = new LongAdder();

    @Setup(Level.Trial)
    public void setup() {
        monitors = new Account[ACCOUNTS];
        plain = new LockedAccount[ACCOUNTS];
        guava = new LockedAccount[ACCOUNTS];
        CycleDetectingLockFactory factory = CycleDetectingLockFactory.newInstance(CycleDetectingLockFactory.Policies.THROW);
        for (int i = 0; i < ACCOUNTS; i++) {
            monitors[i] = Monitor.of(new Account());
            plain[i] = new LockedAccount(new ReentrantLock());
            guava[i] = new LockedAccount(factory.newReentrantLock("account-" + i));
        }
        // Teach the factory the global order (see the class comment).
        for (int i = 0; i < ACCOUNTS; i++) {
            for (int j = i + 1; j < ACCOUNTS; j++) {
                guava[i].lock.lock();
                guava[j].lock.lock();
                guava[j].lock.unlock();
                guava[i].lock.unlock();
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        long m = 0;
        long p = 0;
        long g = 0;
        for (int i = 0; i < ACCOUNTS; i++) {
            m += monitors[i].balance();
            p += plain[i].balance;
            g += guava[i].balance;
        }
        long expected = ACCOUNTS * OPENING;
        MonitorCallBench.check(m == expected && p == expected && g == expected,
                "money is conserved (monitors " + m + ", tryLock " + p + ", guava " + g + ", expected " + expected + ")");
        System.out.println("\n[BankBench] retries after DeadlockException: " + deadlockRetries.sum()
                + "; after PotentialDeadlockException: " + guavaRetries.sum());
    }

    /** @return two distinct account indexes, in random order: {from, to} packed as from * ACCOUNTS + to */
    static int pair() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        int from = r.nextInt(ACCOUNTS);
        int to = r.nextInt(ACCOUNTS - 1);
        if (to >= from) {
            to++;
        }
        return from * ACCOUNTS + to;
    }

    @Benchmark
    public int safethread() {
        int p = pair();
        Account from = monitors[p / ACCOUNTS];
        Account to = monitors[p % ACCOUNTS];
        for (;;) {
            try {
                from.transferTo(to, 1);
                return p;
            } catch (DeadlockException e) {
                deadlockRetries.increment();
            }
        }
    }

    @Benchmark
    public int tryLockBackOff() {
        int p = pair();
        LockedAccount from = plain[p / ACCOUNTS];
        LockedAccount to = plain[p % ACCOUNTS];
        for (int attempt = 0;; attempt++) {
            from.lock.lock();
            try {
                if (to.lock.tryLock()) {
                    try {
                        from.balance -= 1;
                        to.balance += 1;
                        return p;
                    } finally {
                        to.lock.unlock();
                    }
                }
            } finally {
                from.lock.unlock();
            }
            backOff(attempt);
        }
    }

    /** Randomized exponential back-off: up to 2^attempt spins (capped), then yielding the CPU. */
    static void backOff(int attempt) {
        int spins = ThreadLocalRandom.current().nextInt(1 << Math.min(attempt + 1, 10));
        for (int i = 0; i < spins; i++) {
            Thread.onSpinWait();
        }
        if (attempt >= 3) {
            Thread.yield();
        }
    }

    @Benchmark
    public int guavaCycleDetecting() {
        int p = pair();
        LockedAccount from = guava[p / ACCOUNTS];
        LockedAccount to = guava[p % ACCOUNTS];
        LockedAccount first = from;
        LockedAccount second = to;
        for (;;) {
            LockedAccount held = first;
            held.lock.lock();
            try {
                second.lock.lock(); // throws before taking it if the order is inconsistent
                try {
                    from.balance -= 1;
                    to.balance += 1;
                    return p;
                } finally {
                    second.lock.unlock();
                }
            } catch (PotentialDeadlockException e) {
                guavaRetries.increment();
                boolean fromFirst = p / ACCOUNTS < p % ACCOUNTS;
                first = fromFirst ? from : to;
                second = fromFirst ? to : from;
            } finally {
                held.lock.unlock();
            }
        }
    }
}
