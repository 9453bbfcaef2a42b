package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 10 E: the runtime's threads keep nothing of the thread that happened to start them. A
 * plugin loaded by a throwaway {@code URLClassLoader} (its context loader too) makes the first
 * calls into safethread, starting every runtime thread; once the plugin is dropped its loader is
 * collected (a child JVM, so that the runtime threads are started by the plugin and no one else).
 */
@Timeout(120)
class RuntimeThreadContextTest {

    @Test
    void aPluginThatStartsTheRuntimeCanBeUnloaded() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                "-Dsafethread.collector.threshold=64", RuntimeThreadContextMain.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = read(p);
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).as(out).contains("THREAD safethread-finalizer true system")
                .contains("THREAD safethread-housekeeper true system")
                .contains("THREAD safethread-collector true system")
                .doesNotContain(" plugin\n")
                .contains("COLLECTED");
    }

    private static String read(Process p) throws IOException {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
