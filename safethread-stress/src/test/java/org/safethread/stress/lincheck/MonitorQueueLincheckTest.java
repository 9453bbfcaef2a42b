package org.safethread.stress.lincheck;

import java.time.Duration;
import java.util.ArrayDeque;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.junit.jupiter.api.Test;
import org.safethread.Monitor;

/**
 * Linearizability of a monitor-wrapped bounded queue ({@link BoundedQueue} through
 * {@link Monitor#of(Object)}): mutual exclusion of monitor methods, direct re-entry,
 * {@link Monitor#await} with a timeout releasing and re-taking the monitor, and the hand-off to
 * a woken waiter, against {@link Spec}, an {@link ArrayDeque} with the same capacity.
 *
 * <p>{@code put}/{@code take} wait at most {@link #waitLimit}; one that times out returns
 * false/null, which the sequential specification allows exactly when the queue is full/empty at
 * some point of the call. A missed wake-up therefore shows as a slow call, not a wrong result:
 * that property is checked by jcstress ({@code MonitorConditionWakeupTest},
 * {@code MonitorConditionHandoffTest}) and, for the waits themselves, by
 * {@link MonitorQueueHandOffLincheckTest}.
 *
 * <p>Stress mode waits up to 1 ms. Model checking cannot drive a timed wait: Lincheck's model
 * checker makes {@code System.nanoTime()} deterministic (it returns the same value all run), so
 * a timed {@code Monitor.await} whose condition never comes true never times out, and the
 * checker reports the scenario as a livelock. The model-checking run therefore uses a zero wait
 * ({@code await}'s evaluate-and-return path, still under every interleaving of the monitor's
 * entry and exit); the parked waits are model-checked with scenarios in which every wait has a
 * partner ({@link MonitorQueueHandOffLincheckTest}).
 */
@Param(name = "value", gen = IntGen.class, conf = "1:9")
public class MonitorQueueLincheckTest {
    static final int CAPACITY = 2;
    /**
     * How long {@code put}/{@code take} wait: set by each test before it runs (the tests of a
     * class run one after another). Stress: 1 ms, short enough that a scenario whose waiter has
     * no partner costs little time. Model checking: zero (see the class comment).
     */
    static volatile Duration waitLimit = Duration.ofMillis(1);

    private final BoundedQueue queue = Monitor.of(new BoundedQueue(CAPACITY));

    @Operation
    public boolean offer(@Param(name = "value") int v) {
        return queue.offer(v);
    }

    @Operation
    public Integer poll() {
        return queue.poll();
    }

    @Operation
    public boolean put(@Param(name = "value") int v) throws InterruptedException {
        return queue.put(v, waitLimit);
    }

    @Operation
    public Integer take() throws InterruptedException {
        return queue.take(waitLimit);
    }

    @Operation
    public int size() {
        return queue.size();
    }

    @Test
    void stress() {
        waitLimit = Duration.ofMillis(1);
        LincheckRuns.stress(Spec.class).check(MonitorQueueLincheckTest.class);
    }

    @Test
    void modelChecking() {
        waitLimit = Duration.ZERO;
        LincheckRuns.modelChecking(Spec.class).check(MonitorQueueLincheckTest.class);
    }

    /** The sequential specification: a bounded FIFO queue, no waiting. */
    public static class Spec {
        private final ArrayDeque<Integer> q = new ArrayDeque<>();

        public boolean offer(int v) {
            if (q.size() == CAPACITY) {
                return false;
            }
            q.addLast(v);
            return true;
        }

        public Integer poll() {
            return q.pollFirst();
        }

        public boolean put(int v) {
            return offer(v);
        }

        public Integer take() {
            return poll();
        }

        public int size() {
            return q.size();
        }

        /** The untimed waits of {@link MonitorQueueHandOffLincheckTest}: a sequential call never has to wait. */
        public void putWaiting(int v) {
            if (!offer(v)) {
                throw new IllegalStateException("full: a sequential putWaiting would wait forever");
            }
        }

        public int takeWaiting() {
            Integer v = poll();
            if (v == null) {
                throw new IllegalStateException("empty: a sequential takeWaiting would wait forever");
            }
            return v;
        }
    }
}
