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
 * Protocol: linearizability of the conditional writes when the expected value is equal to, not
 * the same object as, the present one: each calls {@code equals} outside any lock on the value
 * it read, then swaps that very value by identity, and reads again if it changed meanwhile
 * ({@code CheckedMap.swapIfEqual}). ({@link ReplaceRemovePairTest} passes the present object
 * itself, a cached {@code Integer}, so its comparisons are identities.)
 *
 * <p>The key starts at a fresh "one". Actor 1: {@code replace(k, new "one", "two")}; actor 2:
 * {@code remove(k, new "one")}. r1, r2: whether each succeeded; r3: the value at the end (0:
 * absent, 2: "two", 1: still "one"). Exactly one succeeds.
 */
@JCStressTest
@Outcome(id = "true, false, 2", expect = ACCEPTABLE, desc = "replace, then a failing remove")
@Outcome(id = "false, true, 0", expect = ACCEPTABLE, desc = "remove, then a failing replace")
@Outcome(expect = FORBIDDEN, desc = "not linearizable: both or neither took effect")
@State
public class ReplaceRemoveEqualPairTest {
    final SharedMap<String, String> map = new SharedMap<>();

    public ReplaceRemoveEqualPairTest() {
        map.put("k", new String("one"));
    }

    @Actor
    public void actor1(ZZI_Result r) {
        r.r1 = map.replace("k", new String("one"), "two");
    }

    @Actor
    public void actor2(ZZI_Result r) {
        r.r2 = map.remove("k", new String("one"));
    }

    @Arbiter
    public void arbiter(ZZI_Result r) {
        String v = map.get("k");
        r.r3 = v == null ? 0 : "two".equals(v) ? 2 : 1;
    }
}
