package org.safethread.internal.deadlock;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.safethread.DeadlockException;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.Parking;
import org.safethread.internal.runtime.Settings;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.internal.runtime.LoggerNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wait-for graph over blocked threads, and the detector that breaks its cycles. A pure
 * algorithm over {@link Waitable}s: monitor entries, branch joins and pending map keys are all
 * nodes of one graph, so a cycle that mixes them is found like any other.
 *
 * <h2>Implementation notes</h2>
 *
 * <p><b>Graph.</b> A thread's node ({@link Node}, kept in a {@link ThreadState.Slot}) says what it
 * waits for; a full registration writes it under {@link #LOCK}, a light one (below) by its own
 * thread alone. The edges out of a waitable are computed when
 * the detector walks: a monitor's holder (written by holders without any lock), a branch's live
 * children, the thread computing a map key. Nothing here runs on an uncontended path: a thread
 * with a full registration takes {@code LOCK} only when it is about to park, when it wakes up
 * and re-tries, and when it stops waiting; one with a light registration, only to take a verdict.
 *
 * <p>The argument below is about full registrations ("registered" there); light ones are
 * covered in "Light registrations" at the end.
 *
 * <p><b>Detection.</b> A cycle can only be closed by a thread that starts waiting: every thread
 * of a cycle waits, and edges appear only when a wait starts (acquiring a monitor, ending a
 * child, finishing a key: all these remove edges). So the thread about to park walks the graph
 * from itself, depth first (a join waits on every live child, so a node can have many edges),
 * under {@code LOCK}. Reaching itself again means a cycle. The walk visits each thread once and
 * each edge once, so it ends, whatever the graph's shape.
 *
 * <p><b>No false positives.</b> A thread registered in the graph is parked inside its wait,
 * doing nothing but re-trying it, and cannot deregister while we hold {@code LOCK}: it cannot
 * release a monitor, end, or finish a key. So for every registered thread the edges into it are
 * stable during the walk, except that it may just have got what it waits for (its registration is
 * then stale): a monitor reports no blocker when its holder is the waiter itself, and the retry
 * before declaring settles the walker's own wait. A blocker read racily is exact enough: if it
 * is a registered thread, that thread's writes before it registered (including clearing the
 * owner of anything it released) happen-before our {@code LOCK} acquisition. Every thread on a
 * reported cycle is therefore really blocked by the next, and none can move: the deadlock is
 * real. A thread chosen as victim but not yet woken counts as not waiting, so one cycle never
 * gets two victims.
 *
 * <p><b>Victim.</b> Among the threads on the cycle whose wait is abortable (a fresh monitor
 * entry, a pending-key wait), the one whose operation is youngest (each registration carries the
 * age of the operation it serves; a monitor victim's retry keeps its first attempt's age), the
 * first along the cycle from the closer on a tie. So the oldest operation on a cycle is never
 * refused: an operation that loses grows older than every newcomer until it wins (wait-die's
 * rule, as database lock managers use it), and the oldest outstanding operation always
 * completes. Often the youngest is the closer itself (it started waiting last), which leaves at
 * once with no hand-off; a victim never got what it wanted, so that state is untouched. Re-entries after
 * {@code await}/{@code leave} and branch joins are not abortable; the monitor layer and the branch
 * layer each argue why a cycle of theirs always contains an abortable wait (see
 * {@code MonitorLock} and {@code Branch}); if none is found anyway, the cycle is logged as an error
 * and left alone, never broken wrongly.
 *
 * <p><b>Delay.</b> With {@code safethread.deadlock.delay} &gt; 0 a waiter parks that long before
 * walking (python-safethread waited 1 s); the default 0 detects at once.
 *
 * <p><b>Light registrations: waits that cannot close a cycle.</b> A cycle through a thread needs
 * an edge into it: some waitable must report it as a blocker. A monitor reports only its holder;
 * a join, its live children; a pending map key, the thread computing it. So a thread that holds
 * no monitor and is in no <em>blocker role</em> ({@link #enterBlockerRole}: running a branch
 * child's task, computing a map key; each such waitable's layer keeps its threads in the role for
 * as long as its {@code blockers} may report them) is a blocker of nothing, and no cycle can pass
 * through its wait. The monitor layer lets such a thread (a fresh outermost entry) register
 * <em>lightly</em> ({@link #registerLight}): without {@code LOCK}, by writing its node's fields and
 * then publishing {@code waitingFor} (volatile), and without walking. It leaves the same way
 * ({@link #leaveLight}). This takes the global lock off the most common contended entry: at two
 * threads on one monitor, every contended entry took {@code LOCK} twice.
 * <ul>
 *   <li><i>Still seen by walkers.</i> A walk can still reach a light node through a waitable
 *       whose blocker is outside its role (a launched branch child whose thread has not reached
 *       its task yet: see {@code Branch}; such joins re-walk while a launch is pending), and the
 *       hang watchdog's {@link #abortWait} and {@link #waitingFor} see light waits too.</li>
 *   <li><i>No false positive through a light node.</i> A walk follows a light node {@code b} only
 *       after reading its {@code waitingFor} (volatile) as monitor {@code M}, and continues only if
 *       {@code M}'s holder {@code X} is registered (fully: a holder has monitors). {@code X} has held
 *       {@code M} since before it registered, and cannot release it while registered; {@code b}
 *       clears {@code waitingFor} right after it acquires {@code M} and before it runs anything
 *       else. Had {@code b} acquired {@code M} in this wait before the walk's read, it would hold
 *       {@code M} still (it releases only after the clear, which comes after the read), so
 *       {@code X} could not hold it; so {@code b} is really blocked by {@code X}, and stays
 *       blocked for the walk, like a full registration. Its plain fields (age, abortability) are
 *       published by the volatile write the walk read.</li>
 *   <li><i>No edge into a light node from a monitor.</i> A monitor's holder is read racily; the
 *       argument above ("a blocker read racily is exact enough") needs the holder's writes to
 *       happen-before the walk, which a registration under {@code LOCK} gives and a light one
 *       does not: a walk could read a monitor's owner field as a thread that has since released
 *       it and now waits lightly elsewhere, and report a false cycle (seen: 2 false verdicts in a
 *       million contended entries in a fixed lock order before this rule). A lightly waiting thread
 *       holds no monitor, so a monitor that reads such a thread as its holder reports no
 *       holder: a walk does not follow an edge from a waitable whose blockers are holders
 *       ({@link Waitable#blockersHold}) into a thread that it finds, when it reaches it, waiting
 *       lightly (its wait read first, volatile, then its kind). A thread found registered fully
 *       registered before the walk took {@code LOCK}, so its writes to owner fields happen-before
 *       the walk, which therefore did not read it stale; the real holder, if registered, likewise
 *       made its owner write before it registered, so no older owner than it was read.</li>
 *   <li><i>Verdicts for light nodes.</i> A light waiter may leave without {@code LOCK}, so a
 *       verdict could land on a wait that just ended. Each wait has a number ({@code seq}, bumped by
 *       every registration before it publishes {@code waitingFor}); a verdict carries the number of
 *       the wait it refuses, and a verdict for another wait is ignored and cleared. The setter
 *       (under {@code LOCK}) writes {@code verdict}, then re-reads {@code waitingFor}; the light
 *       leaver writes {@code waitingFor = null}, then reads {@code verdict} (both volatile: Dekker's
 *       pattern; {@link #giveVerdict} pairs with {@link #leaveLight}). Either the setter sees the
 *       wait gone and takes its verdict back (the watchdog's {@code abortWait} then reports that it
 *       broke nothing), or the leaver sees the verdict and clears it under {@code LOCK} before it
 *       goes on (it got what it waited for, which wins over a verdict, as for a full
 *       registration).</li>
 * </ul>
 */
public final class WaitForGraph {
    private static final Logger LOG = LoggerFactory.getLogger(LoggerNames.DEADLOCK);

    /** The graph lock: taken only by threads about to park, waking, or leaving a wait. */
    private static final ReentrantLock LOCK = new ReentrantLock();

    /** Each thread's node, made on its first wait. */
    private static final ThreadState.Slot<Node> NODE = ThreadState.newSlot(Node::new);

    private WaitForGraph() {
    }

    /** A thread's node: what it waits for now. */
    private static final class Node {
        final ThreadState ts;
        /**
         * What the thread waits for, or null. Written under LOCK by a full registration, and by
         * the thread alone, without LOCK, by a light one (see the notes); volatile, so that a light
         * registration publishes the plain fields below with it.
         */
        volatile Waitable waitingFor;
        /**
         * The number of the current (or last) wait: bumped by each registration before it
         * publishes {@code waitingFor}; a verdict refuses only the wait whose number it carries.
         * Written by the node's thread only.
         */
        long seq;
        /** Whether the current wait is a light registration. Written before {@code waitingFor}. */
        boolean light;
        /** Whether the current wait may be chosen as a victim. Written before {@code waitingFor}. */
        boolean abortable;
        /** The age of the operation waiting ({@code System.nanoTime()} when it began). Written before {@code waitingFor}. */
        long age;
        /** When this wait was registered ({@code System.nanoTime()}). Written before {@code waitingFor}. */
        long since;
        /**
         * Set (under LOCK) by a detector that chose this thread as victim; volatile so that the
         * parked thread may check it without the lock. Pairs with {@code waitingFor} in
         * {@link #giveVerdict} and {@link #leaveLight}.
         */
        volatile Verdict verdict;
        /** Blocker roles the thread is in ({@link #enterBlockerRole}). The node's thread only. */
        int roles;

        Node(ThreadState ts) {
            this.ts = ts;
        }
    }

    /** One hop of a cycle: {@code thread} waits for {@code target}, blocked by {@code blocker}. */
    private record Hop(ThreadState thread, Waitable target, ThreadState blocker) {
    }

    /** The data a victim turns into its {@link DeadlockException}; {@code seq}: the wait it refuses. */
    private record Verdict(String message, List<DeadlockException.Link> cycle, String victim, long closedAt,
            long seq) {
    }

    // ------------------------------------------------------------------ lock

    /** Takes the graph lock (a waitable's own queue may be guarded by it, as a monitor's is). */
    public static void lock() {
        LOCK.lock();
    }

    /** Releases the graph lock. */
    public static void unlock() {
        LOCK.unlock();
    }

    // ------------------------------------------------------------------ registration (LOCK held)

    /**
     * Registers {@code ts} as waiting for {@code target}. Caller holds the graph lock and is
     * {@code ts}'s own thread.
     *
     * @param abortable whether this wait may be chosen as a deadlock victim
     */
    public static void register(ThreadState ts, Waitable target, boolean abortable) {
        register(ts, target, abortable, System.nanoTime());
    }

    /**
     * Registers {@code ts} as waiting for {@code target} on behalf of an operation that began at
     * {@code age} ({@code System.nanoTime()} units; a retry keeps its first attempt's age). Caller
     * holds the graph lock and is {@code ts}'s own thread.
     *
     * @param abortable whether this wait may be chosen as a deadlock victim
     */
    public static void register(ThreadState ts, Waitable target, boolean abortable, long age) {
        assert LOCK.isHeldByCurrentThread();
        Node n = ts.get(NODE);
        n.seq++;
        n.light = false;
        n.abortable = abortable;
        n.age = age;
        n.since = System.nanoTime();
        n.verdict = null;
        n.waitingFor = target; // last: publishes the fields above (as a light registration does)
    }

    /**
     * Registers {@code ts} lightly, without the graph lock, as waiting for {@code target} (a
     * monitor entry) on behalf of an operation that began at {@code age}: the wait is visible to
     * walkers, {@link #abortWait} and {@link #waitingFor}, and abortable, but the caller does not
     * walk. Only for a wait that cannot close a cycle: the caller holds no monitor and is in no
     * blocker role (see the class notes). Caller is {@code ts}'s own thread, and leaves with
     * {@link #leaveLight} (or, given a verdict, {@link #takeVerdict} under the graph lock).
     */
    public static void registerLight(ThreadState ts, Waitable target, long age) {
        Node n = ts.get(NODE);
        assert n.roles == 0 : "a thread in a blocker role must register fully";
        n.seq++;
        n.light = true;
        n.abortable = true;
        n.age = age;
        n.since = System.nanoTime();
        n.waitingFor = target; // volatile, last: publishes the fields above to walkers under LOCK
    }

    /**
     * Ends {@code ts}'s light wait (it got what it waited for), without the graph lock. Caller is
     * {@code ts}'s own thread.
     *
     * @return true if a verdict has reached this node: the caller must then take the graph lock and
     *     {@link #deregister} before it goes on (the wait ended anyway: getting what it waited for
     *     wins over a verdict)
     */
    public static boolean leaveLight(ThreadState ts) {
        Node n = ts.peek(NODE);
        n.waitingFor = null; // volatile write, then the volatile read below; pairs with giveVerdict
        return n.verdict != null;
    }

    /** Unregisters {@code ts} (idempotent). Caller holds the graph lock. */
    public static void deregister(ThreadState ts) {
        assert LOCK.isHeldByCurrentThread();
        Node n = ts.peek(NODE);
        if (n != null) {
            n.waitingFor = null;
            n.verdict = null;
        }
    }

    /**
     * If {@code ts}'s current wait was chosen as a victim, unregisters it and returns its
     * exception; a verdict for an earlier wait (one that ended before the verdict reached it) is
     * cleared and ignored. Caller holds the graph lock and is {@code ts}'s own thread.
     *
     * @return the exception to throw, or null if no verdict was given to this wait
     */
    public static DeadlockException takeVerdict(ThreadState ts) {
        assert LOCK.isHeldByCurrentThread();
        Node n = ts.peek(NODE);
        Verdict v = n == null ? null : n.verdict;
        if (v == null) {
            return null;
        }
        if (n.waitingFor == null || v.seq != n.seq) {
            n.verdict = null; // for a wait that is over
            return null;
        }
        deregister(ts);
        return victimException(v);
    }

    /** @return whether a verdict may await {@code ts} (a volatile read; no lock needed; {@link #takeVerdict} decides) */
    public static boolean hasVerdict(ThreadState ts) {
        Node n = ts.peek(NODE);
        return n != null && n.verdict != null;
    }

    /** @return whether {@code n}'s current wait has a verdict: it is leaving as a victim. Graph lock held. */
    private static boolean refused(Node n) {
        Verdict v = n.verdict;
        return v != null && v.seq == n.seq;
    }

    /**
     * Gives {@code n}'s current wait (number {@code v.seq}) the verdict {@code v} and wakes its
     * thread. Graph lock held. A light waiter may have left meanwhile: the verdict is written
     * first, then {@code waitingFor} re-read (pairs with {@link #leaveLight}); if the wait is over,
     * the verdict is taken back.
     *
     * @return false if the wait was over (nothing given)
     */
    private static boolean giveVerdict(Node n, Verdict v) {
        n.verdict = v;
        if (n.waitingFor == null || n.seq != v.seq) {
            n.verdict = null; // the leaver, if it saw v, clears again under LOCK: harmless
            return false;
        }
        LockSupport.unpark(n.ts.thread);
        return true;
    }

    // ------------------------------------------------------------------ blocker roles (own thread)

    /**
     * Puts the calling thread, whose state is {@code ts}, in a blocker role: until the matching
     * {@link #exitBlockerRole}, a waitable other than a monitor it holds may report it as a blocker
     * (it runs a branch child's task, or computes a map key others may wait for), so each of its
     * monitor waits registers fully and walks (see the class notes). Roles nest. Must be entered
     * before any other thread can see the role (before the key is published, before the task
     * runs).
     */
    public static void enterBlockerRole(ThreadState ts) {
        ts.get(NODE).roles++;
    }

    /**
     * Leaves a blocker role entered with {@link #enterBlockerRole} (calling thread only).
     *
     * @throws IllegalStateException if the thread is in no role (an unmatched exit: a bug in the caller)
     */
    public static void exitBlockerRole(ThreadState ts) {
        Node n = ts.get(NODE);
        if (n.roles <= 0) {
            throw new IllegalStateException("WaitForGraph.exitBlockerRole: " + label(ts.thread)
                    + " is in no blocker role; each exit must match an enterBlockerRole on the same thread");
        }
        n.roles--;
    }

    /** @return whether the calling thread, whose state is {@code ts}, is in a blocker role (its own thread only) */
    public static boolean inBlockerRole(ThreadState ts) {
        Node n = ts.peek(NODE);
        return n != null && n.roles > 0;
    }

    // ------------------------------------------------------------------ detection (LOCK held)

    /**
     * Walks the graph from {@code start}'s wait and breaks a cycle if it finds one. Caller holds
     * the graph lock, is {@code start}'s thread, and has registered it.
     *
     * @return true if the re-try before declaring ended the wait (no deadlock; {@code start} is
     *     unregistered); false otherwise ({@code start} still waits: no cycle, or another thread
     *     was chosen as victim)
     * @throws DeadlockException if {@code start} is the victim ({@code start} is unregistered)
     */
    public static boolean detect(ThreadState start) {
        assert LOCK.isHeldByCurrentThread();
        Node sn = start.peek(NODE);
        if (sn == null || sn.waitingFor == null) {
            return false;
        }
        for (;;) {
            List<Hop> cycle = findCycle(start, sn);
            if (cycle == null) {
                return false;
            }
            int outcome = breakCycle(start, sn, cycle);
            if (outcome == RETRY_WON) {
                return true;
            }
            if (outcome == LEFT_ALONE) {
                return false; // none of its waits may be refused (logged), or a delayed wait will
            }
            // A wait with many edges (a branch join) may close several cycles at once: the walk
            // goes on past the chosen victim (findCycle skips threads with a verdict) until no
            // cycle through start is left. (VANISHED: a light wait on the cycle ended meanwhile,
            // which the class notes show cannot happen on a real cycle; walk again all the same.)
        }
    }

    /** {@link #breakCycle}: the closer's last re-try got what it waited for. */
    private static final int RETRY_WON = 0;
    /** {@link #breakCycle}: a victim other than the closer was given its verdict. */
    private static final int VICTIM_CHOSEN = 1;
    /** {@link #breakCycle}: no wait was refused (none abortable, or one whose delay is not over). */
    private static final int LEFT_ALONE = 2;
    /** {@link #breakCycle}: the chosen victim's light wait had ended; nothing given. */
    private static final int VANISHED = 3;

    /** A depth-first walk from {@code start}; returns the hops of a cycle back to it, or null. */
    private static List<Hop> findCycle(ThreadState start, Node sn) {
        List<ThreadState> stack = new ArrayList<>();
        List<Waitable> waits = new ArrayList<>();
        List<List<ThreadState>> edges = new ArrayList<>();
        List<Integer> next = new ArrayList<>();
        Map<ThreadState, Boolean> visited = new IdentityHashMap<>();
        visited.put(start, Boolean.TRUE);
        stack.add(start);
        waits.add(sn.waitingFor);
        edges.add(blockersOf(start, sn.waitingFor));
        next.add(0);
        while (!stack.isEmpty()) {
            int top = stack.size() - 1;
            List<ThreadState> out = edges.get(top);
            int i = next.get(top);
            if (i == out.size()) {
                stack.remove(top);
                waits.remove(top);
                edges.remove(top);
                next.remove(top);
                continue;
            }
            next.set(top, i + 1);
            ThreadState b = out.get(i);
            if (b == start) {
                List<Hop> hops = new ArrayList<>(stack.size());
                for (int k = 0; k < stack.size(); k++) {
                    ThreadState t = stack.get(k);
                    ThreadState blocker = k + 1 < stack.size() ? stack.get(k + 1) : start;
                    hops.add(new Hop(t, t.peek(NODE).waitingFor, blocker));
                }
                return hops;
            }
            Node bn = b.peek(NODE);
            Waitable bw = bn == null ? null : bn.waitingFor; // volatile: first, then its kind and edges
            if (bw != null && bn.light && waits.get(top).blockersHold()) {
                continue; // a holder read stale: a light waiter holds nothing (class notes); not visited
            }
            if (visited.put(b, Boolean.TRUE) != null) {
                continue;
            }
            if (bw == null || refused(bn)) {
                continue; // b runs, or is already leaving as a victim
            }
            stack.add(b);
            waits.add(bw);
            edges.add(blockersOf(b, bw));
            next.add(0);
        }
        return null;
    }

    private static List<ThreadState> blockersOf(ThreadState t, Waitable w) {
        List<ThreadState> out = new ArrayList<>(2);
        w.blockers(t, out);
        return out;
    }

    /** @return {@link #RETRY_WON}, {@link #VICTIM_CHOSEN}, {@link #LEFT_ALONE} or {@link #VANISHED} */
    private static int breakCycle(ThreadState start, Node sn, List<Hop> path) {
        if (sn.waitingFor.retry(start)) {
            deregister(start);
            return RETRY_WON;
        }
        int v = -1;
        long youngest = Long.MIN_VALUE;
        long delay = Settings.deadlockDelayNanos();
        long now = System.nanoTime();
        boolean pendingDelay = false;
        for (int i = 0; i < path.size(); i++) {
            Node n = path.get(i).thread.peek(NODE);
            // With a detection delay, only a wait that has lasted the delay may be refused (the
            // detector's has: it walks only once its delay is over).
            boolean waitedEnough = i == 0 || delay == 0 || now - n.since >= delay;
            if (n.abortable && !waitedEnough) {
                pendingDelay = true;
            } else if (n.abortable && (v < 0 || n.age - youngest > 0)) {
                v = i;
                youngest = n.age;
            }
        }
        if (v < 0 && pendingDelay) {
            return LEFT_ALONE; // that wait's own walk, when its delay is over, breaks the cycle
        }
        if (v < 0) {
            LOG.error("safethread: a deadlock none of whose waits may be refused (re-entries after await/leave, "
                    + "branch joins); this should be impossible and is left alone: {}", describe(path, 0));
            return LEFT_ALONE;
        }
        ThreadState victim = path.get(v).thread;
        Node vn = victim.peek(NODE);
        Verdict verdict = new Verdict(describe(path, v), links(path, v), label(victim.thread), System.nanoTime(),
                vn.seq);
        if (victim == start) {
            countBroken(verdict);
            deregister(start);
            throw victimException(verdict);
        }
        if (!giveVerdict(vn, verdict)) {
            return VANISHED;
        }
        countBroken(verdict);
        return VICTIM_CHOSEN;
    }

    private static void countBroken(Verdict verdict) {
        Counters.DEADLOCKS_BROKEN.increment();
        if (LOG.isDebugEnabled()) {
            LOG.debug("safethread: {}", verdict.message);
        }
    }

    // ------------------------------------------------------------------ a whole wait

    /**
     * Blocks the calling thread, as a node of the wait-for graph waiting on {@code target}, until
     * {@code done} is true. {@code done} is evaluated after registration and after every wake-up;
     * whoever makes it true must {@link LockSupport#unpark} the waiting thread. A cycle is looked
     * for when the wait starts (after the configured delay). The thread is detached (its counts
     * published, see {@link ThreadState#detach()}) while it is parked.
     *
     * @param target what the thread waits for
     * @param abortable whether this wait may be chosen as the victim of a deadlock
     * @param done whether the wait is over; must not block or call user code
     * @param onInterrupt called on the waiting thread each time the wait sees it interrupted (the
     *     wait goes on); may be null. The interrupt status is restored before this method returns
     *     or throws
     * @throws DeadlockException if this wait was chosen as the victim (only when abortable); the
     *     thread is no longer registered then
     */
    public static void await(Waitable target, boolean abortable, BooleanSupplier done, Runnable onInterrupt) {
        await(target, abortable, done, onInterrupt, null);
    }

    /**
     * As {@link #await(Waitable, boolean, BooleanSupplier, Runnable)}, for a wait whose
     * {@code done} can also become true without anyone to unpark the thread (a branch join
     * waiting for a thread that may end without running its task): before each park
     * {@code recheckNanos} says how long the thread may stay parked before {@code done} is
     * evaluated again.
     *
     * @param recheckNanos evaluated on the waiting thread before each park, without the graph
     *     lock; must not block or call user code. A positive value parks at most that many
     *     nanoseconds, and the wait walks the graph again after that park (a blocker outside its
     *     blocker role, e.g. a branch child's thread that has not reached its task, registers its
     *     monitor waits lightly and does not walk itself); zero or less (or a null supplier)
     *     parks until unparked
     */
    public static void await(Waitable target, boolean abortable, BooleanSupplier done, Runnable onInterrupt,
            LongSupplier recheckNanos) {
        ThreadState ts = ThreadState.current();
        if (done.getAsBoolean()) {
            return;
        }
        long delay = Settings.deadlockDelayNanos();
        boolean checked = delay == 0;
        LOCK.lock();
        try {
            register(ts, target, abortable);
            if (done.getAsBoolean()) {
                deregister(ts);
                return;
            }
            if (checked && detect(ts)) {
                return;
            }
        } finally {
            LOCK.unlock();
        }
        long start = System.nanoTime();
        boolean interrupted = false;
        ts.detach();
        try {
            for (;;) {
                boolean rewalk = false;
                if (!done.getAsBoolean() && !hasVerdict(ts)) {
                    long recheck = recheckNanos == null ? 0 : recheckNanos.getAsLong();
                    // A wait that re-checks may depend on a thread that can block without a full
                    // registration (a launched branch child not yet in its task: its monitor waits
                    // are light and do not walk), so each re-check also walks again.
                    rewalk = recheck > 0;
                    if (!checked) {
                        long toDetect = Math.max(1, start + delay - System.nanoTime());
                        Parking.parkNanos(ts, target, recheck > 0 ? Math.min(recheck, toDetect) : toDetect);
                    } else if (recheck > 0) {
                        Parking.parkNanos(ts, target, recheck);
                    } else {
                        Parking.park(ts, target); // a pool worker's join or key wait lets its pool compensate
                    }
                    if (Thread.interrupted()) {
                        interrupted = true; // else park would return at once, and we would spin
                        if (onInterrupt != null) {
                            onInterrupt.run();
                        }
                    }
                }
                LOCK.lock();
                try {
                    if (done.getAsBoolean()) {
                        deregister(ts);
                        return;
                    }
                    DeadlockException e = takeVerdict(ts);
                    if (e != null) {
                        throw e;
                    }
                    if (!checked && System.nanoTime() - start >= delay) {
                        checked = true;
                        if (detect(ts)) {
                            return;
                        }
                    } else if (checked && rewalk && detect(ts)) {
                        return;
                    }
                } finally {
                    LOCK.unlock();
                }
            }
        } finally {
            ts.attach();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ test and tool hooks

    /**
     * Breaks {@code ts}'s current wait as if the detector had chosen it as a victim: it leaves its
     * wait throwing a {@link DeadlockException} with {@code message}. For watchdogs of test
     * harnesses that must turn a hang into a failure; the runtime never calls it.
     *
     * @return false if {@code ts} is not waiting now, or is already leaving as a victim
     */
    public static boolean abortWait(ThreadState ts, String message) {
        LOCK.lock();
        try {
            Node n = ts.peek(NODE);
            if (n == null || n.waitingFor == null || refused(n)) {
                return false;
            }
            return giveVerdict(n, new Verdict(message, List.of(), label(ts.thread), System.nanoTime(), n.seq));
        } finally {
            LOCK.unlock();
        }
    }

    /** @return the name of what {@code ts} waits for now, or null (a racy read, for diagnostics) */
    public static String waitingFor(ThreadState ts) {
        Node n = ts.peek(NODE);
        Waitable w = n == null ? null : n.waitingFor;
        return w == null ? null : w.waitableName();
    }

    // ------------------------------------------------------------------ messages

    private static DeadlockException victimException(Verdict verdict) {
        long latency = System.nanoTime() - verdict.closedAt;
        DeadlockBrokenEvent event = new DeadlockBrokenEvent();
        if (event.isEnabled()) {
            event.cycle = verdict.message;
            event.victim = verdict.victim;
            event.threads = verdict.cycle.size();
            event.detectionLatency = latency;
            event.commit();
        }
        return new DeadlockException(verdict.message, verdict.cycle);
    }

    /** @return a thread's name, or {@code #id} for an unnamed (e.g. virtual) thread */
    public static String label(Thread t) {
        String n = t.getName();
        return n.isEmpty() ? "#" + threadId(t) : n;
    }

    /**
     * "Deadlock between 2 threads: bank-1 holds Account#3 and waits for Account#7, held by
     * bank-2, which waits for Account#3, held by bank-1. Victim: bank-1 (…)".
     */
    private static String describe(List<Hop> path, int victim) {
        int n = path.size();
        StringBuilder b = new StringBuilder("Deadlock between ").append(n).append(n == 1 ? " thread: " : " threads: ");
        Hop first = path.get(victim);
        Hop before = path.get((victim + n - 1) % n);
        b.append(label(first.thread.thread)).append(' ').append(before.target.blockerRole())
                .append(" and waits for ").append(first.target.waitableName());
        for (int k = 1; k < n; k++) {
            Hop h = path.get((victim + k) % n);
            Hop prev = path.get((victim + k - 1) % n);
            b.append(", ").append(prev.target.blockerPhrase()).append(' ').append(label(h.thread.thread))
                    .append(", which waits for ").append(h.target.waitableName());
        }
        b.append(", ").append(path.get((victim + n - 1) % n).target.blockerPhrase()).append(' ')
                .append(label(first.thread.thread)).append(". Victim: ").append(label(first.thread.thread))
                .append(" (").append(first.target.refusalNote()).append(')');
        return b.toString();
    }

    private static List<DeadlockException.Link> links(List<Hop> path, int victim) {
        int n = path.size();
        List<DeadlockException.Link> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            Hop h = path.get((victim + k) % n);
            Hop before = path.get((victim + k + n - 1) % n);
            out.add(new DeadlockException.Link(h.thread.thread.getName(), threadId(h.thread.thread),
                    before.target.waitableName(), h.target.waitableName()));
        }
        return out;
    }

    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; getId() is the same value
    private static long threadId(Thread t) {
        return t.getId();
    }
}
