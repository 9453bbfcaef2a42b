package org.safethread.stress.map;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.safethread.SharedMap;

/**
 * Protocol: a write displacing a pending marker ({@code CheckedMap.put} taking a marker out and
 * resolving it; the owner's {@code putIfAbsentChecked} finding its marker gone and returning the
 * value present; both counting the marker off the map's size, once: {@code PendingKey.takeOut}).
 *
 * <p>Actor 1: {@code computeIfAbsent(k, -> 1)}; actor 2: {@code put(k, 2)}. r1: what actor 1 got;
 * r2: what put returned (0: null); r3: the value at the end times 10 plus {@code size()} at the
 * end (exact then: 1; 2 would be a marker counted off twice, 0 one never counted off).
 * <ul>
 *   <li>{@code 1, 1, 21}: the mapping finished, then the put replaced it (ACCEPTABLE).</li>
 *   <li>{@code 2, 0, 21}: the put came first (or displaced the pending marker: a pending key is
 *       absent), and computeIfAbsent returned the present value (ACCEPTABLE).</li>
 *   <li>FORBIDDEN: {@code 1, 0, _} (the put saw the key absent, yet computeIfAbsent's value
 *       survived it), a final value other than 2, a size other than 1, a hang.</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "1, 1, 21", expect = ACCEPTABLE, desc = "mapping finished, then put")
@Outcome(id = "2, 0, 21", expect = ACCEPTABLE, desc = "put first, or put displaced the pending key")
@Outcome(expect = FORBIDDEN, desc = "a lost put, or a pending marker seen as a value")
@State
public class PendingKeyDisplacedTest {
    final SharedMap<String, Integer> map = new SharedMap<>();

    @Actor
    public void actor1(III_Result r) {
        r.r1 = MapActors.computeIfAbsent(map, "k", k -> 1);
    }

    @Actor
    public void actor2(III_Result r) {
        Integer prev = map.put("k", 2);
        r.r2 = prev == null ? 0 : prev;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        Integer v = map.get("k");
        r.r3 = (v == null ? 0 : v) * 10 + map.size();
    }
}
