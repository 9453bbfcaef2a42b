package org.safethread.stress.map;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.safethread.SharedMap;

/**
 * Protocol: linearizability of {@code replace(k, v)} (returning the old value) against
 * {@code remove(k)} (returning the removed value), each one {@code computeIfPresent}.
 *
 * <p>The key starts at 1. Actor 1: {@code replace(k, 2)}; actor 2: {@code remove(k)}. r1, r2:
 * what each returned (0: null); r3: the value at the end (0: absent).
 * <ul>
 *   <li>{@code 1, 2, 0}: replace, then remove (which removed 2) (ACCEPTABLE).</li>
 *   <li>{@code 0, 1, 0}: remove, then replace (which found nothing and did nothing) (ACCEPTABLE).</li>
 *   <li>Everything else FORBIDDEN: both returning 1 (a lost update), a value surviving a remove
 *       that returned it.</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 2, 0", expect = ACCEPTABLE, desc = "replace, then remove")
@Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "remove, then a replace that found nothing")
@Outcome(expect = FORBIDDEN, desc = "not linearizable")
@State
public class ReplacePairTest {
    final SharedMap<String, Integer> map = new SharedMap<>();

    public ReplacePairTest() {
        map.put("k", 1);
    }

    @Actor
    public void actor1(III_Result r) {
        Integer old = map.replace("k", 2);
        r.r1 = old == null ? 0 : old;
    }

    @Actor
    public void actor2(III_Result r) {
        Integer old = map.remove("k");
        r.r2 = old == null ? 0 : old;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        Integer v = map.get("k");
        r.r3 = v == null ? 0 : v;
    }
}
