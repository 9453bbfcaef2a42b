package org.safethread.stress.weak;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.WeakKeyMap;
import org.safethread.stress.support.Owner;
import org.safethread.stress.support.Tracked;

/**
 * Protocol: {@code WeakKeyMap.put} of a counted key (under the key's Extras lock: bindings not
 * closed, key not DEAD, then table and binding list) racing the key's last {@code decref} (DEAD
 * CAS, then death processing closes the bindings under the same lock and removes every entry).
 *
 * <p>K has one reference; actor 1 puts K, actor 2 releases K. r1 = put (1 done, 2 refused: K
 * dead), r2 = the map's size after the arbiter's safe point on the owner, r3 = K alive (1) or
 * dead (0), r4 = owner role (0 harness, 1 actor 1, 2 actor 2).
 * <ul>
 *   <li>{@code 1|2, 0, 0, 1|2}: K died; a put before its death was removed with it, a put
 *       after it was refused.</li>
 *   <li>{@code 1, 1, 1, 0} and {@code 2, 0, 0, 0} and {@code 1, 0, 0, 0}: harness-owned (K's
 *       death may wait for the harness thread's merge; then its entry stays until then).</li>
 *   <li>an entry left for a dead key, or a put refused for a live key: FORBIDDEN.</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "[12], 0, 0, [12]", expect = ACCEPTABLE, desc = "K died; its entry went with it or the put was refused")
@Outcome(id = "1, 1, 1, 0", expect = ACCEPTABLE, desc = "harness-owned: K's death waits for the harness thread")
@Outcome(id = "[12], 0, 0, 0", expect = ACCEPTABLE, desc = "harness-owned, K died")
@Outcome(expect = FORBIDDEN, desc = "an entry of a dead key left in the map, or another failure")
@State
public class WeakKeyMapPutVsDeathTest {
    final Owner owner = new Owner();
    final Tracked k = new Tracked();
    final WeakKeyMap<Tracked, String> map = new WeakKeyMap<>();

    @Actor
    public void putter(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 1;
        }
        try {
            map.put(k, "v");
            r.r1 = 1;
        } catch (IllegalStateException e) {
            r.r1 = 2;
        }
    }

    @Actor
    public void releaser(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 2;
        }
        k.decref();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        owner.pollIfCurrent();
        r.r3 = k.isAlive() ? 1 : 0;
        r.r2 = map.size();
    }
}
