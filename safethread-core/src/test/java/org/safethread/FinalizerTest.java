package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.internal.runtime.Settings;
import org.safethread.testing.CapturedLogs;
import org.slf4j.event.Level;

/** CONTRACT §3 and the finalization parts of §5 (issue 5). */
@Timeout(120)
class FinalizerTest {

    @AfterEach
    void restoreSettings() {
        Settings.setStallTimeout(Duration.ofSeconds(10));
        Settings.setLeakTracking(false);
    }

    /** A core that ticks a counter and records which thread ran it. */
    @Shareable
    static final class TickCore {
        final AtomicInteger ticks;
        final Set<String> threads;

        TickCore(AtomicInteger ticks, Set<String> threads) {
            this.ticks = ticks;
            this.threads = threads;
        }

        @Finalize
        void finish() {
            ticks.incrementAndGet();
            threads.add(Thread.currentThread().getName());
        }
    }

    static class Resource extends RefCounted {
        @FinalizerCore
        final TickCore core;

        Resource(AtomicInteger ticks, Set<String> threads) {
            core = new TickCore(ticks, threads);
        }
    }

    private static void awaitValue(AtomicInteger v, int expected, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (v.get() < expected && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    @Test
    void theFinalizerTicksWithin5sAfterTheLastReleaseOnTheFinalizerThread() throws Exception {
        AtomicInteger ticks = new AtomicInteger();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        Resource r = new Resource(ticks, threads);
        r.incref();
        r.decref();
        assertThat(ticks.get()).isZero();
        r.decref();
        awaitValue(ticks, 1, Duration.ofSeconds(5));
        assertThat(ticks.get()).isEqualTo(1);
        assertThat(threads).allMatch(n -> n.startsWith("safethread-finalizer"));
        assertThat(threads).doesNotContain(Thread.currentThread().getName());
    }

    @Test
    void finalizingByHandRunsInTheCallerOnceAndCancelsTheAutomaticCall() throws Exception {
        AtomicInteger ticks = new AtomicInteger();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        Resource r = new Resource(ticks, threads);
        assertThat(SafeThread.finalizeNow(r)).isTrue();
        assertThat(ticks.get()).isEqualTo(1);
        assertThat(threads).containsExactly(Thread.currentThread().getName());
        assertThat(SafeThread.finalizeNow(r)).isFalse();
        r.decref();
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(5))).isTrue();
        Thread.sleep(50);
        assertThat(ticks.get()).isEqualTo(1);
    }

    @Test
    void aHundredThousandObjectsReleasedFromTwoThreadsAreEachFinalizedExactlyOnce() throws Exception {
        int n = 100_000;
        AtomicIntegerArray runs = new AtomicIntegerArray(n);
        List<Counted> objs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            objs.add(new Counted(new IdCore(i, runs)));
        }
        long before = SafeThread.stats().finalizersRun();
        Thread a = new Thread(() -> {
            for (int i = 0; i < n; i += 2) {
                objs.get(i).decref();
            }
        });
        Thread b = new Thread(() -> {
            for (int i = 1; i < n; i += 2) {
                objs.get(i).decref();
            }
        });
        a.start();
        b.start();
        a.join();
        b.join();
        SafeThread.poll(); // this thread owns them: merge the releases now
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(60))).isTrue();
        for (int i = 0; i < n; i++) {
            assertThat(runs.get(i)).as("runs of core " + i).isEqualTo(1);
        }
        RuntimeStats s = SafeThread.stats();
        assertThat(s.finalizersRun() - before).isGreaterThanOrEqualTo(n);
        assertThat(s.pendingFinalizers()).isZero();
    }

    @Shareable
    static final class IdCore {
        final int id;
        final AtomicIntegerArray runs;

        IdCore(int id, AtomicIntegerArray runs) {
            this.id = id;
            this.runs = runs;
        }

        @Finalize
        void run() {
            runs.incrementAndGet(id);
        }
    }

    static final class Counted extends RefCounted {
        @FinalizerCore
        final IdCore core;

        Counted(IdCore core) {
            this.core = core;
        }
    }

    @Shareable
    static final class ThrowingCore {
        @Finalize
        void boom() {
            throw new IllegalStateException("finalizer failure on purpose");
        }
    }

    static final class Throwing extends RefCounted {
        @FinalizerCore
        final ThrowingCore core = new ThrowingCore();
    }

    @Test
    void aThrowingFinalizerIsLoggedAndCountedAndTheNextOneStillRuns() throws Exception {
        CapturedLogs.clear();
        long failuresBefore = SafeThread.stats().finalizerFailures();
        AtomicInteger ticks = new AtomicInteger();
        new Throwing().decref();
        new Resource(ticks, ConcurrentHashMap.newKeySet()).decref();
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(10))).isTrue();
        assertThat(ticks.get()).isEqualTo(1);
        assertThat(SafeThread.stats().finalizerFailures() - failuresBefore).isEqualTo(1);
        assertThat(CapturedLogs.at(Level.WARN, ThrowingCore.class.getName()))
                .anySatisfy(e -> assertThat(e.throwable()).hasMessageContaining("on purpose"));
    }

    @Shareable
    static final class HangingCore {
        final CountDownLatch release;
        final CountDownLatch started;

        HangingCore(CountDownLatch release, CountDownLatch started) {
            this.release = release;
            this.started = started;
        }

        @Finalize
        void hang() throws InterruptedException {
            started.countDown();
            release.await(60, TimeUnit.SECONDS);
        }
    }

    static final class Hanging extends RefCounted {
        @FinalizerCore
        final HangingCore core;

        Hanging(HangingCore core) {
            this.core = core;
        }
    }

    @Test
    void aHangingFinalizerDoesNotStopLaterOnes() throws Exception {
        Settings.setStallTimeout(Duration.ofMillis(300));
        long stallsBefore = SafeThread.stats().finalizerStalls();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger ticks = new AtomicInteger();
        try {
            new Hanging(new HangingCore(release, started)).decref();
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            long t0 = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                new Resource(ticks, ConcurrentHashMap.newKeySet()).decref();
            }
            awaitValue(ticks, 10, Duration.ofSeconds(10));
            long took = System.nanoTime() - t0;
            assertThat(ticks.get()).isEqualTo(10);
            assertThat(took).as("within the stall timeout plus a margin").isLessThan(TimeUnit.SECONDS.toNanos(5));
            assertThat(SafeThread.stats().finalizerStalls() - stallsBefore).isGreaterThanOrEqualTo(1);
            assertThat(SafeThread.awaitFinalizers(Duration.ofMillis(100)))
                    .as("the hanging one is still pending").isFalse();
        } finally {
            release.countDown();
        }
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(10))).isTrue();
    }

    // ------------------------------------------------------------------ validation

    /** A listener that refers back to its owner: a core that reaches it must be refused. */
    @Shareable
    static final class Listener {
        volatile Object owner;
    }

    @Shareable
    static final class ReachingCore {
        final Listener listener;

        ReachingCore(Listener l) {
            this.listener = l;
        }

        @Finalize
        void done() {
        }
    }

    static final class Registered {
        @FinalizerCore
        final ReachingCore core;

        Registered(ReachingCore core) {
            this.core = core;
        }
    }

    @Test
    void registerRefusesACoreThatReachesItsOwnerNamingThePath() {
        Listener l = new Listener();
        Registered owner = new Registered(new ReachingCore(l));
        l.owner = owner;
        assertThatThrownBy(() -> SafeThread.register(owner)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("core.listener.owner");
    }

    static final class ReachingCounted extends RefCounted {
        @FinalizerCore
        final ReachingCore core;

        ReachingCounted(Listener l) {
            core = new ReachingCore(l);
            l.owner = this;
        }
    }

    @Test
    void theFirstDeathCheckRefusesACoreThatReachesItsOwner() throws Exception {
        ReachingCounted r = new ReachingCounted(new Listener());
        assertThatThrownBy(r::decref).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("core.listener.owner");
        assertThat(r.isAlive()).as("the death itself completed").isFalse();
    }

    static final class PlainCore { // not shareable
        @Finalize
        void done() {
        }
    }

    static final class HasPlainCore {
        @FinalizerCore
        final Object core = new PlainCore();
    }

    @Test
    void registerRefusesAnUnshareableCore() {
        assertThatThrownBy(() -> SafeThread.register(new HasPlainCore())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not shareable").hasMessageContaining(PlainCore.class.getName());
    }

    @Shareable
    static final class ParamCore {
        @Finalize
        void done(int why) {
        }
    }

    static final class WithParamCore extends RefCounted {
        @FinalizerCore
        final ParamCore core = new ParamCore();
    }

    @Test
    void aFinalizeMethodWithParametersIsRefusedAtTheClassFirstUse() {
        assertThatThrownBy(WithParamCore::new).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("takes 1 parameter");
    }

    static final class TwoCores extends RefCounted {
        @FinalizerCore
        final TickCore a = null;
        @FinalizerCore
        final TickCore b = null;
    }

    static final class MutableCoreField extends RefCounted {
        @FinalizerCore
        TickCore core;
    }

    @Shareable
    static final class NoFinalizeCore {
    }

    static final class CoreWithoutFinalize extends RefCounted {
        @FinalizerCore
        final NoFinalizeCore core = new NoFinalizeCore();
    }

    @Test
    void wrongCoreDeclarationsAreRefusedAtConstruction() {
        assertThatThrownBy(TwoCores::new).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("two @FinalizerCore fields");
        assertThatThrownBy(MutableCoreField::new).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not final");
        assertThatThrownBy(CoreWithoutFinalize::new).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no @Finalize method");
    }

    @Test
    void finalizeNowRefusesObjectsWithoutCoreOrRegistration() {
        assertThatThrownBy(() -> SafeThread.finalizeNow(new Object())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no @FinalizerCore");
        HasTickCore plain = new HasTickCore(new TickCore(new AtomicInteger(), ConcurrentHashMap.newKeySet()));
        assertThatThrownBy(() -> SafeThread.finalizeNow(plain)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("never registered");
        assertThatThrownBy(() -> SafeThread.finalizeNow(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("owner");
        assertThatThrownBy(() -> SafeThread.register(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("obj");
        assertThatThrownBy(() -> SafeThread.register(new Object())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no @FinalizerCore");
    }

    // ------------------------------------------------------------------ the JVM collector path

    static final class HasTickCore {
        @FinalizerCore
        final TickCore core;

        HasTickCore(TickCore core) {
            this.core = core;
        }
    }

    private static void gcUntil(java.util.function.BooleanSupplier done, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
            SafeThread.poll();
        }
    }

    @Test
    void aRegisteredObjectIsFinalizedOnceWhenTheJvmCollectsIt() throws Exception {
        AtomicInteger ticks = new AtomicInteger();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        registerAndDrop(ticks, threads);
        gcUntil(() -> ticks.get() > 0, Duration.ofSeconds(20));
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(5))).isTrue();
        Thread.sleep(100);
        assertThat(ticks.get()).isEqualTo(1);
        assertThat(threads).allMatch(n -> n.startsWith("safethread-finalizer"));
    }

    private static void registerAndDrop(AtomicInteger ticks, Set<String> threads) {
        HasTickCore o = SafeThread.register(new HasTickCore(new TickCore(ticks, threads)));
        assertThat(SafeThread.register(o)).isSameAs(o); // idempotent
    }

    /** A monitor's state with a finalizer core (a connection whose socket must be closed). */
    public static class GuardedConnection {
        @FinalizerCore
        private final TickCore core;
        private int uses;

        GuardedConnection(TickCore core) {
            this.core = core;
        }

        @MonitorMethod
        public int use() {
            return ++uses;
        }
    }

    /**
     * A user holds only the monitor ("use only the proxy from now on"), so register and
     * finalizeNow must accept it and mean the object it guards. They read the class proxy's
     * never-initialised field copy instead: register(monitor) failed with "the @FinalizerCore
     * field core of ...$$SafeMonitor$N is null", and finalizeNow(monitor) of a target registered
     * before wrapping said it was never registered.
     */
    @Test
    void aMonitorStandsForItsTargetInRegisterAndFinalizeNow() throws Exception {
        AtomicInteger ticks = new AtomicInteger();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        GuardedConnection m = Monitor.of(new GuardedConnection(new TickCore(ticks, threads)));
        assertThat(SafeThread.register(m)).isSameAs(m);
        assertThat(m.use()).isEqualTo(1);
        assertThat(SafeThread.finalizeNow(m)).isTrue();
        assertThat(SafeThread.finalizeNow(m)).isFalse();
        assertThat(ticks.get()).isEqualTo(1);

        // Registered before wrapping: the monitor still reaches the registration.
        GuardedConnection m2 = Monitor.of(SafeThread.register(new GuardedConnection(new TickCore(ticks, threads))));
        assertThat(SafeThread.finalizeNow(m2)).isTrue();
        assertThat(ticks.get()).isEqualTo(2);

        // Neither registered nor finalized: the refusal names the guarded class, not the proxy's.
        GuardedConnection m3 = Monitor.of(new GuardedConnection(new TickCore(ticks, threads)));
        assertThatThrownBy(() -> SafeThread.finalizeNow(m3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("this " + GuardedConnection.class.getName() + " was never registered");

        // The JVM path: a registered monitor that is dropped gets its target's core run once.
        AtomicInteger jvmTicks = new AtomicInteger();
        registerMonitorAndDrop(jvmTicks, threads);
        gcUntil(() -> jvmTicks.get() > 0, Duration.ofSeconds(20));
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(5))).isTrue();
        assertThat(jvmTicks.get()).isEqualTo(1);
        assertThat(threads).allMatch(n -> n.startsWith("safethread-finalizer") || n.equals(Thread.currentThread().getName()));
    }

    private static void registerMonitorAndDrop(AtomicInteger ticks, Set<String> threads) {
        GuardedConnection m = SafeThread.register(Monitor.of(new GuardedConnection(new TickCore(ticks, threads))));
        assertThat(m.use()).isEqualTo(1);
    }

    @Test
    void finalizeNowOfARegisteredObjectCancelsTheJvmPath() throws Exception {
        AtomicInteger ticks = new AtomicInteger();
        HasTickCore o = SafeThread.register(new HasTickCore(new TickCore(ticks, ConcurrentHashMap.newKeySet())));
        assertThat(SafeThread.finalizeNow(o)).isTrue();
        assertThat(SafeThread.finalizeNow(o)).isFalse();
        assertThat(ticks.get()).isEqualTo(1);
    }

    @Test
    void aLeakedRefCountedIsFinalizedOnceAndReported() throws Exception {
        CapturedLogs.clear();
        long leaksBefore = SafeThread.stats().leaksDetected();
        AtomicInteger ticks = new AtomicInteger();
        leak(ticks);
        SafeThread.poll(); // a runtime call: the core of the new object is captured
        gcUntil(() -> ticks.get() > 0, Duration.ofSeconds(20));
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(5))).isTrue();
        assertThat(ticks.get()).isEqualTo(1);
        assertThat(SafeThread.stats().leaksDetected() - leaksBefore).isEqualTo(1);
        assertThat(CapturedLogs.at(Level.WARN, "leaked " + Resource.class.getName())).hasSize(1);
    }

    @Test
    void withLeakTrackingTheReportShowsWhereTheObjectWasAllocated() throws Exception {
        Settings.setLeakTracking(true);
        CapturedLogs.clear();
        AtomicInteger ticks = new AtomicInteger();
        leak(ticks);
        SafeThread.poll();
        gcUntil(() -> ticks.get() > 0, Duration.ofSeconds(20));
        assertThat(CapturedLogs.at(Level.WARN, "leaked " + Resource.class.getName()))
                .anySatisfy(e -> assertThat(e.throwable()).isNotNull().hasMessageContaining("allocated here")
                        .satisfies(t -> assertThat(t.getStackTrace())
                                .anyMatch(f -> f.getMethodName().equals("leak"))));
    }

    private static void leak(AtomicInteger ticks) {
        Resource r = new Resource(ticks, ConcurrentHashMap.newKeySet());
        r.incref(); // two references, never released
    }

    @Test
    void anObjectThatDiedNormallyIsNotReportedAsALeak() throws Exception {
        CapturedLogs.clear();
        long leaksBefore = SafeThread.stats().leaksDetected();
        AtomicInteger ticks = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            new Resource(ticks, ConcurrentHashMap.newKeySet()).decref();
        }
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(5))).isTrue();
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(30);
        }
        assertThat(ticks.get()).isEqualTo(100);
        assertThat(SafeThread.stats().leaksDetected() - leaksBefore).isZero();
    }

    // ------------------------------------------------------------------ monitor cores

    public static class GuardedCore {
        private final AtomicLong finalizedAt = new AtomicLong();
        private final CountDownLatch inside = new CountDownLatch(1);
        private final CountDownLatch leave = new CountDownLatch(1);

        @MonitorMethod
        public void holdFor() throws InterruptedException {
            inside.countDown();
            leave.await(10, TimeUnit.SECONDS);
        }

        @Finalize
        void finish() {
            finalizedAt.set(System.nanoTime());
        }
    }

    static final class WithMonitorCore extends RefCounted {
        @FinalizerCore
        final GuardedCore core;

        WithMonitorCore(GuardedCore core) {
            this.core = core;
        }
    }

    @Test
    void aMonitorCoreIsFinalizedInsideItsMonitor() throws Exception {
        GuardedCore target = new GuardedCore();
        GuardedCore core = Monitor.of(target);
        WithMonitorCore owner = new WithMonitorCore(core);
        AtomicReference<Throwable> err = new AtomicReference<>();
        Thread holder = new Thread(() -> {
            try {
                core.holdFor();
            } catch (Throwable t) {
                err.set(t);
            }
        });
        holder.start();
        assertThat(target.inside.await(10, TimeUnit.SECONDS)).isTrue();
        owner.decref(); // finalizer must wait for the monitor
        Thread.sleep(100);
        assertThat(target.finalizedAt.get()).as("not while another thread is inside").isZero();
        long released = System.nanoTime();
        target.leave.countDown();
        holder.join(10_000);
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(5))).isTrue();
        assertThat(target.finalizedAt.get()).isGreaterThanOrEqualTo(released);
        assertThat(err.get()).isNull();
    }
}
