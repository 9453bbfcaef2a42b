package org.safethread.internal.collector;

import static org.safethread.internal.refcount.CountWord.CAND;
import static org.safethread.internal.refcount.CountWord.DEAD;
import static org.safethread.internal.refcount.CountWord.LOCAL_COUNT;
import static org.safethread.internal.refcount.CountWord.QUEUED;
import static org.safethread.internal.refcount.CountWord.SCAN;
import static org.safethread.internal.refcount.CountWord.TOUCHED;
import static org.safethread.internal.refcount.CountWord.isDead;
import static org.safethread.internal.refcount.CountWord.isMerged;
import static org.safethread.internal.refcount.CountWord.refs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.safethread.RefCounted;
import org.safethread.Ref;
import org.safethread.internal.refcount.Binding;
import org.safethread.internal.refcount.Extras;
import org.safethread.internal.refcount.KillWindow;
import org.safethread.internal.refcount.RefCounts;
import org.safethread.internal.refcount.ClassInfo;
import org.safethread.internal.refcount.CountFields;
import org.safethread.internal.refcount.CountWord;
import org.safethread.internal.refcount.Deaths;
import org.safethread.internal.refcount.OwnerWork;
import org.safethread.internal.runtime.Counters;
import org.safethread.internal.runtime.LoggerNames;
import org.safethread.internal.runtime.SafeText;
import org.safethread.internal.runtime.ThreadState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One collection's view of the objects it examines: their counts and the {@code Ref} edges
 * between them, read while the threads that own them are stopped; then trial deletion on that
 * view, and validation before anything dies.
 *
 * <h2>Implementation notes</h2>
 * <ul>
 *   <li><b>Readable objects only.</b> An object is examined only if its count can be read
 *       safely: it is merged (all counts in atomic words), or its owner is held by this
 *       collection (or is the collecting thread). Objects of owners that did not answer are
 *       treated as externally referenced: they and what they reach stay alive this time.</li>
 *   <li><b>Snapshot.</b> For each examined object, under its Extras lock (so no cell can be
 *       created meanwhile), all cells are frozen and folded into the shared word, and the word
 *       is CASed to carry SCAN (and lose TOUCHED and CAND). From then on, any change to the word
 *       by another thread sets TOUCHED. The owner's plain count is stable (owner held).</li>
 *   <li><b>Trial deletion.</b> internal(o) = number of examined {@code Ref} fields pointing at o;
 *       external(o) = count(o) - internal(o). Objects with external references, and everything
 *       they reach through examined edges, are live; the rest is garbage. An inconsistent view
 *       (external &lt; 0) counts as live, and so does an object whose merge is queued and has not
 *       run (QUEUED in its snapshot word): that merge decides it, as a death by release.</li>
 *   <li><b>Partial views.</b> A candidate found live stops being a candidate (Bacon–Rajan: a
 *       later release makes a new one), except when it can reach an object whose count could
 *       not be read: its liveness may rest on that object, which may rest on it, so it stays a
 *       candidate until a collection can read both.</li>
 *   <li><b>Validation.</b> Garbage is split into connected groups. A group dies only if every
 *       member's word is still exactly its snapshot (no thread changed any of its counts since),
 *       and then each member's DEAD flag is set by CAS from that snapshot; if one CAS fails, the
 *       group's earlier members are restored and the group waits for the next collection. Since
 *       a group had no references from outside at the snapshot, any new reference to a member
 *       must have changed some member's count (a new counted reference is an increment; moving
 *       a {@code Ref} between members changes both ends), so an unchanged group is garbage.</li>
 *   <li>Reads of {@code Ref} fields are by reflection (no user code) and volatile.</li>
 * </ul>
 */
final class Snapshot implements Deaths.CollectedGroup, Binding.SlotVisitor {
    private static final Logger LOG = LoggerFactory.getLogger(LoggerNames.COLLECTOR);
    /**
     * Arrays reused from one collection to the next (collections run one at a time, under the
     * collector's run lock): a collection of a million objects would otherwise allocate about a
     * hundred megabytes of short-lived, humongous arrays. They shrink again after collections
     * that use a small part of them. References are cleared after each collection, so nothing
     * is kept alive by them.
     */
    private static final class Scratch {
        RefCounted[] objs = new RefCounted[0];
        long[] words = new long[0];
        long[] counts = new long[0];
        boolean[] root = new boolean[0];
        boolean[] seesUnreadable = new boolean[0];
        int[] edgeFrom = new int[0];
        int[] edgeTo = new int[0];
        /** The target object of each edge (for {@link Snapshot#diedWith}). */
        RefCounted[] edgeObj = new RefCounted[0];
        /** For each killed object, its index in the snapshot. */
        int[] killedIdx = new int[0];
        // trial deletion
        /** Per object: examined Ref fields pointing at it. */
        int[] internal = new int[0];
        /** Per object: the start of its run of edges (CSR offsets, n + 1). */
        int[] edgeStart = new int[0];
        /** The depth-first stack of the marking walks. */
        int[] stack = new int[0];
        // partial views
        /** Per object: the start of its run of reverse edges (n + 1). */
        int[] reverseStart = new int[0];
        /** Reverse adjacency: the sources of the edges into each object. */
        int[] reverseAdj = new int[0];
        /** Per object: the next free slot of its reverse run while filling reverseAdj. */
        int[] reverseFill = new int[0];
        // validation
        /** Union-find parents over the garbage. */
        int[] parent = new int[0];
        /** Per group root: its first member, or -1. */
        int[] groupHead = new int[0];
        /** Per member: the next member of its group, or -1. */
        int[] nextInGroup = new int[0];
        boolean[] live = new boolean[0];
        boolean[] uncertain = new boolean[0];
        RefCounted[] killed = new RefCounted[0];
    }

    /** Guarded by the collector's run lock. */
    private static Scratch scratch = new Scratch();
    /** Below this many slots, scratch arrays are not worth shrinking. */
    private static final int KEEP_SLOTS = 1 << 16;

    private final Scratch sc;
    private final int epoch;
    private RefCounted[] objs;
    private long[] words;
    private long[] counts;
    /** Whether the object came from a candidate list (a root of this collection). */
    private boolean[] root;
    /** Whether one of the object's Ref fields points at an object whose count could not be read. */
    private boolean[] seesUnreadable;
    private int size;
    private int[] edgeFrom;
    private int[] edgeTo;
    private RefCounted[] edgeObj;
    private int edgeCount;
    /** Each object's first edge (edges are sorted by source); set by trialDeletion. */
    private int[] edgeStart;
    /** Candidates whose owner could not be read, or whose group changed: kept for the next collection. */
    final List<RefCounted> deferred = new ArrayList<>();
    private final IdentityIndex deferredIndex = new IdentityIndex(16);

    /** Threads held lazily during the snapshot (ended, or parked inside the runtime since the handshake). */
    final List<ThreadState> lateHeld = new ArrayList<>();

    Snapshot(int epoch, int expected) {
        this.epoch = epoch;
        this.sc = scratch;
        int cap = Math.max(16, expected);
        if (sc.objs.length < cap) {
            sc.objs = new RefCounted[cap];
            sc.words = new long[cap];
            sc.counts = new long[cap];
            sc.root = new boolean[cap];
            sc.seesUnreadable = new boolean[cap];
        }
        if (sc.edgeFrom.length < cap) {
            sc.edgeFrom = new int[cap];
            sc.edgeTo = new int[cap];
            sc.edgeObj = new RefCounted[cap];
        }
        this.objs = sc.objs;
        this.words = sc.words;
        this.counts = sc.counts;
        this.root = sc.root;
        this.seesUnreadable = sc.seesUnreadable;
        this.edgeFrom = sc.edgeFrom;
        this.edgeTo = sc.edgeTo;
        this.edgeObj = sc.edgeObj;
    }

    /** @return {@code a}, or a larger array if it has fewer than {@code n} slots (contents undefined) */
    private static int[] atLeast(int[] a, int n) {
        return a.length >= n ? a : new int[Math.max(n, a.length + (a.length >> 1))];
    }

    /**
     * Lets go of the objects this snapshot referred to, keeps the arrays for the next
     * collection, and shrinks them if this one used little of them.
     */
    void release() {
        Arrays.fill(objs, 0, size, null);
        Arrays.fill(root, 0, size, false);
        Arrays.fill(seesUnreadable, 0, size, false);
        Arrays.fill(sc.killed, 0, Math.min(killedCount, sc.killed.length), null);
        Arrays.fill(edgeObj, 0, edgeCount, null);
        sc.objs = objs;
        sc.words = words;
        sc.counts = counts;
        sc.root = root;
        sc.seesUnreadable = seesUnreadable;
        sc.edgeFrom = edgeFrom;
        sc.edgeTo = edgeTo;
        sc.edgeObj = edgeObj;
        if (objs.length > KEEP_SLOTS && size < objs.length / 16) {
            scratch = new Scratch();
        }
    }

    int size() {
        return size;
    }

    /**
     * @return whether {@code x}'s count can be read in this collection: it is merged, or its owner
     *     is held. An owner not held yet (it ended, or parked inside the runtime after the
     *     handshake) is held now if it can be, after merging what it has queued.
     */
    private boolean readable(RefCounted x) {
        ThreadState o = CountFields.ownerOpaque(x);
        if (o == null) {
            // owner null and not merged: a merge in flight elsewhere
            return isMerged(CountFields.wordVolatile(x));
        }
        if (o.collectorEpoch == epoch) {
            return true;
        }
        if (o.collectorEpoch != -epoch - 2 && o.tryHold()) {
            o.collectorEpoch = epoch;
            lateHeld.add(o);
            OwnerWork.of(o).drainMergeQueue();
            return CountFields.ownerOpaque(x) == null ? isMerged(CountFields.wordVolatile(x)) : true;
        }
        o.collectorEpoch = -epoch - 2; // tried once this collection: do not try again per object
        return false;
    }

    /** Adds a candidate root; returns false if it is skipped. */
    /** @return the index of {@code x} in this snapshot, or -1 (its slot field, checked against objs) */
    private int indexOf(RefCounted x) {
        int i = CountFields.collectorSlotPlain(x);
        return i >= 0 && i < size && objs[i] == x ? i : -1;
    }

    void addCandidate(RefCounted x) {
        int i = indexOf(x);
        if (i >= 0) {
            root[i] = true;
            return;
        }
        if (!RefCounts.isAlive(x)) {
            return;
        }
        if (!readable(x)) {
            defer(x);
            return;
        }
        root[add(x)] = true;
    }

    private void defer(RefCounted x) {
        if (deferredIndex.get(x) < 0) {
            deferredIndex.put(x, 0);
            deferred.add(x);
        }
    }

    private int add(RefCounted x) {
        if (size == objs.length) {
            int n = size * 2;
            objs = Arrays.copyOf(objs, n);
            words = Arrays.copyOf(words, n);
            counts = Arrays.copyOf(counts, n);
            root = Arrays.copyOf(root, n);
            seesUnreadable = Arrays.copyOf(seesUnreadable, n);
        }
        int i = size++;
        objs[i] = x;
        CountFields.setCollectorSlotPlain(x, i);
        words[i] = RefCounts.snapshotWord(x, SCAN, TOUCHED | CAND);
        return i;
    }

    private Class<?> lastType;
    private ClassInfo lastInfo;

    /** Reads counts and edges breadth-first from the candidates (world stopped). */
    void traverse() {
        for (int i = 0; i < size; i++) {
            RefCounted x = objs[i];
            long w = words[i];
            if (isDead(w)) {
                counts[i] = 0;
                continue;
            }
            long c = refs(w);
            if (!isMerged(w)) {
                int l = CountFields.localPlain(x);
                c += l & LOCAL_COUNT;
                if ((l & CountWord.BUFFERED) != 0) {
                    CountFields.setLocalPlain(x, l & ~CountWord.BUFFERED); // it is off every candidate list now
                }
            }
            counts[i] = c;
            Class<?> type = x.getClass();
            if (type != lastType) { // consecutive objects are usually of one class
                lastType = type;
                lastInfo = ClassInfo.of(type);
            }
            ClassInfo info = lastInfo;
            for (int f = 0, n = info.refFieldCount(); f < n; f++) {
                edgeTo(i, info.refTargetOnce(x, f, epoch));
            }
            Extras ex = CountFields.extrasVolatile(x);
            if (ex != null && ex.hasBindings()) {
                traceBindings(i, ex);
            }
        }
    }

    private void edgeTo(int i, RefCounted t) {
        if (t == null || !RefCounts.isAlive(t)) {
            return;
        }
        int j = indexOf(t);
        if (j < 0) {
            if (!readable(t)) {
                seesUnreadable[i] = true; // alive this time, not followed; see keepUncertainCandidates
                return;
            }
            j = add(t);
        }
        addEdge(i, j, t);
    }

    // ------------------------------------------------------------------ bindings (ephemerons)

    /** Targets reported by the bindings of the object being traced (reused). */
    private RefCounted[] slotBuf = new RefCounted[8];
    private int slotCount;

    /**
     * The slots of {@code x}'s bindings (entries of weak-keyed maps whose key is {@code x}) are
     * traced as if they were {@code Ref} fields of {@code x}: an entry's value keeps alive what
     * it refers to only while its key lives, so a value that refers back to its key does not keep
     * it alive (an ephemeron). They are read under the key's Extras lock (which every change to
     * them holds, see {@code RefCounts.touchForBindings}), then followed after the lock is let go
     * (following may snapshot other objects, which takes their locks).
     */
    private void traceBindings(int i, Extras ex) {
        slotCount = 0;
        ex.traceBindings(this);
        for (int k = 0; k < slotCount; k++) {
            RefCounted t = slotBuf[k];
            slotBuf[k] = null;
            edgeTo(i, t);
        }
        slotCount = 0;
    }

    @Override
    public void counted(RefCounted target) {
        if (target == null) {
            return;
        }
        if (slotCount == slotBuf.length) {
            slotBuf = Arrays.copyOf(slotBuf, slotCount * 2);
        }
        slotBuf[slotCount++] = target;
    }

    @Override
    public void ref(Ref<?> ref) {
        if (RefCounts.markRef(ref, epoch)) {
            counted(CountFields.refValueVolatile(ref));
        }
    }

    /** Adds an edge; traverse adds them in order of their source, which trialDeletion relies on. */
    private void addEdge(int from, int to, RefCounted target) {
        if (edgeCount == edgeFrom.length) {
            edgeFrom = Arrays.copyOf(edgeFrom, edgeCount * 2);
            edgeTo = Arrays.copyOf(edgeTo, edgeCount * 2);
            edgeObj = Arrays.copyOf(edgeObj, edgeCount * 2);
        }
        edgeFrom[edgeCount] = from;
        edgeTo[edgeCount] = to;
        edgeObj[edgeCount] = target;
        edgeCount++;
    }

    /**
     * Trial deletion, validation and marking (world running): the phases after the snapshot
     * ({@link #addCandidate}, {@link #traverse}), each a method below.
     *
     * @return how many objects died: the members of every validated garbage group, marked DEAD
     *     and listed in {@link #members()}
     */
    int collectGarbage() {
        int n = size;
        boolean[] live = trialDeletion(n);
        if (anySeesUnreadable(n)) {
            keepUncertainCandidates(n, live);
        }
        // DEAD words set from here to the end may be restored; readers without a counted
        // reference (weak references) wait the window out. Pairs with KillWindow.deadIsFinal.
        KillWindow.open();
        try {
            return killGarbage(n, live);
        } finally {
            KillWindow.close();
        }
    }

    /**
     * Trial deletion (Bacon–Rajan): an object with more references than the examined edges
     * into it (external &gt; 0, or an inconsistent view, external &lt; 0) is live, and so is
     * everything it reaches; the rest is garbage. Also builds the adjacency ({@code edgeStart})
     * that {@link #diedWith} reads.
     *
     * @return per object, whether it is live (objects that died by count meanwhile count as live:
     *     not ours to kill)
     */
    private boolean[] trialDeletion(int n) {
        int[] internal = sc.internal = atLeast(sc.internal, n);
        Arrays.fill(internal, 0, n, 0);
        for (int e = 0; e < edgeCount; e++) {
            internal[edgeTo[e]]++;
        }
        // CSR adjacency: traverse added the edges in order of their source, so the targets are
        // already the adjacency array; only the start of each object's run is needed.
        int[] start = sc.edgeStart = atLeast(sc.edgeStart, n + 1);
        Arrays.fill(start, 0, n + 1, 0);
        for (int e = 0; e < edgeCount; e++) {
            start[edgeFrom[e] + 1]++;
        }
        for (int i = 0; i < n; i++) {
            start[i + 1] += start[i];
        }
        this.edgeStart = start;
        int[] adj = edgeTo;
        if (sc.live.length < n) {
            sc.live = new boolean[n];
            sc.uncertain = new boolean[n];
        }
        boolean[] live = sc.live;
        Arrays.fill(live, 0, n, false);
        int[] stack = sc.stack = atLeast(sc.stack, n);
        int sp = 0;
        for (int i = 0; i < n; i++) {
            if (isDead(words[i])) {
                live[i] = true; // died meanwhile by count: not ours to kill
                continue;
            }
            if (counts[i] - internal[i] != 0 || mergePending(words[i])) {
                live[i] = true;
                stack[sp++] = i;
            }
        }
        while (sp > 0) {
            int i = stack[--sp];
            for (int k = start[i]; k < start[i + 1]; k++) {
                int j = adj[k];
                if (!live[j]) {
                    live[j] = true;
                    stack[sp++] = j;
                }
            }
        }
        return live;
    }

    /**
     * Whether a merge is queued for the object and has not run: an owned word with QUEUED. The
     * collector drained every held owner's merge queue before the snapshot, so such an object's
     * merge was pushed after that drain, by a release whose CAS came first (it took the shared
     * count below zero; the push follows the CAS). That merge decides the object's death, so the
     * collector leaves it alive this time (and everything it reaches): were its total zero,
     * killing it here would be a right death, but counted as "collected" although it died by its
     * last release, which {@code stats().objectsCollected()} must not count (issue 18). A member
     * of a real garbage cycle is only delayed: the merge, leaving it referenced, makes it a
     * candidate again (Fold.CLAIM_CAND).
     */
    private static boolean mergePending(long snapshotWord) {
        return !isMerged(snapshotWord) && (snapshotWord & QUEUED) != 0;
    }

    private boolean anySeesUnreadable(int n) {
        for (int i = 0; i < n; i++) {
            if (seesUnreadable[i]) {
                return true;
            }
        }
        return false;
    }

    /**
     * Partial views: a candidate found live may be live only because an object we could not read
     * refers to it. If it can reach such an object, the two may form a cycle that is garbage, so
     * it stays a candidate (else alternate partial views could drop both halves for ever). An
     * unreadable referrer that the candidate cannot reach is covered by the referrer's own
     * candidacy. Garbage verdicts need no such care: a count read exactly shows every reference,
     * unreadable referrers included.
     */
    private void keepUncertainCandidates(int n, boolean[] live) {
        boolean[] uncertain = sc.uncertain;
        Arrays.fill(uncertain, 0, n, false);
        int[] rstart = sc.reverseStart = atLeast(sc.reverseStart, n + 1);
        Arrays.fill(rstart, 0, n + 1, 0);
        for (int e = 0; e < edgeCount; e++) {
            rstart[edgeTo[e] + 1]++;
        }
        for (int i = 0; i < n; i++) {
            rstart[i + 1] += rstart[i];
        }
        int[] radj = sc.reverseAdj = atLeast(sc.reverseAdj, edgeCount);
        int[] fill = sc.reverseFill = atLeast(sc.reverseFill, n);
        System.arraycopy(rstart, 0, fill, 0, n);
        for (int e = 0; e < edgeCount; e++) {
            radj[fill[edgeTo[e]]++] = edgeFrom[e];
        }
        int[] stack = sc.stack; // sized by trialDeletion, empty now
        int sp = 0;
        for (int i = 0; i < n; i++) {
            if (seesUnreadable[i]) {
                uncertain[i] = true;
                stack[sp++] = i;
            }
        }
        while (sp > 0) {
            int i = stack[--sp];
            for (int k = rstart[i]; k < rstart[i + 1]; k++) {
                int j = radj[k];
                if (!uncertain[j]) {
                    uncertain[j] = true;
                    stack[sp++] = j;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            if (live[i] && root[i] && uncertain[i] && !isDead(words[i])) {
                defer(objs[i]);
            }
        }
    }

    /**
     * Validation and marking: kills the garbage whose words did not change since the snapshot,
     * all at once ({@link #killAllGarbage}) or, if some did change, group by connected group: a
     * group dies only if no member changed, each member CASed from its snapshot to DEAD; a group
     * whose CAS fails is restored and deferred to the next collection.
     *
     * @return how many objects died
     */
    private int killGarbage(int n, boolean[] live) {
        int all = killAllGarbage(n, live);
        if (all >= 0) {
            this.killedCount = all;
            return all;
        }
        // Some garbage changed since the snapshot: find the groups that did not, and kill those.
        // group the garbage (union-find over garbage edges)
        int[] parent = sc.parent = atLeast(sc.parent, n);
        for (int i = 0; i < n; i++) {
            parent[i] = i;
        }
        for (int e = 0; e < edgeCount; e++) {
            int a = edgeFrom[e];
            int b = edgeTo[e];
            if (!live[a] && !live[b]) {
                union(parent, a, b);
            }
        }
        // members per group, as linked lists threaded through nextInGroup
        int[] groupHead = sc.groupHead = atLeast(sc.groupHead, n);
        Arrays.fill(groupHead, 0, n, -1);
        int[] nextInGroup = sc.nextInGroup = atLeast(sc.nextInGroup, n);
        for (int i = n - 1; i >= 0; i--) {
            if (!live[i]) {
                int r = find(parent, i);
                nextInGroup[i] = groupHead[r];
                groupHead[r] = i;
            }
        }
        int killedCount = 0;
        for (int r = 0; r < n; r++) {
            int head = groupHead[r];
            if (head < 0) {
                continue;
            }
            boolean valid = true;
            for (int i = head; i >= 0; i = nextInGroup[i]) {
                if (CountFields.wordVolatile(objs[i]) != words[i]) {
                    valid = false;
                    break;
                }
            }
            int done = head;
            int size = 0;
            if (valid) {
                for (int i = head; i >= 0; i = nextInGroup[i]) {
                    size++;
                }
                // Counted before the first DEAD is visible, so whoever sees a member dead also
                // sees it in stats().objectsCollected(); taken back below if a CAS fails.
                Counters.OBJECTS_COLLECTED.add(size);
                for (int i = head; i >= 0; i = nextInGroup[i]) {
                    long dead = (words[i] & ~(SCAN | TOUCHED)) | DEAD;
                    if (!CountFields.casWord(objs[i], words[i], dead)) {
                        valid = false;
                        done = i;
                        break;
                    }
                }
            }
            if (valid) {
                if (sc.killed.length < killedCount + n) {
                    sc.killed = Arrays.copyOf(sc.killed, Math.max(n, killedCount * 2));
                    sc.killedIdx = Arrays.copyOf(sc.killedIdx, sc.killed.length);
                }
                for (int i = head; i >= 0; i = nextInGroup[i]) {
                    sc.killedIdx[killedCount] = i;
                    sc.killed[killedCount++] = objs[i];
                    words[i] = DEAD; // marks "handled" for clearScanFlags
                }
            } else {
                Counters.OBJECTS_COLLECTED.add(-size);
                for (int i = head; i != done && i >= 0; i = nextInGroup[i]) {
                    CountFields.setWordVolatile(objs[i], words[i] & ~(SCAN | TOUCHED));
                }
                for (int i = head; i >= 0; i = nextInGroup[i]) {
                    defer(objs[i]); // try again next time
                }
            }
        }
        this.killedCount = killedCount;
        return killedCount;
    }

    // ------------------------------------------------------------------ Deaths.CollectedGroup

    @Override
    public int count() {
        return killedCount;
    }

    /** @return the objects the last {@link #collectGarbage} killed (the first {@link #count()} slots) */
    @Override
    public RefCounted[] members() {
        return sc.killed;
    }

    /**
     * An edge from a killed object to a garbage object joined two members of one connected
     * garbage group, and groups die whole, so the target died too.
     */
    @Override
    public boolean diedWith(int k, RefCounted target) {
        int i = sc.killedIdx[k];
        boolean[] live = sc.live;
        for (int e = edgeStart[i], end = edgeStart[i + 1]; e < end; e++) {
            if (edgeObj[e] == target && !live[edgeTo[e]]) {
                return true;
            }
        }
        return false;
    }

    private int killedCount;

    /**
     * Tells {@code obs} of each killed object, with its snapshot count and examined references
     * into it; a throw is logged and the next object reported.
     */
    void reportKills(KillObserver obs) {
        int[] internal = sc.internal;
        for (int k = 0; k < killedCount; k++) {
            int i = sc.killedIdx[k];
            try {
                obs.killed(sc.killed[k], counts[i], internal[i]);
            } catch (Throwable t) {
                try {
                    LOG.warn("safethread: the collector's kill observer threw: {}", SafeText.of(t));
                } catch (Throwable ignored) {
                    // the logging backend failed: carry on
                }
            }
        }
    }

    /** Removes SCAN/TOUCHED from every examined object that did not die. */
    void clearScanFlags() {
        for (int i = 0; i < size; i++) {
            if (words[i] != DEAD) {
                RefCounts.clearWordFlags(objs[i], SCAN | TOUCHED);
            }
        }
    }

    /**
     * The common case first: if no garbage object's word changed since the snapshot, all the
     * garbage dies at once, without splitting it into groups (for a big random graph the
     * union-find costs a cache miss per edge). Each object is CASed from its snapshot to DEAD;
     * should a CAS fail (a change after the check), the ones already CASed are restored and the
     * caller falls back to validating group by group.
     *
     * @return how many objects died, or -1 if some garbage changed (nothing died)
     */
    private int killAllGarbage(int n, boolean[] live) {
        int garbage = 0;
        for (int i = 0; i < n; i++) {
            if (!live[i]) {
                if (CountFields.wordVolatile(objs[i]) != words[i]) {
                    return -1;
                }
                garbage++;
            }
        }
        if (garbage == 0) {
            return 0;
        }
        if (sc.killed.length < garbage) {
            sc.killed = new RefCounted[Math.max(garbage, sc.killed.length * 2)];
            sc.killedIdx = new int[sc.killed.length];
        }
        // Counted before the first DEAD is visible (see CycleCollector); taken back on failure.
        Counters.OBJECTS_COLLECTED.add(garbage);
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (live[i]) {
                continue;
            }
            long dead = (words[i] & ~(SCAN | TOUCHED)) | DEAD;
            if (!CountFields.casWord(objs[i], words[i], dead)) {
                for (int j = 0; j < k; j++) {
                    int r = sc.killedIdx[j];
                    CountFields.setWordVolatile(objs[r], words[r]);
                    sc.killed[j] = null;
                }
                Counters.OBJECTS_COLLECTED.add(-garbage);
                return -1;
            }
            sc.killedIdx[k] = i;
            sc.killed[k++] = objs[i];
        }
        for (int j = 0; j < k; j++) {
            words[sc.killedIdx[j]] = DEAD; // marks "handled" for clearScanFlags
        }
        return k;
    }

    private static int find(int[] parent, int i) {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    private static void union(int[] parent, int a, int b) {
        int ra = find(parent, a);
        int rb = find(parent, b);
        if (ra != rb) {
            parent[ra] = rb;
        }
    }
}
