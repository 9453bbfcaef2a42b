package org.safethread.stress.map;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.SharedMap;

/**
 * Protocol: the pending-key marker, a mapping finishing vs. a waiter arriving
 * ({@code CheckedMap.computeIfAbsent}: publish the marker with {@code putIfAbsent}, replace it by
 * the value, {@code PendingKey.resolve}; the waiter's {@code addWaiter} CAS vs. the resolver's
 * {@code getAndSet(DONE)}, its park in {@code WaitForGraph.await}).
 *
 * <p>Both actors call {@code computeIfAbsent} on the same absent key, with mappings returning 1
 * and 2. Each mapping first spins for a time that varies from state to state (0 to about
 * 10 &micro;s), so that across a run the second caller arrives before the marker is published, while
 * it is pending (and parks), and just as it is resolved. r1, r2: what each got; r3: how many
 * mappings ran; r4: the map's value at the end.
 * <ul>
 *   <li>{@code 1, 1, 1, 1} / {@code 2, 2, 1, 2}: one mapping ran, both got its value (ACCEPTABLE;
 *       whether the second caller waited on the marker or found the value is not visible).</li>
 *   <li>Anything else is FORBIDDEN: two mappings ran, the callers disagree, the value is not the
 *       one returned, or a caller hung (-2: a lost wake-up, broken by the hang watchdog) or was
 *       made a deadlock victim (-1: there is no cycle).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"1, 1, 1, 1", "2, 2, 1, 2"}, expect = ACCEPTABLE, desc = "one mapping ran; both got its value")
@Outcome(expect = FORBIDDEN, desc = "two mappings, disagreeing callers, a lost wake-up or a false deadlock")
@State
public class PendingKeyOnceTest {
    /** Varies the mappings' duration across states. */
    private static final AtomicLong STATES = new AtomicLong();

    final SharedMap<String, Integer> map = new SharedMap<>();
    final AtomicInteger runs = new AtomicInteger();
    final int spins = (int) (STATES.getAndIncrement() % 8) * 250;

    private void work() {
        for (int i = 0; i < spins; i++) {
            Thread.onSpinWait();
        }
    }

    @Actor
    public void actor1(IIII_Result r) {
        r.r1 = MapActors.computeIfAbsent(map, "k", k -> {
            runs.incrementAndGet();
            work();
            return 1;
        });
    }

    @Actor
    public void actor2(IIII_Result r) {
        r.r2 = MapActors.computeIfAbsent(map, "k", k -> {
            runs.incrementAndGet();
            work();
            return 2;
        });
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r3 = runs.get();
        Integer v = map.get("k");
        r.r4 = v == null ? 0 : v;
    }
}
