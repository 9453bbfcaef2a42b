package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The runtime's long waits on a {@code ForkJoinPool} worker let the pool compensate, as the JDK's
 * own condition waits do ({@code BlockingQueue.take}, {@code CompletableFuture.get}): a pool of
 * parallelism 1 — the common pool on a two-core machine — whose only worker waits in
 * {@code Monitor.await}, a branch {@code join} or for a pending {@code SharedMap} key still runs
 * the queued task that ends the wait. Before, each of these hung (the waiter parked without
 * telling its pool, so the pool never started a spare worker for the queued task).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ThreadPoolWaitsTest {
    /** How long a wait that the pool can end may take before it counts as the hang. */
    private static final long BOUND_S = 10;

    public static class Box {
        private final ArrayDeque<String> items = new ArrayDeque<>();

        @MonitorMethod
        public void send(String s) {
            items.add(s);
        }

        @MonitorMethod
        public String receive() throws InterruptedException {
            Monitor.await(() -> !items.isEmpty());
            return items.poll();
        }

        @MonitorMethod
        public String receiveWithin(Duration d) throws InterruptedException {
            return Monitor.await(() -> !items.isEmpty(), d) ? items.poll() : null;
        }
    }

    /** The control: the JDK's own queue, on the same pool shape. */
    @Test
    void aBlockingQueueTakeOnTheOnlyWorkerLetsTheProducerRun() throws Exception {
        ForkJoinPool pool = new ForkJoinPool(1);
        try {
            ArrayBlockingQueue<String> q = new ArrayBlockingQueue<>(1);
            Future<String> consumer = pool.submit(() -> q.take());
            awaitRunning(pool);
            pool.submit(() -> q.add("x"));
            assertThat(consumer.get(BOUND_S, TimeUnit.SECONDS)).isEqualTo("x");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void monitorAwaitOnTheOnlyWorkerLetsTheProducerRun() throws Exception {
        ForkJoinPool pool = new ForkJoinPool(1);
        try {
            Box box = Monitor.of(new Box());
            Future<String> consumer = pool.submit(() -> box.receive());
            Future<String> timed = pool.submit(() -> box.receiveWithin(Duration.ofSeconds(30)));
            awaitRunning(pool);
            pool.submit(() -> box.send("x"));
            pool.submit(() -> box.send("y"));
            assertThat(List.of(consumer.get(BOUND_S, TimeUnit.SECONDS), timed.get(BOUND_S, TimeUnit.SECONDS)))
                    .containsExactlyInAnyOrder("x", "y");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void asyncStagesOnTheCommonPoolPassMessagesThroughAMonitor() throws Exception {
        Box box = Monitor.of(new Box());
        int n = 4 * (ForkJoinPool.getCommonPoolParallelism() + 1);
        List<CompletableFuture<String>> received = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            received.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return box.receive();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (int i = 0; i < n; i++) {
            String m = "m" + i;
            CompletableFuture.runAsync(() -> box.send(m));
        }
        CompletableFuture.allOf(received.toArray(new CompletableFuture<?>[0])).get(BOUND_S, TimeUnit.SECONDS);
    }

    @Test
    void aBranchJoinOnTheOnlyWorkerLetsAChildUseThePool() throws Exception {
        ForkJoinPool pool = new ForkJoinPool(1);
        try {
            Future<Integer> f = pool.submit(() -> {
                try (Branch b = Branch.open()) {
                    Branch.Child<Integer> c = b.fork(() -> CompletableFuture.supplyAsync(() -> 41, pool).get() + 1);
                    b.join();
                    return c.get();
                }
            });
            assertThat(f.get(BOUND_S, TimeUnit.SECONDS)).isEqualTo(42);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aPendingKeyWaitOnTheOnlyWorkerLetsTheMappingUseThePool() throws Exception {
        ForkJoinPool pool = new ForkJoinPool(1);
        try {
            SharedMap<String, Integer> m = new SharedMap<>();
            CountDownLatch published = new CountDownLatch(1);
            CountDownLatch waiterStarted = new CountDownLatch(1);
            CompletableFuture<Integer> computer = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    computer.complete(m.computeIfAbsent("k", k -> {
                        published.countDown();
                        try {
                            waiterStarted.await();
                            // the pool's only worker is (about to be) parked waiting for "k"
                            return CompletableFuture.supplyAsync(() -> 7, pool).get();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }));
                } catch (Throwable e) {
                    computer.completeExceptionally(e);
                }
            }, "computer");
            t.setDaemon(true);
            t.start();
            published.await();
            Future<Integer> waiter = pool.submit(() -> {
                waiterStarted.countDown();
                return m.computeIfAbsent("k", k -> 0);
            });
            assertThat(waiter.get(BOUND_S, TimeUnit.SECONDS)).isEqualTo(7);
            assertThat(computer.get(BOUND_S, TimeUnit.SECONDS)).isEqualTo(7);
        } finally {
            pool.shutdownNow();
        }
    }

    static final class Token extends RefCounted {
    }

    /**
     * A pool compensates by running its worker factory on the waiting thread. A factory of the
     * user's that uses safethread runs there as on any attached thread: its counts and monitor
     * calls work, and the wait still ends.
     */
    @Test
    void aWorkerFactoryThatUsesSafethreadRunsOnTheWaitingThread() throws Exception {
        Box log = Monitor.of(new Box());
        java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
        ForkJoinPool.ForkJoinWorkerThreadFactory factory = p -> {
            Token t = new Token();
            t.incref();
            t.decref();
            t.decref();
            if (!t.isAlive()) {
                log.send("worker " + made.incrementAndGet());
            }
            return ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
        };
        ForkJoinPool pool = new ForkJoinPool(1, factory, null, false);
        try {
            Box box = Monitor.of(new Box());
            Future<String> consumer = pool.submit(() -> box.receive());
            awaitRunning(pool);
            pool.submit(() -> box.send("x"));
            assertThat(consumer.get(BOUND_S, TimeUnit.SECONDS)).isEqualTo("x");
            assertThat(made.get()).isGreaterThanOrEqualTo(2); // the first worker and a spare
            assertThat(log.receive()).isEqualTo("worker 1");
        } finally {
            pool.shutdownNow();
        }
    }

    /** Waits until the pool's worker runs the first task (the queued ones stay queued behind it). */
    private static void awaitRunning(ForkJoinPool pool) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_S);
        while (pool.getActiveThreadCount() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        Thread.sleep(50); // and reaches its wait
    }
}
