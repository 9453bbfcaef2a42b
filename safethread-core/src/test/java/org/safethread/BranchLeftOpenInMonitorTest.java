package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A monitor method that opens a branch and returns (or throws) without joining or closing it (a
 * bug of the method: an early return without try-with-resources). The pin of such a branch used
 * to outlive the method: on a pool worker, every later task's {@code Monitor.await} and
 * {@code Monitor.leave} on that monitor was refused, and the branch was never reported. Now the
 * exit of the entry that opened it closes it (cancelled, children waited for, outside the
 * monitor) and reports it with {@code IllegalStateException}.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BranchLeftOpenInMonitorTest {
    public static class Gate {
        private int n;

        @MonitorMethod
        public void openAndForget() {
            Branch.open(); // never joined or closed
            n++;
        }

        @MonitorMethod
        public void openAndThrow() {
            Branch.open();
            throw new UnsupportedOperationException("the method's own failure");
        }

        /** Forks a child that needs this monitor, then returns without joining. */
        @MonitorMethod
        public void forkIntoSelfAndForget(Gate self) {
            Branch b = Branch.open();
            b.fork(() -> {
                self.bump(); // waits for this entry to exit, then enters
                return null;
            });
        }

        @MonitorMethod
        public void openAndJoin() throws InterruptedException {
            try (Branch b = Branch.open()) {
                b.fork(() -> 1);
                b.join();
            }
        }

        @MonitorMethod
        public void bump() {
            n++;
        }

        @MonitorMethod
        public int n() {
            return n;
        }

        @MonitorMethod
        public boolean awaitBriefly() throws InterruptedException {
            return Monitor.await(() -> n > 100, Duration.ofMillis(10));
        }

        @MonitorMethod
        public int leaveAndCount() {
            return Monitor.leave(() -> 1) + n;
        }
    }

    @Test
    void aBranchLeftOpenByAMonitorMethodIsReportedAndDoesNotPinTheMonitorForLaterTasks() throws Exception {
        Gate gate = Monitor.of(new Gate());
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try {
            Throwable leak = catchThrowable(() -> worker.submit(() -> {
                gate.openAndForget();
                return null;
            }).get());
            assertThat(leak).as("the leak is reported").hasRootCauseInstanceOf(IllegalStateException.class);
            assertThat(leak.getCause()).hasMessageContaining("leaving it open")
                    .hasMessageContaining("try-with-resources");
            // later tasks on the same worker never opened a branch: their awaits and leaves work
            assertThat(worker.submit(gate::awaitBriefly).get()).isFalse();
            assertThat(worker.submit(gate::leaveAndCount).get()).isEqualTo(2);
        } finally {
            worker.shutdownNow();
        }
    }

    @Test
    void aMethodThatThrowsKeepsItsOwnExceptionWithTheLeakSuppressed() {
        Gate gate = Monitor.of(new Gate());
        Throwable t = catchThrowable(gate::openAndThrow);
        assertThat(t).isInstanceOf(UnsupportedOperationException.class).hasMessage("the method's own failure");
        assertThat(t.getSuppressed()).hasSize(1);
        assertThat(t.getSuppressed()[0]).isInstanceOf(IllegalStateException.class).hasMessageContaining("leaving it open");
        assertThat(gate.leaveAndCount()).isEqualTo(1); // not pinned any more
    }

    @Test
    void aChildWaitingForTheMonitorFinishesBeforeTheLeftOpenBranchIsClosed() {
        Gate gate = Monitor.of(new Gate());
        Throwable t = catchThrowable(() -> gate.forkIntoSelfAndForget(gate));
        assertThat(t).isInstanceOf(IllegalStateException.class).hasMessageContaining("leaving it open");
        // closed outside the monitor: the child entered it and ran, or was cancelled before it
        // started; either way it has ended, and it was not a deadlock victim
        assertThat(gate.n()).isBetween(0, 1);
        for (Throwable s : t.getSuppressed()) {
            assertThat(s).hasStackTraceContaining("IllegalStateException");
            assertThat(s.getSuppressed()).noneMatch(f -> f instanceof DeadlockException);
        }
    }

    @Test
    void aBranchJoinedInsideTheMethodLeavesNothingBehind() throws Exception {
        Gate gate = Monitor.of(new Gate());
        gate.openAndJoin();
        gate.openAndJoin();
        assertThat(gate.awaitBriefly()).isFalse(); // not pinned
        assertThat(gate.leaveAndCount()).isEqualTo(1);
    }
}
