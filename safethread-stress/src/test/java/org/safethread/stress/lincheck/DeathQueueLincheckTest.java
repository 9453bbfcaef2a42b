package org.safethread.stress.lincheck;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.ThreadIdGen;
import org.junit.jupiter.api.Test;
import org.safethread.DeathQueue;
import org.safethread.RefCounted;

/**
 * Linearizability of {@link DeathQueue}: {@code watch}, {@code cancel}, {@code poll} and
 * {@code size} from several threads while watched objects die, against {@link Spec}.
 *
 * <p>Objects are {@link RefCounted} nodes, each made and killed by one thread (its owner), so
 * that a death happens inside the {@code kill} call that releases the last reference: that is
 * what makes a death a linearizable event (a release by another thread dies at the owner's next
 * safe point, by design). Node {@code (t, k)} belongs to the Lincheck thread {@code t}
 * (Lincheck's {@link ThreadIdGen}: 0 is the init part, 1..n the parallel threads, n+1 the post
 * part), with payload {@code 10 t + k}. {@code cancel} may name any thread's node, so cancels
 * race deliveries and polls race both.
 *
 * <p>Stress and model checking, the latter with the runtime's plumbing left alone (see
 * {@link RefLincheckTest} and {@link LincheckRuns#IGNORED_PACKAGES}).
 *
 * <p>Not driven here: watches of plain (not counted) objects, whose notice comes when the JVM's
 * collector finds them unreachable: not a deterministic event, so not something a sequential
 * specification can place. {@code DeathQueueTest} (JUnit) and {@code DeathQueueCancelRaceTest}
 * (jcstress) cover that path.
 */
@Param(name = "tid", gen = ThreadIdGen.class)
@Param(name = "k", gen = IntGen.class, conf = "0:1")
@Param(name = "t", gen = IntGen.class, conf = "0:4")
public class DeathQueueLincheckTest {
    /** Lincheck threads: init (0), up to 3 parallel, post; payloads 10 t + k. */
    static final int THREAD_IDS = 5;
    static final int KEYS = 2;

    static final class Node extends RefCounted {
    }

    private final DeathQueue<Integer> queue = new DeathQueue<>();
    /** Live nodes, each touched only by its owner's thread (index t * KEYS + k). */
    private final Node[] nodes = new Node[THREAD_IDS * KEYS];
    /** The latest watch handle of each node slot; read by any thread. */
    private final AtomicReferenceArray<DeathQueue.Handle> handles = new AtomicReferenceArray<>(THREAD_IDS * KEYS);

    @Operation
    public boolean watch(@Param(name = "tid") int tid, @Param(name = "k") int k) {
        int i = tid * KEYS + k;
        if (nodes[i] != null) {
            return false;   // still alive and watched
        }
        Node n = new Node();
        handles.set(i, queue.watch(n, 10 * tid + k));
        nodes[i] = n;
        return true;
    }

    @Operation
    public boolean kill(@Param(name = "tid") int tid, @Param(name = "k") int k) {
        int i = tid * KEYS + k;
        Node n = nodes[i];
        if (n == null) {
            return false;
        }
        nodes[i] = null;
        n.decref();   // the owner's last reference: it dies here, and the notice is delivered now
        if (n.isAlive()) {
            throw new IllegalStateException("node " + i + " survived its owner's last release");
        }
        return true;
    }

    /** Cancels node {@code (t, k)}'s watch, any thread's. @return null if it was never watched */
    @Operation
    public Boolean cancel(@Param(name = "t") int t, @Param(name = "k") int k) {
        DeathQueue.Handle h = handles.get(t * KEYS + k);
        return h == null ? null : queue.cancel(h);
    }

    @Operation
    public Integer poll() {
        return queue.poll();
    }

    @Operation
    public int size() {
        return queue.size();
    }

    @Test
    void stress() {
        LincheckRuns.stressOnly(Spec.class).check(DeathQueueLincheckTest.class);
    }

    @Test
    void modelChecking() {
        LincheckRuns.modelChecking(Spec.class).check(DeathQueueLincheckTest.class);
    }

    /** The sequential specification. */
    public static class Spec {
        private static final int NONE = 0;
        private static final int WATCHING = 1;
        private static final int DONE = 2;   // delivered or cancelled

        private final boolean[] alive = new boolean[THREAD_IDS * KEYS];
        private final int[] handle = new int[THREAD_IDS * KEYS];
        private final ArrayDeque<Integer> notices = new ArrayDeque<>();

        public boolean watch(int tid, int k) {
            int i = tid * KEYS + k;
            if (alive[i]) {
                return false;
            }
            alive[i] = true;
            handle[i] = WATCHING;
            return true;
        }

        public boolean kill(int tid, int k) {
            int i = tid * KEYS + k;
            if (!alive[i]) {
                return false;
            }
            alive[i] = false;
            if (handle[i] == WATCHING) {
                handle[i] = DONE;
                notices.addLast(10 * tid + k);
            }
            return true;
        }

        public Boolean cancel(int t, int k) {
            int i = t * KEYS + k;
            if (handle[i] == NONE) {
                return null;
            }
            boolean was = handle[i] == WATCHING;
            handle[i] = DONE;
            return was;
        }

        public Integer poll() {
            return notices.pollFirst();
        }

        public int size() {
            return notices.size();
        }
    }
}
