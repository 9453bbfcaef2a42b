package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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

    /**
     * A child task that sets {@code running}, then sleeps and swallows the cancellation's
     * interrupt {@code swallows - 1} times, giving in (rethrowing) at the last.
     */
    private static Callable<Integer> stubbornTask(AtomicBoolean running, int swallows) {
        return () -> {
            running.set(true);
            for (int swallowed = 0; ; ) {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    if (++swallowed == swallows) {
                        throw e;
                    }
                }
            }
        };
    }

    /**
     * Starts a thread that opens a branch, forks a child that swallows the cancellation's
     * interrupt {@code swallows - 1} times (giving in at the last), cancels the branch and joins
     * it; returns once the owner is parked inside that join.
     */
    private static Thread ownerJoiningAStubbornChild(int swallows, AtomicReference<Object> outcome) throws Exception {
        CountDownLatch joining = new CountDownLatch(1);
        Thread owner = new Thread(() -> {
            AtomicBoolean running = new AtomicBoolean();
            try (Branch b = Branch.open()) {
                Branch.Child<Integer> stubborn = b.fork(stubbornTask(running, swallows));
                while (!running.get()) {
                    Thread.onSpinWait(); // a child cancelled before its task starts would not run it at all
                }
                b.cancel(); // the first interrupt; the canceller repeats it every 100 ms
                joining.countDown();
                b.join();
                outcome.set(stubborn.state());
            } catch (Throwable e) {
                outcome.set(e);
            }
        }, "owner-joining");
        owner.setDaemon(true);
        owner.start();
        joining.await();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (owner.getState() != Thread.State.WAITING && owner.getState() != Thread.State.TIMED_WAITING) {
            assertThat(System.nanoTime() < deadline && owner.isAlive()).as("the owner parks in join: %s", outcome).isTrue();
            Thread.sleep(1);
        }
        return owner;
    }

    @Test
    // A separate thread: the bug this guards against made the owner's join wait forever.
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aShutdownWhileAnOwnerJoinsACancelledBranchLetsTheJoinEndAndWaitsForTheCanceller() throws Exception {
        // The join registered its branch with the canceller before the shutdown; the shutdown once
        // stopped the canceller under it and returned true, and the child (which needs ten
        // interrupts) was never interrupted again, so the join hung.
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread owner = ownerJoiningAStubbornChild(10, outcome);
        Thread.sleep(150); // the canceller has interrupted the child again at least once
        long start = System.nanoTime();
        boolean clean = SafeThread.shutdown(Duration.ofSeconds(20));
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        owner.join(TimeUnit.SECONDS.toMillis(20));
        assertThat(owner.isAlive()).as("the owner's join still waits").isFalse();
        assertThat(outcome.get()).isEqualTo(Branch.Child.State.CANCELLED);
        // the canceller served the cancelled branch until its child ended, then ended: in time
        assertThat(clean).as("shutdown took %d ms", tookMs).isTrue();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aShutdownThatCannotWaitForACancelledBranchsChildrenReportsFalseAndTheJoinStillEnds() throws Exception {
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread owner = ownerJoiningAStubbornChild(30, outcome); // about 3 s of re-interrupts
        assertThat(SafeThread.shutdown(Duration.ofMillis(200))).as("the canceller is still needed").isFalse();
        owner.join(TimeUnit.SECONDS.toMillis(20));
        assertThat(owner.isAlive()).as("the owner's join still waits").isFalse();
        assertThat(outcome.get()).isEqualTo(Branch.Child.State.CANCELLED);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shutdownsRacingCancellationsNeverStrandAJoin() throws Exception {
        // Each cancel registers its branch with the canceller (Reinterrupter.watch) while shutdowns
        // stop it over and over: a branch registered with a canceller that was just told to stop
        // must still be served (by it, draining, or by a fresh one the registration started).
        java.util.Random rnd = new java.util.Random(42);
        for (int round = 0; round < 6; round++) {
            List<Thread> owners = new ArrayList<>();
            List<AtomicReference<Object>> outcomes = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                AtomicReference<Object> outcome = new AtomicReference<>();
                int delayMs = rnd.nextInt(40);
                Thread owner = new Thread(() -> {
                    AtomicBoolean running = new AtomicBoolean();
                    try (Branch b = Branch.open()) {
                        Branch.Child<Integer> stubborn = b.fork(stubbornTask(running, 4));
                        while (!running.get()) {
                            Thread.onSpinWait();
                        }
                        Thread.sleep(delayMs);
                        b.cancel();
                        b.join();
                        outcome.set(stubborn.state());
                    } catch (Throwable e) {
                        outcome.set(e);
                    }
                }, "owner-" + round + "-" + i);
                owner.setDaemon(true);
                owners.add(owner);
                outcomes.add(outcome);
                owner.start();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15); // each child needs about 0.4 s
            while (BranchTesting.anyAlive(owners)) {
                assertThat(System.nanoTime() < deadline).as("round %d: a join was stranded: %s", round, outcomes).isTrue();
                SafeThread.shutdown(Duration.ofMillis(rnd.nextInt(30)));
                Thread.sleep(rnd.nextInt(20));
            }
            for (AtomicReference<Object> o : outcomes) {
                assertThat(o.get()).isEqualTo(Branch.Child.State.CANCELLED);
            }
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

    @Shareable
    static final class AwaitingCore {
        static final AtomicReference<Object> SEEN = new AtomicReference<>();

        @Finalize
        void close() {
            try {
                SEEN.set(SafeThread.awaitFinalizers(Duration.ofSeconds(5)));
            } catch (Throwable e) {
                SEEN.set(e);
            }
        }
    }

    static final class Awaiting extends RefCounted {
        @FinalizerCore
        final AwaitingCore core = new AwaitingCore();
    }

    /**
     * A {@code @Finalize} on the finalizer thread that waits for the finalizers waits for itself
     * (pending until it returns) and for the cores queued behind it on its own thread: it could
     * only time out, holding up every later finalizer meanwhile. It is refused, like
     * {@code shutdown}; run by {@code finalizeNow} on an application thread it waits as usual.
     */
    @Test
    void aFinalizerOnTheFinalizerThreadMayNotAwaitFinalizers() {
        AwaitingCore.SEEN.set(null);
        new Awaiting().decref();
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(30))).isTrue();
        assertThat(AwaitingCore.SEEN.get()).isInstanceOf(IllegalStateException.class);
        assertThat((Throwable) AwaitingCore.SEEN.get()).hasMessageContaining("safethread-finalizer")
                .hasMessageContaining("SafeThread.awaitFinalizers").hasMessageContaining("application thread");

        AwaitingCore.SEEN.set(null);
        Awaiting a = new Awaiting();
        assertThat(SafeThread.finalizeNow(a)).isTrue();
        assertThat(AwaitingCore.SEEN.get()).as("on an application thread it waits as usual").isEqualTo(true);
        a.decref();
    }
}
