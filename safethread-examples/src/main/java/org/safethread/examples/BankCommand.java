package org.safethread.examples;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.safethread.SafeThread;

/** The {@code bank} subcommand: options, progress lines, summary, exit status. */
final class BankCommand {
    static final String HELP = String.join(System.lineSeparator(),
            "bank [--threads N] [--accounts M] [--seconds S] [--plain | --space]     (the default subcommand)",
            "    N threads (default 4) move random amounts between M accounts (default 16) for S seconds",
            "    (default 10). Each account is a safethread monitor; a transfer holds the paying account",
            "    while it deposits into the other, in whatever order the pair comes: the classic deadlock.",
            "    safethread breaks each deadlock by throwing DeadlockException to one thread, which retries.",
            "    Prints progress every second and a summary; the money at the end must equal the money at",
            "    the start. Exit status: 0 if it does, 1 if not (or a worker failed or got stuck).",
            "  --plain   the same transfers on bare ReentrantLocks (lock from, then to). They hang; a",
            "            watchdog finds the hang with ThreadMXBean.findDeadlockedThreads(), reports the",
            "            threads and locks, interrupts the workers and ends the run. Exit status: 0 when the",
            "            hang was found and reported (the demo showed what it should), 1 when no deadlock",
            "            happened within S seconds (try fewer accounts) or the money does not add up.",
            "  --space   every account is a monitor of one MonitorSpace: a transfer's deposit is a direct",
            "            re-entry of the space, so no deadlock can form. Runs S seconds so, then S seconds with",
            "            an account per monitor, and prints both throughputs side by side. Exit status: 0 if the",
            "            space broke no deadlock and the money adds up in both runs.");

    private BankCommand() {
    }

    static int run(List<String> args, PrintStream out) throws Args.UsageException, InterruptedException {
        Args a = Args.parse("bank", args, Set.of("threads", "accounts", "seconds"), Set.of("plain", "space"));
        if (a.flag("plain") && a.flag("space")) {
            throw new Args.UsageException("bank: --plain and --space exclude each other");
        }
        BankWorkload.Mode mode = a.flag("plain") ? BankWorkload.Mode.PLAIN_LOCKS
                : a.flag("space") ? BankWorkload.Mode.SPACE : BankWorkload.Mode.MONITORS;
        BankWorkload.Config d = BankWorkload.Config.defaults(mode);
        BankWorkload.Config c = d.withThreads(a.intValue("threads", d.threads(), 1, 1024))
                .withAccounts(a.intValue("accounts", d.accounts(), 2, 1_000_000))
                .withDuration(Duration.ofSeconds(a.intValue("seconds", (int) d.duration().toSeconds(), 1, 86_400)));

        if (mode == BankWorkload.Mode.SPACE) {
            out.printf("bank: %d threads, %d accounts of %,d, %d s, accounts are monitors of one MonitorSpace "
                    + "(no deadlock can form)%n", c.threads(), c.accounts(), c.initialBalance(),
                    c.duration().toSeconds());
            BankWorkload.Result space = runAndReport(c, out);
            out.println();
            out.printf("bank: the same for %d s with one monitor per account, for comparison%n",
                    c.duration().toSeconds());
            BankWorkload.Config perAccount = new BankWorkload.Config(BankWorkload.Mode.MONITORS, c.threads(),
                    c.accounts(), c.duration(), c.initialBalance(), c.maxAmount(), c.watchdogPeriod(), c.afterHang());
            BankWorkload.Result each = runAndReport(perAccount, out);
            out.println();
            out.printf("throughput: one space %,d transfers/s (deadlocks broken %,d)   one monitor per account %,d "
                    + "transfers/s (deadlocks broken %,d)%n", perSecond(space), space.deadlocksBroken(),
                    perSecond(each), each.deadlocksBroken());
            boolean ok = space.succeeded() && each.succeeded();
            if (space.deadlocksBroken() != 0 || space.victims() != 0) {
                out.println("FAILURE: the space broke " + space.deadlocksBroken() + " deadlocks; it should form none");
            }
            out.println(ok ? "OK" : "FAILED");
            return ok ? 0 : 1;
        }
        boolean monitors = mode == BankWorkload.Mode.MONITORS;
        out.printf("bank: %d threads, %d accounts of %,d, %d s, accounts are %s%n", c.threads(), c.accounts(),
                c.initialBalance(), c.duration().toSeconds(),
                monitors ? "safethread monitors (deadlocks are broken and retried)"
                        : "bare ReentrantLocks (expect a hang; a watchdog will find it)");
        BankWorkload.Result r = runAndReport(c, out);
        out.println(r.succeeded() ? "OK" : "FAILED");
        return r.succeeded() ? 0 : 1;
    }

    private static long perSecond(BankWorkload.Result r) {
        return r.transfers() * 1000 / Math.max(1, r.elapsed().toMillis());
    }

    /** Runs the bank with progress lines and prints its summary (not the final OK/FAILED). */
    private static BankWorkload.Result runAndReport(BankWorkload.Config c, PrintStream out)
            throws InterruptedException {
        boolean monitors = c.mode() != BankWorkload.Mode.PLAIN_LOCKS;
        BankWorkload.Result r = BankWorkload.run(c, new BankWorkload.Listener() {
            @Override
            public void progress(BankWorkload.Progress p) {
                if (monitors) {
                    out.printf("[%4.1fs] %,10d transfers/s   total %,12d   deadlocks broken %,8d   victims %,8d"
                            + "   retries %,8d%n", secs(p.elapsed()), p.transfersPerSecond(), p.transfers(),
                            p.deadlocksBroken(), p.victims(), p.retries());
                } else {
                    out.printf("[%4.1fs] %,10d transfers/s   total %,12d%n", secs(p.elapsed()),
                            p.transfersPerSecond(), p.transfers());
                }
            }

            @Override
            public void hang(BankWorkload.HangReport h) {
                out.println(h.describe());
                out.printf("Bare locks have no way out: without the watchdog this program would wait forever. "
                        + "Watching %d s more, then interrupting the workers.%n", c.afterHang().toSeconds());
            }
        });

        out.println();
        out.printf("summary: %.1f s, %,d transfers (%,d declined for insufficient funds)%n", secs(r.elapsed()),
                r.transfers(), r.declined());
        if (monitors) {
            out.printf("         deadlocks broken %,d (SafeThread.stats: %,d in this JVM), victims caught %,d,"
                    + " retries %,d%n", r.deadlocksBroken(), SafeThread.stats().deadlocksBroken(), r.victims(),
                    r.retries());
            if (r.firstDeadlock() != null) {
                out.println("         the first one: " + r.firstDeadlock());
            }
        }
        if (r.totalAfter() < 0) {
            out.printf("         money before %,d, after: unknown (a worker is stuck inside an account)%n",
                    r.totalBefore());
        } else {
            out.printf("         money before %,d, after %,d: %s%n", r.totalBefore(), r.totalAfter(),
                    r.conserved() ? "equal" : "NOT EQUAL (" + (r.totalAfter() - r.totalBefore()) + ")");
        }
        for (String f : r.failures()) {
            out.println("FAILURE: " + f);
        }
        if (!monitors && r.hang() == null) {
            out.println("no deadlock happened within " + c.duration().toSeconds()
                    + " s: nothing was shown (try --accounts 2)");
        }
        return r;
    }

    private static double secs(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
