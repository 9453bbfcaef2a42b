package org.safethread.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.awt.image.BufferedImage;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user meets it: captured, shown only when a test fails. */
@ExtendWith(Transcript.class)
class MainTest {
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private Transcript log;

    private int run(Transcript t, String... args) {
        log = t;
        outBytes.reset();
        errBytes.reset();
        PrintStream out = new PrintStream(outBytes, true, Charset.defaultCharset());
        PrintStream err = new PrintStream(errBytes, true, Charset.defaultCharset());
        int status = Main.run(args, out, err);
        log.out().println("$ " + String.join(" ", args) + "   -> exit " + status);
        log.out().print(out());
        log.out().print(err());
        return status;
    }

    private String out() {
        return outBytes.toString(Charset.defaultCharset());
    }

    private String err() {
        return errBytes.toString(Charset.defaultCharset());
    }

    @Test
    void helpListsSubcommandsAndOptions(Transcript t) {
        assertThat(run(t, "--help")).isZero();
        assertThat(out()).contains("bank").contains("resources").contains("--version").contains("Exit status")
                .contains("With no subcommand, runs bank");
        assertThat(err()).isEmpty();
        assertThat(run(t, "bank", "--help")).isZero();
        assertThat(out()).contains("--threads=N").contains("--accounts=M").contains("--seconds=S")
                .contains("--plain").contains("--verbose").contains("default 4").contains("Exit status")
                .contains("p99");
        assertThat(run(t, "help", "resources")).isZero();
        assertThat(out()).contains("--buffer-kb=K").contains("--budget-mb=B").contains("--chart=FILE.png");
    }

    @Test
    void versionNamesTheProjectAndTheJvm(Transcript t) {
        assertThat(run(t, "--version")).isZero();
        assertThat(out()).containsPattern("safethread-examples \\d+\\.\\d+\\.\\d+")
                .contains("Java " + System.getProperty("java.version"));
        assertThat(run(t, "bank", "-V")).isZero();
        assertThat(out()).contains("safethread-examples");
    }

    @Test
    void badArgumentsAreUsageErrors(Transcript t) {
        assertThat(run(t, "bank", "--threads", "many")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("--threads").contains("'many' is not an int").contains("usage: ")
                .contains("bank --help");
        assertThat(run(t, "bank", "--accounts", "1")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("--accounts must be between 2 and 1000000, got 1");
        assertThat(run(t, "bank", "--seconds")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("Missing required parameter for option '--seconds'");
        assertThat(run(t, "bank", "--plain=yes")).isEqualTo(Main.USAGE);
        assertThat(run(t, "bank", "--threads=2", "--threads=3")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("should be specified only once");
        assertThat(run(t, "resources", "--budget-mb", "1")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("too small").contains("at least --budget-mb");
        assertThat(run(t, "resources", "--chart", "/no/such/folder/x.png")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("no such folder");
        assertThat(out()).doesNotContain("summary").doesNotContain("==");
    }

    @Test
    void mistypedOptionsAndSubcommandsGetSuggestions(Transcript t) {
        assertThat(run(t, "bank", "--thread", "2")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("'--thread'").contains("Possible solutions: --threads");
        assertThat(run(t, "--acounts", "3")).as("options before any subcommand are bank's").isEqualTo(Main.USAGE);
        assertThat(err()).contains("--acounts").contains("--accounts");
        assertThat(run(t, "bnak")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("'bnak'").contains("Did you mean: bank?");
        assertThat(run(t, "resorces", "--seconds", "1")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("Did you mean: ").contains(" resources?");
        assertThat(run(t, "xyzzy")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("'xyzzy'").doesNotContain("Did you mean");
        assertThat(out()).isEmpty();
    }

    @Test
    void editDistanceCountsASwapAsOneEdit() {
        assertThat(Main.editDistance("bnak", "bank")).isEqualTo(1);
        assertThat(Main.editDistance("bank", "bank")).isZero();
        assertThat(Main.editDistance("resorces", "resources")).isEqualTo(1);
        assertThat(Main.editDistance("teleport", "bank")).isGreaterThan(2);
        assertThat(Main.editDistance("", "help")).isEqualTo(4);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void bankIsTheDefaultSubcommandAndEndsWithTheTable(Transcript t) {
        assertThat(run(t, "--seconds=1", "--accounts", "3")).isZero();
        assertThat(out()).contains("safethread monitors").contains("money before 3,000, after 3,000: equal")
                .containsPattern("latency p50 [0-9.]+ [nu]?s, p99 [0-9.]+ [nmu]?s, max [0-9.]+ [nmu]?s")
                .containsPattern("the most for one transfer [0-9,]+")
                .contains("for comparison, the same on bare ReentrantLocks")
                .containsPattern("\\n +safethread monitors +bare ReentrantLocks\\n-+\\n")
                .containsPattern("latency p99 +[0-9.]+ [nmu]?s +")
                .containsPattern("money before = after +yes +yes")
                .endsWith("OK" + System.lineSeparator());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void bankSpacePrintsBothThroughputsAndBreaksNoDeadlock(Transcript t) {
        assertThat(run(t, "bank", "--space", "--seconds=1", "--accounts", "2")).isZero();
        assertThat(out()).contains("one MonitorSpace").contains("throughput: one space ")
                .containsPattern("one space [0-9,]+ transfers/s \\(deadlocks broken 0\\)")
                .contains("one monitor per account")
                .containsPattern("\\n +one MonitorSpace +one monitor per account\\n-+\\n")
                .containsPattern("deadlocks +0 broken +[0-9,]+ broken\\n")
                .endsWith("OK" + System.lineSeparator());
        assertThat(run(t, "bank", "--plain", "--space")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("--plain and --space exclude each other");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void plainHangsIsReportedAndComparedWithMonitors(Transcript t) {
        assertThat(run(t, "bank", "--plain", "--seconds=5", "--accounts=2", "--compare-seconds=1")).isZero();
        assertThat(out()).contains("HANG: ThreadMXBean.findDeadlockedThreads()")
                .contains("Watching 2 s more").contains("for comparison, the same on safethread monitors")
                .containsPattern("deadlocks +[0-9,]+ broken +[0-9]+ threads stuck for good")
                .endsWith("OK" + System.lineSeparator());
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void resourcesDrawsTheChart(Transcript t, @TempDir Path dir) throws Exception {
        Path png = dir.resolve("held.png");
        assertThat(run(t, "resources", "--seconds=1", "--threads=2", "--buffer-kb=16", "--budget-mb=8",
                "--chart", png.toString())).isZero();
        assertThat(out()).containsPattern("\\n +safethread +Cleaner\\n-+\\n")
                .containsPattern("held after the clean-up +0 B +")
                .contains("chart: bytes held over time written to " + png);
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image).as("a PNG ImageIO can read").isNotNull();
        assertThat(image.getWidth()).isEqualTo(HeldBytesChart.WIDTH);
        assertThat(image.getHeight()).isEqualTo(HeldBytesChart.HEIGHT);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void indexCountsADirectoryAndComparesWithOneThread(Transcript t, @TempDir Path dir) throws Exception {
        for (int i = 0; i < 40; i++) {
            java.nio.file.Files.writeString(dir.resolve("C" + i + ".java"),
                    "class C" + i + " { int shared; String name" + (i % 3) + "; /* ghost */ }\n");
        }
        assertThat(run(t, "index", dir.toString(), "--threads=2", "--top=3")).isZero();
        assertThat(out()).contains("40 Java files").contains("2 children")
                .containsPattern("parallel: 40 files in [0-9.]+ s")
                .containsPattern("1 +String +40\\n").containsPattern("2 +shared +40\\n")
                .containsPattern("distinct identifiers +45 +45\\n")
                .contains("identical: every identifier has the same count in both")
                .doesNotContain("ghost").endsWith("OK" + System.lineSeparator());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void indexFailAfterShowsTheFailureCancellingTheSiblings(Transcript t, @TempDir Path dir) throws Exception {
        for (int i = 0; i < 400; i++) {
            java.nio.file.Files.writeString(dir.resolve("C" + i + ".java"), "class C" + i + " {}\n");
        }
        assertThat(run(t, "index", dir.toString(), "--threads=3", "--fail-after=10")).isZero();
        assertThat(out()).contains("FAILURE: ").contains("unreadable entry (simulated by --fail-after 10)")
                .containsPattern("3 children: 1 failed, [0-9] cancelled, [0-9] had finished")
                .endsWith("OK: the failure was reported and every sibling stopped" + System.lineSeparator());
    }

    @Test
    void indexOfAMissingPathIsAUsageError(Transcript t, @TempDir Path dir) {
        assertThat(run(t, "index", dir.resolve("nowhere").toString())).isEqualTo(Main.USAGE);
        assertThat(err()).contains("PATH " + dir.resolve("nowhere") + " does not exist");
        assertThat(out()).isEmpty();
    }
}
