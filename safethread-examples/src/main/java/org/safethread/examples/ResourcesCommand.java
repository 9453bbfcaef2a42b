package org.safethread.examples;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code resources} subcommand: options, progress lines, the comparison, the chart, exit status. */
@Command(name = "resources", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false,
        description = {
            "Off-heap buffers freed deterministically by safethread, next to java.lang.ref.Cleaner.",
            "",
            "N threads in a ring pass off-heap buffers of K KiB to each other for S seconds; every 4th buffer",
            "is cut into slices that refer back to it (a reference cycle). First with safethread: each buffer",
            "is a RefCounted handle whose finalizer core frees the memory when the last reference goes",
            "(cycles: when the collector finds them). Then the same workload with java.lang.ref.Cleaner,",
            "where memory lingers until the JVM's collector runs. Producers keep at most B MiB allocated: past",
            "that they call SafeThread.collect() (safethread) or System.gc() (Cleaner) and wait. Prints bytes",
            "held every second, what was left and the runtime's counters, then both side by side.",
            ""},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:safethread ends with 0 bytes held and no corrupted buffer",
            "1:it does not (or the chart could not be written)",
            "2:a command-line mistake"})
final class ResourcesCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private Verbose verbose;

    private int threads;
    private int seconds;
    private int kb;
    private int budgetMb;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "4",
            description = "threads in the ring (1..1024, default ${DEFAULT-VALUE})")
    void threads(int n) {
        threads = Options.range(spec, "--threads", n, 1, 1024);
    }

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "5",
            description = "how long each variant runs (1..86400, default ${DEFAULT-VALUE})")
    void seconds(int n) {
        seconds = Options.range(spec, "--seconds", n, 1, 86_400);
    }

    @Option(names = "--buffer-kb", paramLabel = "K", defaultValue = "64",
            description = "buffer size in KiB (1..1048576, default ${DEFAULT-VALUE})")
    void bufferKb(int n) {
        kb = Options.range(spec, "--buffer-kb", n, 1, 1024 * 1024);
    }

    @Option(names = "--budget-mb", paramLabel = "B", defaultValue = "128",
            description = "MiB the producers may hold at most (default ${DEFAULT-VALUE})")
    void budgetMb(int n) {
        budgetMb = Options.range(spec, "--budget-mb", n, 1, 1024 * 1024);
    }

    @Option(names = "--chart", paramLabel = "FILE.png",
            description = "also draw bytes held over time, safethread next to Cleaner, as a PNG")
    private Path chart;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        long minBudget = ResourcesWorkload.Config.minBudget(threads, kb * 1024);
        if ((long) budgetMb << 20 < minBudget) {
            throw new ParameterException(spec.commandLine(), "--budget-mb " + budgetMb + " is too small for "
                    + threads + " threads of " + kb + " KiB buffers (each thread keeps up to "
                    + ResourcesWorkload.BUFFERS_PER_THREAD + " in flight): at least --budget-mb "
                    + ((minBudget + (1 << 20) - 1) >> 20));
        }
        if (chart != null) {
            Path parent = chart.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new ParameterException(spec.commandLine(), "--chart " + chart + ": no such folder " + parent);
            }
        }
        ResourcesWorkload.Config c = ResourcesWorkload.Config.defaults().withThreads(threads)
                .withDuration(Duration.ofSeconds(seconds)).withBufferBytes(kb * 1024)
                .withBudgetBytes((long) budgetMb << 20);

        out.printf("resources: %d threads, %d KiB buffers (every %d%s in a cycle), %d s each, budget %s; "
                + "memory freed with %s%n", c.threads(), kb, c.cycleEvery(), ordinal(c.cycleEvery()), seconds,
                bytes(c.budgetBytes()), DirectMemory.how());

        out.println();
        out.println("== safethread: RefCounted handles, finalizer cores free the memory ==");
        ResourcesWorkload.SafeThreadResult s = ResourcesWorkload.runSafeThread(c, p -> sample(out, p, "collect"));
        ResourcesWorkload.Outcome so = s.outcome();
        summary(out, so);
        out.printf("  right after the workload: %s held (cycles waiting for the collector, deaths in flight)%n",
                bytes(so.heldRightAfter()));
        out.printf("  after SafeThread.collect() + awaitFinalizers (%d round%s, %d ms): %s held, %s leaked%n",
                s.cleanupRounds(), s.cleanupRounds() == 1 ? "" : "s", so.cleanup().toMillis(),
                bytes(so.heldAtEnd()), bytes(so.heldAtEnd()));
        out.printf("  SafeThread.stats during the run: collections %,d, objects collected %,d, finalizers run %,d, "
                + "finalizer failures %,d, leaks %,d%n", s.collections(), s.objectsCollected(), s.finalizersRun(),
                s.finalizerFailures(), s.leaksDetected());

        out.println();
        out.println("== java.lang.ref.Cleaner: the same workload, the cleaning action frees the memory ==");
        ResourcesWorkload.CleanerResult cr = ResourcesWorkload.runCleaner(c, Duration.ofSeconds(5),
                p -> sample(out, p, "System.gc"));
        ResourcesWorkload.Outcome co = cr.outcome();
        summary(out, co);
        out.printf("  right after the workload: %s held (unreachable, waiting for the JVM's collector)%n",
                bytes(co.heldRightAfter()));
        out.printf("  after System.gc() and %d ms of waiting: %s held%n", co.cleanup().toMillis(),
                bytes(co.heldAtEnd()));

        out.println();
        table(so, co).print(out);
        out.println();
        boolean chartOk = true;
        if (chart != null) {
            try {
                HeldBytesChart.write(chart, so.timeline(), co.timeline(), c.budgetBytes(),
                        String.format("%d threads, %d KiB buffers, every %d%s in a cycle", c.threads(), kb,
                                c.cycleEvery(), ordinal(c.cycleEvery())));
                out.println("chart: bytes held over time written to " + chart);
            } catch (IOException | RuntimeException e) {
                chartOk = false;
                out.println("FAILURE: could not write the chart to " + chart + ": " + e);
            }
        }
        for (String f : so.failures()) {
            out.println("FAILURE (safethread): " + f);
        }
        for (String f : co.failures()) {
            out.println("FAILURE (Cleaner): " + f);
        }
        boolean ok = s.succeeded() && co.failures().isEmpty() && chartOk;
        out.println(ok ? "OK: safethread freed every byte, deterministically"
                : "FAILED" + (so.heldAtEnd() != 0 ? ": safethread leaked " + bytes(so.heldAtEnd()) : ""));
        return ok ? 0 : 1;
    }

    /** safethread and Cleaner, side by side. */
    static Table table(ResourcesWorkload.Outcome s, ResourcesWorkload.Outcome c) {
        Table t = new Table("", "safethread", "Cleaner");
        t.row("buffers/s", String.format("%,d", s.buffersPerSecond()), String.format("%,d", c.buffersPerSecond()));
        t.row("allocated", bytes(s.bytesAllocated()), bytes(c.bytesAllocated()));
        t.row("held on average", bytes(s.averageBytesHeld()), bytes(c.averageBytesHeld()));
        t.row("held at most", bytes(s.peakBytesHeld()), bytes(c.peakBytesHeld()));
        t.row("held right after the workload", bytes(s.heldRightAfter()), bytes(c.heldRightAfter()));
        t.row("held after the clean-up", bytes(s.heldAtEnd()), bytes(c.heldAtEnd()));
        t.row("clean-up took", s.cleanup().toMillis() + " ms", c.cleanup().toMillis() + " ms");
        t.row("budget exhausted", String.format("%,d times", s.reliefs()), String.format("%,d times", c.reliefs()));
        t.row("time getting memory back", s.reliefTime().toMillis() + " ms", c.reliefTime().toMillis() + " ms");
        return t;
    }

    private static void sample(PrintWriter out, ResourcesWorkload.Sample p, String relief) {
        out.printf("[%4.1fs] %,7d buffers/s   held %9s (plain %9s, cycles %9s)   freed %9s   %s calls %,5d%n",
                p.elapsed().toMillis() / 1000.0, p.buffersPerSecond(), bytes(p.bytesHeld()),
                bytes(p.bytesHeld() - p.bytesHeldInCycles()), bytes(p.bytesHeldInCycles()), bytes(p.bytesFreed()),
                relief, p.reliefs());
    }

    private static void summary(PrintWriter out, ResourcesWorkload.Outcome o) {
        out.printf("  %.1f s: %,d buffers (%,d in cycles), %s allocated%n", o.elapsed().toMillis() / 1000.0,
                o.buffers(), o.cycles(), bytes(o.bytesAllocated()));
        out.printf("  held on average %s (plain %s, cycles %s), at most %s%n", bytes(o.averageBytesHeld()),
                bytes(o.averageBytesHeld() - o.averageBytesHeldInCycles()), bytes(o.averageBytesHeldInCycles()),
                bytes(o.peakBytesHeld()));
        out.printf("  budget exhausted %,d times, producers spent %,d ms getting memory back%n", o.reliefs(),
                o.reliefTime().toMillis());
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1024 * 1024) {
            return String.format("%.1f KiB", b / 1024.0);
        }
        if (b < 1024L * 1024 * 1024) {
            return String.format("%.1f MiB", b / (1024.0 * 1024));
        }
        return String.format("%.2f GiB", b / (1024.0 * 1024 * 1024));
    }

    private static String ordinal(int n) {
        if (n == 1) {
            return "st";
        }
        return n == 2 ? "nd" : n == 3 ? "rd" : "th";
    }
}
