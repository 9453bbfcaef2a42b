package org.safethread.stress.map;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.SharedMap;
import org.safethread.stress.support.Rendezvous;

/**
 * Protocol: a deadlock victim giving up a pending-key wait vs. the survivor's wait and the
 * victim's own marker ({@code PendingKey} as a {@code Waitable} of {@code WaitForGraph}: both
 * waits registered, one closes the cycle, exactly one verdict; the victim's {@code Node.leave},
 * its outer mapping's {@code abandon} removing its marker and resolving it, which wakes the
 * survivor, which then computes the victim's key itself).
 *
 * <p>Actor 1 computes k1 and, once both keys are pending (a {@link Rendezvous}), asks for k2
 * (computing it as 20 if it must); actor 2 computes k2 and asks for k1 (10 if it must). The
 * outer mappings return 100 + the inner value. r1, r2: what each outer call got (-1: victim);
 * r3, r4: k1 and k2 at the end.
 * <ul>
 *   <li>{@code 120, -1, 120, 20}: actor 2 was the victim; actor 1 computed k2 itself
 *       (ACCEPTABLE). {@code -1, 110, 10, 110}: the mirror image (ACCEPTABLE).</li>
 *   <li>{@code -4, ...}: a partner never arrived within 2 s, no cycle was arranged
 *       (ACCEPTABLE_INTERESTING only under extreme scheduling delays; not listed: FORBIDDEN if
 *       it shows values that break the rules).</li>
 *   <li>FORBIDDEN: two victims, none (both would hang: -2 from the watchdog), a victim's key
 *       left pending or holding a value, the survivor's result not in the map.</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"120, -1, 120, 20", "-1, 110, 10, 110"}, expect = ACCEPTABLE,
        desc = "exactly one victim; the other computed the victim's key itself")
@Outcome(id = {"-4, .*", ".*, -4, .*"}, expect = ACCEPTABLE_INTERESTING, desc = "partner late: no cycle arranged")
@Outcome(expect = FORBIDDEN, desc = "two victims, a hang, or the map disagreeing with the results")
@State
public class PendingKeyDeadlockTest {
    final SharedMap<String, Integer> map = new SharedMap<>();
    final Rendezvous rv = new Rendezvous();

    @Actor
    public void actor1(IIII_Result r) {
        r.r1 = MapActors.computeIfAbsent(map, "k1", k -> {
            if (!rv.arriveAndAwait()) {
                throw new MapActors.PartnerLate();
            }
            return 100 + map.computeIfAbsent("k2", kk -> 20);
        });
    }

    @Actor
    public void actor2(IIII_Result r) {
        r.r2 = MapActors.computeIfAbsent(map, "k2", k -> {
            if (!rv.arriveAndAwait()) {
                throw new MapActors.PartnerLate();
            }
            return 100 + map.computeIfAbsent("k1", kk -> 10);
        });
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        Integer a = map.get("k1");
        Integer b = map.get("k2");
        r.r3 = a == null ? 0 : a;
        r.r4 = b == null ? 0 : b;
    }
}
