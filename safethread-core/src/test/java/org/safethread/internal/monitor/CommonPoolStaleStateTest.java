package org.safethread.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.DeadlockException;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;
import org.safethread.SafeThread;
import org.safethread.internal.runtime.ThreadRegistry;
import org.safethread.internal.runtime.ThreadState;

/**
 * Common-pool workers erase their thread-locals after each top-level task (seen on JDK 17 and 25).
 * The thread's next runtime call must take back its one registered {@link ThreadState}, not make a
 * second: the monitor layer's by-thread table still hands out the stack made with the first, and
 * with two states the deadlock detector saw the worker's wait on one and its monitors through the
 * other, so an ABBA cycle through the worker hung instead of being broken (found by a review of
 * the table; both tests failed before {@code ThreadState.create} reused the registered state). The
 * tests need both tasks on one worker (the common pool of a 2-core machine has one); elsewhere
 * they are skipped by assumption.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CommonPoolStaleStateTest {
    public static class Box {
        @MonitorMethod
        public void with(Runnable r) {
            r.run();
        }
    }

    private static Object[] onWorker(java.util.concurrent.Callable<Object[]> c) throws Exception {
        AtomicReference<Object[]> out = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        ForkJoinPool.commonPool().execute(() -> {
            try {
                out.set(c.call());
            } catch (Exception e) {
                throw new RuntimeException(e);
            } finally {
                done.countDown();
            }
        });
        assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        return out.get();
    }

    @Test
    void stackStateIsTheRegisteredStateInALaterTask() throws Exception {
        Object[] first = onWorker(() -> new Object[] {Thread.currentThread(), MonitorStack.current()});
        Object[] second = onWorker(() -> {
            MonitorStack s = MonitorStack.current();
            return new Object[] {Thread.currentThread(), s, ThreadState.current()};
        });
        assumeTrue(first[0] == second[0] && first[0] instanceof ForkJoinWorkerThread, "both tasks on one worker");
        MonitorStack s = (MonitorStack) second[1];
        assertThat(s.ts).as("the stack's state is the thread's current state").isSameAs(second[2]);
        assertThat(s.ts).as("the stack's state is the registered one")
                .isSameAs(ThreadRegistry.stateOf((Thread) second[0]));
    }

    @Test
    void abbaDeadlockWithACommonPoolWorkerIsDetected() throws Exception {
        Box x = Monitor.of(new Box());
        Box y = Monitor.of(new Box());
        Object[] warm = onWorker(() -> {
            x.with(() -> { });
            return new Object[] {Thread.currentThread()};
        });
        CyclicBarrier both = new CyclicBarrier(2);
        AtomicInteger refused = new AtomicInteger();
        AtomicReference<Thread> worker = new AtomicReference<>();
        CountDownLatch workerDone = new CountDownLatch(1);
        ForkJoinPool.commonPool().execute(() -> {
            worker.set(Thread.currentThread());
            try {
                SafeThread.poll(); // any runtime call: makes and registers the thread's new state
                both.await();
                x.with(() -> {
                    await(both);
                    y.with(() -> { });
                });
            } catch (DeadlockException e) {
                refused.incrementAndGet();
            } catch (Exception e) {
                throw new RuntimeException(e);
            } finally {
                workerDone.countDown();
            }
        });
        Thread other = new Thread(() -> {
            try {
                both.await();
                y.with(() -> {
                    await(both);
                    x.with(() -> { });
                });
            } catch (DeadlockException e) {
                refused.incrementAndGet();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        other.setDaemon(true);
        other.start();
        other.join(20_000);
        boolean finished = workerDone.await(1, TimeUnit.SECONDS);
        assumeTrue(worker.get() == warm[0], "the deadlock task ran on the warmed-up worker");
        assertThat(!other.isAlive() && finished).as("the ABBA deadlock was detected (refusals: %s)", refused.get()).isTrue();
        assertThat(refused.get()).isEqualTo(1);
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await();
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
