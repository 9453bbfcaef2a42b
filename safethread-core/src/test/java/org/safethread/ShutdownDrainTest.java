package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** At JVM shutdown pending finalizers are drained, for at most the configured time. */
@Timeout(120)
class ShutdownDrainTest {

    private static Process run(Path out, int n, long sleepMs, String shutdownTimeout) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dsafethread.finalizer.shutdownTimeout=" + shutdownTimeout,
                ShutdownDrainMain.class.getName(), out.toString(), Integer.toString(n), Long.toString(sleepMs));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    @Test
    void pendingFinalizersRunBeforeTheJvmExits() throws Exception {
        Path out = Files.createTempFile("drain", ".txt");
        Process p = run(out, 10, 50, "10s");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(out)).hasSize(10);
        Files.deleteIfExists(out);
    }

    @Test
    void theDrainIsBoundedByTheShutdownTimeout() throws Exception {
        Path out = Files.createTempFile("drain", ".txt");
        long t0 = System.nanoTime();
        Process p = run(out, 20, 1_000, "300ms");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(Files.readString(out).length()).as("finalizers that ran").isLessThan(20);
        assertThat(tookMs).as("exit is not held for all 20 s of finalizers").isLessThan(15_000);
        Files.deleteIfExists(out);
        assertThat(new File(System.getProperty("java.home"))).exists();
    }
}
