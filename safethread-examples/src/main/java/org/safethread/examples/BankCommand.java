package org.safethread.examples;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.safethread.SafeThread;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code bank} subcommand: options, progress lines, summary, the side-by-side table, exit status. */
@Command(name = "bank", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false,
        description = {
            "Money moves between account monitors in random lock order: the classic deadlock, broken by safethread.",
            "",
            "N threads move random amounts between M accounts for S seconds. Each account is a safethread",
            "monitor; a transfer holds the paying account while it deposits into the other, in whatever order",
            "the pair comes. safethread breaks each deadlock by throwing DeadlockException to one thread, which",
            "retries. Prints progress every second, then a summary with transfer latency percentiles (p50, p99,",
            "max) and the most retries any one transfer needed; the money at the end must equal the money at",
            "the start. Then the same transfers run briefly the other way (bare ReentrantLocks, or monitors",
            "with --plain; one monitor per account with --space) and a table shows both side by side.",
            ""},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:the money adds up (with --plain: the hang was found and reported; with --space: also no deadlock"
                    + " was broken in the space)",
            "1:it does not, a worker failed or got stuck (with --plain: no deadlock happened within S seconds;"
                    + " try --accounts 2)",
            "2:a command-line mistake"})
final class BankCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private Verbose verbose;

    private int threads;
    private int accounts;
    private int seconds;
    private int compareSeconds;

    @Option(names = "--plain", description = {
        "the same transfers on bare ReentrantLocks (lock from, then to). They hang; a watchdog finds the",
        "hang with ThreadMXBean.findDeadlockedThreads(), reports the threads and locks, watches 2 s more",
        "(the transfers stop), interrupts the workers and ends the run."})
    private boolean plain;

    @Option(names = "--space", description = {
        "every account is a monitor of one MonitorSpace: a transfer's deposit is a direct re-entry of the",
        "space, so no deadlock can form. Runs S seconds so, then S seconds with an account per monitor,",
        "and prints both throughputs side by side."})
    private boolean space;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "4",
            description = "worker threads (1..1024, default ${DEFAULT-VALUE})")
    void threads(int n) {
        threads = Options.range(spec, "--threads", n, 1, 1024);
    }

    @Option(names = "--accounts", paramLabel = "M", defaultValue = "16",
            description = "accounts (2..1000000, default ${DEFAULT-VALUE})")
    void accounts(int n) {
        accounts = Options.range(spec, "--accounts", n, 2, 1_000_000);
    }

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "10",
            description = "how long the transfers run (1..86400, default ${DEFAULT-VALUE})")
    void seconds(int n) {
        seconds = Options.range(spec, "--seconds", n, 1, 86_400);
    }

    @Option(names = "--compare-seconds", paramLabel = "C", defaultValue = "3",
            description = "the comparison run's length at most (0 = no comparison, default ${DEFAULT-VALUE});"
                    + " bare locks end it at the hang")
    void compareSeconds(int n) {
        compareSeconds = Options.range(spec, "--compare-seconds", n, 0, 86_400);
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        if (plain && space) {
            throw new ParameterException(spec.commandLine(), "--plain and --space exclude each other");
        }
        if (space) {
            return runSpace(out);
        }
        BankWorkload.Mode mode = plain ? BankWorkload.Mode.PLAIN_LOCKS : BankWorkload.Mode.MONITORS;
        BankWorkload.Config c = config(mode, seconds);
        out.printf("bank: %d threads, %d accounts of %,d, %d s, accounts are %s%n", c.threads(), c.accounts(),
                c.initialBalance(), c.duration().toSeconds(), plain ? "bare ReentrantLocks (expect a hang; a "
                        + "watchdog will find it)" : "safethread monitors (deadlocks are broken and retried)");
        BankWorkload.Result r = runAndReport(c, out);
        out.println(r.succeeded() ? "OK" : "FAILED");
        if (compareSeconds == 0) {
            return r.succeeded() ? 0 : 1;
        }

        BankWorkload.Mode other = plain ? BankWorkload.Mode.MONITORS : BankWorkload.Mode.PLAIN_LOCKS;
        BankWorkload.Config oc = config(other, compareSeconds).withAfterHang(Duration.ZERO);
        out.println();
        out.printf("bank: for comparison, the same on %s for %d s at most (no progress lines)%n",
                other == BankWorkload.Mode.PLAIN_LOCKS ? "bare ReentrantLocks (ends at the hang)"
                        : "safethread monitors", compareSeconds);
        BankWorkload.Result o = BankWorkload.run(oc, p -> { });
        for (String f : o.failures()) {
            out.println("FAILURE (comparison): " + f);
        }
        out.println();
        BankWorkload.Result monitors = plain ? o : r;
        BankWorkload.Result locks = plain ? r : o;
        table("safethread monitors", monitors, "bare ReentrantLocks", locks).print(out);
        // The comparison must be clean too (money conserved, no worker failure); a bare-lock run
        // that did not hang within its short time is no failure.
        boolean ok = r.succeeded() && o.failures().isEmpty() && o.conserved();
        out.println(ok ? "OK" : "FAILED");
        return ok ? 0 : 1;
    }

    /** {@code --space}: S seconds in one space, S seconds with a monitor per account, side by side. */
    private int runSpace(PrintWriter out) throws InterruptedException {
        BankWorkload.Config c = config(BankWorkload.Mode.SPACE, seconds);
        out.printf("bank: %d threads, %d accounts of %,d, %d s, accounts are monitors of one MonitorSpace "
                + "(no deadlock can form)%n", c.threads(), c.accounts(), c.initialBalance(), c.duration().toSeconds());
        BankWorkload.Result sp = runAndReport(c, out);
        out.println();
        out.printf("bank: the same for %d s with one monitor per account, for comparison%n", seconds);
        BankWorkload.Result each = runAndReport(config(BankWorkload.Mode.MONITORS, seconds), out);
        out.println();
        out.printf("throughput: one space %,d transfers/s (deadlocks broken %,d)   one monitor per account %,d "
                + "transfers/s (deadlocks broken %,d)%n", sp.transfersPerSecond(), sp.deadlocksBroken(),
                each.transfersPerSecond(), each.deadlocksBroken());
        out.println();
        table("one MonitorSpace", sp, "one monitor per account", each).print(out);
        if (sp.deadlocksBroken() != 0 || sp.victims() != 0) {
            out.println("FAILURE: the space broke " + sp.deadlocksBroken() + " deadlocks; it should form none");
        }
        boolean ok = sp.succeeded() && each.succeeded();
        out.println(ok ? "OK" : "FAILED");
        return ok ? 0 : 1;
    }

    private BankWorkload.Config config(BankWorkload.Mode mode, int secs) {
        return BankWorkload.Config.defaults(mode).withThreads(threads).withAccounts(accounts)
                .withDuration(Duration.ofSeconds(secs));
    }

    /** Two runs side by side (any modes: bare locks show their hang where monitors show deadlocks broken). */
    static Table table(String titleA, BankWorkload.Result a, String titleB, BankWorkload.Result b) {
        Table t = new Table("", titleA, titleB);
        t.row("ran", ran(a), ran(b));
        t.row("transfers", String.format("%,d", a.transfers()), String.format("%,d", b.transfers()));
        t.row("transfers/s", String.format("%,d", a.transfersPerSecond()), String.format("%,d", b.transfersPerSecond()));
        t.row("latency p50", duration(a.latency().p50()), duration(b.latency().p50()));
        t.row("latency p99", duration(a.latency().p99()), duration(b.latency().p99()));
        t.row("latency max", duration(a.latency().max()), duration(b.latency().max()));
        t.row("deadlocks", deadlocks(a), deadlocks(b));
        t.row("most retries of one transfer", retries(a), retries(b));
        t.row("money before = after", money(a), money(b));
        return t;
    }

    private static boolean locks(BankWorkload.Result r) {
        return r.config().mode() == BankWorkload.Mode.PLAIN_LOCKS;
    }

    private static String ran(BankWorkload.Result r) {
        return r.hang() == null ? String.format("%.1f s", secs(r.elapsed()))
                : String.format("%.1f s, hung at %.1f s", secs(r.elapsed()), secs(r.hang().after()));
    }

    private static String deadlocks(BankWorkload.Result r) {
        if (!locks(r)) {
            return String.format("%,d broken", r.deadlocksBroken());
        }
        return r.hang() == null ? "none happened" : r.hang().threads().size() + " threads stuck for good";
    }

    private static String retries(BankWorkload.Result r) {
        return locks(r) ? "-" : String.format("%,d", r.maxRetries());
    }

    private static String money(BankWorkload.Result r) {
        return r.totalAfter() < 0 ? "unknown" : r.conserved() ? "yes" : "NO";
    }

    /** Runs the bank with progress lines and prints its summary (not the final OK/FAILED). */
    private static BankWorkload.Result runAndReport(BankWorkload.Config c, PrintWriter out)
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
        BankWorkload.Latency l = r.latency();
        out.printf("         latency p50 %s, p99 %s, max %s (%,d transfers, retries included)%n",
                duration(l.p50()), duration(l.p99()), duration(l.max()), l.count());
        if (monitors) {
            out.printf("         deadlocks broken %,d (SafeThread.stats: %,d in this JVM), victims caught %,d,"
                    + " retries %,d, the most for one transfer %,d%n", r.deadlocksBroken(),
                    SafeThread.stats().deadlocksBroken(), r.victims(), r.retries(), r.maxRetries());
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

    /** @return a latency for humans: ns, µs or ms with 3 significant digits */
    static String duration(Duration d) {
        long ns = d.toNanos();
        if (ns < 1_000) {
            return ns + " ns";
        }
        if (ns < 1_000_000) {
            return String.format("%.3g us", ns / 1e3);
        }
        if (ns < 999_500_000L) {
            return String.format("%.3g ms", ns / 1e6);
        }
        return String.format("%.2f s", ns / 1e9);
    }

    private static double secs(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
