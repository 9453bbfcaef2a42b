package org.safethread.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class MainTest {
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

    private int run(String... args) {
        outBytes.reset();
        errBytes.reset();
        PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        int status = Main.run(args, out, err);
        System.out.print(out());
        System.out.print(err());
        return status;
    }

    private String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void helpListsSubcommandsAndOptions() {
        assertThat(run("--help")).isZero();
        assertThat(out()).contains("bank [--threads N] [--accounts M] [--seconds S] [--plain | --space]")
                .contains("resources [--threads N] [--seconds S] [--buffer-kb K]")
                .contains("--verbose").contains("Exit status");
        assertThat(err()).isEmpty();
    }

    @Test
    void helpAfterASubcommandToo() {
        assertThat(run("resources", "-h")).isZero();
        assertThat(out()).contains("subcommands:");
    }

    @Test
    void badArgumentsAreUsageErrors() {
        assertThat(run("bank", "--threads", "many")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("--threads needs a whole number, got 'many'");
        assertThat(run("bank", "--accounts", "1")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("--accounts must be between 2");
        assertThat(run("bank", "--seconds")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("--seconds needs a value");
        assertThat(run("bank", "--frobnicate")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("unknown option --frobnicate");
        assertThat(run("bank", "--plain=yes")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("--plain takes no value");
        assertThat(run("bank", "--plain", "--space")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("--plain and --space exclude each other");
        assertThat(run("bank", "--threads=2", "--threads=3")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("given twice");
        assertThat(run("teleport")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("unknown subcommand 'teleport'");
        assertThat(run("resources", "--budget-mb", "1")).isEqualTo(Main.USAGE);
        assertThat(err()).contains("too small");
        assertThat(out()).doesNotContain("summary");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void bankIsTheDefaultSubcommand() {
        assertThat(run("--seconds=1", "--accounts", "3")).isZero();
        assertThat(out()).contains("safethread monitors").contains("money before 3,000, after 3,000: equal")
                .contains("OK");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void bankSpacePrintsBothThroughputsAndBreaksNoDeadlock() {
        assertThat(run("bank", "--space", "--seconds=1", "--accounts", "2")).isZero();
        assertThat(out()).contains("one MonitorSpace").contains("throughput: one space ")
                .containsPattern("one space [0-9,]+ transfers/s \\(deadlocks broken 0\\)")
                .contains("one monitor per account").endsWith("OK" + System.lineSeparator());
    }
}
