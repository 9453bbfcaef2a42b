package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.safethread.Branch.Child.State;

/**
 * A wait for a pending SharedMap key is a blocking point the library owns, so a cancelled branch
 * child must leave it promptly with {@code CancelledException} (CONTRACT §6), as it leaves
 * {@code Monitor.await}: it used to stay parked until the mapping it waited for ended, holding up
 * the cancellation and the owner's {@code join}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SharedMapCancellationTest {
    /** How long the key's mapping runs unless released: far beyond any prompt cancellation. */
    private static final long MAPPING_SECONDS = 20;

    @Test
    void aChildWaitingForAPendingKeyLeavesTheWaitWhenItsBranchIsCancelled() throws Exception {
        for (BranchTesting.Kind kind : BranchTesting.Kind.values()) {
            if (!kind.available()) {
                continue;
            }
            SharedMap<String, String> m = new SharedMap<>();
            CountDownLatch inMapping = new CountDownLatch(1);
            CountDownLatch finish = new CountDownLatch(1);
            // The key's owner is a thread outside the branch: cancelling the branch does not end it.
            CompletableFuture<String> owner = CompletableFuture.supplyAsync(() -> m.computeIfAbsent("k", k -> {
                inMapping.countDown();
                try {
                    finish.await(MAPPING_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return "owner";
            }));
            assertThat(inMapping.await(5, TimeUnit.SECONDS)).isTrue();
            AtomicReference<Thread> childThread = new AtomicReference<>();
            AtomicReference<Throwable> seen = new AtomicReference<>();
            AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
            long took;
            Branch.Child<String> c;
            try (Branch b = kind.open()) {
                c = b.fork(() -> {
                    childThread.set(Thread.currentThread());
                    try {
                        return m.computeIfAbsent("k", k -> "child");
                    } catch (CancelledException e) {
                        seen.set(e);
                        interruptedAfter.set(Thread.currentThread().isInterrupted());
                        throw e;
                    }
                });
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while ((childThread.get() == null || childThread.get().getState() != Thread.State.WAITING)
                        && System.nanoTime() < deadline) {
                    Thread.sleep(5); // parked on the pending key
                }
                assertThat(childThread.get().getState()).as(kind.name()).isEqualTo(Thread.State.WAITING);
                long start = System.nanoTime();
                b.cancel();
                b.join();
                took = System.nanoTime() - start;
            } finally {
                finish.countDown();
            }
            assertThat(TimeUnit.NANOSECONDS.toSeconds(took)).as(kind + ": join waited for the mapping")
                    .isLessThan(MAPPING_SECONDS / 2);
            assertThat(c.state()).as(kind.name()).isEqualTo(State.CANCELLED);
            assertThat(seen.get()).as(kind.name()).isInstanceOf(CancelledException.class)
                    .hasMessageContaining("SharedMap.computeIfAbsent").hasMessageContaining("\"k\"");
            assertThat(interruptedAfter.get()).as(kind + ": the cancellation's interrupt stays set").isTrue();
            assertThat(owner.get(5, TimeUnit.SECONDS)).isEqualTo("owner"); // the key's mapping is unaffected
            assertThat(m.get("k")).isEqualTo("owner");
        }
    }

    @Test
    void aChildOfACancelledBranchIsRefusedAtAPendingKeyEachTime() throws Exception {
        SharedMap<String, String> m = new SharedMap<>();
        CountDownLatch inMapping = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        CompletableFuture<String> owner = CompletableFuture.supplyAsync(() -> m.computeIfAbsent("k", k -> {
            inMapping.countDown();
            MonitorTesting.await(finish);
            return "owner";
        }));
        assertThat(inMapping.await(5, TimeUnit.SECONDS)).isTrue();
        Branch.Child<Integer> c;
        CountDownLatch started = new CountDownLatch(1);
        try (Branch b = Branch.open()) {
            c = b.fork(() -> {
                started.countDown();
                for (;;) { // until the owner cancelled the branch
                    try {
                        SafeThread.checkpoint();
                    } catch (CancelledException e) {
                        break;
                    }
                    Thread.onSpinWait();
                }
                int refused = 0;
                for (int i = 0; i < 2; i++) {
                    Throwable t = catchThrowable(() -> m.computeIfAbsent("k", k -> "child"));
                    if (t instanceof CancelledException) {
                        refused++;
                    }
                }
                if (m.get("k") != null) { // reads never block and are no cancellation points
                    throw new AssertionError("the pending key was seen as a value");
                }
                return refused;
            });
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue(); // running its task: a cancel does not skip it
            b.cancel();
            b.join();
        } finally {
            finish.countDown();
        }
        assertThat(c.state()).isEqualTo(State.SUCCEEDED);
        assertThat(c.get()).isEqualTo(2);
        assertThat(owner.get(5, TimeUnit.SECONDS)).isEqualTo("owner");
    }
}
