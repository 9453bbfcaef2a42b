package org.safethread.stress.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.safethread.RefCounted;
import org.safethread.internal.collector.KillObserver;

/**
 * What the cycle collector killed during the soak, told by the collector itself (the runtime's
 * diagnostic {@link KillObserver}): members of the two-buffer cycles the workload made, and
 * anything else, named by class, identity, and the count and internal references the collection
 * saw. With issue 18's excess this named the culprit: buffers handed to the mailbox by threads
 * that then ended, killed with count 0 and no references at all (acyclic deaths by release,
 * counted as collected). Runs on the collecting thread, one call per killed object.
 */
final class KillLedger implements KillObserver {
    /** How many non-member kills are described (the rest only counted). */
    private static final int DESCRIBED = 10;

    final LongAdder cycleMembers = new LongAdder();
    final LongAdder others = new LongAdder();
    private final List<String> described = new ArrayList<>();

    @Override
    public void killed(RefCounted x, long count, int internal) {
        if (x instanceof Resources.Buffer b && b.cycleMember) {
            cycleMembers.increment();
            return;
        }
        others.increment();
        synchronized (described) {
            if (described.size() < DESCRIBED) {
                String kind = x instanceof Resources.Buffer ? " (a buffer made in no cycle)" : "";
                described.add(x.getClass().getName() + "@" + Integer.toHexString(System.identityHashCode(x)) + kind
                        + ": count " + count + ", referenced by " + internal + " examined Ref(s)"
                        + (internal == 0 ? ", i.e. by nothing: acyclic" : ""));
            }
        }
    }

    /** @return descriptions of the first objects killed that were no cycle members (at most 10) */
    List<String> describedOthers() {
        synchronized (described) {
            return new ArrayList<>(described);
        }
    }
}
