package org.safethread.internal.runtime;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * The runtime's view of one thread (platform or virtual): its attach state, the requests other
 * threads have made of it, and one typed slot per subsystem above ({@link #newSlot}: the wait-for
 * graph's node, the monitor layer's stack), so that the runtime names nothing above it; the count
 * engine's slot, read on its every non-owner operation, is a field of its own typed by the
 * runtime's {@link ThreadWork} (merge queue, cells, candidates), through which the runtime drives
 * it without naming it.
 *
 * <h2>Implementation notes: the attach protocol</h2>
 *
 * <p>An owner thread counts references to its own objects with plain writes (see
 * {@code RefCounts}). Another thread may read those counts only with a happens-before edge from
 * the owner's last write. This class provides the edges, following free-threaded CPython's
 * detach/attach protocol:
 *
 * <pre>
 *            detach() (owner, before parking inside the runtime)
 *   ATTACHED ------------------------------------------------&gt; DETACHED
 *      ^  &lt;------------------------------------------------       |   ^
 *      |   attach() (owner, after waking; waits while HELD)        |   | release()
 *      |                                                tryHold()  v   |
 *      |                                                          HELD (+WAITING)
 *      | thread ends; tryHold() sees !isAlive()
 *      +-----------------------------&gt; HELD_TERMINATED &lt;--&gt; TERMINATED
 * </pre>
 *
 * <ul>
 *   <li><b>Invariant:</b> a thread touches its plain counts only while ATTACHED. While DETACHED
 *       it is parked inside the runtime (monitor entry, {@code Monitor.await},
 *       {@code DeathQueue.take}, a safe point) and touches nothing.</li>
 *   <li><b>Ordering:</b> {@code detach()} is a volatile write after the owner's last plain write;
 *       {@code tryHold()} is a CAS that reads it, so the holder sees every count the owner wrote
 *       (JLS 17.4.4, synchronizes-with). {@code release()} is a volatile write after the holder's
 *       last write (merges may have changed the owner's counts) and {@code attach()} is a CAS
 *       that reads it, so the owner sees the holder's writes.</li>
 *   <li><b>Exclusion:</b> HELD has one holder (the CAS), and the owner cannot re-attach until the
 *       holder releases; an owner that tries sets WAITING and parks, and {@code release()}
 *       unparks it.</li>
 *   <li><b>Terminated owners:</b> {@code Thread.isAlive()} returning false gives the
 *       happens-before edge from the thread's last action; the dead thread never CASes again, so
 *       HELD_TERMINATED/TERMINATED are exclusive the same way.</li>
 *   <li><b>Requests:</b> other threads set bits in {@code requests} with atomic OR (and clear
 *       the fast-path key, below); the owner notices at its next runtime call, through the key's
 *       one opaque load (the "cheap read on the fast path"), and acts in {@link #poll()}. A queued merge is never missed: the requester's
 *       push-then-read-state and the owner's write-state-then-read-queue are both volatile
 *       (sequentially consistent), so either the requester sees DETACHED and helps, or the owner
 *       sees the queued work (a Dekker pair, made safe by volatile accesses on both sides).</li>
 *   <li><b>The fast-path key:</b> the owner's fast paths ({@code RefCounted.incref}/{@code decref}
 *       on its own objects, a monitor entry) must notice a pending request. Instead of reading
 *       {@code requests} beside the owner check, they compare one field, {@code fastPathThread},
 *       with the calling thread: it is the thread while no request may be pending and null
 *       otherwise. So "is this my object, and is nothing asked of me?" is one opaque load and
 *       one compare (the owner pair went from 1.08 to 0.99 ns, docs/performance.md, "Issue 11,
 *       session 6"). States: the key is {@code thread} or null, nothing else.
 *       <ul>
 *         <li>{@link #request} sets the bits, then clears the key (both volatile).</li>
 *         <li>The owner restores the key only at the end of {@link #poll()}, with nothing left to
 *             do: it writes the key, then reads {@code requests} again (both volatile) and clears
 *             the key if a bit came meanwhile ({@link #restoreFastPath}).</li>
 *         <li>Invariant (liveness): a request is never hidden behind a restored key. The
 *             requester's write-bits-then-clear-key and the owner's write-key-then-read-bits
 *             are a Dekker pair: in the synchronization order either the owner's read sees the
 *             bits (and clears the key), or the requester's clear comes after the owner's write
 *             (and the key ends null). jcstress {@code FastPathKeyTest}.</li>
 *         <li>Soundness does not rest on the key: the owner acting on a request late by a few
 *             fast-path operations is what the opaque read of {@code requests} allowed before
 *             (a request asks; the asker waits for the owner's answer or for DETACHED). The
 *             opaque read gives what the fast path needs, that a cleared key is seen
 *             eventually.</li>
 *         <li>A key cleared while nothing is pending (the collector clearing its own bit after
 *             a handshake the owner did not answer, or a requester's clear landing after the
 *             owner's poll already answered its bit; a helper that merges for a held owner
 *             leaves {@code REQ_MERGE} set, the owner's next poll finds the queue empty) sends
 *             the owner's next runtime call to {@link #pollIfRequested()}, which polls and
 *             restores it.</li>
 *         <li>A poll that throws restores the key in its {@code finally} the same way,
 *             re-reading the bits: a request still pending keeps the key cleared. (A death
 *             refused during the poll's merges is not thrown: the count engine's hook keeps it,
 *             logged and counted, so that the unrelated call that polled does its work;
 *             {@code MergeRefusalTest}.)</li>
 *       </ul></li>
 * </ul>
 */
public final class ThreadState {

    /** Running user code; may touch its plain counts at any moment. */
    public static final int ATTACHED = 0;
    /** Parked inside the runtime; its counts are published and stable. */
    public static final int DETACHED = 1;
    /** Detached and held by a helper or the collector, which may read and write its counts. */
    public static final int HELD = 2;
    /** The thread has ended and its final state has been observed through isAlive(). */
    public static final int TERMINATED = 3;
    /** Ended and held by a helper or the collector. */
    public static final int HELD_TERMINATED = 4;
    /** Flag on HELD: the owner wants to re-attach and is parked until release(). */
    private static final int WAITING = 8;
    private static final int STATE_MASK = 7;

    /** Request: the merge queue has objects to merge. */
    public static final int REQ_MERGE = 1;
    /** Request: the collector asks this thread to stop at a safe point. */
    public static final int REQ_SAFEPOINT = 2;
    /** Request (set by the owner itself): owner-side work is pending (cores to capture, candidates to flush). */
    public static final int REQ_WORK = 4;

    private static final VarHandle STATE;
    private static final VarHandle REQUESTS;
    private static final VarHandle FAST_PATH_THREAD;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(ThreadState.class, "state", int.class);
            REQUESTS = l.findVarHandle(ThreadState.class, "requests", int.class);
            FAST_PATH_THREAD = l.findVarHandle(ThreadState.class, "fastPathThread", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final ThreadLocal<ThreadState> CURRENT = ThreadLocal.withInitial(ThreadState::create);

    /** The thread this state belongs to. */
    public final Thread thread;

    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;
    @SuppressWarnings("unused") // accessed through REQUESTS
    private volatile int requests;
    /**
     * The fast-path key: {@link #thread} while no request may be pending, null otherwise (see the
     * class comment). Cleared by {@link #request}, restored by the owner at the end of {@link #poll()}.
     */
    @SuppressWarnings("unused") // accessed through FAST_PATH_THREAD
    private volatile Thread fastPathThread;

    /** Whether this is one of the runtime's own threads (housekeeper, collector, finalizer). */
    private volatile boolean runtimeThread;
    /** Set once this thread has created a RefCounted: only such threads take part in handshakes. */
    private volatile boolean ownsObjects;
    /** Re-entrancy guard for {@link #poll()} (owner only). */
    private boolean inPoll;
    /** Bumped at each safe point this thread passes (owner writes, collector reads opaquely). */
    private volatile long safePoints;

    // ---- collector bookkeeping: written and read only by the collector, under its run lock ----
    /** Epoch of the collection that holds this thread (its counts are readable then). */
    public int collectorEpoch = -1;
    /** Safe points this thread had passed when the last collection missed it. */
    public long collectorSeenSafePoints = -1;
    /** Whether the last collection could not stop this thread in time. */
    public boolean collectorMissedLast;

    /**
     * Set by this thread, while waiting to enter a monitor, just before it parks ("wake me");
     * cleared by the one releaser that wins the CAS and unparks it. So a waiter that was already
     * woken is not woken again by every release (AQS's SIGNAL status, for our entry queue).
     */
    private volatile boolean entryWakeWanted;
    private static final VarHandle ENTRY_WAKE;

    static {
        try {
            ENTRY_WAKE = MethodHandles.lookup().findVarHandle(ThreadState.class, "entryWakeWanted", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Arms the entry wake-up (this thread, before parking in a monitor entry). */
    public void wantEntryWake(boolean want) {
        entryWakeWanted = want;
    }

    /** @return true for exactly one caller per arming: that caller must unpark this thread */
    public boolean claimEntryWake() {
        return entryWakeWanted && ENTRY_WAKE.compareAndSet(this, true, false);
    }

    // ---- per-subsystem slots ----

    /**
     * A typed per-thread slot that one subsystem keeps in every thread's state (the wait-for
     * graph's node, for example), so that this class, the ground floor, needs no field typed by a
     * higher layer. Create one per subsystem, in a {@code static final} field.
     *
     * @param <T> the slot's value type
     */
    public static final class Slot<T> {
        private final int index;
        private final Function<ThreadState, T> factory;

        private Slot(int index, Function<ThreadState, T> factory) {
            this.index = index;
            this.factory = factory;
        }
    }

    /**
     * A slot value that something outside the thread's state still points at (a by-thread table
     * of its subsystem, for example), and that must let go of it when the thread is gone: the
     * registry calls {@link #forgotten()} when it forgets the state of a thread that has ended.
     */
    public interface Forgettable {
        /**
         * The registry has forgotten this value's thread, which has ended. Called once, on the
         * pruning thread (the housekeeper, or a thread registering itself), after that thread saw
         * {@code isAlive()} false, so every write the ended thread made happens-before it
         * (JLS 17.4.4). Must not block or throw.
         */
        void forgotten();
    }

    /** Most slots: one per subsystem that keeps per-thread state (the wait-for graph and the monitor stack today; the count engine has its own field, see {@link #work()}). */
    private static final int MAX_SLOTS = 8;
    private static final AtomicInteger SLOT_COUNT = new AtomicInteger();

    /**
     * Per-subsystem values, created by the owner thread on first use. Other threads read them only
     * after a happens-before edge from the owner's use (a subsystem's own lock, for example), so
     * plain array accesses are enough.
     */
    private final Object[] slots = new Object[MAX_SLOTS];

    /**
     * Makes a thread's {@link ThreadWork} (the count engine's, declared once by {@link #declareWork});
     * null until declared.
     */
    private static volatile Function<ThreadState, ? extends ThreadWork> workFactory;
    /** Guards {@link #declareWork} (a private lock: the class's own would be anyone's). */
    private static final Object WORK_DECLARATION = new Object();
    private static final VarHandle WORK;

    static {
        try {
            WORK = MethodHandles.lookup().findVarHandle(ThreadState.class, "work", ThreadWork.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The count engine's slot: its per-thread work, typed by the runtime's interface. A field of
     * its own rather than an entry of {@link #slots}, because the count engine's non-owner paths
     * read it on every operation: one load (acquire: a plain load on x86) and the caller's cast to
     * its final class. Made on first use and published by a CAS (release), like the slots.
     */
    @SuppressWarnings("unused") // through WORK
    private ThreadWork work;

    /**
     * Declares a new per-thread slot.
     *
     * @param factory makes a thread's value on its first {@link #get(Slot)}
     * @throws IllegalStateException if more than {@value #MAX_SLOTS} slots are declared
     */
    public static <T> Slot<T> newSlot(Function<ThreadState, T> factory) {
        int i = SLOT_COUNT.getAndIncrement();
        if (i >= MAX_SLOTS) {
            throw new IllegalStateException("safethread internal error: more than " + MAX_SLOTS + " thread-state slots");
        }
        return new Slot<>(i, factory);
    }

    /**
     * Declares how a thread's per-thread work is made: the work the runtime drives at safe points,
     * when the thread parks and after it ends (the count engine, once, from its class initializer).
     *
     * @throws IllegalStateException if it is already declared
     */
    public static void declareWork(Function<ThreadState, ? extends ThreadWork> factory) {
        synchronized (WORK_DECLARATION) {
            if (workFactory != null) {
                throw new IllegalStateException("safethread internal error: per-thread work declared twice");
            }
            workFactory = factory;
        }
    }

    /**
     * @return this thread's per-thread work, made now if it has none (normally by the thread
     *     itself; any thread may: the first CAS wins)
     * @throws IllegalStateException if no layer declared it ({@link #declareWork})
     */
    public ThreadWork workOrCreate() {
        ThreadWork w = (ThreadWork) WORK.getAcquire(this);
        return w != null ? w : createWork(); // small, so that it inlines wherever the count engine calls it
    }

    private ThreadWork createWork() {
        Function<ThreadState, ? extends ThreadWork> f = workFactory;
        if (f == null) {
            throw new IllegalStateException("safethread internal error: no per-thread work declared");
        }
        ThreadWork made = f.apply(this);
        ThreadWork won = (ThreadWork) WORK.compareAndExchangeRelease(this, (ThreadWork) null, made);
        return won == null ? made : won;
    }

    /** @return this thread's value of {@code slot}, made on first use (owner thread only) */
    @SuppressWarnings("unchecked")
    public <T> T get(Slot<T> slot) {
        Object v = slots[slot.index];
        if (v == null) {
            v = slot.factory.apply(this);
            slots[slot.index] = v;
        }
        return (T) v;
    }

    /**
     * @return this thread's value of {@code slot}, or null if it never made one (any thread, after
     *     a happens-before edge from the owner's first {@link #get(Slot)})
     */
    @SuppressWarnings("unchecked")
    public <T> T peek(Slot<T> slot) {
        return (T) slots[slot.index];
    }

    /**
     * Tells each slot value that is {@link Forgettable} that this thread was forgotten (the
     * registry, for a thread that has ended: its slot writes happen-before, JLS 17.4.4).
     */
    void forgotten() {
        for (Object v : slots) {
            if (v instanceof Forgettable f) {
                f.forgotten();
            }
        }
    }

    /** @return this thread's per-thread work, or null if it never made any (any thread) */
    public ThreadWork work() {
        return (ThreadWork) WORK.getAcquire(this);
    }

    private ThreadState(Thread thread) {
        this.thread = thread;
        this.fastPathThread = thread;
    }

    /**
     * The {@code ThreadLocal}'s initial value: the thread's one state, made and registered on its
     * first runtime call. A thread has one state for its whole life: if the JDK erased its
     * thread-locals (common-pool workers do after each top-level task:
     * {@code InnocuousForkJoinWorkerThread}, and JDK 17's common pool), the registered state is
     * taken back instead of a second one being made. A second state would split the thread in
     * two: the monitor layer's by-thread table and the count engine's death counters still name
     * the first (its wait-for-graph node, its request bits, its attach state), while the registry
     * and the deadlock detector see the second, so a cycle through such a worker was never found
     * (it hung), and the first state's leftover work was dropped with its registry entry. The
     * registry never forgets a live thread, so the state found here is this thread's.
     */
    private static ThreadState create() {
        ThreadState registered = ThreadRegistry.stateOf(Thread.currentThread());
        if (registered != null) {
            return registered;
        }
        ThreadState ts = new ThreadState(Thread.currentThread());
        ThreadRegistry.add(ts);
        return ts;
    }

    /** @return the calling thread's state, created and registered on first use */
    public static ThreadState current() {
        return CURRENT.get();
    }

    // ---------------------------------------------------------------- requests

    /** @return the pending request bits; an opaque read */
    public int requests() {
        return (int) REQUESTS.getOpaque(this);
    }

    /**
     * The fast-path key, read opaquely: {@link #thread} while no request may be pending, null
     * otherwise. A fast path compares it with {@code Thread.currentThread()}: equal means "this
     * is the calling thread's state and nothing is asked of it" (see the class comment).
     *
     * @return {@link #thread} or null
     */
    public Thread fastPathThreadOpaque() {
        return (Thread) FAST_PATH_THREAD.getOpaque(this);
    }

    /**
     * Sets request bits (any thread), then clears the fast-path key, so that the owner's next
     * runtime call takes its slow path and polls. Both writes are volatile: the pair's other end
     * is {@link #restoreFastPath}.
     */
    public void request(int bits) {
        REQUESTS.getAndBitwiseOr(this, bits);
        FAST_PATH_THREAD.setVolatile(this, null);
    }

    /**
     * Restores the fast-path key after a poll that left nothing to do (owner only): writes it,
     * then reads the request bits again and clears it if one came meanwhile. Both accesses are
     * volatile: the pair's other end is {@link #request} (bits, then key), so a request made
     * while the key is restored is never hidden behind it.
     */
    private void restoreFastPath() {
        FAST_PATH_THREAD.setVolatile(this, thread);
        if ((int) REQUESTS.getVolatile(this) != 0) {
            FAST_PATH_THREAD.setVolatile(this, null);
        }
    }

    /** Clears request bits (any thread). */
    public void clearRequest(int bits) {
        REQUESTS.getAndBitwiseAnd(this, ~bits);
    }

    /**
     * Runs pending requests if there may be any (the fast-path key is cleared); called on every
     * runtime entry point, by this state's own thread.
     */
    public void pollIfRequested() {
        if (fastPathThreadOpaque() != thread) {
            poll();
        }
    }

    /**
     * A safe point: answer the collector, merge queued objects, do owner-side work. Owner thread
     * only. Re-entrant calls (death processing inside a merge calls back into the runtime) return
     * at once.
     */
    public void poll() {
        if (inPoll) {
            return;
        }
        inPoll = true;
        boolean workLeft = false;
        try {
            safePoints = safePoints + 1;
            int r;
            while ((r = (int) REQUESTS.getVolatile(this)) != 0) {
                if ((r & REQ_SAFEPOINT) != 0) {
                    answerSafePoint();
                }
                if ((r & REQ_MERGE) != 0) {
                    clearRequest(REQ_MERGE);
                    ThreadWork w = work(); // set: only a merge into this thread's queue requests one
                    if (w != null) {
                        w.drainMergeQueue();
                    }
                }
                if ((r & REQ_WORK) != 0) {
                    clearRequest(REQ_WORK);
                    ThreadWork w = work(); // set by this thread's own work
                    if (w != null) {
                        workLeft |= w.runOwnerWork();
                    }
                }
            }
        } finally {
            inPoll = false;
            if (workLeft) {
                request(REQ_WORK); // try again at the next runtime call
            } else {
                restoreFastPath();
            }
        }
    }


    /** @return safe points passed so far (opaque; for the collector's liveness heuristic) */
    public long safePoints() {
        return safePoints;
    }

    private void answerSafePoint() {
        detach();
        boolean interrupted = false;
        try {
            while (((int) REQUESTS.getVolatile(this) & REQ_SAFEPOINT) != 0) {
                LockSupport.park(this);
                interrupted |= Thread.interrupted(); // a safe point is not interruptible; keep the status
            }
        } finally {
            attach();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- attach protocol

    /**
     * Publishes this thread's counts before it parks inside the runtime (owner only, from
     * ATTACHED). Afterwards, if merges are queued, asks the housekeeper to merge on its behalf.
     */
    public void detach() {
        STATE.setVolatile(this, DETACHED);
        // Write the state, then read the queue (volatile both): pairs with Merges.queue, which
        // pushes, then reads the state. One of the two sees the other (the class notes' Dekker pair).
        ThreadWork w = work();
        if (w != null && w.hasQueuedMerges()) {
            Housekeeper.requestMergeHelp();
        }
    }

    /**
     * Takes back this thread's counts after parking inside the runtime (owner only). Waits while
     * a helper or the collector holds the thread.
     */
    public void attach() {
        boolean interrupted = false;
        try {
            for (;;) {
                int s = (int) STATE.getVolatile(this);
                if (s == DETACHED) {
                    if (STATE.compareAndSet(this, DETACHED, ATTACHED)) {
                        return;
                    }
                } else if ((s & STATE_MASK) == HELD) {
                    if ((s & WAITING) != 0 || STATE.compareAndSet(this, s, s | WAITING)) {
                        LockSupport.park(this);
                        interrupted |= Thread.interrupted(); // else park returns at once: no spinning
                    }
                } else {
                    throw new IllegalStateException("safethread internal error: attach() from state " + s
                            + " on " + thread);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Tries to hold this thread so that the caller may read and write its counts: succeeds when
     * it is detached or has terminated.
     *
     * @return true if the caller now holds it and must call {@link #release()}
     */
    public boolean tryHold() {
        int s = (int) STATE.getVolatile(this);
        switch (s) {
            case DETACHED:
                return STATE.compareAndSet(this, DETACHED, HELD);
            case TERMINATED:
                return STATE.compareAndSet(this, TERMINATED, HELD_TERMINATED);
            case ATTACHED:
                // isAlive() == false happens-after the thread's last action (JLS 17.4.4).
                return !thread.isAlive() && STATE.compareAndSet(this, ATTACHED, HELD_TERMINATED);
            default:
                return false;
        }
    }

    /** Releases a hold taken by {@link #tryHold()}, waking the owner if it waits to re-attach. */
    public void release() {
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if (s == HELD_TERMINATED) {
                STATE.setVolatile(this, TERMINATED);
                return;
            }
            if ((s & STATE_MASK) != HELD) {
                throw new IllegalStateException("safethread internal error: release() from state " + s);
            }
            if (STATE.compareAndSet(this, s, DETACHED)) {
                if ((s & WAITING) != 0) {
                    LockSupport.unpark(thread);
                }
                return;
            }
        }
    }

    /** @return whether this thread is known to have ended */
    public boolean isTerminated() {
        int s = (int) STATE.getVolatile(this) & STATE_MASK;
        return s == TERMINATED || s == HELD_TERMINATED || !thread.isAlive();
    }

    /** @return the raw attach state, for diagnostics */
    public int attachState() {
        return (int) STATE.getVolatile(this);
    }

    /** @return whether the calling thread is this state's thread */
    public boolean isCurrent() {
        return thread == Thread.currentThread();
    }

    /** Marks the calling thread as one of the runtime's own threads. */
    public static void markRuntimeThread() {
        current().runtimeThread = true;
        RuntimeThreads.started(Thread.currentThread());
    }

    /** @return whether this is one of the runtime's own threads */
    public boolean isRuntimeThread() {
        return runtimeThread;
    }

    /** Marks this thread as an owner of RefCounted objects (owner only). */
    public void markOwner() {
        if (!ownsObjects) {
            ownsObjects = true;
        }
    }

    /** @return whether this thread has ever created a RefCounted */
    public boolean ownsObjects() {
        return ownsObjects;
    }

    @Override
    public String toString() {
        return "ThreadState[" + thread.getName() + ", state=" + attachState() + "]";
    }
}
