package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.internal.runtime.RuntimeThreads;
import org.safethread.internal.runtime.SafeText;
import org.safethread.testing.CapturedLogs;
import org.slf4j.event.Level;

/**
 * Issue 10 D: user code called from a runtime thread cannot kill it — a {@code @Finalize} whose
 * exception cannot even be rendered, one that overflows the stack — and a runtime thread that
 * ends anyway is replaced.
 */
@Timeout(120)
class RuntimeContainmentTest {

    /** An exception whose every rendering method throws. */
    static final class Poisoned extends RuntimeException {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            throw new IllegalStateException("getMessage() of a poisoned exception");
        }

        @Override
        public String getLocalizedMessage() {
            throw new IllegalStateException("getLocalizedMessage() of a poisoned exception");
        }

        @Override
        public String toString() {
            throw new IllegalStateException("toString() of a poisoned exception");
        }

        @Override
        public StackTraceElement[] getStackTrace() {
            throw new IllegalStateException("getStackTrace() of a poisoned exception");
        }

        @Override
        public synchronized Throwable getCause() {
            return this; // a cycle for whoever follows causes
        }
    }

    @Shareable
    static final class PoisonCore {
        @Finalize
        void done() {
            throw new Poisoned();
        }
    }

    @Shareable
    static final class OverflowCore {
        @Finalize
        void done() {
            recurse(0);
        }

        private static int recurse(int n) {
            return recurse(n + 1) + 1;
        }
    }

    @Shareable
    static final class CountingCore {
        final AtomicInteger ran;

        CountingCore(AtomicInteger ran) {
            this.ran = ran;
        }

        @Finalize
        void done() {
            ran.incrementAndGet();
        }
    }

    static final class Holder extends RefCounted {
        @FinalizerCore
        final Object core;

        Holder(Object core) {
            this.core = core;
        }
    }

    private static List<Thread> finalizerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("safethread-finalizer") && t.isAlive()).toList();
    }

    @Test
    void finalizersThatThrowUnrenderableExceptionsOrOverflowTheStackDoNotStopTheOthers() throws Exception {
        long failures0 = SafeThread.stats().finalizerFailures();
        long run0 = SafeThread.stats().finalizersRun();
        CapturedLogs.clear();
        int n = 200;
        AtomicInteger ran = new AtomicInteger();
        new Holder(new PoisonCore()).decref();
        new Holder(new OverflowCore()).decref();
        new Holder(new PoisonCore()).decref();
        for (int i = 0; i < n; i++) {
            new Holder(new CountingCore(ran)).decref();
        }
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(30))).as("every queued finalizer ran").isTrue();
        assertThat(ran.get()).isEqualTo(n);
        assertThat(SafeThread.stats().finalizerFailures() - failures0).isGreaterThanOrEqualTo(3);
        assertThat(SafeThread.stats().finalizersRun() - run0).isGreaterThanOrEqualTo(n + 3);
        assertThat(finalizerThreads()).as("a finalizer thread is alive").isNotEmpty();

        // The logger never saw the user's exception, only a rendering it can use safely.
        List<CapturedLogs.Event> warned = CapturedLogs.at(Level.WARN, PoisonCore.class.getName());
        assertThat(warned).hasSizeGreaterThanOrEqualTo(2);
        for (CapturedLogs.Event e : warned) {
            assertThat(e.throwable()).isNotNull().isNotInstanceOf(Poisoned.class);
            assertThat(e.message()).contains(Poisoned.class.getName()).contains("getMessage() threw");
            StringWriter out = new StringWriter();
            e.throwable().printStackTrace(new PrintWriter(out)); // what a logging backend does
            assertThat(out.toString()).contains(Poisoned.class.getName());
            assertThat(e.toString()).isNotBlank();
        }
        List<CapturedLogs.Event> overflow = CapturedLogs.at(Level.WARN, OverflowCore.class.getName());
        assertThat(overflow).hasSize(1);
        assertThat(overflow.get(0).message()).contains("StackOverflowError");

        // and the thread still serves
        AtomicInteger after = new AtomicInteger();
        new Holder(new CountingCore(after)).decref();
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(10))).isTrue();
        assertThat(after.get()).isEqualTo(1);
    }

    @Test
    void finalizeNowRethrowsTheUsersExceptionToItsCallerButLogsOnlyARendering() {
        Holder h = new Holder(new PoisonCore());
        CapturedLogs.clear();
        Throwable thrown = null;
        try {
            SafeThread.finalizeNow(h);
        } catch (Poisoned p) {
            thrown = p;
        }
        assertThat(thrown).as("the caller gets its own exception back").isInstanceOf(Poisoned.class);
        assertThat(CapturedLogs.at(Level.WARN, PoisonCore.class.getName()))
                .allSatisfy(e -> assertThat(e.throwable()).isNotInstanceOf(Poisoned.class));
        h.decref();
    }

    @Test
    void renderingNeverThrows() {
        Object evil = new Object() {
            @Override
            public String toString() {
                throw new StackOverflowError();
            }
        };
        assertThat(SafeText.of(evil)).contains("toString() threw java.lang.StackOverflowError");
        assertThat(SafeText.of((Object) new Poisoned())).contains(Poisoned.class.getName());
        Throwable stand = SafeText.loggable(new RuntimeException("outer", new Poisoned()));
        assertThat(stand.getMessage()).isEqualTo("java.lang.RuntimeException: outer");
        assertThat(stand.getCause().getMessage()).contains(Poisoned.class.getName());
        assertThat(stand.getCause().getCause()).as("a cause cycle is cut").isNull();
    }

    @Test
    void aRuntimeThreadThatEndsIsReplacedAtTheNextNeed() throws Exception {
        AtomicInteger starts = new AtomicInteger();
        CountDownLatch second = new CountDownLatch(2);
        RuntimeThreads.Slot slot = new RuntimeThreads.Slot("safethread-test-slot", () -> {
            starts.incrementAndGet();
            second.countDown();
            throw new Poisoned(); // ends the thread, through the uncaught handler (which renders safely)
        });
        Thread first = slot.ensureRunning();
        first.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(first.isAlive()).isFalse();
        Thread next = slot.ensureRunning();
        assertThat(next).isNotSameAs(first);
        assertThat(second.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(starts.get()).isEqualTo(2);
        assertThat(next.isDaemon()).isTrue();
        assertThat(next.getName()).isEqualTo("safethread-test-slot");
    }

    /** A core that changes the finalizer thread's settings and does not put them back. */
    @Shareable
    static final class MeddlingCore {
        static final ClassLoader PLUGIN = new java.net.URLClassLoader(new java.net.URL[0], null);

        @Finalize
        void done() {
            Thread me = Thread.currentThread();
            me.setContextClassLoader(PLUGIN);
            me.setName("meddled");
            me.setPriority(Thread.MIN_PRIORITY);
            me.setUncaughtExceptionHandler((t, e) -> { });
        }
    }

    static final class Meddling extends RefCounted {
        @FinalizerCore
        final MeddlingCore core = new MeddlingCore();
    }

    /** Records the finalizer thread's settings as the next core finds them. */
    @Shareable
    static final class ObservingCore {
        static final java.util.concurrent.atomic.AtomicReference<List<Object>> SEEN =
                new java.util.concurrent.atomic.AtomicReference<>();

        @Finalize
        void done() {
            Thread me = Thread.currentThread();
            SEEN.set(List.of(String.valueOf(me.getContextClassLoader()), me.getName(), me.getPriority(),
                    me.getUncaughtExceptionHandler() == me.getThreadGroup()
                            ? "group" : me.getUncaughtExceptionHandler().getClass().getName()));
        }
    }

    static final class Observing extends RefCounted {
        @FinalizerCore
        final ObservingCore core = new ObservingCore();
    }

    /**
     * A {@code @Finalize} is user code on a runtime thread: what it changes of that thread must
     * not carry over to later cores (of other applications) or pin its class loader. A core that
     * set its plugin's class loader as the context loader kept the plugin reachable through the
     * finalizer thread for good, and every later core ran with it, under its name and priority.
     */
    @Test
    void aCoreThatChangesTheFinalizerThreadsSettingsDoesNotLeaveThemForTheNextOnes() throws Exception {
        ObservingCore.SEEN.set(null);
        new Observing().decref();
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(30))).isTrue();
        List<Object> before = ObservingCore.SEEN.get();
        assertThat(before).isNotNull();

        new Meddling().decref();
        new Observing().decref();
        assertThat(SafeThread.awaitFinalizers(Duration.ofSeconds(30))).isTrue();
        List<Object> after = ObservingCore.SEEN.get();
        assertThat(after).as("context loader, name, priority, handler").isEqualTo(before);
        assertThat((String) after.get(1)).startsWith("safethread-finalizer");
        assertThat(after.get(0)).isEqualTo(String.valueOf(ClassLoader.getSystemClassLoader()));
    }
}
