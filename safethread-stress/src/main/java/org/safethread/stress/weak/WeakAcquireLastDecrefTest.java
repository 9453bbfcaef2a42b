package org.safethread.stress.weak;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.safethread.DeathQueue;
import org.safethread.WeakRef;
import org.safethread.stress.support.Deaths;
import org.safethread.stress.support.Owner;
import org.safethread.stress.support.Tracked;

/**
 * Protocol: {@code WeakRef.acquire} (a CAS on the shared word that fails once DEAD) racing the
 * last {@code decref} of its referent (the {@code Py_TryIncref} bug class).
 *
 * <p>A has one reference. Actor 1 acquires through a weak reference and releases what it got;
 * actor 2 releases A's only reference. r1 = acquire's result (0 null, 1 a live A, 11 a dead A,
 * 8 threw), r2 = A's death notices after the arbiter's safe point on the owner (+10 if alive),
 * r3 = owner role (0 harness, 1 actor 1, 2 actor 2).
 * <ul>
 *   <li>{@code 0|1, 1, 1|2}: null, or a live A that was then released; A died exactly once.</li>
 *   <li>{@code 0|1, 1|10, 0}: harness-owned: A's death waits for the harness thread's merge.</li>
 *   <li>anything else: a dead object returned, a revived A, a death lost or doubled (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "[01], 1, [12]", expect = ACCEPTABLE, desc = "null or a live A; A died exactly once")
@Outcome(id = "[01], (1|10), 0", expect = ACCEPTABLE, desc = "harness-owned: A's death waits for the harness thread")
@Outcome(expect = FORBIDDEN, desc = "dead object returned, exception, or a death lost or doubled")
@State
public class WeakAcquireLastDecrefTest {
    final Owner owner = new Owner();
    final Tracked a = new Tracked();
    final WeakRef<Tracked> weak = new WeakRef<>(a);
    final DeathQueue<String> deaths = new DeathQueue<>();

    public WeakAcquireLastDecrefTest() {
        deaths.watch(a, "A");
    }

    @Actor
    public void acquirer(III_Result r) {
        if (owner.isCurrent()) {
            r.r3 = 1;
        }
        try {
            Tracked v = weak.acquire();
            int code = v == a ? 1 : v == null ? 0 : 9;
            if (v != null) {
                if (!v.isAlive()) {
                    code += 10;
                }
                v.decref();
            }
            r.r1 = code;
        } catch (IllegalStateException e) {
            r.r1 = 8;
        }
    }

    @Actor
    public void releaser(III_Result r) {
        if (owner.isCurrent()) {
            r.r3 = 2;
        }
        a.decref();
    }

    @Arbiter
    public void arbiter(III_Result r) {
        owner.pollIfCurrent();
        r.r2 = Deaths.drain(deaths) + (a.isAlive() ? 10 : 0);
    }
}
