package org.safethread.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import org.safethread.DeadlockException;
import org.safethread.Monitor;
import org.safethread.SafeThread;

/**
 * A diagnostic for {@link BankBench}, not a JMH benchmark: it says <em>where</em> a bank-transfer
 * run loses time, with counts per 1,000 transfers that do not depend on how loaded the machine
 * is. Threads move 1 unit between two random accounts of 8 (the benchmark's workload) for
 * 1-second rounds, alternating between {@code Monitor.of} accounts ({@code from.transferTo(to, 1)},
 * retried on {@link DeadlockException}) and the {@code tryLock} back-off peer, in one JVM. Each
 * round prints the transfers per microsecond and, per 1,000 transfers:
 * <ul>
 *   <li><b>parks</b> of the transferring threads ({@link java.lang.management.ThreadInfo#getWaitedCount()}:
 *       every {@code LockSupport.park}, the wait-for graph's lock included);</li>
 *   <li>for the monitors, contended entries ({@code stats().contendedEntries()}) and deadlock
 *       retries;</li>
 *   <li>for the peer, failed {@code tryLock}s (each one a release of the first account and a
 *       back-off).</li>
 * </ul>
 *
 * <p>What the counts showed (docs/performance.md, "Issue 13, session 6"): parks do not explain
 * the gap. At 4 threads both park about once per 1,000 transfers (monitors 1.05-1.35, the peer
 * 1.23-1.40) while the monitors make 0.74x the peer's transfers; at 2 threads the peer parks
 * more (14 per 1,000: its first account's {@code lock()}) and still leads. What is left is the
 * cost of each transfer (two nested monitor calls cost 1.12x two {@code ReentrantLock} calls in
 * CPU time) and about 2 contended entries per 1,000 at 4 threads, each a registration in the
 * wait-for graph, where the peer's failed {@code tryLock} is a short back-off.
 *
 * <p>Run: {@code java -cp safethread-bench/target/benchmarks.jar org.safethread.bench.BankCounts [threads] [rounds]}
 * (defaults 4 and 3).
 */
public final class BankCounts {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    /** Length of one round: millions of transfers, short enough to alternate often. */
    private static final long ROUND_MILLIS = 1_000;
    private static final int ACCOUNTS = BankBench.ACCOUNTS;

    private static volatile boolean stop;

    private BankCounts() {
    }

    public static void main(String[] args) throws InterruptedException {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        BankBench.Account[] monitors = new BankBench.Account[ACCOUNTS];
        BankBench.LockedAccount[] plain = new BankBench.LockedAccount[ACCOUNTS];
        for (int i = 0; i < ACCOUNTS; i++) {
            monitors[i] = Monitor.of(new BankBench.Account());
            plain[i] = new BankBench.LockedAccount(new ReentrantLock());
        }
        round("warm-up monitors", threads, monitors, null);
        round("warm-up tryLock", threads, null, plain);
        for (int i = 0; i < rounds; i++) {
            System.out.println(round("monitors", threads, monitors, null));
            System.out.println(round("tryLock", threads, null, plain));
        }
        long total = 0;
        for (int i = 0; i < ACCOUNTS; i++) {
            total += monitors[i].balance() + plain[i].balance;
        }
        MonitorCallBench.check(total == 2 * ACCOUNTS * BankBench.OPENING, "money is conserved");
    }

    private static String round(String name, int threads, BankBench.Account[] monitors,
            BankBench.LockedAccount[] plain) throws InterruptedException {
        long[] transfers = new long[threads];
        long[] parks = new long[threads];
        long[] retries = new long[threads];
        Thread[] ts = new Thread[threads];
        stop = false;
        for (int i = 0; i < threads; i++) {
            int k = i;
            ts[i] = new Thread(() -> {
                long before = MX.getThreadInfo(Thread.currentThread().getId()).getWaitedCount();
                long n = 0;
                long again = 0;
                while (!stop) {
                    int p = BankBench.pair();
                    again += monitors != null
                            ? transfer(monitors[p / ACCOUNTS], monitors[p % ACCOUNTS])
                            : transfer(plain[p / ACCOUNTS], plain[p % ACCOUNTS]);
                    n++;
                }
                transfers[k] = n;
                retries[k] = again;
                parks[k] = MX.getThreadInfo(Thread.currentThread().getId()).getWaitedCount() - before;
            }, "bank-" + i);
        }
        long contendedBefore = SafeThread.stats().contendedEntries();
        long start = System.nanoTime();
        for (Thread t : ts) {
            t.start();
        }
        Thread.sleep(ROUND_MILLIS);
        stop = true;
        for (Thread t : ts) {
            t.join();
        }
        long elapsed = System.nanoTime() - start;
        long contended = SafeThread.stats().contendedEntries() - contendedBefore;
        long n = 0;
        long parked = 0;
        long again = 0;
        for (int i = 0; i < threads; i++) {
            n += transfers[i];
            parked += parks[i];
            again += retries[i];
        }
        double per1000 = 1000.0 / Math.max(1, n);
        String detail = monitors != null
                ? String.format(Locale.ROOT, ", %6.2f contended entries, %6.3f deadlock retries", contended * per1000, again * per1000)
                : String.format(Locale.ROOT, ", %6.2f failed tryLocks", again * per1000);
        return String.format(Locale.ROOT, "%-9s threads %d: %6.1f transfers/us; per 1,000 transfers: %6.2f parks%s",
                name, threads, n * 1000.0 / elapsed, parked * per1000, detail);
    }

    /** @return the retries after a DeadlockException */
    private static int transfer(BankBench.Account from, BankBench.Account to) {
        for (int retries = 0;; retries++) {
            try {
                from.transferTo(to, 1);
                return retries;
            } catch (DeadlockException e) {
                // the deposit did not happen and transferTo undid its withdrawal: retry at once
            }
        }
    }

    /** @return the failed tryLocks (each followed by a back-off), as {@code BankBench.tryLockBackOff} */
    private static int transfer(BankBench.LockedAccount from, BankBench.LockedAccount to) {
        for (int attempt = 0;; attempt++) {
            from.lock.lock();
            try {
                if (to.lock.tryLock()) {
                    try {
                        from.balance -= 1;
                        to.balance += 1;
                        return attempt;
                    } finally {
                        to.lock.unlock();
                    }
                }
            } finally {
                from.lock.unlock();
            }
            BankBench.backOff(attempt);
        }
    }
}
