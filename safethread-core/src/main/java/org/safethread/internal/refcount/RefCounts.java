package org.safethread.internal.refcount;

import static org.safethread.internal.refcount.CountWord.BARE;
import static org.safethread.internal.refcount.CountWord.BUFFERED;
import static org.safethread.internal.refcount.CountWord.CAND;
import static org.safethread.internal.refcount.CountWord.DEAD;
import static org.safethread.internal.refcount.CountWord.LOCAL_COUNT;
import static org.safethread.internal.refcount.CountWord.MAX_PINS;
import static org.safethread.internal.refcount.CountWord.MAX_REFS;
import static org.safethread.internal.refcount.CountWord.MERGED;
import static org.safethread.internal.refcount.CountWord.PIN_ONE;
import static org.safethread.internal.refcount.CountWord.QUEUED;
import static org.safethread.internal.refcount.CountWord.REF_ONE;
import static org.safethread.internal.refcount.CountWord.isDead;
import static org.safethread.internal.refcount.CountWord.isMerged;
import static org.safethread.internal.refcount.CountWord.pins;
import static org.safethread.internal.refcount.CountWord.refs;
import static org.safethread.internal.refcount.CountWord.touch;

import org.safethread.Ref;
import org.safethread.RefCounted;
import org.safethread.internal.events.OverReleaseEvent;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.ThreadState;
import org.safethread.internal.runtime.LoggerNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference-count engine behind {@link RefCounted} and {@link Ref}: biased reference counting
 * (Choi et al.; free-threaded CPython) with per-thread cells for hot shared objects.
 *
 * <h2>Implementation notes</h2>
 *
 * <p><b>State.</b> Each object has an owner ({@code owner}, the creating thread's state, or null
 * once merged), the owner's plain count ({@code local}), a shared word changed only by CAS
 * ({@code shared}, layout in {@link CountWord}) and, lazily, an {@link Extras} holding the cells
 * that other threads count in. The true count is
 * {@code (MERGED ? 0 : local) + refs + sum(cells)}.
 *
 * <pre>
 *   (birth on a thread that gave up its bias: pool workers, idle owners) --&gt; MERGED
 *   OWNED --owner's count reaches 0, or owner merges a queued object--&gt; MERGED
 *   OWNED --owner's count reaches 0 and the shared word is 0--&gt; DEAD        (no atomic count op)
 *   OWNED/MERGED --merge or zero-check finds total 0--&gt; DEAD
 *   MERGED --shared release to 0 with no cells--&gt; DEAD
 * </pre>
 *
 * <p><b>Who touches what.</b>
 * <ul>
 *   <li>The owner increments and decrements {@code local} with plain accesses. It never makes an
 *       atomic count operation until {@code local} reaches zero.</li>
 *   <li>Another thread never reads {@code local}. It counts in its own {@link Cell} (once it
 *       works on the object repeatedly) or with a CAS on {@code refs}. A release that the cell
 *       cannot absorb goes to {@code refs}; if that makes {@code refs} negative while the owner
 *       has not merged, the total may be zero, so the object is QUEUED on the owner's
 *       {@link MergeQueue} and the owner is asked to merge.</li>
 *   <li>{@code local} is read by another thread only while it holds the owner through
 *       {@link ThreadState#tryHold()} (the owner is parked inside the runtime, or has ended),
 *       which supplies the happens-before edge (see {@link ThreadState}). That is how a merge
 *       happens "within 10 ms" for a blocked or terminated owner, and at once when the
 *       releasing thread can hold the owner itself.</li>
 * </ul>
 *
 * <p><b>Invariants.</b>
 * <ol>
 *   <li>While OWNED, {@code local >= 1}: when it would reach zero the owner merges (or the
 *       object dies), so the total can only reach zero through a negative {@code refs}, which
 *       always queues a merge.</li>
 *   <li>Cells are never negative and each live cell is counted in {@code pins}; pins and cells
 *       change together under the Extras lock. Whoever sees a MERGED object's {@code refs} at or
 *       below zero while cells exist freezes all cells under that lock and folds them into
 *       {@code refs} before deciding ({@link Fold}, the one routine every fold uses: zero
 *       check, cell retirement, merge and the collector's snapshot); so a cell never hides a
 *       death, and a death is decided on a total that no thread can change concurrently (every
 *       counter is either frozen or in the CASed word).</li>
 *   <li>DEAD is set by exactly one CAS; every increment path CASes and fails on DEAD, so a dead
 *       object is never revived ({@code incref} of a dead object throws).</li>
 *   <li>A release refused as an over-release is refused before the CAS, so counts are
 *       unchanged.</li>
 * </ol>
 *
 * <p><b>Unbiased objects.</b> A thread that cannot be relied on to come back to the runtime
 * (see {@link OwnerWork#unbiased()}) creates its objects MERGED: no owner and no plain count, so
 * no death and no collection ever has to read a count of that thread (the RUNTIME-NOTES rule
 * that only the owner, a holder, or a handshake reads a plain count is kept by having no plain
 * count). The constructor's plain writes of the initial word reach other threads through the
 * object's publication, like any field.
 *
 * <p><b>Releases of unowned objects.</b> A release of an object whose owner field is null and
 * whose word is MERGED without pins is decided from the word alone, without the thread-state
 * lookup ({@link UnownedRelease}, whose notes argue it); everything else takes
 * {@link #decrefSlow}'s general path.
 *
 * <p><b>Memory ordering.</b> All shared-word and cell accesses are volatile or CAS, so a
 * thread's actions before a release happen-before the CAS that finally kills the object, and so
 * before death processing. The owner's plain accesses are ordered for other threads only through
 * the attach protocol's volatile edges. Every field of {@link RefCounted} and {@link Ref} is
 * reached through {@link CountFields}, whose accessors name the memory mode of each access (and
 * whose notes list which mode each field is used in, and why).
 *
 * <p><b>Candidates for the collector.</b> A decrement that leaves a count above zero may have
 * made a garbage cycle, so the object becomes a candidate: the owner keeps a plain list (flag
 * BUFFERED in {@code local}), other threads use the global queue (flag CAND in the word, or a
 * per-cell epoch so a hot cell reports once per collection). The queue ({@link Candidates}) is
 * this layer's; the collector drains it and installs the trigger that wakes it.
 */
public final class RefCounts {
    private static final Logger LOG = LoggerFactory.getLogger(LoggerNames.REFCOUNT);

    /** Result of a cell-table increment: not taken, use the shared word. */
    static final int INC_SHARED = 0;
    /** Result of a cell-table increment: a cell took it. */
    static final int INC_TAKEN = 1;
    /** Result of a cell-table increment: the object is dead. */
    static final int INC_DEAD = 2;
    /** Marker returned by {@link #createCell} for a dead object. */
    static final Cell DEAD_CELL = new Cell(Cell.FROZEN);

    private RefCounts() {
    }

    // ------------------------------------------------------------------ composite field access
    // Single accesses are CountFields' accessors, named by memory mode.

    /**
     * @return the object's Extras, created if absent: a volatile read, then a volatile
     *     compareAndExchange. One end of the Dekker pair with {@link Deaths#die}'s volatile read
     *     of the Extras field after its DEAD CAS (see {@link CountFields}): a caller that goes on
     *     to rely on the object being alive re-reads the word afterwards.
     */
    public static Extras extrasOrCreate(RefCounted x) {
        Extras e = CountFields.extrasVolatile(x);
        if (e != null) {
            return e;
        }
        Extras fresh = new Extras(x.getClass(), null);
        Extras witness = CountFields.compareAndExchangeExtras(x, fresh);
        return witness == null ? fresh : witness;
    }

    /**
     * Marks a Ref as traced in collection {@code epoch} (collector thread only, plain access: the
     * collector's run lock orders collections).
     *
     * @return true the first time in this collection, false if it was traced already (a Ref
     *     reachable twice, e.g. shared by two objects' fields, must count as one edge)
     */
    public static boolean markRef(Ref<?> r, int epoch) {
        if (CountFields.refMarkPlain(r) == epoch) {
            return false;
        }
        CountFields.setRefMarkPlain(r, epoch);
        return true;
    }

    /**
     * Empties a Ref owned by something that died (a binding of a dead key) and releases what it
     * held, unless that is dead too. Never calls user code.
     */
    public static void clearForDeath(Ref<?> r) {
        RefCounted t = CountFields.getAndSetRefValue(r, null);
        if (t != null && isAlive(t)) {
            t.decref();
        }
    }

    // ------------------------------------------------------------------ construction

    /**
     * Called by {@link RefCounted}'s constructor after it set owner and local. A thread that
     * cannot be relied on to come back to the runtime (a pool worker, or one found idle: see
     * {@link OwnerWork#unbiased()}) creates the object MERGED instead: no owner, its reference in
     * {@code refs}, so no death ever waits for that thread.
     */
    public static void constructed(RefCounted x, ThreadState ts) {
        OwnerWork w = OwnerWork.of(ts);
        ClassInfo info = w.classInfo(x.getClass());
        if (w.unbiased()) {
            // Plain writes: x is not yet published; whoever receives it safely sees them. BARE
            // lets the release that kills x decide from the word alone (UnownedRelease).
            CountFields.setOwnerPlain(x, null);
            CountFields.setLocalPlain(x, 0);
            CountFields.setWordPlain(x, info.bareDeath ? MERGED | REF_ONE | BARE : MERGED | REF_ONE);
        } else {
            ts.markOwner();
        }
        info.checkUsable();
        if (LeakSites.watched(info.hasCore())) {
            Extras e = new Extras(x.getClass(), LeakSites.site());
            CountFields.setExtrasPlain(x, e); // plain: x is not yet published
            e.ensureLeakRef(() -> FinalizerHooks.Installed.get().trackLeak(x, e));
            if (info.hasCore()) {
                w.addUncaptured(x);
            }
        }
        ts.pollIfRequested();
    }

    // ------------------------------------------------------------------ increments

    /** Slow path of {@link RefCounted#incref()}: not the owner, requests pending, or overflow. */
    public static void increfSlow(RefCounted x) {
        ThreadState ts = CurrentThread.state();
        ts.pollIfRequested();
        if (CountFields.ownerPlain(x) == ts) {
            ownerIncref(x);
            return;
        }
        int r = OwnerWork.of(ts).cells().increment(x);
        if (r == INC_TAKEN) {
            return;
        }
        if (r == INC_DEAD) {
            throw deadIncref(x);
        }
        if (!sharedIncrement(x)) {
            throw deadIncref(x);
        }
    }

    private static void ownerIncref(RefCounted x) {
        int l = CountFields.localPlain(x);
        if ((l & LOCAL_COUNT) == LOCAL_COUNT) {
            // Spill half of the owner's count to the shared word; practically never happens.
            int half = LOCAL_COUNT / 2;
            if (!sharedAdd(x, half)) {
                throw deadIncref(x);
            }
            l -= half;
        }
        CountFields.setLocalPlain(x, l + 1);
    }

    /**
     * Adds one reference in the shared word.
     *
     * @return false if the object is dead (nothing changed)
     */
    private static boolean sharedIncrement(RefCounted x) {
        return sharedAdd(x, 1);
    }

    private static boolean sharedAdd(RefCounted x, long n) {
        for (;;) {
            long w = CountFields.wordVolatile(x);
            if (isDead(w)) {
                return false;
            }
            if (refs(w) >= MAX_REFS) {
                throw new IllegalStateException("reference count overflow on " + x.getClass().getName());
            }
            if (CountFields.weakCasWord(x, w, touch(w + n * REF_ONE))) {
                return true;
            }
        }
    }

    /**
     * Takes a reference if the object is alive (the basis of {@link Ref#acquire()}).
     *
     * @return false if it is dead
     */
    static boolean tryIncref(RefCounted x, ThreadState ts) {
        if (CountFields.ownerPlain(x) == ts) {
            ownerIncref(x);
            return true;
        }
        int r = OwnerWork.of(ts).cells().increment(x);
        if (r == INC_TAKEN) {
            return true;
        }
        if (r == INC_DEAD) {
            return false;
        }
        return sharedIncrement(x);
    }

    /**
     * Takes a reference to an object reached without one (a weak reference): succeeds only while
     * the object is alive, and never revives a dead one. Unlike {@link #tryIncref} it always
     * counts in the shared word by CAS, even for the owner, for two reasons: a CAS fails once the
     * word is DEAD (so it races soundly with the last release: either the increment lands first
     * and the release leaves the object alive, or DEAD lands first and the CAS fails), and it
     * changes the word, so a collection that found the object garbage (the caller held no counted
     * reference) sees the change and does not kill it (its kill CAS from the snapshot word fails).
     * An owner's plain increment would be invisible to both. A DEAD the collector may still undo
     * is waited out ({@link KillWindow}).
     *
     * @return false if the object is dead (nothing changed)
     */
    public static boolean tryIncrefWeak(RefCounted x) {
        ThreadState ts = ThreadState.current();
        ts.pollIfRequested();
        for (;;) {
            long w = CountFields.wordVolatile(x);
            if (isDead(w)) {
                if (KillWindow.deadIsFinal(x)) {
                    return false;
                }
                continue;
            }
            if (refs(w) >= MAX_REFS) {
                throw new IllegalStateException("reference count overflow on " + x.getClass().getName());
            }
            if (CountFields.casWord(x, w, touch(w + REF_ONE))) {
                return true;
            }
        }
    }

    /** @return whether {@code x} is alive, waiting out a DEAD the collector may still undo */
    public static boolean isAliveSettled(RefCounted x) {
        return !isDead(CountFields.wordVolatile(x)) || !KillWindow.deadIsFinal(x);
    }

    /**
     * Before a change to {@code x}'s bindings, with its Extras lock held: if the collector has
     * snapshotted {@code x} (SCAN), marks the word TOUCHED so that the collection cannot kill
     * {@code x} on a view of its slots that this change makes stale. Pairs with the collector
     * reading bindings under the same lock ({@link Extras#traceBindings}) and with
     * {@link #snapshotWord}, which sets SCAN under that lock once the Extras exists: so either
     * the collector set SCAN before this read (and the CAS marks TOUCHED), or it reads the
     * bindings after this change. Its volatile read of the word also pairs with
     * {@link Deaths#die}'s and {@link UnownedRelease#release}'s reads of the Extras field after
     * a DEAD CAS: a binding is added only after this read saw the key alive, and then that death
     * sees the Extras (bare-death path).
     *
     * @return false if {@code x} is dead for good (the caller must not change its bindings)
     */
    public static boolean touchForBindings(RefCounted x) {
        for (;;) {
            long w = CountFields.wordVolatile(x);
            if (isDead(w)) {
                if (KillWindow.deadIsFinal(x)) {
                    return false;
                }
                continue;
            }
            if ((w & CountWord.SCAN) == 0 || (w & CountWord.TOUCHED) != 0) {
                return true;
            }
            if (CountFields.casWord(x, w, w | CountWord.TOUCHED)) {
                return true;
            }
        }
    }

    /**
     * Creates the calling thread's cell for {@code x}, holding one reference.
     *
     * @return the cell, null if the object has no room for another pin, or {@link #DEAD_CELL}
     */
    static Cell createCell(RefCounted x) {
        Extras e = extrasOrCreate(x);
        e.lock();
        try {
            for (;;) {
                long w = CountFields.wordVolatile(x);
                if (isDead(w)) {
                    return DEAD_CELL;
                }
                if (pins(w) == MAX_PINS) {
                    return null;
                }
                if (CountFields.casWord(x, w, touch(w + PIN_ONE))) {
                    Cell c = new Cell(1);
                    c.next = e.cells;
                    e.cells = c;
                    return c;
                }
            }
        } finally {
            e.unlock();
        }
    }

    // ------------------------------------------------------------------ decrements

    /** Called by the owner's fast path when an object first becomes a candidate. */
    public static void buffered(RefCounted x, ThreadState owner) {
        OwnerWork.of(owner).bufferCandidate(x);
    }

    /** Slow path of {@link RefCounted#decref()}. */
    public static void decrefSlow(RefCounted x) {
        // An object without owner (unbiased, or merged) whose word alone decides the release:
        // released without the thread-state lookup (UnownedRelease); anything else comes here.
        if (CountFields.ownerPlain(x) == null && UnownedRelease.release(x)) {
            return;
        }
        ThreadState ts = CurrentThread.state();
        ts.pollIfRequested();
        if (CountFields.ownerPlain(x) == ts) {
            ownerDecref(x, ts);
        } else {
            nonOwnerDecref(x, ts);
        }
    }

    private static void ownerDecref(RefCounted x, ThreadState ts) {
        int l = CountFields.localPlain(x);
        int c = l & LOCAL_COUNT;
        if (c > 1) {
            if ((l & BUFFERED) == 0) {
                CountFields.setLocalPlain(x, (l - 1) | BUFFERED);
                OwnerWork.of(ts).bufferCandidate(x);
            } else {
                CountFields.setLocalPlain(x, l - 1);
            }
            return;
        }
        if (c == 0) {
            throw refused(x, new IllegalStateException("decref of " + x.getClass().getName()
                    + ": the owner's count is already zero (over-release)"));
        }
        CountFields.setLocalPlain(x, l & BUFFERED);
        long w = CountFields.wordVolatile(x);
        if (w == 0 && CountFields.casWord(x, 0L, DEAD)) {
            // Only the owner ever touched it: it dies here, inside the releasing decref.
            CountFields.setOwnerPlain(x, null);
            Deaths.die(x, ts);
            return;
        }
        // Others counted too: give up ownership, folding our (zero) count into the shared word.
        Merges.merge(x, ts);
    }

    private static void nonOwnerDecref(RefCounted x, ThreadState ts) {
        // hasCells first: its signature names no class, so the JIT inlines it even in a thread
        // (a consumer of objects made elsewhere) that never loaded CellTable, where a call
        // returning a CellTable stays an out-of-line call on every release.
        OwnerWork refs = OwnerWork.of(ts);
        CellTable t = refs.hasCells() ? refs.cellsIfPresent() : null;
        if (t != null) {
            int r = t.decrement(x);
            if (r != Cell.DEC_MISS) {
                if (r == Cell.DEC_NOW_ZERO) {
                    long w = CountFields.wordVolatile(x);
                    if (isMerged(w) && refs(w) <= 0) {
                        zeroCheck(x);
                    }
                }
                return;
            }
        }
        sharedRelease(x, ts);
    }

    /** Releases one reference through the shared word (any thread that is not the owner). */
    private static void sharedRelease(RefCounted x, ThreadState ts) {
        for (;;) {
            long w = CountFields.wordVolatile(x);
            if (isDead(w)) {
                throw deadDecref(x);
            }
            long nw = touch(w - REF_ONE);
            long r = refs(nw);
            int pins = pins(w);
            if (isMerged(w)) {
                if (pins == 0) {
                    if (r < 0) {
                        throw overRelease(x, w);
                    }
                    if (r == 0) {
                        if (CountFields.casWord(x, w, nw | DEAD)) {
                            Deaths.die(x, ts);
                            return;
                        }
                        continue;
                    }
                }
                boolean cand = r > 0 && (w & CAND) == 0;
                if (cand) {
                    nw |= CAND;
                }
                if (CountFields.casWord(x, w, nw)) {
                    if (cand) {
                        Candidates.add(x);
                    }
                    if (r <= 0) {
                        zeroCheck(x);
                    }
                    return;
                }
                continue;
            }
            boolean queue = r < 0 && (w & QUEUED) == 0;
            boolean cand = (w & CAND) == 0;
            if (queue) {
                nw |= QUEUED;
            }
            if (cand) {
                nw |= CAND;
            }
            if (CountFields.casWord(x, w, nw)) {
                if (cand) {
                    Candidates.add(x);
                }
                if (queue && Merges.queue(x, ts)) {
                    throw new IllegalStateException("decref of " + x.getClass().getName()
                            + " released more references than it had (over-release); the object was killed");
                }
                return;
            }
        }
    }

    /**
     * A MERGED object's {@code refs} was seen at or below zero while cells exist: freeze every
     * cell under the Extras lock, fold them in, and kill the object if nothing is left
     * ({@link Fold}).
     */
    static void zeroCheck(RefCounted x) {
        if (CountFields.extrasVolatile(x) == null) {
            return; // no Extras, no cells: whoever saw refs reach zero decided already
        }
        long f = Fold.fold(x, null, 0, 0, 0, Fold.TOUCH | Fold.DECIDE | Fold.CLAIM_CAND);
        if (!Fold.folded(f)) {
            return;
        }
        boolean died = isDead(f);
        if (died && refs(f) < 0) {
            reportOverRelease(x);
        }
        if (Fold.claimed(f)) {
            Candidates.add(x); // a release left it alive: it may be in a garbage cycle
        }
        if (died) {
            Deaths.die(x);
        }
    }

    /** Retires a cell of the calling thread (table eviction, safe point, terminated thread). */
    static void retireCell(RefCounted x, Cell c) {
        long f = Fold.fold(x, c, 0, 0, 0, Fold.TOUCH | Fold.DECIDE | Fold.QUEUE_NEGATIVE);
        if (!Fold.folded(f)) {
            return; // someone froze the cell already and folded its value
        }
        boolean died = isDead(f);
        if (died && refs(f) < 0) {
            reportOverRelease(x);
        }
        if (died) {
            Deaths.die(x);
        } else if (isMerged(f) && refs(f) <= 0) {
            zeroCheck(x); // other threads' cells may hold the rest
        } else if (Fold.claimed(f)) {
            Merges.queue(x, ThreadState.current());
        }
    }

    // ------------------------------------------------------------------ Ref operations

    /** {@link Ref#acquire()}. */
    @SuppressWarnings("unchecked")
    public static <T extends RefCounted> T acquire(Ref<T> ref) {
        ThreadState ts = ThreadState.current();
        ts.pollIfRequested();
        for (;;) {
            RefCounted v = CountFields.refValueVolatile(ref);
            if (v == null) {
                return null;
            }
            if (tryIncref(v, ts)) {
                if (CountFields.refValueVolatile(ref) == v) {
                    return (T) v;
                }
                v.decref(); // the slot moved on meanwhile: give the reference back and retry
            } else if (CountFields.refValueVolatile(ref) == v) {
                throw new IllegalStateException("Ref.acquire: the slot holds a dead "
                        + v.getClass().getName() + " (its count was released beyond what was taken)");
            }
        }
    }

    /** {@link Ref#set(RefCounted)} and {@link Ref#clear()}. */
    public static <T extends RefCounted> void set(Ref<T> ref, T value) {
        if (value != null) {
            value.incref(); // throws (slot unchanged) if value is dead
        }
        RefCounted old = CountFields.getAndSetRefValue(ref, value);
        if (old != null) {
            old.decref();
        }
    }

    // ------------------------------------------------------------------ queries

    /** {@link RefCounted#refCount()}. */
    public static long refCount(RefCounted x) {
        long w = CountFields.wordVolatile(x);
        if (isDead(w)) {
            return 0;
        }
        long total = refs(w);
        Extras e = CountFields.extrasVolatile(x);
        if (e != null && pins(w) > 0) {
            e.lock();
            try {
                for (Cell c = e.cells; c != null; c = c.next) {
                    int v = c.value();
                    if (v > 0) {
                        total += v;
                    }
                }
            } finally {
                e.unlock();
            }
        }
        if (!isMerged(w)) {
            total += CountFields.localPlain(x) & LOCAL_COUNT;
        }
        return Math.max(total, 0);
    }

    /** {@link RefCounted#isAlive()}. */
    public static boolean isAlive(RefCounted x) {
        return !isDead(CountFields.wordVolatile(x));
    }

    // ------------------------------------------------------------------ death watches and registration

    /** Adds a death watch to {@code x}; fires at once if it is already dead. */
    public static void watch(RefCounted x, DeathWatch w) {
        if (!isAlive(x)) {
            w.fire();
            return;
        }
        Extras e = extrasOrCreate(x);
        e.ensureLeakRef(() -> FinalizerHooks.Installed.get().trackLeak(x, e));
        e.addWatch(w);
        // pairs with Deaths.die's and UnownedRelease.release's volatile reads of the Extras field
        // (CountFields.extrasVolatile) after their DEAD CAS: this is a volatile read of the word
        // after installing the Extras
        if (!isAlive(x)) {
            // It died while we attached the watch; death processing may have missed this Extras.
            e.onDeath();
        }
    }

    /**
     * {@code SafeThread.register} of a RefCounted: arms leak detection and captures its core now
     * (the caller has the object, so the constructor's writes are visible to it).
     */
    public static void register(RefCounted x) {
        ClassInfo info = ClassInfo.of(x.getClass());
        info.checkUsable();
        if (!info.hasCore()) {
            throw new IllegalArgumentException("SafeThread.register: " + x.getClass().getName()
                    + " has no @FinalizerCore field, so there is nothing to finalize");
        }
        Object core = info.coreOf(x);
        if (core == null) {
            throw new IllegalArgumentException("SafeThread.register: the @FinalizerCore field "
                    + info.coreField.getName() + " of " + x.getClass().getName() + " is null");
        }
        String why = FinalizerHooks.Installed.get().checkCore(x, core);
        if (why != null) {
            throw new IllegalArgumentException("SafeThread.register: " + why);
        }
        if (!isAlive(x)) {
            return;
        }
        Extras e = extrasOrCreate(x);
        e.captureCore(core);
        e.ensureLeakRef(() -> FinalizerHooks.Installed.get().trackLeak(x, e));
    }

    /**
     * {@code SafeThread.finalizeNow} of a RefCounted.
     *
     * @return whether the core ran now
     */
    public static boolean finalizeNow(RefCounted x) {
        ClassInfo info = ClassInfo.of(x.getClass());
        info.checkUsable();
        if (!info.hasCore()) {
            throw new IllegalArgumentException("SafeThread.finalizeNow: " + x.getClass().getName()
                    + " has no @FinalizerCore field, so there is nothing to finalize");
        }
        Extras e = extrasOrCreate(x);
        Object core = info.coreOf(x);
        if (core == null) {
            return false;
        }
        String why = FinalizerHooks.Installed.get().checkCore(x, core);
        if (why != null) {
            throw new IllegalArgumentException("SafeThread.finalizeNow: " + why);
        }
        if (!e.claimFinalization()) {
            return false;
        }
        FinalizerHooks.Installed.get().runNow(core, x.getClass());
        return true;
    }

    // ------------------------------------------------------------------ collector support

    /**
     * Snapshots {@code x}'s word for the collector: under the Extras lock (no cell can be created
     * meanwhile) freezes and folds every cell, then CASes the word to carry {@code set} and lose
     * {@code clear}.
     *
     * @return the word as stored (DEAD words are returned unchanged)
     */
    public static long snapshotWord(RefCounted x, long set, long clear) {
        return Fold.word(Fold.fold(x, null, 0, set, clear, 0));
    }

    /** Clears collector flags from a live object's word. */
    public static void clearWordFlags(RefCounted x, long flags) {
        for (;;) {
            long w = CountFields.wordVolatile(x);
            if (isDead(w) || (w & flags) == 0) {
                return;
            }
            if (CountFields.casWord(x, w, w & ~flags)) {
                return;
            }
        }
    }

    // ------------------------------------------------------------------ errors

    private static IllegalStateException deadIncref(RefCounted x) {
        return new IllegalStateException("incref of a dead " + x.getClass().getName()
                + ": the object already died (its last reference was released); take your reference "
                + "while it is alive, e.g. with Ref.acquire()");
    }

    private static IllegalStateException deadDecref(RefCounted x) {
        return refused(x, new IllegalStateException("decref of a dead " + x.getClass().getName()
                + " (over-release): every decref must match a reference taken by the constructor, "
                + "incref or Ref.acquire"));
    }

    private static IllegalStateException overRelease(RefCounted x, long w) {
        return refused(x, new IllegalStateException("decref of " + x.getClass().getName()
                + " would release more references than it has (over-release; " + CountWord.describe(w)
                + "); the count is left unchanged"));
    }

    /**
     * Counts an over-release refused at the decref (the caller gets {@code e}; nothing is logged,
     * the exception is the report) and records it as a JFR event.
     */
    private static IllegalStateException refused(RefCounted x, IllegalStateException e) {
        OverReleaseEvent.report(x.getClass(), false);
        Counters.OVER_RELEASES.increment(); // after its event: whoever sees the count can rely on it
        return e;
    }

    /** Counts, records and logs an over-release found at a merge (the object was killed). */
    static void reportOverRelease(RefCounted x) {
        OverReleaseEvent.report(x.getClass(), true);
        LOG.error("safethread: {} was released more times than referenced (over-release by a thread "
                + "that is not its owner, found at merge); it was killed", x.getClass().getName());
        Counters.OVER_RELEASES.increment(); // after its event and log line
    }
}
