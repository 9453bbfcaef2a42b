package org.safethread.stress.map;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.safethread.SharedMap;

/**
 * Protocol: a mapping that throws vs. a waiter arriving ({@code CheckedMap.runMapping} /
 * {@code abandon}: the marker removed by identity, then resolved; the waiter wakes, finds the key
 * absent and computes it itself).
 *
 * <p>Actor 1's mapping spins for a time that varies from state to state (0 to about 10 &micro;s, so
 * that actor 2 often arrives while it is pending and parks), then throws; actor 2's returns 2. r1, r2: what each got (-3: its mapping threw);
 * r3: the map's value at the end (0: absent).
 * <ul>
 *   <li>{@code -3, 2, 2}: actor 1's mapping ran and threw; actor 2 computed the key (before, or
 *       after waiting for the failed marker) (ACCEPTABLE).</li>
 *   <li>{@code 2, 2, 2}: actor 2 computed first; actor 1 found the value and ran nothing
 *       (ACCEPTABLE_INTERESTING).</li>
 *   <li>Anything else FORBIDDEN: a waiter that hung after the failure (-2), a false deadlock
 *       (-1), a value lost or a failed marker left in the map.</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "-3, 2, 2", expect = ACCEPTABLE, desc = "actor 1's mapping threw; actor 2 computed the key")
@Outcome(id = "2, 2, 2", expect = ACCEPTABLE_INTERESTING, desc = "actor 2 first; actor 1 found the value")
@Outcome(expect = FORBIDDEN, desc = "a hang, a false deadlock, or a lost value")
@State
public class PendingKeyAbandonTest {
    /** Varies the failing mapping's duration across states. */
    private static final AtomicLong STATES = new AtomicLong();

    final SharedMap<String, Integer> map = new SharedMap<>();
    final int spins = (int) (STATES.getAndIncrement() % 8) * 250;

    @Actor
    public void actor1(III_Result r) {
        r.r1 = MapActors.computeIfAbsent(map, "k", k -> {
            for (int i = 0; i < spins; i++) {
                Thread.onSpinWait();
            }
            throw new MapActors.MappingFailed();
        });
    }

    @Actor
    public void actor2(III_Result r) {
        r.r2 = MapActors.computeIfAbsent(map, "k", k -> 2);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        Integer v = map.get("k");
        r.r3 = v == null ? 0 : v;
    }
}
