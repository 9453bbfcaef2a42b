package org.safethread.stress.deadlock;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.Monitor;
import org.safethread.stress.support.Rendezvous;

/**
 * Protocol: detection while a monitor of the cycle is also contended by a thread outside it
 * (the detector's walk vs a concurrent release and re-acquisition of that monitor; the victim's
 * verdict vs the wake-ups the third party's entry and exit cause; a woken entrant that re-arms
 * and parks without the graph lock must still see a verdict given meanwhile).
 *
 * <p>Actors 1 and 2 close a cycle as in {@link DeadlockCycleTest} (1 holds A and enters B, 2
 * holds B and enters A). Actor 3 makes a fresh call into A at the same time, holding nothing: it
 * may enter A before actor 1, in the middle (after the victim released it), or after both; it is
 * never on a cycle, so it must never be refused, and it must not hide the cycle or make it
 * break twice. r1/r2 = actor 1/2's codes (0 entered, 1 victim, 2 hung, 3 partner late), r3 = actor
 * 3's code, r4 = inner entries of A and B together.
 * <ul>
 *   <li>{@code 0, 1, 0, 2} / {@code 1, 0, 0, 2}: one victim; the other and the third party
 *       entered (ACCEPTABLE).</li>
 *   <li>{@code 3, 0, 0, 2} / {@code 0, 3, 0, 2}: the third party held A so long that no cycle
 *       was arranged (ACCEPTABLE_INTERESTING).</li>
 *   <li>both victims, no victim, the third party refused, any hang, or a miscount: FORBIDDEN.</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"0, 1, 0, 2", "1, 0, 0, 2"}, expect = ACCEPTABLE, desc = "exactly one victim; the others entered")
@Outcome(id = {"3, 0, 0, 2", "0, 3, 0, 2"}, expect = ACCEPTABLE_INTERESTING, desc = "partner late: no cycle")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "both cycle threads were made victims")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "no victim although each held the other's monitor")
@Outcome(id = ".*, .*, 1, .*", expect = FORBIDDEN, desc = "false positive: the third party was refused")
@Outcome(id = {"2, .*", ".*, 2, .*"}, expect = FORBIDDEN, desc = "hung: a deadlock missed or a wake-up lost")
@Outcome(expect = FORBIDDEN, desc = "inconsistent: entries do not match the outcomes")
@State
public class DeadlockThirdPartyTest {
    final Node a = Monitor.of(new Node());
    final Node b = Monitor.of(new Node());
    final Rendezvous rv = new Rendezvous();

    @Actor
    public void actor1(IIII_Result r) {
        r.r1 = a.outer(b, rv);
    }

    @Actor
    public void actor2(IIII_Result r) {
        r.r2 = b.outer(a, rv);
    }

    @Actor
    public void thirdParty(IIII_Result r) {
        r.r3 = Node.enterFresh(a);
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r4 = a.entries() + b.entries(); // the non-victim's inner entry and the third party's
    }
}
