package org.safethread.stress.monitor;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.Monitor;
import org.safethread.stress.deadlock.Node;

/**
 * Protocol: the two entry queues of one monitor ({@code MonitorLock.holdingQueue} for entrants
 * that hold other monitors, {@code entryQueue} for fresh outermost entries), the head that a
 * release wakes ({@code firstWaiter}, {@code firstHolds}: written under the graph lock, read by
 * releasers and entrants without it), the rule that a fresh entrant does not barge past a
 * holding head ({@code MonitorLock.mayTake}), and a woken entrant that lost the race to a
 * barging holder re-arming and parking again without the graph lock.
 *
 * <p>Three actors call into monitor M at once: actor 1 and actor 3 make fresh calls
 * ({@code m.inner()}, holding nothing); actor 2 holds monitor X and calls into M from inside it
 * ({@code x.retry(m)}), so when it has to wait it queues in M's holding queue, ahead of the fresh
 * entrants, and they may not take a free M past it. Whatever the interleaving, every entry must
 * end in M (no wake-up lost when the head switches between the queues, no fresh entrant left
 * parked behind a head that has gone), none may be refused as a deadlock victim (there is no
 * cycle: a refusal would be a false positive), and M must count all three entries (mutual
 * exclusion). r1..r3 = actor codes ({@link Node#ENTERED} 0, {@link Node#VICTIM} 1,
 * {@link Node#HUNG} 2: the hang watchdog broke an entry parked for 3 s); r4 = M's entries.
 */
@JCStressTest
@Outcome(id = "0, 0, 0, 3", expect = ACCEPTABLE, desc = "all three entered, one at a time")
@Outcome(id = {"2, .*", ".*, 2, .*"}, expect = FORBIDDEN, desc = "hung: a queued entrant was never woken")
@Outcome(id = {"1, .*", ".*, 1, .*"}, expect = FORBIDDEN, desc = "false positive: an entry was refused with no cycle")
@Outcome(expect = FORBIDDEN, desc = "lost update: two entrants inside M at once")
@State
public class MonitorHoldingQueueHandoffTest {
    final Node m = Monitor.of(new Node());
    final Node x = Monitor.of(new Node());

    @Actor
    public void fresh1(IIII_Result r) {
        r.r1 = Node.enterFresh(m);
    }

    @Actor
    public void holding(IIII_Result r) {
        r.r2 = x.retry(m); // holds X while it enters M: queues in M's holding queue
    }

    @Actor
    public void fresh2(IIII_Result r) {
        r.r3 = Node.enterFresh(m);
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r4 = m.entries();
    }
}
