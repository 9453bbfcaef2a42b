package org.safethread.internal.monitor;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.stress.support.SpareStates;

/**
 * Protocol: a deadlock victim leaving a monitor's entry queue while the monitor is released
 * ({@code MonitorLock.leaveQueueWithoutMonitor} against {@code MonitorLock.unlock}). A releaser
 * writes the lock word free, then reads the queue head and wakes it if it armed its wake flag; a
 * victim that was the head has disarmed its own flag, so a release that still reads it as the
 * head wakes nobody. The victim therefore, after leaving the queue (writing the new head,
 * volatile), reads the lock word and wakes the new head if the monitor is free
 * ({@code wakeHeadIfFree}). Dekker's pattern: either the releaser reads the new head, or the
 * victim reads the lock free; either way the new head is woken.
 *
 * <p>This needs three threads in the monitor layer's own terms (holder, victim, next waiter); here
 * the next waiter is passive, so two actors suffice: the state's lock word is taken (by the
 * constructing thread's stack, without an owner), victim V and next waiter H (spare thread states,
 * see {@link SpareStates}) are queued in that order, H armed (it is about to park), V disarmed (it
 * is leaving its park loop with a verdict). Actor 1 releases the monitor; actor 2 is V leaving.
 * It lives in the monitor layer's package because the queue operations it drives are
 * package-private there. r1 = whether H's wake flag is still armed at the end (nobody claimed it
 * to unpark H), r2 = whether the monitor is free.
 * <ul>
 *   <li>{@code 0, 1}: H was woken, by the releaser or by the victim (ACCEPTABLE).</li>
 *   <li>{@code 1, 1}: the monitor is free and H, queued and armed, was never woken: it would stay
 *       parked until some later release, which may never come (FORBIDDEN). A copy of the leave
 *       without {@code wakeHeadIfFree}, or with it before the dequeue, shows this.</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "the next waiter was woken (by the releaser or the victim)")
@Outcome(id = "1, 1", expect = FORBIDDEN, desc = "lost wake-up: monitor free, next waiter armed and never woken")
@Outcome(expect = FORBIDDEN, desc = "the monitor stayed locked after its release")
@State
public class EntryQueueLeaveWakeTest {
    final MonitorLock m = new MonitorLock("m");
    final ThreadState victim = SpareStates.take();
    final ThreadState next = SpareStates.take();

    public EntryQueueLeaveWakeTest() {
        if (!m.tryLock(MonitorStack.current())) {
            throw new IllegalStateException("a fresh monitor's lock word was taken");
        }
        m.enqueueEntry(victim, false);
        m.enqueueEntry(next, false);
        next.wantEntryWake(true);
    }

    @Actor
    public void releaser() {
        m.unlock();
    }

    @Actor
    public void victimLeaves() {
        m.leaveQueueWithoutMonitor(victim);
    }

    @Arbiter
    public void arbiter(II_Result r) {
        r.r1 = next.claimEntryWake() ? 1 : 0;
        r.r2 = m.isFree() ? 1 : 0;
        next.wantEntryWake(false);
        SpareStates.give(victim);
        SpareStates.give(next);
    }
}
