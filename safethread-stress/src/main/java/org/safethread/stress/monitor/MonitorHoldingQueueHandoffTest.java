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
 * releasers and entrants without it), the rule that a fresh entrant does not pass a holding head
 * ({@code MonitorLock.mayTake}; on the fast path {@code tryEnter} CASes first and gives the lock
 * back with a full release), and a woken entrant that lost the race to a barging thread
 * re-arming and parking again without the graph lock.
 *
 * <p>Actor 1 holds monitor X and calls into M from inside it ({@code x.retry(m)}): when it has
 * to wait it queues in M's holding queue. Actor 2 makes two fresh calls into M in a row
 * ({@code m.inner()}, holding nothing): if actor 1 queued during the first, the second finds
 * M free on its exit but may not take it past actor 1, so it gives it back and queues, and
 * actor 1's release must then wake it. Whatever the interleaving every entry must end in M (no
 * wake-up lost when the lock is given back or the head switches between the queues), none may
 * be refused as a deadlock victim (there is no cycle: a refusal is a false positive), and M
 * must count all three entries (mutual exclusion). r1 = actor 1's code, r2/r3 = actor 2's
 * codes ({@link Node#ENTERED} 0, {@link Node#VICTIM} 1, {@link Node#HUNG} 2: the hang watchdog
 * broke an entry parked for 3 s); r4 = M's entries. jcstress runs two actors on 2 CPUs, so the
 * third party that would make both queue at once is actor 2's own first call.
 */
@JCStressTest
@Outcome(id = "0, 0, 0, 3", expect = ACCEPTABLE, desc = "all three calls entered, one at a time")
@Outcome(id = {"2, .*", ".*, 2, .*"}, expect = FORBIDDEN, desc = "hung: a queued entrant was never woken")
@Outcome(id = {"1, .*", ".*, 1, .*"}, expect = FORBIDDEN, desc = "false positive: an entry was refused with no cycle")
@Outcome(expect = FORBIDDEN, desc = "lost update: two entrants inside M at once")
@State
public class MonitorHoldingQueueHandoffTest {
    final Node m = Monitor.of(new Node());
    final Node x = Monitor.of(new Node());

    @Actor
    public void holding(IIII_Result r) {
        r.r1 = x.retry(m); // holds X while it enters M: queues in M's holding queue
    }

    @Actor
    public void fresh(IIII_Result r) {
        r.r2 = Node.enterFresh(m);
        r.r3 = Node.enterFresh(m);
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r4 = m.entries();
    }
}
