package org.safethread.stress.weak;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.Ref;
import org.safethread.SafeThread;
import org.safethread.WeakKeyMap;
import org.safethread.WeakRef;
import org.safethread.stress.support.Owner;
import org.safethread.stress.support.Tracked;

/**
 * Protocol: the collector tracing an entry's value as a slot of its key (read under the key's
 * Extras lock) racing a {@code remove} of that entry (which marks the key's word TOUCHED under
 * the same lock, so a collection that read the old entry cannot kill on it).
 *
 * <p>K's entry holds {@code Ref(T)} and T refers to K: {K, T} is garbage, reachable only through
 * a weak reference. Actor 1 collects. Actor 2 reads K through the weak reference with
 * {@code get()} (borrowed: K's count does not change, so only the map's TOUCHED mark can tell the
 * collection) and, if it got it, removes K's entry, which hands the {@code Ref(T)} to actor 2: T
 * then has a counted reference from outside and must not die. r1 = actor 2's get (0 null, 1 K),
 * r2 = T alive after actor 2 took the Ref (1 alive, 0 dead, 5 nothing taken), r3 = K dead after
 * the arbiter (1 dead, 0 alive), r4 = owner role (0 harness, 1 actor 1, 2 actor 2).
 */
@JCStressTest
@Outcome(id = "0, 5, 1, [012]", expect = ACCEPTABLE, desc = "collected first: K and T died, the entry went with K")
@Outcome(id = "1, 1, [01], [012]", expect = ACCEPTABLE, desc = "K taken first: the removed Ref keeps T alive")
@Outcome(id = "1, 5, 1, [012]", expect = ACCEPTABLE, desc = "K read just before the collection killed it: remove found it dead")
@Outcome(expect = FORBIDDEN, desc = "T killed while the removed Ref still counted it, or another failure")
@State
public class CollectorTraceVsEntryRemoveTest {
    final Owner owner = new Owner();
    final Tracked k = new Tracked();
    final Tracked t = new Tracked();
    final WeakRef<Tracked> weak = new WeakRef<>(k);
    final WeakKeyMap<Tracked, Ref<Tracked>> map = new WeakKeyMap<>();

    public CollectorTraceVsEntryRemoveTest() {
        t.next.set(k);
        map.put(k, new Ref<>(t));
        k.decref();
        t.decref(); // {K, T}: referenced only by each other, through the entry
    }

    @Actor
    public void collector(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 1;
        }
        SafeThread.collect();
    }

    @Actor
    public void remover(IIII_Result r) {
        if (owner.isCurrent()) {
            r.r4 = 2;
        }
        Tracked got = weak.get();
        if (got == null) {
            r.r1 = 0;
            r.r2 = 5;
            return;
        }
        r.r1 = 1;
        Ref<Tracked> back = map.remove(got);
        if (back == null) {
            r.r2 = 5;
        } else {
            Tracked held = back.get();
            r.r2 = held == t && t.isAlive() ? 1 : 0;
            try {
                back.clear();
            } catch (IllegalStateException e) {
                r.r2 = 0; // T was killed while this Ref still counted it
            }
        }
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        owner.pollIfCurrent();
        r.r3 = k.isAlive() ? 0 : 1;
    }
}
