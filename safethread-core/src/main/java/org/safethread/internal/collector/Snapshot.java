package org.safethread.internal.collector;

import static org.safethread.internal.refcount.CountWord.CAND;
import static org.safethread.internal.refcount.CountWord.DEAD;
import static org.safethread.internal.refcount.CountWord.LOCAL_COUNT;
import static org.safethread.internal.refcount.CountWord.SCAN;
import static org.safethread.internal.refcount.CountWord.TOUCHED;
import static org.safethread.internal.refcount.CountWord.isDead;
import static org.safethread.internal.refcount.CountWord.isMerged;
import static org.safethread.internal.refcount.CountWord.refs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.safethread.RefCounted;
import org.safethread.internal.refcount.RefCounts;
import org.safethread.internal.refcount.ClassInfo;
import org.safethread.internal.refcount.CountWord;
import org.safethread.internal.runtime.ThreadState;

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
 *       (external &lt; 0) counts as live.</li>
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
final class Snapshot {
    private final int epoch;
    private final IdentityIndex index;
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
    private int edgeCount;
    /** Candidates whose owner could not be read, or whose group changed: kept for the next collection. */
    final List<RefCounted> deferred = new ArrayList<>();
    private final IdentityIndex deferredIndex = new IdentityIndex(16);

    /** Threads held lazily during the snapshot (ended, or parked inside the runtime since the handshake). */
    final List<ThreadState> lateHeld = new ArrayList<>();

    Snapshot(int epoch, int expected) {
        this.epoch = epoch;
        int cap = Math.max(16, expected);
        this.index = new IdentityIndex(cap);
        this.objs = new RefCounted[cap];
        this.words = new long[cap];
        this.counts = new long[cap];
        this.root = new boolean[cap];
        this.seesUnreadable = new boolean[cap];
        this.edgeFrom = new int[cap];
        this.edgeTo = new int[cap];
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
        ThreadState o = RefCounts.owner(x);
        if (o == null) {
            return isMerged(RefCounts.word(x)); // owner null and not merged: a merge in flight elsewhere
        }
        if (o.collectorEpoch == epoch) {
            return true;
        }
        if (o.collectorEpoch != -epoch - 2 && o.tryHold()) {
            o.collectorEpoch = epoch;
            lateHeld.add(o);
            o.refs.drainMergeQueue();
            return RefCounts.owner(x) == null ? isMerged(RefCounts.word(x)) : true;
        }
        o.collectorEpoch = -epoch - 2; // tried once this collection: do not try again per object
        return false;
    }

    /** Adds a candidate root; returns false if it is skipped. */
    void addCandidate(RefCounted x) {
        int i = index.get(x);
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
        index.put(x, i);
        words[i] = RefCounts.snapshotWord(x, SCAN, TOUCHED | CAND);
        return i;
    }

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
                int l = RefCounts.local(x);
                c += l & LOCAL_COUNT;
                if ((l & CountWord.BUFFERED) != 0) {
                    RefCounts.setLocal(x, l & ~CountWord.BUFFERED); // it is off every candidate list now
                }
            }
            counts[i] = c;
            ClassInfo info = ClassInfo.of(x.getClass());
            for (int f = 0, n = info.refFieldCount(); f < n; f++) {
                RefCounted t = info.refTarget(x, f);
                if (t == null || !RefCounts.isAlive(t)) {
                    continue;
                }
                int j = index.get(t);
                if (j < 0) {
                    if (!readable(t)) {
                        seesUnreadable[i] = true; // alive this time, not followed; see collectGarbage
                        continue;
                    }
                    j = add(t);
                }
                addEdge(i, j);
            }
        }
    }

    private void addEdge(int from, int to) {
        if (edgeCount == edgeFrom.length) {
            edgeFrom = Arrays.copyOf(edgeFrom, edgeCount * 2);
            edgeTo = Arrays.copyOf(edgeTo, edgeCount * 2);
        }
        edgeFrom[edgeCount] = from;
        edgeTo[edgeCount] = to;
        edgeCount++;
    }

    /**
     * Trial deletion, validation and marking (world running).
     *
     * @return the members of every validated garbage group, already marked DEAD
     */
    List<RefCounted> collectGarbage() {
        int n = size;
        int[] internal = new int[n];
        for (int e = 0; e < edgeCount; e++) {
            internal[edgeTo[e]]++;
        }
        // CSR adjacency
        int[] start = new int[n + 1];
        for (int e = 0; e < edgeCount; e++) {
            start[edgeFrom[e] + 1]++;
        }
        for (int i = 0; i < n; i++) {
            start[i + 1] += start[i];
        }
        int[] adj = new int[edgeCount];
        int[] fill = Arrays.copyOf(start, n);
        for (int e = 0; e < edgeCount; e++) {
            adj[fill[edgeFrom[e]]++] = edgeTo[e];
        }
        boolean[] live = new boolean[n];
        int[] stack = new int[n];
        int sp = 0;
        for (int i = 0; i < n; i++) {
            if (isDead(words[i])) {
                live[i] = true; // died meanwhile by count: not ours to kill
                continue;
            }
            if (counts[i] - internal[i] != 0) {
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
        // A candidate found live may be live only because an object we could not read refers to
        // it. If it can reach such an object, the two may form a cycle that is garbage, so it
        // stays a candidate (else alternate partial views could drop both halves for ever).
        // (An unreadable referrer that the candidate cannot reach is covered by the referrer's
        // own candidacy.) Garbage verdicts need no such care: a count read exactly shows every
        // reference, unreadable referrers included.
        boolean[] uncertain = new boolean[n];
        int[] rstart = new int[n + 1];
        for (int e = 0; e < edgeCount; e++) {
            rstart[edgeTo[e] + 1]++;
        }
        for (int i = 0; i < n; i++) {
            rstart[i + 1] += rstart[i];
        }
        int[] radj = new int[edgeCount];
        int[] rfill = Arrays.copyOf(rstart, n);
        for (int e = 0; e < edgeCount; e++) {
            radj[rfill[edgeTo[e]]++] = edgeFrom[e];
        }
        sp = 0;
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
        // group the garbage (union-find over garbage edges)
        int[] parent = new int[n];
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
        // members per group
        int[] groupHead = new int[n];
        int[] nextInGroup = new int[n];
        Arrays.fill(groupHead, -1);
        for (int i = n - 1; i >= 0; i--) {
            if (!live[i]) {
                int r = find(parent, i);
                nextInGroup[i] = groupHead[r];
                groupHead[r] = i;
            }
        }
        List<RefCounted> killed = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            int head = groupHead[r];
            if (head < 0) {
                continue;
            }
            boolean valid = true;
            for (int i = head; i >= 0; i = nextInGroup[i]) {
                if (RefCounts.word(objs[i]) != words[i]) {
                    valid = false;
                    break;
                }
            }
            int done = head;
            if (valid) {
                for (int i = head; i >= 0; i = nextInGroup[i]) {
                    long dead = (words[i] & ~(SCAN | TOUCHED)) | DEAD;
                    if (!RefCounts.casWord(objs[i], words[i], dead)) {
                        valid = false;
                        done = i;
                        break;
                    }
                }
            }
            if (valid) {
                for (int i = head; i >= 0; i = nextInGroup[i]) {
                    killed.add(objs[i]);
                    words[i] = DEAD; // marks "handled" for clearScanFlags
                }
            } else {
                for (int i = head; i != done && i >= 0; i = nextInGroup[i]) {
                    RefCounts.restoreWord(objs[i], words[i] & ~(SCAN | TOUCHED));
                }
                for (int i = head; i >= 0; i = nextInGroup[i]) {
                    defer(objs[i]); // try again next time
                }
            }
        }
        return killed;
    }

    /** Removes SCAN/TOUCHED from every examined object that did not die. */
    void clearScanFlags() {
        for (int i = 0; i < size; i++) {
            if (words[i] != DEAD) {
                RefCounts.clearWordFlags(objs[i], SCAN | TOUCHED);
            }
        }
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
