package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** CONTRACT §2 for a single thread: counts, Refs, death inside decref, misuse. */
class RefCountLifecycleTest {

    static class Node extends RefCounted {
        final Ref<Node> left = new Ref<>();
        final Ref<Node> right = new Ref<>();
        final int id;

        Node(int id) {
            this.id = id;
        }
    }

    static class Leaf extends RefCounted {
    }

    @Test
    void newObjectHoldsOneReferenceAndDiesInsideTheReleasingDecref() {
        Leaf x = new Leaf();
        assertThat(x.refCount()).isEqualTo(1);
        assertThat(x.isAlive()).isTrue();
        x.incref();
        x.incref();
        assertThat(x.refCount()).isEqualTo(3);
        x.decref();
        x.decref();
        assertThat(x.isAlive()).isTrue();
        assertThat(x.refCount()).isEqualTo(1);
        x.decref();
        assertThat(x.isAlive()).isFalse();
        assertThat(x.refCount()).isZero();
    }

    @Test
    void refHoldsACountedReferenceAndDeathClearsRefs() {
        Node parent = new Node(1);
        Leaf unused = new Leaf();
        Node child = new Node(2);
        parent.left.set(child);
        assertThat(child.refCount()).isEqualTo(2);
        assertThat(parent.left.get()).isSameAs(child);
        child.decref(); // only the parent's Ref keeps it now
        assertThat(child.isAlive()).isTrue();
        parent.decref();
        assertThat(parent.isAlive()).isFalse();
        assertThat(parent.left.get()).isNull();
        assertThat(child.isAlive()).isFalse();
        unused.decref();
    }

    @Test
    void refSetReplacesAndReleasesTheOldValue() {
        Node slotOwner = new Node(0);
        Leaf a = new Leaf();
        Leaf b = new Leaf();
        Ref<Leaf> r = new Ref<>(a);
        assertThat(a.refCount()).isEqualTo(2);
        r.set(b);
        assertThat(a.refCount()).isEqualTo(1);
        assertThat(b.refCount()).isEqualTo(2);
        r.set(b); // same value again: count unchanged
        assertThat(b.refCount()).isEqualTo(2);
        r.clear();
        assertThat(r.get()).isNull();
        assertThat(b.refCount()).isEqualTo(1);
        a.decref();
        b.decref();
        assertThat(a.isAlive()).isFalse();
        assertThat(b.isAlive()).isFalse();
        slotOwner.decref();
    }

    @Test
    void acquireReturnsANewReference() {
        Leaf a = new Leaf();
        Ref<Leaf> r = new Ref<>(a);
        a.decref();
        Leaf got = r.acquire();
        assertThat(got).isSameAs(a);
        assertThat(a.refCount()).isEqualTo(2);
        r.clear();
        assertThat(a.isAlive()).isTrue();
        got.decref();
        assertThat(a.isAlive()).isFalse();
        assertThat(new Ref<Leaf>().acquire()).isNull();
    }

    @Test
    void increfOfADeadObjectIsRefusedNamingTheClass() {
        Leaf x = new Leaf();
        x.decref();
        assertThatThrownBy(x::incref).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(Leaf.class.getName()).hasMessageContaining("dead");
        assertThat(x.refCount()).isZero();
        assertThat(x.isAlive()).isFalse();
    }

    @Test
    void overReleaseIsRefusedNamingTheClassAndLeavesCountsIntact() {
        Leaf x = new Leaf();
        x.decref();
        assertThatThrownBy(x::decref).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(Leaf.class.getName());
        assertThat(x.isAlive()).isFalse();
    }

    @Test
    void overReleaseOfAMergedObjectIsRefusedBeforeAnythingChanges() throws Exception {
        Leaf x = new Leaf();
        // Another thread takes and releases references, then the owner releases: x is merged.
        x.incref();
        Thread t = new Thread(() -> {
            x.incref();
            x.decref();
        });
        t.start();
        t.join();
        x.decref();
        x.decref(); // owner's last: others counted too, so the object merged and died here
        assertThat(x.isAlive()).isFalse();
        Leaf y = new Leaf();
        y.incref();
        Thread other = new Thread(y::decref);
        other.start();
        other.join();
        SafeThread.poll(); // merge what the other thread released
        assertThat(y.refCount()).isEqualTo(1);
        y.decref();
        assertThat(y.isAlive()).isFalse();
        assertThatThrownBy(y::decref).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void refSetOfADeadObjectIsRefusedAndTheSlotIsUnchanged() {
        Leaf alive = new Leaf();
        Leaf dead = new Leaf();
        dead.decref();
        Ref<Leaf> r = new Ref<>(alive);
        assertThatThrownBy(() -> r.set(dead)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(Leaf.class.getName());
        assertThat(r.get()).isSameAs(alive);
        assertThat(alive.refCount()).isEqualTo(2);
        assertThatThrownBy(() -> new Ref<>(dead)).isInstanceOf(IllegalStateException.class);
        r.clear();
        alive.decref();
    }

    @Test
    void refCountIsExactForTheOwnerAcrossMergeAndCells() throws Exception {
        Leaf x = new Leaf();
        AtomicInteger err = new AtomicInteger();
        Thread t = new Thread(() -> {
            for (int i = 0; i < 10; i++) {
                x.incref(); // second and later touches land in this thread's cell
            }
        });
        t.start();
        t.join();
        assertThat(x.refCount()).isEqualTo(11);
        Thread u = new Thread(() -> {
            for (int i = 0; i < 10; i++) {
                x.decref();
            }
            if (!x.isAlive()) {
                err.incrementAndGet();
            }
        });
        u.start();
        u.join();
        SafeThread.poll();
        assertThat(err.get()).isZero();
        assertThat(x.refCount()).isEqualTo(1);
        x.decref();
        assertThat(x.isAlive()).isFalse();
    }

    @Test
    void deathClearsEveryRefFieldOfAWideObject() {
        Node root = new Node(0);
        Node l = new Node(1);
        Node r = new Node(2);
        root.left.set(l);
        root.right.set(r);
        l.decref();
        r.decref();
        root.decref();
        assertThat(l.isAlive()).isFalse();
        assertThat(r.isAlive()).isFalse();
        assertThat(root.left.get()).isNull();
        assertThat(root.right.get()).isNull();
    }

    @Test
    void sharedChildLivesUntilItsLastParentDies() {
        Node a = new Node(1);
        Node b = new Node(2);
        Node child = new Node(3);
        a.left.set(child);
        b.left.set(child);
        child.decref();
        a.decref();
        assertThat(child.isAlive()).isTrue();
        assertThat(child.refCount()).isEqualTo(1);
        b.decref();
        assertThat(child.isAlive()).isFalse();
    }
}
