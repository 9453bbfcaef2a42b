package org.safethread.examples;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code index} subcommand: find the sources, count in parallel and in one thread, compare. */
@Command(name = "index", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false,
        description = {
            "Counts the identifiers of Java source code in parallel: a Branch and a SharedMap on real input.",
            "",
            "PATH is a zip or a directory of .java files; by default the running JDK's lib/src.zip, or where",
            "the running JDK has none (Debian's JDK 17 ships it in openjdk-17-source), the newest src.zip of",
            "another JDK beside it. The files are split into one chunk per thread, balanced by size; a Branch",
            "forks one child per chunk; each child lexes its files and adds its counts into one SharedMap.",
            "The first failure (an unreadable entry) cancels the siblings and is reported. Prints progress",
            "every second, then the top identifiers, files and bytes per second, deadlocks broken, and the",
            "same count from a single thread, which must be identical.",
            ""},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:the parallel count equals the single-thread count (with --fail-after: the failure was reported"
                    + " and every sibling stopped)",
            "1:it does not, a file could not be read, or no src.zip was found",
            "2:a command-line mistake (PATH does not exist)"})
final class IndexCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private Verbose verbose;

    @Parameters(index = "0", arity = "0..1", paramLabel = "PATH",
            description = "a zip or directory of Java sources (default: a JDK's lib/src.zip)")
    private Path path;

    private int threads;
    private int top;
    private int failAfter;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "children, one per chunk of files (1..1024; default 0: one per processor)")
    void threads(int n) {
        threads = n == 0 ? Runtime.getRuntime().availableProcessors() : Options.range(spec, "--threads", n, 1, 1024);
    }

    @Option(names = "--top", paramLabel = "K", defaultValue = "20",
            description = "how many of the most frequent identifiers to print (0..1000, default ${DEFAULT-VALUE})")
    void top(int k) {
        top = Options.range(spec, "--top", k, 0, 1000);
    }

    @Option(names = "--fail-after", paramLabel = "N", defaultValue = "0",
            description = "treat the file after the first N as unreadable, to show the failure cancelling the"
                    + " siblings (0 = off)")
    void failAfter(int n) {
        failAfter = Options.range(spec, "--fail-after", n, 0, Integer.MAX_VALUE);
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path p = path;
        String origin;
        if (p == null) {
            Path home = Path.of(System.getProperty("java.home"));
            Optional<Path> found;
            try {
                found = IndexWorkload.findSrcZip(home);
            } catch (IOException e) {
                found = Optional.empty();
            }
            if (found.isEmpty()) {
                err.println("error: the running JDK (" + home + ", Java " + System.getProperty("java.version")
                        + ") has no lib/src.zip, and no JDK beside it has one. Install the JDK's sources (on Debian:"
                        + " apt-get install openjdk-" + Runtime.version().feature() + "-source) or give a PATH:"
                        + " a zip or directory of .java files.");
                return 1;
            }
            p = found.get();
            origin = p.startsWith(home) ? "the running JDK's sources"
                    : "the running JDK (" + home + ") has no lib/src.zip; found this one beside it";
        } else {
            if (!Files.exists(p)) {
                throw new ParameterException(spec.commandLine(), "PATH " + p + " does not exist (give a zip or a "
                        + "directory of .java files, or nothing for the JDK's src.zip)");
            }
            origin = Files.isDirectory(p) ? "a directory" : "a zip";
        }

        IndexWorkload.Source src;
        try {
            src = IndexWorkload.Source.of(p);
        } catch (IOException e) {
            err.println("error: cannot read " + p + ": " + e.getMessage() + " (PATH must be a zip or a directory"
                    + " of .java files)");
            return 1;
        }
        if (src.names().isEmpty()) {
            err.println("error: " + p + " contains no .java files");
            return 1;
        }
        long total = src.names().size();
        out.printf("index: %s (%s)%n", p, origin);
        out.printf("       %,d Java files, %s; %d children, one per chunk of about %,d files, counting into one "
                + "SharedMap%n", total, ResourcesCommand.bytes(src.totalBytes()), threads, (total + threads - 1) / threads);
        if (failAfter > 0) {
            out.printf("       --fail-after %d: file %,d will fail as unreadable%n", failAfter, failAfter + 1L);
        }
        try {
            long warm = IndexWorkload.warmUp(src, 16L << 20);
            out.printf("       warm-up: lexed the first %s once, untimed, so both timed counts run compiled code%n",
                    ResourcesCommand.bytes(warm));
        } catch (IOException e) {
            out.println("FAILURE: warm-up: " + e);
            out.println("FAILED");
            return 1;
        }
        IndexWorkload.ParallelResult r = IndexWorkload.parallel(src, threads, failAfter,
                pr -> out.printf("[%4.1fs] files %,9d/%,d (%3d%%)   %10s   %,7d files/s"
                        + "   distinct identifiers merged so far %,9d%n", pr.elapsed().toMillis() / 1000.0,
                        pr.files(), total, pr.files() * 100 / total,
                        ResourcesCommand.bytes(pr.bytes()), pr.files() * 1000 / Math.max(1, pr.elapsed().toMillis()),
                        pr.distinct()), Duration.ofSeconds(1));
        IndexWorkload.Count c = r.count();
        out.println();
        if (r.failure() != null) {
            out.println("FAILURE: " + r.failure());
            out.printf("         the first failure cancelled the siblings: %d children: %d failed, %d cancelled, "
                    + "%d had finished; %,d of %,d files counted before the stop (%.1f s)%n", r.children(),
                    r.failedChildren(), r.cancelled(), r.succeeded(), c.files(), total,
                    c.elapsed().toMillis() / 1000.0);
            boolean shown = failAfter > 0 && r.failedChildren() == 1 && r.failure().contains("--fail-after")
                    && r.succeeded() + r.cancelled() + r.failedChildren() == r.children();
            out.println(shown ? "OK: the failure was reported and every sibling stopped" : "FAILED");
            return shown ? 0 : 1;
        }
        if (failAfter > 0) {
            out.println("--fail-after " + failAfter + ": there are only " + total + " files, so none failed");
        }
        out.printf("parallel: %,d files in %.2f s: %,d files/s, %s/s; %,d distinct identifiers, %,d occurrences; "
                + "deadlocks broken %,d%n", c.files(), c.elapsed().toMillis() / 1000.0, c.filesPerSecond(),
                ResourcesCommand.bytes(c.bytesPerSecond()), c.counts().size(), c.occurrences(), r.deadlocksBroken());
        if (top > 0) {
            out.println();
            out.println("top " + top + " identifiers:");
            List<Map.Entry<String, Long>> t = c.top(top);
            int i = 0;
            for (Map.Entry<String, Long> e : t) {
                out.printf("  %4d  %-30s %,12d%n", ++i, e.getKey(), e.getValue());
            }
        }
        out.println();
        out.println("the same count in a single thread (a plain HashMap), to compare:");
        IndexWorkload.Count s;
        try {
            s = IndexWorkload.singleThread(src);
        } catch (IOException e) {
            out.println("FAILURE: single thread: " + e);
            out.println("FAILED");
            return 1;
        }
        boolean same = s.counts().equals(c.counts());
        out.println();
        Table table = new Table("", threads + (threads == 1 ? " child" : " children") + " (Branch + SharedMap)",
                "single thread (HashMap)");
        table.row("files", String.format("%,d", c.files()), String.format("%,d", s.files()));
        table.row("time", String.format("%.2f s", c.elapsed().toMillis() / 1000.0),
                String.format("%.2f s", s.elapsed().toMillis() / 1000.0));
        table.row("files/s", String.format("%,d", c.filesPerSecond()), String.format("%,d", s.filesPerSecond()));
        table.row("bytes/s", ResourcesCommand.bytes(c.bytesPerSecond()) + "/s",
                ResourcesCommand.bytes(s.bytesPerSecond()) + "/s");
        table.row("distinct identifiers", String.format("%,d", c.counts().size()), String.format("%,d", s.counts().size()));
        table.row("occurrences", String.format("%,d", c.occurrences()), String.format("%,d", s.occurrences()));
        table.row("CPUs used (process CPU time / time)", String.format("%.2f", c.cpusUsed()),
                String.format("%.2f", s.cpusUsed()));
        table.row("deadlocks broken", String.format("%,d", r.deadlocksBroken()), "-");
        table.print(out);
        out.println();
        if (same) {
            out.printf("identical: every identifier has the same count in both (parallel/single files per second: %.2fx"
                    + " on %d processors)%n",
                    (double) c.filesPerSecond() / Math.max(1, s.filesPerSecond()),
                    Runtime.getRuntime().availableProcessors());
        } else {
            long differ = c.counts().entrySet().stream().filter(e -> !e.getValue().equals(s.counts().get(e.getKey())))
                    .count() + s.counts().keySet().stream().filter(k -> !c.counts().containsKey(k)).count();
            out.printf("FAILURE: the counts differ for %,d identifiers%n", differ);
        }
        out.println(same ? "OK" : "FAILED");
        return same ? 0 : 1;
    }
}
