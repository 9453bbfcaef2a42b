package org.safethread.stress.deadlock;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.List;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.safethread.internal.deadlock.WaitForGraph;
import org.safethread.internal.deadlock.Waitable;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.stress.support.SpareStates;

/**
 * Protocol: a verdict given to a light registration while its thread leaves it without the graph
 * lock ({@code WaitForGraph.giveVerdict} against {@code WaitForGraph.leaveLight}). The setter
 * (under the graph lock) writes the verdict, then re-reads the wait; the leaver clears the wait,
 * then reads the verdict: Dekker's pattern on two volatiles, so they cannot both miss each other.
 *
 * <p>The state starts with a light wait registered. Actor 1 leaves it ({@code leaveLight}) and,
 * if it saw a verdict, clears it under the graph lock, as {@code MonitorLock.leaveLight} does;
 * actor 2 is the hang watchdog's hook ({@code abortWait}). r1 = the leaver saw a verdict, r2 =
 * {@code abortWait} reported that it broke the wait, r3 = a verdict left on the node after both
 * (a stale verdict), r4 = the thread's next wait refused by a verdict meant for the first one.
 * <ul>
 *   <li>{@code 0, 0, 0, 0}: the setter saw the wait over and gave nothing.</li>
 *   <li>{@code 1, 1, 0, 0}: the setter gave it, the leaver saw it (it got what it waited for,
 *       which wins) and cleared it.</li>
 *   <li>{@code 1, 0, 0, 0}: the setter took its verdict back, the leaver had seen it: harmless
 *       (ACCEPTABLE_INTERESTING).</li>
 *   <li>{@code 0, 1, …}: the setter believes it broke a wait whose thread left without seeing
 *       it (FORBIDDEN); any r3 or r4 of 1: a stale verdict (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = {"0, 0, 0, 0", "1, 1, 0, 0"}, expect = ACCEPTABLE, desc = "one of the two saw the other")
@Outcome(id = "1, 0, 0, 0", expect = ACCEPTABLE_INTERESTING, desc = "verdict taken back after the leaver saw it")
@Outcome(expect = FORBIDDEN, desc = "both missed each other, or a stale verdict")
@State
public class LightVerdictTest {
    /** What the light wait waits for (never walked: no blockers). */
    static final Waitable TARGET = new Waitable() {
        @Override
        public void blockers(ThreadState waiter, List<ThreadState> out) {
        }

        @Override
        public boolean retry(ThreadState waiter) {
            return false;
        }

        @Override
        public String waitableName() {
            return "light-verdict target";
        }
    };

    final ThreadState ts = SpareStates.take();

    public LightVerdictTest() {
        WaitForGraph.registerLight(ts, TARGET, System.nanoTime());
    }

    @Actor
    public void actor1(IIII_Result r) {
        boolean saw = WaitForGraph.leaveLight(ts);
        if (saw) {
            WaitForGraph.lock();
            try {
                WaitForGraph.deregister(ts);
            } finally {
                WaitForGraph.unlock();
            }
        }
        r.r1 = saw ? 1 : 0;
    }

    @Actor
    public void actor2(IIII_Result r) {
        r.r2 = WaitForGraph.abortWait(ts, "light-verdict test") ? 1 : 0;
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r3 = WaitForGraph.hasVerdict(ts) ? 1 : 0;
        WaitForGraph.registerLight(ts, TARGET, System.nanoTime()); // the thread's next wait
        WaitForGraph.lock();
        try {
            r.r4 = WaitForGraph.takeVerdict(ts) != null ? 1 : 0;
            WaitForGraph.deregister(ts);
        } finally {
            WaitForGraph.unlock();
        }
        SpareStates.give(ts);
    }
}
