package org.safethread.stress.soak;

import org.safethread.Branch;
import org.safethread.MonitorMethod;

/**
 * A monitor whose method opens a branch and joins it while its child enters the same monitor:
 * a deadlock through a join (CONTRACT §6), which the runtime must break by refusing the child's
 * entry, never the join; the child's {@code DeadlockException} is its failure and {@code join}
 * rethrows that object.
 */
public class JoinBox {
    private long touches;

    /** @return the number of entries so far */
    @MonitorMethod
    public long touch() {
        return ++touches;
    }

    /**
     * Opens a branch inside this monitor, forks one child that calls {@code self.touch()} (blocked:
     * this thread holds the monitor) and joins it. What happened goes into {@code out}.
     *
     * @param self this monitor's proxy
     * @param out where the child, its thread and what {@code join} threw are recorded
     */
    @MonitorMethod
    public void joinThroughAChild(JoinBox self, Branches.JoinOutcome out) {
        Branches.Tally tally = out.tally;
        try (Branch b = Branch.open()) {
            out.child = b.fork(Branches.wrap(tally, 0, () -> self.touch()));
            try {
                b.join();
            } catch (Throwable t) {
                out.thrown = t;
            }
        } catch (Throwable t) {
            out.closeThrown = t;
        }
    }
}
