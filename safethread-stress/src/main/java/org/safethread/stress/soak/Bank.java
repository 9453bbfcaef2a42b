package org.safethread.stress.soak;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.safethread.DeadlockException;
import org.safethread.Monitor;

/**
 * Bank transfers between account monitors in random lock order: deadlocks happen all the time
 * and are broken by the runtime; a victim retries its transfer.
 *
 * <p>Checks: money is conserved (summed every second with the bank paused: each transfer runs
 * under the read side of a read-write lock, the audit takes the write side, so no money is in
 * flight when it counts), and no transfer stays in a wait-for cycle for more than
 * {@link #STUCK_NANOS} (a deadlock left unbroken; see {@link #checkProgress()}).
 */
final class Bank {
    static final int ACCOUNTS = 16;
    static final long OPENING = 1_000;
    /** A transfer (all its retries included) longer than this is a deadlock left unresolved. */
    static final long STUCK_NANOS = 1_000_000_000L;
    /**
     * Transfers older than this are checked for a wait-for cycle (a JVM-wide thread dump, so not
     * for every transfer): a cycle is seen within this much of forming, well inside the limit.
     */
    static final long LOOK_NANOS = 200_000_000L;
    /** Waiting withdrawals wait this long at most for cover. */
    private static final Duration COVER_WAIT = Duration.ofMillis(2);

    private final SoakAccount[] accounts = new SoakAccount[ACCOUNTS];
    private final ReentrantReadWriteLock audit = new ReentrantReadWriteLock();
    private final Violations violations;
    private final java.util.Set<Break> breaks;
    final LongAdder transfers = new LongAdder();
    final LongAdder declined = new LongAdder();
    final LongAdder victims = new LongAdder();
    final LongAdder interrupts = new LongAdder();
    final LongAdder audits = new LongAdder();
    /** Longest transfer seen, first attempt to end, in nanoseconds. */
    final java.util.concurrent.atomic.AtomicLong longestNanos = new java.util.concurrent.atomic.AtomicLong();
    private final AtomicBoolean lostOne = new AtomicBoolean();
    private final AtomicBoolean miscounted = new AtomicBoolean();
    private final List<Worker> workers = new ArrayList<>();
    /** Watchdog thread only. */
    private boolean stackShown;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    /** Transfers that took over {@link #STUCK_NANOS} outside any wait-for cycle (slow, not stuck). */
    final LongAdder slowTransfers = new LongAdder();

    /** A bank thread and the start of its current transfer (0 when between transfers). */
    static final class Worker {
        final Thread thread;
        volatile long transferStart;
        /** Transfers begun; lets the watchdog report one stuck transfer once. */
        volatile long serial;
        // watchdog thread only:
        long reportedSerial = -1;
        long slowSerial = -1;
        long cycleSerial = -1;
        long cycleSince;

        Worker(Thread thread) {
            this.thread = thread;
        }
    }

    Bank(Violations violations, java.util.Set<Break> breaks) {
        this.violations = violations;
        this.breaks = breaks;
        for (int i = 0; i < ACCOUNTS; i++) {
            accounts[i] = Monitor.of(new SoakAccount(OPENING));
        }
    }

    long expectedTotal() {
        return ACCOUNTS * OPENING;
    }

    /** Creates (does not start) {@code n} worker threads running until {@code stop}. */
    List<Worker> workers(int n, AtomicBoolean stop) {
        for (int i = 0; i < n; i++) {
            Worker[] self = new Worker[1];
            Thread t = new Thread(() -> work(self[0], stop), "soak-bank-" + i);
            t.setDaemon(true);
            self[0] = new Worker(t);
            workers.add(self[0]);
        }
        return workers;
    }

    private void work(Worker me, AtomicBoolean stop) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        while (!stop.get()) {
            int from = rnd.nextInt(ACCOUNTS);
            int to = (from + 1 + rnd.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
            long amount = 1 + rnd.nextInt(50);
            boolean waiting = rnd.nextInt(5) == 0;
            audit.readLock().lock();
            try {
                me.serial++;
                long start = System.nanoTime();
                me.transferStart = start;
                try {
                    transfer(from, to, amount, waiting, stop);
                } finally {
                    me.transferStart = 0;
                    long took = System.nanoTime() - start;
                    longestNanos.accumulateAndGet(took, Math::max);
                }
            } finally {
                audit.readLock().unlock();
            }
        }
    }

    private void transfer(int from, int to, long amount, boolean waiting, AtomicBoolean stop) {
        SoakAccount a = accounts[from];
        SoakAccount b = accounts[to];
        if (waiting) {
            // Not nested: the withdrawal waits (interruptibly) inside a's monitor, the deposit
            // follows outside it. The audit lock keeps the money in between out of any count.
            try {
                if (a.withdrawWhenCovered(amount, COVER_WAIT)) {
                    b.deposit(amount);
                    transfers.increment();
                } else {
                    declined.increment();
                }
            } catch (InterruptedException e) {
                interrupts.increment();   // nothing was withdrawn
            }
            return;
        }
        // The break switches apply until one transfer has gone through with them.
        boolean lose = breaks.contains(Break.LOSE_MONEY) && !lostOne.get();
        while (true) {
            try {
                if (a.transferTo(b, amount, lose ? 1 : 0)) {
                    transfers.increment();
                    if (lose) {
                        lostOne.set(true);
                    }
                } else {
                    declined.increment();
                }
                return;
            } catch (DeadlockException e) {
                victims.increment();   // outside every monitor again: nothing changed; retry
                if (breaks.contains(Break.MISCOUNT_STATS) && miscounted.compareAndSet(false, true)) {
                    victims.increment();
                }
                if (stop.get()) {
                    return;
                }
            }
        }
    }

    /** Sums the balances with the bank paused; records a violation if money was made or lost. */
    void auditMoney(String when) {
        audit.writeLock().lock();
        try {
            long total = total();
            audits.increment();
            if (total != expectedTotal()) {
                violations.record("money", when + ": the accounts hold " + total + ", expected " + expectedTotal()
                        + " (" + (total - expectedTotal()) + ")");
            }
        } finally {
            audit.writeLock().unlock();
        }
    }

    long total() {
        long sum = 0;
        for (SoakAccount acc : accounts) {
            sum += acc.balance();
        }
        return sum;
    }

    /**
     * The deadlock watchdog, called every 50 ms. A transfer older than {@link #LOOK_NANOS} is
     * looked at with {@link ThreadMXBean#findDeadlockedThreads()}, which sees the wait-for graph
     * of monitor entries because a {@code MonitorLock} is an {@code AbstractOwnableSynchronizer}
     * whose owner is the holding thread. A thread that has stayed in a cycle for more than
     * {@link #STUCK_NANOS} is a deadlock the runtime did not break: a violation. A long
     * transfer outside any cycle is a slow one (on a 2-core machine shared with other builds a
     * runnable thread can wait over a second for a CPU): counted and reported, not a violation.
     */
    void checkProgress() {
        long now = System.nanoTime();
        long[] cycle = null;
        boolean looked = false;
        for (Worker w : workers) {
            long s = w.transferStart;
            long serial = w.serial;
            if (s == 0 || now - s <= LOOK_NANOS) {
                continue;
            }
            if (!looked) {
                cycle = threads.findDeadlockedThreads();
                looked = true;
            }
            if (contains(cycle, w.thread.getId())) {
                if (w.cycleSerial != serial) {
                    w.cycleSerial = serial;
                    w.cycleSince = now;
                } else if (now - w.cycleSince > STUCK_NANOS && w.reportedSerial != serial) {
                    w.reportedSerial = serial;
                    violations.record("deadlock-progress", w.thread.getName() + " has been in a wait-for cycle for "
                            + (now - w.cycleSince) / 1_000_000 + " ms (limit " + STUCK_NANOS / 1_000_000
                            + " ms): a deadlock left unbroken; in the transfer for " + (now - s) / 1_000_000 + " ms");
                    showStacks();
                }
            } else {
                w.cycleSerial = -1;
                if (now - s > STUCK_NANOS && w.slowSerial != serial) {
                    w.slowSerial = serial;
                    slowTransfers.increment();
                }
            }
        }
    }

    private static boolean contains(long[] ids, long id) {
        if (ids != null) {
            for (long x : ids) {
                if (x == id) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Where every bank thread is, once per run, to tell why. */
    private void showStacks() {
        if (stackShown) {
            return;
        }
        stackShown = true;
        for (Worker o : workers) {
            StringBuilder sb = new StringBuilder("  " + o.thread.getName() + " " + o.thread.getState());
            StackTraceElement[] st = o.thread.getStackTrace();
            for (int i = 0; i < Math.min(14, st.length); i++) {
                sb.append(System.lineSeparator()).append("      at ").append(st[i]);
            }
            System.out.println(sb);
        }
    }
}
