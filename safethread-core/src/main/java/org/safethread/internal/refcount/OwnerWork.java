package org.safethread.internal.refcount;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.safethread.RefCounted;
import org.safethread.internal.runtime.Housekeeper;
import org.safethread.internal.runtime.Settings;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.internal.runtime.LoggerNames;
import org.safethread.internal.runtime.ThreadWork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread's refcount bookkeeping: its merge queue (any thread pushes), and owner-only state:
 * its cells for objects it does not own, its candidate list, the objects whose finalizer cores it
 * has still to capture, and its death worklist; and whether the thread biases its new objects.
 *
 * <p>Owner-only fields are read by another thread only while it holds this thread (see
 * {@link ThreadState}), which gives the happens-before edges.
 *
 * <p><b>Where it lives.</b> In the thread state's slot for the count engine ({@link #of}),
 * typed by the runtime's {@link ThreadWork}, so that the runtime, below this layer, drives it at safe
 * points, when the thread parks, and after the thread ends, without naming it. It is made on the
 * thread's first use of the count engine, by the thread itself ({@link #of} on the current
 * thread; a thread that never counted anything has none, and the runtime skips it); threads that
 * look at another thread's use {@link #ifPresent}.
 *
 * <p><b>Bias.</b> {@code unbiased} says whether the objects this thread creates from now on are
 * counted on the shared word (born MERGED, no owner) instead of in a plain owner count. It is set
 * when the state is created, on the thread itself, for pool workers ({@link PoolWorkers}), and
 * later, once, by the housekeeper when the thread is found idle while objects waited on it
 * ({@link IdleOwners}). It never goes back to false. Volatile, so the owner's next construction
 * sees a flip; a construction racing with the flip may still create one biased object, which is
 * sound either way (both kinds of object follow their own protocol from birth).
 */
public final class OwnerWork implements ThreadWork {
    private static final Logger LOG = LoggerFactory.getLogger(LoggerNames.REFCOUNT);
    /** Candidates kept locally before they are handed to the global queue ({@link Candidates}). */
    private static final int CANDIDATE_FLUSH = 256;
    /** Safe points a core may stay null after construction before we stop waiting for it. */
    private static final int MAX_CAPTURE_POLLS = 10_000;

    static {
        ThreadState.declareWork(OwnerWork::new); // this layer's slot in every thread's state

        // The count engine's housekeeping: every merge queue belongs to some thread's OwnerWork,
        // so the task is registered before any object can be queued for a merge.
        Housekeeper.register(new Housekeeper.Task() {
            @Override
            public String roleName() {
                return "merging on behalf of owners";
            }

            @Override
            public int doWork() {
                return Merges.helpOwners() ? 1 : 0;
            }

            @Override
            public boolean workPending() {
                return Merges.hasOwnersWithWork();
            }
        });
    }

    private final ThreadState ts;
    final MergeQueue mergeQueue = new MergeQueue();
    final DeathWork deaths = new DeathWork();
    private CellTable cells;
    private RefCounted[] candidates = new RefCounted[16];
    private int candidateCount;
    /**
     * Objects constructed by this thread whose finalizer cores are not captured yet. Held
     * strongly (the core is reachable only through the object until captured), so an object here
     * cannot be found leaked: the owner empties it at its next safe point, and the housekeeper
     * empties it when the owner has passed no safe point for a while (see
     * {@link #captureIfOwnerIdle()}), so that a thread that leaks the last object it made and
     * then never calls the runtime again does not hide that leak. Concurrent: both take from it.
     */
    private final ConcurrentLinkedQueue<RefCounted> uncaptured = new ConcurrentLinkedQueue<>();
    private int capturePolls;
    /** The class last looked up by {@link #classInfo} and its info (owner only: a one-entry cache). */
    private Class<?> lastClass;
    private ClassInfo lastInfo;
    /** New objects are counted on the shared word (see the class comment). */
    private volatile boolean unbiased;

    /** The owner's safe-point count when the housekeeper last looked (housekeeper only). */
    private long safePointsSeenByHousekeeper = -1;

    // ---- idle-owner watch: housekeeper only (one housekeeper thread) ----
    /** When the housekeeper first saw objects waiting on this thread in the current episode, or 0. */
    long idleSince;
    /** When the housekeeper last saw objects waiting on this thread. */
    long idleLastSeen;
    /** The thread's safe-point count then: an owner that passed a safe point since came back. */
    long idleSafePoints;
    /** Whether the current episode was reported. */
    boolean idleReported;
    /** Whether this thread was ever reported (the WARN is logged once per thread). */
    boolean everReported;

    /**
     * @param ts a thread's state
     * @return its count-engine work, made now if it has none (on the thread itself, normally: see
     *     the class comment)
     */
    public static OwnerWork of(ThreadState ts) {
        return (OwnerWork) ts.workOrCreate(); // one acquire load (plain on x86) once made
    }

    /** @return {@code ts}'s count-engine work, or null if that thread never used the count engine */
    public static OwnerWork ifPresent(ThreadState ts) {
        return (OwnerWork) ts.work();
    }

    /** Creates a thread's state (normally on the thread itself, which decides whether it biases). */
    private OwnerWork(ThreadState ts) {
        this.ts = ts;
        this.unbiased = ts.isCurrent() && !Settings.biasPoolWorkers() && PoolWorkers.isCurrentThreadPoolWorker();
    }

    /**
     * {@link ClassInfo#of} through a one-entry cache: a thread usually creates, and kills, runs of
     * objects of one class, and the cache saves a {@code ClassValue} lookup on each. Owner only.
     */
    ClassInfo classInfo(Class<?> type) {
        if (type != lastClass) {
            lastInfo = ClassInfo.of(type);
            lastClass = type;
        }
        return lastInfo;
    }

    /** @return whether this thread's new objects are counted on the shared word (volatile read) */
    public boolean unbiased() {
        return unbiased;
    }

    /**
     * From now on, this thread's new objects are counted on the shared word (any thread; a
     * volatile write that the thread reads at its next construction). Its existing objects keep
     * their bias. Used by {@link IdleOwners}, and by integrations and tests that know a thread
     * will idle outside the runtime.
     */
    public void giveUpBias() {
        unbiased = true;
    }

    /** @return whether objects are waiting to be merged (volatile read; any thread) */
    @Override
    public boolean hasQueuedMerges() {
        return !mergeQueue.isEmpty();
    }

    /**
     * Whether owner-side work is left: cells, local candidates, cores to capture (the owner, or a
     * thread holding it). A terminated thread without any can be forgotten.
     */
    @Override
    public boolean hasLeftoverWork() {
        return cells != null || candidateCount > 0 || !uncaptured.isEmpty();
    }

    /**
     * Merges everything queued, at the owner's poll. A death refused during these merges (a
     * finalizer core that reaches its owner, {@code Deaths.finish}) is not thrown: it was logged
     * (ERROR) and counted ({@code finalizerFailures}) where it was found, and a poll runs inside
     * whichever runtime call of this thread came next (an {@code incref} or {@code decref} of
     * another object, a monitor entry, {@code SafeThread.poll()}). Thrown there, it would make
     * that unrelated call fail without doing its work: a {@code decref} that leaks its
     * reference, an {@code incref} whose caller then releases a reference it never got
     * ({@code MergeRefusalTest}). A death in the caller's own {@code decref} still throws the
     * refusal, after the object died, as the contract says.
     */
    @Override
    public void drainMergeQueue() {
        try {
            Merges.drain(ts);
        } catch (IllegalArgumentException refused) {
            // Logged and counted by Deaths.finish; see above. Every object of the batch was merged.
        }
    }

    CellTable cells() {
        CellTable t = cells;
        if (t == null) {
            t = cells = new CellTable();
        }
        return t;
    }

    /** @return whether this thread has a cell table (owner only) */
    boolean hasCells() {
        return cells != null;
    }

    CellTable cellsIfPresent() {
        return cells;
    }


    // ---------------------------------------------------------------- candidates

    void bufferCandidate(RefCounted x) {
        if (candidateCount == candidates.length) {
            if (candidateCount >= CANDIDATE_FLUSH) {
                flushCandidates();
            } else {
                candidates = Arrays.copyOf(candidates, candidateCount * 2);
            }
        }
        candidates[candidateCount++] = x;
    }

    /** Hands the local candidates to the global queue ({@link Candidates}), which the collector drains. */
    void flushCandidates() {
        if (candidateCount > 0) {
            Candidates.addAll(Arrays.copyOf(candidates, candidateCount));
            Arrays.fill(candidates, 0, candidateCount, null);
            candidateCount = 0;
        }
    }

    /**
     * Takes the local candidate list (the collector, holding this thread, or the owner itself).
     *
     * @return the candidates, possibly empty
     */
    public RefCounted[] takeCandidates() {
        RefCounted[] out = Arrays.copyOf(candidates, candidateCount);
        Arrays.fill(candidates, 0, candidateCount, null);
        candidateCount = 0;
        if (candidates.length > CANDIDATE_FLUSH * 4) {
            candidates = new RefCounted[16];
        }
        return out;
    }

    // ---------------------------------------------------------------- finalizer-core capture

    void addUncaptured(RefCounted x) {
        uncaptured.add(x);
        ts.request(ThreadState.REQ_WORK);
    }

    /**
     * Owner-side work at a safe point: captures the finalizer cores of objects constructed since
     * (their constructors have finished by now, unless we are inside one), so that a leaked object
     * can still be finalized after the JVM collects it.
     *
     * @return whether work is left for a later safe point
     */
    @Override
    public boolean runOwnerWork() {
        if (uncaptured.isEmpty()) {
            return false;
        }
        int kept = captureAll();
        if (kept == 0) {
            capturePolls = 0;
            return false;
        }
        if (++capturePolls > MAX_CAPTURE_POLLS) {
            LOG.debug("safethread: {} object(s) kept a null @FinalizerCore long after construction; "
                    + "they are not armed for leak finalization", kept);
            uncaptured.clear();
            capturePolls = 0;
            return false;
        }
        return true;
    }

    /**
     * Housekeeper: captures the cores of this thread's new objects if the thread has passed no
     * safe point since the housekeeper's previous look (it is idle or busy outside the runtime),
     * so that its objects can be found leaked without waiting for its next runtime call.
     *
     * <p>The core field is read without a happens-before edge from the owner. That is sound for
     * what capture does with it: a non-null value read is the reference the constructor stored
     * (no out-of-thin-air values), and the core was fully constructed before it was stored, so its
     * final fields are seen initialized by every thread that reaches it through this reference
     * (JLS 17.5); a core's other state is, as on the owner's path, whatever the finalizer thread
     * sees when it runs it (cores are shareable). A null read (the constructor has not stored it
     * yet, or its store is not visible yet) leaves the object for a later look.
     */
    @Override
    public void captureIfOwnerIdle() {
        if (uncaptured.isEmpty()) {
            return;
        }
        long now = ts.safePoints();
        if (now != safePointsSeenByHousekeeper) {
            safePointsSeenByHousekeeper = now; // the owner is still making runtime calls: its turn
            return;
        }
        captureAll();
    }

    /** Captures what it can; puts back the rest. @return how many were put back */
    private int captureAll() {
        List<RefCounted> later = null;
        RefCounted x;
        while ((x = uncaptured.poll()) != null) {
            if (!capture(x)) {
                if (later == null) {
                    later = new ArrayList<>();
                }
                later.add(x);
            }
        }
        if (later == null) {
            return 0;
        }
        uncaptured.addAll(later);
        return later.size();
    }

    /** @return true when done with {@code x} (captured, or dead) */
    private static boolean capture(RefCounted x) {
        if (!RefCounts.isAlive(x)) {
            return true;
        }
        Extras e = CountFields.extrasVolatile(x);
        Object core = ClassInfo.of(x.getClass()).coreOf(x);
        if (core == null || e == null) {
            return false;
        }
        e.captureCore(core);
        return true;
    }

    /**
     * Finishes the work of a thread that has ended: merges, cells, candidates, captures. Called by
     * the housekeeper while holding the terminated thread.
     */
    @Override
    public void finishForTerminatedThread() {
        Merges.drain(ts);
        if (cells != null) {
            cells.retireAll();
            cells = null;
        }
        flushCandidates();
        RefCounted x;
        while ((x = uncaptured.poll()) != null) {
            capture(x);
        }
    }
}
