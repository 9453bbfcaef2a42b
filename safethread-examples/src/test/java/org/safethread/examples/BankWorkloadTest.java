package org.safethread.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(Transcript.class)
class BankWorkloadTest {
    /** Collects what the run reports, for the assertions and for the transcript shown when a test fails. */
    private static final class Recorder implements BankWorkload.Listener {
        final List<BankWorkload.Progress> progress = new ArrayList<>();
        final List<BankWorkload.HangReport> hangs = new ArrayList<>();
        final PrintStream log;

        Recorder(Transcript t) {
            log = t.out();
        }

        @Override
        public void progress(BankWorkload.Progress p) {
            progress.add(p);
            log.println(p);
        }

        @Override
        public void hang(BankWorkload.HangReport report) {
            hangs.add(report);
            log.println(report.describe());
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void monitorsBreakDeadlocksAndConserveTheMoney(Transcript log) throws Exception {
        // Two accounts and four threads: every pair of opposite transfers can deadlock.
        BankWorkload.Config c = BankWorkload.Config.defaults(BankWorkload.Mode.MONITORS)
                .withThreads(4).withAccounts(2).withDuration(Duration.ofSeconds(2));
        Recorder rec = new Recorder(log);

        BankWorkload.Result r = BankWorkload.run(c, rec);
        log.out().println(r);

        assertThat(r.failures()).isEmpty();
        assertThat(r.totalBefore()).isEqualTo(2 * c.initialBalance());
        assertThat(r.totalAfter()).isEqualTo(r.totalBefore());
        assertThat(r.conserved()).isTrue();
        assertThat(r.succeeded()).isTrue();
        assertThat(r.transfers()).isPositive();
        assertThat(r.deadlocksBroken()).as("deadlocks broken by the runtime").isPositive();
        // Exactly one victim per deadlock broken, and every victim retried (the run is over only at the end).
        assertThat(r.victims()).isEqualTo(r.deadlocksBroken());
        assertThat(r.retries()).isBetween(r.victims() - c.threads(), r.victims());
        assertThat(r.hang()).isNull();
        assertThat(rec.progress).isNotEmpty();
        // Every completed transfer (declined ones too) is in the latency histogram; some needed a retry.
        assertThat(r.latency().count()).isEqualTo(r.transfers() + r.declined());
        assertThat(r.latency().p50()).isPositive().isLessThanOrEqualTo(r.latency().p99());
        assertThat(r.latency().p99()).isLessThanOrEqualTo(r.latency().max());
        assertThat(r.latency().max()).isLessThanOrEqualTo(r.elapsed().plusSeconds(5));
        assertThat(r.maxRetries()).isPositive().isLessThanOrEqualTo(r.retries());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void oneSpaceFormsNoDeadlockAndConservesTheMoney(Transcript log) throws Exception {
        // The same shape that deadlocks with one monitor per account (above): two accounts, four threads.
        BankWorkload.Config c = BankWorkload.Config.defaults(BankWorkload.Mode.SPACE)
                .withThreads(4).withAccounts(2).withDuration(Duration.ofSeconds(2));
        Recorder rec = new Recorder(log);

        BankWorkload.Result r = BankWorkload.run(c, rec);
        log.out().println(r);

        assertThat(r.failures()).isEmpty();
        assertThat(r.totalAfter()).isEqualTo(r.totalBefore()).isEqualTo(2 * c.initialBalance());
        assertThat(r.transfers()).isPositive();
        assertThat(r.victims()).isZero();
        assertThat(r.deadlocksBroken()).isZero();
        assertThat(r.maxRetries()).isZero();
        assertThat(r.latency().count()).isEqualTo(r.transfers() + r.declined());
        assertThat(r.succeeded()).isTrue();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void plainLocksHangAndTheWatchdogReportsIt(Transcript log) throws Exception {
        BankWorkload.Config c = BankWorkload.Config.defaults(BankWorkload.Mode.PLAIN_LOCKS)
                .withThreads(4).withAccounts(2).withDuration(Duration.ofSeconds(10)).withAfterHang(Duration.ZERO);
        Recorder rec = new Recorder(log);

        long t0 = System.nanoTime();
        BankWorkload.Result r = BankWorkload.run(c, rec);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        log.out().println(r);

        assertThat(r.hang()).as("the watchdog found the hang").isNotNull();
        assertThat(rec.hangs).containsExactly(r.hang());
        assertThat(took).as("the run ends soon after the hang instead of waiting for --seconds")
                .isLessThan(Duration.ofSeconds(8));
        List<BankWorkload.DeadlockedThread> threads = r.hang().threads();
        assertThat(threads).hasSizeGreaterThanOrEqualTo(2);
        for (BankWorkload.DeadlockedThread t : threads) {
            assertThat(t.thread()).startsWith("bank-");
            assertThat(t.waitsForLock()).contains("ReentrantLock");
            assertThat(t.lockOwner()).startsWith("bank-");
            assertThat(t.waitsForAccount()).isBetween(0, 1);
        }
        // A cycle: some deadlocked thread holds a lock that another one waits for.
        assertThat(threads).anySatisfy(t -> assertThat(t.holdsLocks()).isNotEmpty());
        assertThat(r.hang().describe()).contains("holds account").contains("waits for account");
        // The workers were freed (interrupted) and undid their half-done transfers.
        assertThat(r.failures()).isEmpty();
        assertThat(r.totalAfter()).isEqualTo(r.totalBefore());
        assertThat(r.succeeded()).isTrue();
        assertThat(r.deadlocksBroken()).isZero();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void plainLocksWatchTheAnnouncedTimeAfterTheHangEvenPastTheEnd(Transcript log) throws Exception {
        // One second planned, 2 s of watching announced: the watch must not be cut short by the planned end.
        BankWorkload.Config c = BankWorkload.Config.defaults(BankWorkload.Mode.PLAIN_LOCKS)
                .withThreads(4).withAccounts(2).withDuration(Duration.ofSeconds(1))
                .withAfterHang(Duration.ofSeconds(2));
        Recorder rec = new Recorder(log);

        BankWorkload.Result r = BankWorkload.run(c, rec);
        log.out().println(r);

        assertThat(r.hang()).as("the watchdog found the hang").isNotNull();
        assertThat(r.elapsed()).as("the run watched afterHang past the hang's report")
                .isGreaterThanOrEqualTo(r.hang().after().plus(c.afterHang()));
        // Progress went on while it watched, and no transfer completed once the workers were stuck.
        List<BankWorkload.Progress> after = rec.progress.stream()
                .filter(p -> p.elapsed().compareTo(r.hang().after()) > 0).toList();
        assertThat(after).isNotEmpty();
        assertThat(after).allSatisfy(p -> assertThat(p.transfers()).isEqualTo(after.get(0).transfers()));
        assertThat(r.succeeded()).isTrue();
    }
}
