package org.safethread.stress.map;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZI_Result;
import org.safethread.SharedMap;

/**
 * Protocol: linearizability of conditional writes ({@code CheckedMap.replace(k, expected, v)}
 * and {@code remove(k, v)}: a read, the value's {@code equals} outside any lock, then one
 * {@code computeIfPresent} swapping that very value by identity, re-read if it changed).
 *
 * <p>The key starts at 1. Actor 1: {@code replace(k, 1, 2)}; actor 2: {@code remove(k, 1)}. r1,
 * r2: whether each succeeded; r3: the value at the end (0: absent). Linearizable outcomes have
 * exactly one success: {@code true, false, 2} (replace first; remove then finds 2) or
 * {@code false, true, 0} (remove first; replace then finds nothing). Both or neither succeeding
 * is FORBIDDEN.
 */
@JCStressTest
@Outcome(id = "true, false, 2", expect = ACCEPTABLE, desc = "replace, then a failing remove")
@Outcome(id = "false, true, 0", expect = ACCEPTABLE, desc = "remove, then a failing replace")
@Outcome(expect = FORBIDDEN, desc = "not linearizable: both or neither took effect")
@State
public class ReplaceRemovePairTest {
    final SharedMap<String, Integer> map = new SharedMap<>();

    public ReplaceRemovePairTest() {
        map.put("k", 1);
    }

    @Actor
    public void actor1(ZZI_Result r) {
        r.r1 = map.replace("k", 1, 2);
    }

    @Actor
    public void actor2(ZZI_Result r) {
        r.r2 = map.remove("k", 1);
    }

    @Arbiter
    public void arbiter(ZZI_Result r) {
        Integer v = map.get("k");
        r.r3 = v == null ? 0 : v;
    }
}
