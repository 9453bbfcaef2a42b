package org.safethread.bench;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Timeout;
import org.openjdk.jmh.annotations.Warmup;
import org.safethread.DeadlockException;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/**
 * Deadlock retries under a crowd (issue 13, "deadlock retries that stay bounded"): {@code threads}
 * platform threads each make one transfer between two of three accounts and return; the time is
 * from releasing them all at once to the last one ending. Three ways:
 * <ul>
 *   <li>{@code monitorsRandomOrder}: each account is {@code Monitor.of(new Account())}; a transfer
 *       calls {@code from.transferTo(to, 1)}, which enters {@code to} inside {@code from}, in
 *       whatever order the pair came, so transfers deadlock; a victim's {@code deposit} throws
 *       {@link DeadlockException} without entering and the thread retries at once (the guide's
 *       pattern). The per-iteration tear-down prints the refusals per transfer (mean, p50, p99,
 *       max) and checks that money is conserved;</li>
 *   <li>{@code monitorsFixedOrder}: the same monitors and threads, each transfer entering the
 *       lower account first (no deadlock can form): the baseline the goal is set against;</li>
 *   <li>{@code reentrantLockFixedOrder}: the same with a {@link ReentrantLock} per account, taken
 *       in the global order, as one writes it by hand.</li>
 * </ul>
 * The threads are made, started and parked at a latch in the per-invocation setup, so the
 * measured time is the transfers', not thread creation's. The pairs are the same in every
 * invocation (a fixed seed).
 *
 * <p>Goals (issue 13): p99 refusals per transfer &le; 3, and {@code monitorsRandomOrder} &le; 1.5x
 * {@code monitorsFixedOrder}, at 10,000 threads.
 *
 * <p>Command: {@code java -jar safethread-bench/target/benchmarks.jar RetryCrowdBench -f 2}.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(2)
@Timeout(time = 120)
@State(Scope.Benchmark)
public class RetryCrowdBench {
    static final int ACCOUNTS = 3;
    static final long OPENING = 1_000_000L;
    /** Most time one invocation's threads may take to end before the run fails instead of hanging. */
    static final long JOIN_MILLIS = TimeUnit.SECONDS.toMillis(100);

    /** An account; made a monitor with {@code Monitor.of}. Non-final so a class proxy can subclass it. */
    public static class Account {
        private long balance = OPENING;

        /** Deposits into {@code to} first (inside this monitor), so a refused entry changes nothing. */
        @MonitorMethod
        public void transferTo(Account to, long amount) {
            to.deposit(amount);
            balance -= amount;
        }

        @MonitorMethod
        public void deposit(long amount) {
            balance += amount;
        }

        @MonitorMethod
        public long balance() {
            return balance;
        }
    }

    /** The hand-written peer's account. */
    static final class LockedAccount {
        final ReentrantLock lock = new ReentrantLock();
        long balance = OPENING;
    }

    @Param({"10000"})
    int threads;

    int[] from;
    int[] to;
    Account[] monitors;
    LockedAccount[] locked;
    int[] refusals;
    Thread[] crowd;
    CountDownLatch go;
    final AtomicReference<Throwable> failure = new AtomicReference<>();

    @Setup(Level.Trial)
    public void pairs() {
        from = new int[threads];
        to = new int[threads];
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < threads; i++) {
            from[i] = random.nextInt(ACCOUNTS);
            to[i] = (from[i] + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
        }
        monitors = new Account[ACCOUNTS];
        locked = new LockedAccount[ACCOUNTS];
        for (int a = 0; a < ACCOUNTS; a++) {
            monitors[a] = Monitor.of(new Account());
            locked[a] = new LockedAccount();
        }
        refusals = new int[threads];
    }

    /** The transfer thread {@code i} makes in one variant. */
    interface Transfer {
        void run(int i);
    }

    /** Makes and starts the crowd, each thread parked at the latch until the measured method opens it. */
    private void startCrowd(Transfer transfer) {
        go = new CountDownLatch(1);
        crowd = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            int id = i;
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    transfer.run(id);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "crowd-" + i);
            t.setDaemon(true);
            crowd[i] = t;
            t.start();
        }
    }

    private void randomOrder(int i) {
        Account a = monitors[from[i]];
        Account b = monitors[to[i]];
        for (;;) {
            try {
                a.transferTo(b, 1);
                return;
            } catch (DeadlockException e) {
                refusals[i]++;
            }
        }
    }

    private void fixedOrder(int i) {
        int lo = Math.min(from[i], to[i]);
        int hi = Math.max(from[i], to[i]);
        if (from[i] == lo) {
            monitors[lo].transferTo(monitors[hi], 1);
        } else {
            monitors[lo].transferTo(monitors[hi], -1); // the same move, entered lower first
        }
    }

    private void lockFixedOrder(int i) {
        LockedAccount lo = locked[Math.min(from[i], to[i])];
        LockedAccount hi = locked[Math.max(from[i], to[i])];
        lo.lock.lock();
        try {
            hi.lock.lock();
            try {
                locked[from[i]].balance -= 1;
                locked[to[i]].balance += 1;
            } finally {
                hi.lock.unlock();
            }
        } finally {
            lo.lock.unlock();
        }
    }

    /** One state per variant, so each setup starts only the crowd its benchmark releases. */
    @State(Scope.Benchmark)
    public static class RandomCrowd {
        @Setup(Level.Invocation)
        public void start(RetryCrowdBench b) {
            Arrays.fill(b.refusals, 0);
            b.startCrowd(b::randomOrder);
        }

        @TearDown(Level.Invocation)
        public void report(RetryCrowdBench b) {
            int[] sorted = b.refusals.clone();
            Arrays.sort(sorted);
            long sum = 0;
            for (int r : sorted) {
                sum += r;
            }
            int n = sorted.length;
            System.out.printf("%n[RetryCrowdBench] refusals per transfer: mean %.3f, p50 %d, p99 %d, max %d%n",
                    (double) sum / n, sorted[n / 2], sorted[(int) (n * 0.99)], sorted[n - 1]);
        }
    }

    @State(Scope.Benchmark)
    public static class FixedCrowd {
        @Setup(Level.Invocation)
        public void start(RetryCrowdBench b) {
            b.startCrowd(b::fixedOrder);
        }
    }

    @State(Scope.Benchmark)
    public static class LockCrowd {
        @Setup(Level.Invocation)
        public void start(RetryCrowdBench b) {
            b.startCrowd(b::lockFixedOrder);
        }
    }

    @Benchmark
    public void monitorsRandomOrder(RandomCrowd crowd) throws InterruptedException {
        releaseAndJoin();
    }

    @Benchmark
    public void monitorsFixedOrder(FixedCrowd crowd) throws InterruptedException {
        releaseAndJoin();
    }

    @Benchmark
    public void reentrantLockFixedOrder(LockCrowd crowd) throws InterruptedException {
        releaseAndJoin();
    }

    private void releaseAndJoin() throws InterruptedException {
        go.countDown();
        long deadline = System.currentTimeMillis() + JOIN_MILLIS;
        for (Thread t : crowd) {
            t.join(Math.max(1, deadline - System.currentTimeMillis()));
            MonitorCallBench.check(!t.isAlive(), t.getName() + " ended within " + JOIN_MILLIS + " ms");
        }
        Throwable e = failure.get();
        MonitorCallBench.check(e == null, "no transfer failed (" + e + ")");
    }

    @TearDown(Level.Trial)
    public void conserved() {
        long m = 0;
        long p = 0;
        for (int a = 0; a < ACCOUNTS; a++) {
            m += monitors[a].balance();
            p += locked[a].balance;
        }
        long expected = ACCOUNTS * OPENING;
        MonitorCallBench.check(m == expected && p == expected,
                "money is conserved (monitors " + m + ", locks " + p + ", expected " + expected + ")");
    }
}
