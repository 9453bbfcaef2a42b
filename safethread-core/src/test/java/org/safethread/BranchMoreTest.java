package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.Branch.Child.State;

/**
 * Branch rules beyond the everyday ones (CONTRACT §6): join only in the monitor context the
 * branch was opened in, the JFR event of a failed branch, bad thread factories, and a child's
 * counted objects after its thread ended.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BranchMoreTest {

    /** Smuggles a Branch past the wall (the wall refuses it as an argument). */
    static Branch smuggled;

    public static class Other {
        @MonitorMethod
        public String joinTheSmuggledBranch() {
            try {
                smuggled.join();
                return "joined";
            } catch (IllegalStateException | InterruptedException e) {
                return e.getMessage();
            }
        }

        @MonitorMethod
        public int take(Object anything) {
            return 1;
        }
    }

    @Test
    void aBranchCannotBePassedIntoAMonitor() throws Exception {
        Other o = Monitor.of(new Other());
        try (Branch b = Branch.open()) {
            assertThatThrownBy(() -> o.take(b)).isInstanceOf(UnshareableException.class);
            assertThatThrownBy(() -> b.fork(() -> b.isCancelled())).isInstanceOf(UnshareableException.class)
                    .hasMessageContaining("org.safethread.Branch");
            b.join();
        }
    }

    record Holder(String name, List<String> items) {
    }

    @Test
    void theWallLooksPastTheFirstLevel() throws Exception {
        Holder bad = new Holder("h", new ArrayList<>());
        Holder good = new Holder("h", List.of("a"));
        try (Branch b = Branch.open()) {
            assertThatThrownBy(() -> b.fork(() -> bad.items().size())).isInstanceOf(UnshareableException.class)
                    .hasMessageContaining("component items").hasMessageContaining("java.util.ArrayList");
            assertThat(b.fork(() -> good.items().size())).isNotNull();
            Branch.Child<Holder> c = b.fork(() -> new Holder("r", new ArrayList<>(List.of("x"))));
            assertThat(catchThrowable(b::join)).isInstanceOf(UnshareableException.class)
                    .hasMessageContaining("result");
            assertThat(c.state()).isEqualTo(State.FAILED);
        }
    }

    @Test
    void joinIsRefusedInsideAMonitorEnteredAfterTheBranchOpened() throws Exception {
        Other o = Monitor.of(new Other());
        Branch b = Branch.open();
        smuggled = b;
        try {
            b.fork(() -> 1);
            assertThat(o.joinTheSmuggledBranch()).contains("monitor context");
            b.join(); // where it was opened: fine
        } finally {
            smuggled = null;
        }
    }

    /** Latches of the close-context tests (static: a monitor method takes no unshareable state). */
    static volatile java.util.concurrent.CountDownLatch childOutside;
    static volatile java.util.concurrent.CountDownLatch ownerInside;

    /** A room a child steps out of (Monitor.leave) while its owner walks in and ends the branch there. */
    public static class Room {
        @MonitorMethod
        public String stepOutAndBack() {
            Monitor.leave(() -> {
                childOutside.countDown();
                awaitUninterruptibly(ownerInside); // the cancellation's interrupt must not end this early
                return null;
            });
            return "back";
        }

        @MonitorMethod
        public String closeTheSmuggledBranch() {
            ownerInside.countDown();
            try {
                smuggled.close();
                return "closed";
            } catch (IllegalStateException e) {
                return e.getMessage();
            }
        }

        @MonitorMethod
        public String openAndKeep() {
            smuggled = Branch.open(); // pins this monitor until it ends
            smuggled.fork(() -> 1);
            return "opened";
        }
    }

    static void awaitUninterruptibly(java.util.concurrent.CountDownLatch latch) {
        boolean interrupted = false;
        for (;;) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    // A separate thread: the bug this guards against hung close for ever (a cycle of a re-entry
    // after Monitor.leave and the close's wait, neither of which may be refused).
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void closeIsRefusedInsideAMonitorEnteredAfterTheBranchOpenedAsJoinIs() throws Exception {
        // close waited for the children wherever it was called: inside a monitor entered after
        // open, a child re-entering that monitor after a leave (not refusable) and the close's
        // wait (not refusable) waited for each other, and no victim could be chosen.
        Room room = Monitor.of(new Room());
        childOutside = new java.util.concurrent.CountDownLatch(1);
        ownerInside = new java.util.concurrent.CountDownLatch(1);
        Branch b = Branch.open();
        smuggled = b;
        try {
            Branch.Child<String> c = b.fork(room::stepOutAndBack);
            childOutside.await();
            String refused = room.closeTheSmuggledBranch();
            assertThat(refused).contains("Branch.close").contains("monitor context").contains("still open");
            assertThat(b.isCancelled()).isTrue(); // close ends the branch: it cancelled it
            b.join(); // where it was opened: waits for the child, which re-entered the room
            assertThat(c.state()).isEqualTo(State.SUCCEEDED); // its task returned
            assertThat(c.get()).isEqualTo("back");
        } finally {
            smuggled = null;
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void closeInsideAnotherMonitorKeepsTheBranchOpenForACloseWhereItWasOpened() throws Exception {
        Other o = Monitor.of(new Other());
        Room room = Monitor.of(new Room());
        ownerInside = new java.util.concurrent.CountDownLatch(1);
        Branch b = Branch.open();
        smuggled = b;
        try {
            Branch.Child<Void> c = b.fork(BranchTesting::sleepLong);
            assertThat(room.closeTheSmuggledBranch()).contains("Branch.close").contains("monitor context");
            assertThat(o.joinTheSmuggledBranch()).contains("Branch.join").contains("monitor context");
            Throwable closed = catchThrowable(b::close); // where it was opened: waits, then the usual refusal
            assertThat(closed).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed without a completed join");
            assertThat(c.state()).isEqualTo(State.CANCELLED);
            b.close(); // closed now: nothing more
        } finally {
            smuggled = null;
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aBranchOpenedInsideAMonitorMethodCannotOutliveIt() throws Exception {
        // The exit of the entry it was opened in closes it (cancelled, its child waited for) and
        // reports it: a branch kept past its monitor method would pin the monitor for the thread,
        // and a later entry of the same monitor at the same depth would pass join's context check.
        Room room = Monitor.of(new Room());
        try {
            Throwable t = catchThrowable(room::openAndKeep);
            assertThat(t).isInstanceOf(IllegalStateException.class).hasMessageContaining("leaving it open");
            assertThat(t.getSuppressed()).singleElement().asString().contains("closed without a completed join");
            assertThat(catchThrowable(smuggled::join)).as("already closed").isInstanceOf(IllegalStateException.class);
            smuggled.close(); // closed: nothing more
        } finally {
            smuggled = null;
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aBranchAChildOpenedInsideAMonitorAndLeftOpenIsStillClosedBeforeTheChildEnds() throws Exception {
        // The child closes such a branch after its task, outside every monitor: that close must not
        // be refused for being in another monitor context than the open.
        Branch.Child<String> child;
        Throwable reported;
        try (Branch b = Branch.open()) {
            child = b.fork(() -> {
                Room mine = Monitor.of(new Room());
                return mine.openAndKeep(); // the static is overwritten: a child's branch, left open
            });
            reported = catchThrowable(b::join);
        } finally {
            smuggled = null;
        }
        assertThat(child.state()).isEqualTo(State.FAILED);
        // the exit of the monitor entry it was opened in closed it, before the child's task ended
        assertThat(reported).isSameAs(child.failure()).hasMessageContaining("leaving it open");
        // that close waited (the usual close-without-join report), it was not refused
        assertThat(reported.getSuppressed()).singleElement().asString().contains("closed without a completed join")
                .doesNotContain("monitor context");
    }

    @Test
    void aBranchEndingWithFailuresIsRecordedAsAJfrEvent() throws Exception {
        Path file = Files.createTempFile("safethread-branch", ".jfr");
        String name;
        try (Recording recording = new Recording()) {
            recording.enable("org.safethread.BranchFailed");
            recording.start();
            try (Branch ok = Branch.open()) {
                ok.fork(() -> 1);
                ok.join(); // no failure: no event
            }
            try (Branch b = Branch.open()) {
                name = b.toString();
                b.fork(() -> BranchTesting.sleepLong());
                b.fork(() -> {
                    throw new IllegalStateException("broken");
                });
                catchThrowable(b::join);
            }
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = new ArrayList<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (e.getEventType().getName().equals("org.safethread.BranchFailed")) {
                events.add(e);
            }
        }
        Files.deleteIfExists(file);
        assertThat(events).hasSize(1);
        RecordedEvent e = events.get(0);
        assertThat(e.getString("branch")).isEqualTo(name);
        assertThat(e.getInt("children")).isEqualTo(2);
        assertThat(e.getInt("failed")).isEqualTo(1);
        assertThat(e.getInt("cancelled")).isEqualTo(1);
        assertThat(e.getString("firstFailure")).isEqualTo("java.lang.IllegalStateException: broken");
    }

    /** A user exception whose getMessage() and toString() throw. */
    static final class Unprintable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            throw new IllegalStateException("getMessage is broken");
        }

        @Override
        public String toString() {
            throw new IllegalStateException("toString is broken");
        }
    }

    @Test
    void theJfrEventOfAFailureWhoseMessageThrowsDoesNotReplaceTheFailure() throws Exception {
        Path file = Files.createTempFile("safethread-branch", ".jfr");
        Throwable reported;
        Branch.Child<Object> c;
        try (Recording recording = new Recording()) {
            recording.enable("org.safethread.BranchFailed");
            recording.start();
            try (Branch b = Branch.open()) {
                c = b.fork(() -> {
                    throw new Unprintable(); // an exception is not shareable: made in the child
                });
                reported = catchThrowable(b::join);
            }
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = new ArrayList<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (e.getEventType().getName().equals("org.safethread.BranchFailed")) {
                events.add(e);
            }
        }
        Files.deleteIfExists(file);
        assertThat(reported).isInstanceOf(Unprintable.class).isSameAs(c.failure()); // not what getMessage() throws
        assertThat(events).hasSize(1);
        assertThat(events.get(0).getString("firstFailure")).startsWith(Unprintable.class.getName())
                .contains("getMessage() threw");
    }

    /** A user exception whose cause chain cannot be read. */
    static final class UnreadableCause extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnreadableCause() {
            super("cleanup failed");
        }

        @Override
        public synchronized Throwable getCause() {
            throw new IllegalStateException("getCause is broken");
        }
    }

    @Test
    // A separate thread: the bug this guards against made join wait forever, and a join does not
    // end at the timeout's interrupt (it cancels the branch and goes on waiting for the children).
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aChildFailingWithAnUnreadableCauseInACancelledBranchStillEnds() throws Exception {
        // Classifying a failure in a cancelled branch walks its cause chain (user code): a
        // getCause() that throws once escaped the child's thread, and join waited forever.
        try (Branch b = Branch.open()) {
            Branch.Child<Integer> c = b.fork(() -> {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    throw new UnreadableCause(); // an exception is not shareable: made in the child
                }
                return 1;
            });
            Thread.sleep(50);
            b.cancel();
            Throwable reported = catchThrowable(b::join);
            assertThat(c.state()).isEqualTo(State.FAILED); // not readable as a cancellation: a failure
            assertThat(reported).isInstanceOf(UnreadableCause.class).isSameAs(c.failure());
        }
    }

    @Test
    void aFactoryReturningNullIsAClearError() throws Exception {
        try (Branch b = Branch.open(r -> null)) {
            assertThatThrownBy(() -> b.fork(() -> 1)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("ThreadFactory").hasMessageContaining("null");
            b.join();
        }
    }

    @Test
    void aThreadThatCannotStartIsAFailedChild() throws Exception {
        Thread started = new Thread(() -> { });
        started.start();
        started.join();
        try (Branch b = Branch.open(r -> started)) { // already started: start() throws
            Branch.Child<Integer> c = b.fork(() -> 1);
            assertThat(c.state()).isEqualTo(State.FAILED);
            assertThat(c.failure()).isInstanceOf(IllegalThreadStateException.class);
            assertThat(b.isCancelled()).isTrue();
            assertThat(catchThrowable(b::join)).isSameAs(c.failure());
        }
    }

    @Test
    // A separate thread: the bug this guards against made join wait forever, and a join does not
    // end at the timeout's interrupt (it cancels the branch and goes on waiting for the children).
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aFactoryThatStartsTheThreadItselfIsAFailedChildAndTheTaskNeverRuns() throws Exception {
        // A plausible mistake (r -> Thread.startVirtualThread(r)): the thread ran the child too, so
        // the child ended twice, the count of live children went below zero and join hung.
        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        for (int i = 0; i < 100; i++) {
            try (Branch b = Branch.open(r -> {
                Thread t = new Thread(r);
                t.start();
                return t;
            })) {
                Branch.Child<Integer> c = b.fork(ran::incrementAndGet);
                assertThat(catchThrowable(b::join)).isSameAs(c.failure());
                assertThat(c.state()).isEqualTo(State.FAILED);
                assertThat(c.failure()).isInstanceOf(IllegalThreadStateException.class)
                        .hasMessageContaining("already started").hasMessageContaining("unstarted thread");
            }
        }
        assertThat(ran).hasValue(0); // not run outside the branch's control
    }

    /** Ways a ThreadFactory's thread can end without running the runnable it was given. */
    enum Abandoning {
        /** Ignores the runnable: {@code r -> new Thread(() -> {})}. */
        IGNORES,
        /** Its thread throws before it gets to the runnable. */
        THROWS_FIRST,
        /** Runs something else, then ends. */
        RUNS_SOMETHING_ELSE,
        /** Hands the runnable to another thread (which is not the thread the branch started), waits for it, ends. */
        HANDS_IT_ON;

        Thread thread(Runnable r) {
            Thread t;
            switch (this) {
                case IGNORES:
                    t = new Thread(() -> { });
                    break;
                case THROWS_FIRST:
                    t = new Thread(() -> {
                        throw new IllegalStateException("the factory's thread broke before running its task");
                    });
                    t.setUncaughtExceptionHandler((th, e) -> { }); // expected: not printed
                    break;
                case RUNS_SOMETHING_ELSE:
                    t = new Thread(() -> Thread.onSpinWait());
                    break;
                default:
                    t = new Thread(() -> {
                        Thread other = new Thread(r, "someone-else");
                        other.start();
                        try {
                            other.join();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    break;
            }
            t.setName("abandoning-" + name());
            return t;
        }
    }

    @Test
    // A separate thread: the bug this guards against made join wait forever, and a join does not
    // end at the timeout's interrupt (it cancels the branch and goes on waiting for the children).
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aFactoryWhoseThreadEndsWithoutRunningTheTaskFailsTheChildInsteadOfHangingJoin() throws Exception {
        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        for (Abandoning kind : Abandoning.values()) {
            java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
            // the first child gets a proper thread and would sleep for a minute: fail fast must cancel it
            try (Branch b = Branch.open(r -> made.getAndIncrement() == 0 ? new Thread(r) : kind.thread(r))) {
                Branch.Child<Void> sibling = b.fork(BranchTesting::sleepLong);
                Branch.Child<Integer> c = b.fork(ran::incrementAndGet);
                Throwable reported = catchThrowable(b::join);
                assertThat(c.state()).as(kind.name()).isEqualTo(State.FAILED);
                assertThat(reported).as(kind.name()).isSameAs(c.failure());
                assertThat(c.failure()).as(kind.name()).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("child 2 of " + b)
                        .hasMessageContaining("abandoning-" + kind.name())
                        .hasMessageContaining("ended without running the task")
                        .hasMessageContaining("a ThreadFactory must return a thread that runs the Runnable it is given");
                assertThat(sibling.state()).as(kind.name()).isEqualTo(State.CANCELLED);
                assertThat(b.isCancelled()).isTrue();
            }
        }
        assertThat(ran).hasValue(0); // never run, in particular not on a thread the branch did not start
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aVirtualThreadThatEndsWithoutRunningTheTaskFailsTheChildToo() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(BranchTesting.Kind.VIRTUAL.available(), "virtual threads: JDK 21+");
        java.util.concurrent.ThreadFactory virtual = BranchTesting.virtualFactory();
        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        for (int i = 0; i < 50; i++) {
            // alternately a proper virtual thread and one that ignores its runnable
            java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
            try (Branch b = Branch.open(r -> made.getAndIncrement() % 2 == 0 ? virtual.newThread(r) : virtual.newThread(() -> { }))) {
                Branch.Child<Integer> proper = b.fork(() -> 7);
                Branch.Child<Integer> abandoned = b.fork(ran::incrementAndGet);
                Throwable reported = catchThrowable(b::join);
                assertThat(abandoned.state()).isEqualTo(State.FAILED);
                assertThat(reported).isSameAs(abandoned.failure()).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("ended without running the task");
                assertThat(proper.state()).isIn(State.SUCCEEDED, State.CANCELLED); // fail fast may come first
            }
        }
        assertThat(ran).hasValue(0);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void closeWithoutJoinAlsoEndsAChildWhoseThreadNeverRanItsTask() throws Exception {
        IllegalStateException closed = null;
        Branch.Child<Integer> c = null;
        try (Branch b = Branch.open(Abandoning.IGNORES::thread)) {
            c = b.fork(() -> 1);
        } catch (IllegalStateException e) {
            closed = e;
        }
        assertThat(c.state()).isEqualTo(State.FAILED);
        assertThat(closed).isNotNull().hasMessageContaining("closed without a completed join");
        assertThat(closed.getSuppressed()).containsExactly(c.failure());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aThreadThatRunsItsTaskAndEndsAtOnceIsNeverTakenForOneThatDidNot() throws Exception {
        // The detection reads a child's thread as ended, then whether the task was taken: a quick
        // child ends around the moment its owner starts to join, which is where a wrong order
        // (or a missing happens-before) would report a child that ran as abandoned.
        for (int i = 0; i < 300; i++) {
            try (Branch b = Branch.open(r -> new Thread(r))) {
                List<Branch.Child<Integer>> kids = new ArrayList<>();
                for (int k = 0; k < 4; k++) {
                    int v = k;
                    kids.add(b.fork(() -> v));
                }
                b.join();
                for (int k = 0; k < 4; k++) {
                    assertThat(kids.get(k).get()).isEqualTo(k);
                }
            }
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aThreadThatRunsItsRunnableTwiceRunsTheTaskOnce() throws Exception {
        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        try (Branch b = Branch.open(r -> new Thread(() -> {
            r.run();
            r.run();
        }))) {
            Branch.Child<Integer> c = b.fork(ran::incrementAndGet);
            b.join();
            assertThat(c.get()).isEqualTo(1);
        }
        assertThat(ran).hasValue(1);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aBranchAChildLeavesOpenIsClosedBeforeTheChildEndsAndFailsIt() throws Exception {
        // A child that forgot try-with-resources on a nested branch: its grandchildren ran on
        // after the outer join returned, so threads escaped the structure.
        java.util.concurrent.atomic.AtomicReference<Thread> grandchild = new java.util.concurrent.atomic.AtomicReference<>();
        Branch.Child<String> child;
        Throwable reported;
        try (Branch b = Branch.open()) {
            child = b.fork(() -> {
                Branch inner = Branch.open(); // never joined or closed
                inner.fork(() -> {
                    grandchild.set(Thread.currentThread());
                    Thread.sleep(60_000);
                    return 1;
                });
                while (grandchild.get() == null) {
                    Thread.onSpinWait();
                }
                return "returned with a branch open";
            });
            reported = catchThrowable(b::join);
        }
        assertThat(child.state()).isEqualTo(State.FAILED);
        assertThat(reported).isSameAs(child.failure()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ended leaving branch#").hasMessageContaining("open");
        assertThat(grandchild.get().isAlive()).isFalse(); // it did not outlive the outer join
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aBranchLeftOpenByAFailingChildIsClosedAndTheChildsOwnFailureIsReported() throws Exception {
        java.util.concurrent.atomic.AtomicReference<Thread> grandchild = new java.util.concurrent.atomic.AtomicReference<>();
        Branch.Child<String> child;
        Throwable reported;
        try (Branch b = Branch.open()) {
            child = b.fork(() -> {
                Branch inner = Branch.open();
                inner.fork(() -> {
                    grandchild.set(Thread.currentThread());
                    Thread.sleep(60_000);
                    return 1;
                });
                while (grandchild.get() == null) {
                    Thread.onSpinWait();
                }
                throw new java.io.UncheckedIOException(new java.io.IOException("disk"));
            });
            reported = catchThrowable(b::join);
        }
        assertThat(reported).isInstanceOf(java.io.UncheckedIOException.class).isSameAs(child.failure());
        assertThat(reported.getSuppressed()).singleElement().asString().contains("ended leaving branch#");
        assertThat(grandchild.get().isAlive()).isFalse();
    }

    /** A counted resource with no state of its own: it vouches for itself, so a Ref to it may cross. */
    @Shareable
    static final class Thing extends RefCounted {
    }

    @Test
    void aChildsObjectsFollowTheOwnerHasTerminatedRule() throws Exception {
        DeathQueue<String> deaths = new DeathQueue<>();
        Branch.Child<Ref<Thing>> c;
        try (Branch b = Branch.open()) {
            c = b.fork(() -> {
                Thing t = new Thing();                 // owned by the child's thread
                deaths.watch(t, "thing");
                Ref<Thing> ref = new Ref<>(t);         // a second reference, counted by the owner too
                t.decref();
                return ref;
            });
            b.join();
        }
        Ref<Thing> ref = c.get();
        assertThat(ref.get().isAlive()).isTrue();
        ref.clear(); // the last reference, released by another thread after the owner ended
        assertThat(deaths.poll(Duration.ofSeconds(5))).isEqualTo("thing");
    }
}
