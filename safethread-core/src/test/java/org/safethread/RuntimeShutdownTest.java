package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link SafeThread#shutdown(Duration)}: pending finalizers run, the runtime threads end, later
 * use restarts them, concurrent calls, refusals, and a bundled copy of the library is collectable
 * after it (and, as a control, not without it). The scenarios that look at which threads are
 * alive run in a child JVM ({@link RuntimeShutdownMain}), where no other test's threads exist.
 */
@Timeout(180)
class RuntimeShutdownTest {

    private static String child(String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                "-Dsafethread.collector.threshold=64", RuntimeShutdownMain.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = read(p);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    private static String read(Process p) throws IOException {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void pendingFinalizersRunThenTheThreadsEndAndLaterUseRestartsThem() throws Exception {
        String out = child("drain");
        assertThat(out).as(out)
                .contains("CANCELLER true")
                .containsPattern("BEFORE \\[.*safethread-canceller.*safethread-collector.*safethread-finalizer.*"
                        + "safethread-housekeeper.*\\]")
                // every one of the 20 slow finalizers ran before shutdown returned, none is pending
                .contains("SHUTDOWN true ran=20 pending=0")
                .contains("AFTER []")
                // a death with a core after the shutdown starts the finalizer (and its watchdog) again
                .containsPattern("RESTARTED true ran=21 \\[.*safethread-finalizer, safethread-housekeeper\\]")
                .contains("SHUTDOWN2 true []")
                // four callers at once: each waits its turn, all see the 10 queued finalizers run
                .contains("CONCURRENT trues=4/4 ran=31 failed=null []");
    }

    @Test
    void aBundledCopyOfTheLibraryIsCollectableAfterShutdown() throws Exception {
        String out = child("loader");
        assertThat(out).as(out)
                .containsPattern("STARTED \\[.*safethread-collector, safethread-finalizer, safethread-housekeeper\\]")
                .contains("SHUTDOWN true")
                .contains("THREADS []")
                .contains("COLLECTED");
    }

    @Test
    void withoutShutdownTheRuntimeThreadsKeepABundledCopyReachable() throws Exception {
        // The control: the test above could not pass by accident.
        String out = child("loader", "noshutdown");
        assertThat(out).as(out)
                .containsPattern("THREADS \\[.*safethread-finalizer.*\\]")
                .contains("RETAINED");
    }

    @Test
    void aNullTimeoutIsRefusedNamingIt() {
        assertThatThrownBy(() -> SafeThread.shutdown(null))
                .isInstanceOf(NullPointerException.class).hasMessage("SafeThread.shutdown: timeout is null");
    }

    @Test
    // A separate thread: the bug this guards against made join wait forever, and a join does not
    // end at the timeout's interrupt (it cancels the branch and goes on waiting for the children).
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aJoinAfterAShutdownStillEndsAChildThatSwallowsTheCancellationsInterrupt() throws Exception {
        // The canceller re-interrupts such a child every 100 ms; the shutdown stopped it, and the
        // join (a later use, which restarts the runtime) once waited for the child forever.
        try (Branch b = Branch.open()) {
            Branch.Child<Integer> stubborn = b.fork(() -> {
                for (int swallowed = 0; ; ) {
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        if (++swallowed == 10) {
                            throw e; // gives in at the tenth: more than the canceller's rounds before it stopped
                        }
                    }
                }
            });
            Thread.sleep(50);
            b.cancel(); // the first interrupt; the canceller starts to repeat it
            Thread.sleep(150);
            SafeThread.shutdown(Duration.ofSeconds(5)); // stops the canceller
            b.join();
            assertThat(stubborn.state()).isEqualTo(Branch.Child.State.CANCELLED);
        }
    }

    @Shareable
    static final class ShuttingCore {
        static final AtomicReference<Throwable> SEEN = new AtomicReference<>();

        @Finalize
        void close() {
            try {
                SafeThread.shutdown(Duration.ofSeconds(1));
                SEEN.set(new AssertionError("shutdown was not refused"));
            } catch (Throwable e) {
                SEEN.set(e);
            }
        }
    }

    static final class Shutting extends RefCounted {
        @FinalizerCore
        final ShuttingCore core = new ShuttingCore();
    }

    @Test
    void aFinalizerOnTheFinalizerThreadMayNotShutDown() {
        ShuttingCore.SEEN.set(null);
        new Shutting().decref();
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(30))).isTrue();
        assertThat(ShuttingCore.SEEN.get()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("safethread-finalizer").hasMessageContaining("runtime's own threads");
    }

    @Test
    void aFinalizerRunByFinalizeNowMayNotShutDownEither() {
        ShuttingCore.SEEN.set(null);
        Shutting s = new Shutting();
        assertThat(SafeThread.finalizeNow(s)).isTrue();
        assertThat(ShuttingCore.SEEN.get()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("inside a @Finalize method");
        s.decref();
    }
}
