package org.safethread.examples;

import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.HdrHistogram.Histogram;
import org.safethread.DeadlockException;
import org.safethread.Monitor;
import org.safethread.MonitorSpace;
import org.safethread.SafeThread;

/**
 * The bank: threads move random amounts between random pairs of accounts, each transfer holding
 * the paying account's lock while it takes the receiving account's, in whatever order the pair
 * comes. Two modes run the same worker loop:
 * <ul>
 *   <li>{@link Mode#MONITORS}: each account is a safethread monitor ({@link Account}); deadlocks
 *       are broken by the runtime, the victim gets {@link DeadlockException} outside any monitor
 *       and retries the transfer. The run ends after the configured time and the total money is
 *       the same as at the start.</li>
 *   <li>{@link Mode#SPACE}: every account is a monitor of one {@link MonitorSpace} ("bank"): a
 *       transfer's deposit into the other account is a direct re-entry of the space, so no
 *       deadlock can form (and none is broken), at the price of one thread in the bank at a
 *       time.</li>
 *   <li>{@link Mode#PLAIN_LOCKS}: each account is a balance behind a bare {@link ReentrantLock},
 *       locked from, then to, nested. Sooner or later two threads wait for each other forever. A
 *       watchdog thread asks {@link ThreadMXBean#findDeadlockedThreads()} (a {@code ReentrantLock}
 *       is an ownable synchronizer, so the JVM sees the cycle), reports the threads and locks,
 *       and the run ends by interrupting the workers (they lock interruptibly, so they can be
 *       freed and the program exits instead of hanging).</li>
 * </ul>
 * The CLI ({@code bank}) and the tests share this class.
 */
public final class BankWorkload {
    /** Which locks guard the accounts. */
    public enum Mode {
        /** safethread monitors: deadlocks are broken, transfers retried. */
        MONITORS,
        /** safethread monitors all in one {@link MonitorSpace}: no deadlock can form. */
        SPACE,
        /** bare {@code ReentrantLock}s: the program hangs; a watchdog reports it. */
        PLAIN_LOCKS
    }

    /**
     * What to run.
     *
     * @param mode monitors or plain locks
     * @param threads worker threads (at least 1)
     * @param accounts accounts (at least 2)
     * @param duration how long the workers transfer money
     * @param initialBalance each account's opening balance
     * @param maxAmount transfers move 1..maxAmount
     * @param watchdogPeriod how often the plain mode's watchdog asks the JVM for deadlocks
     * @param afterHang how long the plain mode goes on reporting progress once the hang is found
     *     (to show the transfers stopping), before it frees the workers and ends; counted from the
     *     moment the hang is reported, even past {@code duration}
     */
    public record Config(Mode mode, int threads, int accounts, Duration duration, long initialBalance,
            int maxAmount, Duration watchdogPeriod, Duration afterHang) {
        public Config {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(duration, "duration");
            Objects.requireNonNull(watchdogPeriod, "watchdogPeriod");
            Objects.requireNonNull(afterHang, "afterHang");
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, got " + threads);
            }
            if (accounts < 2) {
                throw new IllegalArgumentException("accounts must be at least 2, got " + accounts);
            }
            if (initialBalance < 0 || maxAmount < 1) {
                throw new IllegalArgumentException("initialBalance must be >= 0 and maxAmount >= 1");
            }
            if (accounts * initialBalance < 0) {
                throw new IllegalArgumentException("accounts * initialBalance overflows");
            }
        }

        /**
         * @return the CLI's defaults for {@code mode}: 4 threads, 16 accounts of 1,000, 10 seconds,
         *     transfers up to 100, a watchdog every 100 ms, 2 s of progress after a hang
         */
        public static Config defaults(Mode mode) {
            return new Config(mode, 4, 16, Duration.ofSeconds(10), 1_000, 100, Duration.ofMillis(100),
                    Duration.ofSeconds(2));
        }

        public Config withThreads(int n) {
            return new Config(mode, n, accounts, duration, initialBalance, maxAmount, watchdogPeriod, afterHang);
        }

        public Config withAccounts(int n) {
            return new Config(mode, threads, n, duration, initialBalance, maxAmount, watchdogPeriod, afterHang);
        }

        public Config withDuration(Duration d) {
            return new Config(mode, threads, accounts, d, initialBalance, maxAmount, watchdogPeriod, afterHang);
        }

        public Config withAfterHang(Duration d) {
            return new Config(mode, threads, accounts, duration, initialBalance, maxAmount, watchdogPeriod, d);
        }
    }

    /**
     * One progress report, once a second.
     *
     * @param elapsed time since the workers started
     * @param transfersPerSecond transfers completed in the last interval, per second
     * @param transfers transfers completed so far (declined ones not counted)
     * @param deadlocksBroken deadlocks the runtime broke since the start ({@code SafeThread.stats()})
     * @param victims {@link DeadlockException}s the workers caught
     * @param retries transfers retried after a deadlock
     */
    public record Progress(Duration elapsed, long transfersPerSecond, long transfers, long deadlocksBroken,
            long victims, long retries) {
    }

    /**
     * A thread of the deadlock the watchdog found.
     *
     * @param thread its name
     * @param waitsForLock the lock it waits for, as the JVM names it ({@code class@identityHash})
     * @param lockOwner the thread that holds that lock
     * @param holdsLocks the ownable synchronizers it holds, as the JVM names them
     * @param holdsAccount the account whose lock it holds (from the worker's own bookkeeping), or -1
     * @param waitsForAccount the account whose lock it waits for, or -1
     */
    public record DeadlockedThread(String thread, String waitsForLock, String lockOwner, List<String> holdsLocks,
            int holdsAccount, int waitsForAccount) {
        /** @return one line for humans */
        public String describe() {
            String holds = holdsLocks.isEmpty() ? "holds no lock"
                    : "holds " + (holdsAccount >= 0 ? "account " + holdsAccount + " " : "") + holdsLocks;
            return String.format("%s %s, waits for %s(%s) held by %s", thread, holds,
                    waitsForAccount >= 0 ? "account " + waitsForAccount + " " : "", waitsForLock, lockOwner);
        }
    }

    /**
     * What the plain mode's watchdog saw.
     *
     * @param after time from the start of the run to the detection
     * @param transfersBefore transfers completed when the watchdog found the hang
     * @param threads the deadlocked threads
     */
    public record HangReport(Duration after, long transfersBefore, List<DeadlockedThread> threads) {
        public HangReport {
            threads = List.copyOf(threads);
        }

        /** @return a multi-line description */
        public String describe() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("HANG: ThreadMXBean.findDeadlockedThreads() reports %d threads deadlocked "
                    + "on ReentrantLocks, %.1f s into the run, after %,d transfers:",
                    threads.size(), after.toMillis() / 1000.0, transfersBefore));
            for (DeadlockedThread t : threads) {
                sb.append(System.lineSeparator()).append("  ").append(t.describe());
            }
            return sb.toString();
        }
    }

    /**
     * Transfer latencies: from a worker's first attempt at a transfer to its completion (declined
     * ones included), retries after a deadlock included. Recorded per worker in an HdrHistogram
     * (3 significant digits) and merged at the end; a transfer that never completed (a hung worker)
     * is not in it.
     *
     * @param count transfers measured
     * @param p50 the median
     * @param p99 the 99th percentile
     * @param max the slowest
     */
    public record Latency(long count, Duration p50, Duration p99, Duration max) {
        static Latency of(Histogram h) {
            if (h.getTotalCount() == 0) {
                return new Latency(0, Duration.ZERO, Duration.ZERO, Duration.ZERO);
            }
            return new Latency(h.getTotalCount(), Duration.ofNanos(h.getValueAtPercentile(50)),
                    Duration.ofNanos(h.getValueAtPercentile(99)), Duration.ofNanos(h.getMaxValue()));
        }
    }

    /**
     * The outcome.
     *
     * @param config what ran
     * @param elapsed how long the workers ran
     * @param transfers transfers completed
     * @param declined transfers refused for insufficient funds
     * @param deadlocksBroken deadlocks the runtime broke during the run (0 in plain mode)
     * @param victims {@link DeadlockException}s caught by the workers
     * @param retries transfers retried after a deadlock
     * @param maxRetries the most retries any one transfer needed
     * @param latency transfer latencies
     * @param totalBefore money in the bank before
     * @param totalAfter money after; -1 when it could not be read (a worker stuck inside an account)
     * @param firstDeadlock the message of the first {@link DeadlockException} a worker caught, or null
     * @param hang what the plain mode's watchdog found, or null
     * @param failures what went wrong (worker errors, stuck workers); empty when all went well
     */
    public record Result(Config config, Duration elapsed, long transfers, long declined, long deadlocksBroken,
            long victims, long retries, long maxRetries, Latency latency, long totalBefore, long totalAfter,
            String firstDeadlock, HangReport hang, List<String> failures) {
        public Result {
            Objects.requireNonNull(latency, "latency");
            failures = List.copyOf(failures);
        }

        /** @return transfers completed per second of the run */
        public long transfersPerSecond() {
            return transfers * 1_000_000_000L / Math.max(1, elapsed.toNanos());
        }

        /** @return whether the money at the end equals the money at the start */
        public boolean conserved() {
            return totalAfter == totalBefore;
        }

        /**
         * @return for monitors: conserved and no failures; for a space: also no deadlock at all;
         *     for plain locks: the hang was found and reported
         */
        public boolean succeeded() {
            boolean clean = conserved() && failures.isEmpty();
            switch (config.mode()) {
                case MONITORS:
                    return clean;
                case SPACE:
                    return clean && victims == 0 && deadlocksBroken == 0;
                default:
                    return clean && hang != null;
            }
        }
    }

    /** What the run tells its caller while it goes, on the calling thread. */
    public interface Listener {
        /** Once a second. */
        void progress(Progress p);

        /** At once when the plain mode's watchdog has found the hang. */
        default void hang(HangReport report) {
        }
    }

    /** A bank whose accounts are numbered 0..n-1. */
    private interface Bank {
        /** @return false if declined; throws DeadlockException (monitors) or InterruptedException (plain) */
        boolean transfer(Worker w, int from, int to, long amount) throws InterruptedException;

        long total();
    }

    /** safethread: one monitor per account, or every account a monitor of one space. */
    private static final class MonitorBank implements Bank {
        private final Account[] accounts;

        MonitorBank(int n, long balance, boolean oneSpace) {
            accounts = new Account[n];
            MonitorSpace space = oneSpace ? MonitorSpace.create("bank") : null;
            for (int i = 0; i < n; i++) {
                Account a = new Account(i, balance);
                accounts[i] = oneSpace ? space.monitor(a) : Monitor.of(a);
            }
        }

        @Override
        public boolean transfer(Worker w, int from, int to, long amount) {
            return accounts[from].transferTo(accounts[to], amount);
        }

        @Override
        public long total() {
            long sum = 0;
            for (Account a : accounts) {
                sum += a.balance();
            }
            return sum;
        }
    }

    /** The same bank on bare ReentrantLocks: lock from, then to, nested. */
    private static final class LockBank implements Bank {
        private static final class PlainAccount {
            final ReentrantLock lock = new ReentrantLock();
            long balance;   // guarded by lock
        }

        private final PlainAccount[] accounts;

        LockBank(int n, long balance) {
            accounts = new PlainAccount[n];
            for (int i = 0; i < n; i++) {
                accounts[i] = new PlainAccount();
                accounts[i].balance = balance;
            }
        }

        @Override
        public boolean transfer(Worker w, int from, int to, long amount) throws InterruptedException {
            PlainAccount a = accounts[from];
            PlainAccount b = accounts[to];
            w.waitingFor = from;
            a.lock.lockInterruptibly();
            try {
                w.holding = from;
                w.waitingFor = -1;
                if (a.balance < amount) {
                    return false;
                }
                a.balance -= amount;
                w.waitingFor = to;
                try {
                    b.lock.lockInterruptibly();   // nested, in pair order: the classic deadlock
                } catch (InterruptedException e) {
                    a.balance += amount;
                    throw e;
                }
                try {
                    b.balance += amount;
                } finally {
                    b.lock.unlock();
                }
                return true;
            } finally {
                w.holding = -1;
                w.waitingFor = -1;
                a.lock.unlock();
            }
        }

        @Override
        public long total() {
            long sum = 0;
            for (PlainAccount a : accounts) {
                a.lock.lock();
                try {
                    sum += a.balance;
                } finally {
                    a.lock.unlock();
                }
            }
            return sum;
        }
    }

    /** A worker thread and what it publishes for the watchdog's report. */
    private static final class Worker {
        final Thread thread;
        volatile int holding = -1;
        volatile int waitingFor = -1;
        /** Written by the worker only; read by the runner after joining it (join is the happens-before). */
        final Histogram latency = new Histogram(3);
        /** Like {@code latency}: the most retries one of this worker's transfers needed. */
        long maxRetries;

        Worker(Thread thread) {
            this.thread = thread;
        }
    }

    private final Config config;
    private final Bank bank;
    private final LongAdder transfers = new LongAdder();
    private final LongAdder declined = new LongAdder();
    private final LongAdder victims = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final AtomicReference<HangReport> hang = new AtomicReference<>();
    private final AtomicReference<String> firstDeadlock = new AtomicReference<>();
    private final CountDownLatch hangFound = new CountDownLatch(1);
    private final List<Worker> workers = new ArrayList<>();
    private volatile boolean stop;
    private long startNanos;

    private BankWorkload(Config config) {
        this.config = config;
        this.bank = config.mode() != Mode.PLAIN_LOCKS
                ? new MonitorBank(config.accounts(), config.initialBalance(), config.mode() == Mode.SPACE)
                : new LockBank(config.accounts(), config.initialBalance());
    }

    /**
     * Runs the bank.
     *
     * @param config what to run
     * @param listener told of progress once a second, and of a hang, on the calling thread
     * @return the outcome
     * @throws InterruptedException if the calling thread is interrupted
     */
    public static Result run(Config config, Listener listener) throws InterruptedException {
        return new BankWorkload(config).run(listener);
    }

    private Result run(Listener listener) throws InterruptedException {
        boolean monitors = config.mode() != Mode.PLAIN_LOCKS;
        long totalBefore = bank.total();
        long brokenBase = monitors ? SafeThread.stats().deadlocksBroken() : 0;
        for (int i = 0; i < config.threads(); i++) {
            Worker[] self = new Worker[1];
            Thread t = new Thread(() -> work(self[0]), "bank-" + (i + 1));
            t.setDaemon(true);   // a worker that never comes back must not keep the JVM alive
            self[0] = new Worker(t);
            workers.add(self[0]);
        }
        Thread watchdog = null;
        if (!monitors) {
            watchdog = new Thread(this::watch, "bank-watchdog");
            watchdog.setDaemon(true);
        }
        startNanos = System.nanoTime();
        long deadline = startNanos + config.duration().toNanos();
        for (Worker w : workers) {
            w.thread.start();
        }
        if (watchdog != null) {
            watchdog.start();
        }

        long lastTick = startNanos;
        long lastTransfers = 0;
        long end = deadline;
        boolean hangTold = false;
        while (failures.isEmpty()) {
            long now = System.nanoTime();
            long next = Math.min(lastTick + TimeUnit.SECONDS.toNanos(1), end);
            if (!hangTold && hangFound.await(Math.max(0, next - now), TimeUnit.NANOSECONDS)) {
                hangTold = true;
                listener.hang(hang.get());
                // Watch for afterHang from now, as the listener announces, even past the planned end.
                end = System.nanoTime() + config.afterHang().toNanos();
                continue;
            } else if (hangTold) {
                TimeUnit.NANOSECONDS.sleep(Math.max(0, next - now));
            }
            now = System.nanoTime();
            if (now >= end) {
                break;
            }
            long t = transfers.sum();
            long perSecond = (t - lastTransfers) * 1_000_000_000L / Math.max(1, now - lastTick);
            long broken = monitors ? SafeThread.stats().deadlocksBroken() - brokenBase : 0;
            listener.progress(new Progress(Duration.ofNanos(now - startNanos), perSecond, t, broken,
                    victims.sum(), retries.sum()));
            lastTick = now;
            lastTransfers = t;
        }
        stop = true;
        Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
        if (hang.get() != null) {
            // The deadlocked workers would wait forever; they lock interruptibly, so free them.
            for (Worker w : workers) {
                w.thread.interrupt();
            }
        }
        long joinDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        boolean allDone = true;
        for (Worker w : workers) {
            w.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinDeadline - System.nanoTime())));
            if (w.thread.isAlive()) {
                allDone = false;
                failures.add("worker " + w.thread.getName() + " did not finish within 5 s of the end (state "
                        + w.thread.getState() + ", at " + Arrays.toString(w.thread.getStackTrace()) + ")");
            }
        }
        if (watchdog != null) {
            watchdog.interrupt();
            watchdog.join(1000);
        }
        // A worker stuck inside an account would make reading its balance block too.
        long totalAfter = allDone ? bank.total() : -1;
        long broken = monitors ? SafeThread.stats().deadlocksBroken() - brokenBase : 0;
        Histogram latency = new Histogram(3);
        long maxRetries = 0;
        for (Worker w : workers) {
            if (!w.thread.isAlive()) {   // joined: its histogram is safe to read
                latency.add(w.latency);
                maxRetries = Math.max(maxRetries, w.maxRetries);
            }
        }
        return new Result(config, elapsed, transfers.sum(), declined.sum(), broken, victims.sum(), retries.sum(),
                maxRetries, Latency.of(latency), totalBefore, totalAfter, firstDeadlock.get(), hang.get(), failures);
    }

    private void work(Worker me) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        int n = config.accounts();
        try {
            while (!stop) {
                int from = rnd.nextInt(n);
                int to = rnd.nextInt(n - 1);
                if (to >= from) {
                    to++;
                }
                long amount = 1 + rnd.nextInt(config.maxAmount());
                long t0 = System.nanoTime();
                long tries = 0;
                while (true) {
                    try {
                        if (bank.transfer(me, from, to, amount)) {
                            transfers.increment();
                        } else {
                            declined.increment();
                        }
                        me.latency.recordValue(System.nanoTime() - t0);
                        me.maxRetries = Math.max(me.maxRetries, tries);
                        break;
                    } catch (DeadlockException e) {
                        // We are outside every monitor here: the transfer changed nothing. Try again.
                        victims.increment();
                        if (firstDeadlock.get() == null) {
                            firstDeadlock.compareAndSet(null, e.getMessage());
                        }
                        if (stop) {
                            break;
                        }
                        retries.increment();
                        tries++;
                    }
                }
            }
        } catch (InterruptedException e) {
            if (!stop) {
                failures.add("worker " + me.thread.getName() + " interrupted");
            }
        } catch (Throwable t) {
            failures.add("worker " + me.thread.getName() + " failed: " + t);
            stop = true;
        }
    }

    /** The plain mode's watchdog: asks the JVM for deadlocked threads until it finds some. */
    private void watch() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<Long, Worker> byId = new HashMap<>();
        for (Worker w : workers) {
            byId.put(w.thread.getId(), w);
        }
        long period = Math.max(1, config.watchdogPeriod().toMillis());
        try {
            while (!stop) {
                Thread.sleep(period);
                long[] ids = mx.findDeadlockedThreads();
                if (ids == null) {
                    continue;
                }
                long transfersNow = transfers.sum();
                Duration after = Duration.ofNanos(System.nanoTime() - startNanos);
                List<DeadlockedThread> found = new ArrayList<>();
                for (ThreadInfo info : mx.getThreadInfo(ids, false, mx.isSynchronizerUsageSupported())) {
                    if (info == null || !byId.containsKey(info.getThreadId())) {
                        continue;   // not ours (or ended meanwhile)
                    }
                    Worker w = byId.get(info.getThreadId());
                    List<String> held = new ArrayList<>();
                    for (LockInfo li : info.getLockedSynchronizers()) {
                        held.add(li.toString());
                    }
                    found.add(new DeadlockedThread(info.getThreadName(), String.valueOf(info.getLockName()),
                            String.valueOf(info.getLockOwnerName()), List.copyOf(held), w.holding, w.waitingFor));
                }
                if (!found.isEmpty()) {
                    hang.set(new HangReport(after, transfersNow, found));
                    hangFound.countDown();
                    return;
                }
            }
        } catch (InterruptedException e) {
            // the run is over
        }
    }
}
