package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.internal.finalizer.LeakReports;
import org.safethread.internal.runtime.Settings;
import org.safethread.testing.CapturedLogs;
import org.slf4j.event.Level;

/**
 * Issue 17: what an operator sees. The statistics that were computed but hidden, the JFR events
 * of every abnormal event (read back with {@code jdk.jfr.consumer}, durations included), leak
 * detection levels and aggregated leak reports.
 */
@Timeout(120)
class ObservabilityTest {

    @AfterEach
    void restoreSettings() {
        Settings.setStallTimeout(Duration.ofSeconds(10));
        Settings.setLeakDetection("off");
    }

    static final class Node extends RefCounted {
        final Ref<Node> next = new Ref<>();
    }

    // ------------------------------------------------------------------ statistics

    @Test
    void overReleasesAreCountedWhenTheDecrefIsRefused() {
        long before = SafeThread.stats().overReleases();
        Node owned = new Node();
        owned.decref(); // dies
        assertThatThrownBy(owned::decref).isInstanceOf(IllegalStateException.class).hasMessageContaining("over-release");
        assertThat(SafeThread.stats().overReleases() - before).isEqualTo(1);

        Node kept = new Node();
        kept.incref();
        kept.decref();
        kept.decref(); // dies
        assertThatThrownBy(kept::decref).isInstanceOf(IllegalStateException.class);
        assertThat(SafeThread.stats().overReleases() - before).isEqualTo(2);
    }

    @Test
    void collectionsReportWhatTheyExaminedAndHowLongTheyPaused() {
        RuntimeStats before = SafeThread.stats();
        makeCycle();
        CollectionResult r = SafeThread.collect();
        RuntimeStats after = SafeThread.stats();
        assertThat(r.examined()).isGreaterThanOrEqualTo(2);
        assertThat(after.objectsExamined() - before.objectsExamined()).isGreaterThanOrEqualTo(r.examined());
        assertThat(after.collectionPauseTotalNanos()).isGreaterThan(before.collectionPauseTotalNanos());
        assertThat(after.collectionPauseMaxNanos()).isPositive()
                .isLessThanOrEqualTo(after.collectionPauseTotalNanos())
                .isGreaterThanOrEqualTo(before.collectionPauseMaxNanos());
    }

    @Test
    void liveRuntimeThreadsCountsTheRuntimesOwnThreads() throws Exception {
        failingCoreOwner(new AtomicInteger(), 0).decref(); // starts the finalizer and the housekeeper
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(10))).isTrue();
        // A replaced (stalled) finalizer thread of another test may be ending meanwhile: compare
        // until two readings of the JVM's threads agree with the statistic between them.
        long[] seen = new long[2];
        waitUntil(() -> {
            seen[0] = runtimeThreadsByName();
            seen[1] = SafeThread.stats().liveRuntimeThreads();
            return seen[0] == seen[1] && runtimeThreadsByName() == seen[0];
        }, Duration.ofSeconds(20));
        assertThat(seen[0]).isGreaterThanOrEqualTo(2);
        assertThat(seen[1]).isEqualTo(seen[0]);
    }

    private static long runtimeThreadsByName() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("safethread-")
                        && !t.getName().equals("safethread-shutdown"))
                .count();
    }

    @Test
    void theMxBeanShowsTheSameStatistics() throws Exception {
        javax.management.MBeanServer server = javax.management.MBeanServerFactory.newMBeanServer();
        java.lang.reflect.Method register = Class.forName("org.safethread.internal.metrics.Jmx")
                .getDeclaredMethod("register", javax.management.MBeanServer.class);
        register.setAccessible(true);
        register.invoke(null, server);
        javax.management.ObjectName name = new javax.management.ObjectName("org.safethread:type=Runtime");
        Node n = new Node();
        n.decref();
        assertThatThrownBy(n::decref).isInstanceOf(IllegalStateException.class);
        long over = (Long) server.getAttribute(name, "OverReleases");
        assertThat(over).isEqualTo(SafeThread.stats().overReleases()).isPositive();
        assertThat(server.getMBeanInfo(name).getAttributes()).hasSize(16);
        assertThat(ManagementFactory.getPlatformMBeanServer().isRegistered(name))
                .as("opt-in: not registered without safethread.jmx=true").isFalse();
    }

    @Test
    void withSafethreadJmxTheBeanIsOnThePlatformServer() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Dsafethread.jmx=true", "-cp", System.getProperty("java.class.path"),
                JmxMain.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("registered=true collections=1");
        assertThat(p.exitValue()).isZero();
    }

    /** Child JVM of the test above. */
    public static final class JmxMain {
        public static void main(String[] args) throws Exception {
            SafeThread.collect();
            javax.management.ObjectName name = new javax.management.ObjectName("org.safethread:type=Runtime");
            javax.management.MBeanServer s = ManagementFactory.getPlatformMBeanServer();
            System.out.println("registered=" + s.isRegistered(name) + " collections=" + s.getAttribute(name, "Collections"));
        }
    }

    @Test
    void withoutAnSlf4jProviderTheFirstFailurePrintsOneNoticeOnSystemLogger(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        // A child JVM whose class path has the library, SLF4J's API and ASM, and no SLF4J provider
        // (the test class path has one), running a single-file program: two failing finalizers.
        String cp = java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(e -> e.endsWith("classes") && !e.endsWith("test-classes")
                        || e.contains("slf4j-api") || e.contains("asm") || e.contains("jspecify"))
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
        Path main = dir.resolve("NoBackend.java");
        Files.writeString(main, String.join("\n",
                "import org.safethread.*;",
                "public class NoBackend {",
                "  @Shareable public static final class Core {",
                "    @Finalize void close() { throw new IllegalStateException(\"boom\"); }",
                "  }",
                "  public static final class Owner extends RefCounted {",
                "    @FinalizerCore final Core core = new Core();",
                "  }",
                "  public static void main(String[] a) {",
                "    new Owner().decref();",
                "    new Owner().decref();",
                "    SafeThread.awaitFinalizers(java.time.Duration.ofSeconds(10));",
                "    System.out.println(\"failures=\" + SafeThread.stats().finalizerFailures());",
                "  }",
                "}"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", cp, main.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("failures=2");
        assertThat(out.split("SLF4J has no logging provider", -1)).as(out).hasSize(2); // exactly one notice
        assertThat(out).contains("a @Finalize method threw").contains("SafeThread.stats()");
    }

    // ------------------------------------------------------------------ JFR

    @Test
    void collectionEventsHaveTheirRealDuration() throws Exception {
        List<RecordedEvent> events = record("org.safethread.Collection", () -> {
            makeCycle();
            SafeThread.collect();
        });
        assertThat(events).isNotEmpty();
        RecordedEvent e = events.get(events.size() - 1);
        assertThat(e.getDuration()).isPositive();
        assertThat(e.getDuration().toNanos()).isGreaterThanOrEqualTo(e.getLong("pause"));
        assertThat(e.getLong("examined")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aRefusedOverReleaseIsAnEventWithTheReleasingStack() throws Exception {
        List<RecordedEvent> events = record("org.safethread.OverRelease", () -> {
            Node n = new Node();
            n.decref();
            assertThatThrownBy(n::decref).isInstanceOf(IllegalStateException.class);
        });
        assertThat(events).hasSize(1);
        assertThat(events.get(0).getString("objectClass")).isEqualTo(Node.class.getName());
        assertThat(events.get(0).getBoolean("foundAtMerge")).isFalse();
        assertThat(events.get(0).getStackTrace().getFrames())
                .anyMatch(f -> f.getMethod().getName().contains("aRefusedOverReleaseIsAnEvent"));
    }

    /** A core whose finalizer runs for a while, then throws. */
    @Shareable
    static final class FailingCore {
        final AtomicInteger runs;
        final long sleepMillis;

        FailingCore(AtomicInteger runs, long sleepMillis) {
            this.runs = runs;
            this.sleepMillis = sleepMillis;
        }

        @Finalize
        void finish() throws InterruptedException {
            runs.incrementAndGet();
            Thread.sleep(sleepMillis);
            throw new IllegalStateException("finalizer failed on purpose");
        }
    }

    static final class FailingOwner extends RefCounted {
        @FinalizerCore
        final FailingCore core;

        FailingOwner(FailingCore core) {
            this.core = core;
        }
    }

    private static FailingOwner failingCoreOwner(AtomicInteger runs, long sleepMillis) {
        return new FailingOwner(new FailingCore(runs, sleepMillis));
    }

    @Test
    void aFailingFinalizerIsAnEventLastingAsLongAsItRan() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        List<RecordedEvent> events = record("org.safethread.FinalizerFailed", () -> {
            failingCoreOwner(runs, 50).decref();
            assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(10))).isTrue();
        });
        assertThat(runs.get()).isEqualTo(1);
        assertThat(events).hasSize(1);
        RecordedEvent e = events.get(0);
        assertThat(e.getString("coreClass")).isEqualTo(FailingCore.class.getName());
        assertThat(e.getString("ownerClass")).isEqualTo(FailingOwner.class.getName());
        assertThat(e.getString("exception")).contains("finalizer failed on purpose");
        assertThat(e.getDuration()).isGreaterThanOrEqualTo(Duration.ofMillis(50));
        assertThat(e.getThread().getJavaName()).startsWith("safethread-finalizer");
    }

    @Shareable
    static final class StallingCore {
        final CountDownLatch release;

        StallingCore(CountDownLatch release) {
            this.release = release;
        }

        @Finalize
        void finish() throws InterruptedException {
            release.await(30, TimeUnit.SECONDS);
        }
    }

    static final class StallingOwner extends RefCounted {
        @FinalizerCore
        final StallingCore core;

        StallingOwner(StallingCore core) {
            this.core = core;
        }
    }

    @Test
    void aStalledFinalizerIsAnEventSayingHowLongItRan() throws Exception {
        Settings.setStallTimeout(Duration.ofMillis(200));
        CountDownLatch release = new CountDownLatch(1);
        long stallsBefore = SafeThread.stats().finalizerStalls();
        List<RecordedEvent> events;
        try {
            events = record("org.safethread.FinalizerStalled", () -> {
                new StallingOwner(new StallingCore(release)).decref();
                waitUntil(() -> SafeThread.stats().finalizerStalls() > stallsBefore, Duration.ofSeconds(20));
            });
        } finally {
            release.countDown();
        }
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(20))).isTrue();
        assertThat(events).hasSize(1);
        RecordedEvent e = events.get(0);
        assertThat(e.getString("coreClass")).isEqualTo(StallingCore.class.getName());
        assertThat(e.getLong("running")).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
        assertThat(e.getString("stalledThread")).startsWith("safethread-finalizer");
    }

    /** A monitor target whose method holds the monitor until told to leave. */
    public static class Gate {
        private final CountDownLatch inside = new CountDownLatch(1);
        private final CountDownLatch leave = new CountDownLatch(1);

        @MonitorMethod
        public void holdUntilReleased() throws InterruptedException {
            inside.countDown();
            leave.await(20, TimeUnit.SECONDS);
        }

        @MonitorMethod
        public void pass() {
        }
    }

    @Test
    void aContendedEntryPastTheThresholdIsAnEventWithTheWait() throws Exception {
        Gate target = new Gate();
        Gate gate = Monitor.of(target);
        List<RecordedEvent> events = record("org.safethread.MonitorEnter", () -> {
            Thread holder = new Thread(() -> {
                try {
                    gate.holdUntilReleased();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "jfr-holder");
            holder.start();
            assertThat(target.inside.await(10, TimeUnit.SECONDS)).isTrue();
            Thread entrant = Thread.currentThread();
            Thread releaser = new Thread(() -> {
                // Release 100 ms after the entrant is parked in the monitor entry (its blocker is
                // the monitor's lock), whatever the scheduler did before it got there.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (LockSupport.getBlocker(entrant) == null && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
                target.leave.countDown();
            });
            releaser.start();
            gate.pass(); // parks at least 100 ms: past the 20 ms threshold
            holder.join(10_000);
            releaser.join(10_000);
        });
        assertThat(events).hasSize(1);
        RecordedEvent e = events.get(0);
        assertThat(e.getDuration()).isGreaterThanOrEqualTo(Duration.ofMillis(100));
        assertThat(e.getString("monitor")).isNotBlank();
        assertThat(e.getThread().getJavaName()).isEqualTo(Thread.currentThread().getName());
    }

    @Test
    void aShortContendedEntryIsBelowTheThreshold() throws Exception {
        Gate target = new Gate();
        Gate gate = Monitor.of(target);
        List<RecordedEvent> events = record("org.safethread.MonitorEnter", () -> {
            Thread holder = new Thread(() -> {
                try {
                    gate.holdUntilReleased();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            holder.start();
            assertThat(target.inside.await(10, TimeUnit.SECONDS)).isTrue();
            target.leave.countDown(); // the holder leaves at once: any wait is far below 20 ms...
            gate.pass();
            holder.join(10_000);
        });
        // ...unless this machine descheduled us for 20 ms; then the event must say so truthfully.
        assertThat(events).allSatisfy(e -> assertThat(e.getDuration()).isGreaterThanOrEqualTo(Duration.ofMillis(20)));
    }

    // ------------------------------------------------------------------ leaks

    static final class Leaky extends RefCounted {
    }

    static final class LeakySummarized extends RefCounted {
    }

    @Test
    void leakDetectionLevelsParseAndRefuseNonsense() {
        Settings.setLeakDetection("simple");
        assertThat(Settings.leakDetection()).isEqualTo("simple");
        Settings.setLeakDetection("SAMPLED:64");
        assertThat(Settings.leakDetection()).isEqualTo("sampled:64");
        assertThat(Settings.leakSampleInterval()).isEqualTo(64);
        Settings.setLeakDetection("paranoid");
        assertThat(Settings.leakLevel()).isEqualTo(Settings.LEAKS_PARANOID);
        Settings.setLeakTracking(false); // the old boolean: an alias
        assertThat(Settings.leakDetection()).isEqualTo("off");
        Settings.setLeakTracking(true);
        assertThat(Settings.leakDetection()).isEqualTo("paranoid");
        for (String bad : new String[] {"sampled:0", "sampled:x", "sampled", "loud", ""}) {
            assertThatThrownBy(() -> Settings.setLeakDetection(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("safethread.leakDetection")
                    .hasMessageContaining("sampled:N");
        }
        assertThat(Settings.leakDetection()).as("a refused value changes nothing").isEqualTo("paranoid");
    }

    @Test
    void sampledRecordsTheSiteOfAboutOneInN() {
        Settings.setLeakDetection("sampled:4");
        int sites = 0;
        int n = 8000;
        for (int i = 0; i < n; i++) {
            if (org.safethread.internal.refcount.LeakSites.site() != null) {
                sites++;
            }
        }
        // Binomial(8000, 1/4): mean 2000, standard deviation about 39; 6 sigma either side.
        assertThat(sites).isBetween(1760, 2240);
        Settings.setLeakDetection("simple");
        assertThat(org.safethread.internal.refcount.LeakSites.site()).isNull();
        assertThat(org.safethread.internal.refcount.LeakSites.watched(false)).isTrue();
        Settings.setLeakDetection("off");
        assertThat(org.safethread.internal.refcount.LeakSites.watched(false)).isFalse();
        assertThat(org.safethread.internal.refcount.LeakSites.watched(true)).isTrue();
    }

    @Test
    void simpleDetectsALeakWithoutASiteAndItIsAnEvent() throws Exception {
        Settings.setLeakDetection("simple");
        long before = SafeThread.stats().leaksDetected();
        CapturedLogs.clear();
        List<RecordedEvent> events = record("org.safethread.LeakDetected", () -> {
            leakOne(Leaky::new);
            gcUntil(() -> SafeThread.stats().leaksDetected() > before, Duration.ofSeconds(20));
            gcUntil(() -> false, Duration.ofMillis(200)); // time for a second (wrong) report to show
        });
        assertThat(SafeThread.stats().leaksDetected() - before).isPositive();
        events.removeIf(e -> !e.getString("objectClass").equals(Leaky.class.getName()));
        assertThat(events).hasSize(1);
        assertThat(events.get(0).getString("allocationSite")).isEmpty();
        assertThat(CapturedLogs.at(Level.WARN, "leaked " + Leaky.class.getName()))
                .singleElement().satisfies(e -> {
                    assertThat(e.throwable()).isNull();
                    assertThat(e.logger()).isEqualTo(LeakReports.LOGGER_NAME);
                    assertThat(e.message()).contains("leakDetection=paranoid");
                });
    }

    @Test
    void manyLeaksOfOneClassAreLoggedAFewTimesThenSummarized() throws Exception {
        Settings.setLeakDetection("paranoid");
        long before = SafeThread.stats().leaksDetected();
        CapturedLogs.clear();
        int n = 40;
        for (int i = 0; i < n; i++) {
            leakOne(LeakySummarized::new);
        }
        gcUntil(() -> SafeThread.stats().leaksDetected() - before >= n, Duration.ofSeconds(30));
        assertThat(SafeThread.stats().leaksDetected() - before).isGreaterThanOrEqualTo(n);
        List<CapturedLogs.Event> individual = CapturedLogs.at(Level.WARN, "leaked " + LeakySummarized.class.getName());
        assertThat(individual).hasSize(3).allSatisfy(e -> assertThat(e.throwable()).isNotNull()
                .hasMessageContaining("allocated here"));
        LeakReports.summarizeNow();
        List<CapturedLogs.Event> summary = CapturedLogs.at(Level.WARN, "leaked " + (n - 3) + " more "
                + LeakySummarized.class.getName());
        assertThat(summary).singleElement().satisfies(e -> assertThat(e.message())
                .contains("(" + n + " in all)").contains("allocated at").contains("leakOne"));
        LeakReports.summarizeNow();
        assertThat(CapturedLogs.at(Level.WARN, "more " + LeakySummarized.class.getName()))
                .as("nothing new: no second summary").hasSize(1);
    }

    @Test
    void aThreadsLastObjectIsDetectedWhileTheThreadStaysOutsideTheRuntime() throws Exception {
        // Before the fix the object stayed strongly reachable from its thread's list of cores to
        // capture until that thread's next runtime call: leaked and never found while it idled.
        AtomicInteger finalized = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        CountDownLatch created = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            new CountingOwner(new CountingCore(finalized)); // never released: a leak
            created.countDown();
            try {
                done.await(60, TimeUnit.SECONDS); // alive, and no safethread call after the leak
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "leaks-then-idles");
        t.start();
        try {
            assertThat(created.await(10, TimeUnit.SECONDS)).isTrue();
            // Only the leak path can finalize the object: nothing ever releases it.
            waitUntil(() -> {
                System.gc();
                return finalized.get() > 0;
            }, Duration.ofSeconds(20));
            assertThat(finalized.get()).as("leak found and its core finalized").isEqualTo(1);
            assertThat(t.isAlive()).as("while its thread is alive and outside the runtime").isTrue();
        } finally {
            done.countDown();
            t.join(10_000);
        }
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(10))).isTrue();
        assertThat(finalized.get()).isEqualTo(1);
    }

    @Shareable
    static final class CountingCore {
        final AtomicInteger finalized;

        CountingCore(AtomicInteger finalized) {
            this.finalized = finalized;
        }

        @Finalize
        void finish() {
            finalized.incrementAndGet();
        }
    }

    static final class CountingOwner extends RefCounted {
        @FinalizerCore
        final CountingCore core;

        CountingOwner(CountingCore core) {
            this.core = core;
        }
    }

    private static void leakOne(java.util.function.Supplier<? extends RefCounted> make) {
        make.get().incref(); // two references, never released
    }

    // ------------------------------------------------------------------ helpers

    private static void makeCycle() {
        Node a = new Node();
        Node b = new Node();
        a.next.set(b);
        b.next.set(a);
        a.decref();
        b.decref();
    }

    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    /** Runs {@code action} under a JFR recording of one event type; returns its events. */
    private static List<RecordedEvent> record(String eventName, Action action) throws Exception {
        Path file = Files.createTempFile("safethread-observability", ".jfr");
        try (Recording recording = new Recording()) {
            recording.enable(eventName).withStackTrace();
            recording.start();
            action.run();
            recording.stop();
            recording.dump(file);
            List<RecordedEvent> out = new ArrayList<>();
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                if (e.getEventType().getName().equals(eventName)) {
                    out.add(e);
                }
            }
            return out;
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void waitUntil(BooleanSupplier done, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    private static void gcUntil(BooleanSupplier done, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
            SafeThread.poll();
        }
    }
}
