package org.safethread.examples;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** The {@code resources} subcommand: options, progress lines, the comparison, exit status. */
final class ResourcesCommand {
    static final String HELP = String.join(System.lineSeparator(),
            "resources [--threads N] [--seconds S] [--buffer-kb K] [--budget-mb B]",
            "    N threads (default 4) in a ring pass off-heap buffers of K KiB (default 64) to each other",
            "    for S seconds (default 5); every 4th buffer is cut into slices that refer back to it (a",
            "    reference cycle). First with safethread: each buffer is a RefCounted handle whose finalizer",
            "    core frees the memory when the last reference goes (cycles: when the collector finds them).",
            "    Then the same workload with java.lang.ref.Cleaner, where memory lingers until the JVM's",
            "    collector runs. Producers keep at most B MiB (default 128) allocated: past that they call",
            "    SafeThread.collect() (safethread) or System.gc() (Cleaner) and wait. Prints bytes held every",
            "    second, then what was left and the runtime's counters.",
            "    Exit status: 0 if safethread ends with 0 bytes held and no corrupted buffer, 1 if not.");

    private ResourcesCommand() {
    }

    static int run(List<String> args, PrintStream out) throws Args.UsageException, InterruptedException {
        Args a = Args.parse("resources", args, Set.of("threads", "seconds", "buffer-kb", "budget-mb"), Set.of());
        ResourcesWorkload.Config d = ResourcesWorkload.Config.defaults();
        int threads = a.intValue("threads", d.threads(), 1, 1024);
        int seconds = a.intValue("seconds", (int) d.duration().toSeconds(), 1, 86_400);
        int kb = a.intValue("buffer-kb", d.bufferBytes() / 1024, 1, 1024 * 1024);
        int budgetMb = a.intValue("budget-mb", (int) (d.budgetBytes() >> 20), 1, 1024 * 1024);
        long minBudget = ResourcesWorkload.Config.minBudget(threads, kb * 1024);
        if ((long) budgetMb << 20 < minBudget) {
            throw new Args.UsageException("resources: --budget-mb " + budgetMb + " is too small for " + threads
                    + " threads of " + kb + " KiB buffers (each thread keeps up to "
                    + ResourcesWorkload.BUFFERS_PER_THREAD + " in flight): at least --budget-mb "
                    + ((minBudget + (1 << 20) - 1) >> 20));
        }
        ResourcesWorkload.Config c = d.withThreads(threads).withDuration(Duration.ofSeconds(seconds))
                .withBufferBytes(kb * 1024).withBudgetBytes((long) budgetMb << 20);

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
        for (String f : so.failures()) {
            out.println("FAILURE (safethread): " + f);
        }
        for (String f : co.failures()) {
            out.println("FAILURE (Cleaner): " + f);
        }
        boolean ok = s.succeeded() && co.failures().isEmpty();
        out.println(ok ? "OK: safethread freed every byte, deterministically"
                : "FAILED" + (so.heldAtEnd() != 0 ? ": safethread leaked " + bytes(so.heldAtEnd()) : ""));
        return ok ? 0 : 1;
    }

    private static void sample(PrintStream out, ResourcesWorkload.Sample p, String relief) {
        out.printf("[%4.1fs] %,7d buffers/s   held %9s (plain %9s, cycles %9s)   freed %9s   %s calls %,5d%n",
                p.elapsed().toMillis() / 1000.0, p.buffersPerSecond(), bytes(p.bytesHeld()),
                bytes(p.bytesHeld() - p.bytesHeldInCycles()), bytes(p.bytesHeldInCycles()), bytes(p.bytesFreed()),
                relief, p.reliefs());
    }

    private static void summary(PrintStream out, ResourcesWorkload.Outcome o) {
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
